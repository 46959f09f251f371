/**
 * Telnet handling for a serial line carried over TCP (sans-IO).
 *
 * Emulators (86Box, DOSBox-X, v86, QEMU `-serial tcp:`) send raw bytes; terminal programs and
 * some emulators speak telnet. Like tcpser, the line starts raw and switches to telnet when
 * the client sends IAC followed by a telnet command; from then on IAC bytes are escaped both
 * ways and options are negotiated. Detection only runs while the modem is not passing data
 * (the owner turns it off in online mode): PPP frames start with 0xFF and must never be taken
 * for telnet.
 *
 * Supported options: BINARY, ECHO (we echo; the modem's E setting decides what), SUPPRESS-GO-
 * AHEAD, and RFC 2217 COM-PORT-OPTION, whose SET-CONTROL DTR ON/OFF reaches the modem as DTR
 * changes and whose NOTIFY-MODEMSTATE reports DCD. Everything else is refused.
 */

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;

export const OPT_BINARY = 0;
export const OPT_ECHO = 1;
export const OPT_SGA = 3;
export const OPT_COM_PORT = 44;

/** RFC 2217 client-to-server command codes (the server answers with code + 100). */
export const CPO = {
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  NOTIFY_MODEMSTATE: 7,
  FLOWCONTROL_SUSPEND: 8,
  FLOWCONTROL_RESUME: 9,
  SET_LINESTATE_MASK: 10,
  SET_MODEMSTATE_MASK: 11,
  PURGE_DATA: 12,
} as const;

export type TelnetMode = 'auto' | 'on' | 'off';

export type TelnetEvent = { type: 'dtr'; on: boolean } | { type: 'baud'; bps: number };

export interface TelnetInput {
  /** Bytes for the modem, telnet commands removed. */
  data: Uint8Array;
  /** Bytes to send back to the client (negotiation answers). */
  reply: Uint8Array;
  events: TelnetEvent[];
}

/**
 * Longest subnegotiation kept (IAC SB ... IAC SE, without the framing). The longest we act on
 * is RFC 2217 SET-BAUDRATE: option, command and a 4-byte value. A client that opens IAC SB and
 * never sends IAC SE would otherwise grow the buffer with every byte it sends; past this
 * bound the bytes are dropped and the (overlong, hence meaningless) subnegotiation ignored.
 */
export const MAX_SUBNEGOTIATION = 64;

const LOCAL_OK = new Set([OPT_BINARY, OPT_ECHO, OPT_SGA, OPT_COM_PORT]);
const REMOTE_OK = new Set([OPT_BINARY, OPT_SGA, OPT_COM_PORT]);

const enum St {
  Data,
  Iac,
  Verb,
  Sub,
  SubIac,
}

export class TelnetFilter {
  private activeFlag: boolean;
  /** Off while the modem is online, so that data bytes are never mistaken for telnet. */
  detect = true;

  private st = St.Data;
  private verb = 0;
  private sub: number[] = [];
  private subOverflow = false;
  private heldIac = false;
  private afterCr = false;
  private readonly local = new Set<number>();
  private readonly remote = new Set<number>();
  private readonly pendingLocal = new Set<number>();
  private readonly pendingRemote = new Set<number>();

  // COM-PORT-OPTION state, echoed back on queries.
  private baud = 115200;
  private dtr = true;
  private rts = true;
  private dataSize = 8;
  private parity = 1; // NONE
  private stopSize = 1;
  private flow = 1; // none
  private modemStateMask = 255;
  private lastModemState = 0;

  constructor(private readonly mode: TelnetMode = 'auto') {
    this.activeFlag = mode === 'on';
  }

  /** True once the connection speaks telnet. */
  get active(): boolean {
    return this.activeFlag;
  }

  /** What the server sends first: our option offers when telnet is forced on, else nothing. */
  start(): Uint8Array {
    return this.mode === 'on' ? Uint8Array.from(this.offers()) : new Uint8Array(0);
  }

