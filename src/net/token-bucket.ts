/**
 * A token bucket and a packet shaper on it, sans-IO: time comes in as milliseconds, packets
 * come out as return values, and nextAt() says when the IO shell should call due() again.
 *
 * Bucket: `rate` bytes per second fill it up to `burst` bytes; a packet of n bytes leaves when
 * n tokens are there. Over any interval of t seconds at most burst + rate * t bytes leave
 * (the bucket starts full and never holds more than burst), which is what the ISP's
 * `rate-limit` promises and what the interop test checks against a real pppd.
 *
 * Shaper: packets that find too few tokens wait in a FIFO bounded in bytes (tail drop when
 * full, as a tbf qdisc's limit does), so TCP slows down instead of losing every burst.
 */

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private rate: number, private burst: number, now: number) {
    if (!(rate > 0) || !(burst > 0)) throw new RangeError('token bucket: rate and burst must be positive');
    this.tokens = burst;
    this.at = now;
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  get burstBytes(): number {
    return this.burst;
  }

  /** A new rate from now on (a CoA's new Filter-Id): tokens earned so far stay, up to the new burst. */
  setRate(rate: number, burst: number, now: number): void {
    if (!(rate > 0) || !(burst > 0)) throw new RangeError('token bucket: rate and burst must be positive');
    this.refill(now);
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  private refill(now: number): void {
    // A clock that goes backwards (it should not) earns nothing rather than losing tokens.
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
      this.at = now;
    }
  }

  /** Takes n tokens if they are there. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds from now until n tokens are there (Infinity if n > burst: it never fits). */
  wait(n: number, now: number): number {
    this.refill(now);
    if (n > this.burst) return Infinity;
    return n <= this.tokens ? 0 : Math.ceil(((n - this.tokens) * 1000) / this.rate);
  }
}

export interface ShaperCounters {
  passed: number;
  passedBytes: number;
  /** Packets that had to wait in the queue. */
  delayed: number;
  /** Tail-dropped (queue full) or larger than the burst. */
  dropped: number;
}

export class Shaper {
  private readonly queue: Buffer[] = [];
  private head = 0;
  private queued = 0;
  readonly counters: ShaperCounters = { passed: 0, passedBytes: 0, delayed: 0, dropped: 0 };

  constructor(readonly bucket: TokenBucket, private maxQueueBytes: number) {}

  /** A new bound for the queue (with a new rate); what is queued already stays. */
  setQueueLimit(bytes: number): void {
    this.maxQueueBytes = bytes;
  }

  get queuedBytes(): number {
    return this.queued;
  }

  /** A packet to send: it, and whatever was waiting before it, if the tokens are there now. */
  offer(packet: Buffer, now: number): Buffer[] {
    // A packet bigger than the burst could never leave without breaking the promise.
    if (packet.length > this.bucket.burstBytes) {
      this.counters.dropped++;
      return [];
    }
    if (this.queue.length === this.head && this.bucket.take(packet.length, now)) return [this.pass(packet)];
    if (this.queued + packet.length > this.maxQueueBytes) {
      this.counters.dropped++;
      return this.due(now);
    }
    this.queue.push(packet);
    this.queued += packet.length;
    this.counters.delayed++;
    return this.due(now);
  }

  /** The queued packets whose tokens have come, in order. */
  due(now: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!;
      if (p.length > this.bucket.burstBytes) {
        // The burst shrank (a CoA) below a packet already waiting: it can never leave.
        this.counters.dropped++;
      } else if (!this.bucket.take(p.length, now)) {
        break;
      } else {
        out.push(this.pass(p));
      }
      this.queue[this.head++] = EMPTY;
      this.queued -= p.length;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /** When due() will have something (milliseconds, absolute), or undefined with nothing queued. */
  nextAt(now: number): number | undefined {
    if (this.head >= this.queue.length) return undefined;
    const w = this.bucket.wait(this.queue[this.head]!.length, now);
    return now + (Number.isFinite(w) ? w : 0);
  }

  private pass(p: Buffer): Buffer {
    this.counters.passed++;
    this.counters.passedBytes += p.length;
    return p;
  }
}

const EMPTY = Buffer.alloc(0);
