import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md4 } from './md4.js';

test('MD4: RFC 1320 §A.5 test suite', () => {
  const suite: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) assert.equal(md4(Buffer.from(input, 'latin1')).toString('hex'), digest, `MD4("${input}")`);
});

test('MD4: padding edges (55, 56, 63, 64 octets) hash to distinct 16-octet digests and leave the input alone', () => {
  const seen = new Set<string>();
  for (const n of [55, 56, 57, 63, 64, 65, 119, 120, 128]) {
    const input = Buffer.alloc(n, 0x61);
    const d = md4(input);
    assert.equal(d.length, 16);
    assert.ok(input.every((c) => c === 0x61), 'input untouched');
    seen.add(d.toString('hex'));
  }
  assert.equal(seen.size, 9);
});
