/**
 * The MPPE packet transform (RFC 3078 §3, §8), sans-IO: one `MppeEncryptor` for what this
 * side sends and one `MppeDecryptor` for what it receives, each with its own start key
 * (RFC 3079 keys are per direction; see mppe-keys.ts).
 *
 * An MPPE packet is PPP protocol 0x00FD whose Information field is
 *
 *     A B C D | coherency count (12 bits) | RC4( protocol (2 octets) + information )
 *
 * A = flushed (the sender re-keyed: RFC 3078 §3.1), B and C are MPPC's (never set by us;
 * a peer that sets C sent compressed data we cannot read), D = encrypted. The coherency
 * count counts packets modulo 4096 (§3.1).
 *
 * Behaviour follows Linux's ppp_mppe, which is what real pppd uses, where it refines the
 * RFC:
 *   - Both directions start with the count at 4095, so the first packet carries 0.
 *   - Stateless (RFC 3078 §8.1, option bit H): the key changes before every packet and
 *     every packet is flushed. The receiver changes its key once per count it advances,
 *     so lost packets cost nothing. A count more than half the space (2048) behind is a
 *     late packet and is dropped; a repeated count is dropped (its key is spent).
 *   - Stateful (§8.2): one RC4 keystream runs across packets; the key changes (and the
 *     packet is flushed) when the count's low octet is 0xFF (the "flag" packet), and on
 *     the first packet sent after a CCP Reset-Request. A receiver that sees a gap enters
 *     the discard state, asks for a CCP Reset-Request once, and drops packets until a
 *     flushed one comes; it then changes its key once for every flag packet it missed and
 *     once for the flushed packet itself.
 *   - A peer that keeps sending nonsense (bits wrong, late packets) builds up a "sanity"
 *     score: +100 per malformed header, +1 per late packet, halved by every good packet.
 *     At 1600 the decryptor reports a fatal error (Linux DECOMP_FATALERROR): pppd then
 *     takes CCP, and with MPPE required the link, down.
 * Beyond Linux: a stateless receiver also recovers from gaps the 12-bit count cannot show
 * (4096 packets or more lost, or a jump over half the space, which Linux takes for late
 * packets and then decrypts to garbage for good): see decryptStateless. Packets that
 * decrypt to no protocol number are dropped; in stateful mode they start a resync.
 */
import { MppeKeySchedule, type MppeStrength } from './mppe-keys.js';

export const PROTO_COMP = 0x00fd;

export const MPPE_BIT_FLUSHED = 0x80; // A
export const MPPE_BIT_MPPC_B = 0x40; // B (MPPC: history flushed to the front)
export const MPPE_BIT_COMPRESSED = 0x20; // C (MPPC)
export const MPPE_BIT_ENCRYPTED = 0x10; // D
/** Octets MPPE adds in front of the encrypted protocol field (RFC 3078 §3). */
export const MPPE_OVERHEAD = 2;
export const MPPE_CCOUNT_SPACE = 0x1000;
const CCOUNT_MASK = MPPE_CCOUNT_SPACE - 1;
/** Linux ppp_mppe SANITY_MAX: how much nonsense the decryptor takes before giving up. */
export const MPPE_SANITY_MAX = 1600;

/**
 * Whether a protocol is carried encrypted. Linux's ppp_mppe encrypts the network-layer
 * protocols 0x0021..0x00FA; everything else (LCP, CCP...) stays in the clear, and the
 * CCP layer sends it as is.
 */
export function mppeEncrypts(protocol: number): boolean {
  return protocol >= 0x0021 && protocol <= 0x00fa;
}

export interface MppeDirection {
  /** The 16-octet start key of this direction (MppeKeys.send or .recv). */
  startKey: Uint8Array;
  bits: MppeStrength;
  stateful: boolean;
}

export interface MppeEncryptorCounters {
  packets: number;
  /** Plaintext octets (protocol field included). */
  bytes: number;
  /** Key changes (RFC 3078 §7.3). */
  keyChanges: number;
  /** Packets sent flushed because the peer asked (Reset-Request). */
  resets: number;
}

