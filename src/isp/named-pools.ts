/**
 * Named address pools (`pool-name NAME RANGE` in isp.conf) that a RADIUS Framed-Pool
 * (RFC 2869 §5.18) picks for a session, as accel-ppp's ippool takes Framed-Pool. A session
 * whose Access-Accept names an unknown pool is refused (accel-ppp logs "ippool: pool not
 * found" and drops it); one naming no pool takes the main `pool`.
 *
 * Validated at load time: each range inside the virtual network, clear of the network and
 * broadcast addresses, the gateway and the DNS address, and overlapping neither the main
 * pool nor another named pool (one address, one owner).
 *
 * With `workers N` each process takes a stripe of every named pool: worker i of N hands
 * out the pool's addresses whose offset from its first address is i modulo N, so processes
 * never hand out the same address and need no coordination (the main pool's block leases,
 * workers-pool.ts, are not used for named pools). A worker whose stripe is used up refuses
 * the session (the log says the pool is exhausted), even if another worker's stripe has room.
 */
import { AddressPool, type Pool } from './pool.js';
import { ip4ToString } from '../wire/ipv4.js';

export interface NamedPoolSpec {
  name: string;
  range: string;
  /** isp.conf line, for messages. */
  line: number;
}

/** Parses the values after `pool-name`; throws Error(message) for config.ts to put file:line on. */
export function parseNamedPool(vals: string[], line: number, known: readonly NamedPoolSpec[]): NamedPoolSpec {
  if (vals.length !== 2) throw new Error('want NAME FIRST-LAST or NAME ADDRESS/BITS');
  const [name, range] = vals as [string, string];
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new Error(`bad name '${name}' (one word, at most 64 characters)`);
  const before = known.find((p) => p.name === name);
  if (before) throw new Error(`'${name}' already defined on line ${before.line}`);
  AddressPool.parse(range); // throws "bad pool ..." with the form wanted
  return { name, range, line };
}

/**
 * The checks that need the whole file: inside `net/mask`, not net/broadcast/gateway/dns,
 * no overlap with the main pool or each other. Returns [line, message] of the first problem.
 */
export function checkNamedPools(specs: readonly NamedPoolSpec[], o: { net: number; mask: number; netText: string; gateway: number; dns: number; pool: AddressPool }): [number, string] | undefined {
  const bcast = (o.net | ~o.mask) >>> 0;
  const inside = (a: number) => ((a & o.mask) >>> 0) === o.net;
  const ranges: { name: string; first: number; last: number; line?: number }[] = [{ name: 'the main pool', first: o.pool.first, last: o.pool.last }];
  for (const s of specs) {
    const p = AddressPool.parse(s.range);
    if (!inside(p.first) || !inside(p.last)) return [s.line, `${s.name} ${s.range} is outside the network ${o.netText}`];
    if (p.first === o.net || p.last === bcast) return [s.line, `${s.name} ${s.range} includes the network or broadcast address of ${o.netText}`];
    for (const [what, a] of [['gateway', o.gateway], ['dns', o.dns]] as const) {
      if (a >= p.first && a <= p.last) return [s.line, `${s.name} ${s.range} includes the ${what} address ${ip4ToString(a)}`];
    }
    for (const r of ranges) {
      if (p.first <= r.last && r.first <= p.last) return [s.line, `${s.name} ${s.range} overlaps ${r.line === undefined ? r.name : `pool ${r.name} (line ${r.line})`}`];
    }
    ranges.push({ name: s.name, first: p.first, last: p.last, line: s.line });
  }
  return undefined;
}

/** A pool that hands out only every `of`-th address of another, starting at `index` (a worker's stripe). */
class StripedPool implements Pool {
  private readonly inner: AddressPool;
  constructor(private readonly whole: AddressPool, private readonly index: number, private readonly of: number) {
    // Stripe k of the whole is address first + index + k * of: the inner pool numbers k.
    const count = Math.max(0, Math.ceil((whole.size - index) / of));
    this.inner = new AddressPool(0, Math.max(0, count - 1));
    if (count === 0) this.inner.take(0); // an empty stripe: its one placeholder slot is taken
  }
  get size(): number {
    return Math.max(0, Math.ceil((this.whole.size - this.index) / this.of));
  }
  get inUse(): number {
    return this.size === 0 ? 0 : this.inner.inUse;
  }
  take(wanted?: number): number | undefined {
    const k = wanted !== undefined && (wanted - this.whole.first - this.index) % this.of === 0 ? (wanted - this.whole.first - this.index) / this.of : undefined;
    const got = this.inner.take(k !== undefined && k >= 0 ? k : undefined);
    return got === undefined || this.size === 0 ? undefined : this.whole.first + this.index + got * this.of;
  }
  give(addr: number): void {
    const off = addr - this.whole.first - this.index;
    if (off >= 0 && off % this.of === 0) this.inner.give(off / this.of);
  }
}

export class NamedPools {
  private readonly pools = new Map<string, Pool & { range: string }>();

  /** `stripe`: this process is worker `index` of `of` (see the file comment). */
  constructor(specs: readonly NamedPoolSpec[], stripe?: { index: number; of: number }) {
    for (const s of specs) {
      const whole = AddressPool.parse(s.range);
      const pool: Pool = stripe && stripe.of > 1 ? new StripedPool(whole, stripe.index, stripe.of) : whole;
      this.pools.set(s.name, Object.assign(pool, { range: s.range }));
    }
  }

  get(name: string): Pool | undefined {
    return this.pools.get(name);
  }

  names(): string[] {
    return [...this.pools.keys()];
  }

  /** For /status: each pool's size and use. */
  status(): Record<string, { range: string; size: number; inUse: number }> {
    const out: Record<string, { range: string; size: number; inUse: number }> = {};
    for (const [name, p] of this.pools) out[name] = { range: p.range, size: p.size, inUse: p.inUse };
    return out;
  }
}
