/**
 * A sans-IO Hayes modem: command mode, online mode, online command mode, dialling,
 * answering, `+++` escape with guard time, DTR/DCD handling and the S-register timers.
 *
 * The object never reads a clock, opens a socket or sets a timer. Its owner feeds it
 *   - bytes from the DTE (the computer on the serial side),
 *   - line events (ring, the far end connected, far-end bytes, far end hung up, call failed),
 *   - DTR changes,
 * each with the current time in milliseconds, and gets back a list of outputs: bytes for the
 * DTE, bytes for the far end, requests to the line (dial, answer, hang up) and DCD changes.
 * After every call the owner asks nextDeadline() and calls tick(now) when that time comes.
 * The same interpreter serves the calling and the answering side.
 *
 * What the line side must do:
 *   - after a `dial` output: report `connected`, `call-failed` or `remote-hangup`
 *     (until then, the modem times out after S7 seconds and emits `hangup`);
 *   - after an `answer` output: report `connected` (or nothing; S7 applies again);
 *   - after a `hangup` output: tear the call down and send nothing more for it.
 *   The modem does not emit `hangup` for calls the line reported as ended.
 */
import { parseCommandLine, type Command } from './commands.js';
import { parseDialString, type DialString } from './dialstring.js';
import { formatInfo, formatResult, type Result } from './results.js';
import {
  cloneProfile,
  factoryNvram,
  factoryProfile,
  profileSummary,
  sregSummary,
  sregValueValid,
  STORED_NUMBER_SLOTS,
  type Nvram,
  type Profile,
} from './sregs.js';

export type ModemPhase = 'command' | 'dialing' | 'answering' | 'online' | 'online-command';

export type CallFailure = 'busy' | 'no-answer' | 'no-carrier' | 'no-dialtone';

/**
 * What the exchange tells about an incoming call (Bellcore GR-30 / SDMF-MDMF), as the owner
 * knows it: the modem has no clock, so the date and time come with the ring.
 */
export interface CallerId {
  /** Month and day, `MMDD`. */
  date: string;
  /** Hour and minute, `HHMM`. */
  time: string;
  /** The caller's number; absent: reported as `O` (out of area), as the exchange does. */
  number?: string;
  name?: string;
}

export type ModemEvent =
  /** Bytes typed/sent by the DTE. */
  | { type: 'dte'; data: Uint8Array }
  /**
   * One ring of an incoming call. The line repeats it for as long as the caller waits;
   * `callerId` (if the line knows it) is reported after the first RING when #CID/+VCID is on.
   */
  | { type: 'ring'; callerId?: CallerId }
  /** Carrier established (after our `dial` or `answer`). */
  | { type: 'connected'; speed?: number }
  /** Bytes from the far end. */
  | { type: 'remote-data'; data: Uint8Array }
  /** The far end hung up (or an incoming call stopped ringing). */
  | { type: 'remote-hangup' }
  /** Our `dial` could not be completed. */
  | { type: 'call-failed'; reason: CallFailure }
  | { type: 'dtr'; on: boolean }
  /** Nothing happened except that time passed. */
  | { type: 'tick' };

export type ModemOutput =
  | { type: 'dte'; data: Uint8Array }
  | { type: 'remote'; data: Uint8Array }
  /** Place a call. `number` is digits for phone numbers, host[:port] text for host dials. */
  | { type: 'dial'; number: string; dial: DialString }
  /** Answer the call that is ringing. */
  | { type: 'answer' }
  /** Go on hook: end the call (or the dial/answer attempt). */
  | { type: 'hangup' }
  /** Data Carrier Detect as the DTE should see it (per &C). */
  | { type: 'dcd'; on: boolean }
  /** Ring Indicator: on for RI_ON_MS at each ring (the ring cadence's "on" part). */
  | { type: 'ri'; on: boolean }
  /** The DTE sent nothing in command mode for HayesOptions.commandIdleMs: drop the line. */
  | { type: 'idle' };

/** The sizes of everything the modem keeps between events that its input can grow. */
export interface RetainedSizes {
  /** The command line being typed (at most MAX_COMMAND_LINE). */
  commandLine: number;
  /** The number from earlier `ATD...;` commands (at most MAX_DIAL_STRING). */
  dialPrefix: number;
  /** The previous command line, for A/ (at most MAX_COMMAND_LINE). */
  lastLine: number;
  /** The last number dialled, for ATDL (at most MAX_DIAL_STRING). */
  lastDial: number;
  /** Stored numbers, &Z0..&Z3 (each at most MAX_COMMAND_LINE). */
  storedNumbers: number;
  /** Outputs not yet returned (always 0 between calls: every call returns them all). */
  pendingOutput: number;
  /** Far-end bytes held while in online command mode, for ATO (at most MAX_HELD_REMOTE). */
  heldRemote: number;
}

