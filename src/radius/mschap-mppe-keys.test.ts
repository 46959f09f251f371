import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decryptMsChapMppeKeys, encryptMsChapMppeKeys, msChapV1KeysFromRadius } from './mschap-mppe-keys.js';
import { verdictFrom } from './access.js';
import { vendorSpecific, RadiusCode, type RadiusAttribute } from './packet.js';
import { encryptMppeKey } from './crypto.js';
import type { RadiusResult } from './client.js';
import { hashNtPasswordHash, ntPasswordHash, msChapV1StartKey, msChapV2StartKeys, generateNtResponse } from '../ppp/auth/mschap-crypto.js';

const secret = Buffer.from('xyzzy5461');
const ra = Buffer.from('0f0e0d0c0b0a09080706050403020100', 'hex');
const password = Buffer.from('clientPass');
const ntKey = hashNtPasswordHash(ntPasswordHash(password));
const lmKey = Buffer.from('0102030405060708', 'hex');
const md5 = (...p: Buffer[]) => createHash('md5').update(Buffer.concat(p)).digest();
const result = (attributes: RadiusAttribute[]): RadiusResult => ({ ok: true, response: { code: RadiusCode.AccessAccept, identifier: 1, authenticator: Buffer.alloc(16), attributes }, requestAuthenticator: ra, secret, server: 0 });

test('MS-CHAP-MPPE-Keys (RFC 2548 §2.4.1): LM key, NT key, 8 NULs, hidden as User-Password; decrypted back', () => {
  // The vector computed here from the RFC's description, block by block.
  const p = Buffer.concat([lmKey, ntKey, Buffer.alloc(8)]);
  const b1 = md5(secret, ra);
  const c1 = Buffer.from(p.subarray(0, 16).map((x, i) => x ^ b1[i]!));
  const b2 = md5(secret, c1);
  const c2 = Buffer.from(p.subarray(16, 32).map((x, i) => x ^ b2[i]!));
  const wire = Buffer.concat([c1, c2]);
  assert.deepEqual(encryptMsChapMppeKeys(lmKey, ntKey, secret, ra), wire);
  const got = decryptMsChapMppeKeys(wire, secret, ra)!;
  assert.deepEqual(got.lmKey, lmKey);
  assert.deepEqual(got.ntKey, ntKey);
  // pppd's radius plugin refuses anything but 32 octets; a wrong secret gives another key.
  assert.equal(decryptMsChapMppeKeys(wire.subarray(0, 24), secret, ra), null);
  assert.equal(decryptMsChapMppeKeys(Buffer.concat([wire, Buffer.alloc(16)]), secret, ra), null);
  assert.notDeepEqual(decryptMsChapMppeKeys(wire, Buffer.from('other'), ra)!.ntKey, ntKey);
});

test('the MS-CHAP v1 start key from the RADIUS NT key is the one the peer derives (RFC 3079 §2.4), both directions', () => {
  const challenge = Buffer.from('102db5df085d3041', 'hex');
  const keys = msChapV1KeysFromRadius(challenge, ntKey);
  const peer = msChapV1StartKey(challenge, password);
  assert.deepEqual(keys.send, peer);
  assert.deepEqual(keys.recv, peer);
  assert.equal(keys.send.length, 16);
});

test('an MS-CHAP v1 Access-Accept with MS-CHAP-MPPE-Keys gives the session its keys; Policy and Types reach the grant', () => {
  const challenge = Buffer.from('102db5df085d3041', 'hex');
  const r = result([
    vendorSpecific(311, 12, encryptMsChapMppeKeys(lmKey, ntKey, secret, ra)),
    vendorSpecific(311, 7, Buffer.from([0, 0, 0, 2])),
    vendorSpecific(311, 8, Buffer.from([0, 0, 0, 6])),
  ]);
  const { verdict, grant } = verdictFrom({ method: 'chap', digest: 0x80, id: 3, user: 'dino', challenge, response: Buffer.alloc(49, 1) }, r);
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.keys!.send, msChapV1StartKey(challenge, password));
  assert.deepEqual(verdict.keys!.recv, verdict.keys!.send);
  assert.equal(grant!.mppePolicy, 2);
  assert.equal(grant!.mppeTypes, 6);
  // Without the attribute (or a malformed one): no keys, so MPPE cannot be required.
  const bare = verdictFrom({ method: 'chap', digest: 0x80, id: 3, user: 'dino', challenge, response: Buffer.alloc(49, 1) }, result([vendorSpecific(311, 12, Buffer.alloc(20))]));
  assert.ok(bare.verdict.ok);
  assert.equal(bare.verdict.keys, undefined);
});

test('MS-CHAPv2 key direction: MS-MPPE-Send-Key is what the NAS sends with, which is the peer\'s receive key (RFC 2548 §2.4.2, RFC 3079 §3.4)', () => {
  const authChallenge = Buffer.alloc(16, 0x5a);
  const peerChallenge = Buffer.alloc(16, 0xa5);
  const nt = generateNtResponse(authChallenge, peerChallenge, 'dino', password);
  // What a RADIUS server computes as the authenticator (IsServer), and what the peer computes.
  const server = msChapV2StartKeys(password, nt, true);
  const peer = msChapV2StartKeys(password, nt, false);
  const r = result([
    vendorSpecific(311, 26, Buffer.concat([Buffer.from([9]), Buffer.from('S=0123456789ABCDEF0123456789ABCDEF01234567')])),
    vendorSpecific(311, 16, encryptMppeKey(server.send, secret, ra, Buffer.from([0x80, 1]))),
    vendorSpecific(311, 17, encryptMppeKey(server.recv, secret, ra, Buffer.from([0x80, 2]))),
  ]);
  const value = Buffer.concat([peerChallenge, Buffer.alloc(8), nt, Buffer.from([0])]);
  const { verdict } = verdictFrom({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: authChallenge, response: value }, r);
  assert.deepEqual(verdict.keys!.send, peer.recv);
  assert.deepEqual(verdict.keys!.recv, peer.send);
  assert.notDeepEqual(verdict.keys!.send, verdict.keys!.recv);
});
