/** CHAP with MD5 (RFC 1994 §4.1), as pppd's chap-md5.c. */
import crypto, { createHash, timingSafeEqual } from 'node:crypto';
import type { ChapDigest } from './chap-digest.js';

/** crypto.hash, Node >= 20.12: a digest without a Hash object per challenge and response. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;

/** RFC 1994 §4.1: MD5 over Identifier, secret, challenge value. */
export function chapMd5(id: number, secret: Uint8Array, challenge: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + secret.length + challenge.length);
  input[0] = id;
  input.set(secret, 1);
  input.set(challenge, 1 + secret.length);
  const digest = oneShot ? oneShot('md5', input, 'buffer') : createHash('md5').update(input).digest();
  input.fill(0); // the secret's copy does not stay in Buffer's shared pool
  return digest;
}

export const CHAP_MD5 = 5;

/** pppd's wording, one copy each: a server keeps its verdict for a repeated Response (RFC 1994 §4.1) for the link's life. */
const GRANTED = Buffer.from('Access granted');
const DENIED = Buffer.from('Access denied');

export const chapMd5Digest: ChapDigest = {
  code: CHAP_MD5,
  name: 'MD5',
  // pppd chap-md5: a random challenge of 16..24 octets.
  generateChallenge: (random) => random(16 + (random(1)[0]! % 9)),
  verifyResponse({ id, secret, challenge, response }) {
    const expected = chapMd5(id, secret, challenge);
    const ok = response.length === expected.length && timingSafeEqual(response, expected);
    return { ok, message: ok ? GRANTED : DENIED };
  },
  makeResponse: ({ id, challenge, secret }) => ({ value: chapMd5(id, secret, challenge) }),
};
