/**
 * The chat(8) expect/send machine, sans-IO.
 *
 * The engine never touches a clock, a timer, a file or a stream. The caller feeds it what happened
 * (bytes read from the line, the line closing, time passing, a signal, the content of an @file)
 * together with the current time in milliseconds, and drains the resulting actions with poll():
 * bytes to write to the line, log lines, SAY/echo output, report lines, a file to read, the end.
 * `nextDeadline()` says when the engine next needs `tick()` if nothing else happens.
 *
 *   const e = new ChatEngine(['ABORT', 'BUSY', '', 'ATZ', 'OK', 'ATDT5551212', 'CONNECT', ''], { verbose: true });
 *   e.start(now);
 *   loop:
 *     for (let a = e.takeAction(); a; a = e.takeAction()) perform(a);   // 'done' carries the exit code
 *     wait for line input, the line's end or e.nextDeadline();
 *     e.input(bytes, now) | e.end(now, 'eof' | 'error') | e.tick(now)
 *   and when they happen: e.fileData(...) for a readFile action, e.writeFailed(msg, now) when a
 *   send could not be written, e.signal('SIGINT' | 'SIGTERM' | 'SIGHUP', now).
 *
 * Script words (and all strings here) are binary strings, one char per byte; a chat file is turned
 * into words by parseChatFile(), which also carries a syntax error to raise at the right point.
 *
 * Time is the engine's own cursor: each action happens at the time chat would do it (one byte
 * every 10 ms while sending, 1 s for \d, the alarm `timeout` seconds after an expect starts), so a
 * virtual clock gives reproducible runs and a late tick() only makes the output late, not different.
 *
 * Internally the script runs as a generator that reads like chat.c's main loop: it yields when it
 * must wait (for a byte with an optional deadline, for a time, for a file) and the driver resumes
 * it when the wait is over.
 */
import { atoi, character, clean, cString, visible, type CleanContext } from './escapes.js';
import { splitSubexpects, type ChatScript } from './script.js';

/** chat's DEFAULT_CHAT_TIMEOUT, seconds. */
export const DEFAULT_TIMEOUT = 45;
const MAX_ABORTS = 50;
const MAX_REPORTS = 50;
/** chat's STR_LEN: the receive window and the longest expect string. */
const STR_LEN = 1024;
/** chat's fail_buffer: ABORT/REPORT strings must be shorter than this. */
const FAIL_BUFFER = 50;
/** chat's report_buffer. */
const REPORT_BUFFER = 256;
/** chat's msgf() line buffer (messages are cut at 1023 bytes). */
const LINE_LEN = 1024;
/** chat reads at most STR_LEN - 1 bytes of an @file. */
const FILE_MAX = STR_LEN - 1;

export interface ChatEngineOptions {
  /** -v: log the conversation (log actions). */
  verbose?: boolean;
  /** -V: copy received characters to stderr (echo actions). */
  stderrVerbose?: boolean;
  /** -e: start with ECHO ON. */
  echo?: boolean;
  /** -E: $NAME substitution from `env`. */
  useEnv?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * -t: seconds for each expect (and each send). Default 45. As with chat's -t (unlike the TIMEOUT
   * keyword, which maps <= 0 to 45), 0 or less means no alarm at all.
   */
  timeout?: number;
  /** -T / -U, as binary strings (one char per byte). */
  phone?: string;
  phone2?: string;
  /** -r: the report file's name; only used for the verbose `Closing "file".` line. */
  reportFile?: string;
  /** Delay before each byte written (chat: usleep(10000)). Set 0 to write a send at once. */
  charDelayMs?: number;
  /** \d (chat: sleep(1)). */
  delayMs?: number;
  /** \p (chat: usleep(10000); the man page's "1/10th of a second" is not what the code does). */
  pauseMs?: number;
  /**
   * The "%b %d %H:%M:%S " stamp put before a REPORT line, for engine time `now`. Default: `now`
   * taken as Unix epoch milliseconds, formatted in local time like chat's strftime in the C locale.
   */
  formatTime?: (now: number) => string;
}

