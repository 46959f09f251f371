/**
 * A SlipLink for a session: plain SLIP, or CSLIP with a Van Jacobson codec (src/wire/vj.ts)
 * shaped like Linux's: slip.c's slhc_init(16, 16) gives 16 slots each way (ids 0-15), and
 * sl_encaps' slhc_compress(..., compress_cid = 1) leaves a repeated slot id out of
 * compressed packets. The decompressor takes any slot id up to 15, as slhc does.
 */
import { VjCompressor, VjDecompressor } from '../wire/vj.js';
import { SlipLink, type SlipMode } from './link.js';

/** Linux slip.c: slhc_init(16, 16). */
export const CSLIP_SLOTS = 16;

export function newSlipLink(mode: SlipMode, mtu: number): SlipLink {
  if (mode === 'slip') return new SlipLink({ mode, mtu });
  return new SlipLink({
    mode,
    mtu,
    vj: { compressor: new VjCompressor(CSLIP_SLOTS - 1, true), decompressor: new VjDecompressor(CSLIP_SLOTS - 1) },
  });
}
