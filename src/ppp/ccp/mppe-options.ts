/**
 * MPPE's options (pppd 2.4.9 ccp.c, built with MPPE as Debian does) and their defaults:
 * MPPE is off unless asked for, and stateful mode is refused unless allowed.
 *
 *   require-mppe (+mppe)          both strengths wanted (pppd: want.mppe = 40|128)
 *   require-mppe-40 / -128        that strength wanted too (OPT_A2OR)
 *   nomppe (-mppe)                none (want.mppe = 0)
 *   nomppe-40 / -128              not that strength (OPT_A2CLRB)
 *   mppe-stateful                 stateful mode may be agreed after a Nak (refuse_mppe_stateful = 0)
 *   nomppe-stateful               the default: stateful mode is refused
 *   mppe-prefer-stateful          dialtone's own: ask for stateful mode, and Nak a peer's
 *                                 stateless request towards it (needs mppe-stateful)
 */
export interface MppeOptions {
  /** pppd ccp_wantoptions.mppe & MPPE_OPT_40. */
  mppe40: boolean;
  /** pppd ccp_wantoptions.mppe & MPPE_OPT_128. */
  mppe128: boolean;
  /** pppd refuse_mppe_stateful. */
  refuseMppeStateful: boolean;
  /** dialtone `mppe-prefer-stateful` (no pppd equivalent: pppd always asks for stateless). */
  mppePreferStateful: boolean;
  /**
   * dialtone's own (the isp's `mppe optional`): MPPE is wanted only when authentication
   * made keys in one direction (MS-CHAP, or RADIUS keys); without them the link goes on
   * without MPPE instead of failing as pppd's require-mppe does.
   */
  mppeOptional?: boolean;
}

export const MPPE_DEFAULTS: MppeOptions = {
  mppe40: false,
  mppe128: false,
  refuseMppeStateful: true,
  mppePreferStateful: false,
  mppeOptional: false,
};
