/**
 * Runs one fuzz target in a worker thread, so the parent can notice a hang (an input that
 * never returns) and name the batch seed that replays it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InvariantError, KNOWN, knownHits, runBatch, type BatchResult, type Counter } from './lib.js';
import { TARGETS, ONE_BATCH } from './targets.js';

export interface WorkerJob {
  name: string;
  seed: number;
  budgetMs: number;
  long: boolean;
  /** Run exactly this many batches (replay), ignoring budget and count. */
  batches?: number;
}

export type WorkerMessage =
  | { type: 'batch'; seed: number; units: number }
  | { type: 'fail'; report: string }
  | { type: 'done'; batches: number; runs: number; units: number; ms: number; cpuMs: number; known: Record<string, number>; stats: Record<string, number> };

const job = workerData as WorkerJob;
const t = TARGETS.find((x) => x.name === job.name)!;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const counter: Counter = { n: 0 };
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const stats: Record<string, number> = {};
let runs = 0;
let batches = 0;
for (;;) {
  const elapsed = performance.now() - t0;
  if (job.batches !== undefined) {
    if (batches >= job.batches) break;
  } else if (job.long) {
    if (counter.n >= t.longCount) break;
  } else if (batches > 0 && (ONE_BATCH.has(t.name) || elapsed >= job.budgetMs)) break;
  const seed = (job.seed + batches) | 0;
  post({ type: 'batch', seed, units: counter.n });
  const r = job.long && t.longBatch ? longBatch(seed) : runBatch(t, seed, counter);
  batches++;
  runs += r.runs;
  if (r.failed) {
    post({ type: 'fail', report: r.report! });
    break;
  }
}
const cpu = process.cpuUsage(cpu0);
post({ type: 'done', batches, runs, units: counter.n, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, known: knownHits, stats });

/** One batch of the target's own long loop (no fast-check, so no counterexample: the batch seed replays it). */
function longBatch(seed: number): BatchResult {
  try {
    for (const [k, n] of Object.entries(t.longBatch!(seed, counter))) stats[k] = (stats[k] ?? 0) + n;
    return { failed: false, seed, runs: 1 };
  } catch (e) {
    const k = e instanceof InvariantError ? KNOWN.find((x) => x.match.test(e.message)) : undefined;
    if (k) {
      knownHits[k.test] = (knownHits[k.test] ?? 0) + 1;
      return { failed: false, seed, runs: 1 };
    }
    const err = e as Error;
    const report = [
      `FAILED ${t.name} (long mode): batch seed ${seed}`,
      `error: ${err?.constructor?.name ?? 'Error'}: ${err?.message ?? String(e)}`,
      ...(err?.stack ? err.stack.split('\n').slice(1, 10) : []),
      `replay: npm run fuzz -- --only ${t.name} --long --seed ${seed} --batches 1`,
    ].join('\n');
    return { failed: true, seed, runs: 1, report };
  }
}
