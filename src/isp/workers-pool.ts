/**
 * One address pool shared by `workers N` processes (docs/isp-scale.md).
 *
 * The choice: the primary owns the pool and leases it out in blocks; each worker takes
 * addresses from its blocks synchronously. IspServer hands the address to IPCP at auth-up,
 * before the peer hears CHAP Success, in the same turn of the event loop: an IPC round trip
 * per session there would add latency and a failure mode to every setup. With blocks, a
 * worker asks for another block when it runs low (prefetch, in the background) and gives a
 * block back when it is wholly free and it holds spare ones, so addresses move to the worker
 * that needs them (rebalancing). When a worker dies, the primary takes back all its blocks:
 * the crashed sessions' addresses are free again.
 *
 * BlockLedger (primary) and LeasedPool (worker) are plain objects; workers.ts carries their
 * messages over cluster IPC.
 */
import { AddressPool, type Pool } from './pool.js';

export interface Lease {
  start: number;
  end: number;
}

/** Worker → primary. */
export type PoolRequest = { pool: 'lease' } | { pool: 'return'; start: number };
/** Primary → worker. */
export type PoolReply = { pool: 'grant'; lease: Lease } | { pool: 'none' };

/** Block size for a pool of `size` addresses shared by `workers`: small pools get small blocks. */
export function blockSize(size: number, workers: number): number {
  return Math.max(1, Math.min(256, Math.floor(size / (workers * 4))));
}

/** The primary's side: which worker holds which block. */
export class BlockLedger {
  private readonly owner = new Map<number, number>();
  /** Blocks are handed out lowest first; `blocks` of them cover first..last. */
  readonly blocks: number;

  constructor(readonly first: number, readonly last: number, readonly block: number) {
    this.blocks = Math.ceil((last - first + 1) / block);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  /** The lowest free block for `worker`, or undefined when all are leased. */
  lease(worker: number): Lease | undefined {
    // Linear in the blocks held, bounded by blocks (16,384 for a /10 in 256s).
    for (let b = 0; b < this.blocks; b++) {
      if (this.owner.has(b)) continue;
      this.owner.set(b, worker);
      const start = this.first + b * this.block;
      return { start, end: Math.min(this.last, start + this.block - 1) };
    }
    return undefined;
  }

  giveBack(worker: number, start: number): void {
    const b = Math.floor((start - this.first) / this.block);
    if (this.owner.get(b) === worker) this.owner.delete(b);
  }

  /** A worker is gone: every block it held is free. Returns how many. */
  releaseAll(worker: number): number {
    let n = 0;
    for (const [b, w] of this.owner) {
      if (w !== worker) continue;
      this.owner.delete(b);
      n++;
    }
    return n;
  }

  heldBy(worker: number): number {
    let n = 0;
    for (const w of this.owner.values()) if (w === worker) n++;
    return n;
  }
}

/** A worker's share: the blocks it leased, each an AddressPool. */
export class LeasedPool implements Pool {
  private readonly leases = new Map<number, AddressPool>();
  private asking = false;
  private free = 0;

  /** `send` carries a PoolRequest to the primary; replies come in through `reply()`. */
  constructor(readonly size: number, private readonly block: number, private readonly send: (r: PoolRequest) => void) {}

  get inUse(): number {
    let n = 0;
    for (const p of this.leases.values()) n += p.inUse;
    return n;
  }

  /** Addresses this worker holds (leased), in use or not. */
  get held(): number {
    let n = 0;
    for (const p of this.leases.values()) n += p.size;
    return n;
  }

  /** Asks for a block unless a request is out; used at start and when running low. */
  want(): void {
    if (this.asking) return;
    this.asking = true;
    this.send({ pool: 'lease' });
  }

  reply(r: PoolReply): void {
    this.asking = false;
    if (r.pool === 'none') return;
    this.leases.set(r.lease.start, new AddressPool(r.lease.start, r.lease.end));
    this.free += r.lease.end - r.lease.start + 1;
    if (this.free < this.lowWater()) this.want();
  }

  take(wanted?: number): number | undefined {
    let got: number | undefined;
    if (wanted !== undefined) {
      const p = this.poolOf(wanted);
      if (p) got = p.take(wanted);
    }
    if (got === undefined) {
      for (const p of this.leases.values()) {
        if (p.inUse >= p.size) continue;
        got = p.take();
        if (got !== undefined) break;
      }
    }
    if (got !== undefined) this.free--;
    // Ask for more in the background before this worker runs out.
    if (this.free < this.lowWater()) this.want();
    return got;
  }

  give(addr: number): void {
    const p = this.poolOf(addr);
    if (!p || !p.has(addr)) return;
    p.give(addr);
    this.free++;
    // A wholly free block goes back when this worker keeps plenty without it.
    if (p.inUse === 0 && this.free - p.size >= 2 * this.lowWater() + this.block) {
      this.leases.delete(p.first);
      this.free -= p.size;
      this.send({ pool: 'return', start: p.first });
    }
  }

  /** Fewer free than a whole block: ask for another (a burst of setups must not find none). */
  private lowWater(): number {
    return this.block;
  }

  private poolOf(addr: number): AddressPool | undefined {
    for (const [start, p] of this.leases) if (addr >= start && addr <= p.last) return p;
    return undefined;
  }
}
