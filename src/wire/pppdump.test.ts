import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PppdumpWriter, PPPDUMP } from './pppdump.js';

test('pppdump records: start time, data with 16-bit counts, time steps in tenths, end markers', () => {
  const w = new PppdumpWriter();
  const t0 = 1_700_000_000_250;
  assert.deepEqual([...w.start(t0)], [PPPDUMP.START, ...[0x65, 0x53, 0xf1, 0x00]]);
  // Same tenth as the whole second + 2: a step of 2.
  assert.deepEqual([...w.data('sent', Buffer.from([0x7e, 0xff]), t0)], [PPPDUMP.DELTA8, 2, PPPDUMP.SENT, 0, 2, 0x7e, 0xff]);
  // No time passed: no step record.
  assert.deepEqual([...w.data('received', Buffer.from([1]), t0 + 20)], [PPPDUMP.RECEIVED, 0, 1, 1]);
  // 30 s later: 300 tenths, too many for a byte.
  assert.deepEqual([...w.end('received', t0 + 30_000)], [PPPDUMP.DELTA32, 0, 0, 1, 0x2c, PPPDUMP.END_RECEIVED]);
  assert.deepEqual([...w.end('sent', t0 + 30_000)], [PPPDUMP.END_SENT]);
});

test('pppdump: a chunk longer than 65535 bytes is split into records', () => {
  const w = new PppdumpWriter();
  w.start(0);
  const b = w.data('sent', Buffer.alloc(70_000, 0x41), 0);
  assert.equal(b.length, 3 + 65535 + 3 + (70_000 - 65535));
  assert.deepEqual([...b.subarray(0, 3)], [PPPDUMP.SENT, 0xff, 0xff]);
  assert.deepEqual([...b.subarray(65538, 65541)], [PPPDUMP.SENT, 0x11, 0x71]);
});
