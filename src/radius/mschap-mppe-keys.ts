// MPPE keys a RADIUS server returns, turned into the PPP core's start keys (RFC 3079).
//
// MS-CHAP v1 (RFC 2548 §2.4.1, MS-CHAP-MPPE-Keys): the server sends the 8-octet LAN Manager
// key then the 16-octet NT key, NUL-padded to 32 octets and hidden like User-Password
// (RFC 2865 §5.2: b(1) = MD5(S + Request-Authenticator), b(2) = MD5(S + c(1)), no salt).
// The "NT key" is NtPasswordHashHash: the NAS still has to make the start key from it and
// its own challenge (RFC 3079 §2.4 Get_Start_Key), as pppd's radius plugin does
// (radius_setmppekeys: mppe_set_keys(challenge, &plain[8])). One key serves both directions
// (RFC 3079 §2.3). The LM key is not used (pppd: "We do not support the LM-Key").
//
// MS-CHAPv2 (RFC 2548 §2.4.2/§2.4.3): MS-MPPE-Send-Key is the key the NAS sends with,
// MS-MPPE-Recv-Key the one it receives with; they are already the RFC 3079 §3.4 start keys
// of the authenticator's side (its send key is GetAsymmetricStartKey(..., IsSend, IsServer),
// the peer's receive key). pppd's radius plugin copies them to mppe_send_key/mppe_recv_key.
import { createHash } from 'node:crypto';
import { getStartKey } from '../ppp/auth/mschap-crypto.js';
import type { MppeKeys } from '../ppp/auth/chap-digest.js';

const md5 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 2548 §2.4.1: the attribute's String is 32 octets (24 of keys, padded to a multiple of 16). */
export const MSCHAP_MPPE_KEYS_LENGTH = 32;

export interface MsChapMppeKeys {
  /** LAN Manager session key (8 octets); unused by MPPE here. */
  lmKey: Buffer;
  /** NtPasswordHashHash (16 octets). */
  ntKey: Buffer;
}

function xorBlocks(input: Buffer, secret: Buffer, requestAuthenticator: Uint8Array, hidden: (out: Buffer, i: number) => Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let b = md5(secret, requestAuthenticator);
  for (let i = 0; i < input.length; i += 16) {
    for (let j = 0; j < 16; j++) out[i + j] = input[i + j]! ^ b[j]!;
    b = md5(secret, hidden(out, i).subarray(i, i + 16));
  }
  return out;
}

/** Reveals MS-CHAP-MPPE-Keys; null unless it is the 32 octets pppd and RFC 2548 expect. */
export function decryptMsChapMppeKeys(value: Buffer, secret: Buffer, requestAuthenticator: Uint8Array): MsChapMppeKeys | null {
  if (value.length !== MSCHAP_MPPE_KEYS_LENGTH) return null;
  // The next block's mask is the MD5 of the previous *ciphertext* block.
  const plain = xorBlocks(value, secret, requestAuthenticator, () => value);
  const keys = { lmKey: Buffer.from(plain.subarray(0, 8)), ntKey: Buffer.from(plain.subarray(8, 24)) };
  plain.fill(0);
  return keys;
}

/** The server side (tests, scripted RADIUS servers): LM key, NT key, 8 NULs, hidden. */
export function encryptMsChapMppeKeys(lmKey: Buffer, ntKey: Buffer, secret: Buffer, requestAuthenticator: Uint8Array): Buffer {
  if (lmKey.length !== 8 || ntKey.length !== 16) throw new RangeError('MS-CHAP-MPPE-Keys holds an 8-octet LM key and a 16-octet NT key');
  const plain = Buffer.concat([lmKey, ntKey, Buffer.alloc(8)]);
  return xorBlocks(plain, secret, requestAuthenticator, (out) => out);
}

/**
 * The MS-CHAP v1 start key from the server's NT key and the challenge we sent (RFC 3079
 * §2.4, 128-bit: the first 16 octets of SHA1(NtKey, NtKey, Challenge)); the same both ways.
 */
export function msChapV1KeysFromRadius(challenge: Uint8Array, ntKey: Uint8Array): MppeKeys {
  const k = getStartKey(challenge, ntKey);
  return { send: Buffer.from(k), recv: Buffer.from(k) };
}
