/**
 * MPPE as a CCP method: option 18 (RFC 3078 §2), negotiated as pppd 2.4.9's ccp.c does
 * (built with MPPE and EAP-TLS, as Debian builds it), with the packet transform of mppe.ts.
 *
 * The option's 4 octets: H (0x01 in the first: stateless, RFC 3079 "history-less"), and in
 * the last S (0x40, 128-bit), L (0x20, 40-bit), M (0x80, 56-bit), D (0x10) and C (0x01,
 * MPPC). pppd (and so dialtone) never does 56-bit, D or MPPC: a peer asking for them is
 * Nak'd without them.
 *
 * pppd's rules, kept:
 *   - MPPE is symmetric and required when wanted: both sides ask for it, and while it is
 *     wanted every other compression method is off (ccp_resetci) and the NCPs wait until
 *     CCP is up (auth.c start_networks / ccp_up continue_networks).
 *   - The keys come from MS-CHAP (v1 or v2) done in exactly one direction; MS-CHAP v1
 *     turns 40-bit off ("MS-CHAP LM not supported").
 *   - We ask for stateless mode with every strength we want (S and L); the peer Naks down
 *     to one. Stateful mode is refused unless `mppe-stateful`; with it, a Nak that asks
 *     for stateful is taken (ccp_nakci). pppd itself never proposes stateful mode; dialtone
 *     does with `mppe-prefer-stateful` (asks for it, and Naks a stateless request), which
 *     is how it leads a real pppd with `mppe-stateful` into stateful mode.
 *   - Any failure to agree closes the link with pppd's messages; CCP going down while LCP
 *     is up closes it too ("MPPE disabled").
 */
import type { ConfigOption } from '../packet.js';
import type { MppeKeys } from '../auth/chap-digest.js';
import type {
  CompressionMethod,
  Compressor,
  DecompressResult,
  Decompressor,
  MethodContext,
  MethodNegotiation,
  Verdict,
} from './method.js';
import { MppeDecryptor, MppeEncryptor, mppeEncrypts } from './mppe.js';
import type { MppeStrength } from './mppe-keys.js';

export const CI_MPPE = 18;
const CILEN_VALUE = 4;

// pppd mppe.h MPPE_OPT_*: the option decoded.
export const MPPE_OPT_40 = 0x01;
export const MPPE_OPT_128 = 0x02;
export const MPPE_OPT_STATEFUL = 0x04;
const MPPE_OPT_56 = 0x08;
const MPPE_OPT_MPPC = 0x10;
const MPPE_OPT_D = 0x20;
const MPPE_OPT_UNSUPPORTED = MPPE_OPT_56 | MPPE_OPT_MPPC | MPPE_OPT_D;
const MPPE_OPT_UNKNOWN = 0x40;

// RFC 3078 §2 bits (pppd mppe.h).
const H_BIT = 0x01; // first octet
const C_BIT = 0x01;
const D_BIT = 0x10;
const L_BIT = 0x20;
const S_BIT = 0x40;
const M_BIT = 0x80;
const ALL_BITS = D_BIT | L_BIT | S_BIT | M_BIT | H_BIT; // pppd's MPPE_ALL_BITS (H's value is C's)

/** pppd MPPE_CI_TO_OPTS. */
export function mppeOptsFromCi(v: Buffer): number {
  let opts = 0;
  if (!(v[0]! & H_BIT)) opts |= MPPE_OPT_STATEFUL;
  if (v[3]! & S_BIT) opts |= MPPE_OPT_128;
  if (v[3]! & L_BIT) opts |= MPPE_OPT_40;
  if (v[3]! & M_BIT) opts |= MPPE_OPT_56;
  if (v[3]! & D_BIT) opts |= MPPE_OPT_D;
  if (v[3]! & C_BIT) opts |= MPPE_OPT_MPPC;
  if (v[0]! & ~H_BIT || v[1] || v[2] || v[3]! & ~ALL_BITS) opts |= MPPE_OPT_UNKNOWN;
  return opts;
}

/** pppd MPPE_OPTS_TO_CI. */
export function mppeCiFromOpts(opts: number): Buffer {
  return Buffer.from([
    opts & MPPE_OPT_STATEFUL ? 0 : H_BIT,
    0,
    0,
    (opts & MPPE_OPT_128 ? S_BIT : 0) | (opts & MPPE_OPT_40 ? L_BIT : 0),
  ]);
}

/** pppd method_name for MPPE: "MPPE 128-bit stateless". */
export function describeMppe(opts: number): string {
  let s = 'MPPE ';
  if (opts & MPPE_OPT_128) s += '128-bit ';
  if (opts & MPPE_OPT_40) s += '40-bit ';
  return s + (opts & MPPE_OPT_STATEFUL ? 'stateful' : 'stateless');
}

function strengthOf(opts: number): MppeStrength | undefined {
  if (opts & MPPE_OPT_128) return 128;
  if (opts & MPPE_OPT_40) return 40;
  return undefined;
}

