/**
 * npm run fuzz [-- --budget SECONDS] [--seed N] [--long] [--only NAME[,NAME]] [--hang SECONDS]
 *
 * Property-based fuzzing (fast-check) of the PPP session (HDLC and frame links), the config
 * parsers, the userspace network stack and the Hayes interpreter. Each target runs in a
 * worker for --budget seconds (default 4), or with --long until its count (10^7 frames,
 * 10^6 config lines, 10^6 IP packets, 10^6 modem commands). The seed of every run is
 * printed; a failure prints the batch seed, a replay command and a regression test to
 * paste. A target that makes no progress for --hang seconds (default 60) is a hang: the
 * seed of the batch it was in is printed. Exit status 1 if anything failed.
 */
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { TARGETS } from './targets.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

function args(argv: string[]) {
  const o = { budget: 4, seed: undefined as number | undefined, long: false, only: undefined as string[] | undefined, hang: 60, batches: undefined as number | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--budget') o.budget = Number(v());
    else if (a === '--seed') o.seed = Number(v()) | 0;
    else if (a === '--long') o.long = true;
    else if (a === '--only') o.only = v().split(',');
    else if (a === '--hang') o.hang = Number(v());
    else if (a === '--batches') o.batches = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

interface Result {
  name: string;
  unit: string;
  seed: number;
  status: 'ok' | 'FAIL' | 'HANG' | 'CRASH';
  units: number;
  runs: number;
  ms: number;
  cpuMs?: number;
  stats?: Record<string, number>;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function runTarget(job: WorkerJob, hangMs: number): Promise<Result & { report?: string }> {
  const t = TARGETS.find((x) => x.name === job.name)!;
  return new Promise((resolve) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
    const t0 = performance.now();
    let last = { seed: job.seed, units: 0 };
    let lastProgress = performance.now();
    let report: string | undefined;
    let finished = false;
    const finish = (r: Result) => {
      if (finished) return;
      finished = true;
      clearInterval(watch);
      resolve({ ...r, report });
    };
    let lastPrint = performance.now();
    const watch = setInterval(() => {
      if (performance.now() - lastProgress > hangMs) {
        report = `HANG ${job.name}: no progress for ${(hangMs / 1000).toFixed(0)} s in the batch with seed ${last.seed}\nreplay: npm run fuzz -- --only ${job.name} --seed ${last.seed} --batches 1`;
        void w.terminate();
        finish({ name: job.name, unit: t.unit, seed: job.seed, status: 'HANG', units: last.units, runs: 0, ms: performance.now() - t0 });
      } else if (job.long && performance.now() - lastPrint > 30_000) {
        lastPrint = performance.now();
        const s = (performance.now() - t0) / 1000;
        console.log(`  ${job.name}: ${last.units} ${t.unit} in ${s.toFixed(0)} s (${(last.units / s).toFixed(0)}/s), batch seed ${last.seed}, load ${load()}`);
      }
    }, 1000);
    w.on('message', (m: WorkerMessage) => {
      lastProgress = performance.now();
      if (m.type === 'batch') last = { seed: m.seed, units: m.units };
      else if (m.type === 'fail') report = m.report;
      else {
        for (const [k, n] of Object.entries(m.known)) console.log(`  known (todo test ${k}): ${n} case(s) in ${job.name}`);
        finish({ name: job.name, unit: t.unit, seed: job.seed, status: report ? 'FAIL' : 'ok', units: m.units, runs: m.runs, ms: m.ms, cpuMs: m.cpuMs, stats: m.stats });
      }
    });
    w.on('error', (e) => {
      report = `CRASH ${job.name} (batch seed ${last.seed}): ${e.stack ?? e}\nreplay: npm run fuzz -- --only ${job.name} --seed ${last.seed} --batches 1`;
      finish({ name: job.name, unit: t.unit, seed: job.seed, status: 'CRASH', units: last.units, runs: 0, ms: performance.now() - t0 });
    });
    w.on('exit', () => finish({ name: job.name, unit: t.unit, seed: job.seed, status: report ? 'CRASH' : 'ok', units: last.units, runs: 0, ms: performance.now() - t0 }));
  });
}

async function main(): Promise<number> {
  const o = args(process.argv.slice(2));
  const seed = o.seed ?? ((Date.now() ^ (Math.random() * 0x7fffffff)) | 0);
  const targets = TARGETS.filter((t) => !o.only || o.only.includes(t.name));
  if (!targets.length) throw new Error(`no target among ${o.only?.join(',')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  console.log(`dialtone fuzz: seed ${seed}, ${o.long ? 'long mode (count per target)' : `budget ${o.budget} s per target`}; replay with --seed ${seed}`);
  const results: Result[] = [];
  for (const t of targets) {
    const r = await runTarget({ name: t.name, seed, budgetMs: o.budget * 1000, long: o.long, batches: o.batches }, o.hang * 1000);
    results.push(r);
    console.log(`${r.status.padEnd(5)} ${t.name.padEnd(15)} ${String(r.units).padStart(10)} ${t.unit.padEnd(8)} ${String(r.runs).padStart(7)} cases ${(r.ms / 1000).toFixed(1).padStart(7)} s ${(r.units / (r.ms / 1000)).toFixed(0).padStart(8)} ${t.unit}/s`);
    if (o.long && r.cpuMs) console.log(`      CPU ${(r.cpuMs / 1000).toFixed(1)} s (${(r.units / (r.cpuMs / 1000)).toFixed(0)} ${t.unit}/CPU-s), load average ${load()}`);
    for (const [k, n] of Object.entries(r.stats ?? {})) console.log(`      ${k}: ${n}`);
    if (r.report) console.log(r.report);
  }
  const bad = results.filter((r) => r.status !== 'ok');
  console.log(bad.length ? `fuzz: ${bad.length} target(s) failed (seed ${seed})` : `fuzz: all ${results.length} targets passed (seed ${seed})`);
  return bad.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(2);
});
