import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchedLog } from './batched-log.js';

test('batched log lines are written together, in order, after the current turn', async () => {
  const writes: string[] = [];
  const log = batchedLog((t) => writes.push(t));
  log('a\n');
  log('b\n');
  assert.deepEqual(writes, []);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, ['a\nb\n']);
});

test('batched log writes at once past its bound, and on flush()', () => {
  const writes: string[] = [];
  const log = batchedLog((t) => writes.push(t), 4);
  log('ab');
  log('cd');
  assert.deepEqual(writes, ['abcd']);
  log('e');
  log.flush();
  assert.deepEqual(writes, ['abcd', 'e']);
});