/** Our compressor: the peer's option we Acked says how we send. */
class MppeCompressor implements Compressor {
  constructor(private readonly enc: MppeEncryptor) {}

  compress(protocol: number, info: Buffer): Buffer | undefined {
    // Linux mppe_compress: only the network protocols; the rest goes as it is.
    if (!mppeEncrypts(protocol)) return undefined;
    return this.enc.encrypt(protocol, info);
  }

  /** We sent a Reset-Ack: the next packet is flushed with a new key (Linux mppe_comp_reset). */
  reset(): void {
    this.enc.reset();
  }

  close(): void {
    this.enc.destroy();
  }

  get counters(): MppeEncryptor['counters'] {
    return this.enc.counters;
  }
}

class MppeDecompressor implements Decompressor {
  /** Network-layer frames that arrived unencrypted, and were dropped. */
  unencryptedDropped = 0;

  constructor(private readonly dec: MppeDecryptor) {}

  decompress(info: Buffer): DecompressResult {
    const r = this.dec.decrypt(info);
    if (r.ok) return { ok: true, frame: { protocol: r.protocol, info: r.info } };
    if (r.fatal) return { ok: false, error: 'fatal', reason: `MPPE: ${r.reason} (too many errors)` };
    // Stateful mode lost step: a Reset-Request (RFC 3078 §8.2). Everything else is one
    // packet's loss: stateless mode needs nothing from the peer to go on.
    return { ok: false, error: r.resetRequest ? 'reset' : 'drop', reason: `MPPE: ${r.reason}` };
  }

  /**
   * A network-layer frame that came unencrypted while MPPE runs. Linux counts it and lets
   * it through (mppe_incomp); RFC 3078 §1 has every such frame encrypted, so anything else
   * is not the peer's: dropped.
   */
  incomp(protocol: number): boolean {
    if (!mppeEncrypts(protocol)) return true;
    this.unencryptedDropped++;
    return false;
  }

  /** Reset-Ack: nothing to do, the flushed packet resynchronises (Linux mppe_decomp_reset). */
  reset(): void {}

  close(): void {
    this.dec.destroy();
  }

  get counters(): MppeDecryptor['counters'] {
    return this.dec.counters;
  }
}

class MppeNegotiation implements MethodNegotiation {
  readonly types = [CI_MPPE] as const;
  readonly exclusive = true;
  /** pppd ccp_gotoptions.mppe: what we ask for now (0: not asking). */
  private go = 0;
  /** pppd rej_for_ci_mppe, inverted: the peer's request had an MPPE option we did not reject. */
  private judgedMppe = false;

  constructor(private readonly ctx: MethodContext) {}

  private get want(): number {
    const o = this.ctx.options;
    let w = (o.mppe40 ? MPPE_OPT_40 : 0) | (o.mppe128 ? MPPE_OPT_128 : 0);
    if (w && o.mppePreferStateful && !o.refuseMppeStateful) w |= MPPE_OPT_STATEFUL;
    return w;
  }

  private fail(log: string, reason: string): void {
    this.ctx.log('error', log);
    this.ctx.closeLink(reason);
  }

  required(): boolean {
    return this.go !== 0;
  }

  /** pppd start_networks: MPPE required holds the NCPs until CCP is up. */
  get holdsNetworks(): boolean {
    return this.go !== 0;
  }

  /** pppd ccp_resetci's MPPE checks. */
  reset(): void {
    this.go = this.want;
    this.judgedMppe = false;
    if (!this.go) return;
    const keys = this.ctx.mppeKeys();
    // `mppe optional`: no usable keys (PAP, CHAP-MD5, EAP-MD5; or auth both ways) is no MPPE.
    if (this.ctx.options.mppeOptional && (!keys || keys.bothWays)) {
      this.go = 0;
      return;
    }
    if (keys?.bothWays) return this.fail('MPPE required, but auth done in both directions.', 'MPPE required but not available');
    // Debian's pppd has EAP-TLS: its message names it. dialtone's EAP (MD5) makes no keys.
    if (!keys) return this.fail('MPPE required, but MS-CHAP[v2] nor EAP-TLS auth are performed.', 'MPPE required but not available');
    // MS-CHAP v1 gives the same key both ways (RFC 3079 §2.3); v2 never does.
    if (keys.send.equals(keys.recv) && this.go & MPPE_OPT_40) {
      this.ctx.log('notice', 'Disabling 40-bit MPPE; MS-CHAP LM not supported');
      this.go &= ~MPPE_OPT_40;
    }
    if (!(this.go & (MPPE_OPT_40 | MPPE_OPT_128))) {
      return this.fail('MPPE required, but both 40-bit and 128-bit disabled.', 'MPPE required but not available');
    }
  }

  request(): ConfigOption[] {
    return this.go ? [{ type: CI_MPPE, value: mppeCiFromOpts(this.go) }] : [];
  }

