// Real pppd 2.4.9 against real pppd 2.4.9 (each in user-mode-linux, joined as in
// pppd-vs-pppd.test.ts) with MS-CHAP, MS-CHAPv2 and EAP (MD5-Challenge): the
// right secret and a wrong one. What pppd logs and how it exits here is the
// specification for dialtone (test/harness/pppd-auth-spec.ts; the same checks
// hold dialtone to it in mschap-eap.test.ts), so this file also proves those
// checks against the real thing, and the tshark checks against a capture of
// the real exchange (the client's line, socat -x, made into a pcap).
//
// DIALTONE_WRITE_AUTH_FIXTURES=1 also writes both pppd logs of every case to
// test/fixtures/pppd-auth-logs/METHOD-{ok,wrong-secret}-{server,client}.log.
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPppdPair, describePair, type PppdPair } from '../harness/pppd-pair.js';
import { pcapFromSocatHex } from '../harness/line-pcap.js';
import { AUTH_METHODS, assertAuthLog, type AuthMethod, type Outcome } from '../harness/pppd-auth-spec.js';
import { assertAuthDecoded, tsharkUnexpectedProblems } from '../harness/tshark.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtures = path.join(repo, 'test/fixtures/pppd-auth-logs');
const names = { server: 'server', client: 'fred' };

const serverArgs = (m: AuthMethod): string[] => ['local', 'auth', `require-${m}`, 'name', 'server', 'ms-dns', '10.0.0.53', '10.0.0.1:10.0.0.2'];
const CLIENT = ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'usepeerdns', 'noipdefault'];

function saveFixtures(m: AuthMethod, outcome: Outcome, p: PppdPair): void {
  if (process.env.DIALTONE_WRITE_AUTH_FIXTURES !== '1') return;
  fs.mkdirSync(fixtures, { recursive: true });
  for (const side of ['server', 'client'] as const) {
    const r = p[side];
    fs.writeFileSync(path.join(fixtures, `${m}-${outcome}-${side}.log`), `# pppd 2.4.9 ${side}, exit status ${r.exitCode}\n${r.log}`);
  }
}

for (const m of AUTH_METHODS) {
  test(`real pppd require-${m}, right secret: both authenticate, IP up, ping`, { skip, timeout: 150000 }, async (t) => {
    const capture = true;
    const p = await runPppdPair({
      serverArgs: serverArgs(m),
      serverFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
      clientArgs: CLIENT,
      clientFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
      clientAfter: 'ping -c 1 -W 2 10.0.0.1\n',
      captureClient: capture,
    });
    saveFixtures(m, 'ok', p);
    const info = describePair(p);
    t.diagnostic(`pair took ${p.totalMs} ms`);
    assert.equal(p.client.timedOut || p.server.timedOut, false, info);
    assertAuthLog(p.server.log, m, 'server', 'ok', names, info);
    assertAuthLog(p.client.log, m, 'client', 'ok', names, info);
    assert.equal(p.client.afterRc, 0, info);
    assert.match(p.client.afterOutput, /1 packets transmitted, 1 received/, info);
    assert.equal(p.client.exitCode, 5, info); // SIGTERM from the harness after the ping
    assert.equal(p.server.exitCode, 16, info); // the client's TermReq, then hangup
    if (capture) {
      const pcap = path.join(p.client.runDir, 'line.pcap');
      const n = pcapFromSocatHex(path.join(p.client.runDir, 'line.hex'), pcap);
      assert.ok(n >= 10, `${n} frames in the capture\n${info}`);
      assert.deepEqual(tsharkUnexpectedProblems(pcap), [], `tshark problems in ${pcap}`);
      assertAuthDecoded(pcap, m, 'client', names, info);
    }
  });

  test(`real pppd require-${m}, wrong secret: server exits 11, client exits 19`, { skip, timeout: 150000 }, async (t) => {
    const p = await runPppdPair({
      serverArgs: serverArgs(m),
      serverFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
      clientArgs: CLIENT,
      clientFiles: { 'ppp/chap-secrets': 'fred server wrong *\n' },
      clientAfter: 'echo should-not-run\n',
    });
    saveFixtures(m, 'wrong-secret', p);
    const info = describePair(p);
    t.diagnostic(`pair took ${p.totalMs} ms`);
    assertAuthLog(p.server.log, m, 'server', 'wrong-secret', names, info);
    assertAuthLog(p.client.log, m, 'client', 'wrong-secret', names, info);
    assert.equal(p.server.exitCode, 11, info); // EXIT_PEER_AUTH_FAILED
    assert.equal(p.client.exitCode, 19, info); // EXIT_AUTH_TOPEER_FAILED
    assert.equal(p.client.ipUp, undefined, info);
    assert.equal(p.client.afterRc, null, info);
  });

  test(`real pppd require-${m} against a client with refuse-${m}: server exits 11, client 16`, { skip, timeout: 150000 }, async (t) => {
    const p = await runPppdPair({
      serverArgs: serverArgs(m),
      serverFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
      clientArgs: [...CLIENT, `refuse-${m}`],
      clientFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
      clientAfter: 'echo should-not-run\n',
    });
    saveFixtures(m, 'refused', p);
    const info = describePair(p);
    t.diagnostic(`pair took ${p.totalMs} ms`);
    assertAuthLog(p.server.log, m, 'server', 'refused', names, info);
    assertAuthLog(p.client.log, m, 'client', 'refused', names, info);
    assert.equal(p.server.exitCode, 11, info); // EXIT_PEER_AUTH_FAILED
    assert.equal(p.client.exitCode, 16, info); // EXIT_HANGUP, after LCP terminated by peer
    assert.equal(p.client.ipUp, undefined, info);
    assert.equal(p.server.ipUp, undefined, info);
  });
}
