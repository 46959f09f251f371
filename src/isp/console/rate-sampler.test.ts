import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateSampler } from './rate-sampler.js';

const counts = (entries: [number, number, number][]) => new Map(entries.map(([id, i, o]) => [id, { bytesIn: i, bytesOut: o }]));

test('rates are byte differences over the clock between samples, per session and in total', () => {
  const s = new RateSampler(10);
  s.sample(1000, counts([[1, 0, 0]]));
  const p = s.sample(3000, counts([[1, 4000, 1000], [2, 500, 500]]));
  assert.deepEqual(p.sessions[1], { in: 2000, out: 500 });
  // New since the last sample: its earlier bytes are not spread over an interval not seen
  // (rate 0, so not listed).
  assert.equal(p.sessions[2], undefined);
  assert.deepEqual(s.rate(2), { in: 0, out: 0 });
  assert.deepEqual(p.total, { in: 2000, out: 500 });
  assert.deepEqual(s.rate(1), { in: 2000, out: 500 });
  assert.deepEqual(s.rate(9), { in: 0, out: 0 });
  const q = s.sample(4000, counts([[2, 1500, 500]]));
  assert.deepEqual(q.sessions, { 2: { in: 1000, out: 0 } });
});

test('a session that moved no bytes is left out of the point: idle sessions cost the ring nothing', () => {
  const s = new RateSampler(10);
  s.sample(1000, counts([[1, 100, 100], [2, 100, 100]]));
  const p = s.sample(2000, counts([[1, 100, 100], [2, 300, 100]]));
  assert.deepEqual(p.sessions, { 2: { in: 200, out: 0 } });
  assert.deepEqual(s.rate(1), { in: 0, out: 0 });
});

test('a session that went and an id used again later start over at rate 0', () => {
  const s = new RateSampler(10);
  s.sample(1000, counts([[1, 5000, 0], [2, 0, 0]]));
  s.sample(2000, counts([[2, 0, 0]]));
  assert.deepEqual(s.sample(3000, counts([[1, 6000, 0], [2, 10, 0]])).sessions, { 2: { in: 10, out: 0 } });
});

test('the history is a bounded ring, oldest first', () => {
  const s = new RateSampler(3);
  for (let t = 1; t <= 7; t++) s.sample(t * 1000, counts([[1, t * 100, 0]]));
  assert.deepEqual(s.history().map((p) => p.t), [5000, 6000, 7000]);
  assert.equal(s.latest()!.t, 7000);
  assert.equal(s.latest()!.total.in, 100);
});

test('a counter that goes backwards or a clock that stands still gives rate 0, not a negative or infinite one', () => {
  const s = new RateSampler(3);
  s.sample(1000, counts([[1, 500, 500]]));
  assert.deepEqual(s.sample(2000, counts([[1, 100, 100]])).total, { in: 0, out: 0 });
  assert.deepEqual(s.sample(2000, counts([[1, 900, 900]])).total, { in: 0, out: 0 });
});
