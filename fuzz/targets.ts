/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { Target } from './lib.js';
import { pppHdlcTarget, pppFrameTarget } from './targets/ppp.js';
import { configTarget, configScalingTarget } from './targets/config.js';
import { netTarget } from './targets/net.js';
import { hayesTarget, hayesScalingTarget } from './targets/hayes.js';

export const TARGETS: readonly Target<any>[] = [pppHdlcTarget, pppFrameTarget, configTarget, configScalingTarget, netTarget, hayesTarget, hayesScalingTarget];

/** Targets that measure time: one batch is the whole check, whatever the budget. */
export const ONE_BATCH = new Set(['config-scaling', 'hayes-scaling']);
