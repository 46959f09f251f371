import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rc4, rc4 } from './rc4.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Keystream octets [offset, offset+16) for `key` (RFC 6229 lists keystream = RC4 of zeros). */
function at(key: Buffer, offset: number): string {
  return rc4(key, Buffer.alloc(offset + 16)).subarray(offset).toString('hex');
}

test('RC4: RFC 6229 §2, 40-bit key 0x0102030405', () => {
  const key = hex('0102030405');
  const vectors: [number, string][] = [
    [0, 'b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8'],
    [16, '69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19'],
    [240, '28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae'],
    [256, '1c fc f6 2b 03 ed db 64 1d 77 df cf 7f 8d 8c 93'],
    [1520, '32 94 f7 44 d8 f9 79 05 07 e7 0f 62 e5 bb ce ea'],
    [2048, 'cc 58 2f 8b a9 f2 65 e2 b1 be 91 12 e9 75 d2 d7'],
  ];
  for (const [offset, ks] of vectors) assert.equal(at(key, offset), hex(ks).toString('hex'), `offset ${offset}`);
});

test('RC4: RFC 6229 §2, 56-bit key 0x01020304050607 and 128-bit key 0x0102..10', () => {
  assert.equal(at(hex('01020304050607'), 0), hex('29 3f 02 d4 7f 37 c9 b6 33 f2 af 52 85 fe b4 6b').toString('hex'));
  assert.equal(at(hex('01020304050607'), 16), hex('e6 20 f1 39 0d 19 bd 84 e2 e0 fd 75 20 31 af c1').toString('hex'));
  const k128 = hex('0102030405060708090a0b0c0d0e0f10');
  const vectors: [number, string][] = [
    [0, '9a c7 cc 9a 60 9d 1e f7 b2 93 28 99 cd e4 1b 97'],
    [16, '52 48 c4 95 90 14 12 6a 6e 8a 84 f1 1d 1a 9e 1c'],
    [240, '06 59 02 e4 b6 20 f6 cc 36 c8 58 9f 66 43 2f 2b'],
    [256, 'd3 9d 56 6b c6 bc e3 01 07 68 15 15 49 f3 87 3f'],
  ];
  for (const [offset, ks] of vectors) assert.equal(at(k128, offset), hex(ks).toString('hex'), `offset ${offset}`);
});

test('RC4: the keystream continues across process() calls; in place; rekey restarts', () => {
  const key = hex('0102030405');
  const r = new Rc4(key);
  const a = r.process(Buffer.alloc(16));
  const buf = Buffer.alloc(16);
  const b = r.process(buf, buf);
  assert.equal(b, buf, 'in place returns the same buffer');
  assert.equal(Buffer.concat([a, b]).toString('hex'), rc4(key, Buffer.alloc(32)).toString('hex'));
  r.rekey(key);
  assert.equal(r.process(Buffer.alloc(16)).toString('hex'), a.toString('hex'));
  const msg = Buffer.from('test message');
  assert.deepEqual(rc4(key, rc4(key, msg)), msg, 'encryption is its own inverse');
  assert.throws(() => new Rc4(Buffer.alloc(0)), RangeError);
});
