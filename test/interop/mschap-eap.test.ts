// dialtone with MS-CHAP, MS-CHAPv2 and EAP (MD5-Challenge) against real pppd 2.4.9
// inside user-mode-linux, in both roles, through the `dialtone pppd` command line (as
// in dialtone-vs-pppd.test.ts):
//   a. dialtone authenticates (`auth require-X name server`, chap-secrets holding the
//      client's secret), real pppd is the client;
//   b. real pppd requires X, dialtone is the client (`user fred remotename server`,
//      chap-secrets).
// Each with the right secret (IP up, ping across the link) and a wrong one (exit 19 on
// the side that failed to authenticate itself, 11 on the authenticator); and
//   c. dialtone client with refuse-X against real pppd requiring X;
//   d. dialtone requiring X against a real pppd client with refuse-X
// (the client Naks the auth option: the server ends the link, exit 11; the client 16). Both logs are
// held to what real pppd logs for the same events (test/harness/pppd-auth-spec.ts,
// observed in pppd-vs-pppd-auth.test.ts; whole logs in test/fixtures/pppd-auth-logs/),
// and dialtone's `pcap FILE` to tshark: no malformed packets or expert warnings (but
// tshark's advisory on every EAP-MD5 packet, which real pppd's exchange gets too), and
// the CHAP/EAP packets decoded.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.
// DIALTONE_INTEROP_STANDIN=pppd runs real pppd (in a second UML) where dialtone would
// run, with the same options: a check of this file's own logic (all cases pass so);
// it boots two UMLs at a time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable, type PppdPeerOptions, type PppdPeerResult } from '../harness/uml.js';
import { pcapFromSocatHex } from '../harness/line-pcap.js';
import { AUTH_METHODS, assertAuthLog, type AuthMethod } from '../harness/pppd-auth-spec.js';
import { assertAuthDecoded, tsharkProblemFrames, tsharkUnexpectedProblems } from '../harness/tshark.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const standin = process.env.DIALTONE_INTEROP_STANDIN === 'pppd';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'bin/dialtone');

const names = { server: 'server', client: 'fred' };
const SECRET = 'fred server s3cret *\n';
const WRONG = 'fred server wrong *\n';
/** Bound on each side; after one side has ended, the other gets GRACE_MS more. */
const RUN_MS = 60_000;
const GRACE_MS = 10_000;

interface DialtoneRun {
  code: number | null;
  log: string;
  output: string;
  pcap: string;
  /** Killed by the bound (RUN_MS, or GRACE_MS after pppd ended). */
  killed: boolean;
}

/** `dialtone pppd tcp:127.0.0.1:PORT ARGS` with its own ppp directory holding `files`. */
function dialtonePppd(port: number, args: string[], files: Record<string, string>, peerDone: Promise<unknown>): Promise<DialtoneRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-pppd-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  const logfile = path.join(dir, 'log');
  const pcap = path.join(dir, 'link.pcap');
  const child = spawn(
    process.execPath,
    [bin, 'pppd', `tcp:127.0.0.1:${port}`, ...args, 'nodetach', 'debug', 'logfile', logfile, 'pcap', pcap],
    { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let killed = false;
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const kill = (): void => {
    killed = true;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, RUN_MS);
  let grace: NodeJS.Timeout | undefined;
  void peerDone.then(() => (grace = setTimeout(kill, GRACE_MS)));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ code, log: fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '', output, pcap, killed });
    }),
  );
}

/** DIALTONE_INTEROP_STANDIN=pppd: real pppd in a second UML in dialtone's place, same options. */
async function standinPppd(port: number, args: string[], files: Record<string, string>): Promise<DialtoneRun> {
  const etc: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) etc[`ppp/${name}`] = text;
  const peer = await startPppdPeer({ line: 'listen', port, pppdArgs: ['local', ...args], files: etc, waitExit: true, capture: true, timeoutMs: RUN_MS });
  const r = await peer.done;
  const pcap = path.join(r.runDir, 'line.pcap');
  pcapFromSocatHex(path.join(r.runDir, 'line.hex'), pcap);
  return { code: r.exitCode, log: r.log, output: `(real pppd standing in for dialtone)\n${r.initLog}`, pcap, killed: r.timedOut };
}