export class MppeEncryptor {
  readonly stateful: boolean;
  readonly counters: MppeEncryptorCounters = { packets: 0, bytes: 0, keyChanges: 0, resets: 0 };
  private readonly keys: MppeKeySchedule;
  private ccount = MPPE_CCOUNT_SPACE - 1;
  private flushNext = false;

  constructor(dir: MppeDirection) {
    this.keys = new MppeKeySchedule(dir.startKey, dir.bits);
    this.stateful = dir.stateful;
  }

  get bits(): MppeStrength {
    return this.keys.bits;
  }

  /**
   * The peer sent a CCP Reset-Request (RFC 1962 §5.1; RFC 3078 §8.2): the next packet
   * is sent with a new key and flushed. Several requests before that packet make one key
   * change: the receiver, in its discard state, expects exactly one.
   */
  reset(): void {
    this.flushNext = true;
  }

  /**
   * Encrypts one packet: the result is the Information field of a 0x00FD frame.
   * `protocol` is the original PPP protocol (sent as two octets, no PFC, as Linux does).
   */
  encrypt(protocol: number, info: Uint8Array): Buffer {
    this.ccount = (this.ccount + 1) & CCOUNT_MASK;
    let bits = MPPE_BIT_ENCRYPTED;
    // Stateless: new key for every packet. Stateful: on the flag packet and after a reset.
    if (!this.stateful || (this.ccount & 0xff) === 0xff || this.flushNext) {
      if (this.flushNext && this.stateful) this.counters.resets++;
      this.keys.change();
      this.counters.keyChanges++;
      bits |= MPPE_BIT_FLUSHED;
      this.flushNext = false;
    }
    const out = Buffer.allocUnsafe(MPPE_OVERHEAD + 2 + info.length);
    out[0] = bits | (this.ccount >> 8);
    out[1] = this.ccount & 0xff;
    out[2] = (protocol >> 8) & 0xff;
    out[3] = protocol & 0xff;
    out.set(info, 4);
    const body = out.subarray(MPPE_OVERHEAD);
    this.keys.rc4.process(body, body);
    this.counters.packets++;
    this.counters.bytes += body.length;
    return out;
  }

  destroy(): void {
    this.keys.destroy();
  }
}

export type MppeDropReason =
  | 'short'
  | 'not-encrypted'
  | 'compressed'
  | 'not-flushed'
  | 'late'
  | 'duplicate'
  | 'lost'
  | 'discarding'
  | 'garbled';

export type MppeDecryptResult =
  | { ok: true; protocol: number; info: Buffer }
  | {
      ok: false;
      reason: MppeDropReason;
      /** Send a CCP Reset-Request now (stateful mode found a gap: RFC 3078 §8.2). */
      resetRequest: boolean;
      /** The peer is sending nonsense beyond MPPE_SANITY_MAX: give up on CCP. */
      fatal: boolean;
    };

export interface MppeDecryptorCounters {
  packets: number;
  /** Plaintext octets delivered (protocol field included). */
  bytes: number;
  keyChanges: number;
  /** Packets dropped, by reason. */
  dropped: Record<MppeDropReason, number>;
  /** Times stateful mode lost sync and asked for a reset. */
  resyncRequests: number;
  /** Times stateful mode got back in sync (a flushed packet after a gap). */
  resyncs: number;
  /** Stateless: tries to find keys a whole count cycle (or more) ahead, and successes. */
  recoveryTries: number;
  recoveries: number;
}

const FIRST_SUSPECT_LIMIT = 4;

/** Decrypts the protocol and information of a packet into a new buffer. */
function decipher(keys: MppeKeySchedule, payload: Uint8Array): Buffer {
  const plain = Buffer.from(payload.subarray(MPPE_OVERHEAD));
  keys.rc4.process(plain, plain);
  return plain;
}

/**
 * The protocol field at the front of decrypted data, or undefined when it is no PPP
 * protocol number (keys out of step). It may be compressed to one octet (RFC 1661 §6.5;
 * accepted as Linux does, though senders use two). `strict`: two octets naming a protocol
 * MPPE carries, which is what real senders send and garbage rarely is (about 1 in 600).
 */
