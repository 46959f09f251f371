/**
 * The fuzz runner's pieces shared by every target: a target is a fast-check property over
 * one "case" (a sequence of inputs) plus a `check(case)` function that the property calls,
 * so a counterexample printed by the runner is pasted as `check(<value>)` into a test.
 *
 * Runs go in batches; batch i of a run with seed S uses seed S + i, so a failing batch is
 * replayed alone with `npm run fuzz -- --only TARGET --seed S+i` (the runner prints it).
 */
import fc from 'fast-check';

export interface Counter {
  /** Units (frames, lines, packets, commands) fed so far. */
  n: number;
}

export interface Target<T = unknown> {
  name: string;
  /** What `Counter.n` counts, for the throughput figure. */
  unit: string;
  /** --long runs until this many units. */
  longCount: number;
  /** Cases per batch (a batch is one fc.check call, the unit of replay). */
  runsPerBatch: number;
  /** The arbitrary of one case. */
  arbitrary(): fc.Arbitrary<T>;
  /** Feeds one case, counting units; throws (an assertion) when an invariant breaks. */
  check(value: T, counter: Counter): void;
  /** Where the regression test imports `check` from, for the printed snippet. */
  module: string;
  /**
   * --long without fast-check: one batch of a seeded loop, counting units, throwing on a
   * broken invariant; returns figures summed over the run and printed at the end.
   */
  longBatch?(seed: number, counter: Counter): Record<string, number>;
}

export class InvariantError extends Error {}

export function invariant(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new InvariantError(msg);
}

/** Runs `fn`, failing the case if it takes longer than `ms` (a soft hang detector). */
export function timed<R>(what: string, ms: number, fn: () => R): R {
  const t0 = performance.now();
  const r = fn();
  const dt = performance.now() - t0;
  invariant(dt <= ms, `${what} took ${dt.toFixed(0)} ms (> ${ms} ms)`);
  return r;
}

/** This process's CPU time in ms: a loaded machine that preempts the fuzzer does not count. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The scaling targets' rule, t(10n) < 30 t(n) + 50 ms (linear is 10x, quadratic 100x),
 * judged on CPU time. A case over the bound is measured again, up to three times, keeping
 * the best of each size: a GC pause or preemption makes a linear input look slow once,
 * a quadratic one is slow every time.
 */
export function judgeScaling(measure: () => { small: number; large: number }, what: (small: number, large: number) => string): void {
  let small = Infinity;
  let large = Infinity;
  for (let attempt = 0; attempt < 3; attempt++) {
    const m = measure();
    small = Math.min(small, m.small);
    large = Math.min(large, m.large);
    if (large < 30 * small + 50) return;
  }
  invariant(false, what(small, large));
}

/**
 * Findings already recorded as `{ todo }` regression tests: a case failing with one of
 * these messages is counted as known instead of failing the run (so CI stays green until
 * the fix lands). Remove the entry together with the todo when src/ is fixed.
 */
export const KNOWN: { test: string; match: RegExp }[] = [];

export const knownHits: Record<string, number> = {};

export interface BatchResult {
  failed: boolean;
  seed: number;
  runs: number;
  report?: string;
}

export function runBatch<T>(t: Target<T>, seed: number, counter: Counter, runs = t.runsPerBatch): BatchResult {
  const details = fc.check(
    fc.property(t.arbitrary(), (v) => {
      try {
        t.check(v, counter);
      } catch (e) {
        const k = e instanceof InvariantError ? KNOWN.find((x) => x.match.test(e.message)) : undefined;
        if (!k) throw e;
        knownHits[k.test] = (knownHits[k.test] ?? 0) + 1;
      }
    }),
    { seed, numRuns: runs },
  );
  if (!details.failed) return { failed: false, seed, runs: details.numRuns };
  const ce = details.counterexample?.[0];
  const err = details.errorInstance as Error | undefined;
  const lines = [
    `FAILED ${t.name}: seed ${seed}, path "${details.counterexamplePath}", after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
    `error: ${err?.constructor?.name ?? 'Error'}: ${err?.message ?? String(details.errorInstance)}`,
    ...(err?.stack ? err.stack.split('\n').slice(1, 8) : []),
    `replay: npm run fuzz -- --only ${t.name} --seed ${seed}`,
    '--- regression test (paste into a *.fuzz-regression.test.ts next to the code) ---',
    `import { test } from 'node:test';`,
    `import { ${t.name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Target as target } from '${t.module}';`,
    `test('fuzz regression: ${t.name} seed ${seed}', () => {`,
    `  target.check(${asciiSource(fc.stringify(ce))}, { n: 0 });`,
    `});`,
    '---',
  ];
  return { failed: true, seed, runs: details.numRuns, report: lines.join('\n') };
}

/** fc.stringify output with every non-printable-ASCII character escaped (it is valid JS either way; this keeps U+2028 and friends visible). */
export function asciiSource(src: string): string {
  return src.replace(/[^\x20-\x7e]/gu, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** Arbitrary bytes as a Buffer. */
export const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

/** A byte-level mutation of `b`: overwrite, insert, delete, truncate, duplicate a slice. */
export type Mutation = [op: number, at: number, value: number];
export const mutations = (max = 4) => fc.array(fc.tuple(fc.nat(4), fc.nat(4095), fc.nat(255)), { maxLength: max });

export function mutate(b: Buffer, ms: readonly Mutation[]): Buffer {
  let out = Buffer.from(b);
  for (const [op, at0, v] of ms) {
    const at = out.length ? at0 % (out.length + 1) : 0;
    switch (op) {
      case 0: if (at < out.length) out[at] = v; break;
      case 1: out = Buffer.concat([out.subarray(0, at), Buffer.from([v]), out.subarray(at)]); break;
      case 2: out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]); break;
      case 3: out = out.subarray(0, at); break;
      default: out = Buffer.concat([out, out.subarray(at, at + 1 + (v % 64))]); break;
    }
  }
  return out;
}
