// RADIUS's MD5-based cryptography: authenticators (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3),
// User-Password hiding (RFC 2865 §5.2), Message-Authenticator (RFC 2869 §5.14, RFC 3579 §3.2)
// and the salted MS-MPPE key encryption (RFC 2548 §2.4.2). Every comparison of a received
// authenticator is constant-time, so a forger learns nothing from the time a check takes.
//
// All functions take and return encoded packets (Buffers) so that the exact bytes on the wire
// are what is signed and verified.

import crypto from 'node:crypto';
import { AUTHENTICATOR_LENGTH, RADIUS_HEADER_LENGTH } from './packet.js';

export const MESSAGE_AUTHENTICATOR = 80;
const ZERO16 = Buffer.alloc(16);

function md5(...parts: Uint8Array[]): Buffer {
  const h = crypto.createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return crypto.timingSafeEqual(a, b);
}

/** Offsets of the values of every attribute of `type` in an encoded packet (assumed well-formed). */
function valueOffsets(pkt: Buffer, type: number): number[] {
  const out: number[] = [];
  const length = Math.min(pkt.readUInt16BE(2), pkt.length);
  let off = RADIUS_HEADER_LENGTH;
  while (off + 2 <= length) {
    const alen = pkt[off + 1]!;
    if (alen < 2) break;
    if (pkt[off] === type) out.push(off + 2);
    off += alen;
  }
  return out;
}

function withAuthenticator(pkt: Buffer, auth: Uint8Array): Buffer {
  const copy = Buffer.from(pkt.subarray(0, pkt.readUInt16BE(2)));
  Buffer.from(auth).copy(copy, 4);
  return copy;
}

/**
 * RFC 3579 §3.2: HMAC-MD5 keyed by the shared secret over the whole packet, with the
 * Message-Authenticator's own value taken as 16 zero octets and the Authenticator field holding
 * `authField` (the Request Authenticator for Access-Request and for every response; zeros for
 * Accounting-, CoA- and Disconnect-Requests, RFC 5176 §3.3).
 */
function messageAuthenticatorOf(pkt: Buffer, secret: Buffer, authField: Uint8Array, valueAt: number): Buffer {
  const copy = withAuthenticator(pkt, authField);
  ZERO16.copy(copy, valueAt);
  return crypto.createHmac('md5', secret).update(copy).digest();
}

