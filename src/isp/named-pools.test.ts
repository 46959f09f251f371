// pool-name and rate-limit in isp.conf: parsed, and every mistake reported with file:line;
// named pools hand out their own addresses, and worker stripes never share one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, IspConfigError } from './config.js';
import { NamedPools } from './named-pools.js';
import { bucketSpec } from './rate-limits.js';
import { ip4ToString } from '../wire/ipv4.js';

const rejects = (text: string, message: string | RegExp) =>
  assert.throws(() => parseIspConfig(text, 'isp.conf'), (e: unknown) => {
    assert.ok(e instanceof IspConfigError, `not an IspConfigError: ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });

test('pool-name and rate-limit lines are parsed', () => {
  const c = parseIspConfig('pool 10.0.2.15-10.0.2.99\npool-name gold 10.0.2.100-10.0.2.119\npool-name silver 10.0.2.128/27\nrate-limit slow 64 32\nrate-limit fast 2048 512 64\n', 'f');
  assert.deepEqual(c.namedPools, [{ name: 'gold', range: '10.0.2.100-10.0.2.119', line: 2 }, { name: 'silver', range: '10.0.2.128/27', line: 3 }]);
  assert.deepEqual(c.rateLimits, [{ name: 'slow', downKbit: 64, upKbit: 32, line: 4 }, { name: 'fast', downKbit: 2048, upKbit: 512, burstKb: 64, line: 5 }]);
  assert.deepEqual(bucketSpec(c.rateLimits[0]!, 'down'), { rate: 8000, burst: 3000, queue: 16384 });
  assert.deepEqual(bucketSpec(c.rateLimits[1]!, 'up'), { rate: 64000, burst: 65536, queue: 32000 });
});

test('pool-name mistakes are refused with file:line', () => {
  rejects('pool-name gold\n', 'isp.conf:1: pool-name: want NAME FIRST-LAST or NAME ADDRESS/BITS');
  rejects('pool-name gold 10.0.2.300-10.0.2.310\n', /^isp\.conf:1: pool-name: bad pool '10\.0\.2\.300-10\.0\.2\.310'/);
  rejects('pool 10.0.2.15-10.0.2.99\npool-name gold 10.0.2.100-10.0.2.110\n\npool-name gold 10.0.2.120-10.0.2.130\n', "isp.conf:4: pool-name: 'gold' already defined on line 2");
  rejects('pool-name gold 10.0.3.1-10.0.3.9\n', 'isp.conf:1: pool-name: gold 10.0.3.1-10.0.3.9 is outside the network 10.0.2.0/24');
  rejects('pool 10.0.2.15-10.0.2.99\npool-name gold 10.0.2.90-10.0.2.110\n', 'isp.conf:2: pool-name: gold 10.0.2.90-10.0.2.110 overlaps the main pool');
  rejects('pool 10.0.2.15-10.0.2.99\npool-name a 10.0.2.100-10.0.2.110\npool-name b 10.0.2.110-10.0.2.120\n', 'isp.conf:3: pool-name: b 10.0.2.110-10.0.2.120 overlaps pool a (line 2)');
  rejects('pool 10.0.2.15-10.0.2.99\npool-name a 10.0.2.1-10.0.2.9\n', 'isp.conf:2: pool-name: a 10.0.2.1-10.0.2.9 includes the gateway address 10.0.2.2');
  rejects('pool 10.0.2.15-10.0.2.99\npool-name a 10.0.2.200-10.0.2.255\n', 'isp.conf:2: pool-name: a 10.0.2.200-10.0.2.255 includes the network or broadcast address of 10.0.2.0/24');
  // With a bigger subnet, a pool beyond the /24 is fine.
  assert.equal(parseIspConfig('subnet 100.64.0.0/10\ngateway 100.64.0.1\ndns 100.64.0.2\npool 100.64.0.10-100.64.255.254\npool-name big 100.65.0.0/16\n', 'f').namedPools.length, 1);
});

test('rate-limit mistakes are refused with file:line', () => {
  rejects('rate-limit slow 64\n', 'isp.conf:1: rate-limit: want NAME DOWN-KBIT UP-KBIT [BURST-KB]');
  rejects('rate-limit slow 64 x\n', "isp.conf:1: rate-limit: UP-KBIT 'x' is not a rate in kbit/s (1-10000000)");
  rejects('rate-limit slow 0 32\n', "isp.conf:1: rate-limit: DOWN-KBIT '0' is not a rate in kbit/s (1-10000000)");
  rejects('rate-limit slow 64 32 1\n', "isp.conf:1: rate-limit: BURST-KB '1' out of range (3-1048576)");
  rejects('rate-limit slow 64 32\nrate-limit slow 128 64\n', "isp.conf:2: rate-limit: 'slow' already defined on line 1");
});

test('a named pool hands out its own addresses; worker stripes of it are disjoint and cover it', () => {
  const specs = [{ name: 'gold', range: '10.0.2.100-10.0.2.109', line: 1 }];
  const one = new NamedPools(specs);
  assert.equal(ip4ToString(one.get('gold')!.take()!), '10.0.2.100');
  assert.equal(one.get('silver'), undefined);
  const seen = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const p = new NamedPools(specs, { index: i, of: 3 }).get('gold')!;
    let a: number | undefined;
    let n = 0;
    while ((a = p.take()) !== undefined) {
      assert.ok(!seen.has(a), `worker ${i} took ${ip4ToString(a)} again`);
      seen.add(a);
      n++;
    }
    assert.equal(n, p.size);
    assert.equal(p.inUse, p.size);
  }
  assert.equal(seen.size, 10);
  // More workers than addresses: the extra stripes are empty.
  const empty = new NamedPools([{ name: 'x', range: '10.0.2.100-10.0.2.101', line: 1 }], { index: 3, of: 4 }).get('x')!;
  assert.equal(empty.size, 0);
  assert.equal(empty.take(), undefined);
});
