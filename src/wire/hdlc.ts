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
 *
 * The octet loops (FCS-16, stuffing, destuffing) run in a small WebAssembly
 * kernel (hdlc-kernel.ts) when it is available, which it is on every Node 20;
 * the JS loops below are the portable fallback, and both are checked against
 * a naive reference in hdlc.reference.test.ts.
 */

import { Buffer } from 'node:buffer';
import { CRC32_TABLE, FCS16_GOOD, FCS16_INIT, FCS16_TABLE, FCS32_GOOD, crc32, fcs16Range } from './fcs.js';
import {
  CLS_TAB,
  DF_ABORT,
  DF_AT,
  DF_CAP,
  DF_COUNT,
  DF_ESCAPED,
  DF_FCS,
  DF_LEN,
  DF_REC,
  DF_START,
  DF_TOO_LONG,
  DF_TOO_LONG_NOW,
  ESC_TAB,
  FCS32_MODE,
  FR_AT,
  FR_FCS32,
  FR_HDR,
  FR_HLEN,
  FR_MODE,
  FR_MSS,
  FR_SEG,
  FR_SIMD,
  IN,
  IN_MAX,
  NO_FCS,
  OUT,
  hdlcKernel,
  type HdlcKernel,
} from './hdlc-kernel.js';
import { tcpHeaderLength } from './gso.js';

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
  return { accm: 0xffffffff, escape: NO_ESCAPE, acfc: false, pfc: false, fcs32: false };
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

/** The `escape` map of nearly every link (nothing extra escaped): one, never written. */
const NO_ESCAPE = new Uint8Array(32);

function copyConfig(src: TxConfig): TxConfig {
  // The internal copy is never written in place, so the all-zero map can be shared.
  let escape = NO_ESCAPE;
  if (src.escape !== NO_ESCAPE && !src.escape.subarray(0, 32).every((b) => b === 0)) {
    escape = new Uint8Array(32);
    escape.set(src.escape.subarray(0, 32));
  }
  return {
    accm: src.accm >>> 0,
    escape,
    acfc: !!src.acfc,
    pfc: !!src.pfc,
    fcs32: !!src.fcs32,
  };
}

/**
 * How the kernel may stuff with a table (see hdlc-kernel.ts stuff()): SIMD
 * block copies are exact when the table escapes nothing but 7D, 7E and
 * control characters; `lim` is 0x20 when some control character is escaped.
 */
interface KernelMode {
  lim: number;
  simd: number;
}

function kernelMode(esc: Uint8Array): KernelMode {
  let lim = 0;
  let simd = 1;
  for (let c = 0; c < 256; c++) {
    if (!esc[c]) continue;
    if (c < 0x20) lim = 0x20;
    else if (c !== FLAG && c !== ESC) simd = 0;
  }
  return { lim, simd };
}

interface EscapeTables {
  normal: Uint8Array;
  lcp: Uint8Array;
  mode: KernelMode;
  modeLcp: KernelMode;
}

/**
 * Escape tables shared between encoders, by ACCM, when no `escape` octets are set (nearly
 * every link: the default all-ones map, then the negotiated one, usually 0). Building them
 * per link cost two 256-octet loops at each setConfig (several per setup), and tables of
 * their own per link made the kernel copy them in at every frame of another link
 * (k.escOwner). Shared tables are never written after they are built.
 */
const sharedEscapeTables = new Map<number, EscapeTables>();
const SHARED_TABLES_MAX = 64;

function escapeTablesFor(cfg: TxConfig): EscapeTables {
  const plain = cfg.escape === NO_ESCAPE;
  const key = cfg.accm >>> 0;
  const hit = plain ? sharedEscapeTables.get(key) : undefined;
  if (hit) return hit;
  const t = buildEscapeTables(cfg);
  const tables = { normal: t.normal, lcp: t.lcp, mode: kernelMode(t.normal), modeLcp: kernelMode(t.lcp) };
  // Bounded: a peer choosing odd ACCMs only gets tables of its own past this many.
  if (plain && sharedEscapeTables.size < SHARED_TABLES_MAX) sharedEscapeTables.set(key, tables);
  return tables;
}

/**
 * Frames are built in (encoder) or destuffed into (decoder) 64 KiB slabs, and
 * handed out as Buffer views of them: one small object per frame, no copy out
 * of a scratch area, and one ArrayBuffer per ~40 full-size frames instead of
 * Node's one per 8 KiB pool.  Like Node's own Buffer pool, a frame the caller
 * keeps also keeps its slab alive; a slab is never written again below the
 * point it has handed out.
 */
