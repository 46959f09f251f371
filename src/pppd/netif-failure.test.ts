// `network tun` when the kernel refuses the interface's configuration at IPCP up (ipcp.c
// ipcp_up): pppd logs "Interface configuration failed", closes IPCP, and with no network
// protocol left (IPv6 off here: an IPV6CP that is up keeps the link, as in pppd) LCP
// closes too; neither ip-up nor ip-down runs. Here the interface is a
// PppNetif whose `ip` runner refuses `ip addr add`, so no root is needed.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stopAll, pppDir, inProcess, freePort, waitFor, recordingScript, readRecorded } from './harness.test.js';
import { PppNetif } from '../tun/ppp-netif.js';

afterEach(stopAll);

test('network tun: an interface the kernel will not configure closes IPCP and the link; no ip-up, no ip-down', async () => {
  const port = await freePort();
  const sdir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const s = inProcess([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2'], sdir);
  await waitFor(s.log, /Waiting for a connection/);
  const cdir = pppDir({});
  for (const n of ['ip-up', 'ip-down', 'ip-pre-up']) fs.writeFileSync(path.join(cdir, n), recordingScript(cdir, n), { mode: 0o755 });
  const cmds: string[] = [];
  const netif = new PppNetif({
    log: () => undefined,
    ip: async (a) => {
      cmds.push(a.join(' '));
      if (a[0] === 'addr' && a[1] === 'add') throw new Error('RTNETLINK answers: Operation not permitted');
    },
    routeTable: () => '',
    addrTable: async () => [],
    openTun: () => ({ ifname: 'ppp0', dev: { fd: -1, write: () => undefined, onData: () => undefined, close: () => undefined } }),
    ipForwardPath: '/dev/null',
  });
  const c = inProcess([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'connect-delay', '0', 'noipv6'], cdir, { netif });
  await waitFor(c.log, /Interface configuration failed/);
  await waitFor(c.log, /Connection terminated/);
  const status = await c.done;
  const log = c.log();
  assert.match(log, /Interface configuration failed/);
  assert.match(log, /No network protocols running|Connection terminated/);
  assert.ok(!cmds.some((x) => x.includes(' up')), `the interface was not brought up: ${cmds.join('; ')}`);
  assert.equal(readRecorded(cdir, 'ip-pre-up'), undefined);
  assert.equal(readRecorded(cdir, 'ip-up'), undefined);
  assert.equal(readRecorded(cdir, 'ip-down'), undefined);
  assert.notEqual(status, undefined);
  await s.done;
});
