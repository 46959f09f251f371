/**
 * For tests: how much longer a function takes on 4n than on n units of input. A linear
 * parser gives about 4, a quadratic one about 16. Each size runs several times and the
 * fastest run counts (the others are the ones a GC pause or a busy machine slowed down), and
 * the smaller time is floored at 2 ms so timer resolution cannot make a tiny ratio explode.
 * Tests assert a ratio below 12: three times the linear figure, still clearly under the
 * quadratic one; sizes are picked so that n takes milliseconds, not microseconds.
 */
import { performance } from 'node:perf_hooks';

export function growthRatio(run: (n: number) => void, n: number, rounds = 5): number {
  const best = (k: number): number => {
    let t = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      run(k);
      t = Math.min(t, performance.now() - t0);
    }
    return t;
  };
  run(n); // warm up the JIT before measuring
  const small = Math.max(best(n), 2);
  return best(4 * n) / small;
}

/** The bound tests put on growthRatio (see above). */
export const LINEAR_RATIO = 12;
