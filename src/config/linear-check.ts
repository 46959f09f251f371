/**
 * For tests: how much longer a function takes on 4n than on n units of input. A linear
 * parser gives about 4, a quadratic one about 16. Time is this process's CPU time, not the
 * wall clock, so a busy machine that preempts the test does not count against the parser.
 * Each size runs several times and the fastest run counts (the others are the ones a GC
 * pause slowed down), and the smaller time is floored at 2 ms so timer resolution cannot
 * make a tiny ratio explode. A ratio over the bound is measured again (up to three times)
 * and the smallest kept: noise makes a linear parser look slow now and then, while a
 * quadratic one is slow every time. Tests assert a ratio below 12: three times the linear
 * figure, still clearly under the quadratic one; sizes are picked so that n takes
 * milliseconds, not microseconds.
 */

/** The bound tests put on growthRatio (see above). */
export const LINEAR_RATIO = 12;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function growthRatio(run: (n: number) => void, n: number, rounds = 5): number {
  const best = (k: number): number => {
    let t = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = cpuMs();
      run(k);
      t = Math.min(t, cpuMs() - t0);
    }
    return t;
  };
  run(n); // warm up the JIT before measuring
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio >= LINEAR_RATIO; attempt++) {
    const small = Math.max(best(n), 2);
    ratio = Math.min(ratio, best(4 * n) / small);
  }
  return ratio;
}
