/** How `network tun` is asked for: pppd's option and isp.conf's key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../pppd/options.js';
import { parseIspConfig } from '../isp/config.js';

test('dialtone pppd: `network tun` selects the kernel interface; anything else but userspace is refused', () => {
  const c = parseCommandLine(['tcp:127.0.0.1:2323', 'network', 'tun', 'defaultroute', 'unit', '2']);
  assert.equal(c.network, 'tun');
  assert.equal(c.unit, 2);
  assert.equal(parseCommandLine(['tcp:127.0.0.1:2323', 'network', 'userspace']).network, 'userspace');
  assert.equal(parseCommandLine(['tcp:127.0.0.1:2323']).network, undefined);
  assert.throws(() => parseCommandLine(['tcp:127.0.0.1:2323', 'network', 'tap']), /network: expected tun or userspace, not 'tap'/);
});

test('isp.conf: network tun with proxyarp and ip-up/ip-down; a bad value names the line', () => {
  const c = parseIspConfig('network tun\nproxyarp yes\nip-up /etc/ppp/ip-up\nip-down /etc/ppp/ip-down\n', 'isp.conf');
  assert.equal(c.network, 'tun');
  assert.equal(c.proxyarp, true);
  assert.equal(c.ipUp, '/etc/ppp/ip-up');
  assert.equal(c.ipDown, '/etc/ppp/ip-down');
  assert.equal(parseIspConfig('', 'isp.conf').network, undefined);
  assert.throws(() => parseIspConfig('\nnetwork bridge\n', 'isp.conf'), /isp\.conf:2: network: want nat or tun, got 'bridge'/);
});
