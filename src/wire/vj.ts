/**
 * Van Jacobson TCP/IP header compression (RFC 1144), sans-IO and link-neutral: PPP carries
 * the two kinds of packet as protocols 0x002d/0x002f (RFC 1332 §3.2), CSLIP in the top bits
 * of the first octet (RFC 1144 §4.3). Packets in, packets out; no clock, no IO.
 *
 * The algorithm is the one of RFC 1144 appendix A (sl_compress_tcp/sl_uncompress_tcp):
 * per-connection header state in numbered slots, a change mask, deltas of 1 or 3 octets,
 * the special cases SPECIAL_I (echoed terminal traffic) and SPECIAL_D (unidirectional data),
 * the TCP checksum carried verbatim so the receiving host still detects a wrong
 * reconstruction, and the "toss" state after a link error (§4.1).
 *
 * Where this is stricter than appendix A it only makes the compressor send a packet
 * uncompressed more often (always a valid choice for a compressor, §3.2.2), never changes
 * the format: TCP flag bits that the compressed format cannot carry (ECE, CWR, the reserved
 * bits) and the URG flag going off are sent uncompressed, because appendix A would leave
 * them stale in the receiver's state.
 */
import { finish, sum16 } from './checksum.js';

/** The change-mask bits (RFC 1144 §3.2.2 and appendix A.1). */
export const NEW_C = 0x40;
export const NEW_I = 0x20;
export const TCP_PUSH_BIT = 0x10;
export const NEW_S = 0x08;
export const NEW_A = 0x04;
export const NEW_W = 0x02;
export const NEW_U = 0x01;
/** Echoed interactive traffic: S and A both advanced by the previous packet's data. */
export const SPECIAL_I = NEW_S | NEW_W | NEW_U;
/** Unidirectional data: S advanced by the previous packet's data. */
export const SPECIAL_D = NEW_S | NEW_A | NEW_W | NEW_U;
export const SPECIALS_MASK = SPECIAL_D;

/** The largest slot id (RFC 1332 §3.2: Max-Slot-Id is one octet). */
export const VJ_MAX_SLOT_ID = 255;

const PROTO_TCP = 6;
const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_PUSH = 0x08;
const TH_ACK = 0x10;
const TH_URG = 0x20;

export type VjKind = 'ip' | 'uncompressed' | 'compressed';

export interface VjOutput {
  /** 'ip': send as plain IP; 'uncompressed': UNCOMPRESSED_TCP; 'compressed': COMPRESSED_TCP. */
  kind: VjKind;
  packet: Buffer;
}

/** Compressor counters (Linux slhc's sls_o_*, pppstats' VJ columns). */
export interface VjCompressorCounters {
  /** Every packet offered to `compress`. */
  packets: number;
  /** Sent as COMPRESSED_TCP. */
  compressed: number;
  /** Sent as UNCOMPRESSED_TCP. */
  uncompressed: number;
  /** Sent as plain IP (not TCP, fragments, SYN/FIN/RST, no ACK, malformed). */
  ip: number;
  /** Slots examined beyond the most recently used one. */
  searches: number;
  /** Connections not found in any slot (an LRU slot was reassigned). */
  misses: number;
}

/** Decompressor counters (Linux slhc's sls_i_*). */
export interface VjDecompressorCounters {
  compressed: number;
  uncompressed: number;
  /** Packets rejected as malformed or naming an unknown slot; each one sets the toss state. */
  errors: number;
  /** COMPRESSED_TCP without a slot id discarded in the toss state (§4.1). */
  tossed: number;
}

interface CompressorSlot {
  id: number;
  used: boolean;
  /** The last header sent in this slot (IP + TCP, options included). */
  hdr: Buffer;
  hlen: number;
  src: number;
  dst: number;
  ports: number;
}

/** The maximum header a slot keeps: 60 octets of IP plus 60 of TCP. */
const MAX_HDR = 120;

function checkSlotId(maxSlotId: number): void {
  if (!Number.isInteger(maxSlotId) || maxSlotId < 0 || maxSlotId > VJ_MAX_SLOT_ID) {
    throw new RangeError(`VJ max slot id must be 0..${VJ_MAX_SLOT_ID}, got ${maxSlotId}`);
  }
}

/** A compressor slot not used yet has no header buffer. */
const NO_HDR = Buffer.alloc(0);