  /** pppd ccp_nakci. */
  nak(o: ConfigOption): void {
    if (!this.go || o.value.length !== CILEN_VALUE) return;
    let t = mppeOptsFromCi(o.value);
    if (t & MPPE_OPT_STATEFUL && this.ctx.options.refuseMppeStateful) {
      this.ctx.log('error', 'Refusing MPPE stateful mode offered by peer');
      t = 0;
    } else if (((this.go | MPPE_OPT_STATEFUL) & t) !== t) {
      t = 0; // the peer suggests what we did not ask for
    }
    if (!t) this.fail('MPPE required but peer negotiation failed', 'MPPE required but peer negotiation failed');
    this.go = t;
  }

  /** pppd ccp_rejci. */
  reject(): boolean {
    if (this.go) this.fail('MPPE required but peer refused', 'MPPE required but peer refused');
    return true;
  }

  /** pppd ccp_reqci, case CI_MPPE; what we allow is what we ask for (ao->mppe = go->mppe). */
  judge(o: ConfigOption): Verdict {
    const allow = this.go;
    if (!allow || o.value.length !== CILEN_VALUE) return { verdict: 'rej' };
    let ho = mppeOptsFromCi(o.value);
    let nak = false;
    if (ho & (MPPE_OPT_UNSUPPORTED | MPPE_OPT_UNKNOWN)) {
      nak = true;
      ho &= ~(MPPE_OPT_UNSUPPORTED | MPPE_OPT_UNKNOWN);
    }
    if (ho & MPPE_OPT_STATEFUL) {
      if (this.ctx.options.refuseMppeStateful) {
        this.ctx.log('error', 'Refusing MPPE stateful mode offered by peer');
        return { verdict: 'rej' };
      }
    } else if (allow & MPPE_OPT_STATEFUL) {
      // dialtone's mppe-prefer-stateful: suggest stateful mode (pppd never does).
      nak = true;
      ho |= MPPE_OPT_STATEFUL;
    }
    if (ho & MPPE_OPT_128 && ho & MPPE_OPT_40) {
      // Both: the strongest we allow.
      nak = true;
      if (allow & MPPE_OPT_128) ho &= ~MPPE_OPT_40;
      else if (allow & MPPE_OPT_40) ho &= ~MPPE_OPT_128;
      else return { verdict: 'rej' };
    } else if (ho & MPPE_OPT_128) {
      if (!(allow & MPPE_OPT_128)) return { verdict: 'rej' };
    } else if (ho & MPPE_OPT_40) {
      if (!(allow & MPPE_OPT_40)) return { verdict: 'rej' };
    } else {
      // Neither: tell the peer what it can have.
      nak = true;
      ho = allow;
    }
    this.judgedMppe = true;
    return nak ? { verdict: 'nak', value: mppeCiFromOpts(ho) } : { verdict: 'ack' };
  }

  /** pppd ccp_reqci's end: a Configure-Reject not caused by MPPE's option fails the link. */
  requestJudged(rejecting: boolean): void {
    if (rejecting && this.go && !this.judgedMppe) this.fail('MPPE required but peer negotiation failed', 'MPPE required but peer negotiation failed');
    this.judgedMppe = false;
  }

  /** pppd ccp_down: MPPE gone while LCP is up takes the link down. */
  down(linkGoingDown: boolean): void {
    if (!this.go) return;
    this.go = 0;
    if (!linkGoingDown) this.fail('MPPE disabled', 'MPPE disabled');
  }

  /** pppd ccp_protrej. */
  protocolRejected(): void {
    if (this.go) this.fail('MPPE required but peer negotiation failed', 'MPPE required but peer negotiation failed');
  }

  describe(o: ConfigOption): string {
    return describeMppe(mppeOptsFromCi(o.value));
  }

  private direction(o: ConfigOption, key: (k: MppeKeys) => Buffer): { startKey: Buffer; bits: MppeStrength; stateful: boolean } {
    const opts = mppeOptsFromCi(o.value);
    const keys = this.ctx.mppeKeys();
    const bits = strengthOf(opts);
    if (!keys || !bits) {
      // Cannot happen after reset()'s checks and our judging; if it does, no plaintext goes out.
      this.fail('MPPE required, but keys are not available.  Possible plugin problem?', 'MPPE required but not available');
      return { startKey: Buffer.alloc(16), bits: 128, stateful: false };
    }
    return { startKey: key(keys), bits, stateful: !!(opts & MPPE_OPT_STATEFUL) };
  }

  compressor(his: ConfigOption): Compressor {
    return new MppeCompressor(new MppeEncryptor(this.direction(his, (k) => k.send)));
  }

  decompressor(ours: ConfigOption): Decompressor {
    return new MppeDecompressor(new MppeDecryptor(this.direction(ours, (k) => k.recv)));
  }
}

export const mppeMethod: CompressionMethod = {
  id: 'mppe',
  create: (ctx) => ((ctx.options.mppe40 || ctx.options.mppe128) ? new MppeNegotiation(ctx) : undefined),
};