function fillMessageAuthenticator(pkt: Buffer, secret: Buffer, authField: Uint8Array): Buffer {
  const at = valueOffsets(pkt, MESSAGE_AUTHENTICATOR);
  if (at.length === 0) return pkt;
  const out = Buffer.from(pkt);
  for (const o of at) messageAuthenticatorOf(out, secret, authField, o).copy(out, o);
  return out;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks a packet's Message-Authenticator if it has one. RFC 3579 §3.2: a packet with more
 * than one, or with a value that is not 16 octets, is invalid. `required` makes its absence an
 * error (EAP-Message present, Status-Server).
 */
export function verifyMessageAuthenticator(pkt: Buffer, secret: Buffer, authField: Uint8Array, required = false): Verdict {
  const at = valueOffsets(pkt, MESSAGE_AUTHENTICATOR);
  if (at.length === 0) return required ? { ok: false, reason: 'Message-Authenticator missing' } : { ok: true };
  if (at.length > 1) return { ok: false, reason: 'more than one Message-Authenticator' };
  const o = at[0]!;
  if (pkt[o - 1] !== 18) return { ok: false, reason: 'Message-Authenticator is not 16 octets' };
  const want = messageAuthenticatorOf(pkt, secret, authField, o);
  return constantTimeEqual(want, pkt.subarray(o, o + 16)) ? { ok: true } : { ok: false, reason: 'bad Message-Authenticator' };
}

/** RFC 2865 §3: a random, unpredictable Request Authenticator (the caller may supply its own source). */
export function randomAuthenticator(): Buffer {
  return crypto.randomBytes(AUTHENTICATOR_LENGTH);
}

/**
 * An Access-Request or Status-Server as sent: its Request Authenticator is the random one
 * already in the packet; only a Message-Authenticator, if present, is computed.
 */
export function signAccessRequest(pkt: Buffer, secret: Buffer): Buffer {
  return fillMessageAuthenticator(pkt, secret, pkt.subarray(4, 20));
}

/**
 * RFC 2866 §3 (Accounting-Request) and RFC 5176 §2.3 (CoA-/Disconnect-Request): the Request
 * Authenticator is MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret). A
 * Message-Authenticator is computed first, over the zeroed authenticator.
 */
export function signAccountingRequest(pkt: Buffer, secret: Buffer): Buffer {
  const zeroed = fillMessageAuthenticator(withAuthenticator(pkt, ZERO16), secret, ZERO16);
  const auth = md5(zeroed, secret);
  auth.copy(zeroed, 4);
  return zeroed;
}

/** Verifies an Accounting-, CoA- or Disconnect-Request as received (the DAE listener's check). */
export function verifyAccountingRequest(pkt: Buffer, secret: Buffer): Verdict {
  const want = md5(withAuthenticator(pkt, ZERO16), secret);
  if (!constantTimeEqual(want, pkt.subarray(4, 20))) return { ok: false, reason: 'bad Request Authenticator' };
  return verifyMessageAuthenticator(pkt, secret, ZERO16);
}

/**
 * RFC 2865 §3: Response Authenticator = MD5(Code+ID+Length+RequestAuth+Attributes+Secret),
 * after any Message-Authenticator has been computed with the Request Authenticator in place.
 */
export function signResponse(pkt: Buffer, requestAuthenticator: Uint8Array, secret: Buffer): Buffer {
  const withReq = fillMessageAuthenticator(withAuthenticator(pkt, requestAuthenticator), secret, requestAuthenticator);
  const auth = md5(withReq, secret);
  auth.copy(withReq, 4);
  return withReq;
}

/** Checks a response against the request it answers: Response Authenticator, then Message-Authenticator. */
export function verifyResponse(pkt: Buffer, requestAuthenticator: Uint8Array, secret: Buffer, requireMessageAuthenticator = false): Verdict {
  const want = md5(withAuthenticator(pkt, requestAuthenticator), secret);
  if (!constantTimeEqual(want, pkt.subarray(4, 20))) return { ok: false, reason: 'bad Response Authenticator' };
  return verifyMessageAuthenticator(pkt, secret, requestAuthenticator, requireMessageAuthenticator);
}

/**
 * RFC 2865 §5.2: the password padded with NULs to a multiple of 16 (at most 128 octets), each
 * 16-octet block XORed with b(i): b(1) = MD5(S + RA), b(i) = MD5(S + c(i-1)).
 */
export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Uint8Array): Buffer {
  const len = Math.max(16, Math.ceil(password.length / 16) * 16);
  if (len > 128) throw new RangeError('User-Password longer than 128 octets');
  const p = Buffer.alloc(len);
  password.copy(p);
  const out = Buffer.alloc(len);
  let prev: Uint8Array = requestAuthenticator;
  for (let i = 0; i < len; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = p[i + j]! ^ b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** The inverse of hideUserPassword (for the server side in tests); trailing NULs removed. */
export function revealUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Uint8Array): Buffer | null {
  if (hidden.length < 16 || hidden.length > 128 || hidden.length % 16 !== 0) return null;
  const out = Buffer.alloc(hidden.length);
  let prev: Uint8Array = requestAuthenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j] = hidden[i + j]! ^ b[j]!;
    prev = hidden.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

/**
 * RFC 2548 §2.4.2 (MS-MPPE-Send-Key / Recv-Key): Salt (2 octets, high bit set) followed by
 * the encryption of Key-Length (1 octet) + Key + zero padding to a multiple of 16, with
 * b(1) = MD5(S + R + A) and b(i) = MD5(S + c(i-1)); R is the Access-Request's authenticator.
 * Returns null for a malformed value (wrong length, key-length past the end).
 */
export function decryptMppeKey(value: Buffer, secret: Buffer, requestAuthenticator: Uint8Array): Buffer | null {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return null;
  const salt = value.subarray(0, 2);
  if ((salt[0]! & 0x80) === 0) return null;
  const c = value.subarray(2);
  const p = Buffer.alloc(c.length);
  let b = md5(secret, requestAuthenticator, salt);
  for (let i = 0; i < c.length; i += 16) {
    for (let j = 0; j < 16; j++) p[i + j] = c[i + j]! ^ b[j]!;
    b = md5(secret, c.subarray(i, i + 16));
  }
  const keyLength = p[0]!;
  if (keyLength === 0 || 1 + keyLength > p.length) return null;
  return Buffer.from(p.subarray(1, 1 + keyLength));
}

/** The server side of decryptMppeKey (tests; a RADIUS server we may run in-process). */
export function encryptMppeKey(key: Buffer, secret: Buffer, requestAuthenticator: Uint8Array, salt: Buffer): Buffer {
  if (salt.length !== 2 || (salt[0]! & 0x80) === 0) throw new RangeError('salt must be 2 octets with the high bit set');
  const plainLen = Math.ceil((1 + key.length) / 16) * 16;
  const p = Buffer.alloc(plainLen);
  p[0] = key.length;
  key.copy(p, 1);
  const c = Buffer.alloc(plainLen);
  let b = md5(secret, requestAuthenticator, salt);
  for (let i = 0; i < plainLen; i += 16) {
    for (let j = 0; j < 16; j++) c[i + j] = p[i + j]! ^ b[j]!;
    b = md5(secret, c.subarray(i, i + 16));
  }
  return Buffer.concat([salt, c]);
}