/**
 * One direction's compressor (RFC 1144 §3.2, appendix A.2). `maxSlotId` and
 * `compressSlotId` are what the peer's IPCP option asked for (it is the one decompressing).
 */
/** compress()'s scratch for the deltas (used within one synchronous call; none per link). */
const DELTAS = Buffer.alloc(16);

export class VjCompressor {
  readonly counters: VjCompressorCounters;
  private readonly slots: CompressorSlot[] = [];
  /** Slots, most recently used first (appendix A.2's circular LRU list, as an array). */
  private readonly lru: CompressorSlot[] = [];
  /** The slot id last sent explicitly (-1: none yet, appendix A's 255). */
  private lastXmit = -1;

  /** `counters` may be shared, to sum over several compressors (one per time IPCP opens). */
  constructor(readonly maxSlotId: number, readonly compressSlotId: boolean, counters?: VjCompressorCounters) {
    checkSlotId(maxSlotId);
    this.counters = counters ?? { packets: 0, compressed: 0, uncompressed: 0, ip: 0, searches: 0, misses: 0 };
  }

  /** The slots, made at the first packet: an idle link (most of 50,000) needs none. */
  private makeSlots(): void {
    for (let id = 0; id <= this.maxSlotId; id++) {
      const s: CompressorSlot = { id, used: false, hdr: NO_HDR, hlen: 0, src: 0, dst: 0, ports: 0 };
      this.slots.push(s);
      this.lru.unshift(s); // slot 0 is the least recently used: the first one handed out
    }
  }

