import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, ipv6PrefixOf, IspConfigError } from './config.js';

test('ipv6-prefix: a ULA /64 by default, from a random 40-bit global id or ipv6-ula-global-id (RFC 4193)', () => {
  const a = ipv6PrefixOf(parseIspConfig('', 'isp.conf'))!;
  assert.match(a, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
  assert.equal(ipv6PrefixOf(parseIspConfig('ipv6-ula-global-id 12345ABCDE\n', 'isp.conf')), 'fd12:345a:bcde::/64');
  assert.equal(ipv6PrefixOf(parseIspConfig('ipv6-prefix 2001:db8:1:2::/64\n', 'isp.conf')), '2001:db8:1:2::/64');
  assert.equal(ipv6PrefixOf(parseIspConfig('ipv6-prefix off\n', 'isp.conf')), undefined);
});

test('a prefix that is not a /64, or a global id that is not 10 hex digits, stops the server at load time', () => {
  for (const [text, msg] of [
    ['ipv6-prefix 2001:db8::/48\n', "isp.conf:1: ipv6-prefix: want ula, off or a /64 such as fd12:3456:789a::/64, got '2001:db8::/48'"],
    ['ipv6-prefix 2001:db8::1/64\n', "isp.conf:1: ipv6-prefix: want ula, off or a /64 such as fd12:3456:789a::/64, got '2001:db8::1/64'"],
    ['ipv6-ula-global-id 12345\n', "isp.conf:1: ipv6-ula-global-id: want 10 hex digits (40 bits, RFC 4193), got '12345'"],
  ] as const) {
    assert.throws(() => parseIspConfig(text, 'isp.conf'), (e: unknown) => e instanceof IspConfigError && e.message === msg);
  }
});
