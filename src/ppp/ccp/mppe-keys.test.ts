import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MppeKeySchedule } from './mppe-keys.js';
import { getAsymmetricStartKey, getMasterKey, getStartKey, hashNtPasswordHash, ntPasswordHash } from '../auth/mschap-crypto.js';
import { rc4 } from '../auth/rc4.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3079 §3.5: the worked example's inputs (MS-CHAPv2, password "clientPass").
const NT_RESPONSE = h('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
const masterKey = (): Buffer => getMasterKey(hashNtPasswordHash(ntPasswordHash(Buffer.from('clientPass'))), NT_RESPONSE);
const serverSendStart = (): Buffer => getAsymmetricStartKey(masterKey(), 16, true, true);

test('RFC 3079 §3.5.3: the initial 128-bit session key and its "test message" ciphertext', () => {
  const k = new MppeKeySchedule(serverSendStart(), 128);
  assert.deepEqual(k.currentKey(), h('40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4'));
  assert.deepEqual(k.rc4.process(Buffer.from('test message')), h('81 84 83 17 DF 68 84 62 72 FB 5A BE'));
});

test('RFC 3079 §3.5.1: the initial 40-bit session key carries the D1 26 9E salt', () => {
  // The 40-bit start key is the first 8 octets of the 16-octet one (as pppd hands it to Linux).
  const k = new MppeKeySchedule(serverSendStart(), 40);
  assert.deepEqual(k.currentKey(), h('D1 26 9E C4 9F A6 2E 3E'));
  assert.deepEqual(k.rc4.process(Buffer.from('test message')), h('92 91 37 91 7E 58 03 D6 68 D7 58 98'));
});

test('RFC 3079 §3.5.2: the initial 56-bit session key salts only its first octet', () => {
  const k = new MppeKeySchedule(serverSendStart(), 56);
  assert.deepEqual(k.currentKey(), h('D1 5C 00 C4 9F A6 2E 3E'));
});

test('RFC 3079 §2.5.3: MS-CHAP v1 128-bit session key from Get_Start_Key', () => {
  const phh = hashNtPasswordHash(ntPasswordHash(Buffer.from('clientPass')));
  const start = getStartKey(h('10 2d b5 df 08 5d 30 41'), phh);
  assert.deepEqual(new MppeKeySchedule(start, 128).currentKey(), h('59 d1 59 bc 09 f7 6f 1d a2 a8 6a 28 ff ec 0b 1e'));
});

/** RFC 3078 §7.3 written out once more, independently of mppe-keys.ts. */
function changedKey(start: Buffer, session: Buffer, len: number, bits: number): Buffer {
  const sha = createHash('sha1')
    .update(start.subarray(0, len))
    .update(Buffer.alloc(40, 0))
    .update(session)
    .update(Buffer.alloc(40, 0xf2))
    .digest()
    .subarray(0, len);
  const k = rc4(sha, sha);
  if (bits === 40) k.set([0xd1, 0x26, 0x9e]);
  if (bits === 56) k[0] = 0xd1;
  return k;
}

test('RFC 3078 §7.3: each key change is SHA1 of start key and session key, RC4-encrypted under itself, salted again', () => {
  for (const [bits, len] of [[128, 16], [56, 8], [40, 8]] as const) {
    const start = serverSendStart();
    const k = new MppeKeySchedule(start, bits);
    let expected = k.currentKey();
    for (let i = 0; i < 5; i++) {
      k.change();
      expected = changedKey(start, expected, len, bits);
      assert.deepEqual(k.currentKey(), expected, `${bits}-bit change ${i + 1}`);
    }
  }
});

test('a start key shorter than the strength needs is refused', () => {
  assert.throws(() => new MppeKeySchedule(Buffer.alloc(8), 128), /16-octet/);
});
