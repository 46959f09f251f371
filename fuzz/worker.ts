/**
 * Runs one fuzz target in a worker thread, so the parent can notice a hang (an input that
 * never returns) and name the batch seed that replays it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { knownHits, runBatch, type Counter } from './lib.js';
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
  | { type: 'done'; batches: number; runs: number; units: number; ms: number; known: Record<string, number> };

const job = workerData as WorkerJob;
const t = TARGETS.find((x) => x.name === job.name)!;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const counter: Counter = { n: 0 };
const t0 = performance.now();
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
  const r = runBatch(t, seed, counter);
  batches++;
  runs += r.runs;
  if (r.failed) {
    post({ type: 'fail', report: r.report! });
    break;
  }
}
post({ type: 'done', batches, runs, units: counter.n, ms: performance.now() - t0, known: knownHits });
