/**
 * `dialtone chat` against real chat(8): every case of cases.ts runs both programs on a pty
 * against the same scripted modem (responder.ts) and compares exit codes, the bytes written on
 * the line and, where the case says so, stderr and the report file.
 *
 * Real chat is required: without /usr/sbin/chat (Debian package `ppp`) or socat this test FAILS.
 * DIALTONE_SKIP_INTEROP=1 (the project's switch for tests that need outside programs, set by
 * `npm run test:unit`) skips it.
 *
 * Differences that remain between the two are deliberate and not compared: without -s, chat logs
 * to syslog and dialtone to stderr (so stderr is compared only in cases where that cannot show);
 * REPORT lines carry the wall-clock time, which is masked. Timing (chat paces 10 ms a byte, \d is
 * one second) is reproduced but not asserted: the responder waits for bytes, never for times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cases, type Case } from './cases.js';
import { REAL_CHAT, REPO_ROOT, runOnPty, type RunResult } from './responder.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

/** Cases run at once; each runs two programs, mostly idle waiting for the modem or a timeout. */
const CONCURRENCY = 8;

const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));
/** REPORT lines start with strftime("%b %d %H:%M:%S "), the one thing that cannot match. */
const maskTimes = (s: string): string => s.replace(/chat: {2}[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d /g, 'chat:  <time> ');

function prerequisites(): void {
  assert.ok(fs.existsSync(REAL_CHAT), `${REAL_CHAT} is missing: install the Debian package 'ppp' (real chat is the reference)`);
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
  } catch {
    assert.fail('socat is missing: install the Debian package socat (it provides the pty)');
  }
  assert.ok(
    fs.existsSync(path.join(REPO_ROOT, 'dist', 'src', 'cli', 'chat.js')),
    'dist/src/cli/chat.js is missing: build first (npx tsc -p .)',
  );
}

async function runCase(c: Case): Promise<void> {
  const inv = { args: c.args, shell: c.shell, env: c.env, files: c.files, steps: c.steps, limitMs: 20000 };
  const [real, ours] = await Promise.all([runOnPty({ ...inv, program: 'chat' }), runOnPty({ ...inv, program: 'dialtone' })]);
  const context = (r: RunResult): string =>
    `exit ${r.code}, steps ${r.stepsDone}/${c.steps.length}, ${r.elapsedMs} ms\n  line:   ${show(r.line)}\n  stderr: ${show(r.stderr)}`;
  const both = `\nreal chat: ${context(real)}\ndialtone:  ${context(ours)}`;
  try {
    assert.equal(real.code, c.code, `real chat's exit code is not the one the case expects${both}`);
    assert.equal(ours.code, real.code, `exit codes differ${both}`);
    if (c.lineTolerance === undefined) {
      assert.equal(show(ours.line), show(real.line), `bytes on the line differ${both}`);
    } else {
      const n = Math.min(ours.line.length, real.line.length);
      assert.equal(show(ours.line.subarray(0, n)), show(real.line.subarray(0, n)), `bytes on the line differ${both}`);
      assert.ok(Math.abs(ours.line.length - real.line.length) <= c.lineTolerance, `line lengths differ too much${both}`);
    }
    if (c.compareStderr) {
      // Lines real chat prints either of, by timing, count as one (the case says why).
      const same = (t: string): string => (c.stderrEither ?? []).reduce((acc, [a, b]) => acc.split(b).join(a), maskTimes(t));
      assert.equal(same(ours.stderr.toString('latin1')), same(real.stderr.toString('latin1')), `stderr differs${both}`);
    }
    if (c.compareFile) {
      const read = (r: RunResult): string => maskTimes(fs.readFileSync(path.join(r.dir, c.compareFile!), 'latin1'));
      assert.equal(read(ours), read(real), `${c.compareFile} differs${both}`);
    }
  } finally {
    for (const r of [real, ours]) fs.rmSync(r.dir, { recursive: true, force: true });
  }
}

test('chat conformance: dialtone chat vs /usr/sbin/chat', { skip }, async (t) => {
  prerequisites();
  assert.ok(cases.length >= 30, 'the corpus has at least 30 cases');
  const started = Date.now();
  // node:test runs subtests one after another; run the cases through a pool and report each.
  const results = new Map<Case, Promise<void>>();
  const queue = [...cases];
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const p = runCase(c);
      results.set(c, p);
      await p.catch(() => undefined);
    }
  });
  const all = Promise.all(workers);
  for (const c of cases) {
    await t.test(c.name, async () => {
      while (!results.has(c)) await new Promise((r) => setTimeout(r, 5));
      await results.get(c);
    });
  }
  await all;
  t.diagnostic(`${cases.length} cases in ${Date.now() - started} ms`);
});
