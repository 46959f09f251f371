/**
 * A bank of virtual Hayes modems on TCP (the IO shell around src/modem/hayes.ts).
 *
 * Each accepted TCP connection is the serial cable of one line: what the client sends is what
 * the computer sends to its modem, and the client receives the modem's echo, result codes and,
 * once connected, the far end's bytes. Calls go, by the phone book, to another line of the
 * bank (which sees RING and answers with ATA or S0), to a TCP host (tcpser style, also
 * `ATDT host[:port]` directly), to a named CallHandler registered in code (e.g. the PPP
 * server), or to a scripted outcome (BUSY, NO ANSWER, ...).
 *
 * The bank drives each modem with a monotonic clock and one timer per line at the modem's
 * next deadline. Data crossing the virtual phone line can be paced at the connect speed
 * (10 bits per byte, as 8N1 on the wire) so that software sees realistic throughput.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { HayesModem, type CallerId, type CallFailure, type ModemEvent, type ModemOutput, type RetainedSizes } from '../modem/hayes.js';
import { factoryNvram, type Nvram } from '../modem/sregs.js';
import { TelnetFilter, type TelnetMode } from '../modem/telnet.js';
import { Ip232Codec } from '../modem/ip232.js';
import { normalizeNumber, splitHostPort } from '../modem/dialstring.js';
import { numericAddress, PhoneBook, type PhoneBookEntry, type Target } from '../modem/phonebook.js';
import { DeadlineTimer } from './deadline-timer.js';
import { listenWebSocket, type WsListener } from './ws-line.js';

/**
 * How the serial line is carried on a listener: `auto` (raw until the client speaks telnet,
 * as tcpser), `telnet` (RFC 854/856 from the start, RFC 2217 DTR/DCD), `raw` (bytes only),
 * `ip232` (tcpser's ip232: DTR from the client, DCD and RI to it).
 */
export type SerialFraming = 'auto' | 'telnet' | 'raw' | 'ip232';

/** One listening socket of the bank. */
export interface BankListener {
  host?: string;
  port: number;
  framing?: SerialFraming;
  /** Clients speak WebSocket (binary frames carry the serial bytes): browser emulators. */
  websocket?: boolean;
}

/** What the line needs from a telnet filter or an ip232 codec. */
interface DteCodec {
  start(): Uint8Array;
  receive(b: Uint8Array): { data: Uint8Array; reply?: Uint8Array; events: Array<{ type: string; on?: boolean }> };
  encode(b: Uint8Array): Uint8Array;
  modemState(dcd: boolean, ri: boolean): Uint8Array;
  detect?: boolean;
  readonly retained: number;
}

function makeCodec(framing: SerialFraming): DteCodec {
  if (framing === 'ip232') {
    const c = new Ip232Codec();
    return { start: () => new Uint8Array(0), receive: (b) => c.receive(b), encode: (b) => c.encode(b), modemState: (d, r) => c.modemState(d, r), get retained() { return c.retained; } };
  }
  const mode: TelnetMode = framing === 'telnet' ? 'on' : framing === 'raw' ? 'off' : 'auto';
  return new TelnetFilter(mode);
}

/**
 * Bytes the line may hold toward a DTE that does not read (its stream's write buffer). Above
 * it further bytes are dropped (counted in retained().outputDropped), as a serial port
 * overruns; before that, the line pauses what feeds it (the far end or the other line).
 */
export const DTE_OUTPUT_LIMIT = 512 * 1024;

export interface CallInfo {
  /** The dialled number, normalised (digits, or the host/alias text in lower case). */
  number: string;
  /** The bank line (1-based) that placed the call. */
  line: number;
  /** CONNECT speed of the call in bit/s. */
  speed: number;
  /** The phone book entry that routed the call, if any. */
  entry: PhoneBookEntry | undefined;
}

/**
 * Answers calls routed to `handler:NAME`. `call` is the line as a byte stream: what the
 * handler writes reaches the caller's modem (and DTE); what the caller sends is readable from
 * it. The stream ends ('end') when the caller hangs up; ending or destroying it hangs up.
 */
export type CallHandler = (call: Duplex, info: CallInfo) => void;

