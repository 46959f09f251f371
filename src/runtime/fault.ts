/**
 * A seeded, sans-IO fault model for one direction of a byte stream: the line noise,
 * loss, duplication, reordering, delay, fragmentation and hang-ups of a bad phone line,
 * as a device that can be stacked between any two ends (in the spirit of smoltcp's
 * phy/fault_injector.rs), never a special case in protocol code.
 *
 *   const m = new FaultModel({ seed: 7, bitErrorRate: 1e-4, dropRate: 0.01 });
 *   m.push(chunk, now);                 // bytes written into the line
 *   for (const c of m.take(now)) ...    // bytes that come out of the other end, due by now
 *   m.nextDeadline()                    // when take() next has something (delays), or undefined
 *   m.disconnected                      // the line is gone (after N bytes or at a time)
 *
 * Every random choice comes from one seeded PRNG, so a run repeats exactly for a seed and
 * the same sequence of push/take calls. Times are whatever clock the caller uses
 * (milliseconds by convention): a virtual clock in tests, Date.now in the stream adapter
 * (fault-relay.ts).
 *
 * Per pushed chunk, in this order: the chunk is cut into pieces of at most `maxChunk`
 * bytes (`byteAtATime` = 1); each piece is dropped with `dropRate`; its bits are flipped
 * independently with `bitErrorRate` (per bit); it is delivered twice with
 * `duplicateRate`; it is due at now + latencyMs + jitterMs·U (never before the piece pushed
 * before it: jitter keeps the order), plus `reorderDelayMs` with `reorderRate` (so later
 * pieces overtake it). Pieces come out in order of due time, in
 * push order among equals. The line is cut once `disconnectAfterBytes` bytes have come out
 * (the piece that crosses the limit is truncated) or at `disconnectAtMs`; pieces still in
 * flight then are lost and later pushes are discarded.
 */

export interface FaultOptions {
  /** Seed for the PRNG: a number or a string (hashed). */
  seed: number | string;
  /** Probability that each bit is inverted (line noise). */
  bitErrorRate?: number;
  /** Probability that a piece is lost entirely. */
  dropRate?: number;
  /** Probability that a piece is delivered twice. */
  duplicateRate?: number;
  /** Probability that a piece is held back by `reorderDelayMs`, letting later ones overtake it. */
  reorderRate?: number;
  reorderDelayMs?: number;
  /** Fixed delay of every piece. */
  latencyMs?: number;
  /** Extra delay, uniform in [0, jitterMs). Jitter keeps the order (a line is FIFO); only reorderRate reorders. */
  jitterMs?: number;
  /** Deliver one byte per piece (a UART with no FIFO). */
  byteAtATime?: boolean;
  /** Cut chunks into pieces of at most this many bytes. */
  maxChunk?: number;
  /** Hang up once this many bytes have come out. */
  disconnectAfterBytes?: number;
  /** Hang up at this time (the caller's clock). */
  disconnectAtMs?: number;
}

export interface FaultStats {
  chunksIn: number;
  bytesIn: number;
  piecesOut: number;
  bytesOut: number;
  bitsFlipped: number;
  /** Pieces in which at least one bit was flipped. */
  piecesCorrupted: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Bytes lost to the hang-up (in flight, pushed after it, or past the byte limit). */
  bytesLostToDisconnect: number;
}

/** sfc32: a small, fast, well-mixed 32-bit PRNG; the state is seeded by hashing. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    // xmur3-style string hash to four words.
    const s = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
    let h = 1779033703 ^ s.length;
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    const next = () => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      return (h ^= h >>> 16) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  chance(p: number | undefined): boolean {
    if (!p || p <= 0) return false;
    if (p >= 1) return true;
    return this.float() < p;
  }

  /** Bits until the next event of probability p per bit (geometric, >= 0). */
  gap(p: number): number {
    if (p >= 1) return 0;
    const u = 1 - this.float(); // (0, 1]
    return Math.floor(Math.log(u) / Math.log1p(-p));
  }
}

interface Flight {
  due: number;
  seq: number;
  data: Buffer;
}

function check(o: FaultOptions): void {
  for (const k of ['bitErrorRate', 'dropRate', 'duplicateRate', 'reorderRate'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`${k} must be in [0, 1], got ${v}`);
  }
  for (const k of ['reorderDelayMs', 'latencyMs', 'jitterMs', 'disconnectAfterBytes'] as const) {
    const v = o[k];
    if (v !== undefined && !(v >= 0)) throw new RangeError(`${k} must be >= 0, got ${v}`);
  }
  if (o.maxChunk !== undefined && !(Number.isInteger(o.maxChunk) && o.maxChunk >= 1)) throw new RangeError(`maxChunk must be a positive integer, got ${o.maxChunk}`);
}

export class FaultModel {
  readonly stats: FaultStats = {
    chunksIn: 0, bytesIn: 0, piecesOut: 0, bytesOut: 0, bitsFlipped: 0, piecesCorrupted: 0,
    dropped: 0, duplicated: 0, reordered: 0, bytesLostToDisconnect: 0,
  };
  private readonly rng: Prng;
  private readonly opts: FaultOptions;
  private readonly maxChunk: number;
  private flight: Flight[] = [];
  private seq = 0;
  /** Bits still to pass before the next flipped bit (geometric skipping). */
  private untilFlip: number;
  private cut = false;
  private cutAt?: number;
  /** Due time of the last in-order piece: jitter never lets a piece overtake another. */
  private lastDue = -Infinity;

