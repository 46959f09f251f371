/**
 * What the benchmarks share: their command line (`--quick` for CI logs, `--runs N`) and
 * the measurement of a step's throughput in wall-clock MB/s and CPU ms per MB.
 */

export interface BenchSettings {
  quick: boolean;
  /** Measured runs per figure; the best one is printed (the others met a busy machine). */
  runs: number;
  warmupMs: number;
  measureMs: number;
}

export function benchSettings(argv = process.argv.slice(2)): BenchSettings {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--runs');
  return {
    quick,
    runs: at >= 0 ? Math.max(1, Number(argv[at + 1]) | 0) : 3,
    warmupMs: quick ? 150 : 300,
    measureMs: quick ? 120 : 1000,
  };
}

export interface Rate {
  mbPerSec: number;
  cpuMsPerMb: number;
}

/** Runs `step` (which returns the payload octets it processed) until `ms` have passed. */
export function timed(step: () => number, ms: number): Rate {
  const limit = BigInt(ms) * 1_000_000n;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let el = 0n;
  do {
    bytes += step();
    el = process.hrtime.bigint() - t0;
  } while (el < limit);
  const cpu = process.cpuUsage(cpu0);
  const mb = bytes / 1e6;
  return { mbPerSec: mb / (Number(el) / 1e9), cpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb };
}

/** A warm-up, then the best throughput and the lowest CPU cost over `runs` timed runs. */
export function measure(step: () => number, s: BenchSettings): Rate {
  timed(step, s.warmupMs);
  const best: Rate = { mbPerSec: 0, cpuMsPerMb: Infinity };
  for (let r = 0; r < s.runs; r++) {
    const res = timed(step, s.measureMs);
    best.mbPerSec = Math.max(best.mbPerSec, res.mbPerSec);
    best.cpuMsPerMb = Math.min(best.cpuMsPerMb, res.cpuMsPerMb);
  }
  return best;
}
