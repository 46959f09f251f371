/**
 * The pppd command line wvdial builds (start_ppp in wvdialer.cc), for dialtone pppd on the
 * line wvdial dialled, or for the real pppd named by `PPPD Path`.
 *
 * wvdial runs: PPPD SPEED modem crtscts defaultroute usehostname -detach user LOGIN
 *   (ADDR: | noipdefault) call wvdial [usepeerdns] [default-asyncmap] [PPPD Option]
 *   [idle N] logfd FD
 * and writes LOGIN/PASSWORD/Remote Name into pap-secrets and chap-secrets. `call wvdial`
 * reads Debian's /etc/ppp/peers/wvdial (`noauth name wvdial usepeerdns`).
 *
 * dialtone differs where it must: the password goes to pppd in an options file only the user
 * can read (`file`), not into the system's secrets files (no root needed) and not on the
 * command line; the peers/wvdial options are given directly; for dialtone pppd the line is
 * standard input/output (`-`), so the serial-port words (SPEED, modem, crtscts) are left to
 * the dialler, which opened the port; `defaultroute` is left out (dialtone has no kernel
 * interface and would only say so).
 */
import type { DialOptions } from './config.js';

/** `PPPD Option` words: blanks separate words, double quotes group them. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push(m[1] ?? m[2]!);
  return out;
}

/** pppd's options-file quoting for a word (backslash before `"` and `\`). */
export function quoteOption(word: string): string {
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The contents of the private options file holding the password (mode 0600). */
export function passwordFile(o: DialOptions): string {
  return `password ${quoteOption(o.password)}\n`;
}

export interface PppdCommand {
  /** true: dialtone's own pppd (`dialtone pppd - ...`). */
  dialtone: boolean;
  /** The program (for real pppd) — undefined for dialtone. */
  path: string | undefined;
  args: string[];
}

/** Is `PPPD Path` dialtone itself (unset, or a path to the dialtone command)? */
export function isDialtonePppd(pppdPath: string): boolean {
  return !pppdPath || /(^|\/)dialtone$/.test(pppdPath.trim());
}

/**
 * The arguments. `passwordFilePath` is the private file from passwordFile(); `realLine` says
 * how real pppd gets the line: 'stdio-tty' (the serial port is its standard input) or
 * 'pipe' (a socket or pipe: pppd's `notty`).
 */
export function pppdCommand(o: DialOptions, passwordFilePath: string, realLine: 'stdio-tty' | 'pipe' = 'pipe'): PppdCommand {
  const common = (dialtone: boolean): string[] => [
    'user', o.username,
    o.forceAddress ? `${o.forceAddress}:` : 'noipdefault',
    // peers/wvdial, and pppd's new-style options (New PPPD, on by default).
    ...(o.newPppd ? ['noauth', 'name', 'wvdial'] : []),
    ...(o.remoteName && o.remoteName !== '*' ? ['remotename', o.remoteName] : []),
    ...(o.newPppd && o.autoDns ? ['usepeerdns'] : []),
    ...(o.newPppd && o.isdn ? ['default-asyncmap'] : []),
    ...(o.newPppd && o.pppdOption ? splitWords(o.pppdOption) : []),
    ...(o.newPppd && o.idleSeconds > 0 ? ['idle', String(o.idleSeconds)] : []),
    'file', passwordFilePath,
    ...(dialtone ? ['nodetach'] : ['-detach', 'logfd', '2']),
  ];
  if (isDialtonePppd(o.pppdPath)) return { dialtone: true, path: undefined, args: ['-', ...common(true)] };
  const head = realLine === 'stdio-tty' ? [String(o.baud), 'modem', 'crtscts', 'defaultroute', 'usehostname'] : ['notty', 'defaultroute', 'usehostname'];
  return { dialtone: false, path: o.pppdPath, args: [...head, ...common(false)] };
}
