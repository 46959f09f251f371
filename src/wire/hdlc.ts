/**
 * RFC 1662 asynchronous HDLC-like framing for PPP ("octet-stuffed framing").
 *
 * Wire format of one frame (before octet stuffing):
 *
 *     7E | FF 03 | protocol (1 or 2) | information | FCS (2 or 4, LSB first) | 7E
 *
 * Octet stuffing (RFC 1662 §4.2): 0x7E (flag), 0x7D (control escape) and any
 * octet flagged in the transmit ACCM / extended map is sent as 0x7D followed
 * by the octet XOR 0x20.  The FCS is computed over the *unstuffed* octets.
 *
 * Sans-IO: the encoder turns (protocol, payload) into bytes, the decoder
 * turns any chunking of received bytes into frames.  Neither does I/O or
 * reads the clock.
 */

import { FCS16_GOOD, FCS16_TABLE, FCS32_GOOD, crc32 } from './fcs.js';

const FLAG = 0x7e;
const ESC = 0x7d;
const PPP_LCP = 0xc021;
const ALLSTATIONS = 0xff;
const UI = 0x03;

/** Default information-field limit; pppd's kernel side never accepts less. */
const PPP_MRU = 1500;

// --------------------------------------------------------------------------
// Transmit side
// --------------------------------------------------------------------------

export interface TxConfig {
  /**
   * 32-bit Async-Control-Character-Map: bit n set means octet 0x0n (n < 32)
   * must be escaped.  This is the map the PEER asked for in its LCP
   * Configure-Request; the default (before/without negotiation) is all ones
   * (RFC 1662 §7.1).
   */
  accm: number;
  /**
   * 256-bit map (32 octets) of extra octets to escape -- pppd's `escape`
   * option.  Bit for octet c is `escape[c >> 3] & (1 << (c & 7))`, which is
   * the in-memory layout of pppd's little-endian `u_int32_t xmit_accm[8]`.
   * 0x7D and 0x7E are always escaped regardless; 0x5E never is (see
   * buildEscapeTables).
   */
  escape: Uint8Array;
  /** Address-and-Control-Field-Compression negotiated (RFC 1661 §6.6). */
  acfc: boolean;
  /** Protocol-Field-Compression negotiated (RFC 1661 §6.5). */
  pfc: boolean;
  /** 32-bit FCS negotiated (RFC 1570 FCS-Alternatives); else 16-bit. */
  fcs32: boolean;
}

function defaultTxConfig(): TxConfig {
  return { accm: 0xffffffff, escape: new Uint8Array(32), acfc: false, pfc: false, fcs32: false };
}

/**
 * Build the per-octet "must escape" tables.  `normal` is used for every
 * protocol but LCP; `lcp` additionally escapes all of 0x00-0x1F.
 */
function buildEscapeTables(cfg: TxConfig): { normal: Uint8Array; lcp: Uint8Array } {
  const normal = new Uint8Array(256);
  const lcp = new Uint8Array(256);
  const accm = cfg.accm >>> 0;
  const extra = cfg.escape;
  for (let c = 0; c < 256; c++) {
    let e = 0;
    if (c < 0x20 && (accm >>> c) & 1) e = 1;
    if (((extra[c >> 3] ?? 0) >> (c & 7)) & 1) e = 1;
    // Escaping 0x5E would put "7D 7E" on the wire, which is the abort
    // sequence, not an escaped octet.  pppd's `escape` option refuses 0x5E
    // and ppp_async clears its bit in the extended map; do the same.
    if (c === 0x5e) e = 0;
    if (c === FLAG || c === ESC) e = 1;
    normal[c] = e;
    // LCP must get through whatever ACCM either side currently assumes: a
    // Configure-Request/Terminate may be sent while the peer has already
    // reverted to the default all-ones map (RFC 1662 §7.1).  So every control
    // character in LCP frames is escaped.  (Linux ppp_async does this only
    // for LCP codes 1-7; doing it for all LCP codes costs a few octets on
    // Echo/Discard packets and is never wrong.)
    lcp[c] = c < 0x20 ? 1 : e;
  }
  return { normal, lcp };
}

