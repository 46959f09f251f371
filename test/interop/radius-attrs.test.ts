// Issue 10's session attributes against real peers: real FreeRADIUS (its own instance) answers
// with Framed-Pool, Filter-Id, Framed-MTU and MS-Primary/Secondary-DNS-Server; real pppd 2.4.9
// in user-mode-linux dials `dialtone isp` and shows the address from the named pool, the DNS
// addresses (usepeerdns), and the MTU in effect (the MSS its TCP uses towards the NAT, from
// Framed-MTU - 40); a download through the NAT is no faster than the rate-limit the Filter-Id
// names allows, and after a real radclient CoA-Request changes the Filter-Id the next
// download is no faster than the new, slower rate allows.
//
// The rate checks are upper bounds only (bytes <= burst + rate * elapsed, with elapsed measured
// from before the first byte could be sent to after the last one arrived): load can only
// slow a transfer, so they cannot flake.
//
// DIALTONE_SKIP_INTEROP=1 skips this test; otherwise a missing UML or FreeRADIUS fails it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { relayWhenPppdSpeaks } from '../harness/pppd-relay.js';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import { IspServer } from '../../src/isp/server.js';
import { parseIspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { bucketSpec } from '../../src/isp/rate-limits.js';
import { staticSecrets } from '../../src/ppp/secrets.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const SECRET = 'radius-attrs-Secret-7';
const DAE_SECRET = 'radius-attrs-coa-9';
const AUTHORIZE = [
  'wilma Cleartext-Password := "pebbles"',
  '\tFramed-Pool = "gold",',
  '\tFilter-Id = "slow",',
  '\tFramed-MTU = 1200,',
  '\tMS-Primary-DNS-Server = 192.0.2.53,',
  '\tMS-Secondary-DNS-Server = 192.0.2.54',
  '',
].join('\n');
// slow: 256 kbit/s down (32000 B/s); slower: 32 kbit/s down (4000 B/s).
const A_BYTES = 96_000;
const B_BYTES = 24_000;

const running: FreeRadius[] = [];
after(async () => {
  for (const r of running) await r.stop();
});

function radclientCoa(port: number, attrs: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn('radclient', ['-x', '-r', '3', '-t', '5', `127.0.0.1:${port}`, 'coa', DAE_SECRET], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', () => resolve(out));
    p.stdin.end(`${attrs}\n`);
  });
}

