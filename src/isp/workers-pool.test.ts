import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockLedger, LeasedPool, blockSize, type PoolRequest } from './workers-pool.js';

/** Two workers' pools wired to one ledger, replies delivered at once (IPC without the IPC). */
function cluster(first: number, last: number, workers: number) {
  const ledger = new BlockLedger(first, last, blockSize(last - first + 1, workers));
  const pools: LeasedPool[] = [];
  for (let w = 0; w < workers; w++) {
    const p: LeasedPool = new LeasedPool(last - first + 1, ledger.block, (r: PoolRequest) => queueMicrotask(() => {
      if (r.pool === 'lease') {
        const lease = ledger.lease(w);
        p.reply(lease ? { pool: 'grant', lease } : { pool: 'none' });
      } else {
        ledger.giveBack(w, r.start);
      }
    }));
    pools.push(p);
  }
  return { ledger, pools };
}

const tick = () => new Promise((r) => setImmediate(r));

test('workers pool: two workers take distinct addresses from one pool, asking for blocks before they run out', async () => {
  const { ledger, pools } = cluster(1000, 1239, 2);
  assert.equal(ledger.block, 30);
  for (const p of pools) p.want();
  await tick();
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const a = pools[i % 2]!.take();
    assert.ok(a !== undefined, `address ${i}`);
    assert.ok(!seen.has(a) && a >= 1000 && a <= 1239);
    seen.add(a);
    await tick();
  }
  assert.equal(pools[0]!.inUse + pools[1]!.inUse, 200);
});

test('workers pool: free blocks go back to the primary and reach the worker that needs them', async () => {
  const { ledger, pools } = cluster(0, 99, 2);
  const [a, b] = pools as [LeasedPool, LeasedPool];
  a.want();
  await tick();
  const taken: number[] = [];
  for (let i = 0; i < 90; i++) {
    const x = a.take();
    if (x !== undefined) taken.push(x);
    await tick();
  }
  assert.ok(taken.length >= 85, `worker 1 got ${taken.length}`);
  for (const x of taken) a.give(x);
  await tick();
  assert.ok(ledger.heldBy(0) * ledger.block <= 60, 'worker 1 kept only a few blocks');
  b.want();
  await tick();
  let got = 0;
  for (let i = 0; i < 40; i++) {
    if (b.take() !== undefined) got++;
    await tick();
  }
  assert.equal(got, 40);
});

test('workers pool: a dead worker\'s blocks are free again', async () => {
  const { ledger, pools } = cluster(0, 99, 2);
  pools[0]!.want();
  await tick();
  for (let i = 0; i < 30; i++) (pools[0]!.take(), await tick());
  const held = ledger.heldBy(0);
  assert.ok(held > 0);
  assert.equal(ledger.releaseAll(0), held);
  assert.equal(ledger.heldBy(0), 0);
  assert.deepEqual(ledger.lease(1), { start: 0, end: ledger.block - 1 });
});