  compress(pkt: Buffer): VjOutput {
    this.counters.packets++;
    if (!this.lru.length) this.makeSlots();
    const plain = (): VjOutput => {
      this.counters.ip++;
      return { kind: 'ip', packet: pkt };
    };
    // Appendix A.2 "bail if this is an IP fragment or if the TCP packet isn't compressible".
    if (pkt.length < 40 || pkt[0]! >> 4 !== 4 || pkt[9] !== PROTO_TCP) return plain();
    const ihl = (pkt[0]! & 0x0f) * 4;
    if (ihl < 20) return plain();
    // The receiver derives the total length from the frame, so a packet whose total
    // length is not its size (link padding, truncation) must travel as it is.
    if (((pkt[2]! << 8) | pkt[3]!) !== pkt.length) return plain();
    if (((pkt[6]! << 8) | pkt[7]!) & 0x3fff) return plain(); // MF or a fragment offset
    if (ihl + 20 > pkt.length) return plain();
    const doff = (pkt[ihl + 12]! >> 4) * 4;
    if (doff < 20) return plain();
    const hlen = ihl + doff;
    if (hlen > pkt.length) return plain();
    const flags = pkt[ihl + 13]!;
    if ((flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) !== TH_ACK) return plain();

    const src = pkt.readUInt32BE(12);
    const dst = pkt.readUInt32BE(16);
    const ports = pkt.readUInt32BE(ihl);
    const cs = this.findSlot(src, dst, ports);
    if (!cs.used) return this.uncompressed(pkt, cs, hlen, src, dst, ports);

    const o = cs.hdr;
    const oihl = (o[0]! & 0x0f) * 4;
    // Appendix A.2: only what we expect to change may change: version, IHL and TOS; DF;
    // TTL and protocol; TCP header length; IP and TCP options. (Stricter: the whole
    // offset/reserved octet and the flag bits the format cannot carry.)
    if (pkt[0] !== o[0] || pkt[1] !== o[1] || pkt[6] !== o[6] || pkt[7] !== o[7] || pkt[8] !== o[8] ||
      pkt[9] !== o[9] || oihl !== ihl || cs.hlen !== hlen || pkt[ihl + 12] !== o[ihl + 12]) {
      return this.uncompressed(pkt, cs, hlen, src, dst, ports);
    }
    const oflags = o[ihl + 13]!;
    if ((flags & ~(TH_PUSH | TH_URG)) !== (oflags & ~(TH_PUSH | TH_URG)) || ((oflags & TH_URG) && !(flags & TH_URG))) {
      return this.uncompressed(pkt, cs, hlen, src, dst, ports);
    }
    if (ihl > 20 && pkt.compare(o, 20, ihl, 20, ihl) !== 0) return this.uncompressed(pkt, cs, hlen, src, dst, ports);
    if (doff > 20 && pkt.compare(o, ihl + 20, hlen, ihl + 20, hlen) !== 0) return this.uncompressed(pkt, cs, hlen, src, dst, ports);

    // The deltas, in appendix A.2's order: U, W, A, S (then I after the special cases).
    const d = DELTAS;
    let n = 0;
    let changes = 0;
    const t = ihl;
    const urp = (pkt[t + 18]! << 8) | pkt[t + 19]!;
    if (flags & TH_URG) {
      n = encodeZ(d, n, urp);
      changes |= NEW_U;
    } else if (urp !== ((o[t + 18]! << 8) | o[t + 19]!)) {
      // URG off but the pointer changed: RFC 793 allows it, the format cannot say it.
      return this.uncompressed(pkt, cs, hlen, src, dst, ports);
    }
    const deltaW = (((pkt[t + 14]! << 8) | pkt[t + 15]!) - ((o[t + 14]! << 8) | o[t + 15]!)) & 0xffff;
    if (deltaW) {
      n = encode(d, n, deltaW);
      changes |= NEW_W;
    }
    const deltaA = (pkt.readUInt32BE(t + 8) - o.readUInt32BE(t + 8)) >>> 0;
    if (deltaA) {
      if (deltaA > 0xffff) return this.uncompressed(pkt, cs, hlen, src, dst, ports);
      n = encode(d, n, deltaA);
      changes |= NEW_A;
    }
    const deltaS = (pkt.readUInt32BE(t + 4) - o.readUInt32BE(t + 4)) >>> 0;
    if (deltaS) {
      if (deltaS > 0xffff) return this.uncompressed(pkt, cs, hlen, src, dst, ports);
      n = encode(d, n, deltaS);
      changes |= NEW_S;
    }
    const oldLen = (o[2]! << 8) | o[3]!;
    switch (changes) {
      case 0:
        // Nothing changed: data after a pure ACK (interactive traffic) is compressed;
        // otherwise it is a retransmission, a repeated ACK or a window probe, sent
        // uncompressed in case the other side missed the compressed version.
        if (pkt.length !== oldLen && oldLen === hlen) break;
        return this.uncompressed(pkt, cs, hlen, src, dst, ports);
      case SPECIAL_I:
      case SPECIAL_D:
        // The real changes look like a special case's encoding.
        return this.uncompressed(pkt, cs, hlen, src, dst, ports);
      case NEW_S | NEW_A:
        if (deltaS === deltaA && deltaS === oldLen - hlen) {
          changes = SPECIAL_I;
          n = 0;
        }
        break;
      case NEW_S:
        if (deltaS === oldLen - hlen) {
          changes = SPECIAL_D;
          n = 0;
        }
        break;
    }
    const deltaI = (((pkt[4]! << 8) | pkt[5]!) - ((o[4]! << 8) | o[5]!)) & 0xffff;
    if (deltaI !== 1) {
      n = encodeZ(d, n, deltaI);
      changes |= NEW_I;
    }
    if (flags & TH_PUSH) changes |= TCP_PUSH_BIT;
    pkt.copy(o, 0, 0, hlen);

    const withC = !this.compressSlotId || this.lastXmit !== cs.id;
    const head = (withC ? 4 : 3) + n;
    const out = Buffer.allocUnsafe(head + pkt.length - hlen);
    let p = 0;
    if (withC) {
      this.lastXmit = cs.id;
      out[p++] = changes | NEW_C;
      out[p++] = cs.id;
    } else {
      out[p++] = changes;
    }
    out[p++] = pkt[t + 16]!; // the TCP checksum, verbatim
    out[p++] = pkt[t + 17]!;
    d.copy(out, p, 0, n);
    pkt.copy(out, head, hlen);
    this.counters.compressed++;
    return { kind: 'compressed', packet: out };
  }

  /** Appendix A.2 "uncompressed": remember the header, put the slot id in the protocol field. */
  private uncompressed(pkt: Buffer, cs: CompressorSlot, hlen: number, src: number, dst: number, ports: number): VjOutput {
    // A slot's header buffer is made when the slot is first used.
    if (cs.hdr === NO_HDR) cs.hdr = Buffer.alloc(MAX_HDR);
    pkt.copy(cs.hdr, 0, 0, hlen);
    cs.hlen = hlen;
    cs.used = true;
    cs.src = src;
    cs.dst = dst;
    cs.ports = ports;
    this.lastXmit = cs.id;
    const out = Buffer.from(pkt);
    out[9] = cs.id;
    this.counters.uncompressed++;
    return { kind: 'uncompressed', packet: out };
  }

