import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finish, fold, sum16 } from './checksum.js';

/** RFC 1071 in its plainest form: big-endian 16-bit words, an odd last octet padded. */
function naive(b: Uint8Array, start: number, end: number, initial: number): number {
  let s = initial;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return s;
}

test('sum16 folds to the plain RFC 1071 sum at every alignment, length and starting value', () => {
  const mem = Buffer.alloc(4096 + 16);
  for (let i = 0; i < mem.length; i++) mem[i] = (i * 7919 + (i >> 5)) & 0xff;
  for (let shift = 0; shift < 8; shift++) {
    const b = mem.subarray(shift);
    for (const start of [0, 1, 2, 3, 20, 21]) {
      for (const len of [0, 1, 2, 3, 63, 64, 65, 66, 67, 100, 1460, 1461, 1480, 4000]) {
        const end = Math.min(b.length, start + len);
        for (const initial of [0, 0x1234, 0x3fffe]) {
          assert.equal(fold(sum16(b, start, end, initial)), fold(naive(b, start, end, initial)), `shift ${shift} start ${start} len ${len}`);
        }
      }
    }
  }
});

test('sum16 of all-ones and all-zero data keeps the 0 / 0xFFFF distinction of the plain sum', () => {
  const ones = Buffer.alloc(1500, 0xff);
  assert.equal(finish(sum16(ones, 0, 1500)), finish(naive(ones, 0, 1500, 0)));
  const zeros = Buffer.alloc(1500);
  assert.equal(sum16(zeros, 0, 1500), 0);
});

test('sum16 over a range longer than one kernel call (an IPv6 jumbogram-sized buffer) matches the plain sum', () => {
  const b = Buffer.alloc(200_003);
  for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
  for (const [start, end] of [[0, b.length], [1, b.length], [2, 131_075], [3, 65_539]] as const) {
    assert.equal(fold(sum16(b, start, end, 7)), fold(naive(b, start, end, 7)), `${start}..${end}`);
  }
});