function copyConfig(src: TxConfig): TxConfig {
  const escape = new Uint8Array(32);
  escape.set(src.escape.subarray(0, 32));
  return {
    accm: src.accm >>> 0,
    escape,
    acfc: !!src.acfc,
    pfc: !!src.pfc,
    fcs32: !!src.fcs32,
  };
}

export class HdlcEncoder {
  private cfg: TxConfig;
  private esc!: Uint8Array;
  private escLcp!: Uint8Array;
  /** More than a handful of octet values need stuffing (see encode()). */
  private dense = true;
  /** Reused output area; grown on demand, copied out once per frame. */
  private scratch = new Uint8Array(4096);
  private readonly hdr = new Uint8Array(4);

  constructor(cfg?: Partial<TxConfig>) {
    this.cfg = copyConfig({ ...defaultTxConfig(), ...stripUndefined(cfg ?? {}) });
    this.rebuild();
  }

  /**
   * Snapshot of the current configuration (frozen; its `escape` is a copy).
   * Assign a whole TxConfig, or call setConfig() with a partial one, to
   * change it -- either way the escape tables are rebuilt.
   */
  get config(): Readonly<TxConfig> {
    const c = copyConfig(this.cfg);
    return Object.freeze(c);
  }

  set config(cfg: TxConfig) {
    this.cfg = copyConfig({ ...defaultTxConfig(), ...stripUndefined(cfg) });
    this.rebuild();
  }

  setConfig(partial: Partial<TxConfig>): void {
    this.cfg = copyConfig({ ...this.cfg, ...stripUndefined(partial) });
    this.rebuild();
  }

  private rebuild(): void {
    const t = buildEscapeTables(this.cfg);
    this.esc = t.normal;
    this.escLcp = t.lcp;
    let k = 0;
    for (let c = 0; c < 256; c++) k += t.normal[c]!;
    this.dense = k > 8;
  }

  /**
   * Frame one PPP packet: `7E [FF 03] protocol information FCS 7E`, stuffed.
   * Always emits the opening flag (RFC 1662 §4.4.2 allows omitting it between
   * back-to-back frames, but sending it is always correct and flushes any
   * line noise the receiver may have accumulated).
   */
  encode(protocol: number, payload: Uint8Array): Buffer {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) {
      throw new RangeError(`protocol out of range: ${protocol}`);
    }
    const cfg = this.cfg;
    // RFC 1661 §6.5/§6.6: ACFC and PFC never apply to LCP packets.
    const lcp = protocol === PPP_LCP;
    const esc = lcp ? this.escLcp : this.esc;
    const dense = lcp || this.dense;

    const hdr = this.hdr;
    let h = 0;
    if (lcp || !cfg.acfc) {
      hdr[h++] = ALLSTATIONS;
      hdr[h++] = UI;
    }
    // Only protocols 0x0000-0x00FF can be sent in one octet (RFC 1661 §6.5);
    // an even value there is not a valid protocol and would be misparsed as
    // the first half of a two-octet field, so never compress it.  Nor 0x00FF
    // (reserved by IANA as "compression inefficient"): with ACFC on, a lone
    // FF octet would be taken for the Address field by the receiver.
    if (!lcp && cfg.pfc && protocol < 0xff && (protocol & 1) === 1) {
      hdr[h++] = protocol;
    } else {
      hdr[h++] = protocol >>> 8;
      hdr[h++] = protocol & 0xff;
    }

    const fcsLen = cfg.fcs32 ? 4 : 2;
    const n = payload.length;
    // Worst case every octet stuffed, plus the two flags.
    const worst = 2 + 2 * (h + n + fcsLen);
    let out = this.scratch;
    if (out.length < worst) {
      out = this.scratch = new Uint8Array(Math.max(worst, out.length * 2));
    }

