import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpoolQueue } from './spool.js';

test('spool queue: in order, acks a prefix, and what it wrote reads back without the acknowledged records', () => {
  const q = new SpoolQueue<{ n: number }>();
  const lines = [1, 2, 3].map((n) => q.enqueue({ n }, 'start', n)!.line);
  lines.push(q.ack(q.first(1)[0]!.seq)!);
  assert.equal(q.ack(0), undefined);
  const back = new SpoolQueue<{ n: number }>();
  back.load(lines.join('\n') + '\n{"q":4,"t":4,"k":"st');
  assert.deepEqual(back.first(9).map((e) => e.record.n), [2, 3]);
  assert.equal(back.counters.tornLines, 1);
  assert.equal(back.enqueue({ n: 5 }, 'stop', 5)!.seq, 4, 'sequence numbers continue after the torn one');
});

test('spool queue bound: full, Interim-Updates are dropped first; Start/Stop are taken up to twice the bound, then refused', () => {
  const q = new SpoolQueue<string>(400);
  const pad = 'x'.repeat(100);
  while (q.enqueue(pad, 'stop', 0)) if (q.bytes > 400) break;
  assert.equal(q.enqueue(pad, 'interim', 0), undefined);
  assert.equal(q.counters.droppedInterim, 1);
  let taken = 0;
  while (q.enqueue(pad, 'stop', 0)) taken++;
  assert.ok(taken > 0 && q.bytes <= 800);
  assert.equal(q.counters.refused, 1);
});
