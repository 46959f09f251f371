import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig, parseIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { waitUntil } from '../runtime/wait-until.js';
import { memoryEthernetPair } from './ethernet.js';
import { dialPppoe } from '../runtime/pppoe-dial.js';
import { parseMac } from './frame.js';
import { pppoeLinkLayer, pppoeSessionOptions } from './ppp-options.js';

const HOST = parseMac('02:00:00:00:00:01')!;
const AC = parseMac('02:00:00:00:00:a1')!;

async function setup() {
  const [hostPort, acPort] = memoryEthernetPair(HOST, AC);
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-pppoe-')), 'acct.jsonl');
  const logs: string[] = [];
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenPppoe: ['mem1'], pppoeServices: ['internet'], pppoeAcName: 'dialtone-test', accounting, lcpEchoInterval: 0 },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: (m) => logs.push(m),
    ethernet: async () => acPort,
  });
  await server.start();
  const dialed = await dialPppoe(hostPort, { service: 'internet', hostUniq: Buffer.from('uniq') }, () => undefined);
  const link = new PppLink(dialed.stream, { user: 'demo', password: 'dialtone', usePeerDns: true, linkLayer: pppoeLinkLayer(dialed.mtu), ...pppoeSessionOptions(dialed.mtu) });
  const up = new Promise<{ local: string; remote: string }>((resolve) => link.on('ip-up', resolve));
  return { server, dialed, link, up, accounting, logs };
}

const records = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; origin: string; address?: string }) : []);

test('dialtone isp listen-pppoe: a PPPoE client authenticates, gets a pool address and is accounted; its PADT-backed hangup ends the session', { timeout: 30_000 }, async () => {
  const { server, dialed, link, up, accounting } = await setup();
  assert.equal(dialed.acName, 'dialtone-test');
  assert.equal(dialed.mtu, 1492);
  const ip = await up;
  assert.equal(ip.local, '10.0.2.15');
  assert.equal(ip.remote, '10.0.2.2');
  const st = server.status();
  assert.equal(st.sessions.length, 1);
  assert.match(st.sessions[0]!.origin, /^pppoe mem1 02:00:00:00:00:01 session \d+$/);
  await waitUntil(() => records(accounting).some((r) => r.event === 'start'), 10_000);
  link.close();
  assert.equal(await link.done, 5, 'pppd EXIT_USER_REQUEST');
  await waitUntil(() => server.liveCount === 0 && server.pppoe[0]!.ac.sessionCount === 0, 10_000);
  await waitUntil(() => records(accounting).some((r) => r.event === 'stop'), 10_000);
  await server.stop(2000);
});

test('stopping dialtone isp ends PPPoE sessions with Terminate-Request and then PADT', { timeout: 30_000 }, async () => {
  const { server, link, up, dialed, logs } = await setup();
  await up;
  await server.stop(5000);
  assert.ok(logs.some((l) => /session ended \(exit status 5\)/.test(l)));
  // The driver lets the line go on an unref'd timer; keep the loop alive as a process would.
  const keep = setInterval(() => undefined, 1000);
  const status = await link.done;
  clearInterval(keep);
  assert.ok(status !== undefined);
  assert.equal(dialed.client.phase, 'closed');
  assert.equal(server.pppoe[0]!.ac.sessionCount, 0);
});

test('isp.conf takes listen-pppoe, pppoe-service and pppoe-ac-name', () => {
  const c = parseIspConfig('listen-pppoe eth1\nlisten-pppoe eth2\npppoe-service internet\npppoe-service voip\npppoe-ac-name ACME-BRAS\n', 'isp.conf');
  assert.deepEqual(c.listenPppoe, ['eth1', 'eth2']);
  assert.deepEqual(c.pppoeServices, ['internet', 'voip']);
  assert.equal(c.pppoeAcName, 'ACME-BRAS');
  assert.throws(() => parseIspConfig('listen-pppoe eth0/../x\n', 'isp.conf'), /isp\.conf:1: listen-pppoe: want an interface name/);
});
