// dialtone against real pppd 2.4.9 running inside user-mode-linux, in both roles, through
// the `dialtone pppd` command line (spawned as users run it). The UML side's serial line is
// a socat-bridged TCP port that dialtone connects to.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable, type PppdPeerOptions, type PppdPeerResult } from '../harness/uml.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'bin/dialtone');

interface DialtoneRun {
  code: number | null;
  log: string;
  output: string;
  pcap: string;
}

/** Runs `dialtone pppd ARGS` with its own ppp directory holding `files`. */
async function dialtonePppd(args: string[], files: Record<string, string>, timeoutMs = 60_000): Promise<DialtoneRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-pppd-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  const logfile = path.join(dir, 'log');
  const pcap = path.join(dir, 'link.pcap');
  const child = spawn(process.execPath, [bin, 'pppd', ...args, 'nodetach', 'debug', 'logfile', logfile, 'pcap', pcap], {
    env: { ...process.env, DIALTONE_PPP_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, log: fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '', output, pcap };
}

/** Starts real pppd in UML with a listening line, then dialtone connects to it. */
async function against(peer: Omit<PppdPeerOptions, 'line'>, dialtoneArgs: string[], files: Record<string, string> = {}) {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
  const p = await startPppdPeer({ ...peer, line: 'connect', timeoutMs: 60_000 });
  await p.ready;
  const [d, r] = await Promise.all([dialtonePppd([`tcp:127.0.0.1:${p.port}`, ...dialtoneArgs], files), p.done]);
  return { d, r };
}

function tsharkProblems(pcap: string): string {
  return execFileSync('tshark', ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], {
    encoding: 'utf8',
    env: { ...process.env, HOME: os.tmpdir() },
  });
}

function explain(d: DialtoneRun, r: PppdPeerResult): string {
  return `--- dialtone (exit ${d.code}) ---\n${d.log}${d.output}\n--- pppd (exit ${r.exitCode}) ---\n${r.log}`;
}

const PPPD_CLIENT = ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'usepeerdns', 'noipdefault'];

test('a. dialtone as CHAP server, real pppd as client: address, DNS, ping', { skip, timeout: 90_000 }, async () => {
  const { d, r } = await against(
    { pppdArgs: PPPD_CLIENT, files: { 'ppp/chap-secrets': 'fred server s3cret *\n' }, after: 'ping -c 3 -W 2 10.0.0.1' },
    ['auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2', 'ms-dns', '10.0.0.53'],
    { 'chap-secrets': 'fred server s3cret *\n' },
  );
  const why = explain(d, r);
  assert.match(r.log, /CHAP authentication succeeded/, why);
  assert.match(r.log, /local {2}IP address 10\.0\.0\.2/, why);
  assert.match(r.log, /primary {3}DNS address 10\.0\.0\.53/, why);
  assert.equal(r.afterRc, 0, `ping from UML to dialtone failed:\n${r.afterOutput}\n${why}`);
  assert.match(r.afterOutput, /3 received/, why);
  assert.match(d.log, /local {2}IP address 10\.0\.0\.1/, why);
  assert.match(d.log, /LCP terminated by peer \(User request\)/, why);
  // pppd's CCP is run (both sides offer Deflate, as pppd does by default); its IPV6CP is
  // Protocol-Rejected, as the notes require of a peer without it.
  assert.match(d.log, /Deflate \(15\) compression enabled/, why);
  assert.equal(tsharkProblems(d.pcap), '', 'tshark finds no malformed packets or expert warnings');
});

for (const kind of ['pap', 'chap'] as const) {
  test(`b. real pppd as ${kind.toUpperCase()} server, dialtone as client: assigned address, DNS, ping`, { skip, timeout: 90_000 }, async () => {
    const { d, r } = await against(
      {
        pppdArgs: ['local', 'auth', `require-${kind}`, 'name', 'isp', 'ms-dns', '10.0.0.53', 'ms-dns', '10.0.0.54', '10.0.0.1:10.0.0.2'],
        files: { [`ppp/${kind}-secrets`]: 'fred isp wilma *\n' },
        after: 'ping -c 3 -W 2 10.0.0.2',
      },
      ['noauth', 'user', 'fred', 'password', 'wilma', 'usepeerdns'],
    );
    const why = explain(d, r);
    assert.match(d.log, /local {2}IP address 10\.0\.0\.2/, why);
    assert.match(d.log, /remote IP address 10\.0\.0\.1/, why);
    assert.match(d.log, /primary {3}DNS address 10\.0\.0\.53/, why);
    assert.match(d.log, /secondary DNS address 10\.0\.0\.54/, why);
    assert.match(d.log, new RegExp(`${kind.toUpperCase()} authentication succeeded`), why);
    assert.match(r.log, kind === 'pap' ? /PAP peer authentication succeeded for fred/ : /sent \[CHAP Success/, why);
    assert.equal(r.afterRc, 0, `ping from UML to dialtone failed:\n${r.afterOutput}\n${why}`);
    assert.equal(tsharkProblems(d.pcap), '', 'tshark finds no malformed packets or expert warnings');
  });
}

test('c. wrong CHAP secret, dialtone as server: pppd exits 19, dialtone 11', { skip, timeout: 90_000 }, async () => {
  const { d, r } = await against(
    { pppdArgs: PPPD_CLIENT, files: { 'ppp/chap-secrets': 'fred server wrong *\n' }, waitExit: true },
    ['auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2'],
    { 'chap-secrets': 'fred server s3cret *\n' },
  );
  const why = explain(d, r);
  assert.equal(r.exitCode, 19, why);
  assert.equal(d.code, 11, why);
  assert.match(d.log, /Peer fred failed CHAP authentication/, why);
  assert.match(r.log, /CHAP authentication failed/, why);
});

test('c. wrong PAP password, dialtone as client: dialtone exits 19, pppd 11', { skip, timeout: 90_000 }, async () => {
  const { d, r } = await against(
    { pppdArgs: ['local', 'auth', 'require-pap', 'name', 'isp', '10.0.0.1:10.0.0.2'], files: { 'ppp/pap-secrets': 'fred isp wilma *\n' }, waitExit: true },
    ['noauth', 'user', 'fred', 'password', 'betty'],
  );
  const why = explain(d, r);
  assert.equal(d.code, 19, why);
  assert.equal(r.exitCode, 11, why);
  assert.match(d.log, /PAP authentication failed/, why);
  assert.match(r.log, /PAP peer authentication failed for fred/, why);
});