export interface ModemBankOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 6400; 0 picks a free one. */
  port?: number;
  /** Number of lines (simultaneous TCP clients); default 4. */
  lines?: number;
  phoneBook?: PhoneBook;
  /** CONNECT speed in bit/s for calls without a per-entry speed; default 33600. */
  speed?: number;
  /** Pace data across the virtual line at the connect speed; default true. */
  pace?: boolean;
  /** Telnet on the DTE side: detect (default), always, never. */
  telnet?: TelnetMode;
  /**
   * The listeners; when given, `host`, `port` and `telnet` are not used. Each may carry the
   * line as telnet/raw, as tcpser's ip232, and over TCP or WebSocket.
   */
  listeners?: BankListener[];
  /** Interval between RINGs of an incoming call; default 6000 ms (2 s on, 4 s off). */
  ringIntervalMs?: number;
  /** Port for `ATDT host` without one; default 23. */
  defaultTcpPort?: number;
  /**
   * Drop a DTE whose modem sits in command mode with no byte from it for this long (ms), so
   * that a client which connects and never dials cannot hold a line for ever. 0 = never
   * (the default: a getty waiting for RING, or an emulator that dials hours after boot,
   * is idle in just this way). See HayesOptions.commandIdleMs.
   */
  commandIdleMs?: number;
  /**
   * Lines one client address may hold at once (its DTE connections over every listener);
   * over it a new connection gets NO CARRIER and is closed, so that one client cannot take
   * every line. Default DEFAULT_LINES_PER_SOURCE; 0 = no limit.
   */
  maxLinesPerSource?: number;
  /** Diagnostic messages. */
  log?: (message: string) => void;
}

/**
 * Default of ModemBankOptions.maxLinesPerSource: a few terminals or emulators on one host
 * (tests, a BBS door, a multi-node setup) fit; one client alone cannot fill a larger bank.
 */
export const DEFAULT_LINES_PER_SOURCE = 8;

/** What the bank says to a DTE it refuses or drops, as a modem that loses carrier does. */
const NO_CARRIER = new TextEncoder().encode('\r\nNO CARRIER\r\n');

/**
 * The client address of a DTE peer as the listeners name it ("1.2.3.4:5", "ws [::1]:5" is
 * "ws ::1:5"): the text before the port, without "ws " and the IPv4-mapped "::ffff:" prefix,
 * so that one client counts once whichever listener and address family it comes through.
 */
