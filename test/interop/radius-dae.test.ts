// RFC 5176 against real radclient (Debian freeradius-utils): Disconnect-Request ends the
// session (Disconnect-ACK, Acct-Terminate-Cause Admin-Reset in accounting); an unknown session
// gets Disconnect-NAK with Error-Cause Session-Context-Not-Found; CoA-Request changes the
// live session's Session-Timeout (it then ends by it) and Idle-Timeout / Filter-Id (status
// shows them); a wrong secret and a stale Event-Timestamp are ignored and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freeradiusAvailable } from '../harness/freeradius.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { PppLink } from '../../src/runtime/link.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : !freeradiusAvailable().ok ? freeradiusAvailable().why! : false;
const SECRET = 'dae-test-secret';

/** radclient's output for one request (`-r 1 -t 2`: one try; no answer is an exit status 1). */
function radclient(port: number, kind: 'disconnect' | 'coa', attrs: string, secret = SECRET): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, kind, secret], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
    p.stdin.end(`${attrs}\n`);
  });
}

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dae-'));
  const accounting = path.join(dir, 'acct.jsonl');
  const logs: string[] = [];
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, accounting, lcpEchoInterval: 0, auth: 'chap', daeListen: { host: '127.0.0.1', port: 0 }, daeClients: [{ address: '127.0.0.1', secret: SECRET }] },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }, { client: 'other', server: '*', secret: 'pw' }]),
    log: (m) => logs.push(m),
  });
  await server.start();
  const dial = async (user = 'demo', password = 'dialtone') => {
    const link = new PppLink(net.connect(server.addresses.ppp!.port, '127.0.0.1'), { user, password });
    await new Promise<void>((resolve) => link.on('ip-up', () => resolve()));
    return link;
  };
  const records = () => fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { server, dial, records, port: server.acct.dae!.port, dae: () => server.status().dae as Record<string, number> };
}

test('radclient Disconnect-Request ends the matching session (ACK, Admin-Reset); no match: NAK 503; wrong secret and stale Event-Timestamp: ignored and counted', { skip, timeout: 120_000 }, async () => {
  const { server, dial, records, port, dae } = await setup();
  try {
    const a = await dial();
    const b = await dial('other', 'pw');
    const sessions = server.liveSessions();
    const sa = sessions.find((s) => s.user === 'demo')!;
    // Wrong secret: no answer at all, counted.
    const wrong = await radclient(port, 'disconnect', `User-Name = "demo"`, 'not-the-secret');
    assert.notEqual(wrong.code, 0, wrong.out);
    assert.doesNotMatch(wrong.out, /Received Disconnect/);
    await waitUntil(() => dae().badAuthenticators >= 1, 30_000, 'the bad authenticator counted');
    // A replay: an Event-Timestamp an hour old.
    const stale = await radclient(port, 'disconnect', `User-Name = "demo", Event-Timestamp = ${Math.floor(Date.now() / 1000) - 3600}`);
    assert.doesNotMatch(stale.out, /Received Disconnect/);
    assert.ok(dae().replays >= 1);
    assert.equal(server.liveSessions().length, 2, 'nothing ended by the ignored requests');
    // No such session.
    const none = await radclient(port, 'disconnect', `User-Name = "nobody"`);
    assert.match(none.out, /Received Disconnect-NAK/, none.out);
    assert.match(none.out, /Error-Cause = Session-Context-Not-Found/, none.out);
    // The real thing, by Acct-Session-Id and Framed-IP-Address, with a fresh Event-Timestamp.
    const ok = await radclient(port, 'disconnect', `Acct-Session-Id = "${sa.acctSessionId}", Framed-IP-Address = ${sa.address}, Event-Timestamp = ${Math.floor(Date.now() / 1000)}`);
    assert.match(ok.out, /Received Disconnect-ACK/, ok.out);
    await a.done;
    await waitUntil(() => records().some((r) => r.event === 'stop' && r.user === 'demo'), 30_000, 'the stop record');
    assert.equal(records().find((r) => r.event === 'stop' && r.user === 'demo')!.terminateCause, 'Admin-Reset');
    assert.deepEqual(server.liveSessions().map((s) => s.user), ['other'], 'the other session is untouched');
    b.close();
    await b.done;
  } finally {
    await server.stop();
  }
});

test('radclient CoA-Request changes Idle-Timeout and Filter-Id of a live session, and a Session-Timeout that then ends it', { skip, timeout: 120_000 }, async () => {
  const { server, dial, records, port } = await setup();
  try {
    const link = await dial();
    const s = server.liveSessions()[0]!;
    const none = await radclient(port, 'coa', `Acct-Session-Id = "no-such-session", Session-Timeout = 5`);
    assert.match(none.out, /Received CoA-NAK/, none.out);
    const coa1 = await radclient(port, 'coa', `User-Name = "demo", Idle-Timeout = 3600, Filter-Id = "slow"`);
    assert.match(coa1.out, /Received CoA-ACK/, coa1.out);
    const info = (server.status().sessions as Array<{ id: number; limits?: { idleTimeout?: number; filterId?: string } }>).find((x) => x.id === s.id)!;
    assert.deepEqual(info.limits, { idleTimeout: 3600, filterId: 'slow' });
    const coa2 = await radclient(port, 'coa', `Acct-Session-Id = "${s.acctSessionId}", Session-Timeout = 1`);
    assert.match(coa2.out, /Received CoA-ACK/, coa2.out);
    await link.done;
    await waitUntil(() => records().some((r) => r.event === 'stop'), 30_000, 'the stop record');
    assert.equal(records().find((r) => r.event === 'stop')!.terminateCause, 'Session-Timeout');
  } finally {
    await server.stop();
  }
});
