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
import { parseCommandLine } from './options.js';
import { waitFor } from './harness.test.js';
import { freePort } from '../runtime/free-port.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

/** An HTTP/1.0 request through a SOCKS5 proxy (RFC 1928, no auth, CONNECT by name); resolves with the response body. */
function socksRequest(proxyPort: number, host: string, port: number, body?: Buffer): Promise<Buffer> {
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
        const name = Buffer.from(host);
        s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 255])]));
      }
      if (stage === 1 && buf.length >= 10) {
        if (buf[1] !== 0) return reject(new Error(`SOCKS reply ${buf[1]}`));
        buf = buf.subarray(10);
        stage = 2;
        s.write(body ? `POST / HTTP/1.0\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n\r\n` : `GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
        if (body) s.write(body);
      }
    });
    s.on('end', () => resolve(buf.subarray(buf.indexOf('\r\n\r\n') + 4)));
  });
}

const socksGet = (proxyPort: number, host: string, port: number) => socksRequest(proxyPort, host, port);
const socksPost = async (proxyPort: number, host: string, port: number, body: Buffer) => (await socksRequest(proxyPort, host, port, body)).toString();

test('socks and local-forward are pppd-style options, checked when read', () => {
  const c = parseCommandLine(['socks', '1080', 'local-forward', '8080:example.com:80', 'local-forward', '127.0.0.1:2525:mail:25']);
  assert.equal(c.socks, '1080');
  assert.deepEqual(c.localForwards, ['8080:example.com:80', '127.0.0.1:2525:mail:25']);
  assert.throws(() => parseCommandLine(['local-forward', 'nonsense']), /bad local forward/);
});

test('dialtone pppd dialling dialtone isp: applications reach the network through socks and local-forward', { timeout: 60_000 }, async () => {
  const body = crypto.randomBytes(512 * 1024);
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  const web = http.createServer((_q, r) => r.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const [socksPort, fwdPort] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-client-net-'));
  const log = path.join(dir, 'log');
  const child = spawn(process.execPath, [bin, 'pppd', `tcp:127.0.0.1:${isp.addresses.ppp!.port}`, 'user', 'demo', 'password', 'dialtone', 'usepeerdns', 'noresolvconf',
    'socks', `127.0.0.1:${socksPort}`, 'local-forward', `127.0.0.1:${fwdPort}:host.dialtone.internal:${webPort}`, 'nodetach', 'logfile', log], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: 'ignore' });
  const exit = new Promise<number | null>((r) => child.on('exit', r));
  try {
    // IP is up and both listeners are open (they open just after ip-up).
    await waitFor(() => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''), /local {2}IP address[^]*(SOCKS5 proxy on[^]*forward \S+ →|forward \S+ →[^]*SOCKS5 proxy on)/, 50_000);
    const viaSocks = await socksGet(socksPort, '10.0.2.2', webPort);
    assert.equal(crypto.createHash('sha256').update(viaSocks).digest('hex'), sum);
    const viaName = await socksGet(socksPort, 'host.dialtone.internal', webPort);
    assert.equal(crypto.createHash('sha256').update(viaName).digest('hex'), sum);
    const viaForward = await new Promise<Buffer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: fwdPort, path: '/' }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts)));
      }).on('error', reject);
    });
    assert.equal(crypto.createHash('sha256').update(viaForward).digest('hex'), sum);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exit, 5, fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
    await isp.stop();
    web.close();
  }
});

test("ten dialtone pppd clients on one dialtone isp transfer data at the same time, all intact", { timeout: 300_000 }, async (t) => {
  const body = crypto.randomBytes(1024 * 1024);
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  const web = http.createServer((q, r) => {
    if (q.method === 'POST') {
      const h = crypto.createHash('sha256');
      q.on('data', (d) => h.update(d));
      q.on('end', () => r.end(h.digest('hex')));
    } else r.end(body);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-ten-'));
  const clients = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
    const socksPort = await freePort();
    const log = path.join(dir, `log${i}`);
    const child = spawn(process.execPath, [bin, 'pppd', `tcp:127.0.0.1:${isp.addresses.ppp!.port}`, 'user', 'demo', 'password', 'dialtone', 'usepeerdns', 'noresolvconf',
      'socks', `127.0.0.1:${socksPort}`, 'nodetach', 'logfile', log], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: 'ignore' });
    return { socksPort, log, child, exit: new Promise<number | null>((r) => child.on('exit', r)) };
  }));
  try {
    for (const c of clients) {
      await waitFor(() => (fs.existsSync(c.log) ? fs.readFileSync(c.log, 'utf8') : ''), /local {2}IP address[^]*SOCKS5 proxy on/, 100_000);
    }
    const addresses = clients.map((c) => /local {2}IP address (\S+)/.exec(fs.readFileSync(c.log, 'utf8'))?.[1]);
    assert.equal(new Set(addresses).size, 10, `ten distinct addresses: ${addresses.join(' ')}`);
    const t0 = Date.now();
    const results = await Promise.all(clients.flatMap((c) => [
      socksGet(c.socksPort, 'host.dialtone.internal', webPort).then((b) => crypto.createHash('sha256').update(b).digest('hex')),
      socksPost(c.socksPort, '10.0.2.2', webPort, body),
    ]));
    const ms = Date.now() - t0;
    assert.deepEqual(results, Array(20).fill(sum), 'every download and upload arrived intact');
    assert.equal((isp.status() as { sessions: unknown[] }).sessions.length, 10);
    t.diagnostic(`ten clients: 10 MB down + 10 MB up through SOCKS, PPP and the NAT in ${ms} ms`);
  } finally {
    for (const c of clients) c.child.kill('SIGTERM');
    await Promise.all(clients.map((c) => c.exit));
    await isp.stop();
    web.close();
  }
});
