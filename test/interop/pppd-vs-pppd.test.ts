// Self-check of the user-mode-linux harness: two real pppd 2.4.9, each in its
// own UML, talk to each other. The server's socat listens ('connect' line); the
// client's socat connects straight to that port ('listen' line with the server's
// port), so the two PTYs are joined by two socats over one TCP connection.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PppdPeerResult } from '../harness/uml.js';
import { runPppdPair, type PppdPair, type PppdPairOptions } from '../harness/pppd-pair.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

const SERVER_CHAP = ['local', 'auth', 'require-chap', 'name', 'server', 'ms-dns', '10.0.0.53', '10.0.0.1:10.0.0.2'];
const SERVER_PAP = ['local', 'auth', 'require-pap', 'name', 'server', 'ms-dns', '10.0.0.53', '10.0.0.1:10.0.0.2'];
const CLIENT = ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'usepeerdns', 'noipdefault'];

/** One real pppd serving, one calling (test/harness/pppd-pair.ts). */
const runPair = (opts: Omit<PppdPairOptions, 'timeoutMs'>) => runPppdPair({ ...opts, timeoutMs: 45000 });
type Pair = PppdPair;

function dump(name: string, r: PppdPeerResult): string {
  return (
    `\n===== ${name}: exit ${r.exitCode}, timedOut ${r.timedOut}, ${r.durationMs} ms, run dir ${r.runDir}\n` +
    `--- init.log\n${r.initLog}--- pppd.log\n${r.log}--- after (rc ${r.afterRc})\n${r.afterOutput}` +
    `--- console\n${r.console}--- socat\n${r.socatLog}`
  );
}

function describePair(p: Pair): string {
  return dump('server', p.server) + dump('client', p.client);
}

test('real pppd CHAP client against real pppd server: auth, addresses, DNS, ping', { skip, timeout: 120000 }, async (t) => {
  const p = await runPair({
    serverArgs: SERVER_CHAP,
    serverFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
    clientArgs: CLIENT,
    clientFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
    clientAfter: 'ping -c 2 -W 2 10.0.0.1\n',
  });
  const { server, client } = p;
  const info = describePair(p);
  t.diagnostic(`pair took ${p.totalMs} ms (server UML ${server.durationMs} ms, client UML ${client.durationMs} ms)`);

  assert.equal(client.timedOut, false, info);
  assert.equal(server.timedOut, false, info);
  assert.match(client.log, /^CHAP authentication succeeded/m, info);
  assert.match(client.log, /^local  IP address 10\.0\.0\.2$/m, info);
  assert.match(client.log, /^remote IP address 10\.0\.0\.1$/m, info);
  assert.match(client.log, /^primary   DNS address 10\.0\.0\.53$/m, info);
  assert.match(client.log, /^rcvd \[CHAP Challenge id=0x[0-9a-f]+ <[0-9a-f]+>, name = "server"\]$/m, info);
  assert.equal(client.afterRc, 0, info);
  assert.match(client.afterOutput, /2 packets transmitted, 2 received/, info);
  // The harness stops the client with SIGTERM after `after`: pppd exits 5.
  assert.equal(client.exitCode, 5, info);
  assert.match(client.log, /^Terminating on signal 15/m, info);

  assert.ok(client.ipUp, info);
  assert.deepEqual(client.ipUp.args.slice(0, 5), ['ppp0', '/dev/ttyS0', '38400', '10.0.0.2', '10.0.0.1'], info);
  assert.equal(client.ipUp.env.DNS1, '10.0.0.53', info);
  assert.equal(client.ipUp.env.USEPEERDNS, '1', info);
  assert.equal(client.ipUp.env.IPLOCAL, '10.0.0.2', info);

  assert.match(server.log, /^sent \[CHAP Success id=0x[0-9a-f]+ "Access granted"\]$/m, info);
  assert.match(server.log, /^local  IP address 10\.0\.0\.1$/m, info);
  assert.match(server.log, /^remote IP address 10\.0\.0\.2$/m, info);
  assert.match(server.log, /^LCP terminated by peer \(User request\)$/m, info);
  assert.ok(server.ipUp, info);
  assert.equal(server.ipUp.env.PEERNAME, 'fred', info);
  // The server ends by itself: the client's TermReq, then its line goes away.
  assert.notEqual(server.exitCode, null, info);
});

test('real pppd, wrong CHAP secret: server exits 11, client exits 19', { skip, timeout: 120000 }, async (t) => {
  const p = await runPair({
    serverArgs: SERVER_CHAP,
    serverFiles: { 'ppp/chap-secrets': 'fred server secret *\n' },
    clientArgs: CLIENT,
    clientFiles: { 'ppp/chap-secrets': 'fred server wrong *\n' },
    clientAfter: 'echo should-not-run\n',
  });
  const { server, client } = p;
  const info = describePair(p);
  t.diagnostic(`pair took ${p.totalMs} ms`);

  assert.match(server.log, /^Peer fred failed CHAP authentication$/m, info);
  assert.match(server.log, /^sent \[CHAP Failure id=0x[0-9a-f]+ "Access denied"\]$/m, info);
  assert.match(server.log, /^sent \[LCP TermReq id=0x[0-9a-f]+ "Authentication failed"\]$/m, info);
  assert.equal(server.exitCode, 11, info); // EXIT_PEER_AUTH_FAILED

  assert.match(client.log, /^CHAP authentication failed: Access denied$/m, info);
  assert.match(client.log, /^CHAP authentication failed$/m, info);
  assert.match(client.log, /^sent \[LCP TermReq id=0x[0-9a-f]+ "Failed to authenticate ourselves to peer"\]$/m, info);
  assert.equal(client.exitCode, 19, info); // EXIT_AUTH_TOPEER_FAILED
  assert.equal(client.ipUp, undefined, info);
  assert.equal(client.afterRc, null, info);
});

test('real pppd, wrong PAP password: server exits 11, client exits 19', { skip, timeout: 120000 }, async (t) => {
  const p = await runPair({
    serverArgs: SERVER_PAP,
    serverFiles: { 'ppp/pap-secrets': 'fred * password *\n' },
    clientArgs: CLIENT,
    clientFiles: { 'ppp/pap-secrets': 'fred * wrong *\n' },
  });
  const { server, client } = p;
  const info = describePair(p);
  t.diagnostic(`pair took ${p.totalMs} ms`);

  assert.match(server.log, /^rcvd \[PAP AuthReq id=0x[0-9a-f]+ user="fred" password=<hidden>\]$/m, info);
  assert.match(server.log, /^sent \[PAP AuthNak id=0x[0-9a-f]+ "Login incorrect"\]$/m, info);
  assert.match(server.log, /^PAP peer authentication failed for fred$/m, info);
  assert.equal(server.exitCode, 11, info);

  assert.match(client.log, /^Remote message: Login incorrect$/m, info);
  assert.match(client.log, /^PAP authentication failed$/m, info);
  assert.equal(client.exitCode, 19, info);
  assert.equal(client.ipUp, undefined, info);
});