export function sourceOf(peer: string): string {
  return peer.replace(/^ws /, '').replace(/:\d+$/, '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/** What the bank refused or dropped, for status and tests. */
export interface BankCounters {
  /** DTE connections given a line. */
  accepted: number;
  /** Refused: every line in use. */
  refusedAllLines: number;
  /** Refused: the client address already holds maxLinesPerSource lines. */
  refusedPerSource: number;
  /** DTEs dropped after commandIdleMs in command mode. */
  idleDropped: number;
}

/**
 * Bytes a paced direction of a call may hold before its source is paused (a DTE or TCP
 * socket stops being read, a handler's write callback waits): the virtual line's flow
 * control, as RTS/CTS is a real modem's. 16 KB is about 5 s at 33600 bit/s.
 */
export const PACER_HIGH_WATER = 16 * 1024;
/**
 * Hard bound on a paced direction: bytes beyond it are dropped, as a modem's buffer overruns
 * when the DTE ignores flow control. Pausing a socket still lets the chunks already read
 * arrive (64 KB each at most), so this is reached only if a source does not stop at all.
 */
export const PACER_LIMIT = 256 * 1024;

const now = (): number => performance.now();

/**
 * Delivers bytes at a fixed rate, in small bursts from a timer. Holds at most PACER_LIMIT
 * bytes; above PACER_HIGH_WATER it asks its source to pause (onHigh) and, once drained below
 * half of that, to resume (onLow).
 */
class Pacer {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private credit = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private onEmpty: (() => void) | undefined;
  private stopped = false;
  private paused = false;
  /** Bytes dropped because the source did not stop at PACER_LIMIT. */
  dropped = 0;
  onHigh: (() => void) | undefined;
  onLow: (() => void) | undefined;

  /** bytesPerSec <= 0 delivers at once. */
  constructor(
    private readonly bytesPerSec: number,
    private readonly sink: (d: Uint8Array) => void,
  ) {}

  /** Bytes waiting to be delivered (at most PACER_LIMIT). */
  get retained(): number {
    return this.queued;
  }

  /** True while the source should hold back. */
  get full(): boolean {
    return this.paused;
  }

  push(d: Uint8Array): void {
    if (this.stopped || d.length === 0) return;
    if (this.bytesPerSec <= 0) {
      this.sink(d);
      return;
    }
    if (this.queued + d.length > PACER_LIMIT) {
      const room = PACER_LIMIT - this.queued;
      this.dropped += d.length - room;
      if (room <= 0) return;
      d = d.subarray(0, room);
    }
    if (this.queue.length === 0 && this.timer === undefined) {
      // Idle time earns at most one 10 ms burst, so a line never bursts above its speed.
      const t = now();
      this.credit = Math.min(this.credit + ((t - this.last) * this.bytesPerSec) / 1000, this.burst());
      this.last = t;
    }
    this.queue.push(d);
    this.queued += d.length;
    if (!this.paused && this.queued > PACER_HIGH_WATER) {
      this.paused = true;
      this.onHigh?.();
    }
    this.pump();
  }

  private burst(): number {
    return Math.max(1, this.bytesPerSec / 100);
  }

  private pump(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const t = now();
    this.credit = Math.min(this.credit + ((t - this.last) * this.bytesPerSec) / 1000, this.burst() + 1);
    this.last = t;
    while (this.queue.length && this.credit >= 1) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, Math.floor(this.credit));
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      this.queued -= n;
      this.credit -= n;
      this.sink(head.subarray(0, n));
      if (this.stopped) return;
    }
    if (this.paused && this.queued <= PACER_HIGH_WATER / 2) {
      this.paused = false;
      this.onLow?.();
      if (this.stopped) return;
    }
    if (this.queue.length) {
      this.timer = setTimeout(() => this.pump(), 10);
    } else if (this.onEmpty) {
      const cb = this.onEmpty;
      this.onEmpty = undefined;
      cb();
    }
  }

  /** Run `cb` when everything queued so far has been delivered. */
  drain(cb: () => void): void {
    if (this.queue.length === 0 || this.stopped) cb();
    else this.onEmpty = cb;
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queued = 0;
    if (this.paused) {
      this.paused = false;
      this.onLow?.();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The far end of a call, from the call's point of view. */
interface FarEnd {
  /** Bytes from the caller (already paced). */
  receive(d: Uint8Array): void;
  /** The call is up. */
  connected(speed: number): void;
  /** The caller hung up (or the call was abandoned before it was up). */
  callerGone(): void;
  /** Stop sending toward the caller for now (its direction is full), and go on again. */
  pause?(): void;
  resume?(): void;
}

class Call {
  state: 'setup' | 'ringing' | 'up' | 'ended' = 'setup';
  far: FarEnd | undefined;
  /** Set when the far end is a bank line. */
  callee: Line | undefined;
  private toFar: Pacer | undefined;
  private toCaller: Pacer | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private ringTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly bank: ModemBank,
    readonly caller: Line,
    readonly info: CallInfo,
  ) {}

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.state !== 'ended') fn();
    }, ms);
    this.timers.add(t);
  }

  startRinging(intervalMs: number): void {
    this.state = 'ringing';
    const callerId = this.bank.callerIdOf(this.caller.index);
    const ring = (): void => {
      if (this.state !== 'ringing') return;
      this.callee?.feed({ type: 'ring', callerId });
      this.ringTimer = setTimeout(ring, intervalMs);
    };
    ring();
  }

  up(): void {
    if (this.state === 'ended' || this.state === 'up') return;
    this.state = 'up';
    if (this.ringTimer) clearTimeout(this.ringTimer);
    const rate = this.bank.paceEnabled ? this.info.speed / 10 : 0;
    this.toFar = new Pacer(rate, (d) => this.far?.receive(d));
    this.toCaller = new Pacer(rate, (d) => this.caller.feed({ type: 'remote-data', data: d }));
    // Flow control: a full direction pauses the side that fills it.
    this.toFar.onHigh = () => this.caller.pauseInput();
    this.toFar.onLow = () => this.caller.resumeInput();
    this.toCaller.onHigh = () => this.far?.pause?.();
    this.toCaller.onLow = () => this.far?.resume?.();
    this.caller.feed({ type: 'connected', speed: this.info.speed });
    this.far?.connected(this.info.speed);
  }

  fromCaller(d: Uint8Array): void {
    if (this.state === 'up') this.toFar?.push(d);
  }

  fromFar(d: Uint8Array): void {
    if (this.state === 'up') this.toCaller?.push(d);
  }

  /** Whether the direction toward the caller is full (its source should wait). */
  get callerFull(): boolean {
    return !!this.toCaller?.full;
  }

  /** Run `cb` once the direction toward the caller has room (at once if it has). */
  whenCallerHasRoom(cb: () => void): void {
    const p = this.toCaller;
    if (!p || !p.full || this.state !== 'up') return cb();
    const prev = p.onLow;
    p.onLow = () => {
      p.onLow = prev;
      prev?.();
      cb();
    };
  }

  /** Bytes held in both directions (each at most PACER_LIMIT). */
  get retained(): { toFar: number; toCaller: number; dropped: number } {
    return {
      toFar: this.toFar?.retained ?? 0,
      toCaller: this.toCaller?.retained ?? 0,
      dropped: (this.toFar?.dropped ?? 0) + (this.toCaller?.dropped ?? 0),
    };
  }

  /** The call could not be made. */
  fail(reason: CallFailure): void {
    if (this.state === 'ended') return;
    this.end();
    this.caller.feed({ type: 'call-failed', reason });
  }

  /** The caller's modem hung up (or its DTE went away). */
  hangupByCaller(): void {
    if (this.state === 'ended') return;
    const pacer = this.toFar;
    this.toCaller?.stop();
    this.end();
    // Bytes already on the line still arrive before the far end notices the hang-up.
    const far = this.far;
    if (pacer) pacer.drain(() => far?.callerGone());
    else far?.callerGone();
  }

  /** The far end hung up. */
  hangupByFar(): void {
    if (this.state === 'ended') return;
    const pacer = this.toCaller;
    const wasUp = this.state === 'up';
    this.toFar?.stop();
    this.end();
    const caller = this.caller;
    const notify = (): void => {
      if (wasUp) caller.feed({ type: 'remote-hangup' });
      else caller.feed({ type: 'call-failed', reason: 'no-carrier' });
    };
    if (pacer) pacer.drain(notify);
    else notify();
  }

  private end(): void {
    this.state = 'ended';
    this.bank.callEnded(this);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.ringTimer) clearTimeout(this.ringTimer);
    if (this.caller.call === this) this.caller.call = undefined;
    if (this.callee && this.callee.call === this) this.callee.call = undefined;
  }

  /** Shut everything down without notifying anyone (bank closing). */
  abort(): void {
    this.toFar?.stop();
    this.toCaller?.stop();
    if (this.state !== 'ended') {
      const far = this.far;
      this.end();
      far?.callerGone();
    }
  }
}

