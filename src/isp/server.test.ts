import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from './server.js';
import { defaultIspConfig, parseIspConfig, IspConfigError } from './config.js';
import { AddressPool } from './pool.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { runChat } from '../runtime/chat-run.js';
import { waitUntil } from '../runtime/wait-until.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/isp.conf');

test('the example isp.conf parses to what it documents', () => {
  const c = parseIspConfig(fs.readFileSync(example, 'utf8'), 'isp.conf');
  assert.deepEqual(c.listenPpp, { host: '127.0.0.1', port: 2323 });
  assert.deepEqual(c.listenModem, { host: '127.0.0.1', port: 6400 });
  assert.equal(c.phone, '555-1000');
  assert.equal(c.pool, '10.0.2.15-10.0.2.254');
  assert.deepEqual(c.accounts, [{ user: 'demo', password: 'dialtone' }]);
  assert.equal(c.auth, 'any');
});

test('config errors name the file, line and key', () => {
  assert.throws(() => parseIspConfig('gateway 10.0.2.2\nfrobnicate 1\n', 'isp.conf'), new IspConfigError("isp.conf:2: unknown keyword 'frobnicate'"));
  assert.throws(() => parseIspConfig('dns tendot', 'isp.conf'), /isp\.conf:1: dns: not an IPv4 address/);
  assert.throws(() => parseIspConfig('pool 10.0.2.9-10.0.2.1', 'isp.conf'), /isp\.conf:1: empty pool/);
});

test('the address pool hands out the lowest free address and takes it back', () => {
  const p = AddressPool.parse('10.0.2.15-10.0.2.16');
  const a = p.take()!;
  const b = p.take()!;
  assert.equal(p.take(), undefined);
  p.give(a);
  assert.equal(p.take(), a);
  assert.equal(b - a, 1);
});

async function startIsp(over: Partial<ReturnType<typeof defaultIspConfig>> = {}) {
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-isp-')), 'acct.jsonl');
  const logs: string[] = [];
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, status: { host: '127.0.0.1', port: 0 }, accounting, lcpEchoInterval: 0, ...over },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: (m) => logs.push(m),
  });
  await server.start();
  return { server, accounting, logs };
}

function dial(port: number) {
  const link = new PppLink(net.connect(port, '127.0.0.1'), { user: 'demo', password: 'dialtone', usePeerDns: true });
  const up = new Promise<{ local: string; remote: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
  return { link, up };
}

test('isp: two raw-PPP clients get pool addresses, DNS and the gateway; status and accounting see them', { timeout: 20_000 }, async () => {
  const { server, accounting } = await startIsp();
  const a = dial(server.addresses.ppp!.port);
  const b = dial(server.addresses.ppp!.port);
  const [ua, ub] = await Promise.all([a.up, b.up]);
  assert.deepEqual([ua.local, ub.local].sort(), ['10.0.2.15', '10.0.2.16']);
  assert.equal(ua.remote, '10.0.2.2');
  assert.deepEqual(ua.dns, ['10.0.2.3', '10.0.2.3']);
  const st = (await (await fetch(`http://127.0.0.1:${server.addresses.status!.port}/status`)).json()) as { sessions: { user: string; address: string }[]; pool: { inUse: number } };
  assert.equal(st.sessions.length, 2);
  assert.deepEqual(st.sessions.map((s) => s.user), ['demo', 'demo']);
  assert.equal(st.pool.inUse, 2);
  a.link.close();
  b.link.close();
  await Promise.all([a.link.done, b.link.done]);
  await waitUntil(() => !server.status() || !(server.status() as { sessions: unknown[] }).sessions.length, 60_000, 'the sessions to end');
  const records = fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; bytesIn?: number; user?: string });
  assert.equal(records.filter((r) => r.event === 'start').length, 2);
  const stops = records.filter((r) => r.event === 'stop');
  assert.equal(stops.length, 2);
  assert.ok(stops.every((r) => r.bytesIn! > 0 && r.user === 'demo'));
  await server.stop();
});

test('isp: a client that vanishes (socket destroyed) is still accounted, and its address returns to the pool', { timeout: 20_000 }, async () => {
  const { server, accounting } = await startIsp({ pool: '10.0.2.15-10.0.2.15' });
  const sock = net.connect(server.addresses.ppp!.port, '127.0.0.1');
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone' });
  await new Promise((resolve) => link.on('ip-up', resolve));
  sock.destroy();
  await waitUntil(() => fs.readFileSync(accounting, 'utf8').includes('"stop"'), 60_000, 'the stop record');
  assert.match(fs.readFileSync(accounting, 'utf8'), /"event":"stop".*"status":16/);
  const again = dial(server.addresses.ppp!.port);
  assert.equal((await again.up).local, '10.0.2.15');
  again.link.close();
  await again.link.done;
  await server.stop();
});

test('isp: a modem caller dials the ISP number and gets PPP through AutoPPP', { timeout: 20_000 }, async () => {
  const { server } = await startIsp({ listenModem: { host: '127.0.0.1', port: 0 }, phone: '555-1000' });
  const sock = net.connect(server.addresses.modem!.port, '127.0.0.1');
  assert.equal((await runChat("'' ATZ OK ATDT5551000 CONNECT ''", sock, { timeout: 10 })).code, 0);
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone' });
  const up = await new Promise<{ local: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  link.close();
  await link.done;
  await server.stop();
});

test('isp with auth none: a caller that does not authenticate (pppd noauth) gets a pool address and reaches IP-up', { timeout: 20_000 }, async () => {
  const { server, logs } = await startIsp({ auth: 'none' });
  const link = new PppLink(net.connect(server.addresses.ppp!.port, '127.0.0.1'), { usePeerDns: true });
  const up = await new Promise<{ local: string; remote: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  assert.equal(up.remote, '10.0.2.2');
  const st = server.status() as { sessions: { address: string }[]; pool: { inUse: number } };
  assert.deepEqual(st.sessions.map((s) => s.address), ['10.0.2.15']);
  assert.equal(st.pool.inUse, 1);
  link.close();
  await link.done;
  await waitUntil(() => (server.status() as { pool: { inUse: number } }).pool.inUse === 0, 60_000, 'the address to come back');
  await server.stop();
  assert.ok(!logs.some((l) => /Could not determine/.test(l)), logs.join('\n'));
});
