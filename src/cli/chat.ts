/**
 * `dialtone chat`: chat(8) on stdin/stdout, driving the sans-IO engine of src/chat/.
 *
 * Where this differs from /usr/sbin/chat, on purpose:
 * - Logging. chat sends its log lines to syslog (facility local2, LOG_INFO only with -v, LOG_ERR
 *   always) unless -S, and also to stderr with -s. dialtone has no syslog: the lines chat would
 *   give syslog are written to stderr instead, with the same filter (so `chat -v` behaves like
 *   `chat -v -s` here); -s writes each line once; -S without -s writes none.
 * - The line need not be a terminal. chat exits 2 ("Can't get terminal parameters") on a pipe;
 *   dialtone accepts pipes and sockets so that it can be driven by other programs and tests. On a
 *   terminal it sets the line up exactly as chat's set_tty_parameters() does (chat.c): input
 *   flags kept plus IGNBRK ISTRIP IGNPAR, c_oflag = 0 (no output processing: the script's bytes
 *   go out as they are, `AT\r` and never `AT\r\n`), c_lflag = 0 (no canonical mode, echo or
 *   signals), VERASE and VKILL off, VMIN 1, VTIME 0; and it restores the saved settings at the
 *   end, as chat does. Node cannot set termios itself (tty.ReadStream.setRawMode is libuv's raw
 *   mode, which clears ICRNL/IXON where chat leaves them and keeps OPOST|ONLCR), so this runs
 *   `stty` on the terminal; without stty it falls back to setRawMode.
 * - BREAK (\K) is a no-op: Node has no tcsendbreak(). chat's is a no-op on a pty too.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ChatEngine, type ChatAction, type ChatSignal, type FileResult } from '../chat/engine.js';
import { argToBinary } from '../chat/escapes.js';
import { parseCommandLine, toEngineOptions, USAGE_TEXT, type ChatCommandLine } from '../chat/options.js';
import { parseChatFile, type ChatScript } from '../chat/script.js';
import { DeadlineTimer } from '../runtime/deadline-timer.js';
import { strerror } from '../runtime/strerror.js';

/**
 * chat.c set_tty_parameters() as stty words: `t.c_iflag |= IGNBRK | ISTRIP | IGNPAR;
 * t.c_oflag = 0; t.c_lflag = 0; t.c_cc[VERASE] = t.c_cc[VKILL] = 0; t.c_cc[VMIN] = 1;
 * t.c_cc[VTIME] = 0;` Every c_oflag and c_lflag bit GNU stty knows is listed, cleared.
 */
export const CHAT_STTY = [
  'ignbrk', 'istrip', 'ignpar',
  '-opost', '-olcuc', '-ocrnl', '-onlcr', '-onocr', '-onlret', '-ofill', '-ofdel', 'nl0', 'cr0', 'tab0', 'bs0', 'vt0', 'ff0',
  '-isig', '-icanon', '-iexten', '-echo', '-echoe', '-echok', '-echonl', '-noflsh', '-xcase', '-tostop', '-echoprt', '-echoctl', '-echoke', '-flusho', '-extproc',
  'erase', 'undef', 'kill', 'undef', 'min', '1', 'time', '0',
];

/** Terminal settings through stty on fd 0 (chat's line); undefined if stty is unusable. */
export interface TtyControl {
  /** Save the settings (stty -g) and set chat's; throws with stty's message on failure. */
  set(): void;
  /** Put the saved settings back; throws on failure. */
  restore(): void;
}

function sttyOnStdin(): TtyControl | undefined {
  const run = (args: string[]): string => {
    const r = spawnSync('stty', args, { stdio: [0, 'pipe', 'pipe'], encoding: 'latin1' });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(String(r.stderr).trim() || `stty exited ${r.status}`);
    return String(r.stdout).trim();
  };
  let saved: string | undefined;
  try {
    saved = run(['-g']);
  } catch {
    return undefined; // no stty (or not a terminal it can read): use setRawMode
  }
  return {
    set: () => void run(CHAT_STTY),
    restore: () => void run([saved!]),
  };
}

