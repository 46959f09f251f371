// Accounting that loses nothing, against real FreeRADIUS (its `detail` module writes what it
// received): Start, Interim-Update and Stop with the octets dialtone counted; FreeRADIUS
// stopped while sessions run and end (the spool delivers when it returns, in order, with
// Acct-Delay-Time); `kill -9` of a `dialtone isp` process mid-session and a restart: every
// session that was up gets its Stop. Records sent are counted against records received.
// Clients are in-process dialtone PPP clients over TCP (the wire format of accounting does not
// depend on the client; test/interop/isp.test.ts covers real pppd against `dialtone isp`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import { readDetail, type DetailRecord } from '../harness/radius-detail.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig, type IspConfig } from '../../src/isp/config.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { PppLink } from '../../src/runtime/link.js';
import { waitUntil } from '../../src/runtime/wait-until.js';
import { freePort } from '../../src/runtime/free-port.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : !freeradiusAvailable().ok ? freeradiusAvailable().why! : false;
const SECRET = 'acct-test-secret';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-radacct-'));
}

function dial(port: number) {
  const link = new PppLink(net.connect(port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
  const up = new Promise<void>((resolve) => link.on('ip-up', () => resolve()));
  return { link, up };
}

/** Sends `n` echo requests on the link (LCP Echo: bytes both ways that every counter sees). */
function traffic(link: PppLink, n: number): void {
  for (let i = 0; i < n; i++) link.sendIp(Buffer.from('4500001c0000000040010000' + '0a00020f0a000202' + '0800f7ff00000000', 'hex'));
}

/** Waits until the port accepts a connection (the child listens). */
async function listening(port: number, log: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), r(true))).on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`dialtone isp does not listen\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function byStatus(recs: DetailRecord[], status: string): DetailRecord[] {
  return recs.filter((r) => r['Acct-Status-Type'] === status);
}

async function startIsp(fr: FreeRadius, spool: string, over: Partial<IspConfig> = {}) {
  const accounting = path.join(spool, 'acct.jsonl');
  const logs: string[] = [];
  const server = new IspServer({
    config: {
      ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, accounting, lcpEchoInterval: 0, auth: 'chap',
      radiusAcct: [{ host: '127.0.0.1', port: fr.acctPort, secret: SECRET }], accountingSpool: spool, ...over,
    },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: (m) => logs.push(m),
    accounting: { retryMs: 300 },
  });
  await server.start();
  return { server, accounting, logs };
}

function localRecords(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('real FreeRADIUS receives Accounting-On, Start, Interim-Update and Stop with the octets dialtone counted', { skip, timeout: 120_000 }, async () => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: '' });
  const spool = tmp();
  try {
    const { server, accounting } = await startIsp(fr, spool, { radiusAcctInterim: 1 });
    const clients = [dial(server.addresses.ppp!.port), dial(server.addresses.ppp!.port)];
    await Promise.all(clients.map((c) => c.up));
    for (const c of clients) traffic(c.link, 20);
    await waitUntil(() => byStatus(readDetail(fr.detailFile), 'Interim-Update').length >= 2, 60_000, 'Interim-Updates at FreeRADIUS');
    for (const c of clients) c.link.close();
    await Promise.all(clients.map((c) => c.link.done));
    await waitUntil(() => byStatus(readDetail(fr.detailFile), 'Stop').length === 2, 60_000, 'two Stops at FreeRADIUS');
    await server.stop();
    const recs = readDetail(fr.detailFile);
    assert.equal(byStatus(recs, 'Accounting-On').length, 1);
    assert.equal(byStatus(recs, 'Accounting-Off').length, 1);
    assert.equal(byStatus(recs, 'Start').length, 2);
    const stops = localRecords(accounting).filter((r) => r.event === 'stop');
    assert.equal(stops.length, 2);
    for (const local of stops) {
      const theirs = byStatus(recs, 'Stop').find((r) => r['Acct-Session-Id'] === local.acctSessionId);
      assert.ok(theirs, `FreeRADIUS has the Stop of ${String(local.acctSessionId)}`);
      assert.equal(Number(theirs['Acct-Input-Octets']), local.bytesIn);
      assert.equal(Number(theirs['Acct-Output-Octets']), local.bytesOut);
      assert.equal(Number(theirs['Acct-Input-Packets']), local.framesIn);
      assert.equal(Number(theirs['Acct-Output-Packets']), local.framesOut);
      // The client's close() sends LCP Terminate-Request "User request": pppd's radius plugin
      // reports User-Request (its status at ip-down), whenever the line drops after.
      assert.equal(theirs['Acct-Terminate-Cause'], 'User-Request');
      assert.equal(theirs['User-Name'], 'demo');
      assert.equal(theirs['Acct-Multi-Session-Id'], local.acctSessionId);
      assert.equal(theirs['Framed-IP-Address'], local.address);
      assert.ok(Number(local.bytesIn) > 0);
    }
  } finally {
    await fr.stop();
  }
});

test('FreeRADIUS stopped while sessions run and end: the records wait in the spool and arrive in order when it returns', { skip, timeout: 180_000 }, async () => {
  let fr = await startFreeRadius({ secret: SECRET, authorize: '' });
  const ports = { authPort: fr.authPort, acctPort: fr.acctPort };
  const spool = tmp();
  const received: DetailRecord[] = [];
  try {
    const { server } = await startIsp(fr, spool);
    const first = [dial(server.addresses.ppp!.port), dial(server.addresses.ppp!.port)];
    await Promise.all(first.map((c) => c.up));
    await waitUntil(() => byStatus(readDetail(fr.detailFile), 'Start').length === 2, 60_000, 'the first Starts');
    received.push(...readDetail(fr.detailFile));
    await fr.stop();
    // While it is down: the first two end, two more come and one of them ends.
    for (const c of first) c.link.close();
    await Promise.all(first.map((c) => c.link.done));
    const second = [dial(server.addresses.ppp!.port), dial(server.addresses.ppp!.port)];
    await Promise.all(second.map((c) => c.up));
    second[0]!.link.close();
    await second[0]!.link.done;
    await waitUntil(() => (server.status().accounting?.spool?.records ?? 0) >= 5, 60_000, 'five records spooled');
    fr = await startFreeRadius({ secret: SECRET, authorize: '', ...ports });
    await waitUntil(() => server.status().accounting?.spool?.records === 0, 120_000, 'the spool delivered');
    second[1]!.link.close();
    await second[1]!.link.done;
    await server.stop();
    received.push(...readDetail(fr.detailFile));
    const st = server.status().accounting!;
    // Sent = spooled; received = what FreeRADIUS wrote; no record lost, none twice.
    const sessions = [...new Set(received.filter((r) => r['Acct-Session-Id']).map((r) => r['Acct-Session-Id']))];
    assert.equal(sessions.length, 4);
    for (const id of sessions) {
      const mine = received.filter((r) => r['Acct-Session-Id'] === id).map((r) => r['Acct-Status-Type']);
      assert.deepEqual(mine, ['Start', 'Stop'], `${id}: ${mine.join(', ')}`);
    }
    assert.equal(received.length, st.spool!.enqueued, 'records received = records spooled');
    // Every record says how long it waited (its value is proved on a virtual clock in accounting.test.ts).
    assert.ok(received.every((r) => /^\d+$/.test(r['Acct-Delay-Time'] ?? '')), 'Acct-Delay-Time on every record');
    // In order: what the spool took while FreeRADIUS was down arrives in that order (Stops of the first two, then the second Starts).
    const after = readDetail(fr.detailFile).map((r) => r['Acct-Status-Type']);
    assert.deepEqual(after.slice(0, 5), ['Stop', 'Stop', 'Start', 'Start', 'Stop']);
  } finally {
    await fr.stop();
  }
});

test('kill -9 of dialtone isp mid-session, restart: FreeRADIUS receives a Stop for every session that was up', { skip, timeout: 180_000 }, async () => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: '' });
  const dir = tmp();
  const port = await freePort();
  const conf = path.join(dir, 'isp.conf');
  fs.writeFileSync(conf, [
    `listen-ppp 127.0.0.1:${port}`, 'auth chap', 'account demo dialtone', 'lcp-echo-interval 0',
    `accounting ${dir}/acct.jsonl`, `accounting-spool ${dir}/spool`,
    `radius-acct 127.0.0.1:${fr.acctPort} ${SECRET}`, 'radius-acct-interim 1', '',
  ].join('\n'));
  const startChild = () => {
    const child = spawn(process.execPath, [path.join(root, 'bin/dialtone'), 'isp', '--config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    return { child, log: () => err };
  };
  try {
    const a = startChild();
    await listening(port, a.log);
    const clients = [dial(port), dial(port), dial(port)];
    await Promise.all(clients.map((c) => c.up));
    for (const c of clients) traffic(c.link, 10);
    // Each session has written interim state at least once after its traffic.
    await waitUntil(() => byStatus(readDetail(fr.detailFile), 'Interim-Update').length >= 3, 60_000, 'Interim-Updates');
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    await Promise.all(clients.map((c) => c.link.done));
    const b = startChild();
    await listening(port, b.log);
    await waitUntil(() => byStatus(readDetail(fr.detailFile), 'Stop').length >= 3, 60_000, `the Stops after the restart\n${b.log()}`);
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
    const recs = readDetail(fr.detailFile);
    const started = byStatus(recs, 'Start').map((r) => r['Acct-Session-Id']).sort();
    const stopped = byStatus(recs, 'Stop').map((r) => r['Acct-Session-Id']).sort();
    assert.equal(started.length, 3);
    assert.deepEqual(stopped, started, 'a Stop for every Start');
    for (const s of byStatus(recs, 'Stop')) {
      assert.equal(s['Acct-Terminate-Cause'], 'NAS-Reboot');
      assert.ok(Number(s['Acct-Input-Octets']) > 0);
    }
    assert.equal(byStatus(recs, 'Accounting-On').length, 2, 'one Accounting-On per start');
    const local = localRecords(`${dir}/acct.jsonl`).filter((r) => r.event === 'stop' && r.recovered === true);
    assert.equal(local.length, 3, 'the local accounting file has the recovered Stops too');
  } finally {
    await fr.stop();
  }
});