/** One line of the bank: a client (the DTE, over TCP or WebSocket), its modem and its current call. */
class Line {
  socket: Duplex | undefined;
  /** Who the DTE is (its TCP or WebSocket peer), while attached. */
  peer: string | undefined;
  modem: HayesModem | undefined;
  telnet: DteCodec | undefined;
  call: Call | undefined;
  /** Bytes dropped toward a DTE that stopped reading (over DTE_OUTPUT_LIMIT). */
  outputDropped = 0;
  private outputFull = false;
  /** &W/&Z memory survives reconnects of the client. */
  readonly nvram: Nvram = factoryNvram();
  private readonly timer = new DeadlineTimer(() => this.feed({ type: 'tick' }), now);
  private readonly queue: ModemEvent[] = [];
  private running = false;

  constructor(
    readonly bank: ModemBank,
    readonly index: number,
  ) {}

  attach(socket: Duplex, peer: string, framing: SerialFraming): void {
    this.socket = socket;
    this.peer = peer;
    this.outputFull = false;
    const numbers = this.bank.numbersOf(this.index);
    this.modem = new HayesModem({
      nvram: this.nvram,
      commandIdleMs: this.bank.commandIdleMs,
      connectSpeed: this.bank.speed,
      info: { 7: `line ${this.index}, number ${numbers.join(', ') || '(none)'}` },
      // tcpser's ip232 starts with DTR low until the client reports it (FF 01).
      dtr: framing !== 'ip232',
    });
    this.telnet = makeCodec(framing);
    this.write(this.telnet.start());
    // A line that signals DCD (ip232) learns its state at once (&C0: DCD on from the start).
    if (framing === 'ip232') this.write(this.telnet.modemState(this.modem.dcd, this.modem.ri));
    // Start the modem's clock now, so its timers (the command-mode idle timer) run from the
    // moment the DTE is attached even if it never sends a byte.
    this.feed({ type: 'tick' });
    socket.on('data', (buf: Buffer) => {
      const telnet = this.telnet;
      // A dropped DTE's socket may still deliver bytes while it closes; the line may have
      // a new DTE by then, which those bytes are not for.
      if (!telnet || this.socket !== socket) return;
      const r = telnet.receive(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      if (r.reply?.length) this.write(r.reply);
      for (const ev of r.events) if (ev.type === 'dtr') this.feed({ type: 'dtr', on: !!ev.on });
      if (r.data.length) this.feed({ type: 'dte', data: r.data });
    });
    socket.on('error', (err) => this.bank.log(`line ${this.index}: ${err.message}`));
    socket.on('close', () => {
      if (this.socket === socket) this.detach();
    });
    this.bank.log(`line ${this.index}: DTE connected from ${peer}`);
  }

  /** The DTE went away: like pulling the plug, whatever &D says. */
  detach(): void {
    if (!this.socket) return;
    this.bank.log(`line ${this.index}: DTE disconnected`);
    const call = this.call;
    this.socket = undefined;
    this.peer = undefined;
    this.modem = undefined;
    this.telnet = undefined;
    this.timer.stop();
    this.queue.length = 0;
    if (call) {
      if (call.caller === this) call.hangupByCaller();
      else call.hangupByFar();
    }
  }

  private write(d: Uint8Array): void {
    const s = this.socket;
    if (!d.length || !s || s.destroyed) return;
    if (s.writableLength > DTE_OUTPUT_LIMIT) {
      this.outputDropped += d.length;
      return;
    }
    if (!s.write(d) && !this.outputFull) {
      // The DTE reads slower than we write (a WebSocket's browser tab in the background, a
      // stalled TCP client): hold back whatever feeds this direction until it drains.
      this.outputFull = true;
      this.holdSource(true);
      s.once('drain', () => {
        this.outputFull = false;
        this.holdSource(false);
      });
    }
  }

  /** Pause (or resume) what sends toward this DTE: the far end of its call. */
  private holdSource(hold: boolean): void {
    const call = this.call;
    if (!call) return;
    if (call.caller === this) {
      if (hold) call.far?.pause?.();
      else call.far?.resume?.();
    } else if (hold) call.caller.pauseInput();
    else call.caller.resumeInput();
  }

  /** Bytes waiting to be written to the DTE. */
  get outputRetained(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** Stop reading the DTE (the call's line is full); like dropping CTS. */
  pauseInput(): void {
    this.socket?.pause();
  }
  resumeInput(): void {
    this.socket?.resume();
  }

  /** Feed the modem an event now; re-entrant calls are queued behind the current one. */
  feed(ev: ModemEvent): void {
    if (!this.modem) return;
    this.queue.push(ev);
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && this.modem) {
        this.modem.input(this.queue.shift()!, now());
        this.apply(this.modem.takeOutputs());
      }
    } finally {
      this.running = false;
    }
    this.reschedule();
  }

  private reschedule(): void {
    this.timer.arm(this.modem?.nextDeadline());
  }

  private apply(outs: ModemOutput[]): void {
    for (const o of outs) {
      switch (o.type) {
        case 'dte':
          if (this.telnet) this.write(this.telnet.encode(o.data));
          break;
        case 'remote': {
          const call = this.call;
          if (call?.caller === this) call.fromCaller(o.data);
          else call?.fromFar(o.data);
          break;
        }
        case 'dial':
          this.bank.placeCall(this, o.number, o.dial.kind === 'host');
          break;
        case 'answer':
          this.bank.answer(this);
          break;
        case 'hangup': {
          const call = this.call;
          if (call?.caller === this) call.hangupByCaller();
          else call?.hangupByFar();
          break;
        }
        case 'dcd':
        case 'ri':
          if (this.telnet && this.modem) this.write(this.telnet.modemState(this.modem.dcd, this.modem.ri));
          break;
        case 'idle':
          this.bank.log(`line ${this.index}: no command for ${this.bank.commandIdleMs} ms; dropping the DTE`);
          this.bank.counters.idleDropped++;
          if (this.telnet) this.write(this.telnet.encode(NO_CARRIER));
          this.socket?.end();
          this.detach(); // the line is free from now, not only when the socket has closed
          break;
      }
    }
    // Telnet detection must not look at PPP frames (which start with 0xFF) in online mode.
    if (this.telnet && this.modem && this.telnet.detect !== undefined) this.telnet.detect = this.modem.phase !== 'online';
  }

  /** Ready to take a call: a DTE is attached and its modem is idle. */
  get idle(): boolean {
    return !this.call && (!this.modem || this.modem.phase === 'command');
  }
}

export class ModemBank {
  readonly speed: number;
  readonly paceEnabled: boolean;
  readonly telnetMode: TelnetMode;
  readonly commandIdleMs: number;
  readonly maxLinesPerSource: number;
  readonly counters: BankCounters = { accepted: 0, refusedAllLines: 0, refusedPerSource: 0, idleDropped: 0 };
  private readonly opts: ModemBankOptions;
  private readonly lines: Line[];
  private readonly book: PhoneBook;
  private readonly handlers = new Map<string, CallHandler>();
  private readonly specs: BankListener[];
  private readonly servers: Array<net.Server | WsListener> = [];
  private readonly bound: net.AddressInfo[] = [];
  private readonly farSockets = new Set<net.Socket>();
  private readonly calls = new Set<Call>();

