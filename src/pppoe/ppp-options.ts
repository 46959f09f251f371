/**
 * What PPP over PPPoE changes in PPP (RFC 2516 §7, and pppd's rp-pppoe.so plugin): no HDLC
 * (the frame link: the payload starts with the Protocol field, no Address/Control), an MRU
 * of at most 1492 (or the PPP-Max-Payload agreed, RFC 4638), no ACFC, and no PFC as the
 * plugin does (lcp_wantoptions/allowoptions neg_pcompression = 0). ACCM is meaningless on
 * Ethernet: the peer rejects it and the frame link ignores it.
 */
import { FrameLink } from '../ppp/link/frame-link.js';
import type { LinkLayer } from '../ppp/link/link.js';
import { PPPOE_DEFAULT_MTU } from './frame.js';

export function pppoeSessionOptions(mtu = PPPOE_DEFAULT_MTU): { mru: number; accomp: boolean; pcomp: boolean } {
  return { mru: mtu, accomp: false, pcomp: false };
}

export function pppoeLinkLayer(mtu = PPPOE_DEFAULT_MTU): LinkLayer {
  return new FrameLink({ mru: mtu });
}
