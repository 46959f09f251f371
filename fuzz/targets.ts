/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { Target } from './lib.js';
import { pppHdlcTarget as pppHdlc, pppFrameTarget as pppFrame } from './targets/ppp.js';
import { longBatch } from './targets/ppp-long.js';
import { configTarget, configScalingTarget } from './targets/config.js';
import { netTarget } from './targets/net.js';
import { hayesTarget, hayesScalingTarget } from './targets/hayes.js';

const pppHdlcTarget: typeof pppHdlc = { ...pppHdlc, longBatch: (seed, counter) => longBatch('hdlc', seed, counter) };
const pppFrameTarget: typeof pppFrame = { ...pppFrame, longBatch: (seed, counter) => longBatch('frame', seed, counter) };

export const TARGETS: readonly Target<any>[] = [pppHdlcTarget, pppFrameTarget, configTarget, configScalingTarget, netTarget, hayesTarget, hayesScalingTarget];

/** Targets that measure time: one batch is the whole check, whatever the budget. */
export const ONE_BATCH = new Set(['config-scaling', 'hayes-scaling']);