  constructor(opts: FaultOptions) {
    check(opts);
    this.opts = { ...opts };
    this.rng = new Prng(opts.seed);
    this.maxChunk = opts.byteAtATime ? 1 : opts.maxChunk ?? Infinity;
    this.untilFlip = opts.bitErrorRate ? this.rng.gap(opts.bitErrorRate) : Infinity;
  }

  /** The line is gone: take() returns nothing more, push() discards. */
  get disconnected(): boolean {
    return this.cut;
  }

  /** When it was cut (the caller's clock), if it was. */
  get disconnectedAt(): number | undefined {
    return this.cutAt;
  }

  /** Bytes pushed that have not come out yet. */
  get inFlight(): number {
    return this.flight.reduce((n, f) => n + f.data.length, 0);
  }

  /** Cuts the line now (an outside hang-up); what is in flight is lost. */
  disconnect(now: number): void {
    if (this.cut) return;
    this.cut = true;
    this.cutAt = now;
    this.stats.bytesLostToDisconnect += this.inFlight;
    this.flight = [];
  }

  /** Bytes written into the line at `now`. */
  push(chunk: Uint8Array, now: number): void {
    this.stats.chunksIn++;
    this.stats.bytesIn += chunk.length;
    const at = this.opts.disconnectAtMs;
    if (this.cut || (at !== undefined && now >= at)) {
      this.stats.bytesLostToDisconnect += chunk.length;
      return;
    }
    const o = this.opts;
    for (let off = 0; off < chunk.length; off += this.maxChunk) {
      const end = Math.min(chunk.length, off + this.maxChunk);
      if (this.rng.chance(o.dropRate)) {
        this.stats.dropped++;
        continue;
      }
      const data = Buffer.from(chunk.subarray(off, end)); // a copy: the caller may reuse its buffer
      this.corrupt(data);
      let due = now + (o.latencyMs ?? 0);
      if (o.jitterMs) due += this.rng.float() * o.jitterMs;
      due = Math.max(due, this.lastDue);
      if (this.rng.chance(o.reorderRate)) {
        this.stats.reordered++;
        due += o.reorderDelayMs ?? 10;
      } else {
        this.lastDue = due;
      }
      this.enqueue(due, data);
      if (this.rng.chance(o.duplicateRate)) {
        this.stats.duplicated++;
        this.enqueue(due, Buffer.from(data));
      }
    }
  }

  /** The pieces due by `now`, in order; empty once the line is cut. */
  take(now: number): Buffer[] {
    if (this.cut) return [];
    const at = this.opts.disconnectAtMs;
    // What was due before a timed hang-up still comes out; the rest is lost with the line.
    const upTo = at === undefined ? now : Math.min(now, at);
    const out: Buffer[] = [];
    while (this.flight.length && this.flight[0]!.due <= upTo) {
      let { data } = this.flight.shift()!;
      const limit = this.opts.disconnectAfterBytes;
      if (limit !== undefined && this.stats.bytesOut + data.length >= limit) {
        const keep = limit - this.stats.bytesOut;
        this.stats.bytesLostToDisconnect += data.length - keep;
        data = data.subarray(0, keep);
        if (data.length) {
          out.push(data);
          this.stats.piecesOut++;
          this.stats.bytesOut += data.length;
        }
        this.disconnect(now);
        return out;
      }
      out.push(data);
      this.stats.piecesOut++;
      this.stats.bytesOut += data.length;
    }
    if (this.opts.disconnectAfterBytes === 0) this.disconnect(now);
    else if (at !== undefined && now >= at) this.disconnect(at);
    return out;
  }

  /** When take() next has something to return or the line is cut; undefined: nothing pending. */
  nextDeadline(): number | undefined {
    if (this.cut) return undefined;
    const at = this.opts.disconnectAtMs;
    const first = this.flight[0]?.due;
    if (first === undefined) return at;
    return at === undefined ? first : Math.min(first, at);
  }

  private enqueue(due: number, data: Buffer): void {
    const f: Flight = { due, seq: this.seq++, data };
    // Insertion keeps (due, seq) order; the common case (no delay) appends.
    let i = this.flight.length;
    while (i > 0 && this.flight[i - 1]!.due > due) i--;
    this.flight.splice(i, 0, f);
  }

  private corrupt(data: Buffer): void {
    const ber = this.opts.bitErrorRate;
    if (!ber) return;
    const bits = data.length * 8;
    let pos = this.untilFlip;
    let flipped = false;
    while (pos < bits) {
      data[pos >> 3]! ^= 0x80 >> (pos & 7);
      this.stats.bitsFlipped++;
      flipped = true;
      pos += 1 + this.rng.gap(ber);
    }
    this.untilFlip = pos - bits;
    if (flipped) this.stats.piecesCorrupted++;
  }
}
