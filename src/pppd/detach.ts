/**
 * pppd's detach() without fork(): Node cannot fork, so the foreground `dialtone pppd` (having
 * read and checked the options, so that option errors still reach the terminal with exit 2)
 * starts itself again as a daemon - a new session (setsid), standard input/output/error on
 * /dev/null, working directory / - and waits on a pipe (the child's fd 3):
 *
 *   "L <text>"  a log line the daemon wrote before detaching (printed by the parent, as pppd
 *               prints to its terminal until it detaches);
 *   "D"         the daemon has detached: the parent exits 0. Without `updetach` this comes at
 *               once (pppd detaches before it opens the line); with `updetach`, once IP is up.
 *
 * If the daemon exits before "D", the parent exits with its status, as `pppd updetach` does
 * when the link fails before coming up. Signals the parent gets meanwhile (^C) are passed on.
 */
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The variable that tells a `dialtone pppd` it is the detached daemon (fd 3 is the pipe). */
export const DETACHED_ENV = 'DIALTONE_PPPD_DAEMON';

const BIN = fileURLToPath(new URL('../../../bin/dialtone', import.meta.url));

/** In the parent: start the daemon and wait until it detaches or dies. Resolves with the exit status. */
export function spawnDaemon(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const child = spawn(process.execPath, [BIN, 'pppd', ...args], {
    detached: true,
    cwd: process.cwd(),
    env: { ...env, [DETACHED_ENV]: '1' },
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const pipe = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  const forward = (sig: NodeJS.Signals) => {
    try {
      child.kill(sig);
    } catch {
      /* gone */
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      for (const s of signals) process.off(s, forward);
      resolve(status);
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('L ')) out(line.slice(2));
        else if (line === 'D') {
          pipe.destroy();
          child.unref();
          finish(0);
        }
      }
    });
    pipe.on('error', () => undefined);
    child.on('exit', (code, sig) => finish(code ?? (sig ? 128 + 1 : 1)));
    child.on('error', (err) => {
      out(`Couldn't detach (${err.message})`);
      finish(1);
    });
  });
}

/** In the daemon: the pipe to the waiting parent, if we are the detached daemon. */
export class DetachPipe {
  private fd: number | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    if (env[DETACHED_ENV] === '1') {
      try {
        fs.fstatSync(3);
        this.fd = 3;
      } catch {
        this.fd = undefined;
      }
    }
  }

  get active(): boolean {
    return this.fd !== undefined;
  }

  private send(text: string): void {
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, text);
    } catch {
      this.close(); // the parent is gone
    }
  }

  log(line: string): void {
    this.send(`L ${line.replace(/\n$/, '').replace(/\n/g, '\nL ')}\n`);
  }

  /** Tells the parent to exit 0 and closes the pipe. */
  detached(): void {
    this.send('D\n');
    this.close();
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.fd = undefined;
  }
}
