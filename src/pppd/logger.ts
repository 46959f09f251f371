/**
 * pppd's log destinations: a `logfile`, else standard output (standard error when the
 * link itself runs on stdio). Lines are the bare messages, as pppd writes them to its log
 * file; debug lines only with `debug`. Secrets never reach here: the session prints
 * passwords as <hidden>.
 */
import fs from 'node:fs';
import type { LogLevel } from '../ppp/auth.js';

export interface Logger {
  log(level: LogLevel, msg: string): void;
  setDebug(on: boolean): void;
  close(): Promise<void>;
}

export function createLogger(opts: { logfile?: string; useStderr: boolean; debug: boolean }): Logger {
  let debug = opts.debug;
  const file = opts.logfile ? fs.createWriteStream(opts.logfile, { flags: 'a' }) : undefined;
  const write = (line: string) => {
    if (file) file.write(line);
    else (opts.useStderr ? process.stderr : process.stdout).write(line);
  };
  return {
    log(level, msg) {
      if (level === 'debug' && !debug) return;
      write(`${msg}\n`);
    },
    setDebug(on) {
      debug = on;
    },
    close() {
      return new Promise((resolve) => (file ? file.end(resolve) : resolve()));
    },
  };
}