/** Real pppd in UML on a line socat listens on; dialtone connects to it. Both bounded. */
async function against(peer: Omit<PppdPeerOptions, 'line'>, dialtoneArgs: string[], files: Record<string, string>) {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
  const p = await startPppdPeer({ ...peer, line: 'connect', timeoutMs: RUN_MS });
  try {
    await p.ready;
    const dRun = standin ? standinPppd(p.port, dialtoneArgs, files) : dialtonePppd(p.port, dialtoneArgs, files, p.done);
    // dialtone gone: the pppd side has GRACE_MS to finish (it hangs up when the line closes),
    // none if dialtone refused its options (exit 2: it never connected, pppd would wait RUN_MS).
    void dRun.then((d) => setTimeout(() => void p.stop(), d.code === 2 ? 0 : GRACE_MS).unref());
    const [d, r] = await Promise.all([dRun, p.done]);
    return { d, r };
  } finally {
    await p.stop();
  }
}

function explain(d: DialtoneRun, r: PppdPeerResult): string {
  return (
    `--- dialtone (exit ${d.code}${d.killed ? ', killed' : ''}) log ---\n${d.log}--- dialtone output ---\n${d.output}\n` +
    `--- pppd (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}${r.stopped ? ', stopped' : ''}, run dir ${r.runDir}) ---\n${r.log}` +
    `--- pppd after (rc ${r.afterRc}) ---\n${r.afterOutput}`
  );
}

/** First: dialtone took its options and ran a link (today: exit 2, "require-mschap: ... not implemented"). */
function assertDialtoneRan(d: DialtoneRun, why: string): void {
  assert.notEqual(d.code, 2, `dialtone refused its options (exit 2, EXIT_OPTION_ERROR):\n${why}`);
  assert.match(d.log, /^Connect: /m, `dialtone did not start the link:\n${why}`);
}

/** dialtone's capture: clean for tshark, and the authentication decoded. */
function assertPcap(d: DialtoneRun, m: AuthMethod, role: 'server' | 'client', why: string): void {
  assert.ok(fs.existsSync(d.pcap), `no pcap ${d.pcap}\n${why}`);
  assert.deepEqual(tsharkUnexpectedProblems(d.pcap), [], `tshark: malformed packets or expert warnings in ${d.pcap}\n${why}`);
  if (m !== 'eap') assert.equal(tsharkProblemFrames(d.pcap), '', `tshark -Y '_ws.malformed || _ws.expert.severity >= warning' ${d.pcap}`);
  assertAuthDecoded(d.pcap, m, role, names, why);
}

const PPPD_CLIENT = ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'usepeerdns', 'noipdefault'];
const pppdServer = (m: AuthMethod): string[] => ['local', 'auth', `require-${m}`, 'name', 'server', 'ms-dns', '10.0.0.53', '10.0.0.1:10.0.0.2'];
const DIALTONE_SERVER = (m: AuthMethod): string[] => ['auth', `require-${m}`, 'name', 'server', '10.0.0.1:10.0.0.2', 'ms-dns', '10.0.0.53'];
const DIALTONE_CLIENT = ['noauth', 'user', 'fred', 'remotename', 'server', 'usepeerdns'];

