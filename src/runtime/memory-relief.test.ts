import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { MemoryRelief, YOUNG_CAP } from './memory-relief.js';

// growthBytes -1: any heap counts as grown, so only the policy (quiet, busy, rate) decides.
test('memory relief runs one GC when a busy server turns quiet, then waits out its rate limit', () => {
  let quiet = false;
  const logs: string[] = [];
  const relief = new MemoryRelief({ quiet: () => quiet, debug: (m) => logs.push(m), growthBytes: -1, quietLooks: 2, minGapMs: 10_000 });
  assert.equal(relief.look(0), false, 'busy: no GC');
  quiet = true;
  assert.equal(relief.look(1000), false, 'one quiet look is not enough');
  assert.equal(relief.look(2000), true, 'quiet twice after busy: GC');
  assert.equal(relief.runs, 1);
  assert.match(logs[0]!, /^memory relief: quiet after a burst; full GC/);
  quiet = false;
  relief.look(3000);
  quiet = true;
  relief.look(4000);
  assert.equal(relief.look(5000), false, 'within minGapMs of the last GC');
  assert.equal(relief.look(200_000), true, 'after minGapMs and 100 x the GC CPU time');
});

test('memory relief leaves a server that was never busy alone', () => {
  const relief = new MemoryRelief({ quiet: () => true, growthBytes: -1 });
  for (let t = 0; t < 10; t++) assert.equal(relief.look(t * 1000), false);
  assert.equal(relief.runs, 0);
});

// In a child: a fresh heap, retaining ~40 MB over many event-loop turns (as a burst of sessions does).
const growChild = `
  const v8 = require('node:v8');
  import(process.argv[1]).then(({ boundYoungGeneration }) => {
    const bounded = boundYoungGeneration();
    const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const first = size();
    const keep = [];
    let turns = 0;
    const step = () => {
      for (let k = 0; k < 2000; k++) keep.push({ k, a: [k, k], s: 'x' + k });
      if (++turns < 200) setImmediate(step);
      else console.log(JSON.stringify({ bounded, first, last: size() }));
    };
    step();
  });`;

function runGrowChild(nodeFlags: string[]): { bounded: boolean; first: number; last: number } {
  const here = new URL('./memory-relief.js', import.meta.url).href;
  const out = execFileSync(process.execPath, [...nodeFlags, '-e', growChild, here], { encoding: 'utf8' });
  return JSON.parse(out) as { bounded: boolean; first: number; last: number };
}

test('the young generation grows under a burst of setups but stops at YOUNG_CAP', () => {
  const r = runGrowChild([]);
  assert.equal(r.bounded, true);
  assert.ok(r.last > r.first, `grew from ${r.first}`);
  assert.ok(r.last <= YOUNG_CAP, `held at ${r.last} <= ${YOUNG_CAP}`);
});

test("a semi-space size the user gives node is left as given", () => {
  const r = runGrowChild(['--max-semi-space-size=2']);
  assert.equal(r.bounded, false);
});