    let o = 0;
    out[o++] = FLAG;

    if (!cfg.fcs32) {
      // FCS-16 folded into the stuffing loop: one pass over the payload.
      const t = FCS16_TABLE;
      let fcs = 0xffff;
      for (let i = 0; i < h; i++) {
        const b = hdr[i]!;
        fcs = (fcs >>> 8) ^ t[(fcs ^ b) & 0xff]!;
        if (esc[b]) {
          out[o++] = ESC;
          out[o++] = b ^ 0x20;
        } else out[o++] = b;
      }
      if (dense) {
        // Many octets need stuffing (e.g. ACCM 0xffffffff: 34 of 256), so
        // the branch would mispredict often; do it branch-free instead: write
        // an escape, then the octet either over it (e = 0) or after it.
        for (let i = 0; i < n; i++) {
          const b = payload[i]!;
          fcs = (fcs >>> 8) ^ t[(fcs ^ b) & 0xff]!;
          const e = esc[b]!;
          out[o] = ESC;
          out[o + e] = b ^ (e << 5);
          o += 1 + e;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const b = payload[i]!;
          fcs = (fcs >>> 8) ^ t[(fcs ^ b) & 0xff]!;
          if (esc[b]) {
            out[o++] = ESC;
            out[o++] = b ^ 0x20;
          } else out[o++] = b;
        }
      }
      fcs ^= 0xffff; // RFC 1662 §C.2: transmit the complement, LSB first
      const lo = fcs & 0xff;
      const hi = fcs >>> 8;
      if (esc[lo]) {
        out[o++] = ESC;
        out[o++] = lo ^ 0x20;
      } else out[o++] = lo;
      if (esc[hi]) {
        out[o++] = ESC;
        out[o++] = hi ^ 0x20;
      } else out[o++] = hi;
    } else {
      // zlib's CRC-32 is native, so a separate pass beats a JS table here.
      const crc = crc32(payload, crc32(hdr.subarray(0, h)));
      for (let i = 0; i < h; i++) {
        const b = hdr[i]!;
        if (esc[b]) {
          out[o++] = ESC;
          out[o++] = b ^ 0x20;
        } else out[o++] = b;
      }
      for (let i = 0; i < n; i++) {
        const b = payload[i]!;
        if (esc[b]) {
          out[o++] = ESC;
          out[o++] = b ^ 0x20;
        } else out[o++] = b;
      }
      // zlib's value is already the complemented register; LSB first.
      for (let k = 0; k < 32; k += 8) {
        const b = (crc >>> k) & 0xff;
        if (esc[b]) {
          out[o++] = ESC;
          out[o++] = b ^ 0x20;
        } else out[o++] = b;
      }
    }
    out[o++] = FLAG;

    const res = Buffer.allocUnsafe(o);
    res.set(out.subarray(0, o));
    return res;
  }
}

function stripUndefined<T extends object>(o: T): T {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) r[k] = v;
  return r as T;
}

// --------------------------------------------------------------------------
// Receive side
// --------------------------------------------------------------------------

export interface Frame {
  /** Protocol number, decompressed to its 16-bit value. */
  protocol: number;
  /** Information field only (no address/control, protocol or FCS); a copy. */
  payload: Buffer;
  raw?: never;
}

export interface DecoderStats {
  /** Frames delivered. */
  framesOk: number;
  /** Raw octets pushed in, including flags, escapes and garbage. */
  bytesIn: number;
  /** Frames dropped because the FCS did not check. */
  badFcs: number;
  /** Frames dropped because they were too short to hold protocol + FCS. */
  runts: number;
  /** Frames dropped because the information field exceeded max(MRU, 1500). */
  tooLong: number;
  /** Frames dropped because they ended in the abort sequence 7D 7E. */
  aborts: number;
  /** Frames dropped because the protocol field is not a valid PPP protocol. */
  badProtocol: number;
  /** Octets discarded before the first flag was seen. */
  garbageBytes: number;
  /** Frames dropped because 0xFF (address) was not followed by 0x03 (control). */
  badAddress: number;
}

