/**
 * Runs `dialtone pppd -` as a child process with a stream as its line (stdin/stdout), the
 * way mgetty execs pppd on the tty: used by the getty and the modem bank's PPP server.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

export function runPppdChild(stream: Duplex, args: string[], opts: { pppDir?: string; log(msg: string): void }): Promise<number | null> {
  // -detach / nodetach: the child stays ours whatever the arguments say.
  const argv = [BIN, 'pppd', '-', ...args.filter((a) => a !== '-detach'), 'nodetach'];
  opts.log(`starting: dialtone pppd ${argv.slice(2).join(' ')}`);
  const env = opts.pppDir ? { ...process.env, DIALTONE_PPP_DIR: opts.pppDir } : process.env;
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
  stream.pipe(child.stdin);
  child.stdout.pipe(stream, { end: false });
  child.stdin.on('error', () => undefined);
  const endChild = () => child.stdin.end();
  stream.once('end', endChild);
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) opts.log(`pppd: ${l}`);
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      stream.unpipe(child.stdin);
      stream.off('end', endChild);
      opts.log(`pppd exited with status ${code}`);
      resolve(code);
    });
  });
}