test('real FreeRADIUS + pppd in UML: Framed-Pool address, MS DNS, Framed-MTU, Filter-Id rate limit, and a CoA that changes it', { skip, timeout: 300_000 }, async () => {
  assert.ok(umlAvailable().ok, umlAvailable().why);
  assert.ok(freeradiusAvailable().ok, freeradiusAvailable().why);
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  const config = {
    ...parseIspConfig([
      'pool 10.0.2.15-10.0.2.99',
      'pool-name gold 10.0.2.100-10.0.2.119',
      'rate-limit slow 256 64',
      'rate-limit slower 32 32',
      'auth pap',
      'lcp-echo-interval 0',
      'auth-timeout 300',
      `radius-auth 127.0.0.1:${fr.authPort}`,
      `radius-secret ${SECRET}`,
      'radius-timeout 2',
      'radius-retries 2',
      'dae-listen 127.0.0.1:0',
      `dae-client 127.0.0.1 ${DAE_SECRET}`,
      'ipv6-prefix off',
    ].join('\n'), 'radius-attrs.conf'),
    listenPpp: { host: '127.0.0.1', port: 0 },
  };
  const logs: string[] = [];
  const isp = new IspServer({ config, secrets: staticSecrets([]), backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await isp.start();
  const daePort = isp.acct.dae!.port;

  // The host side of the transfers: when each request arrives, and the CoA in between.
  const t: Record<string, number> = {};
  let coaOut = '';
  const web = http.createServer((req, res) => {
    t[req.url!] = Date.now();
    if (req.url === '/a') return res.end(Buffer.alloc(A_BYTES, 0x61));
    if (req.url === '/b') return res.end(Buffer.alloc(B_BYTES, 0x62));
    if (req.url === '/coa') {
      void radclientCoa(daePort, 'User-Name = "wilma", Filter-Id = "slower"').then((out) => {
        coaOut = out;
        res.end(/Received CoA-ACK/.test(out) ? 'acked\n' : 'not acked\n');
      });
      return;
    }
    res.end('ok\n');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as net.AddressInfo).port;
  const base = `http://10.0.2.2:${port}`;
  const script = [
    'set -e',
    // /a in the background while ss shows the MSS the client's TCP uses (Framed-MTU 1200 - 40).
    `curl -s -o /tmp/a ${base}/a & pid=$!`,
    'for i in $(seq 1 100); do ss -tin dst 10.0.2.2 | grep -q " mss:" && break; sleep 0.1; done',
    'ss -tin dst 10.0.2.2',
    'wait $pid',
    'echo "a-bytes $(wc -c </tmp/a)"',
    `curl -s ${base}/coa`,
    `curl -s -o /tmp/b ${base}/b`,
    'echo "b-bytes $(wc -c </tmp/b)"',
    `curl -s ${base}/done`,
  ].join('\n');
  const relay = await relayWhenPppdSpeaks(isp.addresses.ppp!.port);
  try {
    const peer = await startPppdPeer({
      line: 'listen', port: relay.port, timeoutMs: 250_000,
      pppdArgs: ['local', 'noauth', 'noipdefault', 'noipv6', 'noccp', 'usepeerdns', 'user', 'wilma'],
      files: { 'ppp/pap-secrets': 'wilma * pebbles *\n' }, after: script,
    });
    const r = await peer.done;
    const w = `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after (rc ${r.afterRc}) ---\n${r.afterOutput}\n--- isp ---\n${logs.join('\n')}\n--- radclient ---\n${coaOut}\n--- freeradius (tail) ---\n${fr.log().slice(-4000)}`;
    assert.equal(r.afterRc, 0, w);
    // Framed-Pool "gold": its first address.
    assert.match(r.log, /local {2}IP address 10\.0\.2\.100/, w);
    // MS-Primary/Secondary-DNS-Server instead of isp.conf's dns (RFC 1877 via IPCP).
    assert.match(r.log, /primary {3}DNS address 192\.0\.2\.53/, w);
    assert.match(r.log, /secondary DNS address 192\.0\.2\.54/, w);
    // Framed-MTU 1200: the NAT's TCP offers MSS 1160, the client's TCP sends with it.
    assert.match(r.afterOutput, /\bmss:1160\b/, w);
    assert.ok(logs.some((l) => /Framed-MTU 1200: session MTU 1200/.test(l)), w);
    assert.match(r.afterOutput, new RegExp(`a-bytes ${A_BYTES}\\b`), w);
    assert.match(r.afterOutput, new RegExp(`b-bytes ${B_BYTES}\\b`), w);
    assert.match(r.afterOutput, /acked/, w);
    assert.doesNotMatch(r.afterOutput, /not acked/, w);
    // Filter-Id "slow": /a no faster than 256 kbit/s allows.
    const slow = bucketSpec(config.rateLimits.find((x) => x.name === 'slow')!, 'down');
    const aMs = t['/coa']! - t['/a']!;
    assert.ok(A_BYTES <= slow.burst + (slow.rate * aMs) / 1000, `${A_BYTES} bytes in ${aMs} ms at ${slow.rate} B/s\n${w}`);
    // CoA Filter-Id "slower": /b no faster than 32 kbit/s allows (at the old rate it would take a sixth of that).
    const slower = bucketSpec(config.rateLimits.find((x) => x.name === 'slower')!, 'down');
    const bMs = t['/done']! - t['/b']!;
    assert.ok(B_BYTES <= slower.burst + (slower.rate * bMs) / 1000, `${B_BYTES} bytes in ${bMs} ms at ${slower.rate} B/s\n${w}`);
    assert.ok(logs.some((l) => /rate-limit slow: 256 kbit\/s down/.test(l)), w);
    assert.ok(logs.some((l) => /rate-limit slower: 32 kbit\/s down/.test(l)), w);
    const shown = [...r.log.split('\n').filter((l) => /IP address|DNS address/.test(l)), ...r.afterOutput.split('\n').filter((l) => / mss:/.test(l)).map((l) => l.trim().replace(/^(.*?\bmss:\d+).*$/, '$1'))];
    console.log(shown.map((l) => `# ${l}`).join('\n'));
    console.log(`# /a ${A_BYTES} B in ${aMs} ms (${Math.round((A_BYTES * 8) / aMs)} kbit/s, limit 256); /b ${B_BYTES} B in ${bMs} ms (${Math.round((B_BYTES * 8) / bMs)} kbit/s, limit 32)`);
  } finally {
    relay.close();
    web.close();
    await isp.stop();
  }
});