export interface ModemIdentity {
  manufacturer: string;
  model: string;
  revision: string;
  serial: string;
}

export interface HayesOptions {
  /** CONNECT speed when the line does not report one. Default 33600. */
  connectSpeed?: number;
  /** Non-volatile memory to use (and update on &W, &Y, &Z). Default: a fresh factory one. */
  nvram?: Nvram;
  /**
   * Hang up on an idle DTE: when the modem has sat in command mode (no call, no dial or
   * answer under way) for this many milliseconds without a byte from the DTE, it emits an
   * `idle` output and its owner drops the line (the modem bank closes the TCP client).
   * Real modems have no such timer (S30 only covers calls); a bank of lines on a network
   * port needs it so that a client that connects and never dials cannot hold a line for
   * ever. Default: off (undefined or 0).
   */
  commandIdleMs?: number;
  /** Text for I0..I9, overriding the defaults; several lines as an array. */
  info?: Partial<Record<number, string | readonly string[]>>;
  identity?: Partial<ModemIdentity>;
  /**
   * DTR when the modem starts. Default on (a plain serial-over-TCP line has no DTR wire).
   * tcpser's ip232 starts with DTR off until the client sends FF 01.
   */
  dtr?: boolean;
}

/**
 * Longest command line kept (the characters after AT, before the CR); a longer line answers
 * ERROR when its CR comes and none of it is executed, as a command buffer overflow does on
 * real modems. ITU-T V.250 §5.2.1 requires a DCE to accept at least 40 characters; manuals
 * give 40 (Hayes Smartmodem, Advantech PCM-3601 §3.4: "If the command buffer overflows, the
 * modem sends the ERROR response code upon receiving the carriage return character"), 58
 * (Panasonic FP Modem), 80 (Black Box Modem 3600), 160 (Diamond SupraExpress 56e); tcpser
 * keeps 255. We take the largest, 255: everything any of those accept is accepted here.
 * Characters past the bound are echoed but not stored, so the line costs at most this much.
 */
export const MAX_COMMAND_LINE = 255;

/**
 * Longest dial string, counting the parts given in earlier `ATD...;` commands (`;` dials and
 * stays in command mode, and the next ATD continues the same number). Without a bound a DTE
 * sending `ATD<digits>;` forever grew the kept number without end (and the work per command
 * with it). A number longer than a command line cannot be meant; past this the dial command
 * answers ERROR and the partial number is forgotten, as on-hook would.
 */
export const MAX_DIAL_STRING = MAX_COMMAND_LINE;

/** S1 is cleared when no ring has come for this long (Hayes: 8 seconds). */
export const RING_RESET_MS = 8000;

/** RI is on for this long at each ring: the North American cadence is 2 s on, 4 s off. */
export const RI_ON_MS = 2000;

/**
 * Far-end bytes kept while the DTE is in online command mode (after `+++`), delivered when
 * ATO resumes the call. Modems buffer what arrives meanwhile (USRobotics Courier: "data
 * received from the remote modem while you are in online command mode is buffered") in a
 * buffer of a few KB; what does not fit is lost, as when a DTE ignores flow control.
 */
export const MAX_HELD_REMOTE = 4096;

const DEFAULT_IDENTITY: ModemIdentity = {
  manufacturer: 'dialtone',
  model: 'virtual Hayes-compatible modem',
  revision: '0.1.0',
  serial: '0',
};

const DEFAULT_INFO: Readonly<Record<number, string>> = {
  0: '33600',
  1: '000',
  3: 'dialtone virtual modem 0.1.0',
  4: 'dialtone Hayes-compatible virtual modem',
  5: '0',
};

const enc = (s: string): Uint8Array => {
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i) & 0xff;
  return a;
};

type Step = 'next' | 'stop' | 'error';

export class HayesModem {
  private active: Profile;
  private readonly mem: Nvram;
  private readonly opts: HayesOptions;
  private readonly identity: ModemIdentity;

  private phaseValue: ModemPhase = 'command';
  private out: ModemOutput[] = [];
  /**
   * Bytes for the DTE or the far end not yet put into `out`: the bytes of one direction are
   * collected here and copied once, in flushRun(). Joining at every emit (as before) copied
   * the whole run for each echoed byte, quadratic in the size of a write (200 KB took 40 s).
   */
  private run: { type: 'dte' | 'remote'; bytes: number[] } | undefined;
  private now = 0;
  /**
   * The idle timer's start: the first event the modem saw, the DTE's last byte, or the end
   * of the last call, whichever is latest.
   */
  private idleSince: number | undefined;
  private idleReported = false;

