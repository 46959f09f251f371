/**
 * IPv4 fragment reassembly (RFC 791 §3.2, RFC 1122 §3.3.2) with bounded memory.
 *
 * Datagrams are keyed by (source, destination, protocol, identification). Policy:
 *  - at most `maxDatagrams` in progress and `maxBytes` of fragment data held; when a new
 *    fragment would exceed either, the oldest datagrams are evicted (as Linux does);
 *  - a datagram not complete within `timeout` ms is discarded; if its first fragment had
 *    arrived, the caller answers ICMP Time Exceeded, code 1 (RFC 792, RFC 1122 §3.3.2);
 *  - every fragment but the last must carry a multiple of 8 octets (RFC 791);
 *  - a reassembled datagram may not exceed 65535 octets (the "ping of death");
 *  - overlapping fragments discard the whole datagram (the rule RFC 5722 makes for IPv6;
 *    Linux applies it to IPv4 too) — exact duplicates, which a duplicating link makes, are
 *    ignored instead.
 */
import type { Ipv4 } from '../wire/packet.js';
import { finish, sum16 } from '../wire/checksum.js';

export interface ReassemblyOptions {
  maxBytes: number;
  maxDatagrams: number;
  timeout: number;
}

export interface ReassemblyCounters {
  fragmentsIn: number;
  reassembled: number;
  timeouts: number;
  evicted: number;
  invalid: number;
  overlaps: number;
  duplicates: number;
}

interface Piece {
  start: number;
  end: number;
  data: Buffer;
}

interface Pending {
  key: string;
  pieces: Piece[];
  /** Payload length, known once the last fragment (MF = 0) arrived. */
  total?: number;
  /** The first fragment (offset 0): its header becomes the datagram's. */
  first?: Buffer;
  firstHeaderLength: number;
  bytes: number;
  deadline: number;
}

export class Reassembler {
  readonly counters: ReassemblyCounters = { fragmentsIn: 0, reassembled: 0, timeouts: 0, evicted: 0, invalid: 0, overlaps: 0, duplicates: 0 };
  /** Insertion-ordered: the first entry is the oldest. */
  private readonly pending = new Map<string, Pending>();
  private held = 0;

  constructor(private readonly opts: ReassemblyOptions) {}

  /** Octets of fragment data held now. */
  get bytes(): number {
    return this.held;
  }

  get datagrams(): number {
    return this.pending.size;
  }

  /** A fragment in; the whole datagram out once complete (a new buffer), else undefined. */
  push(ip: Ipv4, now: number): Buffer | undefined {
    this.counters.fragmentsIn++;
    const start = ip.fragmentOffset;
    const data = ip.payload;
    const end = start + data.length;
    if ((ip.moreFragments && (data.length === 0 || data.length % 8 !== 0)) || ip.headerLength + end > 65535) {
      this.counters.invalid++;
      const bad = this.pending.get(keyOf(ip));
      if (bad) this.discard(bad);
      return undefined;
    }
    const key = keyOf(ip);
    let p = this.pending.get(key);
    if (!p) {
      if (data.length > this.opts.maxBytes) {
        this.counters.invalid++;
        return undefined;
      }
      p = { key, pieces: [], firstHeaderLength: 20, bytes: 0, deadline: now + this.opts.timeout };
      this.pending.set(key, p);
    }
    if (!ip.moreFragments) {
      if ((p.total !== undefined && p.total !== end) || p.pieces.some((x) => x.end > end)) {
        this.counters.invalid++;
        this.discard(p);
        return undefined;
      }
      p.total = end;
    } else if (p.total !== undefined && end > p.total) {
      this.counters.invalid++;
      this.discard(p);
      return undefined;
    }
    for (const x of p.pieces) {
      if (x.start === start && x.end === end) {
        this.counters.duplicates++;
        return undefined;
      }
      if (start < x.end && x.start < end) {
        this.counters.overlaps++;
        this.discard(p);
        return undefined;
      }
    }
    // Make room: evict the oldest datagrams (never the one being built).
    while (this.held + data.length > this.opts.maxBytes || this.pending.size > this.opts.maxDatagrams) {
      const oldest = this.pending.values().next().value as Pending;
      if (oldest === p) {
        if (this.pending.size === 1) break;
        // Move ours to the back and evict the next oldest.
        this.pending.delete(p.key);
        this.pending.set(p.key, p);
        continue;
      }
      this.counters.evicted++;
      this.discard(oldest);
    }
    if (this.held + data.length > this.opts.maxBytes) {
      this.counters.evicted++;
      this.discard(p);
      return undefined;
    }
    const copy = Buffer.from(data);
    p.pieces.push({ start, end, data: copy });
    p.bytes += copy.length;
    this.held += copy.length;
    if (start === 0) {
      p.first = Buffer.from(ip.packet.subarray(0, ip.headerLength));
      p.firstHeaderLength = ip.headerLength;
    }
    if (p.total === undefined || p.first === undefined || p.bytes !== p.total) return undefined;
    // No overlaps and as many octets as the total: complete.
    const hl = p.firstHeaderLength;
    const out = Buffer.allocUnsafe(hl + p.total);
    p.first.copy(out, 0);
    for (const x of p.pieces) x.data.copy(out, hl + x.start);
    out.writeUInt16BE(out.length, 2);
    out.writeUInt16BE(out.readUInt16BE(6) & 0x4000, 6); // keep DF, clear MF and offset
    out.writeUInt16BE(0, 10);
    out.writeUInt16BE(finish(sum16(out, 0, hl)), 10);
    this.discard(p);
    this.counters.reassembled++;
    return out;
  }

  /**
   * Drops datagrams whose time is up; returns, for each one that had its first fragment,
   * that fragment's header (for ICMP Time Exceeded).
   */
  expire(now: number): Buffer[] {
    const quotes: Buffer[] = [];
    for (const p of [...this.pending.values()]) {
      if (p.deadline > now) continue;
      this.counters.timeouts++;
      if (p.first) {
        const firstPiece = p.pieces.find((x) => x.start === 0);
        quotes.push(Buffer.concat([p.first, firstPiece ? firstPiece.data.subarray(0, 8) : Buffer.alloc(0)]));
      }
      this.discard(p);
    }
    return quotes;
  }

  nextDeadline(): number | undefined {
    let at: number | undefined;
    for (const p of this.pending.values()) if (at === undefined || p.deadline < at) at = p.deadline;
    return at;
  }

  clear(): void {
    for (const p of [...this.pending.values()]) this.discard(p);
  }

  private discard(p: Pending): void {
    if (!this.pending.delete(p.key)) return;
    this.held -= p.bytes;
  }
}

function keyOf(ip: Ipv4): string {
  return `${ip.src}/${ip.dst}/${ip.protocol}/${ip.id}`;
}
