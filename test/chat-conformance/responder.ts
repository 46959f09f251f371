/**
 * A scripted modem for chat conformance tests.
 *
 * The program under test (real /usr/sbin/chat or `dialtone chat`) runs with its stdin/stdout on
 * the slave side of a pty, as pppd would give it a serial line; chat refuses anything but a
 * terminal. socat owns the pty (`EXEC:...,pty,rawer`: raw, no echo, like a line pppd set up) and
 * relays its master side to our pipes. The responder plays a transcript against it: wait for
 * bytes the program writes, answer with bytes, pause, or hang up (close the pty master, after which
 * the program's reads and writes fail with EIO). Once the transcript is over it stays silent.
 *
 * A small sh wrapper runs the program, saves its stderr and exit code, then writes a marker with
 * the exit code on the line and keeps the pty open until we kill it. Bytes on a pty stay in order,
 * so once the marker is read every byte the program wrote has been read too. (Letting the pty close
 * when the program exits loses its last bytes now and then: the master can report EIO before it
 * has delivered what is still buffered.) After a hangup the marker cannot be written; the exit
 * code file is used then. socat sends SIGTERM to its child when it exits, so the wrapper ignores
 * it (the program installs its own handlers).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Step =
  /** Wait until the program has written these bytes (latin1), after what earlier steps matched. */
  | { expect: string }
  /** Write these bytes (latin1) to the program. */
  | { send: string }
  /** Pause, milliseconds. */
  | { delay: number }
  /** Close the line: the pty master goes away (reads and writes fail with EIO). */
  | { hangup: true }
  /** Send the program a signal. */
  | { signal: NodeJS.Signals };

export type Program = 'chat' | 'dialtone';

export interface Invocation {
  program: Program;
  /** Arguments after `chat` (`dialtone chat`). */
  args?: string[];
  /**
   * Alternatively, a shell script run with sh, in which every `/usr/sbin/chat` is replaced by the
   * program's command (so seed scripts such as ppp-on-dialer run unchanged).
   */
  shell?: string;
  env?: Record<string, string>;
  /** Files created in the working directory first (latin1 contents). */
  files?: Record<string, string>;
  steps: Step[];
  /** Give up (kill everything) after this long. */
  limitMs?: number;
}

export interface RunResult {
  /** Exit code; null if the run was killed at limitMs. */
  code: number | null;
  /** Every byte the program wrote to the line. */
  line: Buffer;
  stderr: Buffer;
  /** The working directory (files the program wrote are there). */
  dir: string;
  /** How many steps were completed. */
  stepsDone: number;
  elapsedMs: number;
}

