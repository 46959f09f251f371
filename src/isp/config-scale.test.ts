import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, networkOf, IspConfigError } from './config.js';

test('isp.conf: subnet widens the virtual network so a pool can be a /10, and workers is a count', () => {
  const c = parseIspConfig('subnet 100.64.0.0/10\ngateway 100.64.0.1\ndns 100.64.0.2\npool 100.64.1.0-100.127.255.254\nworkers 2\n', 'isp.conf');
  assert.equal(networkOf(c), '100.64.0.0/10');
  assert.equal(c.workers, 2);
  assert.equal(networkOf(parseIspConfig('', 'isp.conf')), '10.0.2.0/24');
  assert.equal(parseIspConfig('', 'isp.conf').workers, 1);
});

test('isp.conf: a pool or gateway outside subnet, a bad CIDR and workers 0 are errors with their line', () => {
  assert.throws(() => parseIspConfig('subnet 100.64.0.0/10\ngateway 100.64.0.1\ndns 100.64.0.2\npool 10.0.0.1-10.0.0.9\n', 'isp.conf'), /isp\.conf:4: pool: .* outside the network 100\.64\.0\.0\/10/);
  assert.throws(() => parseIspConfig('subnet 100.64.0.0/10\n', 'isp.conf'), /subnet: the gateway 10\.0\.2\.2 is outside 100\.64\.0\.0\/10/);
  assert.throws(() => parseIspConfig('subnet 100.64.0.0/40\n', 'isp.conf'), IspConfigError);
  assert.throws(() => parseIspConfig('workers 0\n', 'isp.conf'), /isp\.conf:1: workers: 0 out of range/);
});
