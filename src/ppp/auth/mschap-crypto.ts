/**
 * The cryptography of MS-CHAP v1 (RFC 2433 Appendix A), MS-CHAPv2 (RFC 2759 §8) and
 * the MPPE key derivations from their credentials (RFC 3079 §2 and §3).
 *
 * Passwords: dialtone's secrets are chap-secrets bytes (latin1). Microsoft hashes the
 * password as Unicode, little-endian (RFC 2433 §A.3, RFC 2759 §8.3); like pppd's
 * ascii2unicode, each octet is taken as a code point U+0000..U+00FF, i.e. octet, 0x00.
 *
 * DES: MS-CHAP needs single DES in ECB on one 8-octet block with a 56-bit key
 * (RFC 2759 §8.6 DesEncrypt). Node 20's OpenSSL 3 default provider has no 'des-ecb'
 * (legacy provider only) but does have 'des-ede3-ecb'; triple DES with K1 = K2 = K3 is
 * E(K, D(K, E(K, x))) = E(K, x), single DES. So no hand-written DES is needed.
 */
import { createCipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { md4 } from './md4.js';

const sha1 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};

// ---------------------------------------------------------------------------------
// DES
// ---------------------------------------------------------------------------------

/**
 * RFC 2433 §A / RFC 2759 §8.6: a 7-octet (56-bit) key spread over 8 octets, seven key
 * bits in the high bits of each octet, the low bit set for odd parity (RFC 2433 B.3
 * shows the parity-corrected keys; OpenSSL ignores parity, but this is the exact form).
 */
export function desKeyFrom7(key7: Uint8Array): Buffer {
  if (key7.length !== 7) throw new RangeError('DES key material must be 7 octets');
  let bits = 0n;
  for (const b of key7) bits = (bits << 8n) | BigInt(b);
  const key = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) {
    const seven = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn);
    let ones = 0;
    for (let v = seven; v; v >>= 1) ones += v & 1;
    key[i] = (seven << 1) | (ones % 2 === 0 ? 1 : 0);
  }
  return key;
}

/** RFC 2759 §8.6 DesEncrypt: one 8-octet block under a 7-octet key. */
export function desEncrypt(clear: Uint8Array, key7: Uint8Array): Buffer {
  if (clear.length !== 8) throw new RangeError('DES block must be 8 octets');
  const k = desKeyFrom7(key7);
  // 3DES-EDE with three equal keys is single DES (see the file comment).
  const key24 = Buffer.concat([k, k, k]);
  const c = createCipheriv('des-ede3-ecb', key24, null);
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(clear), c.final()]);
  k.fill(0);
  key24.fill(0);
  return out;
}

// ---------------------------------------------------------------------------------
// Password hashes
// ---------------------------------------------------------------------------------

/** The password as UTF-16LE, each latin1 octet one code point (pppd ascii2unicode). */
export function unicodePassword(secret: Uint8Array): Buffer {
  const u = Buffer.alloc(secret.length * 2);
  for (let i = 0; i < secret.length; i++) u[2 * i] = secret[i]!;
  return u;
}

/** RFC 2759 §8.3 NtPasswordHash (= RFC 2433 §A.3): MD4 of the Unicode password. */
export function ntPasswordHash(secret: Uint8Array): Buffer {
  const u = unicodePassword(secret);
  const h = md4(u);
  u.fill(0);
  return h;
}

/** RFC 2759 §8.4 HashNtPasswordHash: MD4 of the 16-octet password hash. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Buffer {
  return md4(passwordHash);
}

/**
 * RFC 2433 §A.2 LmPasswordHash: the LAN Manager hash (upper-cased OEM password, at most
 * 14 octets, each 7-octet half DES-encrypting "KGS!@#$%"). pppd does not answer or
 * accept LAN Manager responses (it is built without MSLANMAN); this exists for the
 * RFC 3079 §2.1–2.2 40/56-bit key derivation from MS-CHAP v1 credentials.
 */
export function lmPasswordHash(secret: Uint8Array): Buffer {
  const upper = Buffer.alloc(14);
  for (let i = 0; i < Math.min(14, secret.length); i++) {
    const c = secret[i]!;
    upper[i] = c >= 0x61 && c <= 0x7a ? c - 0x20 : c; // RFC 2433 §A.2: ASCII upper case only
  }
  const std = Buffer.from('KGS!@#$%', 'latin1');
  const h = Buffer.concat([desEncrypt(std, upper.subarray(0, 7)), desEncrypt(std, upper.subarray(7, 14))]);
  upper.fill(0);
  return h;
}

