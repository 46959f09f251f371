/**
 * Found by `npm run fuzz` (target hayes-scaling, seed 2133082524, case {mode: 'command', chunk: 'all'}).
 * Found by `npm run fuzz`; fixed since, and kept as regressions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HayesModem } from './hayes.js';

// With echo on (E1, the factory default), every byte of a DTE chunk in command mode is
// echoed through emit(), which merges it into the previous 'dte' output by allocating a
// new Uint8Array of the combined length and copying: O(n^2) for an n-octet chunk.
// Measured on the loaded 2-core CI machine: 'ATxyz' repeated, 10k octets 370 ms, 40k
// 1.4 s, 200k 21 s; 'x' repeated (this test), 200k about 3 s; the event loop is blocked
// all that time. A caller on the modem bank's TCP port is the DTE, so one 200 KB write
// of garbage stalls the whole process (every other line and session) for tens of seconds.
// ATE0 makes it linear (40k: 20 ms).
test('command mode with echo: a large DTE chunk is handled in linear time', () => {
  const m = new HayesModem();
  const data = Buffer.alloc(200_000, 'x');
  const t0 = performance.now();
  m.fromDte(data, 1000);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms for one 200 KB chunk`);
});
