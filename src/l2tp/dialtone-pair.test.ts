/**
 * Two dialtones over L2TP on loopback UDP: `dialtone pppd l2tp:HOST:PORT` as the LAC,
 * `dialtone isp listen-l2tp` as the LNS, with tunnel authentication; and a tunnel that
 * keeps working while a relay drops 5% of the control messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig } from '../isp/config.js';
import { natBackendFactory } from '../isp/backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { FrameLink } from '../ppp/link/frame-link.js';
import { waitUntil } from '../runtime/wait-until.js';
import { L2tpUdp } from '../runtime/l2tp-udp.js';
import { listenUdpFaultRelay, l2tpControl } from '../runtime/udp-fault-relay.js';
import { freePort } from '../runtime/free-port.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

/** GET / through a SOCKS5 proxy (RFC 1928, no auth, CONNECT to an IPv4 address). */
function socksGet(proxyPort: number, host: string, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxyPort, '127.0.0.1');
    let stage = 0;
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.write(Buffer.from([5, 1, 0]));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 2) {
        buf = buf.subarray(2);
        stage = 1;
        s.write(Buffer.from([5, 1, 0, 1, ...host.split('.').map(Number), port >> 8, port & 255]));
      }
      if (stage === 1 && buf.length >= 10) {
        if (buf[1] !== 0) return reject(new Error(`SOCKS reply ${buf[1]}`));
        buf = buf.subarray(10);
        stage = 2;
        s.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
      }
    });
    s.on('end', () => resolve(buf.subarray(buf.indexOf('\r\n\r\n') + 4)));
  });
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function isp(extra: Partial<ReturnType<typeof defaultIspConfig>> = {}) {
  const logs: string[] = [];
  const config = { ...defaultIspConfig(), listenL2tp: { host: '127.0.0.1', port: 0 }, l2tpSecret: 'tunnel-pw', l2tpHostname: 'lns.test', lcpEchoInterval: 0, ...extra };
  const server = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: (m) => logs.push(m) });
  await server.start();
  return { server, logs, port: server.addresses.l2tp!.port };
}

test('dialtone pppd as an L2TP LAC dials dialtone isp as the LNS: tunnel auth, IP up, a file arrives intact', { timeout: 90_000 }, async () => {
  const body = crypto.randomBytes(512 * 1024);
  const web = http.createServer((_q, r) => r.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const lns = await isp();
  const socksPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-l2tp-'));
  const log = path.join(dir, 'log');
  const child = spawn(process.execPath, [bin, 'pppd', `l2tp:127.0.0.1:${lns.port}`, 'l2tp-secret', 'tunnel-pw', 'l2tp-hostname', 'lac.test',
    'user', 'demo', 'password', 'dialtone', 'noresolvconf', 'socks', `127.0.0.1:${socksPort}`, 'nodetach', 'debug', 'logfile', log], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: 'ignore' });
  const exit = new Promise<number | null>((r) => child.on('exit', r));
  const text = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  try {
    await waitUntil(() => /local {2}IP address[^]*SOCKS5 proxy on/.test(text()), 60_000, 'IP up on the LAC');
    assert.match(text(), /Connect: ppp0 <--> l2tp:127\.0\.0\.1:\d+/);
    const got = await socksGet(socksPort, '10.0.2.2', webPort);
    assert.equal(sha(got), sha(body));
    const sessions = (lns.server.status() as { sessions: { origin: string; user?: string }[] }).sessions;
    assert.equal(sessions.length, 1);
    assert.match(sessions[0]!.origin, /^l2tp 127\.0\.0\.1:\d+ \(lac\.test\) tunnel \d+ session \d+$/);
    assert.equal(sessions[0]!.user, 'demo');
    assert.ok(!lns.logs.join('\n').includes('tunnel-pw'), 'the tunnel secret is never logged');
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exit, 5, text());
    // The LNS heard the CDN / StopCCN: the session is gone.
    await waitUntil(() => lns.server.liveCount === 0, 20_000, 'LNS session ended');
    await lns.server.stop();
    web.close();
  }
});

test('a LAC with the wrong tunnel secret is refused by dialtone isp: no PPP session starts', { timeout: 60_000 }, async () => {
  const lns = await isp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-l2tp-bad-'));
  const log = path.join(dir, 'log');
  const child = spawn(process.execPath, [bin, 'pppd', `l2tp:127.0.0.1:${lns.port}`, 'l2tp-secret', 'wrong', 'user', 'demo', 'password', 'dialtone', 'nodetach', 'logfile', log],
    { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: 'ignore' });
  const status = await new Promise<number | null>((r) => child.on('exit', r));
  const text = fs.readFileSync(log, 'utf8');
  assert.equal(status, 7, text); // pppd EXIT_OPEN_FAILED: the line could not be opened
  assert.match(text, /Failed to open l2tp:127\.0\.0\.1:\d+: .*(authentication failed|StopCCN)/);
  assert.equal(lns.server.totals.sessions, 0);
  await lns.server.stop();
});

test('an L2TP tunnel survives 5% control-message loss: retransmissions keep it and its PPP session up', { timeout: 120_000 }, async () => {
  const lns = await isp({ lcpEchoInterval: 1, lcpEchoFailure: 10 });
  const relay = await listenUdpFaultRelay({ target: { host: '127.0.0.1', port: lns.port }, loss: 0.05, seed: 'l2tp-5', only: l2tpControl });
  // A LAC that says HELLO every 100 ms: plenty of control traffic for the relay to lose.
  const lac = await L2tpUdp.listen({ host: '127.0.0.1', port: 0, hostName: 'lac.test', secret: 'tunnel-pw', helloMs: 100, timing: { maxRetries: 8 } });
  try {
    const call = await lac.dial('127.0.0.1', relay.port);
    const link = new PppLink(call.stream, { user: 'demo', password: 'dialtone', noipv6: true, linkLayer: new FrameLink({ addressControl: true }) });
    let up = false;
    link.on('ip-up', () => (up = true));
    await waitUntil(() => up, 60_000, 'IP up through the lossy relay');
    const tunnel = lac.endpoint.tunnel(call.tunnel)!;
    await waitUntil(() => relay.stats.dropped >= 4 && tunnel.channel.counters.retransmitted >= 2, 90_000, 'control messages lost and retransmitted');
    assert.equal(tunnel.state, 'established');
    assert.equal(link.session.phase, 'Network');
    assert.equal((lns.server.status() as { sessions: unknown[] }).sessions.length, 1);
    link.close();
    await link.done;
  } finally {
    await lac.close();
    await relay.close();
    await lns.server.stop();
  }
});