// ---------------------------------------------------------------------------------
// Challenge / response
// ---------------------------------------------------------------------------------

/**
 * RFC 2759 §8.5 ChallengeResponse (= RFC 2433 §A.5 with the NT hash): the 16-octet hash
 * zero-padded to 21 octets, three 7-octet DES keys each encrypting the 8-octet challenge.
 */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Buffer {
  if (challenge.length !== 8) throw new RangeError('ChallengeResponse needs an 8-octet challenge');
  const z = Buffer.alloc(21);
  z.set(passwordHash.subarray(0, 16));
  const r = Buffer.concat([desEncrypt(challenge, z.subarray(0, 7)), desEncrypt(challenge, z.subarray(7, 14)), desEncrypt(challenge, z.subarray(14, 21))]);
  z.fill(0);
  return r;
}

/**
 * RFC 2433 §A.1 LmChallengeResponse: ChallengeResponse with the LAN Manager hash. pppd
 * (built without MSLANMAN) always sends zeros here and never accepts it; kept for the
 * RFC 2433 §B.2 example only.
 */
export function lmChallengeResponse(challenge: Uint8Array, secret: Uint8Array): Buffer {
  const h = lmPasswordHash(secret);
  const r = challengeResponse(challenge, h);
  h.fill(0);
  return r;
}

/** RFC 2433 §A.1 NtChallengeResponse (MS-CHAP v1): ChallengeResponse(challenge, NtPasswordHash). */
export function ntChallengeResponse(challenge: Uint8Array, secret: Uint8Array): Buffer {
  const h = ntPasswordHash(secret);
  const r = challengeResponse(challenge, h);
  h.fill(0);
  return r;
}

/**
 * The user name that goes into ChallengeHash: RFC 2759 §4 has the peer send its Windows
 * NT user name, possibly as `DOMAIN\user`, but §8.2 hashes the user name only. pppd's
 * ChallengeHash drops everything up to the last backslash, on both sides.
 */
export function userNameForHash(userName: Uint8Array | string): Buffer {
  const b = typeof userName === 'string' ? Buffer.from(userName, 'latin1') : Buffer.from(userName);
  return b.subarray(b.lastIndexOf(0x5c) + 1);
}

/** RFC 2759 §8.2 ChallengeHash: the first 8 octets of SHA1(PeerChallenge, AuthenticatorChallenge, UserName). */
export function challengeHash(peerChallenge: Uint8Array, authenticatorChallenge: Uint8Array, userName: Uint8Array | string): Buffer {
  return sha1(peerChallenge, authenticatorChallenge, userNameForHash(userName)).subarray(0, 8);
}

/** RFC 2759 §8.1 GenerateNTResponse (24 octets). */
export function generateNtResponse(authenticatorChallenge: Uint8Array, peerChallenge: Uint8Array, userName: Uint8Array | string, secret: Uint8Array): Buffer {
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  return ntChallengeResponse(challenge, secret);
}

// RFC 2759 §8.7 magic constants.
const MAGIC1 = Buffer.from('Magic server to client signing constant', 'latin1');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'latin1');

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse: the 42-character string
 * `S=` + 40 upper-case hex digits that the authenticator sends in its Success packet.
 */
export function generateAuthenticatorResponse(
  secret: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: Uint8Array | string,
): string {
  const ph = ntPasswordHash(secret);
  const phh = hashNtPasswordHash(ph);
  ph.fill(0);
  const digest = sha1(phh, ntResponse, MAGIC1);
  phh.fill(0);
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  return 'S=' + sha1(digest, challenge, MAGIC2).toString('hex').toUpperCase();
}

/**
 * RFC 2759 §8.8 CheckAuthenticatorResponse: whether `received` (the 42-character `S=...`)
 * is the authenticator response we expect, compared in constant time.
 */