for (const m of AUTH_METHODS) {
  test(`a. dialtone require-${m} server, real pppd client, right secret: authenticated, ping, pcap`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: PPPD_CLIENT, files: { 'ppp/chap-secrets': SECRET }, after: 'ping -c 2 -W 2 10.0.0.1\n' },
      DIALTONE_SERVER(m),
      { 'chap-secrets': SECRET },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'server', 'ok', names, why);
    assertAuthLog(r.log, m, 'client', 'ok', names, why);
    assert.equal(r.afterRc, 0, `ping from UML to dialtone failed:\n${why}`);
    assert.match(r.afterOutput, /2 received/, why);
    assert.equal(r.exitCode, 5, why); // SIGTERM from the harness after the ping
    assert.match(d.log, /^LCP terminated by peer \(User request\)$/m, why);
    assertPcap(d, m, 'server', why);
  });

  test(`a. dialtone require-${m} server, real pppd client, wrong secret: pppd exits 19, dialtone 11`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: PPPD_CLIENT, files: { 'ppp/chap-secrets': WRONG }, waitExit: true },
      DIALTONE_SERVER(m),
      { 'chap-secrets': SECRET },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'server', 'wrong-secret', names, why);
    assertAuthLog(r.log, m, 'client', 'wrong-secret', names, why);
    assert.equal(r.exitCode, 19, why); // EXIT_AUTH_TOPEER_FAILED
    assert.equal(d.code, 11, why); // EXIT_PEER_AUTH_FAILED
  });

  test(`b. real pppd require-${m} server, dialtone client, right secret: authenticated, ping, pcap`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: pppdServer(m), files: { 'ppp/chap-secrets': SECRET }, after: 'ping -c 2 -W 2 10.0.0.2\n' },
      DIALTONE_CLIENT,
      { 'chap-secrets': SECRET },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'client', 'ok', names, why);
    assertAuthLog(r.log, m, 'server', 'ok', names, why);
    assert.match(d.log, /^primary {3}DNS address 10\.0\.0\.53$/m, why);
    assert.equal(r.afterRc, 0, `ping from UML to dialtone failed:\n${why}`);
    assert.match(r.afterOutput, /2 received/, why);
    assert.match(d.log, /^LCP terminated by peer \(User request\)$/m, why);
    assertPcap(d, m, 'client', why);
  });

  test(`b. real pppd require-${m} server, dialtone client, wrong secret: dialtone exits 19, pppd 11`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: pppdServer(m), files: { 'ppp/chap-secrets': SECRET }, waitExit: true },
      DIALTONE_CLIENT,
      { 'chap-secrets': WRONG },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'client', 'wrong-secret', names, why);
    assertAuthLog(r.log, m, 'server', 'wrong-secret', names, why);
    assert.equal(d.code, 19, why); // EXIT_AUTH_TOPEER_FAILED
    assert.equal(r.exitCode, 11, why); // EXIT_PEER_AUTH_FAILED
  });

  test(`c. real pppd require-${m} server, dialtone client with refuse-${m}: pppd exits 11, dialtone 16`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: pppdServer(m), files: { 'ppp/chap-secrets': SECRET }, waitExit: true },
      [...DIALTONE_CLIENT, `refuse-${m}`],
      { 'chap-secrets': SECRET },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'client', 'refused', names, why);
    assertAuthLog(r.log, m, 'server', 'refused', names, why);
    assert.equal(r.exitCode, 11, why); // EXIT_PEER_AUTH_FAILED
    assert.equal(d.code, 16, why); // EXIT_HANGUP, after LCP terminated by peer
  });

  test(`d. dialtone require-${m} server, real pppd client with refuse-${m}: dialtone exits 11, pppd 16`, { skip, timeout: 150_000 }, async () => {
    const { d, r } = await against(
      { pppdArgs: [...PPPD_CLIENT, `refuse-${m}`], files: { 'ppp/chap-secrets': SECRET }, waitExit: true },
      DIALTONE_SERVER(m),
      { 'chap-secrets': SECRET },
    );
    const why = explain(d, r);
    assertDialtoneRan(d, why);
    assertAuthLog(d.log, m, 'server', 'refused', names, why);
    assertAuthLog(r.log, m, 'client', 'refused', names, why);
    assert.equal(d.code, 11, why); // EXIT_PEER_AUTH_FAILED
    assert.equal(r.exitCode, 16, why); // EXIT_HANGUP, after LCP terminated by peer
  });
}
