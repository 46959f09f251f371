// ByteQueue: any range reads back as pushed, across chunks and after drops; peek() gives the
// same octets, as a view of the chunk when the range lies in one (no copy per segment built).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from './bytequeue.js';

function filled(n: number, from: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) & 0xff;
  return b;
}

test('read and peek give the same octets for any range, within a chunk or across chunks, after drops', () => {
  const q = new ByteQueue();
  const all = Buffer.concat([filled(100, 0), filled(50, 100), filled(200, 150)]);
  q.push(all.subarray(0, 100));
  q.push(Buffer.alloc(0)); // empty pushes are ignored
  q.push(all.subarray(100, 150));
  q.push(all.subarray(150));
  let base = 0;
  for (const drop of [0, 30, 90, 100]) {
    q.drop(drop);
    base += drop;
    for (const [off, n] of [[0, 10], [5, 60], [60, 80], [0, q.length], [q.length - 1, 5]] as const) {
      const want = all.subarray(base + off, Math.min(base + off + n, all.length));
      assert.deepEqual(Buffer.from(q.peek(off, n)), want, `peek ${off}+${n} after dropping ${base}`);
      assert.deepEqual(q.read(off, n), want, `read ${off}+${n} after dropping ${base}`);
    }
  }
});

test('peek of a range inside one chunk is a view of that chunk, not a copy', () => {
  const q = new ByteQueue();
  const chunk = filled(1000, 7);
  q.push(chunk);
  q.drop(100);
  const v = q.peek(50, 200);
  assert.equal(v.buffer, chunk.buffer);
  assert.equal(v.byteOffset, chunk.byteOffset + 150);
  assert.equal(v.length, 200);
  assert.equal(q.peek(900, 10).length, 0, 'past the end: nothing');
});