  private offers(): number[] {
    // Server-side echo and character-at-a-time mode: the modem echoes per E, and a telnet
    // client in line mode would hold "+++" until Enter.
    const out: number[] = [];
    for (const opt of [OPT_ECHO, OPT_SGA, OPT_BINARY]) {
      if (!this.local.has(opt)) {
        this.local.add(opt);
        this.pendingLocal.add(opt);
        out.push(IAC, WILL, opt);
      }
    }
    for (const opt of [OPT_SGA, OPT_BINARY]) {
      if (!this.remote.has(opt)) {
        this.remote.add(opt);
        this.pendingRemote.add(opt);
        out.push(IAC, DO, opt);
      }
    }
    return out;
  }

  receive(bytes: Uint8Array): TelnetInput {
    const data: number[] = [];
    const reply: number[] = [];
    const events: TelnetEvent[] = [];
    for (const b of bytes) {
      if (!this.activeFlag) {
        if (this.heldIac) {
          this.heldIac = false;
          if (this.detect && b >= SE && b !== IAC) {
            this.activeFlag = true;
            for (const o of this.offers()) reply.push(o);
            this.st = St.Iac;
            this.step(b, data, reply, events);
            continue;
          }
          data.push(IAC);
        }
        if (b === IAC && this.mode === 'auto' && this.detect) {
          this.heldIac = true; // decide when the next byte shows whether this is telnet
          continue;
        }
        data.push(b);
        continue;
      }
      this.step(b, data, reply, events);
    }
    return { data: Uint8Array.from(data), reply: Uint8Array.from(reply), events };
  }

  private step(b: number, data: number[], reply: number[], events: TelnetEvent[]): void {
    switch (this.st) {
      case St.Data:
        if (b === IAC) {
          this.st = St.Iac;
          return;
        }
        // NVT clients send CR as CR NUL; the NUL is not data.
        if (this.afterCr && b === 0 && !this.remote.has(OPT_BINARY)) {
          this.afterCr = false;
          return;
        }
        this.afterCr = b === 13;
        data.push(b);
        return;
      case St.Iac:
        if (b === IAC) {
          data.push(IAC);
          this.st = St.Data;
        } else if (b >= WILL && b <= DONT) {
          this.verb = b;
          this.st = St.Verb;
        } else if (b === SB) {
          this.sub = [];
          this.subOverflow = false;
          this.st = St.Sub;
        } else {
          this.st = St.Data; // NOP, GA, AYT, BREAK...: nothing to do on a virtual line
        }
        return;
      case St.Verb:
        this.negotiate(this.verb, b, reply);
        this.st = St.Data;
        return;
      case St.Sub:
        if (b === IAC) this.st = St.SubIac;
        else this.subByte(b);
        return;
      case St.SubIac:
        if (b === SE) {
          if (!this.subOverflow) this.subnegotiation(this.sub, reply, events);
          this.sub = [];
          this.subOverflow = false;
          this.st = St.Data;
        } else {
          if (b === IAC) this.subByte(IAC);
          this.st = St.Sub;
        }
        return;
    }
  }

  private negotiate(verb: number, opt: number, reply: number[]): void {
    switch (verb) {
      case DO:
        if (!LOCAL_OK.has(opt)) reply.push(IAC, WONT, opt);
        else if (!this.local.has(opt)) {
          this.local.add(opt);
          reply.push(IAC, WILL, opt);
        }
        this.pendingLocal.delete(opt);
        return;
      case DONT:
        if (this.local.has(opt)) {
          this.local.delete(opt);
          if (!this.pendingLocal.has(opt)) reply.push(IAC, WONT, opt);
        }
        this.pendingLocal.delete(opt);
        return;
      case WILL:
        if (!REMOTE_OK.has(opt)) reply.push(IAC, DONT, opt);
        else if (!this.remote.has(opt)) {
          this.remote.add(opt);
          reply.push(IAC, DO, opt);
        }
        this.pendingRemote.delete(opt);
        return;
      case WONT:
        if (this.remote.has(opt)) {
          this.remote.delete(opt);
          if (!this.pendingRemote.has(opt)) reply.push(IAC, DONT, opt);
        }
        this.pendingRemote.delete(opt);
        return;
    }
  }

