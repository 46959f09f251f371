/**
 * pppd's log destinations: a `logfile`, else a file descriptor (pppd's log_to_fd: standard
 * output by default, `logfd N`, none with `nolog`; dialtone uses standard error when the link
 * itself runs on standard input/output). Lines are the bare messages, as pppd writes them to
 * its log file; debug lines only with `debug`. Secrets never reach here: the session prints
 * passwords as <hidden>.
 *
 * A detached daemon has no terminal: before it tells its parent it is detached, its log lines
 * travel to the parent through the detach pipe (see detach.ts); afterwards only a `logfile`
 * (or an explicit `logfd`) receives them, and, like pppd's syslog lines, the system log through
 * logger(1) when one is installed.
 */
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import type { LogLevel } from '../ppp/log.js';

export interface Logger {
  log(level: LogLevel, msg: string): void;
  setDebug(on: boolean): void;
  readonly debug: boolean;
  /** pppd detach(): stop writing to the default descriptor (standard output). */
  detached(): void;
  close(): Promise<void>;
}

export interface LoggerOptions {
  logfile?: string;
  /** pppd log_to_fd: undefined = standard output (standard error if useStderr), -1 = none. */
  logfd?: number;
  useStderr: boolean;
  debug: boolean;
  /** Before detaching: where log lines go instead of standard output (the detach pipe). */
  toParent?: (line: string) => void;
  /** Also send lines to the system log (logger(1)), tagged pppd[PID]. */
  syslog?: boolean;
}

const SYSLOG_LEVEL: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

export function createLogger(opts: LoggerOptions): Logger {
  let debug = opts.debug;
  let detached = false;
  const file = opts.logfile ? fs.createWriteStream(opts.logfile, { flags: 'a' }) : undefined;
  file?.on('error', () => undefined);
  let syslog: ChildProcess | undefined;
  if (opts.syslog) {
    try {
      syslog = spawn('logger', ['--id=' + process.pid, '-t', 'pppd', '--prio-prefix'], { stdio: ['pipe', 'ignore', 'ignore'], detached: false });
      syslog.on('error', () => (syslog = undefined));
      syslog.stdin?.on('error', () => undefined);
      syslog.unref();
      (syslog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    } catch {
      syslog = undefined;
    }
  }
  const writeFd = (line: string) => {
    if (file) return file.write(line);
    if (opts.toParent && !detached) return opts.toParent(line);
    if (opts.logfd === -1) return;
    if (opts.logfd !== undefined) {
      try {
        fs.writeSync(opts.logfd, line);
      } catch {
        /* pppd ignores write errors on its log fd */
      }
      return;
    }
    if (detached) return;
    (opts.useStderr ? process.stderr : process.stdout).write(line);
  };
  return {
    log(level, msg) {
      if (level === 'debug' && !debug) return;
      writeFd(`${msg}\n`);
      if (syslog?.stdin?.writable) syslog.stdin.write(`<${24 + SYSLOG_LEVEL[level]}>${msg.replace(/\n/g, ' ')}\n`);
    },
    setDebug(on) {
      debug = on;
    },
    get debug() {
      return debug;
    },
    detached() {
      detached = true;
    },
    close() {
      syslog?.stdin?.end();
      return new Promise((resolve) => (file ? file.end(resolve) : resolve()));
    },
  };
}
