import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool } from './pool.js';
import { parseIp4, ip4ToString } from '../wire/ipv4.js';

test('pool: a /10 from config holds 4,194,302 addresses and costs nothing until used', () => {
  const p = AddressPool.parse('100.64.0.0/10');
  assert.equal(p.size, 4_194_302);
  assert.equal(ip4ToString(p.take()!), '100.64.0.1');
  assert.equal(ip4ToString(p.take()!), '100.64.0.2');
  assert.equal(p.inUse, 2);
});

test('pool: the lowest free address first, across chunk boundaries, and given-back addresses are reused', () => {
  const p = new AddressPool(parseIp4('10.0.0.0')!, parseIp4('10.3.255.255')!);
  const got: number[] = [];
  for (let i = 0; i < 70_000; i++) got.push(p.take()!);
  assert.deepEqual([got[0], got[69_999]], [p.first, p.first + 69_999]);
  p.give(p.first + 65_540);
  p.give(p.first + 3);
  assert.equal(p.take(), p.first + 3);
  assert.equal(p.take(), p.first + 65_540);
  assert.equal(p.take(), p.first + 70_000);
  assert.equal(p.inUse, 70_001);
});

test('pool: a wanted address if free, undefined when exhausted, giving twice is harmless', () => {
  const p = AddressPool.parse('10.0.2.15-10.0.2.17');
  assert.equal(p.take(parseIp4('10.0.2.16')), parseIp4('10.0.2.16'));
  assert.equal(p.take(parseIp4('10.0.2.16')), parseIp4('10.0.2.15'));
  assert.equal(p.take(), parseIp4('10.0.2.17'));
  assert.equal(p.take(), undefined);
  p.give(parseIp4('10.0.2.16')!);
  p.give(parseIp4('10.0.2.16')!);
  assert.equal(p.inUse, 2);
  assert.equal(p.take(), parseIp4('10.0.2.16'));
  assert.throws(() => AddressPool.parse('10.0.0.0/4'), /bad pool/);
});