  /** The slot of a connection, moved to the front; a miss takes the least recently used. */
  private findSlot(src: number, dst: number, ports: number): CompressorSlot {
    const lru = this.lru;
    const first = lru[0]!;
    if (first.used && first.src === src && first.dst === dst && first.ports === ports) return first;
    for (let i = 1; i < lru.length; i++) {
      this.counters.searches++;
      const s = lru[i]!;
      if (s.used && s.src === src && s.dst === dst && s.ports === ports) {
        lru.copyWithin(1, 0, i);
        lru[0] = s;
        return s;
      }
    }
    this.counters.misses++;
    const s = lru.pop()!;
    lru.unshift(s);
    s.used = false;
    return s;
  }
}

/** Appendix A ENCODE: a non-zero delta in 1 octet, or 0 and 2 octets. */
function encode(d: Buffer, n: number, v: number): number {
  if (v >= 256) {
    d[n] = 0;
    d[n + 1] = v >> 8;
    d[n + 2] = v & 0xff;
    return n + 3;
  }
  d[n] = v;
  return n + 1;
}

/** Appendix A ENCODEZ: like ENCODE, but a zero value takes the 3-octet form. */
function encodeZ(d: Buffer, n: number, v: number): number {
  if (v === 0) {
    d[n] = 0;
    d[n + 1] = 0;
    d[n + 2] = 0;
    return n + 3;
  }
  return encode(d, n, v);
}

interface DecompressorSlot {
  hdr: Buffer;
  hlen: number;
}

/**
 * One direction's decompressor (RFC 1144 §3.3, appendix A.3). `maxSlotId` is what our IPCP
 * option announced. Returns the rebuilt IP datagram, or undefined when the packet is tossed
 * or rejected (then counted).
 */
export class VjDecompressor {
  readonly counters: VjDecompressorCounters;
  private readonly slots: (DecompressorSlot | undefined)[];
  private lastRecv = -1;
  /** §4.1: start in the toss state: a packet without a slot id means nothing yet. */
  private tossing = true;
  /** The header being rebuilt; swapped with the slot's on success (made at the first COMPRESSED_TCP). */
  private work: Buffer | undefined;
  /** Where `delta` reads next in the packet being decoded. */
  private at = 0;

  constructor(readonly maxSlotId: number, counters?: VjDecompressorCounters) {
    checkSlotId(maxSlotId);
    this.counters = counters ?? { compressed: 0, uncompressed: 0, errors: 0, tossed: 0 };
    this.slots = new Array<DecompressorSlot | undefined>(maxSlotId + 1).fill(undefined);
  }

  /**
   * The lower layer saw an error (bad FCS, overrun, aborted frame): discard COMPRESSED_TCP
   * packets until one names its slot explicitly (RFC 1144 §4.1, appendix A.3 TYPE_ERROR).
   */
  toss(): void {
    this.tossing = true;
  }

  /** UNCOMPRESSED_TCP: a full IP datagram whose protocol field holds the slot id. */
  uncompressed(pkt: Buffer): Buffer | undefined {
    if (pkt.length < 40 || pkt[0]! >> 4 !== 4) return this.bad();
    const ihl = (pkt[0]! & 0x0f) * 4;
    if (ihl < 20 || ihl + 20 > pkt.length) return this.bad();
    const doff = (pkt[ihl + 12]! >> 4) * 4;
    const hlen = ihl + doff;
    if (doff < 20 || hlen > pkt.length) return this.bad();
    const slot = pkt[9]!;
    if (slot > this.maxSlotId) return this.bad();
    const out = Buffer.from(pkt);
    out[9] = PROTO_TCP;
    // The sender left the checksum as it was for protocol 6; a header that does not
    // verify was damaged (Linux slhc_remember checks this too).
    if (finish(sum16(out, 0, ihl)) !== 0) return this.bad();
    if (hlen > MAX_HDR) return this.bad();
    const hdr = this.slots[slot]?.hdr ?? Buffer.alloc(MAX_HDR);
    out.copy(hdr, 0, 0, hlen);
    this.slots[slot] = { hdr, hlen };
    this.lastRecv = slot;
    this.tossing = false;
    this.counters.uncompressed++;
    return out;
  }

