/** CCP's options and pppd 2.4.9's defaults (ccp.c ccp_init, ccp_option_list). */
export interface CcpOptions {
  /** pppd `noccp`: CCP is not run; a peer's CCP gets a Protocol-Reject. */
  noccp: boolean;
  /**
   * pppd `deflate n[,m]`: the window (log2, 9..15) we ask the peer to compress with (n,
   * what we receive) and the largest we agree to compress with (m); 0 turns that way off.
   */
  deflateWant: number;
  deflateAllow: number;
  /** pppd `nodeflatedraft` clears it: also offer and accept the draft's option type 24. */
  deflateDraft: boolean;
  /** pppd `bsdcomp n[,m]`: code width (9..15) we receive with / agree to send with; 0 = off. */
  bsdWant: number;
  bsdAllow: number;
}

export const CCP_DEFAULTS: CcpOptions = {
  noccp: false,
  deflateWant: 15,
  deflateAllow: 15,
  deflateDraft: true,
  bsdWant: 15,
  bsdAllow: 15,
};