  // Command line assembly.
  private sawA = false;
  private inLine = false;
  private buf = '';
  private overflow = false;
  private lastLine = '';

  // Dialling.
  private lastDial = '';
  private dialPrefix = '';
  private callSpeed = 0;

  // Signals.
  private carrier = false;
  private dcdOut: boolean;
  private dtr: boolean;
  private riOn = false;
  private riOffAt: number | undefined;

  // Far-end data that arrived in online command mode, for ATO.
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** Far-end bytes dropped because MAX_HELD_REMOTE was full. */
  heldDropped = 0;

  // Escape detection.
  private escCount = 0;
  private lastDteAt = 0;
  private lastEscAt = 0;
  private escDeadline: number | undefined;

  // Timers.
  private waitDeadline: number | undefined; // S7 while dialling/answering
  private ringResetAt: number | undefined;
  private lastActivity = 0; // S30

  constructor(opts: HayesOptions = {}) {
    this.opts = opts;
    this.mem = opts.nvram ?? factoryNvram();
    this.identity = { ...DEFAULT_IDENTITY, ...opts.identity };
    this.active = this.loadProfile(this.mem.powerUpProfile);
    this.dcdOut = this.wantedDcd();
    this.dtr = opts.dtr ?? true;
  }

  // ----- public surface -------------------------------------------------------------------
  // The project's sans-IO shape: input(event, now), nextDeadline(), takeOutputs() (the bank
  // feeds `tick` events at the deadline). handle()/tick() do the same in one call, for tests.

  private pending: ModemOutput[] = [];

  /** An event at time `now` (ms); what it causes waits in takeOutputs(). */
  input(ev: ModemEvent, now: number): void {
    for (const o of this.handle(ev, now)) this.pending.push(o);
  }