  /** COMPRESSED_TCP: rebuild the header from the slot's state and the deltas. */
  compressed(pkt: Buffer): Buffer | undefined {
    if (pkt.length < 3) return this.bad();
    let p = 0;
    const changes = pkt[p++]!;
    if (changes & NEW_C) {
      const slot = pkt[p++]!;
      if (slot > this.maxSlotId || !this.slots[slot]) return this.bad();
      this.tossing = false;
      this.lastRecv = slot;
    } else if (this.tossing) {
      this.counters.tossed++;
      return undefined;
    }
    const cs = this.slots[this.lastRecv];
    if (!cs) return this.bad();
    if (p + 2 > pkt.length) return this.bad();
    // Work on a copy: a packet found bad half-way must not damage the slot.
    const h = this.work ?? Buffer.alloc(MAX_HDR);
    cs.hdr.copy(h, 0, 0, cs.hlen);
    const ihl = (h[0]! & 0x0f) * 4;
    const t = ihl;
    h[t + 16] = pkt[p++]!;
    h[t + 17] = pkt[p++]!;
    if (changes & TCP_PUSH_BIT) h[t + 13]! |= TH_PUSH;
    else h[t + 13]! &= ~TH_PUSH;

    const oldData = ((h[2]! << 8) | h[3]!) - cs.hlen;
    this.at = p;
    switch (changes & SPECIALS_MASK) {
      case SPECIAL_I:
        h.writeUInt32BE((h.readUInt32BE(t + 8) + oldData) >>> 0, t + 8);
        h.writeUInt32BE((h.readUInt32BE(t + 4) + oldData) >>> 0, t + 4);
        break;
      case SPECIAL_D:
        h.writeUInt32BE((h.readUInt32BE(t + 4) + oldData) >>> 0, t + 4);
        break;
      default: {
        if (changes & NEW_U) {
          const u = this.delta(pkt);
          if (u < 0) return this.bad();
          h[t + 13]! |= TH_URG;
          h.writeUInt16BE(u, t + 18);
        } else {
          h[t + 13]! &= ~TH_URG;
        }
        if (changes & NEW_W) {
          const w = this.delta(pkt);
          if (w < 0) return this.bad();
          h.writeUInt16BE((h.readUInt16BE(t + 14) + w) & 0xffff, t + 14);
        }
        if (changes & NEW_A) {
          const a = this.delta(pkt);
          if (a < 0) return this.bad();
          h.writeUInt32BE((h.readUInt32BE(t + 8) + a) >>> 0, t + 8);
        }
        if (changes & NEW_S) {
          const s = this.delta(pkt);
          if (s < 0) return this.bad();
          h.writeUInt32BE((h.readUInt32BE(t + 4) + s) >>> 0, t + 4);
        }
      }
    }
    if (changes & NEW_I) {
      const i = this.delta(pkt);
      if (i < 0) return this.bad();
      h.writeUInt16BE((h.readUInt16BE(4) + i) & 0xffff, 4);
    } else {
      h.writeUInt16BE((h.readUInt16BE(4) + 1) & 0xffff, 4);
    }
    p = this.at;
    const total = cs.hlen + pkt.length - p;
    if (total > 0xffff) return this.bad();
    h.writeUInt16BE(total, 2);
    h.writeUInt16BE(0, 10);
    h.writeUInt16BE(finish(sum16(h, 0, ihl)), 10);
    const out = Buffer.allocUnsafe(total);
    h.copy(out, 0, 0, cs.hlen);
    pkt.copy(out, cs.hlen, p);
    this.work = cs.hdr;
    cs.hdr = h;
    this.counters.compressed++;
    return out;
  }

  /** Appendix A DECODE: one octet, or 0 and two octets; -1 past the end. */
  private delta(pkt: Buffer): number {
    let p = this.at;
    if (p >= pkt.length) return -1;
    const b = pkt[p++]!;
    if (b !== 0) {
      this.at = p;
      return b;
    }
    if (p + 2 > pkt.length) return -1;
    this.at = p + 2;
    return (pkt[p]! << 8) | pkt[p + 1]!;
  }

  /** Appendix A.3 "bad": count, and toss until a slot id is seen again. */
  private bad(): undefined {
    this.tossing = true;
    this.counters.errors++;
    return undefined;
  }
}
