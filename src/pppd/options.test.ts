import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, OptionError } from './options.js';
import { parseIp4 } from '../wire/ipv4.js';

const ip = (s: string) => parseIp4(s)!;

test('pppd spelling: device, local:remote, auth and DNS options', () => {
  const c = parseCommandLine(['tcp:127.0.0.1:2323', '38400', '10.0.0.1:10.0.0.2', 'auth', 'require-chap', 'name', 'server', 'ms-dns', '10.0.0.53', 'ms-dns', '10.0.0.54', 'debug', 'nodetach', 'logfile', '/tmp/x.log', 'pcap', '/tmp/x.pcap']);
  assert.deepEqual(c.line, { kind: 'tcp', host: '127.0.0.1', port: 2323 });
  assert.equal(c.speed, 38400);
  assert.equal(c.localName, '10.0.0.1');
  assert.equal(c.remoteName, '10.0.0.2');
  assert.equal(c.session.auth, true);
  assert.equal(c.session.requireChap, true);
  assert.equal(c.session.name, 'server');
  assert.deepEqual(c.session.msDns, [ip('10.0.0.53'), ip('10.0.0.54')]);
  assert.ok(c.debug && c.nodetach);
  assert.equal(c.logfile, '/tmp/x.log');
  assert.equal(c.pcap, '/tmp/x.pcap');
});

test('one ms-dns serves as primary and secondary, as in pppd', () => {
  assert.deepEqual(parseCommandLine(['ms-dns', '10.0.0.53']).session.msDns, [ip('10.0.0.53'), ip('10.0.0.53')]);
});

test('client options: user, password, usepeerdns, noipdefault, :remote only', () => {
  const c = parseCommandLine(['/dev/ttyS1', 'noauth', 'user', 'fred', 'password', 'wilma', 'usepeerdns', 'noipdefault', ':10.0.0.9', 'remotename', 'isp']);
  assert.deepEqual(c.line, { kind: 'device', path: '/dev/ttyS1' });
  assert.equal(c.localName, undefined);
  assert.equal(c.remoteName, '10.0.0.9');
  assert.equal(c.session.user, 'fred');
  assert.equal(c.session.password, 'wilma');
  assert.equal(c.session.remoteName, 'isp');
  assert.equal(c.session.usePeerDns, true);
});

test('link options and timers', () => {
  const c = parseCommandLine(['mru', '1400', 'asyncmap', '20a0000', 'noaccomp', 'nopcomp', 'nomagic', 'lcp-echo-interval', '30', 'lcp-echo-failure', '4', 'lcp-restart', '2', 'lcp-max-configure', '0x5']);
  assert.equal(c.session.mru, 1400);
  assert.equal(c.session.asyncmap, 0x20a0000);
  assert.equal(c.session.accomp, false);
  assert.equal(c.session.pcomp, false);
  assert.equal(c.session.magic, false);
  assert.equal(c.session.lcpEchoInterval, 30);
  assert.equal(c.session.lcpEchoFailure, 4);
  assert.equal(c.session.lcpRestart, 2);
  assert.equal(c.session.lcpMaxConfigure, 5);
});

test('line words: tcp-listen, stdio, pty', () => {
  assert.deepEqual(parseCommandLine(['tcp-listen:0.0.0.0:23']).line, { kind: 'tcp-listen', host: '0.0.0.0', port: 23 });
  assert.deepEqual(parseCommandLine(['-']).line, { kind: 'stdio' });
  assert.deepEqual(parseCommandLine(['notty']).line, { kind: 'stdio' });
  assert.deepEqual(parseCommandLine(['pty', 'socat - TCP:127.0.0.1:2323']).line, { kind: 'pty', command: 'socat - TCP:127.0.0.1:2323' });
});

test("errors use pppd's wording", () => {
  assert.throws(() => parseCommandLine(['frobnicate']), new OptionError("unrecognized option 'frobnicate'"));
  assert.throws(() => parseCommandLine(['name']), new OptionError('too few parameters for option name'));
  assert.throws(() => parseCommandLine(['mru', 'lots']), /invalid numeric parameter 'lots' for mru option/);
  assert.throws(() => parseCommandLine(['ms-dns', 'nameserver']), /invalid IP address/);
});

test('options not in effect yet are reported, not silently ignored', () => {
  const c = parseCommandLine(['persist', 'updetach']);
  assert.equal(c.notYet.length, 2);
  assert.match(c.notYet[0]!, /^persist: /);
});