/**
 * Which kinds of octet have been received, for pppd's "not 8-bit clean"
 * diagnosis.  Mirrors the Linux ppp_async SC_RCV_B7_0 / SC_RCV_B7_1 /
 * SC_RCV_EVNP / SC_RCV_ODDP flags.
 */
export interface Bit7Stats {
  /** Some octet had bit 7 = 0 (SC_RCV_B7_0). */
  sawBit7Clear: boolean;
  /** Some octet had bit 7 = 1 (SC_RCV_B7_1). */
  sawBit7Set: boolean;
  /** Some octet had an even number of 1 bits (SC_RCV_EVNP). */
  sawEvenParity: boolean;
  /** Some octet had an odd number of 1 bits (SC_RCV_ODDP). */
  sawOddParity: boolean;
}

const RB_B7_0 = 1;
const RB_B7_1 = 2;
const RB_EVNP = 4;
const RB_ODDP = 8;
const RB_ALL = 15;

/** Per-octet bit-7 / parity class, so the tracking loop is one OR per octet. */
const BIT7_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    let ones = 0;
    for (let v = c; v; v >>= 1) ones += v & 1;
    t[c] = (c & 0x80 ? RB_B7_1 : RB_B7_0) | (ones & 1 ? RB_ODDP : RB_EVNP);
  }
  return t;
})();

/**
 * pppd's warning when a link goes down, from the bits above.  pppd
 * (sys-linux.c clean_check(), called from link_terminated() in auth.c on
 * every link termination) only complains when exactly ONE of the four kinds
 * was never seen: if nothing at all was received, or if two kinds are
 * missing, it says nothing.  Returns [] when there is nothing to say.
 */
export function eightBitCleanDiagnosis(bits: Bit7Stats): string[] {
  let missing = 0;
  if (!bits.sawBit7Clear) missing |= RB_B7_0;
  if (!bits.sawBit7Set) missing |= RB_B7_1;
  if (!bits.sawEvenParity) missing |= RB_EVNP;
  if (!bits.sawOddParity) missing |= RB_ODDP;
  let s: string | undefined;
  switch (missing) {
    case RB_B7_0:
      s = 'all had bit 7 set to 1';
      break;
    case RB_B7_1:
      s = 'all had bit 7 set to 0';
      break;
    case RB_EVNP:
      s = 'all had odd parity';
      break;
    case RB_ODDP:
      s = 'all had even parity';
      break;
  }
  return s === undefined ? [] : ['Receive serial link is not 8-bit clean:', `Problem: ${s}`];
}

// Receive octet classes.
const C_DATA = 0;
const C_FLAG = 1;
const C_ESC = 2;
const C_DELETE = 3;

export interface HdlcDecoderOptions {
  /** Our negotiated MRU; information fields up to max(mru, 1500) are accepted. */
  mru?: number;
  /** Expect a 32-bit FCS instead of the 16-bit one. */
  fcs32?: boolean;
}

export class HdlcDecoder {
  private readonly st: DecoderStats = {
    framesOk: 0,
    bytesIn: 0,
    badFcs: 0,
    runts: 0,
    tooLong: 0,
    aborts: 0,
    badProtocol: 0,
    garbageBytes: 0,
    badAddress: 0,
  };
  private rbits = 0;

  private mru = PPP_MRU;
  private fcs32 = false;
  private recvAccm = 0xffffffff;
  private cls = new Uint8Array(256);

  /** Destuffed octets of the frame in progress (header..FCS). */
  private buf: Uint8Array;
  /** How many octets `buf` may hold before the frame counts as too long. */
  private cap = 0;
  private len = 0;
  private escaped = false;
  private overflow = false;
  /** Running FCS-16 over `buf[0..len)`. */
  private fcs = 0xffff;
  /** Still looking for the very first flag. */
  private hunting = true;