function protocolOf(plain: Buffer): { protocol: number; start: number; strict: boolean } | undefined {
  if (plain[0]! & 1) return { protocol: plain[0]!, start: 1, strict: false };
  if (plain.length >= 2 && plain[1]! & 1) {
    const protocol = (plain[0]! << 8) | plain[1]!;
    return { protocol, start: 2, strict: mppeEncrypts(protocol) };
  }
  return undefined;
}

export class MppeDecryptor {
  readonly stateful: boolean;
  readonly counters: MppeDecryptorCounters = {
    packets: 0,
    bytes: 0,
    keyChanges: 0,
    dropped: { short: 0, 'not-encrypted': 0, compressed: 0, 'not-flushed': 0, late: 0, duplicate: 0, lost: 0, discarding: 0, garbled: 0 },
    resyncRequests: 0,
    resyncs: 0,
    recoveryTries: 0,
    recoveries: 0,
  };
  private keys: MppeKeySchedule;
  private ccount = MPPE_CCOUNT_SPACE - 1;
  private discard = false;
  private sanity = 0;
  /** Stateless: undecryptable packets since the last good one or the last recovery try. */
  private suspect = 0;
  private suspectLimit = FIRST_SUSPECT_LIMIT;
  private goodSinceTry = 0;

  constructor(dir: MppeDirection) {
    this.keys = new MppeKeySchedule(dir.startKey, dir.bits);
    this.stateful = dir.stateful;
  }

  get bits(): MppeStrength {
    return this.keys.bits;
  }

  /** Whether stateful mode is waiting for a flushed packet. */
  get discarding(): boolean {
    return this.discard;
  }

  /** Decrypts the Information field of a received 0x00FD frame. */
  decrypt(payload: Uint8Array): MppeDecryptResult {
    // Linux: a header with nothing after it is short (the protocol needs at least one octet).
    if (payload.length <= MPPE_OVERHEAD) return this.drop('short', 0);
    const bits = payload[0]! & 0xf0;
    const ccount = ((payload[0]! & 0x0f) << 8) | payload[1]!;
    const flushed = (bits & MPPE_BIT_FLUSHED) !== 0;
    if (!(bits & MPPE_BIT_ENCRYPTED)) return this.drop('not-encrypted', 100);
    // MPPC was never negotiated (we never offer it), so compressed data cannot be read.
    if (bits & MPPE_BIT_COMPRESSED) return this.drop('compressed', 100);
    if (!this.stateful && !flushed) return this.drop('not-flushed', 100);
    if (this.stateful && (ccount & 0xff) === 0xff && !flushed) return this.drop('not-flushed', 100);

    if (!this.stateful) return this.decryptStateless(payload, ccount);
    if (!this.discard) {
      this.ccount = (this.ccount + 1) & CCOUNT_MASK;
      if (ccount !== this.ccount) {
        // RFC 3078 §8.2: a gap. Ask once; stay silent until a flushed packet.
        this.discard = true;
        this.counters.resyncRequests++;
        this.counters.dropped.lost++;
        return { ok: false, reason: 'lost', resetRequest: true, fatal: false };
      }
      if (flushed) this.changeKey();
    } else {
      if (!flushed) {
        this.counters.dropped.discarding++;
        return { ok: false, reason: 'discarding', resetRequest: false, fatal: false };
      }
      // Catch up with the key changes of the flag packets we missed, then this one's.
      while ((ccount & ~0xff) !== (this.ccount & ~0xff)) {
        this.changeKey();
        this.ccount = (this.ccount + 0x100) & CCOUNT_MASK;
      }
      this.discard = false;
      this.ccount = ccount;
      this.counters.resyncs++;
      this.changeKey();
    }
    const plain = decipher(this.keys, payload);
    const proto = protocolOf(plain);
    if (!proto) {
      // Not a PPP protocol number: the keys are out of step (or the packet is corrupt).
      // Ask to start over, as for a gap.
      plain.fill(0);
      if (this.discard) return this.drop('garbled', 0);
      this.discard = true;
      this.counters.resyncRequests++;
      this.counters.dropped.garbled++;
      return { ok: false, reason: 'garbled', resetRequest: true, fatal: false };
    }
    return this.deliver(plain, proto);
  }

