/**
 * Which sessions of `dialtone isp` run MPPE (RFC 3078 over CCP, RFC 1962), from isp.conf's
 * `mppe` and, with RADIUS, the Access-Accept (RFC 2548 §2.4.4-2.4.5).
 *
 *   mppe no        (default) no MPPE; CCP offers the other methods as before.
 *   mppe require   pppd's `require-mppe-128` (stateless only, pppd's default): every session
 *                  must agree MPPE; one whose authentication made no keys (PAP, CHAP-MD5,
 *                  EAP) ends with pppd's "MPPE required, but MS-CHAP[v2] ..." message.
 *   mppe optional  MPPE 128-bit (required, as pppd) for sessions that authenticated with
 *                  MS-CHAP v1/v2; the others go on without it.
 *
 * The keys are the authentication's: from the local secrets (RFC 3079 as pppd), or with
 * RADIUS the server's MS-MPPE-Send/Recv-Key or MS-CHAP-MPPE-Keys (radius/mschap-mppe-keys.ts).
 *
 * RADIUS can change it per session, applied when the answer arrives (before the peer hears
 * Success, so before CCP starts): MS-MPPE-Encryption-Policy 2 (encryption required) makes
 * MPPE required even under `mppe no` or `optional` (Windows RAS's meaning; pppd's plugin
 * only narrows). MS-MPPE-Encryption-Types narrows the strengths as pppd's
 * set_mppe_enc_types: 2 alone (RC4-40) is 40-bit only; otherwise 128-bit.
 */
import type { MppeOptions } from '../ppp/ccp/mppe-options.js';
import type { RadiusGrant } from '../radius/access.js';

export type IspMppe = 'no' | 'optional' | 'require';

/** RFC 2548 §2.4.4: 1 encryption allowed, 2 encryption required. */
export const MPPE_POLICY_REQUIRED = 2;
/** RFC 2548 §2.4.5 bits: 40-bit RC4, 128-bit RC4. */
export const MPPE_TYPES_RC4_40 = 0x2;
export const MPPE_TYPES_RC4_128 = 0x4;

/**
 * The session's MPPE options when its link starts. With RADIUS the method is made present
 * (optional) whatever the mode, so that an Access-Accept can still require it; the answer
 * then settles it (applyRadiusMppe).
 */
export function mppeLinkOptions(mode: IspMppe, viaRadius: boolean): Partial<MppeOptions> {
  if (mode === 'no' && !viaRadius) return {};
  return { mppe40: false, mppe128: true, mppeOptional: mode !== 'require', refuseMppeStateful: true, mppePreferStateful: false };
}

/** Settles one session's MPPE from the Access-Accept; returns a line for the log, if any. */
export function applyRadiusMppe(o: MppeOptions, mode: IspMppe, g: RadiusGrant): string | undefined {
  const required = g.mppePolicy === MPPE_POLICY_REQUIRED;
  const want: IspMppe = required ? 'require' : mode;
  if (want === 'no') {
    o.mppe40 = false;
    o.mppe128 = false;
    return undefined;
  }
  o.mppeOptional = want === 'optional';
  const only40 = g.mppeTypes !== undefined && (g.mppeTypes & (MPPE_TYPES_RC4_40 | MPPE_TYPES_RC4_128)) === MPPE_TYPES_RC4_40;
  o.mppe40 = only40;
  o.mppe128 = !only40;
  return required && mode !== 'require' ? `RADIUS: MS-MPPE-Encryption-Policy requires MPPE ${only40 ? 40 : 128}-bit for ${JSON.stringify(g.user)}` : undefined;
}
