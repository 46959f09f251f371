/**
 * An IPv4 address pool: each session takes the lowest free address and gives it back.
 *
 * Sized by config up to a /8 or so: the in-use set is a bitmap kept in chunks of 65,536
 * addresses (8 KiB each), allocated when the first address of the chunk is taken and freed
 * when its last one is given back, so a /10 pool (4,194,304 addresses) costs a few
 * kilobytes until it is busy, and 8 KiB per 65,536 sessions when it is. Finding the lowest
 * free address skips full chunks and full 32-bit words; `lowest` remembers where the first
 * free address may be so a pool filling up in order does not rescan from the start.
 */
import { ip4ToString, parseIp4 } from '../wire/ipv4.js';

/** What IspServer needs of a pool (AddressPool here; a worker's leased share in workers-pool.ts). */
export interface Pool {
  readonly size: number;
  readonly inUse: number;
  take(wanted?: number): number | undefined;
  give(addr: number): void;
}

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const WORDS = CHUNK >>> 5;

export class AddressPool implements Pool {
  /** Per chunk: its bitmap (undefined = all free) and how many of its addresses are taken. */
  private readonly chunks: (Uint32Array | undefined)[];
  private readonly counts: Uint32Array;
  private used = 0;
  /** No free address below first + lowest. */
  private lowest = 0;

  constructor(readonly first: number, readonly last: number) {
    if (last < first) throw new RangeError(`empty pool ${ip4ToString(first)}-${ip4ToString(last)}`);
    const n = Math.ceil((last - first + 1) / CHUNK);
    this.chunks = new Array<Uint32Array | undefined>(n).fill(undefined);
    this.counts = new Uint32Array(n);
  }

  /** `10.0.2.15-10.0.2.99`, a single address, or a CIDR block `100.64.0.0/10` (its hosts: without the network and broadcast addresses). */
  static parse(text: string): AddressPool {
    const cidr = /^([^/]+)\/(\d+)$/.exec(text.trim());
    if (cidr) {
      const base = parseIp4(cidr[1]!);
      const bits = Number(cidr[2]);
      if (base === undefined || bits < 8 || bits > 30) throw new RangeError(`bad pool '${text}': want FIRST-LAST or ADDRESS/8..30`);
      const mask = (0xffffffff << (32 - bits)) >>> 0;
      const net = (base & mask) >>> 0;
      return new AddressPool(net + 1, ((net | ~mask) >>> 0) - 1);
    }
    const [a, b] = text.split('-').map((s) => s.trim());
    const first = parseIp4(a ?? '');
    const last = b === undefined ? first : parseIp4(b);
    if (first === undefined || last === undefined) throw new RangeError(`bad pool '${text}': want FIRST-LAST`);
    return new AddressPool(first, last);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  get inUse(): number {
    return this.used;
  }

  has(addr: number): boolean {
    if (addr < this.first || addr > this.last) return false;
    const i = addr - this.first;
    const bits = this.chunks[i >>> CHUNK_BITS];
    return !!bits && (bits[(i & (CHUNK - 1)) >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** The lowest free address, or a specific one if free; undefined when exhausted. */
  take(wanted?: number): number | undefined {
    if (wanted !== undefined && wanted >= this.first && wanted <= this.last && !this.has(wanted)) {
      this.mark(wanted - this.first);
      return wanted;
    }
    const size = this.size;
    if (this.used >= size) return undefined;
    for (let c = this.lowest >>> CHUNK_BITS; c < this.chunks.length; c++) {
      const inChunk = Math.min(CHUNK, size - c * CHUNK);
      if (this.counts[c]! >= inChunk) continue;
      const bits = this.chunks[c];
      const start = c === this.lowest >>> CHUNK_BITS ? (this.lowest & (CHUNK - 1)) >>> 5 : 0;
      for (let w = bits ? start : 0; w < WORDS; w++) {
        const word = bits ? bits[w]! : 0;
        if (word === 0xffffffff) continue;
        // The lowest clear bit of the word.
        const bit = 31 - Math.clz32(~word & (word + 1));
        const i = c * CHUNK + w * 32 + bit;
        if (i >= size) break;
        this.mark(i);
        this.lowest = i + 1;
        return this.first + i;
      }
    }
    return undefined;
  }

  give(addr: number): void {
    if (!this.has(addr)) return;
    const i = addr - this.first;
    const c = i >>> CHUNK_BITS;
    const bits = this.chunks[c]!;
    bits[(i & (CHUNK - 1)) >>> 5]! &= ~(1 << (i & 31));
    this.used--;
    if (--this.counts[c]! === 0) this.chunks[c] = undefined;
    if (i < this.lowest) this.lowest = i;
  }

  private mark(i: number): void {
    const c = i >>> CHUNK_BITS;
    let bits = this.chunks[c];
    if (!bits) bits = this.chunks[c] = new Uint32Array(WORDS);
    bits[(i & (CHUNK - 1)) >>> 5]! |= 1 << (i & 31);
    this.counts[c]!++;
    this.used++;
  }
}
