/**
 * The IO shell of `dialtone dial`: opens the modem line (a serial device, a pty, or
 * `tcp:HOST:PORT` for a modem bank), feeds the Dialer its bytes and time, keeps its one
 * timer, and runs pppd on the line when it asks: `dialtone pppd -` with the line as standard
 * input/output (how mgetty hands a tty to pppd), or the real pppd named by `PPPD Path`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DialOptions } from './config.js';
import { Dialer, type DialAction } from './dialer.js';
import { PppdMonitor } from './pppd-monitor.js';
import { passwordFile, pppdCommand } from './pppd-args.js';
import { openDialLine, type DialLine } from './line.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

export interface DialRunOptions {
  opts: DialOptions;
  /** Configuration warnings printed after the banner. */
  warnings?: string[];
  /** One line of output (wvdial writes to standard error). */
  out: (line: string) => void;
  /** DIALTONE_PPP_DIR for dialtone pppd. */
  pppDir?: string;
  /** More pppd options (appended), e.g. `debug`, `record FILE`. */
  pppdExtra?: string[];
  /** Print every pppd log line as `--> pppd: LINE` (not only the ones wvdial shows). */
  verbose?: boolean;
  now?: () => number;
}

export interface DialRun {
  done: Promise<number>;
  /** SIGINT/SIGTERM: end pppd if it runs, hang up, exit. */
  stop(): void;
  /** The dialer's state, for tests. */
  readonly dialer: Dialer;
}

export function startDial(o: DialRunOptions): DialRun {
  const now = o.now ?? Date.now;
  const dialer = new Dialer(o.opts);
  let line: DialLine | undefined;
  let child: ChildProcess | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let finished = false;
  let privateDir: string | undefined;

  const print = (text: string, prefix: boolean) => {
    for (const l of text.split('\n')) o.out(prefix ? `--> ${l}` : l);
  };

  const closeLine = () => {
    const l = line;
    line = undefined;
    l?.close();
  };

  const pump = () => {
    for (;;) {
      const actions = dialer.takeActions();
      if (!actions.length) break;
      for (const a of actions) act(a);
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    const at = dialer.nextDeadline();
    if (at !== undefined && !finished) {
      timer = setTimeout(() => {
        timer = undefined;
        dialer.tick(now());
        pump();
      }, Math.max(0, at - now()));
    }
  };

  const act = (a: DialAction) => {
    switch (a.type) {
      case 'log':
        return print(a.text, true);
      case 'modem':
        return print(a.text, false);
      case 'write':
        if (line && !line.stream.destroyed) line.stream.write(a.data);
        return;
      case 'open':
        closeLine();
        void openDialLine(o.opts.modem, o.opts.baud).then(
          (l) => {
            if (finished) return l.close();
            line = l;
            l.stream.on('data', (b: Buffer) => {
              if (line !== l) return;
              dialer.input(b, now());
              pump();
            });
            const gone = () => {
              if (line !== l) return;
              dialer.lineClosed(now());
              pump();
            };
            l.stream.on('end', gone);
            l.stream.on('close', gone);
            l.stream.on('error', () => undefined);
            dialer.opened(now());
            pump();
          },
          (err: Error) => {
            dialer.openFailed(err.message, now());
            pump();
          },
        );
        return;
      case 'hangup':
        return closeLine();
      case 'start-pppd':
        return startPppd();
      case 'exit':
        finished = true;
        if (timer) clearTimeout(timer);
        closeLine();
        if (privateDir) fs.rmSync(privateDir, { recursive: true, force: true });
        resolveDone(a.code);
        return;
    }
  };

  const startPppd = () => {
    const l = line;
    if (!l) {
      dialer.pppdFailed(now());
      return pump();
    }
    // The password reaches pppd in a file only we can read, not on its command line.
    privateDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
    const pwFile = path.join(privateDir, 'options');
    fs.writeFileSync(pwFile, passwordFile(o.opts), { mode: 0o600 });
    const cmd = pppdCommand(o.opts, pwFile, l.fd !== undefined ? 'stdio-tty' : 'pipe');
    const args = [...cmd.args, ...(o.pppdExtra ?? [])];
    const env = o.pppDir ? { ...process.env, DIALTONE_PPP_DIR: o.pppDir } : process.env;
    const viaFd = !cmd.dialtone && l.fd !== undefined;
    let c: ChildProcess;
    try {
      c = cmd.dialtone
        ? spawn(process.execPath, [BIN, 'pppd', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env })
        : spawn(cmd.path!, args, { stdio: viaFd ? [l.fd!, l.fd!, 'pipe'] : ['pipe', 'pipe', 'pipe'], env });
    } catch {
      dialer.pppdFailed(now());
      return pump();
    }
    child = c;
    const monitor = new PppdMonitor();
    if (!viaFd) {
      l.stream.pipe(c.stdin!);
      c.stdout!.pipe(l.stream, { end: false });
      c.stdin!.on('error', () => undefined);
    }
    let partial = '';
    c.stderr!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!.slice(-4096);
      for (const raw of lines) {
        const text = raw.replace(/^\S+ \S+ \S+ \S+ pppd\[\d+\]: /, '');
        for (const shown of monitor.analyse(text)) print(shown, true);
        if (o.verbose) print(`pppd: ${text}`, true);
      }
    });
    let spawned = false;
    c.once('spawn', () => {
      spawned = true;
      dialer.pppdStarted(c.pid ?? 0);
      pump();
    });
    c.once('error', () => {
      if (spawned) return;
      child = undefined;
      dialer.pppdFailed(now());
      pump();
    });
    c.once('exit', (code, signal) => {
      if (!spawned) return;
      child = undefined;
      if (!viaFd) l.stream.unpipe(c.stdin!);
      if (stopping) dialer.stop(now());
      else dialer.pppdExited({ status: code, signal, authFailed: monitor.authFailed }, now());
      pump();
    });
  };

  dialer.start(now(), o.warnings ?? []);
  pump();
  return {
    done,
    dialer,
    stop() {
      if (finished) return;
      stopping = true;
      if (child) child.kill('SIGTERM');
      else {
        dialer.stop(now());
        pump();
      }
    },
  };
}
