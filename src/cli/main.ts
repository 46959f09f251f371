/**
 * `dialtone SUBCOMMAND ...`: dispatches to one module per subcommand, loaded lazily so that
 * `dialtone chat` does not pay for the PPP stack and vice versa.
 */
type Runner = (args: string[]) => Promise<number>;

const subcommands: Record<string, { summary: string; load: () => Promise<Runner> }> = {
  pppd: { summary: 'the PPP daemon (pppd-compatible options)', load: async () => (await import('./pppd.js')).run },
  chat: { summary: 'the expect/send dialer (chat(8)-compatible)', load: async () => (await import('./chat.js')).run },
  modem: { summary: 'a bank of virtual Hayes modems on TCP', load: async () => (await import('./modem.js')).run },
  isp: { summary: 'a dial-up ISP in a box: PPP server, modem bank, userspace network', load: async () => (await import('./isp.js')).run },
  getty: { summary: 'answer calls on a line (mgetty-style, with AutoPPP)', load: async () => (await import('./getty.js')).run },
  dial: { summary: 'a wvdial-compatible dialer (wvdial.conf; --probe like wvdialconf)', load: async () => (await import('./dial.js')).run },
};

function usage(): string {
  const lines = Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(8)} ${s.summary}`);
  return `usage: dialtone SUBCOMMAND [ARGS...]\n\nsubcommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    process.exitCode = name ? 0 : 1;
    return;
  }
  const sub = subcommands[name];
  if (!sub) {
    process.stderr.write(`dialtone: unknown subcommand '${name}'\n${usage()}`);
    process.exitCode = 1;
    return;
  }
  const code = await (await sub.load())(rest);
  process.exitCode = code;
  // The work is done: an open standard input (a pipe from a getty or a pty command) must not
  // keep the process alive.
  if (!process.stdin.destroyed) process.stdin.destroy();
}
