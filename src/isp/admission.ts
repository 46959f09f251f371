/**
 * Admission control before authentication, for `dialtone isp`: connections that have not
 * authenticated live in a bounded pool of their own (in all, and per source address), the
 * oldest evicted first when a new one arrives on a full pool, so a flood of idle, garbage
 * or slow connections cannot lock a new caller out; `max-sessions` counts only sessions
 * that authenticated. Failed authentications are throttled per user and per source with
 * an exponential delay. Time is passed in (milliseconds), so this file has no timers.
 */

export interface AdmissionLimits {
  maxUnauthenticated: number;
  maxUnauthenticatedPerSource: number;
  /** Milliseconds: the first delay after a failure; doubled per further failure. */
  failDelayMs: number;
  failDelayMaxMs: number;
}

export interface Pending {
  readonly id: number;
  readonly source: string;
  /** Closes the connection; called at most once, after it has left the pool. */
  evict(reason: 'evicted' | 'evicted-per-source'): void;
}

/** One key's failures: the next attempt is held or refused until `until`. */
interface FailEntry {
  failures: number;
  until: number;
  last: number;
}

/** Failure memory per key, bounded: the least recently failed key is forgotten first. */
export class FailureThrottle {
  private readonly entries = new Map<string, FailEntry>();

  constructor(private readonly limits: () => { failDelayMs: number; failDelayMaxMs: number }, private readonly maxKeys = 4096) {}

  get size(): number {
    return this.entries.size;
  }

  /** The delay after `failures` failures: base, 2 x base, 4 x base ... up to the maximum. */
  delayFor(failures: number): number {
    const { failDelayMs, failDelayMaxMs } = this.limits();
    if (failures <= 0 || failDelayMs <= 0) return 0;
    return Math.min(failDelayMaxMs, failDelayMs * 2 ** Math.min(failures - 1, 30));
  }

  private live(key: string, now: number): FailEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // A key quiet for longer than the longest delay (at least a minute) starts over.
    if (now - e.last > Math.max(60_000, 2 * this.limits().failDelayMaxMs)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  record(key: string, now: number): number {
    const e = this.live(key, now) ?? { failures: 0, until: 0, last: now };
    this.entries.delete(key);
    e.failures++;
    e.last = now;
    e.until = now + this.delayFor(e.failures);
    this.entries.set(key, e);
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return e.until - now;
  }

  /** Milliseconds until `key` may try again (0 = now). */
  wait(key: string, now: number): number {
    const e = this.live(key, now);
    return e ? Math.max(0, e.until - now) : 0;
  }

  failures(key: string, now: number): number {
    return this.live(key, now)?.failures ?? 0;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

export class Admission {
  /** Insertion order is age: the first entry is the oldest. */
  private readonly pending = new Map<number, Pending>();
  private readonly perSource = new Map<string, Map<number, Pending>>();
  readonly users: FailureThrottle;
  readonly sources: FailureThrottle;
  readonly counters = {
    /** Connections taken into the unauthenticated pool. */
    admitted: 0,
    /** Left the pool by authenticating. */
    promoted: 0,
    /** Closed to make room (pool full in all). */
    evicted: 0,
    /** Closed to make room for a newer one from the same source. */
    evictedPerSource: 0,
    /** Closed at the auth-timeout deadline. */
    timedOut: 0,
    /** Closed for sending more than max-unauthenticated-bytes before authenticating. */
    overBytes: 0,
    /** Closed for sending 4 KiB without one valid PPP frame before authenticating. */
    unframed: 0,
    /** Failed authentications (wrong password and unknown user alike). */
    authFailures: 0,
    /** Attempts refused because their user was still in its failure delay. */
    throttledUsers: 0,
    /** Connections held back because their source was still in its failure delay. */
    throttledSources: 0,
  };

  constructor(public limits: AdmissionLimits) {
    this.users = new FailureThrottle(() => this.limits);
    this.sources = new FailureThrottle(() => this.limits);
  }

  get size(): number {
    return this.pending.size;
  }

  countFrom(source: string): number {
    return this.perSource.get(source)?.size ?? 0;
  }

  /** Takes `p` into the pool, first evicting the oldest of its source, then the oldest of all, when full. */
  admit(p: Pending): void {
    const mine = this.perSource.get(p.source);
    if (mine && mine.size >= this.limits.maxUnauthenticatedPerSource) {
      const oldest = mine.values().next().value!;
      this.release(oldest.id);
      this.counters.evictedPerSource++;
      oldest.evict('evicted-per-source');
    }
    while (this.pending.size >= this.limits.maxUnauthenticated) {
      const oldest = this.pending.values().next().value!;
      this.release(oldest.id);
      this.counters.evicted++;
      oldest.evict('evicted');
    }
    this.pending.set(p.id, p);
    let set = this.perSource.get(p.source);
    if (!set) this.perSource.set(p.source, (set = new Map()));
    set.set(p.id, p);
    this.counters.admitted++;
  }

  /** Takes `id` out of the pool (authenticated, closed, or evicted); false if it was not in it. */
  release(id: number): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    const set = this.perSource.get(p.source);
    set?.delete(id);
    if (set && !set.size) this.perSource.delete(p.source);
    return true;
  }

  has(id: number): boolean {
    return this.pending.has(id);
  }

  /** A failed authentication: `user` (if the peer named one) and `source` wait longer next time. */
  authFailed(user: string | undefined, source: string, now: number): void {
    this.counters.authFailures++;
    if (user !== undefined) this.users.record(user, now);
    this.sources.record(source, now);
  }

  /** A successful one: the user's failures are forgotten (the source's are not). */
  authSucceeded(user: string): void {
    this.users.forget(user);
  }

  status(): Record<string, unknown> {
    let busiest: { source: string; count: number } | undefined;
    for (const [source, set] of this.perSource) if (!busiest || set.size > busiest.count) busiest = { source, count: set.size };
    return {
      unauthenticated: this.pending.size,
      sources: this.perSource.size,
      busiestSource: busiest,
      limits: this.limits,
      ...this.counters,
      throttle: { users: this.users.size, sources: this.sources.size },
    };
  }
}
