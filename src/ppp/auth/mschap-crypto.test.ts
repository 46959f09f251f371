import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCiphers } from 'node:crypto';
import {
  challengeHash,
  challengeResponse,
  checkAuthenticatorResponse,
  desEncrypt,
  desKeyFrom7,
  generateAuthenticatorResponse,
  generateNtResponse,
  getAsymmetricStartKey,
  getKey,
  getMasterKey,
  getNewKeyFromSha,
  getStartKey,
  hashNtPasswordHash,
  lmChallengeResponse,
  lmPasswordHash,
  msChapV1StartKey,
  msChapV2StartKeys,
  ntChallengeResponse,
  ntPasswordHash,
  reduceKey,
  unicodePassword,
  userNameForHash,
} from './mschap-crypto.js';
import { rc4 } from './rc4.js';
import { md4 } from './md4.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const eq = (got: Buffer, want: string, what: string): void => assert.equal(got.toString('hex'), h(want).toString('hex'), what);

test('DES: Node has des-ede3-ecb (single DES as K1=K2=K3); FIPS 46 / well-known single-DES answers', () => {
  assert.ok(getCiphers().includes('des-ede3-ecb'));
  // Key 01 01 01 01 01 01 01 01 (7-octet form: all zero bits), plaintext zero: 8C A6 4D E9 C1 B1 23 A7.
  eq(desEncrypt(Buffer.alloc(8), Buffer.alloc(7)), '8CA64DE9C1B123A7', 'DES(0101..., 0)');
});

test('RFC 2759 §9.3: DES key generation with parity (password "MyPw")', () => {
  const ph = ntPasswordHash(Buffer.from('MyPw'));
  eq(ph, 'FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC', 'NtPasswordHash');
  eq(desKeyFrom7(ph.subarray(0, 7)), 'FD 0B 5B 5E 7F 6E 34 D9', 'first parity-corrected key');
  eq(desKeyFrom7(ph.subarray(7, 14)), '0E 6E 79 67 37 EA 08 FE', 'second parity-corrected key');
});

test('RFC 2433 §B.2: MS-CHAP v1 hash example (password "MyPw")', () => {
  const challenge = h('10 2D B5 DF 08 5D 30 41');
  eq(unicodePassword(Buffer.from('MyPw')), '4D 00 79 00 50 00 77 00', 'Unicode password');
  eq(ntPasswordHash(Buffer.from('MyPw')), 'FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC', 'NtPasswordHash');
  eq(ntChallengeResponse(challenge, Buffer.from('MyPw')), '4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61', 'NtChallengeResponse');
  eq(lmPasswordHash(Buffer.from('MyPw')), '75 BA 30 19 8E 6D 19 75 AA D3 B4 35 B5 14 04 EE', 'LmPasswordHash');
  eq(lmChallengeResponse(challenge, Buffer.from('MyPw')), '91 88 1D 01 52 AB 0C 33 C5 24 13 5E C2 4A 95 EE 64 E2 3C DC 2D 33 34 7D', 'LmChallengeResponse');
});