  takeOutputs(): ModemOutput[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Feed one event at time `now` (ms); returns what the modem does in response. */
  handle(ev: ModemEvent, now: number): ModemOutput[] {
    this.now = Math.max(this.now, now);
    this.idleSince ??= this.now;
    this.runTimers();
    switch (ev.type) {
      case 'dte':
        this.onDte(ev.data);
        break;
      case 'ring':
        this.onRing(ev.callerId);
        break;
      case 'connected':
        this.onConnected(ev.speed);
        break;
      case 'remote-data':
        this.onRemoteData(ev.data);
        break;
      case 'remote-hangup':
        this.onRemoteHangup();
        break;
      case 'call-failed':
        this.onCallFailed(ev.reason);
        break;
      case 'dtr':
        this.onDtr(ev.on);
        break;
      case 'tick':
        break;
    }
    return this.drain();
  }

  fromDte(data: Uint8Array | string, now: number): ModemOutput[] {
    return this.handle({ type: 'dte', data: typeof data === 'string' ? enc(data) : data }, now);
  }
  fromRemote(data: Uint8Array | string, now: number): ModemOutput[] {
    return this.handle({ type: 'remote-data', data: typeof data === 'string' ? enc(data) : data }, now);
  }
  ring(now: number): ModemOutput[] {
    return this.handle({ type: 'ring' }, now);
  }
  connected(now: number, speed?: number): ModemOutput[] {
    return this.handle(speed === undefined ? { type: 'connected' } : { type: 'connected', speed }, now);
  }
  remoteHangup(now: number): ModemOutput[] {
    return this.handle({ type: 'remote-hangup' }, now);
  }
  callFailed(reason: CallFailure, now: number): ModemOutput[] {
    return this.handle({ type: 'call-failed', reason }, now);
  }
  setDtr(on: boolean, now: number): ModemOutput[] {
    return this.handle({ type: 'dtr', on }, now);
  }
  tick(now: number): ModemOutput[] {
    return this.handle({ type: 'tick' }, now);
  }

  /** The earliest time at which tick() has something to do, or undefined. */
  nextDeadline(): number | undefined {
    const ds: number[] = [];
    if (this.escDeadline !== undefined) ds.push(this.escDeadline);
    if (this.waitDeadline !== undefined) ds.push(this.waitDeadline);
    if (this.ringResetAt !== undefined) ds.push(this.ringResetAt);
    if (this.riOffAt !== undefined) ds.push(this.riOffAt);
    const inact = this.inactivityDeadline();
    if (inact !== undefined) ds.push(inact);
    const idle = this.commandIdleDeadline();
    if (idle !== undefined) ds.push(idle);
    return ds.length ? Math.min(...ds) : undefined;
  }

  get phase(): ModemPhase {
    return this.phaseValue;
  }
  /** DCD as presented to the DTE. */
  get dcd(): boolean {
    return this.dcdOut;
  }
  /** RI as presented to the DTE. */
  get ri(): boolean {
    return this.riOn;
  }
  /** True while a call is up (online or online command mode). */
  get inCall(): boolean {
    return this.phaseValue === 'online' || this.phaseValue === 'online-command';
  }
  get speed(): number {
    return this.callSpeed;
  }
  /** A copy of the active profile. */
  get profile(): Profile {
    return cloneProfile(this.active);
  }
  sreg(n: number): number {
    return this.active.sregs[n] ?? 0;
  }
  get nvram(): Nvram {
    return this.mem;
  }
  /** What the modem holds that input can grow (see RetainedSizes); each is bounded. */
  get retained(): RetainedSizes {
    return {
      commandLine: this.buf.length,
      dialPrefix: this.dialPrefix.length,
      lastLine: this.lastLine.length,
      lastDial: this.lastDial.length,
      storedNumbers: this.mem.numbers.reduce((n, s) => n + s.length, 0),
      pendingOutput: this.out.length + (this.run ? this.run.bytes.length : 0),
      heldRemote: this.heldBytes,
    };
  }

  // ----- output helpers -------------------------------------------------------------------

  private emit(o: ModemOutput): void {
    // Merge byte runs so owners write one chunk per direction rather than one per byte.
    if (o.type === 'dte' || o.type === 'remote') return this.bytesTo(o.type, o.data);
    this.flushRun();
    this.out.push(o);
  }
  private bytesTo(type: 'dte' | 'remote', data: Uint8Array | string): void {
    if (data.length === 0) return;
    if (this.run && this.run.type !== type) this.flushRun();
    const r = (this.run ??= { type, bytes: [] });
    if (typeof data === 'string') for (let i = 0; i < data.length; i++) r.bytes.push(data.charCodeAt(i) & 0xff);
    else for (const b of data) r.bytes.push(b);
  }
  private flushRun(): void {
    const r = this.run;
    if (!r) return;
    this.run = undefined;
    this.out.push({ type: r.type, data: Uint8Array.from(r.bytes) });
  }
  private toDte(s: string): void {
    this.bytesTo('dte', s);
  }
  private result(r: Result): void {
    this.toDte(formatResult(r, this.active));
  }
  private info(lines: readonly string[]): void {
    this.toDte(formatInfo(lines, this.active));
  }
  private drain(): ModemOutput[] {
    this.flushRun();
    const o = this.out;
    this.out = [];
    return o;
  }

  // ----- signals and timers ---------------------------------------------------------------

  private wantedDcd(): boolean {
    return this.active.dcdMode === 0 ? true : this.carrier;
  }
  private updateDcd(): void {
    const want = this.wantedDcd();
    if (want !== this.dcdOut) {
      this.dcdOut = want;
      this.emit({ type: 'dcd', on: want });
    }
  }

  private setRi(on: boolean): void {
    this.riOffAt = on ? this.now + RI_ON_MS : undefined;
    if (on === this.riOn) return;
    this.riOn = on;
    this.emit({ type: 'ri', on });
  }

  private guardMs(): number {
    return this.active.sregs[12]! * 20;
  }

  private inactivityDeadline(): number | undefined {
    const s30 = this.active.sregs[30]!;
    if (!this.inCall || s30 === 0) return undefined;
    return this.lastActivity + s30 * 10_000;
  }

  private commandIdleDeadline(): number | undefined {
    const ms = this.opts.commandIdleMs;
    if (!ms || ms <= 0 || this.phaseValue !== 'command' || this.idleReported) return undefined;
    return (this.idleSince ?? this.now) + ms;
  }

  private runTimers(): void {
    const now = this.now;
    const idle = this.commandIdleDeadline();
    if (idle !== undefined && now >= idle) {
      // Reported once; the owner drops the line. Any later DTE byte re-arms it.
      this.idleReported = true;
      this.emit({ type: 'idle' });
    }
    if (this.escDeadline !== undefined && now >= this.escDeadline) {
      this.escDeadline = undefined;
      this.escCount = 0;
      if (this.phaseValue === 'online') this.enterOnlineCommand();
    }
    if (this.waitDeadline !== undefined && now >= this.waitDeadline) {
      this.waitDeadline = undefined;
      if (this.phaseValue === 'dialing' || this.phaseValue === 'answering') {
        // S7 expired without carrier: real modems report NO CARRIER here, not NO ANSWER.
        this.emit({ type: 'hangup' });
        this.phaseValue = 'command';
        this.result({ kind: 'no-carrier' });
      }
    }
    if (this.riOffAt !== undefined && now >= this.riOffAt) this.setRi(false);
    if (this.ringResetAt !== undefined && now >= this.ringResetAt) {
      this.ringResetAt = undefined;
      this.active.sregs[1] = 0;
    }
    const inact = this.inactivityDeadline();
    if (inact !== undefined && now >= inact) {
      this.emit({ type: 'hangup' });
      this.endCall();
      this.result({ kind: 'no-carrier' });
    }
  }

  private resetEscape(): void {
    this.escCount = 0;
    this.escDeadline = undefined;
    this.lastDteAt = this.now;
  }

  private resetCommandLine(): void {
    this.sawA = false;
    this.inLine = false;
    this.buf = '';
    this.overflow = false;
  }

  private enterOnlineCommand(): void {
    this.phaseValue = 'online-command';
    this.resetEscape();
    this.resetCommandLine();
    this.result({ kind: 'ok' });
  }

  /** The call is over (either side): back to command mode, carrier off. */
  private endCall(): void {
    this.phaseValue = 'command';
    this.idleSince = this.now;
    this.carrier = false;
    this.waitDeadline = undefined;
    this.dropHeld();
    this.setRi(false);
    this.resetEscape();
    this.resetCommandLine();
    this.updateDcd();
  }

  private dropHeld(): void {
    this.held = [];
    this.heldBytes = 0;
  }

  /** Hang up on our initiative if anything is in progress; true if there was something. */
  private hangUpLocal(): boolean {
    if (this.phaseValue === 'command') return false;
    this.emit({ type: 'hangup' });
    this.endCall();
    return true;
  }

  private loadProfile(n: number): Profile {
    const p = cloneProfile(this.mem.profiles[n === 1 ? 1 : 0]);
    p.sregs[1] = 0;
    return p;
  }

  private reset(profile: number): void {
    this.hangUpLocal();
    this.active = this.loadProfile(profile);
    this.ringResetAt = undefined;
    this.dialPrefix = '';
    this.resetCommandLine();
    this.updateDcd();
  }

  // ----- events ---------------------------------------------------------------------------

  private onDte(data: Uint8Array): void {
    if (data.length) {
      this.idleSince = this.now;
      this.idleReported = false;
    }
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) {
        this.emit({ type: 'remote', data: Uint8Array.from(run) });
        run = [];
      }
    };
    for (const b of data) {
      switch (this.phaseValue) {
        case 'online':
          run.push(b);
          this.lastActivity = this.now;
          if (this.escapeByte(b)) {
            // S12=0: no guard time, the third escape character escapes at once.
            flush();
            this.enterOnlineCommand();
          }
          break;
        case 'dialing':
        case 'answering':
          // The LF of a CR LF line end (or the NUL of a telnet CR NUL) follows the dial
          // command at once; it must not abort what that command started.
          if (b === 0 || (b & 0x7f) === this.active.sregs[4]) break;
          // Any other character aborts a call attempt; it is not otherwise used.
          this.emit({ type: 'hangup' });
          this.endCall();
          this.result({ kind: 'no-carrier' });
          break;
        default:
          this.commandByte(b);
      }
    }
    flush();
  }

  /** Track the escape sequence; true if it completed with no guard time to wait for. */
  private escapeByte(b: number): boolean {
    const esc = this.active.sregs[2]!;
    const guard = this.guardMs();
    const now = this.now;
    if (esc > 127 || b !== esc) {
      this.escCount = 0;
      this.escDeadline = undefined;
      this.lastDteAt = now;
      return false;
    }
    if (guard === 0) {
      this.escCount = this.escCount >= 1 && this.escCount <= 2 ? this.escCount + 1 : 1;
    } else if (this.escCount >= 1 && this.escCount <= 2 && now - this.lastEscAt < guard) {
      this.escCount++;
    } else if (now - this.lastDteAt >= guard) {
      this.escCount = 1; // silence before the first escape character: a sequence may start
    } else {
      this.escCount = 0;
    }
    this.lastEscAt = now;
    this.lastDteAt = now;
    if (this.escCount === 3) {
      if (guard === 0) {
        this.escCount = 0;
        return true;
      }
      // Silence must follow as well; tick() at this time completes the escape.
      this.escDeadline = now + guard;
    } else {
      this.escDeadline = undefined;
    }
    return false;
  }

  private echo(s: string): void {
    if (this.active.echo) this.toDte(s);
  }

  private commandByte(b: number): void {
    // Command characters are 7-bit; masking also copes with DTEs sending 7E1/7O1.
    const c = b & 0x7f;
    const ch = String.fromCharCode(c);
    const cr = this.active.sregs[3]!;
    const bs = this.active.sregs[5]!;

    if (!this.inLine) {
      if (c === bs) {
        this.echo('\b \b');
        this.sawA = false;
        return;
      }
      this.echo(ch);
      if (this.sawA && (ch === 'T' || ch === 't')) {
        this.sawA = false;
        this.inLine = true;
        this.buf = '';
        this.overflow = false;
        return;
      }
      if (this.sawA && ch === '/') {
        // A/ repeats the previous line at once, without AT or CR.
        this.sawA = false;
        this.execute(this.lastLine, false);
        return;
      }
      this.sawA = ch === 'A' || ch === 'a';
      return;
    }

    if (c === cr) {
      this.echo(ch);
      this.inLine = false;
      const line = this.buf;
      const overflow = this.overflow;
      this.buf = '';
      this.overflow = false;
      this.execute(line, overflow);
      return;
    }
    if (c === bs) {
      this.echo('\b \b');
      if (this.buf.length > 0) {
        this.buf = this.buf.slice(0, -1);
      } else {
        // Backspacing over the T leaves just the A.
        this.inLine = false;
        this.sawA = true;
      }
      return;
    }
    this.echo(ch);
    if (c < 0x20 || c === 0x7f) return; // LF, NUL after telnet CR, other controls: ignored
    if (this.buf.length >= MAX_COMMAND_LINE) this.overflow = true;
    else this.buf += ch;
  }

  private onRing(callerId: CallerId | undefined): void {
    if (this.phaseValue !== 'command') return;
    const s = this.active.sregs;
    s[1] = Math.min(255, s[1]! + 1);
    this.ringResetAt = this.now + RING_RESET_MS;
    this.idleSince = this.now; // a ringing line is in use: the idle timer waits for the call
    this.setRi(true);
    this.result({ kind: 'ring' });
    // With &D1..&D3 a DTE that dropped DTR is not ready, so the modem must not pick up.
    const dteReady = this.dtr || this.active.dtrMode === 0;
    const answerNow = s[0]! > 0 && s[1]! >= s[0]! && dteReady;
    // The exchange sends caller ID in the silence after the first ring (Bellcore GR-30);
    // a modem that picks up at the first ring (S0=1) never hears it.
    if (s[1] === 1 && callerId && this.active.callerId === 1 && !answerNow) this.callerIdReport(callerId);
    if (answerNow) this.startAnswer();
  }

  /**
   * Formatted caller ID as Rockwell and USRobotics modems print it (#CID=1, V.253 +VCID=1):
   * `DATE = MMDD`, `TIME = HHMM`, `NMBR = ...`, `NAME = ...`, each on its own line, framed
   * like information text. A number the exchange withholds is `O` (out of area).
   */
  private callerIdReport(c: CallerId): void {
    const lines = [`DATE = ${c.date}`, `TIME = ${c.time}`, `NMBR = ${c.number || 'O'}`];
    if (c.name) lines.push(`NAME = ${c.name}`);
    this.info(lines);
  }

  private startAnswer(): void {
    this.setRi(false);
    this.phaseValue = 'answering';
    this.resetCommandLine();
    this.armWait();
    this.emit({ type: 'answer' });
  }

  private armWait(): void {
    const s7 = this.active.sregs[7]!;
    this.waitDeadline = s7 > 0 ? this.now + s7 * 1000 : undefined;
  }

  private onConnected(speed: number | undefined): void {
    if (this.phaseValue !== 'dialing' && this.phaseValue !== 'answering') return;
    this.waitDeadline = undefined;
    this.phaseValue = 'online';
    this.callSpeed = speed ?? this.opts.connectSpeed ?? 33600;
    this.active.sregs[1] = 0;
    this.ringResetAt = undefined;
    this.carrier = true;
    this.setRi(false);
    this.lastActivity = this.now;
    this.resetEscape();
    this.resetCommandLine();
    this.updateDcd();
    this.result({ kind: 'connect', speed: this.callSpeed });
  }

  private onRemoteData(data: Uint8Array): void {
    if (this.phaseValue === 'online') {
      this.lastActivity = this.now;
      if (data.length) this.emit({ type: 'dte', data: data.slice() });
    } else if (this.phaseValue === 'online-command') {
      // Held for ATO, up to MAX_HELD_REMOTE; the rest is lost as in an overrun buffer.
      this.lastActivity = this.now;
      const room = MAX_HELD_REMOTE - this.heldBytes;
      const keep = Math.min(room, data.length);
      if (keep > 0) {
        this.held.push(data.slice(0, keep));
        this.heldBytes += keep;
      }
      this.heldDropped += data.length - keep;
    }
  }

  private onRemoteHangup(): void {
    switch (this.phaseValue) {
      case 'command':
        // The caller gave up while we were ringing.
        this.active.sregs[1] = 0;
        this.ringResetAt = undefined;
        this.setRi(false);
        return;
      default:
        this.endCall();
        this.result({ kind: 'no-carrier' });
    }
  }

  private onCallFailed(reason: CallFailure): void {
    if (this.phaseValue === 'dialing') {
      this.endCall();
      this.result({ kind: reason });
    } else if (this.phaseValue === 'answering') {
      this.endCall();
      this.result({ kind: 'no-carrier' });
    }
  }

  private onDtr(on: boolean): void {
    const was = this.dtr;
    this.dtr = on;
    if (on || !was) return;
    switch (this.active.dtrMode) {
      case 0:
        return;
      case 1:
        if (this.phaseValue === 'online') {
          this.escDeadline = undefined;
          this.enterOnlineCommand();
        }
        return;
      case 2:
        if (this.hangUpLocal()) this.result({ kind: 'no-carrier' });
        return;
      default: {
        // &D3: hang up and reset to the power-up profile, silently (the DTE is not listening).
        this.hangUpLocal();
        this.reset(this.mem.powerUpProfile);
      }
    }
  }

  // ----- command execution ----------------------------------------------------------------

  private execute(body: string, overflow: boolean): void {
    this.lastLine = body;
    if (overflow) {
      this.result({ kind: 'error' });
      return;
    }
    const parsed = parseCommandLine(body);
    if (!parsed.ok) {
      this.result({ kind: 'error' });
      return;
    }
    for (const cmd of parsed.commands) {
      const step = this.exec(cmd);
      if (step === 'error') {
        this.result({ kind: 'error' });
        return;
      }
      if (step === 'stop') return;
    }
    this.result({ kind: 'ok' });
  }

  private exec(cmd: Command): Step {
    const p = this.active;
    switch (cmd.kind) {
      case 'compat':
      case 'sreg-select':
        return 'next';
      case 'sreg-set':
        if (!sregValueValid(cmd.reg, cmd.value)) return 'error';
        p.sregs[cmd.reg] = cmd.value;
        return 'next';
      case 'sreg-query':
        this.info([String(p.sregs[cmd.reg] ?? 0).padStart(3, '0')]);
        return 'next';
      case 'store-number':
        this.mem.numbers[cmd.slot] = cmd.text;
        return 'next';
      case 'query-number':
        this.info([this.mem.numbers[cmd.slot] ?? '']);
        return 'next';
      case 'dial':
        return this.dial(cmd.text);
      case 'extended':
        return this.extended(cmd.name, cmd.op, cmd.value);
      case 'basic':
        return this.basic(cmd.name, cmd.arg);
    }
  }

  private basic(name: string, arg: number): Step {
    const p = this.active;
    switch (name) {
      case 'A':
        if (this.phaseValue !== 'command') return 'error';
        this.startAnswer();
        return 'stop';
      case 'E':
        p.echo = arg === 1;
        return 'next';
      case 'H':
        if (arg === 0) {
          // On hook: a number begun with ATD...; is abandoned with the call (Windows 9x sends
          // ATDT; to wait for dial tone, then ATH to hang up if the user cancels).
          this.dialPrefix = '';
          this.hangUpLocal();
        }
        return 'next';
      case 'I':
        return this.identify(arg);
      case 'L':
        p.speakerVolume = arg;
        return 'next';
      case 'M':
        p.speakerMode = arg;
        return 'next';
      case 'O':
        if (this.phaseValue !== 'online-command') return 'error';
        this.phaseValue = 'online';
        this.resetEscape();
        this.lastActivity = this.now;
        this.result({ kind: 'connect', speed: this.callSpeed });
        // What the far end sent meanwhile follows the CONNECT.
        for (const d of this.held) this.emit({ type: 'dte', data: d });
        this.dropHeld();
        return 'stop';
      case 'P':
      case 'T':
        p.pulse = name === 'P';
        return 'next';
      case 'Q':
        p.quiet = arg === 1;
        return 'next';
      case 'V':
        p.verbose = arg === 1;
        return 'next';
      case 'X':
        p.resultLevel = arg;
        return 'next';
      case 'Z':
        this.reset(arg);
        this.result({ kind: 'ok' });
        return 'stop'; // the rest of the line is discarded with the old settings
      case '&C':
        p.dcdMode = arg;
        this.updateDcd();
        return 'next';
      case '&D':
        p.dtrMode = arg;
        return 'next';
      case '&F': {
        const f = factoryProfile();
        f.sregs[1] = p.sregs[1]!; // the ring counter is state, not a setting
        this.active = f;
        this.updateDcd();
        return 'next';
      }
      case '&K':
        p.flowControl = arg;
        return 'next';
      case '&S':
        p.dsrMode = arg;
        return 'next';
      case '&V':
        this.info(this.viewLines());
        return 'next';
      case '&W':
        this.mem.profiles[arg === 1 ? 1 : 0] = cloneProfile(p);
        return 'next';
      case '&Y':
        this.mem.powerUpProfile = arg;
        return 'next';
    }
    return 'error';
  }

  private identify(n: number): Step {
    const custom = this.opts.info?.[n];
    const text = custom ?? DEFAULT_INFO[n];
    if (text === undefined) return 'next';
    const lines = typeof text === 'string' ? [text] : [...text];
    if (lines.length) this.info(lines);
    return 'next';
  }

  private viewLines(): string[] {
    const lines = ['ACTIVE PROFILE:', profileSummary(this.active), ...sregSummary(this.active), ''];
    this.mem.profiles.forEach((sp, i) => {
      lines.push(`STORED PROFILE ${i}:`, profileSummary(sp), ...sregSummary(sp), '');
    });
    lines.push(`POWER-UP PROFILE: ${this.mem.powerUpProfile}`, '', 'TELEPHONE NUMBERS:');
    for (let i = 0; i < STORED_NUMBER_SLOTS; i++) lines.push(`&Z${i}=${this.mem.numbers[i] ?? ''}`);
    return lines;
  }

  private extended(name: string, op: string, value: string): Step {
    switch (name) {
      case 'FCLASS':
        // Data only: class 0. Fax-capable software asks, hears "0", and does data.
        if (op === 'set') return value === '0' ? 'next' : 'error';
        if (op === 'read' || op === 'test') {
          this.info(['0']);
          return 'next';
        }
        return 'error';
      case 'GMI':
      case 'GMM':
      case 'GMR':
      case 'GSN':
      case 'GCAP': {
        if (op === 'test') return 'next';
        if (op !== 'exec') return 'error';
        const id = this.identity;
        const text = { GMI: id.manufacturer, GMM: id.model, GMR: id.revision, GSN: id.serial, GCAP: '+GCAP: +MS' }[name];
        this.info([text]);
        return 'next';
      }
      case '#CID':
      case 'VCID': {
        if (op === 'test') {
          this.info(['(0-1)']);
          return 'next';
        }
        if (op === 'read') {
          this.info([String(this.active.callerId)]);
          return 'next';
        }
        if (op !== 'set' || (value !== '0' && value !== '1')) return 'error';
        this.active.callerId = Number(value);
        return 'next';
      }
      default:
        return 'next'; // the compat allow-list
    }
  }

  private dial(text: string): Step {
    if (this.phaseValue !== 'command') return 'error';
    const full = this.dialPrefix + text;
    if (full.length > MAX_DIAL_STRING) {
      this.dialPrefix = '';
      return 'error';
    }
    let d = parseDialString(full, this.active.pulse);
    if (d.returnToCommand && (d.kind === 'number' || d.kind === 'host')) {
      // "ATD123;" dials the first part and stays in command mode; the next ATD continues it.
      this.dialPrefix = full.replace(/;\s*$/, '');
      return 'next';
    }
    this.dialPrefix = '';
    if (d.kind === 'stored' || d.kind === 'last') {
      const stored = d.kind === 'stored' ? this.mem.numbers[d.slot] ?? '' : this.lastDial;
      if (!stored) return 'error';
      d = parseDialString(stored, this.active.pulse);
      if (d.kind === 'stored' || d.kind === 'last') return 'error';
      this.lastDial = stored;
    } else {
      this.lastDial = full.replace(/;\s*$/, '');
    }
    this.phaseValue = 'dialing';
    this.resetCommandLine();
    this.armWait();
    this.emit({ type: 'dial', number: d.number, dial: d });
    return 'stop';
  }
}