const SLAB = 64 * 1024;
/**
 * A decoder's own slab (for a frame that spans received pieces, see RX below) starts small,
 * and each new one is sized for ~32 chunks of the size the last one held (between MIN_SLAB
 * and SLAB): bulk traffic gets 64 KiB slabs; an idle link holds none (50,000 idle sessions
 * must not hold 128 KiB each).
 */
const MIN_SLAB = 1024;
function nextSlab(used: number, frames: number, need: number): number {
  const avg = frames > 0 ? used / frames : used;
  return Math.max(need, Math.min(SLAB, Math.max(MIN_SLAB, Math.ceil(avg * 32))));
}
/** Received chunks larger than this are destuffed in pieces (bounds slab size). */
const PIECE = 16 * 1024;

/**
 * The slabs shared by every link in the process (like Node's Buffer pool): frames are
 * built in TX, back to back (a byte-stream writer may send a run of them as one view:
 * join-adjacent.ts), and received pieces destuffed in RX while the link has no frame in
 * progress, so an idle link holds no slab at all. A decoder whose piece ends inside a
 * frame moves that frame to a slab of its own (`mem`), kept until a piece starts at a
 * frame boundary again. Views handed out keep their slab alive; nothing below `pos`
 * is written again.
 */
interface SharedSlab {
  mem: Uint8Array;
  /**
   * mem's ArrayBuffer, read once per slab: a typed array's `.buffer` is a call into V8's
   * runtime (~45 ns), and every frame handed out is a view made from it.
   */
  ab: ArrayBufferLike;
  pos: number;
}
const NO_SLAB = new Uint8Array(0);
const NO_SLAB_AB = NO_SLAB.buffer;
const TX: SharedSlab = { mem: NO_SLAB, ab: NO_SLAB_AB, pos: 0 };
const RX: SharedSlab = { mem: NO_SLAB, ab: NO_SLAB_AB, pos: 0 };
/**
 * Room for `need` octets at TX/RX.pos, in a new slab when the current one is full.
 * Slabs are not zero-filled (zeroing 64 KiB was ~15% of encoding a 1500-octet frame):
 * like Node's Buffer pool, every octet of a view handed out has been written first,
 * and the rest is reachable only through `.buffer`, inside this process.
 */
function room(s: SharedSlab, need: number): void {
  if (s.mem.length - s.pos >= need) return;
  // allocUnsafeSlow: a Buffer of its own, at offset 0 of its ArrayBuffer.
  s.mem = Buffer.allocUnsafeSlow(Math.max(SLAB, need));
  s.ab = s.mem.buffer;
  s.pos = 0;
}
/**
 * Payloads and received pieces up to this size go through the kernel's memory (copied in)
 * rather than straight to the native frame()/deframe(): V8 keeps typed arrays of up to 64
 * octets inside its heap, and handing one to native code moves it out first (~1-2 µs, 4% of
 * a session setup's CPU, which is all control packets); a copy of so few octets is nothing.
 */
const DIRECT_MIN = 128;
/** encode()'s scratch for the header and FCS octets (encode is synchronous). */
const HDR = new Uint8Array(4);
const TAIL = new Uint8Array(4);