export function checkAuthenticatorResponse(
  secret: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: Uint8Array | string,
  received: Uint8Array | string,
): boolean {
  const expected = Buffer.from(generateAuthenticatorResponse(secret, ntResponse, peerChallenge, authenticatorChallenge, userName), 'latin1');
  const got = typeof received === 'string' ? Buffer.from(received, 'latin1') : Buffer.from(received);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

// ---------------------------------------------------------------------------------
// MPPE keys (RFC 3079)
// ---------------------------------------------------------------------------------

const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/**
 * RFC 3079 §2.4 GetKey, which is §3.4 GetNewKeyFromSHA (and RFC 3078 §7.3): the first
 * `length` octets of SHA1(StartKey, SHAPad1, SessionKey, SHAPad2), with the pads cut
 * to 40 octets each. MPPE uses it for the initial session key and for every key change.
 */
export function getNewKeyFromSha(startKey: Uint8Array, sessionKey: Uint8Array, length: number): Buffer {
  return sha1(startKey.subarray(0, length), SHS_PAD1, sessionKey.subarray(0, length), SHS_PAD2).subarray(0, length);
}
export const getKey = getNewKeyFromSha;

/**
 * RFC 3079 §2.1–2.2 and §3.1–3.2 (RFC 3078 §7.3): an 8-octet key reduced to 40 bits
 * (first three octets replaced by D1 26 9E) or 56 bits (first octet replaced by D1).
 */
export function reduceKey(key: Uint8Array, bits: 40 | 56): Buffer {
  const k = Buffer.from(key);
  k[0] = 0xd1;
  if (bits === 40) {
    k[1] = 0x26;
    k[2] = 0x9e;
  }
  return k;
}

/**
 * RFC 3079 §2.4 Get_Start_Key (MS-CHAP v1, 128-bit keys): the first 16 octets of
 * SHA1(NtPasswordHashHash, NtPasswordHashHash, Challenge), Challenge being the
 * authenticator's 8-octet challenge. The same key serves both directions (§2.3);
 * pppd's mppe_set_keys returns it as both the send and the receive key.
 */
export function getStartKey(challenge: Uint8Array, passwordHashHash: Uint8Array): Buffer {
  return sha1(passwordHashHash, passwordHashHash, challenge.subarray(0, 8)).subarray(0, 16);
}

/** RFC 3079 §3.4 GetMasterKey: the first 16 octets of SHA1(PasswordHashHash, NT-Response, Magic1). */
export function getMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Buffer {
  return sha1(passwordHashHash, ntResponse, Buffer.from('This is the MPPE Master Key', 'latin1')).subarray(0, 16);
}

// RFC 3079 §3.4 GetAsymmetricStartKey magic constants.
const MAGIC_CLIENT_SEND = Buffer.from('On the client side, this is the send key; on the server side, it is the receive key.', 'latin1');
const MAGIC_CLIENT_RECV = Buffer.from('On the client side, this is the receive key; on the server side, it is the send key.', 'latin1');

/**
 * RFC 3079 §3.4 GetAsymmetricStartKey: the `length`-octet (8 or 16) start key for one
 * direction. The client's send key is the server's receive key and vice versa.
 */
export function getAsymmetricStartKey(masterKey: Uint8Array, length: number, isSend: boolean, isServer: boolean): Buffer {
  const s = isSend === isServer ? MAGIC_CLIENT_RECV : MAGIC_CLIENT_SEND;
  return sha1(masterKey.subarray(0, 16), SHS_PAD1, s, SHS_PAD2).subarray(0, length);
}

/** The MPPE start keys from MS-CHAP v1 credentials (RFC 3079 §2.3; pppd Set_Start_Key). */
export function msChapV1StartKey(challenge: Uint8Array, secret: Uint8Array): Buffer {
  const ph = ntPasswordHash(secret);
  const phh = hashNtPasswordHash(ph);
  ph.fill(0);
  const k = getStartKey(challenge, phh);
  phh.fill(0);
  return k;
}

/**
 * The 16-octet MPPE start keys from MS-CHAPv2 credentials (RFC 3079 §3.3; pppd
 * SetMasterKeys / mppe_set_keys2), as seen by the server or the client.
 */
export function msChapV2StartKeys(secret: Uint8Array, ntResponse: Uint8Array, isServer: boolean): { send: Buffer; recv: Buffer } {
  const ph = ntPasswordHash(secret);
  const phh = hashNtPasswordHash(ph);
  ph.fill(0);
  const master = getMasterKey(phh, ntResponse);
  phh.fill(0);
  const keys = { send: getAsymmetricStartKey(master, 16, true, isServer), recv: getAsymmetricStartKey(master, 16, false, isServer) };
  master.fill(0);
  return keys;
}
