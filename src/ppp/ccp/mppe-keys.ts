/**
 * MPPE session keys (RFC 3078 §7, RFC 3079): the key one direction of an MPPE link
 * encrypts with, and how it changes.
 *
 * The *start key* comes from authentication (MS-CHAP v1: RFC 3079 §2.4 Get_Start_Key;
 * MS-CHAPv2: §3.4 GetAsymmetricStartKey; both computed in auth/mschap-crypto.ts and handed
 * over as `MppeKeys`, 16 octets, pppd's mppe_send_key / mppe_recv_key). From it:
 *
 *   - initial session key (RFC 3079 §2.4/§3.4 GetNewKeyFromSHA(StartKey, StartKey)),
 *     reduced for 40/56 bits (§2.1–2.2: first octets replaced by the D1 26 9E salt);
 *   - key change (RFC 3078 §7.3): Interim = GetNewKeyFromSHA(StartKey, SessionKey),
 *     SessionKey = RC4(Interim, Interim), then reduced again.
 *
 * Lengths follow Linux's ppp_mppe (the peer on the other end of real pppd): 128-bit keys
 * use 16 octets, 40- and 56-bit keys use 8 (the first 8 of the 16-octet start key).
 * Linux has no 56-bit MPPE; we derive it per RFC 3079 §2.2/§3.2 (only the first octet is
 * salted) so the transform is complete, but negotiation never chooses it (as pppd).
 */
import { createHash } from 'node:crypto';
import { getNewKeyFromSha } from '../auth/mschap-crypto.js';
import { Rc4 } from '../auth/rc4.js';

export type MppeStrength = 40 | 56 | 128;

/** Octets of key material for a strength (RFC 3079 §2, §3). */
export function mppeKeyLength(bits: MppeStrength): 8 | 16 {
  return bits === 128 ? 16 : 8;
}

/** Applies the weak-key salt of RFC 3079 §2.1/§2.2 (§3.1/§3.2, reduceKey) in place, if any. */
function salt(key: Buffer, bits: MppeStrength): Buffer {
  if (bits === 128) return key;
  key[0] = 0xd1;
  if (bits === 40) {
    key[1] = 0x26;
    key[2] = 0x9e;
  }
  return key;
}

/**
 * The session key of one direction. `rc4` is the cipher keyed with the current session
 * key; `rekey` starts the keystream again from it (RFC 3078 §7.1 "flushed").
 */
export class MppeKeySchedule {
  readonly bits: MppeStrength;
  private readonly length: 8 | 16;
  private readonly startKey: Buffer;
  private sessionKey: Buffer;
  /** RC4 keyed with the session key; its keystream runs on (stateful) until re-keyed. */
  readonly rc4: Rc4;
  /**
   * StartKey | SHAPad1 | SessionKey | SHAPad2, the input of GetNewKeyFromSHA laid out
   * once: stateless MPPE changes the key for every packet, so a change must be cheap.
   */
  private readonly shaInput: Buffer;
  private readonly scratch: Rc4;

  constructor(startKey: Uint8Array, bits: MppeStrength) {
    this.bits = bits;
    this.length = mppeKeyLength(bits);
    if (startKey.length < this.length) throw new RangeError(`MPPE ${bits}-bit needs a ${this.length}-octet start key`);
    this.startKey = Buffer.from(startKey.subarray(0, this.length));
    // RFC 3079 §3.4 (and §2.4 GetKey): the initial session key is derived from the start key twice.
    this.sessionKey = salt(getNewKeyFromSha(this.startKey, this.startKey, this.length), bits);
    this.rc4 = new Rc4(this.sessionKey);
    const n = this.length;
    this.shaInput = Buffer.alloc(n + 40 + n + 40);
    this.startKey.copy(this.shaInput, 0);
    this.shaInput.fill(0xf2, n + 40 + n);
    this.scratch = new Rc4(this.startKey);
  }

  /**
   * RFC 3078 §7.3 key change: Interim = GetNewKeyFromSHA(StartKey, SessionKey),
   * SessionKey = RC4(Interim, Interim), salted; the cipher restarts with the new key.
   */
  change(): void {
    const n = this.length;
    this.sessionKey.copy(this.shaInput, n + 40);
    const digest = createHash('sha1').update(this.shaInput).digest();
    const interim = digest.subarray(0, n);
    this.scratch.rekey(interim);
    this.scratch.process(interim, this.sessionKey);
    digest.fill(0);
    salt(this.sessionKey, this.bits);
    this.rc4.rekey(this.sessionKey);
  }

  /** An independent schedule in the same state (to try key changes ahead without committing). */
  clone(): MppeKeySchedule {
    const c = new MppeKeySchedule(this.startKey, this.bits);
    c.sessionKey.fill(0);
    c.sessionKey = Buffer.from(this.sessionKey);
    c.rc4.rekey(c.sessionKey);
    return c;
  }

  /** A copy of the current session key (tests compare it with RFC 3079's examples). */
  currentKey(): Buffer {
    return Buffer.from(this.sessionKey);
  }

  /** Wipes the key material. */
  destroy(): void {
    this.startKey.fill(0);
    this.sessionKey.fill(0);
    this.shaInput.fill(0);
    this.rc4.destroy();
    this.scratch.destroy();
  }
}