test('RFC 2759 §9.2: the complete MS-CHAPv2 worked example, every intermediate value', () => {
  const userName = Buffer.from('User');
  const password = Buffer.from('clientPass');
  eq(userName, '55 73 65 72', 'UserName');
  eq(unicodePassword(password), '63 00 6C 00 69 00 65 00 6E 00 74 00 50 00 61 00 73 00 73 00', 'Password (Unicode)');
  const authChallenge = h('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
  const peerChallenge = h('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
  const challenge = challengeHash(peerChallenge, authChallenge, userName);
  eq(challenge, 'D0 2E 43 86 BC E9 12 26', 'Challenge (ChallengeHash)');
  const ph = ntPasswordHash(password);
  eq(ph, '44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE', 'PasswordHash');
  const nt = generateNtResponse(authChallenge, peerChallenge, userName, password);
  eq(nt, '82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF', 'NT-Response');
  eq(challengeResponse(challenge, ph), '82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF', 'ChallengeResponse');
  eq(hashNtPasswordHash(ph), '41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F', 'PasswordHashHash');
  const auth = generateAuthenticatorResponse(password, nt, peerChallenge, authChallenge, userName);
  assert.equal(auth, 'S=407A5589115FD0D6209F510FE9C04566932CDA56', 'AuthenticatorResponse');
  assert.ok(checkAuthenticatorResponse(password, nt, peerChallenge, authChallenge, userName, auth));
  assert.ok(!checkAuthenticatorResponse(password, nt, peerChallenge, authChallenge, userName, auth.toLowerCase()));
  assert.ok(!checkAuthenticatorResponse(Buffer.from('clientPasS'), nt, peerChallenge, authChallenge, userName, auth));
  assert.ok(!checkAuthenticatorResponse(password, nt, peerChallenge, authChallenge, userName, auth.slice(0, 41)));
});

test('RFC 2759 §8.2 (pppd ChallengeHash): a DOMAIN\\ prefix is not hashed', () => {
  assert.equal(userNameForHash('ACME\\User').toString(), 'User');
  assert.equal(userNameForHash('A\\B\\User').toString(), 'User');
  assert.equal(userNameForHash('User').toString(), 'User');
  const a = h('5B5D7C7D7B3F2F3E3C2C602132262628');
  const p = h('21402324255E262A28295F2B3A337C7E');
  eq(challengeHash(p, a, 'ACME\\User'), 'D0 2E 43 86 BC E9 12 26', 'ChallengeHash with a domain');
});

test('RFC 3079 §3.5: MS-CHAPv2 MPPE key derivation worked example (40-, 56- and 128-bit)', () => {
  const nt = h('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
  const phh = hashNtPasswordHash(ntPasswordHash(Buffer.from('clientPass')));
  eq(phh, '41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F', 'PasswordHashHash');
  const master = getMasterKey(phh, nt);
  eq(master, 'FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31', 'MasterKey');
  // The example derives the server's send key (IsSend, IsServer).
  const send40 = getAsymmetricStartKey(master, 8, true, true);
  eq(send40, '8B 7C DC 14 9B 99 3A 1B', 'SendStartKey40');
  const session40 = reduceKey(getNewKeyFromSha(send40, send40, 8), 40);
  eq(session40, 'D1 26 9E C4 9F A6 2E 3E', 'SendSessionKey40');
  eq(rc4(session40, Buffer.from('test message')), '92 91 37 91 7E 58 03 D6 68 D7 58 98', 'rc4(SendSessionKey40, "test message")');
  eq(reduceKey(getNewKeyFromSha(send40, send40, 8), 56), 'D1 5C 00 C4 9F A6 2E 3E', 'SendSessionKey56');
  // (The RFC's 56-bit sample ciphertext is not checked: its last octet is a known misprint.)
  const send128 = getAsymmetricStartKey(master, 16, true, true);
  eq(send128, '8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB', 'SendStartKey128');
  const session128 = getNewKeyFromSha(send128, send128, 16);
  eq(session128, '40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4', 'SendSessionKey128');
  eq(rc4(session128, Buffer.from('test message')), '81 84 83 17 DF 68 84 62 72 FB 5A BE', 'rc4(SendSessionKey128, "test message")');

  // Directions mirror: the server's send key is the client's receive key.
  const server = msChapV2StartKeys(Buffer.from('clientPass'), nt, true);
  const client = msChapV2StartKeys(Buffer.from('clientPass'), nt, false);
  eq(server.send, '8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB', 'server send');
  assert.deepEqual(client.recv, server.send);
  assert.deepEqual(client.send, server.recv);
  assert.notDeepEqual(server.send, server.recv);
  assert.deepEqual(getAsymmetricStartKey(master, 16, false, false), server.send);
});

test('RFC 3079 §2.5: MS-CHAP v1 MPPE key derivation examples (40-, 56- and 128-bit)', () => {
  const password = Buffer.from('clientPass');
  // §2.5.1/2.5.2: 40/56-bit keys from the LAN Manager hash.
  const lm = lmPasswordHash(password);
  eq(lm, '76 a1 52 93 60 96 d7 83 0e 23 90 22 74 04 af d2', 'LmPasswordHash');
  const k8 = getKey(lm, lm, 8);
  eq(k8, 'd8 08 01 53 8c ec 4a 08', 'GetKey (8)');
  eq(reduceKey(k8, 40), 'd1 26 9e 53 8c ec 4a 08', '40-bit session key');
  eq(reduceKey(k8, 56), 'd1 08 01 53 8c ec 4a 08', '56-bit session key');
  // §2.5.3: the 128-bit start key from NtPasswordHashHash and the challenge. (The RFC's
  // step 3 prints ...ac ca d1...; its later steps follow from ...ac c1 d1..., this value.)
  const challenge = h('10 2d b5 df 08 5d 30 41');
  const phh = hashNtPasswordHash(ntPasswordHash(password));
  eq(phh, '41 c0 0c 58 4b d2 d9 1c 40 17 a2 a1 2f a5 9f 3f', 'NtPasswordHashHash');
  const start = getStartKey(challenge, phh);
  eq(start, 'a8 94 78 50 cf c0 ac c1 d1 78 9f b6 2d dc dd b0', 'InitialSessionKey (Get_Start_Key)');
  eq(getKey(start, start, 16), '59 d1 59 bc 09 f7 6f 1d a2 a8 6a 28 ff ec 0b 1e', '128-bit session key (GetKey)');
  assert.deepEqual(msChapV1StartKey(challenge, password), start);
});

test('secrets are latin1 octets hashed as UTF-16LE code points (pppd ascii2unicode)', () => {
  // "pässword" in latin1: the ä (0xE4) becomes E4 00.
  const secret = Buffer.from('p\xe4ss', 'latin1');
  eq(unicodePassword(secret), '70 00 e4 00 73 00 73 00', 'Unicode');
  assert.deepEqual(ntPasswordHash(secret), md4(Buffer.from('päss', 'utf16le')));
});
