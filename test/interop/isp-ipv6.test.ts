// Issue 16 part 4's proof: real pppd 2.4.9 in user-mode-linux with `+ipv6` dials `dialtone
// isp`, takes an address from the Router Advertisement's prefix (SLAAC on ppp0 with its
// IPV6CP interface identifier), pings the gateway's IPv6 address, and downloads a file from
// an HTTP server on the host's 127.0.0.1 over IPv6 (checksum compared).
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { pcapFromSocatHex } from '../harness/line-pcap.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

test('real pppd +ipv6 on dialtone isp: SLAAC address from the RA prefix, ping6 of the gateway, wget over IPv6 intact', { skip, timeout: 180_000 }, async () => {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const body = crypto.randomBytes(2 * 1024 * 1024);
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  const web = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const accounting = `${fs.mkdtempSync('/tmp/dialtone-isp6-')}/acct.jsonl`;

  // ULA global id 12345abcde: the prefix is fd12:345a:bcde::/64, the gateway fd12:345a:bcde::2.
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, auth: 'pap' as const, lcpEchoInterval: 0, ipv6UlaGlobalId: '12345abcde', accounting, authTimeout: 120 };
  // authTimeout: UML may take more than the default 10 s to boot on a loaded machine.
  const logs: string[] = [];
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await isp.start();
  let status: unknown;

  const after = [
    'set -e',
    'for i in $(seq 100); do [ -e "$DT_RUN/ipv6up.args" ] && break; sleep 0.1; done',
    // SLAAC: the kernel solicits once its link-local address has passed DAD, then adds the address.
    'for i in $(seq 150); do ip -6 addr show dev ppp0 scope global | grep -q "inet6 fd12:345a:bcde:" && ! ip -6 addr show dev ppp0 | grep -q tentative && break; sleep 0.1; done',
    'ip -6 addr show dev ppp0',
    'ip -6 route show',
    'ping -6 -c 2 -W 2 fd12:345a:bcde::2',
    `wget -q -O /tmp/a "http://[fd12:345a:bcde::2]:${webPort}/file"`,
    'sha256sum /tmp/a',
  ].join('\n');
  const peer = await startPppdPeer({
    line: 'listen',
    port: isp.addresses.ppp!.port,
    ipv6: true,
    capture: true,
    pppdArgs: ['local', 'noauth', 'user', 'fred', 'noipdefault', 'noccp', '+ipv6'],
    files: { 'ppp/pap-secrets': 'fred * wilma *\n' },
    after: `${after}\ntouch "$DT_RUN/after-done"`,
    timeoutMs: 170_000,
  });
  // The status endpoint's view while the session is up.
  let ended = false;
  void peer.done.then(() => (ended = true));
  while (!ended && !fs.existsSync(`${peer.runDir}/after-done`)) {
    status = isp.status();
    await new Promise((r) => setTimeout(r, 200));
  }
  const r = await peer.done;
  await isp.stop();
  web.close();
  const why = `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}\n--- isp ---\n${logs.join('\n')}`;
  assert.equal(r.afterRc, 0, why);
  const ll = r.ipv6Up?.args[3];
  assert.ok(ll, why);
  // The SLAAC address is the prefix + pppd's IPV6CP interface identifier.
  const id = ll.replace('fe80::', '').split(':').map((g) => g.replace(/^0+(?=.)/, '')).join(':');
  assert.match(r.afterOutput, new RegExp(`inet6 fd12:345a:bcde:0?:?${id.replace(/^0:/, '')}/64 scope global`), why);
  assert.match(r.afterOutput, /2 received/, why);
  assert.ok(r.afterOutput.includes(sum), `download intact\n${why}`);
  const sessions = (status as { sessions: { ipv6Prefix?: string; ipv6Address?: string }[] }).sessions;
  assert.equal(sessions[0]?.ipv6Prefix, 'fd12:345a:bcde::/64', JSON.stringify(status));
  const acct = fs.readFileSync(accounting, 'utf8');
  assert.match(acct, /"ipv6Prefix":"fd12:345a:bcde::\/64"/, acct);
  // tshark decodes the line: our RA, the echo replies, TCP over IPv6, nothing malformed.
  const pcap = path.join(r.runDir, 'line.pcap');
  pcapFromSocatHex(path.join(r.runDir, 'line.hex'), pcap);
  const tshark = (filter: string) => execFileSync('tshark', ['-r', pcap, '-Y', filter], { encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() }, maxBuffer: 64 << 20 }).split('\n').filter((l) => l.trim());
  assert.ok(tshark('icmpv6.type == 134 && icmpv6.opt.prefix == fd12:345a:bcde:: && icmpv6.opt.rdnss').length >= 1, 'a Router Advertisement with prefix and RDNSS');
  assert.ok(tshark('icmpv6.type == 129 && ipv6.src == fd12:345a:bcde::2').length >= 2, 'echo replies from the gateway');
  assert.ok(tshark('ipv6 && tcp.srcport == ' + webPort).length > 100, 'the download over TCP/IPv6');
  assert.deepEqual(tshark('_ws.malformed || (_ws.expert.severity >= warning && !tcp)'), [], 'nothing malformed');
});