/** The process resources `run` uses; tests may replace any of them. */
export interface ChatIO {
  /** The line, input side. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Write to the line (output side); throw on failure (the error's code picks the message). */
  writeLine(data: Uint8Array): void;
  writeStderr(data: Uint8Array): void;
  env: Record<string, string | undefined>;
  /** Milliseconds; only differences matter, except that REPORT stamps read it as epoch time. */
  now(): number;
  /** Process signals to watch; false in tests that must not touch the real process. */
  handleSignals: boolean;
}

/** glibc's strerror() text for the errors chat can report. */

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));

/** write(2) all of `data` to `fd`, riding out EAGAIN on a descriptor someone made non-blocking. */
function writeAllSync(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(sleepBuffer, 0, 0, 1);
    }
  }
}

function defaultIO(): ChatIO {
  return {
    stdin: process.stdin,
    writeLine: (d) => writeAllSync(1, d),
    writeStderr: (d) => {
      try {
        writeAllSync(2, d);
      } catch {
        // chat ignores failed writes to stderr too
      }
    },
    env: process.env,
    now: () => performance.timeOrigin + performance.now(),
    handleSignals: true,
  };
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Read an @file as chat does: at most 1023 bytes (it may be a FIFO, so read, don't stat). */
function readSendFile(path: string): FileResult {
  let fd: number | undefined;
  try {
    fd = fs.openSync(latin1(path), 'r');
    const buf = Buffer.alloc(1023);
    let n = 0;
    while (n < buf.length) {
      const r = fs.readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return { data: buf.subarray(0, n) };
  } catch (e) {
    return { error: strerror(e) };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Close fds 0 and 1 (and 2 when it is the same terminal) once the line has hung up. */
function closeDeadTerminal(): void {
  let lineDev: number | undefined;
  try {
    lineDev = fs.fstatSync(0).rdev;
  } catch {
    // already closed
  }
  const fds = [0, 1];
  try {
    if (lineDev !== undefined && fs.fstatSync(2).rdev === lineDev) fds.push(2);
  } catch {
    // no stderr
  }
  for (const fd of fds) {
    try {
      fs.closeSync(fd);
    } catch {
      // not open
    }
  }
}

function loadScript(cmd: ChatCommandLine): ChatScript {
  if (cmd.chatFile === undefined) return { words: cmd.words.map(argToBinary) };
  try {
    return parseChatFile(fs.readFileSync(cmd.chatFile).toString('latin1'));
  } catch (e) {
    // chat's fopen() of a directory succeeds and its first fgets() fails: an empty script.
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') return { words: [] };
    return { words: [], error: { code: 1, message: `${argToBinary(cmd.chatFile)} -- open failed: ${strerror(e)}` } };
  }
}

export async function run(args: string[], ioOverrides: Partial<ChatIO> = {}): Promise<number> {
  const io: ChatIO = { ...defaultIO(), ...ioOverrides };
  const parsed = parseCommandLine(args);
  if (!parsed.ok) {
    io.writeStderr(latin1(USAGE_TEXT('dialtone chat')));
    return 1;
  }
  const cmd = parsed.cmd;

  // -r: chat opens (appends to) each report file while parsing the options, closing the one
  // before; a file that cannot be opened leaves the reports on stderr.
  let reportFd: number | undefined;
  for (const r of cmd.reportFiles) {
    if (reportFd !== undefined) fs.closeSync(reportFd);
    reportFd = undefined;
    try {
      reportFd = fs.openSync(r.path, 'a');
      if (r.verboseWhenOpened) fs.writeSync(reportFd, latin1(`Opening "${argToBinary(r.path)}"...\n`));
    } catch {
      reportFd = undefined;
    }
  }
  const log = (level: 'info' | 'error', message: string): void => {
    // See the header: stderr stands in for syslog, whose mask passes LOG_INFO only with -v.
    const viaSyslog = cmd.toSyslog && (level === 'error' || cmd.verbose);
    if (cmd.toStderr || viaSyslog) io.writeStderr(latin1(message + '\n'));
  };

  const engine = new ChatEngine(loadScript(cmd), toEngineOptions(cmd, io.env));

  const stdin = io.stdin;
  const isTTY = !!stdin.isTTY && typeof stdin.setRawMode === 'function';
  const stty = isTTY && stdin === process.stdin ? sttyOnStdin() : undefined;
  if (isTTY) {
    try {
      if (stty) stty.set();
      else stdin.setRawMode!(true);
    } catch (e) {
      log('error', `Can't set terminal parameters: ${strerror(e)}`);
      return 2;
    }
  }

  return new Promise<number>((resolve) => {
    const timer = new DeadlineTimer(() => {
      engine.tick(io.now());
      pump();
    }, () => io.now());
    let finished = false;
    let lineDead = false;

    const onData = (d: Buffer | string): void => {
      engine.input(typeof d === 'string' ? latin1(d) : d, io.now());
      pump();
    };
    // A pty whose other side has gone, or a terminal that hung up, fails chat's read() with EIO
    // (silently, where a pipe's end of file is logged); Node reports both as the end of the stream.
    const onEnd = (): void => {
      if (isTTY) lineDead = true;
      engine.end(io.now(), isTTY ? 'error' : 'eof');
      pump();
    };
    const onError = (): void => {
      if (isTTY) lineDead = true;
      engine.end(io.now(), 'error');
      pump();
    };
    const signals: ChatSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const onSignal = (sig: ChatSignal): void => {
      engine.signal(sig, io.now());
      pump();
    };

    const finish = (code: number): void => {
      finished = true;
      timer.stop();
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.removeListener('error', onError);
      if (io.handleSignals) for (const s of signals) process.removeListener(s, onSignal);
      if (reportFd !== undefined) fs.closeSync(reportFd);
      if (isTTY) {
        if (lineDead) {
          // chat's tcsetattr() on a hung-up terminal fails with EIO, which it reports as fatal.
          log('error', "Can't restore terminal parameters: Input/output error");
          code = 2;
        } else {
          try {
            if (stty) stty.restore();
            else stdin.setRawMode!(false);
          } catch (e) {
            log('error', `Can't restore terminal parameters: ${strerror(e)}`);
            code = 2;
          }
        }
      }
      stdin.pause();
      if (stdin === process.stdin) {
        process.stdin.destroy();
        // Node restores the terminal modes of fds 0-2 at exit and aborts (an assertion) if that
        // fails, as it does on a hung-up terminal; a closed descriptor is skipped.
        if (lineDead) closeDeadTerminal();
      }
      resolve(code);
    };

    const perform = (a: ChatAction): void => {
      switch (a.type) {
        case 'send':
          try {
            io.writeLine(a.data);
          } catch (e) {
            if (isTTY) lineDead = true;
            engine.writeFailed(strerror(e), io.now());
          }
          break;
        case 'break':
          break; // see the header
        case 'log':
          log(a.level, a.message);
          break;
        case 'echo':
        case 'say':
          io.writeStderr(a.data);
          break;
        case 'report':
          if (reportFd !== undefined) fs.writeSync(reportFd, a.data);
          else io.writeStderr(a.data);
          break;
        case 'readFile':
          engine.fileData(readSendFile(a.path), io.now());
          break;
        case 'hangup':
          break; // the engine remembers; onSignal asks it
        case 'done':
          finish(a.code);
          break;
      }
    };

    const pump = (): void => {
      if (finished) return;
      for (let a = engine.takeAction(); a; a = engine.takeAction()) {
        perform(a);
        if (finished) return;
      }
      timer.arm(engine.nextDeadline());
    };

    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    if (io.handleSignals) for (const s of signals) process.on(s, onSignal);
    engine.start(io.now());
    pump();
  });
}
