/** `dialtone pppd [options]`: see src/pppd/run.ts. */
export { runPppd as run } from '../pppd/run.js';
