import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRelief } from './memory-relief.js';

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
