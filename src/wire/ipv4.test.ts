import test from 'node:test';
import assert from 'node:assert/strict';
import { ip4ToString, parseIp4 } from './ipv4.js';

test('parseIp4 takes exactly four decimal octets of 1-3 digits, nothing around them', () => {
  assert.equal(parseIp4('10.0.2.15'), 0x0a00020f);
  assert.equal(parseIp4('0.0.0.0'), 0);
  assert.equal(parseIp4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIp4('010.000.002.015'), 0x0a00020f); // as the regular expression it replaced: leading zeros are decimal
  for (const bad of ['', '10.0.2', '10.0.2.15.', '.10.0.2.15', '10..2.15', '256.0.0.1', '1.2.3.256', '1.2.3.4 ', ' 1.2.3.4', '0010.0.0.1', '1.2.3.4x', '1,2,3,4', '1.2.3.-4', '+1.2.3.4', '1.2.3.٤']) {
    assert.equal(parseIp4(bad), undefined, JSON.stringify(bad));
  }
});

test('parseIp4 and ip4ToString round-trip', () => {
  for (const a of [0, 1, 0x7f000001, 0xc0a80101, 0xffffffff, 0x80000000]) assert.equal(parseIp4(ip4ToString(a)), a);
});
