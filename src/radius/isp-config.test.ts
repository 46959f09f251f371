// The isp.conf keys of RADIUS authentication (src/isp/config.ts): parsed, validated with file:line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, IspConfigError } from '../isp/config.js';

test('radius-auth (repeatable), radius-secret, nas-identifier, nas-ip-address, radius-timeout, radius-retries, radius-dictionary parse', () => {
  const c = parseIspConfig([
    'radius-auth 127.0.0.1', 'radius-auth radius2.example:11812', 'radius-auth [::1]:1645', 'radius-secret two words',
    'nas-identifier pool-7', 'nas-ip-address 192.0.2.1', 'radius-timeout 5', 'radius-retries 4', 'radius-dictionary /etc/d',
  ].join('\n'), 'isp.conf');
  assert.deepEqual(c.radiusAuth, [{ host: '127.0.0.1', port: 1812 }, { host: 'radius2.example', port: 11812 }, { host: '::1', port: 1645 }]);
  assert.equal(c.radiusSecret, 'two words');
  assert.equal(c.nasIdentifier, 'pool-7');
  assert.equal(c.nasIpAddress, '192.0.2.1');
  assert.deepEqual([c.radiusTimeout, c.radiusRetries, c.radiusDictionary], [5, 4, '/etc/d']);
});

test('RADIUS key errors name file and line, and never echo the secret', () => {
  const cases: Array<[string, RegExp]> = [
    ['radius-auth host:99999\nradius-secret x', /^isp\.conf:1: radius-auth: 99999 out of range/],
    ['\nradius-auth 127.0.0.1', /^isp\.conf:2: radius-auth: needs radius-secret/],
    ['radius-secret hunter2-secret', /^isp\.conf:1: radius-secret: without radius-auth/],
    ['nas-ip-address nope', /^isp\.conf:1: nas-ip-address: not an IPv4/],
    ['radius-timeout 0', /^isp\.conf:1: radius-timeout: 0 out of range/],
    ['radius-retries x', /^isp\.conf:1: radius-retries: not a number/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseIspConfig(text, 'isp.conf'), (e: unknown) => e instanceof IspConfigError && re.test(e.message) && !e.message.includes('hunter2'), text);
  }
});
