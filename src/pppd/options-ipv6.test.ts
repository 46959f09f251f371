import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, OptionError } from './options.js';
import { ipv6ScriptArgs, scriptEnv, type LinkInfo } from './scripts.js';

test('IPv6 is on by default as in pppd 2.4.9; noipv6 / -ipv6 turn it off and +ipv6 back on', () => {
  assert.equal(parseCommandLine([]).session.noipv6, undefined);
  assert.equal(parseCommandLine(['noipv6']).session.noipv6, true);
  assert.equal(parseCommandLine(['-ipv6']).session.noipv6, true);
  assert.equal(parseCommandLine(['noipv6', '+ipv6']).session.noipv6, false);
});

test('ipv6 <local>,<remote>: identifiers as ::/64 addresses, either side optional, enabling IPv6', () => {
  const c = parseCommandLine(['noipv6', 'ipv6', '::1,::dead:beef:1:2']);
  assert.equal(c.session.noipv6, false);
  assert.deepEqual(c.session.ipv6LocalId, Buffer.from('0000000000000001', 'hex'));
  assert.deepEqual(c.session.ipv6RemoteId, Buffer.from('deadbeef00010002', 'hex'));
  const r = parseCommandLine(['ipv6', ',::2']);
  assert.equal(r.session.ipv6LocalId, undefined);
  assert.deepEqual(r.session.ipv6RemoteId, Buffer.from('0000000000000002', 'hex'));
  assert.throws(() => parseCommandLine(['ipv6', 'fe80::1']), new OptionError('Illegal interface identifier (local): fe80::1'));
  assert.throws(() => parseCommandLine(['ipv6', '::1,::']), new OptionError('Illegal interface identifier (remote): ::'));
});

test('the ipv6cp-* options reach the session', () => {
  const c = parseCommandLine(['ipv6cp-accept-local', 'ipv6cp-accept-remote', 'ipv6cp-use-ipaddr', 'ipv6cp-use-persistent',
    'ipv6cp-restart', '7', 'ipv6cp-max-terminate', '4', 'ipv6cp-max-configure', '12', 'ipv6cp-max-failure', '6']);
  assert.deepEqual(
    [c.session.ipv6cpAcceptLocal, c.session.ipv6cpAcceptRemote, c.session.ipv6cpUseIpaddr, c.ipv6cpUsePersistent],
    [true, true, true, true],
  );
  assert.deepEqual([c.session.ipv6cpRestart, c.session.ipv6cpMaxTerminate, c.session.ipv6cpMaxConfigure, c.session.ipv6cpMaxFailure], [7, 4, 12, 6]);
});

test('ipv6-up gets interface tty speed local-LL remote-LL [ipparam], and LLLOCAL/LLREMOTE in its environment', () => {
  const info: LinkInfo = { ifname: 'ppp0', device: '/dev/ttyS0', speed: 38400, usePeerDns: false, llLocal: 'fe80::0000:0000:0000:0001', llRemote: 'fe80::0a0b:0c0d:0e0f:1011' };
  assert.deepEqual(ipv6ScriptArgs(info), ['ppp0', '/dev/ttyS0', '38400', 'fe80::0000:0000:0000:0001', 'fe80::0a0b:0c0d:0e0f:1011']);
  assert.deepEqual(ipv6ScriptArgs({ ...info, ipparam: 'x' }).slice(5), ['x']);
  const env = scriptEnv(info);
  assert.equal(env.LLLOCAL, 'fe80::0000:0000:0000:0001');
  assert.equal(env.LLREMOTE, 'fe80::0a0b:0c0d:0e0f:1011');
});