export type ChatAction =
  /** Write these bytes to the line. */
  | { type: 'send'; data: Uint8Array }
  /** Send a break on the line (chat: tcsendbreak(0, 0); a no-op on a pty). */
  | { type: 'break' }
  /**
   * A log line without its newline, as a binary string. level 'info' is chat's msgf() (syslog
   * LOG_INFO, which chat's log mask only lets through with -v), 'error' is fatal() (LOG_ERR).
   * Both go to stderr with -s.
   */
  | { type: 'log'; level: 'info' | 'error'; message: string }
  /** Bytes chat writes straight to stderr: ECHO/-e and -V copies of received characters. */
  | { type: 'echo'; data: Uint8Array }
  /** A SAY string, written to stderr as is. */
  | { type: 'say'; data: Uint8Array }
  /** Bytes for the report file (-r), or stderr without one. */
  | { type: 'report'; data: Uint8Array }
  /** Read an @file (path as a binary string) and answer with fileData(). */
  | { type: 'readFile'; path: string }
  /** HANGUP ON/OFF: whether a SIGHUP (carrier loss) should now end chat. */
  | { type: 'hangup'; enabled: boolean }
  /** chat exits with this code; nothing follows. */
  | { type: 'done'; code: number };

/** How the line ended: 'eof' is read() returning 0 (a pipe; chat logs a warning), 'error' is -1. */
export type LineEnd = 'eof' | 'error';

/** The answer to a readFile action. */
export type FileResult = { data: Uint8Array } | { error: string };

export type ChatSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

type Wait =
  | { kind: 'until'; at: number }
  /** Until the caller has taken every queued action (so a failed write is known in time). */
  | { kind: 'flush' }
  | { kind: 'read'; deadline: number | undefined }
  | { kind: 'file'; path: string };
/** 'again': the read found nothing while stdin was left non-blocking (EAGAIN). */
type ReadResult = number | 'timeout' | 'again' | LineEnd;
type Resume = ReadResult | FileResult | undefined;
type Machine = Generator<Wait, void, Resume>;

