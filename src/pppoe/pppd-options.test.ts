import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../pppd/options.js';
import { OptionError } from '../pppd/options-types.js';

test('pppd\'s rp-pppoe.so syntax: plugin, nic-IFACE or a bare interface name, rp_pppoe_service/_ac/_mac', () => {
  const c = parseCommandLine(['plugin', 'rp-pppoe.so', 'nic-eth0', 'rp_pppoe_service', 'internet', 'rp_pppoe_ac', 'BRAS-1', 'rp_pppoe_mac', '00:11:22:33:44:55', 'user', 'fred']);
  assert.deepEqual(c.pppoe, { plugin: 'rp-pppoe.so', ifname: 'eth0', service: 'internet', acName: 'BRAS-1', acMac: '00:11:22:33:44:55' });
  const bare = parseCommandLine(['plugin', '/usr/lib/pppd/2.4.9/pppoe.so', 'lo']);
  assert.equal(bare.pppoe?.ifname, 'lo', 'an interface that exists is the device (pppd PPPoEDevnameHook)');
  assert.throws(() => parseCommandLine(['rp_pppoe_service', 'x']), new OptionError("unrecognized option 'rp_pppoe_service'"));
  assert.throws(() => parseCommandLine(['nic-eth0']), new OptionError("unrecognized option 'nic-eth0'"));
  assert.throws(() => parseCommandLine(['plugin', 'rp-pppoe.so', 'rp_pppoe_mac', 'zz']), /invalid MAC address/);
  assert.throws(() => parseCommandLine(['plugin', 'radius.so']), /plugin option is not supported by dialtone yet/);
});
