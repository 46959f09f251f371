// The token bucket and shaper on a virtual clock: never more than burst + rate * t bytes in
// any interval, waiting packets leave in order when their tokens come, the queue is bounded
// (tail drop), and a new rate (a CoA's new Filter-Id) takes effect from that moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Shaper, TokenBucket } from './token-bucket.js';

test('a bucket starts full, lends no more than its burst, and refills at its rate', () => {
  const b = new TokenBucket(1000, 3000, 0); // 1000 B/s, 3000 B deep
  assert.equal(b.take(3000, 0), true);
  assert.equal(b.take(1, 0), false);
  assert.equal(b.wait(500, 0), 500);
  assert.equal(b.take(500, 499), false);
  assert.equal(b.take(500, 500), true);
  // Idle for an hour: still only the burst.
  assert.equal(b.take(3001, 3_600_000), false);
  assert.equal(b.take(3000, 3_600_000), true);
  assert.equal(b.wait(3001, 3_600_000), Infinity, 'larger than the burst never fits');
});

test('shaper: over every interval at most burst + rate * t bytes pass, whatever is offered', () => {
  const rate = 8000;
  const burst = 3000;
  const s = new Shaper(new TokenBucket(rate, burst, 0), 20_000);
  const passed: { t: number; n: number }[] = [];
  let now = 0;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 3000; i++) {
    now += Math.floor(rnd() * 20);
    const n = 40 + Math.floor(rnd() * 1460);
    for (const p of s.offer(Buffer.alloc(n), now)) passed.push({ t: now, n: p.length });
    const at = s.nextAt(now);
    if (at !== undefined && rnd() < 0.5) {
      now = Math.max(now, at);
      for (const p of s.due(now)) passed.push({ t: now, n: p.length });
    }
  }
  assert.ok(s.counters.dropped > 0, 'the offered load exceeds the rate: the bounded queue drops');
  assert.ok(s.counters.delayed > 0);
  for (let i = 0; i < passed.length; i += 37) {
    let bytes = 0;
    for (let j = i; j < passed.length; j++) {
      bytes += passed[j]!.n;
      const t = (passed[j]!.t - passed[i]!.t) / 1000;
      assert.ok(bytes <= burst + rate * t + 1e-6, `${bytes} bytes in ${t} s from packet ${i}`);
    }
  }
  assert.ok(s.queuedBytes <= 20_000);
});

test('shaper: queued packets leave in order at nextAt; a packet larger than the burst is dropped', () => {
  const s = new Shaper(new TokenBucket(1000, 2000, 0), 10_000);
  assert.equal(s.offer(Buffer.alloc(1500, 1), 0).length, 1);
  assert.deepEqual(s.offer(Buffer.alloc(1000, 2), 0), []);
  assert.deepEqual(s.offer(Buffer.alloc(100, 3), 0), [], 'behind a waiting packet, even with tokens');
  assert.equal(s.nextAt(0), 500);
  assert.deepEqual(s.due(499), []);
  assert.deepEqual(s.due(500).map((p) => p[0]), [2]);
  assert.equal(s.nextAt(500), 600);
  assert.deepEqual(s.due(600).map((p) => p[0]), [3]);
  assert.equal(s.nextAt(600), undefined);
  assert.deepEqual(s.offer(Buffer.alloc(2001), 10_000), []);
  assert.equal(s.counters.dropped, 1);
});

test('a new rate (CoA) applies from that moment: the same offer paces at the new rate', () => {
  const b = new TokenBucket(64_000 / 8, 3000, 0);
  const s = new Shaper(b, 1 << 20);
  const offerMany = (t0: number) => {
    let now = t0;
    let bytes = 0;
    for (let i = 0; i < 40; i++) bytes += s.offer(Buffer.alloc(1000), now).reduce((a, p) => a + p.length, 0);
    while (s.nextAt(now) !== undefined) {
      now = s.nextAt(now)!;
      bytes += s.due(now).reduce((a, p) => a + p.length, 0);
    }
    return { bytes, ms: now - t0 };
  };
  const fast = offerMany(0);
  assert.equal(fast.bytes, 40_000);
  assert.equal(fast.ms, Math.ceil(((40_000 - 3000) * 1000) / 8000), 'burst, then 8000 B/s');
  b.setRate(16_000 / 8, 3000, 100_000);
  const slow = offerMany(100_000);
  assert.equal(slow.bytes, 40_000);
  assert.ok(slow.ms >= ((40_000 - 3000) * 1000) / 2000, `${slow.ms} ms at 2000 B/s`);
  // A smaller burst drops what waits beyond it, tokens are capped at it.
  b.setRate(1000, 500, 200_000);
  assert.equal(b.take(501, 200_000), false);
});