  private get comPort(): boolean {
    return this.local.has(OPT_COM_PORT) || this.remote.has(OPT_COM_PORT);
  }

  private subByte(b: number): void {
    if (this.sub.length < MAX_SUBNEGOTIATION) this.sub.push(b);
    else this.subOverflow = true;
  }

  /** Bytes held by an unfinished subnegotiation (at most MAX_SUBNEGOTIATION). */
  get retained(): number {
    return this.sub.length;
  }

  private subnegotiation(sub: number[], reply: number[], events: TelnetEvent[]): void {
    if (sub[0] !== OPT_COM_PORT || sub.length < 2) return;
    const cmd = sub[1]!;
    const arg = sub.slice(2);
    const answer = (...payload: number[]): void => {
      reply.push(IAC, SB, OPT_COM_PORT, cmd + 100);
      for (const p of payload) {
        reply.push(p);
        if (p === IAC) reply.push(IAC);
      }
      reply.push(IAC, SE);
    };
    const v = arg[0] ?? 0;
    switch (cmd) {
      case CPO.SET_BAUDRATE: {
        const bps = arg.length >= 4 ? ((arg[0]! << 24) | (arg[1]! << 16) | (arg[2]! << 8) | arg[3]!) >>> 0 : 0;
        if (bps) {
          this.baud = bps;
          events.push({ type: 'baud', bps });
        }
        const b = this.baud;
        answer((b >>> 24) & 255, (b >>> 16) & 255, (b >>> 8) & 255, b & 255);
        return;
      }
      case CPO.SET_DATASIZE:
        if (v) this.dataSize = v;
        answer(this.dataSize);
        return;
      case CPO.SET_PARITY:
        if (v) this.parity = v;
        answer(this.parity);
        return;
      case CPO.SET_STOPSIZE:
        if (v) this.stopSize = v;
        answer(this.stopSize);
        return;
      case CPO.SET_CONTROL:
        if (v === 0) answer(this.flow);
        else if (v >= 1 && v <= 3) answer((this.flow = v));
        else if (v === 4) answer(6); // BREAK is never on
        else if (v === 7) answer(this.dtr ? 8 : 9);
        else if (v === 8 || v === 9) {
          const on = v === 8;
          if (on !== this.dtr) events.push({ type: 'dtr', on });
          this.dtr = on;
          answer(v);
        } else if (v === 10) answer(this.rts ? 11 : 12);
        else if (v === 11 || v === 12) {
          this.rts = v === 11;
          answer(v);
        } else answer(v);
        return;
      case CPO.SET_MODEMSTATE_MASK:
        this.modemStateMask = v;
        answer(v);
        return;
      case CPO.SET_LINESTATE_MASK:
      case CPO.PURGE_DATA:
        answer(v);
        return;
      default:
        return; // FLOWCONTROL-SUSPEND/RESUME and the rest need no answer
    }
  }

  /** Escape outgoing bytes for telnet (IAC doubling) once the connection speaks it. */
  encode(bytes: Uint8Array): Uint8Array {
    if (!this.activeFlag || !bytes.includes(IAC)) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      out.push(b);
      if (b === IAC) out.push(IAC);
    }
    return Uint8Array.from(out);
  }

  /**
   * RFC 2217 NOTIFY-MODEMSTATE for a DCD/RI change, or nothing if the client did not
   * negotiate COM-PORT-OPTION. DSR and CTS are always on (a virtual modem is always ready).
   */
  modemState(dcd: boolean, ri = false): Uint8Array {
    if (!this.activeFlag || !this.comPort) return new Uint8Array(0);
    let state = 0x20 | 0x10 | (dcd ? 0x80 : 0) | (ri ? 0x40 : 0);
    if ((state ^ this.lastModemState) & 0x80) state |= 0x08; // delta DCD
    this.lastModemState = state & 0xf0;
    const masked = state & this.modemStateMask;
    const out = [IAC, SB, OPT_COM_PORT, CPO.NOTIFY_MODEMSTATE + 100, masked];
    if (masked === IAC) out.push(IAC);
    out.push(IAC, SE);
    return Uint8Array.from(out);
  }
}