export class HdlcEncoder {
  private cfg: TxConfig;
  private esc!: Uint8Array;
  private escLcp!: Uint8Array;
  private mode: KernelMode = { lim: 0x20, simd: 1 };
  private modeLcp: KernelMode = { lim: 0x20, simd: 1 };

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
    // The caller's own `escape` (it may write it): never the shared NO_ESCAPE.
    if (c.escape === NO_ESCAPE) c.escape = new Uint8Array(32);
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
    const t = escapeTablesFor(this.cfg);
    this.esc = t.normal;
    this.escLcp = t.lcp;
    this.mode = t.mode;
    this.modeLcp = t.modeLcp;
  }

  /**
   * Frame one PPP packet: `7E [FF 03] protocol information FCS 7E`, stuffed.
   * Always emits the opening flag (RFC 1662 §4.4.2 allows omitting it between
   * back-to-back frames, but sending it is always correct and flushes any
   * line noise the receiver may have accumulated).
   *
   * Returns a Buffer of its own (the caller may keep it): a view of the
   * process's current TX slab (see SLAB), the only per-frame allocation.
   */
  encode(protocol: number, payload: Uint8Array): Buffer {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) {
      throw new RangeError(`protocol out of range: ${protocol}`);
    }
    const cfg = this.cfg;
    // RFC 1661 §6.5/§6.6: ACFC and PFC never apply to LCP packets.
    const lcp = protocol === PPP_LCP;
    const esc = lcp ? this.escLcp : this.esc;
    const hdr = HDR;
    const h = this.header(protocol, lcp);

    const n = payload.length;
    const k = hdlcKernel();
    if (k?.frame !== undefined && n > DIRECT_MIN) return this.encodeDirect(k, lcp, h, payload);
    if (k !== undefined && h + n + 4 <= IN_MAX) return this.encodeKernel(k, lcp, h, payload);
    // The FCS over the unstuffed octets, in its own pass: a sliced table for
    // FCS-16, native zlib for FCS-32 (the header octets by table, saving a
    // native call).  Transmitted complemented, LSB first (RFC 1662 §C.2/§C.3).
    const tail = TAIL;
    let fcsLen: number;
    if (cfg.fcs32) {
      const t32 = CRC32_TABLE;
      let r = 0xffffffff;
      for (let i = 0; i < h; i++) r = (r >>> 8) ^ t32[(r ^ hdr[i]!) & 0xff]!;
      const crc = crc32(payload, ~r >>> 0);
      tail[0] = crc;
      tail[1] = crc >>> 8;
      tail[2] = crc >>> 16;
      tail[3] = crc >>> 24;
      fcsLen = 4;
    } else {
      const t16 = FCS16_TABLE;
      let fcs = 0xffff;
      for (let i = 0; i < h; i++) fcs = (fcs >>> 8) ^ t16[(fcs ^ hdr[i]!) & 0xff]!;
      fcs = fcs16Range(payload, 0, n, fcs) ^ 0xffff;
      tail[0] = fcs;
      tail[1] = fcs >>> 8;
      fcsLen = 2;
    }

    // Worst case every octet stuffed, plus the two flags.
    const worst = 2 + 2 * (h + n + fcsLen);
    room(TX, worst);
    const out = TX.mem;
    const start = TX.pos;

    let o = start;
    out[o++] = FLAG;
    for (let i = 0; i < h; i++) {
      const b = hdr[i]!;
      if (esc[b]) {
        out[o++] = ESC;
        out[o++] = b ^ 0x20;
      } else out[o++] = b;
    }

    // Many octet values may need stuffing (e.g. ACCM 0xffffffff: 34 of 256),
    // so a branch would mispredict often; do it branch-free instead: write an
    // escape, then the octet either over it (e = 0) or after it.
    for (let i = 0; i < n; i++) {
      const b = payload[i]!;
      const e = esc[b]!;
      out[o] = ESC;
      out[o + e] = b ^ (e << 5);
      o += 1 + e;
    }

    for (let i = 0; i < fcsLen; i++) {
      const b = tail[i]!;
      if (esc[b]) {
        out[o++] = ESC;
        out[o++] = b ^ 0x20;
      } else out[o++] = b;
    }
    out[o++] = FLAG;

    TX.pos = o;
    return Buffer.from(TX.ab, start, o - start);
  }

  /** The address, control and protocol octets into HDR; returns how many. */
  private header(protocol: number, lcp: boolean): number {
    const hdr = HDR;
    let h = 0;
    if (lcp || !this.cfg.acfc) {
      hdr[h++] = ALLSTATIONS;
      hdr[h++] = UI;
    }
    // Only protocols 0x0000-0x00FF can be sent in one octet (RFC 1661 §6.5);
    // an even value there is not a valid protocol and would be misparsed as
    // the first half of a two-octet field, so never compress it.  Nor 0x00FF
    // (reserved by IANA as "compression inefficient"): with ACFC on, a lone
    // FF octet would be taken for the Address field by the receiver.
    if (!lcp && this.cfg.pfc && protocol < 0xff && (protocol & 1) === 1) {
      hdr[h++] = protocol;
    } else {
      hdr[h++] = protocol >>> 8;
      hdr[h++] = protocol & 0xff;
    }
    return h;
  }

  /**
   * Segmentation offload (Linux's GSO): `packet` is an IPv4 TCP segment carrying more than
   * `mss` octets (the stack's super-segment, see src/wire/gso.ts); its MSS-sized segments
   * are framed, each with its own IP and TCP header fields and checksums, by the native
   * kernel in one call per slab, and pushed onto `out` (one view per slab, the frames back
   * to back in it). Returns false, having framed nothing, where the kernel cannot (no
   * native addon, FCS-32): the caller segments in software (src/wire/gso.ts) and encodes
   * each segment.
   */
  encodeSegments(protocol: number, packet: Uint8Array, mss: number, out: Buffer[]): boolean {
    const k = hdlcKernel();
    if (k?.frameGso === undefined || this.cfg.fcs32 || protocol === PPP_LCP) return false;
    const h = this.header(protocol, false);
    const esc = this.esc;
    if (k.escOwner !== esc) {
      k.u8.set(esc, ESC_TAB);
      k.escOwner = esc;
    }
    const hdr = HDR;
    const a = k.frameArgs;
    const hl = tcpHeaderLength(packet);
    // One segment's worst case, every octet stuffed: the kernel stops before a segment
    // that would not fit, so a new slab is needed only when one does not.
    const worst = 2 + 2 * (h + hl + mss + 2);
    let seg = 0;
    for (;;) {
      room(TX, worst);
      const start = TX.pos;
      a[FR_HDR] = hdr[0]! | (hdr[1]! << 8) | (hdr[2]! << 16) | (hdr[3]! << 24);
      a[FR_HLEN] = h;
      a[FR_AT] = start;
      a[FR_MODE] = this.mode.lim;
      a[FR_SIMD] = this.mode.simd;
      a[FR_MSS] = mss;
      a[FR_SEG] = seg;
      const end = k.frameGso(packet, TX.mem);
      TX.pos = end;
      out.push(Buffer.from(TX.ab, start, end - start));
      const next = a[FR_SEG]!;
      if (next * mss >= packet.length - hl) return true;
      if (next === seg) throw new RangeError('frameGso: no segment fits a fresh slab');
      seg = next;
      // The slab is full: the next segment's worst case takes a new one.
      TX.pos = TX.mem.length;
    }
  }

  /**
   * encode() by the native kernel: one call frames straight into the slab
   * (FCS-16 computed there; FCS-32 by zlib here, as it is native already).
   */
  private encodeDirect(k: HdlcKernel, lcp: boolean, h: number, payload: Uint8Array): Buffer {
    const esc = lcp ? this.escLcp : this.esc;
    const mode = lcp ? this.modeLcp : this.mode;
    if (k.escOwner !== esc) {
      k.u8.set(esc, ESC_TAB);
      k.escOwner = esc;
    }
    const hdr = HDR;
    const hw = hdr[0]! | (hdr[1]! << 8) | (hdr[2]! << 16) | (hdr[3]! << 24);
    let crc = 0;
    let m = mode.lim;
    if (this.cfg.fcs32) {
      const t32 = CRC32_TABLE;
      let r = 0xffffffff;
      for (let i = 0; i < h; i++) r = (r >>> 8) ^ t32[(r ^ hdr[i]!) & 0xff]!;
      crc = crc32(payload, ~r >>> 0);
      m |= FCS32_MODE;
    }
    room(TX, 2 + 2 * (h + payload.length + 4));
    const start = TX.pos;
    const a = k.frameArgs;
    a[FR_HDR] = hw;
    a[FR_HLEN] = h;
    a[FR_FCS32] = crc;
    a[FR_AT] = start;
    a[FR_MODE] = m;
    a[FR_SIMD] = mode.simd;
    const end = k.frame!(payload, TX.mem);
    TX.pos = end;
    return Buffer.from(TX.ab, start, end - start);
  }

  /**
   * encode() by the kernel: header and payload are copied into its memory,
   * the FCS computed there (FCS-16) or by zlib (FCS-32) and appended, the
   * whole stuffed there, and the result copied into the slab between flags.
   */
  private encodeKernel(k: HdlcKernel, lcp: boolean, h: number, payload: Uint8Array): Buffer {
    const u8 = k.u8;
    const n = payload.length;
    const hdr = HDR;
    const esc = lcp ? this.escLcp : this.esc;
    const mode = lcp ? this.modeLcp : this.mode;
    if (k.escOwner !== esc) {
      u8.set(esc, ESC_TAB);
      k.escOwner = esc;
    }
    for (let i = 0; i < h; i++) u8[IN + i] = hdr[i]!;
    u8.set(payload, IN + h);
    let m = IN + h + n;
    // Transmitted complemented, LSB first (RFC 1662 §C.2/§C.3).
    if (this.cfg.fcs32) {
      const t32 = CRC32_TABLE;
      let r = 0xffffffff;
      for (let i = 0; i < h; i++) r = (r >>> 8) ^ t32[(r ^ hdr[i]!) & 0xff]!;
      const crc = crc32(payload, ~r >>> 0);
      u8[m++] = crc;
      u8[m++] = crc >>> 8;
      u8[m++] = crc >>> 16;
      u8[m++] = crc >>> 24;
    } else {
      const fcs = k.fcs16(IN, h + n, 0xffff) ^ 0xffff;
      u8[m++] = fcs;
      u8[m++] = fcs >>> 8;
    }
    const end = k.stuff(IN, m - IN, OUT, mode.lim, mode.simd);
    const len = end - OUT + 2;
    room(TX, len);
    const out = TX.mem;
    const start = TX.pos;
    out[start] = FLAG;
    out.set(k.outView(end - OUT), start + 1);
    out[start + len - 1] = FLAG;
    TX.pos = start + len;
    return Buffer.from(TX.ab, start, len);
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
  /**
   * Information field only (no address/control, protocol or FCS).  The
   * caller's to keep: the decoder never writes that memory again (it is a
   * view of one of the slabs, which it keeps alive).
   */
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

/** Receive class tables by receive ACCM (shared, never written; bounded like txTables). */
const rxClasses = new Map<number, Uint8Array>();

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
// Receive octet classes (the two common ones first: pushTable relies on it).
const C_DATA = 0;
const C_ESC = 1;
const C_FLAG = 2;
const C_DELETE = 3;

export interface HdlcDecoderOptions {
  /** Our negotiated MRU; information fields up to max(mru, 1500) are accepted. */
  mru?: number;
  /** Expect a 32-bit FCS instead of the 16-bit one. */
  fcs32?: boolean;
}

/** The frames a decoder dropped so far, of every kind (what a link counts as dropped). */
export function framesDropped(s: DecoderStats): number {
  return s.badFcs + s.runts + s.tooLong + s.aborts + s.badProtocol + s.badAddress;
}

export class HdlcDecoder {
  /**
   * When set, push() appends here, for each frame it returns, framesDropped() as it was when
   * that frame was finished: a caller that decodes a whole read at once can still count
   * each drop where it fell among the frames it delivers (RFC 1144 §4.1: VJ tosses from
   * the error on, not before it).
   */
  dropsAt?: number[];
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
  private cls!: Uint8Array;

  /**
   * The slab (see SLAB) holding the destuffed octets of the frame in progress
   * (header..FCS) at `mem[fs .. fs + len)`.  Delivered payloads are views of
   * it, so nothing below `fs` is written again; received chunks are staged
   * at `fs + len` and destuffed in place.
   */
  private mem: Uint8Array = NO_SLAB;
  /**
   * mem's ArrayBuffer (every slab is the whole of one, from offset 0), given with the slab:
   * `.buffer` of a typed array is a call into V8's runtime, ~4% of decoding when it was
   * read per frame, and still ~2% when read per received piece.
   */
  private memAb: ArrayBufferLike = NO_SLAB_AB;
  private fs = 0;
  /** Chunks staged in the current slab (sizes the next: nextSlab). */
  private memChunks = 0;
  /** The frame in progress (for tests and debugging: what is buffered is bounded by `cap`). */
  private get buf(): Uint8Array {
    return this.mem.subarray(this.fs, this.fs + this.len);
  }
  /** How many octets a frame may have before it counts as too long. */
  private cap = 0;
  private len = 0;
  private escaped = false;
  private overflow = false;
  /**
   * The FCS-16 register over the frame in progress, kept up to date by
   * pushKernel(); -1 when it is not (pushTable): then finishFrame computes it.
   */
  private runFcs = FCS16_INIT;
  /** Still looking for the very first flag. */
  private hunting = true;

  constructor(opts: HdlcDecoderOptions = {}) {
    if (opts.mru !== undefined) this.mru = checkMru(opts.mru);
    this.fcs32 = !!opts.fcs32;
    this.buildClasses();
    this.updateCap();
  }

  /** Live counters (do not mutate; copy with `{ ...dec.stats }` to snapshot). */
  get stats(): Readonly<DecoderStats> {
    return this.st;
  }

  /** Octets of slab this decoder holds of its own: 0 unless a frame spans received pieces. */
  get ownSlabBytes(): number {
    return this.mem === RX.mem ? 0 : this.mem.length;
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
    const shared = rxClasses.get(this.recvAccm);
    if (shared) {
      this.cls = shared;
      return;
    }
    const t = new Uint8Array(256);
    // RFC 1662 §4.2 / §7.1: on reception, octets below 0x20 that are flagged
    // in the receive ACCM are simply removed before FCS computation -- they
    // may have been inserted by the DCE (XON/XOFF software flow control).
    const a = this.recvAccm;
    for (let c = 0; c < 0x20; c++) if ((a >>> c) & 1) t[c] = C_DELETE;
    t[FLAG] = C_FLAG;
    t[ESC] = C_ESC;
    this.cls = t;
    if (rxClasses.size < SHARED_TABLES_MAX) rxClasses.set(this.recvAccm, t);
  }

  private computeCap(): number {
    // Largest acceptable frame: address+control (2) + protocol (2) +
    // information + FCS.  One octet past this is enough to know it is too
    // long, so nothing beyond `cap` is ever buffered.
    return Math.max(this.mru, PPP_MRU) + 4 + (this.fcs32 ? 4 : 2);
  }

  private updateCap(): void {
    const cap = this.computeCap();
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
    if (i >= n) return frames;

    if (n - i <= PIECE) {
      this.pushPiece(chunk, i, frames);
    } else {
      // Bound the slab a huge read would need: a frame keeps its slab alive.
      for (let at = i; at < n; at += PIECE) this.pushPiece(chunk.subarray(at, Math.min(n, at + PIECE)), 0, frames);
    }
    return frames;
  }

  private pushPiece(chunk: Uint8Array, i: number, frames: Frame[]): void {
    // No frame in progress: destuff in the shared slab (RX), dropping this link's own.
    const shared = this.len === 0 && !this.overflow;
    if (shared) {
      room(RX, chunk.length);
      this.useSlab(RX.mem, RX.ab);
      this.fs = RX.pos;
    } else if (this.fs + this.len + chunk.length > this.mem.length) {
      // Room for the whole piece after the frame in progress; else a new slab,
      // taking the frame in progress along.
      const nm = Buffer.allocUnsafeSlow(nextSlab(this.fs + this.len, this.memChunks, this.len + chunk.length));
      nm.set(this.mem.subarray(this.fs, this.fs + this.len));
      this.useSlab(nm, nm.buffer);
      this.fs = 0;
      this.memChunks = 0;
    }
    this.memChunks++;
    const k = hdlcKernel();
    if (k?.deframe !== undefined && chunk.length - i > DIRECT_MIN) this.pushDirect(k, chunk, i, frames);
    else if (k !== undefined) this.pushKernel(k, chunk, i, frames);
    else this.pushTable(chunk, i, frames);
    if (!shared) {
      // The frame that needed this link's own slab ended: drop it (frames handed out keep it).
      if (this.len === 0 && !this.overflow) {
        this.useSlab(NO_SLAB, NO_SLAB_AB);
        this.fs = 0;
      }
      return;
    }
    // Frames delivered stay below fs; a frame still in progress moves to a slab of this
    // link's own (it grows with the next pieces), and RX is reused from fs on.
    const mem = this.mem;
    const fs = this.fs;
    RX.pos = (fs + 7) & ~7;
    if (this.len === 0) {
      this.useSlab(NO_SLAB, NO_SLAB_AB);
      this.fs = 0;
      return;
    }
    const own = Buffer.allocUnsafeSlow(nextSlab(chunk.length, 1, this.len));
    own.set(mem.subarray(fs, fs + this.len));
    this.useSlab(own, own.buffer);
    this.fs = 0;
    this.memChunks = 1;
  }

  private useSlab(m: Uint8Array, ab: ArrayBufferLike): void {
    this.mem = m;
    this.memAb = ab;
  }

  /**
   * The closing flag of a frame (or the 7D 7E abort): deliver or count it and
   * start the next one (after it in the slab if it was delivered).
   */
  private flagSeen(frames: Frame[]): void {
    if (this.escaped) {
      // 7D 7E: the sender aborted this frame (RFC 1662 §4.2, §4.3).
      this.st.aborts++;
    } else if (this.len > 0 || this.overflow) {
      if (this.finishFrame(this.len, this.overflow, frames)) this.fs += this.len;
    }
    // else: back-to-back flags (or a frame made only of deleted characters)
    // -- an empty frame, ignored silently.
    this.len = 0;
    this.escaped = false;
    this.overflow = false;
    if (this.runFcs >= 0) this.runFcs = FCS16_INIT;
  }

  /**
   * Destuff by the native kernel: one call (per 64 frames) destuffs the piece
   * straight into the slab after the frame in progress (pushPiece made room
   * for all of it), frame after frame with FCS-16 run over each, and lists
   * the frames its flags closed; they are checked and delivered here.
   */
  private pushDirect(k: HdlcKernel, chunk: Uint8Array, i: number, frames: Frame[]): void {
    const cls = this.cls;
    if (k.clsOwner !== cls) {
      k.u8.set(cls, CLS_TAB);
      k.clsOwner = cls;
    }
    const lim = this.recvAccm === 0 ? 0 : 0x20;
    const fcs16 = !this.fcs32;
    if (fcs16 && this.runFcs < 0) this.runFcs = fcs16Range(this.mem, this.fs, this.fs + this.len);
    const P = k.state;
    P[DF_AT] = this.fs + this.len;
    P[DF_ESCAPED] = this.escaped ? 1 : 0;
    P[DF_FCS] = fcs16 ? this.runFcs : NO_FCS;
    P[DF_LEN] = this.len;
    P[DF_CAP] = this.cap;
    P[DF_TOO_LONG_NOW] = this.overflow ? 1 : 0;
    const n = chunk.length;
    const st = this.st;
    do {
      i = k.deframe!(chunk, i, this.mem, lim);
      const count = P[DF_COUNT]!;
      for (let r = DF_REC; r < DF_REC + 4 * count; r += 4) {
        const flags = P[r + 2]!;
        // 7D 7E: the sender aborted this frame (RFC 1662 §4.2, §4.3).
        if (flags & DF_ABORT) st.aborts++;
        else {
          this.fs = P[r]!;
          this.runFcs = P[r + 3]!;
          this.finishFrame(P[r + 1]!, (flags & DF_TOO_LONG) !== 0, frames);
        }
      }
    } while (i < n);
    this.fs = P[DF_START]!;
    this.len = P[DF_LEN]!;
    this.escaped = P[DF_ESCAPED] !== 0;
    this.overflow = P[DF_TOO_LONG_NOW] !== 0;
    this.runFcs = fcs16 ? P[DF_FCS]! : FCS16_INIT;
  }

  /**
   * Destuff by the kernel: the piece is copied into its memory, and each call
   * destuffs up to the next flag; the run it produced is folded into the
   * running FCS-16 (there, while it is in cache) and copied onto the frame in
   * progress in the slab.
   */
  private pushKernel(k: HdlcKernel, chunk: Uint8Array, i: number, frames: Frame[]): void {
    const u8 = k.u8;
    const cls = this.cls;
    if (k.clsOwner !== cls) {
      u8.set(cls, CLS_TAB);
      k.clsOwner = cls;
    }
    // Only the first piece after hunting starts past 0, and it may be any
    // size (the garbage before the flag is not cut into pieces).
    if (i > 0) {
      chunk = chunk.subarray(i);
      i = 0;
    }
    u8.set(chunk, IN);
    const end = IN + chunk.length;
    // Octets below 0x20 can only be special (deleted) with a nonzero ACCM.
    const lim = this.recvAccm === 0 ? 0 : 0x20;
    const fcs16 = !this.fcs32;
    if (this.runFcs < 0) this.runFcs = fcs16Range(this.mem, this.fs, this.fs + this.len);
    let src = IN + i;
    while (src < end) {
      const stop = k.destuff(src, end - src, OUT, lim, this.escaped ? 1 : 0);
      this.escaped = k.destuffEscaped() !== 0;
      let take = k.destuffEnd() - OUT;
      if (take > 0 && !this.overflow) {
        if (take > this.cap - this.len) {
          // Nothing beyond `cap` is ever kept: the frame is too long already.
          take = this.cap - this.len;
          this.overflow = true;
        }
        if (fcs16) this.runFcs = k.fcs16(OUT, take, this.runFcs);
        this.mem.set(k.outView(take), this.fs + this.len);
        this.len += take;
      }
      if (stop >= end) return;
      this.flagSeen(frames);
      src = stop + 1;
    }
  }

  /** Any other receive ACCM: a per-octet loop over the class table. */
  private pushTable(chunk: Uint8Array, i: number, frames: Frame[]): void {
    this.runFcs = -1; // the frame's FCS is computed when it ends
    const n = chunk.length;
    const cls = this.cls;
    const mem = this.mem;
    const cap = this.cap;
    let fs = this.fs;
    let len = this.len;
    let escaped = this.escaped;
    let overflow = this.overflow;
    for (; i < n; i++) {
      // Fast path, branch-free per octet while only data and escapes come:
      // an escape (not itself escaped) writes nothing and arms `e`; anything
      // else is written XORed with 0x20 if `e` was armed.  At most one octet
      // is written per input octet, so bounding the count by the room left
      // under `cap` makes a per-octet size check unnecessary.
      if (!overflow) {
        let e = escaped ? 1 : 0;
        let o = fs + len;
        const lim = Math.min(n, i + (cap - len));
        for (; i < lim; i++) {
          const b = chunk[i]!;
          const c = cls[b]!;
          if (c > C_ESC) break;
          const start = c & (e ^ 1); // an escape that is not itself escaped
          mem[o] = b ^ (e << 5);
          o += start ^ 1;
          e = start;
        }
        len = o - fs;
        escaped = e === 1;
        if (i >= n) break;
      }
      let b = chunk[i]!;
      const c = cls[b]!;
      if (c !== C_DATA) {
        if (c === C_FLAG) {
          this.len = len;
          this.escaped = escaped;
          this.overflow = overflow;
          this.flagSeen(frames);
          fs = this.fs;
          len = 0;
          escaped = false;
          overflow = false;
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
      if (len < cap) mem[fs + len++] = b;
      else overflow = true;
    }
    this.len = len;
    this.escaped = escaped;
    this.overflow = overflow;
  }

  /** Checks and delivers the frame at `mem[fs .. fs + len)`; true if delivered. */
  private finishFrame(len: number, overflow: boolean, frames: Frame[]): boolean {
    const st = this.st;
    if (overflow) {
      st.tooLong++;
      return false;
    }
    const mem = this.mem;
    const fs = this.fs;
    const fcsLen = this.fcs32 ? 4 : 2;
    // Smallest meaningful frame: a compressed protocol octet plus the FCS.
    if (len < fcsLen + 1) {
      st.runts++;
      return false;
    }
    if (this.fcs32) {
      // zlib's CRC over data+FCS yields the complement of the good residue.
      if ((~crc32(mem.subarray(fs, fs + len)) >>> 0) !== FCS32_GOOD) {
        st.badFcs++;
        return false;
      }
    } else if ((this.runFcs >= 0 ? this.runFcs : fcs16Range(mem, fs, fs + len)) !== FCS16_GOOD) {
      st.badFcs++;
      return false;
    }

    const end = len - fcsLen;
    let p = 0;
    // Address/Control may be absent (ACFC, RFC 1661 §6.6).  When present the
    // address is always 0xFF and the control field 0x03 (RFC 1662 §3.1);
    // like ppp_async, a leading 0xFF is always taken as the address field
    // (never as a compressed protocol octet), and must be followed by 0x03.
    if (mem[fs] === ALLSTATIONS) {
      if (end < 2 || mem[fs + 1] !== UI) {
        st.badAddress++;
        return false;
      }
      p = 2;
    }
    if (p >= end) {
      st.runts++;
      return false;
    }
    // RFC 1661 §6.5: a protocol octet with its low bit set ends the field, so
    // an odd first octet is a compressed one-octet protocol.
    let protocol = mem[fs + p]!;
    if (protocol & 1) {
      p += 1;
    } else {
      if (p + 1 >= end) {
        st.runts++;
        return false;
      }
      protocol = (protocol << 8) | mem[fs + p + 1]!;
      p += 2;
    }
    // RFC 1661 §2: valid protocols have an odd low octet and an even high
    // octet (the extension bit pattern of ISO 3309).  Given the parse above
    // only "low octet even" can actually occur; the high-octet test is kept
    // so the rule reads as the RFC states it.
    if ((protocol & 1) === 0 || (protocol & 0x100) !== 0) {
      st.badProtocol++;
      return false;
    }
    const infoLen = end - p;
    if (infoLen > Math.max(this.mru, PPP_MRU)) {
      st.tooLong++;
      return false;
    }
    // The payload is a view of the slab, which is never written there again.
    const payload = Buffer.from(this.memAb, fs + p, infoLen);
    st.framesOk++;
    frames.push({ protocol, payload });
    this.dropsAt?.push(framesDropped(st));
    return true;
  }
}

function checkMru(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`invalid MRU: ${n}`);
  return n;
}
