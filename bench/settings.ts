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
  /**
   * The fastest single step (MB/s): on a machine shared with other work, a
   * short step often runs without being preempted, so this approaches what
   * the code does on a core of its own.  Absent when nothing was measured.
   */
  peakMbPerSec?: number;
}

/** Runs `step` (which returns the payload octets it processed) until `ms` have passed. */
export function timed(step: () => number, ms: number): Rate {
  const limit = BigInt(ms) * 1_000_000n;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let el = 0n;
  let peak = 0;
  let prev = t0;
  do {
    const b = step();
    bytes += b;
    const now = process.hrtime.bigint();
    const dt = Number(now - prev);
    if (dt > 0 && b / dt > peak) peak = b / dt;
    prev = now;
    el = now - t0;
  } while (el < limit);
  const cpu = process.cpuUsage(cpu0);
  const mb = bytes / 1e6;
  return {
    mbPerSec: mb / (Number(el) / 1e9),
    cpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb,
    peakMbPerSec: peak * 1e3, // octets per ns -> MB/s
  };
}

/** A warm-up, then the best throughput and the lowest CPU cost over `runs` timed runs. */
export function measure(step: () => number, s: BenchSettings): Rate {
  timed(step, s.warmupMs);
  const best: Rate = { mbPerSec: 0, cpuMsPerMb: Infinity, peakMbPerSec: 0 };
  for (let r = 0; r < s.runs; r++) {
    const res = timed(step, s.measureMs);
    best.mbPerSec = Math.max(best.mbPerSec, res.mbPerSec);
    best.cpuMsPerMb = Math.min(best.cpuMsPerMb, res.cpuMsPerMb);
    best.peakMbPerSec = Math.max(best.peakMbPerSec!, res.peakMbPerSec ?? 0);
  }
  return best;
}
