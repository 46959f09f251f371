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
  /**
   * Per session id, the sessions that moved bytes in the interval (an idle one is left out:
   * its rate is 0). The ring holds `capacity` points: with tens of thousands of idle
   * sessions, an entry each per point was most of the server's heap and garbage.
   */
  sessions: Record<number, Rate>;
}

/** A session's counters at the last sample, updated in place (no copy of all per sample). */
interface Seen {
  bytesIn: number;
  bytesOut: number;
  stamp: number;
}

export class RateSampler {
  private readonly ring: RatePoint[] = [];
  private next = 0;
  private lastT: number | undefined;
  private readonly last = new Map<number, Seen>();
  private stamp = 0;

  /** `capacity` points: 300 at one sample a second is five minutes. */
  constructor(readonly capacity = 300) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /**
   * One sample at `now`. A session new since the last sample starts at rate 0 (its bytes
   * before are not spread over an interval we did not see); a counter going backwards
   * (cannot happen for one session, but ids are not trusted) counts as 0.
   */
  sample(now: number, counts: Iterable<readonly [number, ByteCounts]>): RatePoint {
    const dt = this.lastT !== undefined ? (now - this.lastT) / 1000 : 0;
    const stamp = ++this.stamp;
    const sessions: Record<number, Rate> = {};
    const total: Rate = { in: 0, out: 0 };
    let seen = 0;
    for (const [id, c] of counts) {
      seen++;
      const before = this.last.get(id);
      if (!before) {
        this.last.set(id, { bytesIn: c.bytesIn, bytesOut: c.bytesOut, stamp });
        continue;
      }
      if (dt > 0 && (c.bytesIn !== before.bytesIn || c.bytesOut !== before.bytesOut)) {
        const r: Rate = { in: Math.max(0, c.bytesIn - before.bytesIn) / dt, out: Math.max(0, c.bytesOut - before.bytesOut) / dt };
        if (r.in || r.out) {
          sessions[id] = r;
          total.in += r.in;
          total.out += r.out;
        }
      }
      before.bytesIn = c.bytesIn;
      before.bytesOut = c.bytesOut;
      before.stamp = stamp;
    }
    // Sessions gone since the last sample.
    if (this.last.size > seen) for (const [id, v] of this.last) if (v.stamp !== stamp) this.last.delete(id);
    this.lastT = now;
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