  /**
   * RFC 3078 §8.1 with Linux's late-packet rule, plus recovery from a gap the 12-bit count
   * cannot show (4096 or more packets lost, or a jump of more than 2048 that reads as
   * "late"): after a run of undecryptable packets, try the same count one and two whole
   * cycles further (and a "late" count as a forward jump) on a copy of the keys, and keep
   * the copy if the packet then decrypts to a protocol MPPE carries. A try costs up to
   * 12288 key changes, so tries back off: 4, 8, 16... failures in a row (up to 4096).
   */
  private decryptStateless(payload: Uint8Array, ccount: number): MppeDecryptResult {
    const ahead = (ccount - this.ccount) & CCOUNT_MASK;
    let failure: MppeDropReason | undefined;
    if (ahead > MPPE_CCOUNT_SPACE / 2) failure = 'late';
    else if (ahead === 0) failure = 'duplicate';
    else {
      // At most 2048 key changes: bounded.
      for (let n = 0; n < ahead; n++) this.changeKey();
      this.ccount = ccount;
      const plain = decipher(this.keys, payload);
      const proto = protocolOf(plain);
      if (proto) {
        if (proto.strict) this.goodPacket();
        return this.deliver(plain, proto);
      }
      plain.fill(0);
      failure = 'garbled';
    }
    if (++this.suspect >= this.suspectLimit) {
      // A garbled packet's own key changes are done already: look whole cycles further.
      const recovered = this.tryFurther(payload, ccount, failure === 'garbled' ? 0 : ahead);
      if (recovered) return recovered;
    }
    return this.drop(failure, failure === 'garbled' ? 0 : 1);
  }

  private tryFurther(payload: Uint8Array, ccount: number, ahead: number): MppeDecryptResult | undefined {
    this.suspect = 0;
    this.goodSinceTry = 0;
    this.suspectLimit = Math.min(this.suspectLimit * 2, MPPE_CCOUNT_SPACE);
    this.counters.recoveryTries++;
    // The distances the ordinary path did not try: a late count as a forward jump, and whole cycles beyond.
    let distance = ahead > MPPE_CCOUNT_SPACE / 2 ? ahead : ahead + MPPE_CCOUNT_SPACE;
    const trial = this.keys.clone();
    let done = 0;
    for (; distance <= ahead + 2 * MPPE_CCOUNT_SPACE; distance += MPPE_CCOUNT_SPACE) {
      while (done < distance) {
        trial.change();
        done++;
      }
      const plain = decipher(trial, payload);
      const proto = protocolOf(plain);
      if (proto?.strict) {
        this.keys.destroy();
        this.keys = trial;
        this.ccount = ccount;
        this.counters.keyChanges += done;
        this.counters.recoveries++;
        this.suspectLimit = FIRST_SUSPECT_LIMIT; // garbage cannot make a try succeed
        return this.deliver(plain, proto);
      }
      plain.fill(0);
    }
    trial.destroy();
    return undefined;
  }

  /**
   * A packet that decrypted as real senders send them ends a run of failures. The limit
   * comes down only slowly, so that garbage mixed into good traffic (an attacker sending
   * runs of "late" counts) cannot buy a try cheaply again and again.
   */
  private goodPacket(): void {
    this.suspect = 0;
    if (++this.goodSinceTry >= MPPE_CCOUNT_SPACE && this.suspectLimit > FIRST_SUSPECT_LIMIT) {
      this.suspectLimit /= 2;
      this.goodSinceTry = 0;
    }
  }

  private deliver(plain: Buffer, proto: { protocol: number; start: number }): MppeDecryptResult {
    this.sanity >>= 1; // Linux: good packet credit
    this.counters.packets++;
    this.counters.bytes += plain.length;
    return { ok: true, protocol: proto.protocol, info: plain.subarray(proto.start) };
  }

  destroy(): void {
    this.keys.destroy();
  }

  private changeKey(): void {
    this.keys.change();
    this.counters.keyChanges++;
  }

  private drop(reason: MppeDropReason, insanity: number): MppeDecryptResult {
    this.counters.dropped[reason]++;
    this.sanity += insanity;
    return { ok: false, reason, resetRequest: false, fatal: this.sanity >= MPPE_SANITY_MAX };
  }
}
