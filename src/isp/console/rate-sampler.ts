/**
 * Throughput over the last minutes, sans-IO: the server's clock calls sample() with the
 * cumulative byte counters of the sessions online; the sampler turns the differences into
 * rates (bytes per second) and keeps them in a ring of `capacity` points (kppp's Graph).
 * No timers here: whoever owns the clock decides how often to sample.
 */
export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

export interface Rate {
  in: number;
  out: number;
}

export interface RatePoint {
  /** The sample's time (ms since the epoch, the caller's clock). */
  t: number;
  total: Rate;
  /** Per session id. */
  sessions: Record<number, Rate>;
}

export class RateSampler {
  private readonly ring: RatePoint[] = [];
  private next = 0;
  private last: { t: number; counts: Map<number, ByteCounts> } | undefined;

  /** `capacity` points: 300 at one sample a second is five minutes. */
  constructor(readonly capacity = 300) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /**
   * One sample at `now`. A session new since the last sample starts at rate 0 (its bytes
   * before are not spread over an interval we did not see); a counter going backwards
   * (cannot happen for one session, but ids are not trusted) counts as 0.
   */
  sample(now: number, counts: Map<number, ByteCounts>): RatePoint {
    const prev = this.last;
    const dt = prev ? (now - prev.t) / 1000 : 0;
    const sessions: Record<number, Rate> = {};
    const total: Rate = { in: 0, out: 0 };
    for (const [id, c] of counts) {
      const before = prev?.counts.get(id);
      const r: Rate = before && dt > 0
        ? { in: Math.max(0, c.bytesIn - before.bytesIn) / dt, out: Math.max(0, c.bytesOut - before.bytesOut) / dt }
        : { in: 0, out: 0 };
      sessions[id] = r;
      total.in += r.in;
      total.out += r.out;
    }
    this.last = { t: now, counts: new Map([...counts].map(([id, c]) => [id, { bytesIn: c.bytesIn, bytesOut: c.bytesOut }])) };
    const point: RatePoint = { t: now, total, sessions };
    if (this.ring.length < this.capacity) this.ring.push(point);
    else this.ring[this.next] = point;
    this.next = (this.next + 1) % this.capacity;
    return point;
  }

  /** The latest rate of one session (0 if it was not in the last sample). */
  rate(id: number): Rate {
    return this.latest()?.sessions[id] ?? { in: 0, out: 0 };
  }

  latest(): RatePoint | undefined {
    if (!this.ring.length) return undefined;
    return this.ring[(this.next - 1 + this.capacity) % this.capacity] ?? this.ring[this.ring.length - 1];
  }

  /** The points, oldest first. */
  history(): RatePoint[] {
    if (this.ring.length < this.capacity) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
