/**
 * A Prometheus-style histogram: cumulative buckets by upper bound, a sum and a count.
 * Fixed buckets, so its size never grows with what it observes.
 */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  /** `bounds`: the buckets' upper bounds, ascending; +Inf is implicit. */
  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new RangeError('bucket bounds must ascend');
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}
