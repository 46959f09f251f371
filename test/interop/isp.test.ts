// Issue 5's end-to-end proof: real pppd 2.4.9 inside user-mode-linux dials `dialtone isp`
// (the userspace network, no root, no kernel PPP on the host) and, from inside UML:
// pings the gateway, resolves a host name through the virtual DNS, downloads 10 MB from an
// HTTP server on the host's 127.0.0.1 by the gateway address and by that name (checksums
// compared), while the host reaches a server inside UML through a forwarded port.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { startPppdPeer, umlAvailable, freePort } from '../harness/uml.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

test('real pppd in UML on dialtone isp: ping, DNS, 10 MB by address and by name, port forward', { skip, timeout: 180_000 }, async () => {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const body = crypto.randomBytes(10 * 1024 * 1024);
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  const web = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const fwdPort = await freePort();

  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, auth: 'pap' as const, lcpEchoInterval: 0,
    // socat connects the line before UML boots, so the connect-to-authenticated deadline
    // must cover a boot on a loaded machine (seen: over 10 s with 2 cores busy).
    authTimeout: 300, forwards: [{ proto: 'tcp' as const, hostPort: fwdPort, clientPort: 7777 }] };
  const logs: string[] = [];
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await isp.start();

  const after = [
    'set -e',
    'echo "nameserver 10.0.2.3" > /etc/resolv.conf',
    'ping -c 2 -W 2 10.0.2.2',
    'getent hosts host.dialtone.internal',
    // IPV6CP is on by default, so `hosts` may show the AAAA first: ask for the IPv4 one too.
    'getent ahostsv4 host.dialtone.internal | head -1',
    '(socat TCP-LISTEN:7777,reuseaddr,fork SYSTEM:"echo hello-from-uml" &)',
    `wget -q -O /tmp/a http://10.0.2.2:${webPort}/file`,
    'sha256sum /tmp/a',
    `wget -q -O /tmp/b http://host.dialtone.internal:${webPort}/file`,
    'sha256sum /tmp/b',
    'sleep 3',
  ].join('\n');
  const peer = await startPppdPeer({
    line: 'listen',
    port: isp.addresses.ppp!.port,
    pppdArgs: ['local', 'noauth', 'user', 'fred', 'usepeerdns', 'noipdefault', 'defaultroute', 'noccp'],
    files: { 'ppp/pap-secrets': 'fred * wilma *\n' },
    after,
    timeoutMs: 170_000,
  });
  // Meanwhile, from the host: the forwarded port reaches socat inside UML once it listens.
  let forwarded = '';
  const t0 = Date.now();
  while (!forwarded && Date.now() - t0 < 150_000) {
    forwarded = await new Promise<string>((resolve) => {
      const s = net.connect(fwdPort, '127.0.0.1');
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(''));
    });
    if (!forwarded) await new Promise((r) => setTimeout(r, 500));
  }
  const r = await peer.done;
  await isp.stop();
  web.close();
  const why = `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}\n--- isp ---\n${logs.join('\n')}`;
  assert.equal(r.afterRc, 0, why);
  assert.match(r.log, /local {2}IP address 10\.0\.2\.15/, why);
  assert.match(r.log, /primary {3}DNS address 10\.0\.2\.3/, why);
  assert.match(r.afterOutput, /2 received/, why);
  assert.match(r.afterOutput, /^10\.0\.2\.2\s+STREAM\s+host\.dialtone\.internal/m, why);
  assert.equal(r.afterOutput.split(sum).length - 1, 2, `both downloads intact\n${why}`);
  assert.equal(forwarded.trim(), 'hello-from-uml', why);
});