  constructor(opts: HdlcDecoderOptions = {}) {
    if (opts.mru !== undefined) this.mru = checkMru(opts.mru);
    this.fcs32 = !!opts.fcs32;
    this.buildClasses();
    this.buf = new Uint8Array(this.computeCap());
    this.updateCap();
  }

  /** Live counters (do not mutate; copy with `{ ...dec.stats }` to snapshot). */
  get stats(): Readonly<DecoderStats> {
    return this.st;
  }

  /** Kinds of octet seen so far on the raw line; see eightBitCleanDiagnosis(). */
  bit7(): Bit7Stats {
    const r = this.rbits;
    return {
      sawBit7Clear: (r & RB_B7_0) !== 0,
      sawBit7Set: (r & RB_B7_1) !== 0,
      sawEvenParity: (r & RB_EVNP) !== 0,
      sawOddParity: (r & RB_ODDP) !== 0,
    };
  }

  /**
   * The ACCM WE asked the peer to use (our LCP Configure-Request as acked).
   * Control characters flagged here that arrive unescaped are deleted.
   */
  setRecvAccm(accm: number): void {
    this.recvAccm = accm >>> 0;
    this.buildClasses();
  }

  setMru(n: number): void {
    this.mru = checkMru(n);
    this.updateCap();
  }

  setFcs32(on: boolean): void {
    this.fcs32 = !!on;
    this.updateCap();
  }

  private buildClasses(): void {
    const t = new Uint8Array(256);
    // RFC 1662 §4.2 / §7.1: on reception, octets below 0x20 that are flagged
    // in the receive ACCM are simply removed before FCS computation -- they
    // may have been inserted by the DCE (XON/XOFF software flow control).
    const a = this.recvAccm;
    for (let c = 0; c < 0x20; c++) if ((a >>> c) & 1) t[c] = C_DELETE;
    t[FLAG] = C_FLAG;
    t[ESC] = C_ESC;
    this.cls = t;
  }

  private computeCap(): number {
    // Largest acceptable frame: address+control (2) + protocol (2) +
    // information + FCS.  One octet past this is enough to know it is too
    // long, so nothing beyond `cap` is ever buffered.
    return Math.max(this.mru, PPP_MRU) + 4 + (this.fcs32 ? 4 : 2);
  }

