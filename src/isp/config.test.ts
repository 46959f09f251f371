import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIspConfig, IspConfigError } from './config.js';
import { growthRatio, LINEAR_RATIO } from '../config/linear-check.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/isp.conf');

const rejects = (text: string, message: string | RegExp) =>
  assert.throws(() => parseIspConfig(text, 'isp.conf'), (e: unknown) => {
    assert.ok(e instanceof IspConfigError, `not an IspConfigError: ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });

test('forward with a port beyond 65535 is refused at load time, naming file, line and key', () => {
  rejects('# forwards\n\nforward udp 27353:70000\n', 'isp.conf:3: forward: port 70000 out of range (1-65535)');
  rejects('forward tcp 0:22\n', 'isp.conf:1: forward: port 0 out of range (1-65535)');
  rejects('forward tcp 99999999999999999999:22\n', /isp\.conf:1: forward: port 99999999999999999999 out of range/);
});

test('the same host port forwarded twice is refused with both lines', () => {
  rejects('forward tcp 5022:22\nforward tcp 5022:23\n', 'isp.conf:2: forward: tcp host port 5022 already forwarded on line 1');
  assert.equal(parseIspConfig('forward tcp 5022:22\nforward udp 5022:22\n', 'f').forwards.length, 2);
});

test('counts and speeds out of range are refused at load time', () => {
  rejects('modem-lines 0', 'isp.conf:1: modem-lines: 0 out of range (1-256)');
  rejects('modem-lines 100000', 'isp.conf:1: modem-lines: 100000 out of range (1-256)');
  rejects('modem-speed 10', 'isp.conf:1: modem-speed: 10 out of range (300-128000)');
  rejects('max-sessions 0', 'isp.conf:1: max-sessions: 0 out of range (1-65535)');
  rejects('lcp-echo-interval 1e9', "isp.conf:1: lcp-echo-interval: not a number: '1e9'");
  rejects('lcp-echo-failure 5000', 'isp.conf:1: lcp-echo-failure: 5000 out of range (0-1000)');
});

test('listen addresses: port range, host syntax, and two listeners on one port', () => {
  rejects('listen-ppp 127.0.0.1:65536', 'isp.conf:1: listen-ppp: port 65536 out of range (1-65535)');
  // Port 0 on a listener: the OS picks a free one (the banner says which).
  assert.equal(parseIspConfig('listen-ppp 127.0.0.1:0\nlisten-modem 127.0.0.1:0\nstatus 127.0.0.1:0', 'f').status?.port, 0);
  rejects('listen-modem bad host!:6400', /isp\.conf:1: listen-modem: bad host 'bad host!'/);
  rejects('listen-ppp 127.0.0.1:2323\nlisten-modem 127.0.0.1:2323', 'isp.conf:2: listen-modem: 127.0.0.1:2323 is already used by listen-ppp');
  assert.deepEqual(parseIspConfig('listen-ppp [::1]:2323', 'f').listenPpp, { host: '::1', port: 2323 });
});

test('the pool, gateway and DNS must fit the /24 network around the gateway', () => {
  rejects('gateway 192.168.7.1\n', 'isp.conf:1: dns: 10.0.2.3 is not a host of the network 192.168.7.0/24 (the /24 around gateway 192.168.7.1)');
  rejects('gateway 192.168.7.1\ndns 192.168.7.2\n', 'isp.conf:1: pool: 10.0.2.15-10.0.2.254 is outside the network 192.168.7.0/24 (the /24 around gateway 192.168.7.1)');
  rejects('pool 10.0.2.15-10.0.3.20', /isp\.conf:1: pool: 10\.0\.2\.15-10\.0\.3\.20 is outside the network 10\.0\.2\.0\/24/);
  rejects('pool 10.0.2.1-10.0.2.9', 'isp.conf:1: pool: 10.0.2.1-10.0.2.9 includes the gateway address 10.0.2.2');
  rejects('pool 10.0.2.100-10.0.2.255', 'isp.conf:1: pool: 10.0.2.100-10.0.2.255 includes the network or broadcast address of 10.0.2.0/24');
  rejects('gateway 10.0.2.0', /isp\.conf:1: gateway: 10\.0\.2\.0 is the network or broadcast address/);
  rejects('dns 10.0.2.2', 'isp.conf:1: dns: 10.0.2.2 is the gateway\'s address');
  rejects('gateway 10.0.2.256', "isp.conf:1: gateway: not an IPv4 address: '10.0.2.256'");
  const c = parseIspConfig('gateway 192.168.7.1\ndns 192.168.7.2\npool 192.168.7.10-192.168.7.20\n', 'f');
  assert.equal(c.pool, '192.168.7.10-192.168.7.20');
});

test('control characters and phone numbers a modem cannot dial are refused', () => {
  rejects('phone 555\x001000', /isp\.conf:1: phone: control character 0x00 in line/);
  rejects('account demo pass\rword', /isp\.conf:1: account: control character 0x0d in line/);
  rejects('phone call-me', /isp\.conf:1: phone: 'call-me' is not a phone number/);
  assert.equal(parseIspConfig('phone 555-1000\r\n', 'f').phone, '555-1000'); // CR LF line ends are fine
});

test('the example isp.conf still loads', () => {
  const c = parseIspConfig(fs.readFileSync(example, 'utf8'), 'isp.conf');
  assert.equal(c.modemLines, 4);
});

test('isp.conf parsing is linear in a run of blanks and in line count', () => {
  const blanks = growthRatio((n) => parseIspConfig(`phone${' '.repeat(n)}5551000\n`, 'f'), 200_000);
  assert.ok(blanks < LINEAR_RATIO, `4x the blanks took ${blanks.toFixed(1)}x the time`);
  const lines = growthRatio((n) => parseIspConfig('forward tcp 5022:22\n'.replace('5022', '1') + '# c\n'.repeat(n), 'f'), 50_000);
  assert.ok(lines < LINEAR_RATIO, `4x the lines took ${lines.toFixed(1)}x the time`);
});

test('listen-slip HOST:PORT [slip|cslip] and slip-mtu are checked at load time', () => {
  assert.deepEqual(parseIspConfig('listen-slip 127.0.0.1:6401\n', 'f').listenSlip, { host: '127.0.0.1', port: 6401, mode: 'slip' });
  assert.deepEqual(parseIspConfig('listen-slip 6402 cslip\n', 'f').listenSlip, { host: '127.0.0.1', port: 6402, mode: 'cslip' });
  assert.equal(parseIspConfig('listen-slip off\n', 'f').listenSlip, undefined);
  assert.equal(parseIspConfig('', 'f').slipMtu, 1006);
  rejects('listen-slip 127.0.0.1:6401 ppp', "isp.conf:1: listen-slip: want [HOST:]PORT [slip|cslip], got '127.0.0.1:6401 ppp'");
  rejects('listen-slip 127.0.0.1:70000', 'isp.conf:1: listen-slip: port 70000 out of range (1-65535)');
  rejects('listen-ppp 127.0.0.1:6401\nlisten-slip 127.0.0.1:6401', 'isp.conf:2: listen-slip: 127.0.0.1:6401 is already used by listen-ppp');
  rejects('slip-mtu 100', 'isp.conf:1: slip-mtu: 100 out of range (576-65535)');
});

test('modem-idle-timeout and modem-lines-per-source: defaults, values, and errors naming file, line and key', () => {
  const d = parseIspConfig('', 'isp.conf');
  assert.equal(d.modemIdleTimeout, 300);
  assert.equal(d.modemLinesPerSource, 8);
  const c = parseIspConfig('modem-idle-timeout 0\nmodem-lines-per-source 2\n', 'isp.conf');
  assert.equal(c.modemIdleTimeout, 0);
  assert.equal(c.modemLinesPerSource, 2);
  rejects('# bank\nmodem-idle-timeout 86401\n', 'isp.conf:2: modem-idle-timeout: 86401 out of range (0-86400)');
  rejects('modem-idle-timeout -1', "isp.conf:1: modem-idle-timeout: not a number: '-1'");
  rejects('modem-idle-timeout', 'isp.conf:1: modem-idle-timeout needs 1 value(s)');
  rejects('\n\nmodem-lines-per-source 0\n', 'isp.conf:3: modem-lines-per-source: 0 out of range (1-256)');
  rejects('modem-lines-per-source many', "isp.conf:1: modem-lines-per-source: not a number: 'many'");
});

test('mppe require with auth pap or none is refused at load time: no session could make keys', () => {
  rejects('auth pap\n\nmppe require\n', 'isp.conf:3: mppe: require needs keys from MS-CHAP, but auth pap makes none (use auth chap or any)');
  rejects('mppe require\nauth none\n', 'isp.conf:1: mppe: require needs keys from MS-CHAP, but auth none makes none (use auth chap or any)');
  for (const auth of ['chap', 'any', 'eap']) assert.equal(parseIspConfig(`auth ${auth}\nmppe require\n`, 'f').mppe, 'require');
  assert.equal(parseIspConfig('auth pap\nmppe optional\n', 'f').mppe, 'optional');
});

test('dae-client takes an IPv4 or IPv6 address (kept in one text form) and names the line of a bad one', () => {
  const c = parseIspConfig('dae-listen [::]:3799\ndae-client 2001:DB8::0:1 s1\ndae-client 192.0.2.9 s2\n', 'f');
  assert.deepEqual(c.daeListen, { host: '::', port: 3799 });
  assert.deepEqual(c.daeClients.map((x) => x.address), ['2001:db8::1', '192.0.2.9']);
  rejects('dae-client nonsense s\n', "isp.conf:1: dae-client: not an IPv4 or IPv6 address: 'nonsense'");
});