export const REAL_CHAT = process.env.DIALTONE_REAL_CHAT ?? '/usr/sbin/chat';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DIALTONE_BIN = path.join(REPO_ROOT, 'bin', 'dialtone');

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function programCommand(p: Program): string {
  return p === 'chat' ? shq(REAL_CHAT) : `${shq(process.execPath)} ${shq(DIALTONE_BIN)} chat`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runOnPty(inv: Invocation): Promise<RunResult> {
  const t0 = Date.now();
  const limitMs = inv.limitMs ?? 20000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chatconf-${inv.program}-`));
  for (const [name, content] of Object.entries(inv.files ?? {})) {
    fs.writeFileSync(path.join(dir, name), Buffer.from(content, 'latin1'));
  }
  let command: string;
  if (inv.shell !== undefined) {
    const script = inv.shell.split('/usr/sbin/chat').join(programCommand(inv.program));
    fs.writeFileSync(path.join(dir, 'script.sh'), script);
    command = `sh ./script.sh`;
  } else {
    command = `${programCommand(inv.program)} ${(inv.args ?? []).map(shq).join(' ')}`;
  }
  const token = randomBytes(8).toString('hex');
  const markerRe = new RegExp(`@@chatconf-${token}-rc=(\\d+)@@`);
  const wrapper = path.join(dir, 'run.sh');
  fs.writeFileSync(
    wrapper,
    // The program runs in the background so that its pid is known; a background command's stdin
    // would be /dev/null, hence the explicit redirection from a saved copy of the pty.
    `#!/bin/sh\ntrap '' TERM HUP\ncd ${shq(dir)}\nexec 3<&0\n${command} 0<&3 3<&- 2>stderr.out &\necho $! >pid.out\n` +
      `wait $!\nrc=$?\necho $rc >rc.tmp\nmv rc.tmp rc.out\n` +
      `printf '@@chatconf-%s-rc=%s@@' ${token} "$rc"\nexec sleep 60\n`,
    { mode: 0o755 },
  );

  const child = spawn('socat', ['-t0.05', 'STDIO', `EXEC:${wrapper},pty,rawer`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C', ...(inv.env ?? {}) },
  });
  let line = Buffer.alloc(0);
  let socatErr = '';
  let socatDone = false;
  /** Exit code from the marker, once it has been read. */
  let marked: number | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  child.stdout.on('data', (d: Buffer) => {
    line = Buffer.concat([line, d]);
    const m = markerRe.exec(line.toString('latin1'));
    if (m && marked === undefined) {
      marked = Number(m[1]);
      line = line.subarray(0, m.index);
    }
    notify();
  });
  child.stderr.on('data', (d: Buffer) => (socatErr += d.toString()));
  child.stdin.on('error', () => {
    // the program may be gone before we write
  });
  const socatExit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      socatDone = true;
      notify();
      resolve();
    });
    child.on('error', (e) => {
      socatErr += String(e);
      socatDone = true;
      notify();
      resolve();
    });
  });
  const deadline = t0 + limitMs;
  const waitEvent = (ms: number): Promise<void> =>
    new Promise((r) => {
      const t = setTimeout(() => {
        wake = undefined;
        r();
      }, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  let cursor = 0;
  let stepsDone = 0;
  steps: for (const step of inv.steps) {
    if ('expect' in step) {
      const want = Buffer.from(step.expect, 'latin1');
      for (;;) {
        const at = line.indexOf(want, cursor);
        if (at >= 0) {
          cursor = at + want.length;
          break;
        }
        if (socatDone || marked !== undefined || Date.now() >= deadline) break steps;
        await waitEvent(Math.max(1, deadline - Date.now()));
      }
    } else if ('send' in step) {
      if (socatDone || marked !== undefined) break;
      child.stdin.write(Buffer.from(step.send, 'latin1'));
    } else if ('delay' in step) {
      await sleep(step.delay);
    } else if ('signal' in step) {
      const pidFile = path.join(dir, 'pid.out');
      while (!fs.existsSync(pidFile) && Date.now() < deadline) await sleep(5);
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), step.signal);
      } catch {
        // already gone
      }
    } else {
      child.stdin.end();
    }
    stepsDone++;
  }

  // The program exits on its own (success, failure, timeout) or is killed at the limit.
  const rcFile = path.join(dir, 'rc.out');
  let code: number | null = null;
  let rcSeenAt: number | undefined;
  for (;;) {
    if (marked !== undefined) {
      code = marked;
      break;
    }
    if (rcSeenAt === undefined && fs.existsSync(rcFile)) rcSeenAt = Date.now();
    // No marker can come through a line that has been hung up (socat gone): use the file.
    if (rcSeenAt !== undefined && (socatDone || Date.now() - rcSeenAt > 3000)) {
      code = Number(fs.readFileSync(rcFile, 'utf8').trim());
      break;
    }
    if (Date.now() >= deadline) break;
    await waitEvent(10);
  }
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await socatExit;
  const stderrFile = path.join(dir, 'stderr.out');
  const stderr = fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile) : Buffer.alloc(0);
  if (code === null && socatErr) process.stderr.write(`socat: ${socatErr}\n`);
  return { code, line, stderr, dir, stepsDone, elapsedMs: Date.now() - t0 };
}

/** Modem conversation helpers (Hayes-style: command echoed, result code framed in CR LF). */
export const modem = {
  /** Wait for `cmd` + CR, then echo it and answer `result`. */
  at(cmd: string, result = 'OK', echo = true): Step[] {
    return [{ expect: cmd + '\r' }, { send: (echo ? cmd + '\r' : '') + `\r\n${result}\r\n` }];
  },
};