  constructor(opts: ModemBankOptions = {}) {
    this.opts = opts;
    this.speed = opts.speed ?? 33600;
    this.paceEnabled = opts.pace ?? true;
    this.telnetMode = opts.telnet ?? 'auto';
    this.commandIdleMs = opts.commandIdleMs ?? 0;
    this.maxLinesPerSource = opts.maxLinesPerSource ?? DEFAULT_LINES_PER_SOURCE;
    if (!Number.isInteger(this.maxLinesPerSource) || this.maxLinesPerSource < 0) throw new RangeError('maxLinesPerSource must be a non-negative integer');
    this.book = opts.phoneBook ?? new PhoneBook();
    const n = opts.lines ?? 4;
    if (!Number.isInteger(n) || n < 1) throw new RangeError('lines must be a positive integer');
    this.lines = Array.from({ length: n }, (_, i) => new Line(this, i + 1));
    this.specs = opts.listeners ?? [{ host: opts.host, port: opts.port ?? 6400, framing: this.telnetMode === 'on' ? 'telnet' : this.telnetMode === 'off' ? 'raw' : 'auto' }];
    if (this.specs.length === 0) throw new RangeError('a modem bank needs a listener');
  }

  /** Start listening on every listener; resolves with the first one's bound address. */
  async listen(): Promise<net.AddressInfo> {
    for (const spec of this.specs) {
      const at = { host: spec.host ?? '127.0.0.1', port: spec.port };
      const framing = spec.framing ?? 'auto';
      if (spec.websocket) {
        const l = await listenWebSocket(at, (stream, peer) => this.accept(stream, peer, framing), 'modem bank line');
        this.servers.push(l);
        this.bound.push(l.address);
        continue;
      }
      const server = net.createServer((sock) => {
        sock.setNoDelay(true);
        this.accept(sock, `${sock.remoteAddress}:${sock.remotePort}`, framing);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(at.port, at.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
      this.bound.push(server.address() as net.AddressInfo);
    }
    return this.bound[0]!;
  }

  get address(): net.AddressInfo | undefined {
    return this.bound[0];
  }

  /** Every listener's bound address, in the order of `listeners`. */
  get addresses(): readonly net.AddressInfo[] {
    return this.bound;
  }

  /** Stop listening, drop every DTE and call. */
  async close(): Promise<void> {
    for (const c of [...this.calls]) c.abort();
    for (const s of this.farSockets) s.destroy();
    for (const l of this.lines) l.socket?.destroy();
    await Promise.all(
      this.servers.map((s) => (s instanceof net.Server ? new Promise<void>((resolve) => s.close(() => resolve())) : s.close())),
    );
  }

  registerHandler(name: string, handler: CallHandler): void {
    this.handlers.set(name.toLowerCase(), handler);
  }

  unregisterHandler(name: string): void {
    this.handlers.delete(name.toLowerCase());
  }

  /** The numbers that reach line `index`: its phone book entries, or just "N" if it has none. */
  numbersOf(index: number): string[] {
    const listed = this.book.numbersOfLine(index);
    return listed.length ? listed : [String(index)];
  }

  /**
   * Caller ID for a call from line `index`: its first number and `LINE n`, with the host's
   * local date and time as the exchange would send them.
   */
  callerIdOf(index: number): CallerId {
    const d = new Date();
    const two = (n: number): string => String(n).padStart(2, '0');
    return { date: `${two(d.getMonth() + 1)}${two(d.getDate())}`, time: `${two(d.getHours())}${two(d.getMinutes())}`, number: this.numbersOf(index)[0], name: `LINE ${index}` };
  }

  /** A snapshot for diagnostics and tests. */
  status(): Array<{ line: number; attached: boolean; phase: string; inCall: boolean; caller?: string; call?: string; number?: string; speed?: number }> {
    return this.lines.map((l) => ({
      line: l.index,
      attached: !!l.socket,
      phase: l.modem?.phase ?? 'detached',
      inCall: !!l.call,
      // Who is on the line (its DTE's TCP peer) and the call it is in: for the ISP's console.
      ...(l.socket && l.peer ? { caller: l.peer } : {}),
      ...(l.call ? { call: l.call.state, number: l.call.info.number, speed: l.call.info.speed } : {}),
    }));
  }

  /**
   * What each line holds that its input can grow, for tests and diagnostics: the modem's
   * command state, an unfinished telnet subnegotiation, and the call's paced directions.
   */
  retained(): Array<{ line: number; modem?: RetainedSizes; telnet: number; output: number; outputDropped: number; call?: { toFar: number; toCaller: number; dropped: number } }> {
    return this.lines.map((l) => ({
      line: l.index,
      ...(l.modem ? { modem: l.modem.retained } : {}),
      telnet: l.telnet?.retained ?? 0,
      output: l.outputRetained,
      outputDropped: l.outputDropped,
      ...(l.call ? { call: l.call.retained } : {}),
    }));
  }

  /** Called by a call when it ends, so that close() only aborts live ones. */
  callEnded(call: Call): void {
    this.calls.delete(call);
  }

  log(message: string): void {
    this.opts.log?.(message);
  }

  private accept(socket: Duplex, peer: string, framing: SerialFraming): void {
    const limit = this.maxLinesPerSource;
    if (limit > 0) {
      const source = sourceOf(peer);
      let held = 0;
      for (const l of this.lines) if (l.socket && l.peer !== undefined && sourceOf(l.peer) === source) held++;
      if (held >= limit) {
        this.counters.refusedPerSource++;
        this.log(`refusing ${peer}: ${source} already holds ${held} lines (limit ${limit})`);
        socket.end(NO_CARRIER);
        return;
      }
    }
    const line = this.lines.find((l) => !l.socket);
    if (!line) {
      this.counters.refusedAllLines++;
      this.log(`refusing ${peer}: all ${this.lines.length} lines in use`);
      socket.end(NO_CARRIER);
      return;
    }
    this.counters.accepted++;
    line.attach(socket, peer, framing);
  }

  /** Where a dialled number goes. */
  private route(number: string, isHost: boolean): { target: Target; entry: PhoneBookEntry | undefined } {
    const entry = this.book.lookup(number);
    if (entry) return { target: entry.target, entry };
    const key = normalizeNumber(number);
    // 86Box/DOSBox: 12+ digits not in the book are an IP address and port (phonebook.ts).
    const numeric = isHost ? undefined : numericAddress(key);
    if (numeric) return { target: { kind: 'tcp', ...numeric }, entry: undefined };
    if (/^[0-9]+$/.test(key)) {
      const k = Number(key);
      if (k >= 1 && k <= this.lines.length && this.book.numbersOfLine(k).length === 0) {
        return { target: { kind: 'line', line: k }, entry: undefined };
      }
    }
    if (isHost) {
      const hp = splitHostPort(number);
      if (hp) return { target: { kind: 'tcp', host: hp.host, port: hp.port ?? this.opts.defaultTcpPort ?? 23 }, entry: undefined };
    }
    // A number nobody answers: the exchange plays an intercept, the modem hears no carrier.
    return { target: { kind: 'fail', reason: 'no-carrier' }, entry: undefined };
  }

  /** A line's modem asked to dial. */
  placeCall(from: Line, number: string, isHost: boolean): void {
    if (from.call) {
      // The line is ringing with an incoming call: there is no dial tone to dial on.
      from.feed({ type: 'call-failed', reason: 'no-dialtone' });
      return;
    }
    const { target, entry } = this.route(number, isHost);
    const info: CallInfo = {
      number: normalizeNumber(number),
      line: from.index,
      speed: entry?.speed ?? this.speed,
      entry,
    };
    const call = new Call(this, from, info);
    from.call = call;
    this.calls.add(call);
    const delay = entry?.delayMs ?? 0;
    this.log(`line ${from.index}: dialling ${number} -> ${describe(target)}`);

    switch (target.kind) {
      case 'fail':
        call.later(delay, () => call.fail(target.reason));
        return;
      case 'line': {
        const callee = this.lines[target.line - 1];
        if (!callee || callee === from || !callee.idle) {
          call.later(delay, () => call.fail('busy'));
          return;
        }
        call.callee = callee;
        callee.call = call;
        call.far = {
          receive: (d) => callee.feed({ type: 'remote-data', data: d }),
          connected: (speed) => callee.feed({ type: 'connected', speed }),
          callerGone: () => callee.feed({ type: 'remote-hangup' }),
          pause: () => callee.pauseInput(),
          resume: () => callee.resumeInput(),
        };
        // Ringing starts after the delay; until then the callee line is reserved.
        call.later(delay, () => call.startRinging(this.opts.ringIntervalMs ?? 6000));
        return;
      }
      case 'tcp':
        call.later(delay, () => this.dialTcp(call, target.host, target.port));
        return;
      case 'handler': {
        const handler = this.handlers.get(target.name.toLowerCase());
        if (!handler) {
          this.log(`no handler registered as '${target.name}'`);
          call.later(delay, () => call.fail('no-carrier'));
          return;
        }
        call.later(delay, () => this.connectHandler(call, handler));
        return;
      }
    }
  }

  /** A line's modem went off hook to answer. */
  answer(line: Line): void {
    const call = line.call;
    if (call && call.callee === line && call.state === 'ringing') call.up();
    // Otherwise nobody is calling: the modem waits S7 and reports NO CARRIER by itself.
  }

  private dialTcp(call: Call, host: string, port: number): void {
    const socket = net.connect({ host, port });
    this.farSockets.add(socket);
    socket.setNoDelay(true);
    let settled = false;
    call.far = {
      receive: (d) => {
        if (!socket.destroyed) socket.write(d);
      },
      connected: () => {},
      callerGone: () => socket.destroy(),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    };
    socket.on('connect', () => {
      settled = true;
      if (call.state === 'ended') socket.destroy();
      else call.up();
    });
    socket.on('data', (buf: Buffer) => call.fromFar(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)));
    socket.on('error', (err) => this.log(`line ${call.caller.index}: ${host}:${port}: ${err.message}`));
    socket.on('close', () => {
      this.farSockets.delete(socket);
      if (!settled) call.fail('no-answer'); // refused, unreachable, no such host
      else call.hangupByFar();
    });
  }

  private connectHandler(call: Call, handler: CallHandler): void {
    let callerGone = false;
    // Set while the caller's DTE does not read (Line.holdSource): the handler's next write waits.
    let held: (() => void) | undefined;
    let paused = false;
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        call.fromFar(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        // Backpressure: the handler's next write waits until the line toward the caller has
        // room, so a handler faster than the line fills the stream's buffer, not ours.
        call.whenCallerHasRoom(() => {
          if (paused) held = cb;
          else cb();
        });
      },
      final(cb) {
        call.hangupByFar();
        if (!callerGone) {
          // Our side is finished too: end the readable half so the stream can close.
          callerGone = true;
          stream.push(null);
        }
        cb();
      },
      destroy(err, cb) {
        call.hangupByFar();
        cb(err);
      },
    });
    call.far = {
      receive: (d) => {
        if (!callerGone) stream.push(Buffer.from(d));
      },
      connected: () => {},
      callerGone: () => {
        if (callerGone) return;
        callerGone = true;
        stream.push(null);
        stream.end();
        const cb = held;
        held = undefined;
        cb?.();
      },
      pause: () => {
        paused = true;
      },
      resume: () => {
        paused = false;
        const cb = held;
        held = undefined;
        cb?.();
      },
    };
    call.up();
    try {
      handler(stream, call.info);
    } catch (err) {
      this.log(`handler failed: ${(err as Error).message}`);
      stream.destroy();
    }
  }
}

function describe(t: Target): string {
  switch (t.kind) {
    case 'line':
      return `line ${t.line}`;
    case 'tcp':
      return `tcp ${t.host}:${t.port}`;
    case 'handler':
      return `handler ${t.name}`;
    case 'fail':
      return t.reason;
  }
}
