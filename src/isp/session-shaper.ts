/**
 * The IO shell of a session's rate limit (Filter-Id → `rate-limit`): wraps the session's
 * network backend so that packets towards the client (down) and from it (up) pass through
 * two sans-IO shapers (src/net/token-bucket.ts), with one timer for whatever waits. Without
 * a limit packets pass straight through; a CoA-Request's new Filter-Id changes the rate of
 * the live session (RFC 5176 §3.1), keeping what is queued.
 *
 * It wraps the NetworkBackend interface, so it works on either backend (the userspace NAT
 * or network tun's pppN interfaces): it paces the packets between PPP and the backend.
 */
import type { NetworkBackend, IpUpInfo, Ipv6UpInfo } from '../runtime/driver.js';
import { Shaper, TokenBucket, type ShaperCounters } from '../net/token-bucket.js';
import { bucketSpec, type RateLimit } from './rate-limits.js';
import { gsoSize, segmentGso } from '../wire/gso.js';

export class SessionShaper {
  private down?: Shaper;
  private up?: Shaper;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private send4?: (p: Buffer) => void;
  private send6?: (p: Buffer) => void;
  private inner?: NetworkBackend;
  private closed = false;
  /** The rate-limit in force (its name), for /status. */
  current?: string;

  constructor(private readonly now: () => number = Date.now) {}

  /** A rate limit from now on, or none (undefined). */
  set(r: RateLimit | undefined): void {
    const now = this.now();
    this.current = r?.name;
    if (!r) {
      // Whatever waits goes at once: there is no limit any more.
      if (this.down) for (const p of this.drain(this.down)) this.emit(p);
      if (this.up) for (const p of this.drain(this.up)) this.inner?.deliver(p);
      this.down = this.up = undefined;
      return;
    }
    for (const dir of ['down', 'up'] as const) {
      const s = bucketSpec(r, dir);
      const shaper = this[dir];
      if (shaper) {
        shaper.bucket.setRate(s.rate, s.burst, now);
        shaper.setQueueLimit(s.queue);
      } else {
        this[dir] = new Shaper(new TokenBucket(s.rate, s.burst, now), s.queue);
      }
    }
    this.pump();
  }

  counters(): { down?: ShaperCounters; up?: ShaperCounters } {
    return { down: this.down && { ...this.down.counters }, up: this.up && { ...this.up.counters } };
  }

  wrap(inner: NetworkBackend): NetworkBackend & { stats?(): unknown; close?(): void } {
    this.inner = inner;
    const extra = inner as NetworkBackend & { stats?(): unknown; close?(): void };
    const wrapped: NetworkBackend & { stats?(): unknown; close?(): void } = {
      deliver: (p) => this.fromClient(p),
      attach: (send: (p: Buffer) => void, info?: IpUpInfo) => {
        this.send4 = send;
        inner.attach((p) => this.toClient(p), info);
      },
      detach: () => inner.detach(),
      close: () => {
        this.close();
        extra.close?.();
      },
    };
    if (inner.ipv6Up) {
      wrapped.ipv6Up = (send: (p: Buffer) => void, info: Ipv6UpInfo) => {
        this.send6 = send;
        inner.ipv6Up!((p) => this.toClient(p), info);
      };
      wrapped.ipv6Down = () => inner.ipv6Down?.();
    }
    if (extra.stats) wrapped.stats = () => extra.stats!();
    return wrapped;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.down = this.up = undefined;
  }

  private fromClient(p: Buffer): void {
    if (!this.up) return this.inner?.deliver(p);
    for (const q of this.up.offer(p, this.now())) this.inner?.deliver(q);
    this.arm();
  }

  private toClient(p: Buffer): void {
    if (!this.down) return this.emit(p);
    // A TCP super-segment (src/wire/gso.ts) is paced as the segments it stands for: as one
    // packet it could exceed the bucket's burst and never conform.
    const mss = gsoSize(p);
    if (mss) {
      for (const s of segmentGso(p, mss)) this.toClient(s);
      return;
    }
    for (const q of this.down.offer(p, this.now())) this.emit(q);
    this.arm();
  }

  private emit(p: Buffer): void {
    if (p[0]! >> 4 === 6) this.send6?.(p);
    else this.send4?.(p);
  }

  private drain(s: Shaper): Buffer[] {
    // Everything queued, tokens or not (the limit is being removed).
    s.bucket.setRate(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, this.now());
    return s.due(this.now());
  }

  private pump(): void {
    const now = this.now();
    if (this.down) for (const p of this.down.due(now)) this.emit(p);
    if (this.up) for (const p of this.up.due(now)) this.inner?.deliver(p);
    this.arm();
  }

  /** One timer, at the earlier of the two shapers' next release. */
  private arm(): void {
    if (this.closed) return;
    const now = this.now();
    const next = Math.min(this.down?.nextAt(now) ?? Infinity, this.up?.nextAt(now) ?? Infinity);
    if (next === this.timerAt && this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(1, next - now));
    this.timer.unref();
  }
}
