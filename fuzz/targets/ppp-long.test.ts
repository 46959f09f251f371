import { test } from 'node:test';
import assert from 'node:assert/strict';
import { longBatch } from './ppp-long.js';
import { Rig, closeAndCheck } from './ppp.js';

test('PPP long mode: a batch is replayed exactly by its seed, on both links', () => {
  for (const link of ['hdlc', 'frame'] as const) {
    const a = { n: 0 };
    const b = { n: 0 };
    const first = longBatch(link, 42, a, 3000);
    assert.equal(a.n, 3000);
    assert.deepEqual(longBatch(link, 42, b, 3000), first);
    assert.ok((first['pairs'] ?? 0) >= 1);
  }
});

test('PPP fuzz rig: close is given its ten minutes from the close, however late the case ends', () => {
  const rig = new Rig({ target: 'client', auth: 'pap', link: 'hdlc', warmup: 0, debug: false, badPassword: false, seed: 1 });
  for (let i = 0; i < 200 && rig.target.s.phase !== 'Network'; i++) rig.queue.length ? rig.deliver(1) : rig.advance(0);
  assert.equal(rig.target.s.phase, 'Network');
  // Hours of virtual time on an up link (a long-mode pair ends this late).
  for (let i = 0; i < 40; i++) {
    rig.advance(120_000);
    while (rig.queue.length) rig.deliver(1);
  }
  assert.equal(rig.target.s.phase, 'Network');
  closeAndCheck(rig);
  assert.equal(rig.target.s.phase, 'Dead');
});