  private updateCap(): void {
    const cap = this.computeCap();
    if (this.buf.length < cap) {
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    this.cap = cap;
    if (this.len > cap) {
      this.len = cap;
      this.overflow = true;
    }
  }

  /** Feed received octets (any chunking); returns the frames completed. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    const n = chunk.length;
    const st = this.st;
    st.bytesIn += n;

    // ppp_async tracks 8-bit cleanness over every raw octet received (flags
    // and escapes included), and stops looking once all four kinds are seen.
    if (this.rbits !== RB_ALL) {
      let r = this.rbits;
      const bc = BIT7_CLASS;
      for (let i = 0; i < n && r !== RB_ALL; i++) r |= bc[chunk[i]!]!;
      this.rbits = r;
    }

    let i = 0;
    if (this.hunting) {
      const f = chunk.indexOf(FLAG);
      if (f < 0) {
        st.garbageBytes += n;
        return frames;
      }
      st.garbageBytes += f;
      this.hunting = false;
      i = f + 1; // that flag opens the first frame
    }

    const cls = this.cls;
    const buf = this.buf;
    const cap = this.cap;
    const t = FCS16_TABLE;
    let len = this.len;
    let escaped = this.escaped;
    let overflow = this.overflow;
    // FCS-16 is folded into this loop (it is needed for nearly every frame);
    // FCS-32 frames are checked with native zlib at the closing flag instead.
    let fcs = this.fcs;

    for (; i < n; i++) {
      let b = chunk[i]!;
      const c = cls[b]!;
      if (c !== C_DATA) {
        if (c === C_FLAG) {
          if (escaped) {
            // 7D 7E: the sender aborted this frame (RFC 1662 §4.2, §4.3).
            st.aborts++;
          } else if (len > 0 || overflow) {
            this.finishFrame(len, overflow, fcs, frames);
          }
          // else: back-to-back flags (or a frame made only of deleted
          // characters) -- an empty frame, ignored silently.
          len = 0;
          escaped = false;
          overflow = false;
          fcs = 0xffff;
          continue;
        }
        // C_DELETE: dropped.  A pending escape stays pending, so an XON/XOFF
        // slipped in between 7D and the escaped octet does no harm.
        if (c === C_DELETE) continue;
        // C_ESC.  An escape right after an escape is taken as data (XORed
        // like any other escaped octet), exactly as ppp_async does.
        if (!escaped) {
          escaped = true;
          continue;
        }
      }
      if (escaped) {
        b ^= 0x20;
        escaped = false;
      }
      if (len < cap) {
        buf[len++] = b;
        fcs = (fcs >>> 8) ^ t[(fcs ^ b) & 0xff]!;
      } else overflow = true;
    }

    this.len = len;
    this.escaped = escaped;
    this.overflow = overflow;
    this.fcs = fcs;
    return frames;
  }

  private finishFrame(len: number, overflow: boolean, fcs16: number, frames: Frame[]): void {
    const st = this.st;
    if (overflow) {
      st.tooLong++;
      return;
    }
    const buf = this.buf;
    const fcsLen = this.fcs32 ? 4 : 2;
    // Smallest meaningful frame: a compressed protocol octet plus the FCS.
    if (len < fcsLen + 1) {
      st.runts++;
      return;
    }
    const whole = buf.subarray(0, len);
    if (this.fcs32) {
      // zlib's CRC over data+FCS yields the complement of the good residue.
      if ((~crc32(whole) >>> 0) !== FCS32_GOOD) {
        st.badFcs++;
        return;
      }
    } else if (fcs16 !== FCS16_GOOD) {
      st.badFcs++;
      return;
    }

    const end = len - fcsLen;
    let p = 0;
    // Address/Control may be absent (ACFC, RFC 1661 §6.6).  When present the
    // address is always 0xFF and the control field 0x03 (RFC 1662 §3.1);
    // like ppp_async, a leading 0xFF is always taken as the address field
    // (never as a compressed protocol octet), and must be followed by 0x03.
    if (buf[0] === ALLSTATIONS) {
      if (end < 2 || buf[1] !== UI) {
        st.badAddress++;
        return;
      }
      p = 2;
    }
    if (p >= end) {
      st.runts++;
      return;
    }
    // RFC 1661 §6.5: a protocol octet with its low bit set ends the field, so
    // an odd first octet is a compressed one-octet protocol.
    let protocol = buf[p]!;
    if (protocol & 1) {
      p += 1;
    } else {
      if (p + 1 >= end) {
        st.runts++;
        return;
      }
      protocol = (protocol << 8) | buf[p + 1]!;
      p += 2;
    }
    // RFC 1661 §2: valid protocols have an odd low octet and an even high
    // octet (the extension bit pattern of ISO 3309).  Given the parse above
    // only "low octet even" can actually occur; the high-octet test is kept
    // so the rule reads as the RFC states it.
    if ((protocol & 1) === 0 || (protocol & 0x100) !== 0) {
      st.badProtocol++;
      return;
    }
    const infoLen = end - p;
    if (infoLen > Math.max(this.mru, PPP_MRU)) {
      st.tooLong++;
      return;
    }
    const payload = Buffer.allocUnsafe(infoLen);
    payload.set(buf.subarray(p, end));
    st.framesOk++;
    frames.push({ protocol, payload });
  }
}

function checkMru(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`invalid MRU: ${n}`);
  return n;
}
