import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { turnClock } from './turn-clock.js';

function countingClock(): { clock: () => number; reads: () => number; set(t: number): void } {
  let t = 1000;
  let reads = 0;
  return {
    clock: () => {
      reads++;
      return t;
    },
    reads: () => reads,
    set: (v) => (t = v),
  };
}

test('turnClock reads the clock once for all the reads of one turn', () => {
  const c = countingClock();
  const now = turnClock(c.clock);
  for (let i = 0; i < 700; i++) assert.equal(now(), 1000);
  assert.equal(c.reads(), 1);
});

test('turnClock gives the next turn the time as it is then', async () => {
  const c = countingClock();
  const now = turnClock(c.clock);
  assert.equal(now(), 1000);
  c.set(1250);
  // Within the turn the time stays the turn's ...
  assert.equal(now(), 1000);
  await nextTurn();
  // ... and a later turn (a timer or socket callback) reads the clock afresh.
  assert.equal(now(), 1250);
  assert.equal(now(), 1250);
  assert.equal(c.reads(), 2);
  c.set(2000);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(now(), 2000);
  assert.equal(c.reads(), 3);
});

test('turnClock defaults to the wall clock', () => {
  const now = turnClock();
  const before = Date.now();
  const t = now();
  assert.ok(t >= before && t <= Date.now());
});