/** Thrown through the generator by terminate(): chat's exit(). */
class Exit {
  constructor(readonly code: number) {}
}

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);
const isCntrl = (c: number): boolean => c < 32 || c === 127;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime("%b %d %H:%M:%S ") in local time, C locale. */
export function chatTimestamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[date.getMonth()]} ${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())} `;
}

export class ChatEngine {
  private readonly script: ChatScript;
  private readonly verbose: boolean;
  private readonly stderrVerbose: boolean;
  private readonly ctx: CleanContext;
  private readonly charDelay: number;
  private readonly delay: number;
  private readonly pause: number;
  private readonly reportFile: string | undefined;
  private readonly formatTime: (now: number) => string;

  // chat's globals
  private echo: boolean;
  private timeout: number;
  private aborts: string[] = [];
  private reports: Array<string | null> = [];
  private reportGathering = false;
  private reportBuffer = '';
  private abortNext = false;
  private clearAbortNext = false;
  private reportNext = false;
  private clearReportNext = false;
  private timeoutNext = false;
  private echoNext = false;
  private sayNext = false;
  private hupNext = false;
  private hupEnabled = true;
  private exitCode = 0;
  private failReason: string | undefined;
  private needLf = false;
  private terminating = false;
  /**
   * chat's SIGALRM handler puts stdin in O_NONBLOCK mode so that a read restarted after the
   * signal returns; only a failed read turns it off again. An alarm during a send therefore leaves
   * it on, and the next expect fails as soon as it finds no buffered input.
   */
  private nonblocking = false;

  // driver state
  private now = 0;
  private started = false;
  private machine: Machine | undefined;
  private waiting: Wait | undefined;
  private readonly queue: number[] = [];
  private queueHead = 0;
  private lineEnd: LineEnd | undefined;
  private fileResult: FileResult | undefined;
  private readonly actions: ChatAction[] = [];
  private code: number | undefined;

  constructor(script: ChatScript | readonly string[], options: ChatEngineOptions = {}) {
    this.script = Array.isArray(script) ? { words: [...script] } : (script as ChatScript);
    this.verbose = !!options.verbose;
    this.stderrVerbose = !!options.stderrVerbose;
    this.echo = !!options.echo;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.ctx = { useEnv: !!options.useEnv, env: options.env ?? {}, phone: options.phone, phone2: options.phone2 };
    this.charDelay = options.charDelayMs ?? 10;
    this.delay = options.delayMs ?? 1000;
    this.pause = options.pauseMs ?? 10;
    this.reportFile = options.reportFile;
    this.formatTime = options.formatTime ?? ((now) => chatTimestamp(new Date(now)));
  }

  // ---------------------------------------------------------------- public API

  /** Begin running the script at time `now`. */
  start(now: number): void {
    if (this.started) return;
    this.started = true;
    this.now = now;
    this.machine = this.main();
    this.waiting = undefined;
    this.step(undefined);
    this.run(now);
  }

  /** Bytes read from the line at time `now`. */
  input(data: Uint8Array, now: number): void {
    this.run(now);
    for (const b of data) this.queue.push(b);
    this.advanceTo(now);
    this.run(now);
  }

  /** The line can no longer be read (end of file or read error) as of `now`. */
  end(now: number, how: LineEnd = 'eof'): void {
    this.run(now);
    this.lineEnd ??= how;
    this.advanceTo(now);
    this.run(now);
  }

  /** Let time pass up to `now`. */
  tick(now: number): void {
    this.run(now);
    this.advanceTo(now);
  }

  /** Answer to the last readFile action. */
  fileData(result: FileResult, now: number): void {
    this.advanceTo(now);
    this.fileResult = result;
    this.run(now);
  }

  /** Writing to the line failed (e.g. EIO after a hangup): chat gives up with exit code 1. */
  writeFailed(message: string, now: number): void {
    if (this.code !== undefined) return;
    // No run() first: the failed write is the machine's latest step (it waits in 'flush').
    this.advanceTo(now);
    const self = this;
    this.replaceMachine(
      (function* (): Machine {
        if (self.verbose) self.msgf(` -- write failed: ${message}`);
        yield* self.fatal(1, 'Failed');
      })(),
    );
    this.run(now);
  }

  /** A signal arrived. SIGHUP is ignored after HANGUP OFF; otherwise chat exits with code 2. */
  signal(sig: ChatSignal, now: number): void {
    if (this.code !== undefined) return;
    this.advanceTo(now);
    if (sig === 'SIGHUP' && !this.hupEnabled) return;
    if (this.terminating || !this.started) {
      // chat's terminate() is not re-entered: a second exit path exits at once.
      this.finish(2);
      return;
    }
    const self = this;
    this.replaceMachine(
      (function* (): Machine {
        yield* self.fatal(2, sig);
      })(),
    );
    this.run(now);
  }

  /**
   * The next action, or undefined when there is nothing to do until more input or time. Perform
   * each action before polling the next: the end of a send waits for its bytes to be taken, so
   * that a write error reported with writeFailed() stops chat where chat would stop.
   */
  takeAction(): ChatAction | undefined {
    if (this.actions.length === 0 && this.waiting?.kind === 'flush') this.run(this.now);
    return this.actions.shift();
  }

  /** All pending actions (call again until it returns none, performing each batch first). */
  drain(): ChatAction[] {
    if (this.actions.length === 0 && this.waiting?.kind === 'flush') this.run(this.now);
    return this.actions.splice(0, this.actions.length);
  }

  /** When tick() is next needed (ms), or undefined if only input (or a fileData answer) can help. */
  nextDeadline(): number | undefined {
    if (this.code !== undefined || !this.waiting) return undefined;
    switch (this.waiting.kind) {
      case 'until':
        return this.waiting.at;
      case 'read':
        return this.waiting.deadline;
      case 'flush':
        return this.now;
      case 'file':
        return undefined;
    }
  }

  /** The exit code once the script has ended. */
  get exitStatus(): number | undefined {
    return this.code;
  }

  get finished(): boolean {
    return this.code !== undefined;
  }

  /** Whether a SIGHUP would end chat (HANGUP ON, the default). */
  get hangupEnabled(): boolean {
    return this.hupEnabled;
  }

  // ---------------------------------------------------------------- driver

  private advanceTo(now: number): void {
    if (now > this.now) this.now = now;
  }

  private replaceMachine(m: Machine): void {
    try {
      this.machine?.return(undefined);
    } catch {
      // an Exit thrown from a finally block of the old machine is irrelevant now
    }
    this.machine = m;
    this.waiting = undefined;
    this.step(undefined);
  }

  private step(value: Resume): void {
    if (!this.machine || this.code !== undefined) return;
    try {
      const r = this.machine.next(value);
      if (r.done) {
        this.finish(0);
      } else {
        this.waiting = r.value;
        if (r.value.kind === 'file') this.emit({ type: 'readFile', path: r.value.path });
      }
    } catch (e) {
      if (e instanceof Exit) this.finish(e.code);
      else throw e;
    }
  }

  private finish(code: number): void {
    if (this.code !== undefined) return;
    this.code = code;
    this.machine = undefined;
    this.waiting = undefined;
    this.emit({ type: 'done', code });
  }

  /** Resume the machine for every wait that is over by `limit`. */
  private run(limit: number): void {
    while (this.code === undefined && this.machine && this.waiting) {
      const w = this.waiting;
      let value: Resume;
      if (w.kind === 'until') {
        if (w.at > limit) return;
        if (w.at > this.now) this.now = w.at;
        value = undefined;
      } else if (w.kind === 'read') {
        if (this.queueHead < this.queue.length) {
          value = this.queue[this.queueHead++]!;
          if (this.queueHead > 4096) {
            this.queue.splice(0, this.queueHead);
            this.queueHead = 0;
          }
        } else if (this.lineEnd) {
          value = this.lineEnd;
        } else if (this.nonblocking) {
          value = 'again';
        } else if (w.deadline !== undefined && w.deadline <= limit) {
          if (w.deadline > this.now) this.now = w.deadline;
          value = 'timeout';
        } else {
          return;
        }
      } else if (w.kind === 'flush') {
        if (this.actions.length > 0) return;
        value = undefined;
      } else {
        if (!this.fileResult) return;
        value = this.fileResult;
        this.fileResult = undefined;
      }
      this.step(value);
    }
  }

  private emit(a: ChatAction): void {
    const last = this.actions[this.actions.length - 1];
    // Adjacent writes of the same kind are merged; order between kinds is kept.
    if (last && (a.type === 'send' || a.type === 'echo') && last.type === a.type) {
      const merged = new Uint8Array(last.data.length + a.data.length);
      merged.set(last.data);
      merged.set(a.data, last.data.length);
      last.data = merged;
      return;
    }
    this.actions.push(a);
  }

  // ---------------------------------------------------------------- chat.c, as generators

  private msgf(message: string, level: 'info' | 'error' = 'info'): void {
    this.emit({ type: 'log', level, message: message.slice(0, LINE_LEN - 1) });
  }

  private *fatal(code: number, message: string): Generator<Wait, never, Resume> {
    this.msgf(message, 'error');
    return yield* this.terminate(code);
  }

  /** The alarm for an expect or a send, `timeout` seconds from now (none for -t 0 or less). */
  private alarmTime(): number | undefined {
    return this.timeout > 0 ? this.now + this.timeout * 1000 : undefined;
  }

  private *main(): Machine {
    const words = this.script.words;
    let i = 0;
    while (i < words.length) {
      yield* this.chatExpect(words[i++]!);
      if (i < words.length) yield* this.chatSend(words[i++]!);
    }
    if (this.script.error) yield* this.fatal(this.script.error.code, this.script.error.message);
    yield* this.terminate(0);
  }

  private *terminate(code: number): Generator<Wait, never, Resume> {
    if (this.terminating) throw new Exit(code);
    this.terminating = true;
    this.echoStderr(-1);
    if (this.reportGathering) {
      // chat waits up to a second per character for the rest of the report line.
      let buf = this.reportBuffer;
      while (buf.length + 1 <= REPORT_BUFFER) {
        const c = yield* this.getChar(this.now + 1000);
        if (c === undefined || isCntrl(c)) break;
        buf += String.fromCharCode(c);
      }
      this.reportGathering = false;
      this.emit({ type: 'report', data: bytes(`chat:  ${buf}\n`) });
    }
    if (this.reportFile !== undefined && this.verbose) {
      this.emit({ type: 'report', data: bytes(`Closing "${this.reportFile}".\n`) });
    }
    throw new Exit(code);
  }

  private *chatExpect(s: string): Generator<Wait, void, Resume> {
    switch (s) {
      case 'HANGUP':
        this.hupNext = true;
        return;
      case 'ABORT':
        this.abortNext = true;
        return;
      case 'CLR_ABORT':
        this.clearAbortNext = true;
        return;
      case 'REPORT':
        this.reportNext = true;
        return;
      case 'CLR_REPORT':
        this.clearReportNext = true;
        return;
      case 'TIMEOUT':
        this.timeoutNext = true;
        return;
      case 'ECHO':
        this.echoNext = true;
        return;
      case 'SAY':
        this.sayNext = true;
        return;
    }
    const parts = splitSubexpects(s);
    let k = 0;
    for (;;) {
      const expect = parts[k++];
      if (expect === undefined) return;
      const reply = parts[k++];
      if (yield* this.getString(expect)) return;
      // Only a timeout moves on to the sub-send; an ABORT or a bad string is final.
      if (reply === undefined || this.exitCode !== 3) break;
      yield* this.chatSend(reply);
    }
    this.msgf(this.failReason !== undefined ? `Failed (${this.failReason})` : 'Failed');
    yield* this.terminate(this.exitCode);
  }

  private *chatSend(s: string): Generator<Wait, void, Resume> {
    if (this.sayNext) {
      this.sayNext = false;
      this.emit({ type: 'say', data: bytes(cString(clean(s, true, this.ctx).text)) });
      return;
    }
    if (this.hupNext) {
      this.hupNext = false;
      this.hupEnabled = s !== 'OFF';
      this.emit({ type: 'hangup', enabled: this.hupEnabled });
      return;
    }
    if (this.echoNext) {
      this.echoNext = false;
      this.echo = s === 'ON';
      return;
    }
    if (this.abortNext) {
      this.abortNext = false;
      if (this.aborts.length >= MAX_ABORTS) yield* this.fatal(2, 'Too many ABORT strings');
      const s1 = this.cleanPattern(s);
      if (s1 === undefined) yield* this.fatal(1, `Illegal or too-long ABORT string ('${visible(s)}')`);
      this.aborts.push(s1!);
      if (this.verbose) this.msgf(`abort on (${visible(s)})`);
      return;
    }
    if (this.clearAbortNext) {
      this.clearAbortNext = false;
      const s1 = this.cleanPattern(s);
      if (s1 === undefined) yield* this.fatal(1, `Illegal or too-long CLR_ABORT string ('${visible(s)}')`);
      this.aborts = this.clearMatching(this.aborts, s1!, `clear abort on (${visible(s)})`) as string[];
      return;
    }
    if (this.reportNext) {
      this.reportNext = false;
      if (this.reports.length >= MAX_REPORTS) yield* this.fatal(2, 'Too many REPORT strings');
      const s1 = this.cleanPattern(s);
      if (s1 === undefined) yield* this.fatal(1, `Illegal or too-long REPORT string ('${visible(s)}')`);
      this.reports.push(s1!);
      if (this.verbose) this.msgf(`report (${visible(s)})`);
      return;
    }
    if (this.clearReportNext) {
      this.clearReportNext = false;
      const s1 = this.cleanPattern(s);
      // (chat uses the REPORT wording here too)
      if (s1 === undefined) yield* this.fatal(1, `Illegal or too-long REPORT string ('${visible(s)}')`);
      this.reports = this.clearMatching(this.reports, s1!, `clear report (${visible(s)})`);
      return;
    }
    if (this.timeoutNext) {
      this.timeoutNext = false;
      this.timeout = atoi(clean(s, false, this.ctx).text);
      if (this.timeout <= 0) this.timeout = DEFAULT_TIMEOUT;
      if (this.verbose) this.msgf(`timeout set to ${this.timeout} seconds`);
      return;
    }
    if (s[0] === '@') {
      // @file: send the file's content (escapes in it are interpreted too).
      const fn = s.slice(1).replace(/^[ \t]+/, '');
      if (fn !== '') {
        const r = (yield { kind: 'file', path: fn }) as FileResult;
        if ('error' in r) yield* this.fatal(1, `${fn} -- open failed: ${r.error}`);
        let data = String.fromCharCode(...(r as { data: Uint8Array }).data.subarray(0, FILE_MAX));
        if (data.endsWith('\n')) data = data.slice(0, -1);
        s = cString(data);
      }
    }
    if (s === 'EOT') s = '^D\\c';
    else if (s === 'BREAK') s = '\\K\\c';
    if (!(yield* this.putString(s))) yield* this.fatal(1, 'Failed');
  }

  /** clean() an ABORT/REPORT argument; undefined when chat rejects it as illegal or too long. */
  private cleanPattern(s: string): string | undefined {
    const raw = cString(s);
    const s1 = clean(raw, false, this.ctx).text;
    if (s1.length > raw.length || s1.length + 1 > FAIL_BUFFER) return undefined;
    return s1;
  }

  /**
   * CLR_ABORT / CLR_REPORT, with chat's loop: the count shrinks as entries are removed, so with
   * duplicates the last ones may survive. The survivors are packed to the front, which renumbers
   * the ABORT exit codes.
   */
  private clearMatching<T extends string | null>(list: T[], s1: string, logLine: string): T[] {
    const arr: Array<T | null> = [...list];
    const oldMax = arr.length;
    let n = oldMax;
    for (let i = 0; i < n; i++) {
      // A REPORT that already fired is a NULL slot in chat (whose strcmp would crash on it).
      if (arr[i] !== null && arr[i] === s1) {
        arr[i] = null;
        n--;
        if (this.verbose) this.msgf(logLine);
      }
    }
    const packed = arr.filter((x) => x !== null) as T[];
    // chat keeps n entries; any extra NULL slots (fired reports) stay at the end.
    while (packed.length < n) packed.push(null as T);
    return packed.slice(0, Math.max(n, 0));
  }

  private echoStderr(n: number): void {
    if (n === 13) return;
    if (n === -1) {
      if (!this.needLf) return;
      n = 10;
    }
    if (n === 10) {
      this.emit({ type: 'echo', data: bytes('\n') });
      this.needLf = false;
      return;
    }
    this.emit({ type: 'echo', data: bytes(character(n)) });
    this.needLf = true;
  }

  /** chat's put_string(): log, then write with pacing under the alarm. */
  private *putString(raw: string): Generator<Wait, boolean, Resume> {
    const { text, quiet } = clean(raw, true, this.ctx);
    if (this.verbose) this.msgf(quiet ? 'send (??????)' : `send (${visible(text)})`);

    let nextAlarm = this.alarmTime();
    let alarmed = false;
    const fireAlarms = (t: number): void => {
      while (nextAlarm !== undefined && nextAlarm <= t) {
        alarmed = true;
        this.nonblocking = true;
        if (this.verbose) this.msgf('alarm');
        // chat's handler re-arms the alarm for one more second
        nextAlarm += 1000;
      }
    };
    // A sleep ends early when the alarm goes off during it.
    const sleepFor = function* (this: ChatEngine, ms: number): Generator<Wait, void, Resume> {
      let end = this.now + ms;
      if (nextAlarm !== undefined && nextAlarm < end) end = Math.max(nextAlarm, this.now);
      if (end > this.now) yield { kind: 'until', at: end };
      fireAlarms(this.now);
    };

    let wrote = false;
    let i = 0;
    while (i < text.length && text[i] !== '\0') {
      let c = text[i++]!;
      let op: 'write' | 'delay' | 'break' | 'pause' = 'write';
      if (c === '\\') {
        if (i >= text.length) break;
        c = text[i++]!;
        if (c === 'd') op = 'delay';
        else if (c === 'K') op = 'break';
        else if (c === 'p') op = 'pause';
      }
      fireAlarms(this.now);
      switch (op) {
        case 'delay':
          yield* sleepFor.call(this, this.delay);
          break;
        case 'pause':
          yield* sleepFor.call(this, this.pause);
          break;
        case 'break':
          this.emit({ type: 'break' });
          break;
        case 'write':
          // write_char() gives up if the alarm went off before it was called.
          if (alarmed) {
            if (this.verbose) this.msgf(' -- write timed out');
            return false;
          }
          yield* sleepFor.call(this, this.charDelay);
          this.emit({ type: 'send', data: Uint8Array.of(c.charCodeAt(0) & 0xff) });
          wrote = true;
          break;
      }
    }
    // chat's last write has returned before it goes on; wait until ours has been performed.
    if (wrote) yield { kind: 'flush' };
    return true;
  }

  /**
   * chat's get_char() as its callers use it: the next byte, parity bit stripped, or undefined
   * when the read ended (the alarm, end of file, an error), logged as chat logs it.
   */
  private *getChar(deadline: number | undefined): Generator<Wait, number | undefined, Resume> {
    const r = (yield { kind: 'read', deadline }) as ReadResult;
    if (typeof r !== 'number') this.nonblocking = false; // get_char() restores blocking mode
    if (r === 'timeout') {
      if (this.verbose) this.msgf('alarm');
      return undefined;
    }
    if (r === 'eof') {
      this.msgf('warning: read() on stdin returned 0');
      return undefined;
    }
    return typeof r === 'number' ? r & 0x7f : undefined;
  }

  /** chat's get_string(): wait for `raw`, watching ABORT and REPORT strings. */
  private *getString(raw: string): Generator<Wait, boolean, Resume> {
    this.failReason = undefined;
    const str = cString(clean(raw, false, this.ctx).text);
    const len = str.length;
    const minlen = Math.max(len, FAIL_BUFFER) - 1;
    if (this.verbose) this.msgf(`expect (${visible(str)})`);
    if (len > STR_LEN) {
      this.msgf('expect string is too long');
      this.exitCode = 1;
      return false;
    }
    if (len === 0) {
      if (this.verbose) this.msgf('got it');
      return true;
    }
    const deadline = this.alarmTime();
    // `win` is chat's temp[] buffer up to s; `logged` is how much of it the log has shown.
    let win = '';
    let logged = 0;
    const segment = (): string => visible(win.slice(logged), win.length - logged);

    for (;;) {
      const c = yield* this.getChar(deadline);
      if (c === undefined) break;

      if (this.echo) this.echoStderr(c);
      if (this.verbose && c === 10) {
        this.msgf(win.length === logged ? '' : segment());
        logged = win.length + 1;
      }
      win += String.fromCharCode(c);
      if (this.verbose && win.length >= logged + 80) {
        this.msgf(segment());
        logged = win.length;
      }
      if (this.stderrVerbose) {
        if (c === 10) this.emit({ type: 'echo', data: bytes('\n') });
        else if (c !== 13) this.emit({ type: 'echo', data: bytes(character(c)) });
      }

      if (!this.reportGathering) {
        for (let n = 0; n < this.reports.length; n++) {
          const rep = this.reports[n];
          if (rep != null && win.length >= rep.length && win.endsWith(rep)) {
            this.reportBuffer = this.formatTime(this.now).slice(0, 19) + rep;
            this.reports[n] = null; // a REPORT string fires once
            this.reportGathering = true;
            break;
          }
        }
      } else if (!isCntrl(c)) {
        if (this.reportBuffer.length + 1 < REPORT_BUFFER) this.reportBuffer += String.fromCharCode(c);
      } else {
        this.reportGathering = false;
        this.emit({ type: 'report', data: bytes(`chat:  ${this.reportBuffer}\n`) });
      }

      if (win.length >= len && win.endsWith(str)) {
        if (this.verbose) {
          if (win.length > logged) this.msgf(segment());
          this.msgf(' -- got it\n');
        }
        return true;
      }

      for (let n = 0; n < this.aborts.length; n++) {
        const a = this.aborts[n]!;
        if (win.length >= a.length && win.endsWith(a)) {
          if (this.verbose) {
            if (win.length > logged) this.msgf(segment());
            this.msgf(' -- failed');
          }
          this.exitCode = n + 4;
          this.failReason = a;
          return false;
        }
      }

      if (win.length >= STR_LEN) {
        // Keep the last minlen bytes (enough for any match), logging what would scroll away.
        if (logged < win.length - minlen) {
          if (this.verbose) this.msgf(segment());
          logged = win.length;
        }
        const cut = win.length - minlen;
        win = win.slice(cut);
        logged -= cut;
      }
    }
    this.exitCode = 3;
    return false;
  }
}
