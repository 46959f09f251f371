// Issue 13's L2TP proof with a real peer: Debian's xl2tpd (+ pppd with kernel PPP) inside
// user-mode-linux, its eth0 on a TAP device in a network namespace this test creates.
//   1. xl2tpd + pppd as the LAC dial `dialtone isp listen-l2tp` (the LNS) with tunnel
//      authentication (xl2tpd's `hidden bit` adds a Random Vector, hides nothing); the session reaches IP-up and wget fetches a file
//      through the NAT, compared by sha256; tshark decodes the L2TP on the TAP without
//      malformed packets.
//   2. `dialtone pppd l2tp:…` as the LAC dials xl2tpd as the LNS (xl2tpd runs pppd); IP
//      comes up and a file from a web server inside UML arrives intact through SOCKS.
// xl2tpd finds UML's l2tp_ppp module and uses kernel L2TP for its pppd (userspace mode with
// pppd on a pty otherwise: /dev/pts is mounted for it).
//
// Root only (network namespace, TAP). DIALTONE_SKIP_INTEROP=1 or missing binaries skip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { umlAvailable } from '../harness/uml.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.resolve(here, '../../../bin/dialtone');
const initScript = path.resolve(here, '../../../test/harness/uml-init.sh');

function why(): string | false {
  if (process.env.DIALTONE_SKIP_INTEROP === '1') return 'DIALTONE_SKIP_INTEROP=1';
  if (process.getuid?.() !== 0) return 'needs root (network namespace and TAP device)';
  if (!fs.existsSync('/usr/sbin/xl2tpd')) return 'xl2tpd missing (Debian package xl2tpd)';
  const u = umlAvailable();
  if (!u.ok) return u.why ?? 'no UML';
  return false;
}
const skip = why();

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** A private network namespace with tap0 (10.77.0.1/24) for UML's eth0 (10.77.0.2). */
function makeNetns(): { ns: string; remove(): void } {
  const ns = `dtl2tp${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  ip('netns', 'add', ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
  ip('-n', ns, 'addr', 'add', '10.77.0.1/24', 'dev', 'tap0');
  ip('-n', ns, 'link', 'set', 'tap0', 'up');
  return { ns, remove: () => void ip('netns', 'del', ns) };
}

function inNs(ns: string, cmd: string, args: string[], log?: string, env: Record<string, string> = {}): ChildProcess {
  const fd = log ? fs.openSync(log, 'w') : 'ignore';
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env, ...env } });
}

function killTree(p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!p?.pid) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    /* gone */
  }
}

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

/** A run directory UML can write (through hostfs), with uml-init.sh and the job. */
function umlDir(job: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-uml-l2tp-'));
  fs.chmodSync(dir, 0o755);
  fs.copyFileSync(initScript, path.join(dir, 'init.sh'));
  fs.chmodSync(path.join(dir, 'init.sh'), 0o755);
  fs.writeFileSync(path.join(dir, 'job.sh'), job);
  return dir;
}

/** UML with uml-init.sh running job.sh (bash) instead of pppd, eth0 on the namespace's tap0. */
async function runUml(ns: string, dir: string, timeoutMs: number): Promise<void> {
  const umid = `dtl${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const uml = inNs(ns, '/usr/bin/linux.uml', [`umid=${umid}`, `uml_dir=${dir}/uml`, 'mem=192M', 'quiet', 'rootfstype=hostfs', 'rootflags=/', 'ro',
    `init=${dir}/init.sh`, 'con=null', 'con0=null,fd:1', 'ssl=null', 'eth0=tuntap,tap0', `DT_RUN=${dir}`], path.join(dir, 'console.log'));
  const timer = setTimeout(() => killTree(uml), timeoutMs);
  await new Promise((r) => uml.once('exit', r));
  clearTimeout(timer);
  killTree(uml);
}

const SECRET = 'tunnel-secret-xyz';

/**
 * Frames tshark finds malformed or warns about, but for the inner TCP's own analysis (a
 * full receive window of the userspace stack is TCP's business, not the tunnel's).
 */
function tsharkProblems(pcap: string): string {
  return execFileSync('tshark', ['-r', pcap, '-Y', '_ws.malformed || (_ws.expert.severity >= warning && !tcp.analysis.flags)'],
    { env: { ...process.env, HOME: os.tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}

/** The job: eth0 up, xl2tpd's files, xl2tpd started, then `then`, then xl2tpd stopped. */
function xl2tpdJob(conf: string, pppOptions: string, then: string): string {
  return [
    'set -x',
    'R="$DT_RUN"',
    'mkdir -p /dev/pts && mount -t devpts devpts /dev/pts',
    'ip link set eth0 up',
    'ip addr add 10.77.0.2/24 dev eth0',
    'mkdir -p /run/xl2tpd /etc/xl2tpd',
    `printf '%s\\n' ${conf.split('\n').map((l) => `'${l}'`).join(' ')} >/etc/xl2tpd/xl2tpd.conf`,
    `printf '* * ${SECRET}\\n' >/etc/xl2tpd/l2tp-secrets`,
    'chmod 600 /etc/xl2tpd/l2tp-secrets',
    `printf '%s\\n' ${pppOptions.split('\n').map((l) => `'${l}'`).join(' ')} "logfile $R/pppd.log" >/etc/ppp/options.l2tp`,
    'xl2tpd -D -c /etc/xl2tpd/xl2tpd.conf -s /etc/xl2tpd/l2tp-secrets -p /run/xl2tpd.pid -C /run/xl2tpd/l2tp-control >"$R/xl2tpd.log" 2>&1 &',
    'XL=$!',
    then,
    'kill $XL',
    'sleep 0.5',
    '',
  ].join('\n');
}

test('real xl2tpd + pppd as the LAC dial dialtone isp as the LNS: tunnel auth, IP up, a file fetched intact', { skip, timeout: 180_000 }, async (t) => {
  const net = makeNetns();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-l2tp-lns-'));
  const body = crypto.randomBytes(1024 * 1024);
  fs.writeFileSync(path.join(dir, 'file'), body);
  const webPort = 8080;
  const conf = path.join(dir, 'isp.conf');
  fs.writeFileSync(conf, [
    'listen-ppp off', 'listen-l2tp 10.77.0.1:1701', `l2tp-secret ${SECRET}`, 'l2tp-hostname dialtone-lns',
    'auth chap', 'account demo dialtone', 'lcp-echo-interval 0', '',
  ].join('\n'));
  const web = inNs(net.ns, process.execPath, ['-e', `require('http').createServer((q,r)=>r.end(require('fs').readFileSync(${JSON.stringify(path.join(dir, 'file'))}))).listen(${webPort},'127.0.0.1')`]);
  const capture = path.join(dir, 'tap0.pcap');
  const dump = inNs(net.ns, 'dumpcap', ['-q', '-i', 'tap0', '-f', 'udp port 1701', '-w', capture], path.join(dir, 'dumpcap.log'));
  const ispLog = path.join(dir, 'isp.log');
  const isp = inNs(net.ns, process.execPath, [bin, 'isp', '--config', conf], ispLog);
  try {
    await waitUntil(() => fs.existsSync(capture), 20_000, 'capture started');
    const job = xl2tpdJob([
      '[global]', 'port = 1701', 'auth file = /etc/xl2tpd/l2tp-secrets',
      '[lac dialtone]', 'lns = 10.77.0.1', 'challenge = yes', 'hidden bit = yes', 'length bit = yes', 'redial = no', 'autodial = yes',
      'ppp debug = yes', 'pppoptfile = /etc/ppp/options.l2tp',
    ].join('\n'), 'noauth\nuser demo\npassword dialtone\nnoccp\nnoipdefault\nmtu 1400\nmru 1400\ndebug\nlcp-echo-interval 0', [
      'for i in $(seq 1 200); do ip -4 addr show ppp0 2>/dev/null | grep -q inet && break; sleep 0.2; done',
      'ip -4 addr show ppp0',
      `wget -q -T 20 -O /tmp/file http://10.0.2.2:${webPort}/ && sha256sum /tmp/file >"$R/got.sha"`,
    ].join('\n'));
    const udir = umlDir(job);
    await runUml(net.ns, udir, 120_000);
    const diag = () => [read(path.join(udir, 'after.out')), read(path.join(udir, 'xl2tpd.log')).slice(-4000), read(path.join(udir, 'pppd.log')).slice(-3000), read(ispLog).slice(-3000)].join('\n----\n');
    const got = read(path.join(udir, 'got.sha')).split(' ')[0];
    assert.equal(got, crypto.createHash('sha256').update(body).digest('hex'), diag());
    assert.match(read(path.join(udir, 'pppd.log')), /local {2}IP address 10\.0\.2\.\d+/);
    assert.match(read(ispLog), /l2tp 10\.77\.0\.2:1701 \(\S+\) tunnel \d+ session \d+: session started/);
    assert.ok(!read(ispLog).includes(SECRET), 'the tunnel secret is never logged');
    killTree(dump, 'SIGINT');
    await new Promise((res) => (dump.exitCode !== null ? res(undefined) : dump.once('exit', res)));
    const problems = tsharkProblems(capture);
    assert.equal(problems.trim(), '', `tshark problems:\n${problems}`);
    const l2tp = execFileSync('tshark', ['-r', capture, '-Y', 'l2tp'], { env: { ...process.env, HOME: os.tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    assert.match(l2tp, /SCCRQ[^]*SCCRP[^]*SCCCN[^]*ICRQ[^]*ICRP[^]*ICCN/);
    t.diagnostic(`xl2tpd LAC → dialtone LNS: ${l2tp.split('\n').filter(Boolean).length} L2TP frames decoded by tshark, no problems`);
  } finally {
    killTree(dump);
    killTree(isp);
    killTree(web);
    net.remove();
  }
});

test('dialtone pppd as the LAC dials real xl2tpd as the LNS (xl2tpd runs pppd): IP up, a file arrives intact', { skip, timeout: 180_000 }, async () => {
  const net = makeNetns();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-l2tp-lac-'));
  fs.chmodSync(dir, 0o755);
  const body = crypto.randomBytes(1024 * 1024);
  fs.writeFileSync(path.join(dir, 'file'), body);
  fs.chmodSync(path.join(dir, 'file'), 0o644);
  fs.writeFileSync(path.join(dir, 'serve.sh'), `#!/bin/sh\nprintf 'HTTP/1.0 200 OK\\r\\nContent-Length: ${body.length}\\r\\n\\r\\n'\nexec cat ${dir}/file\n`, { mode: 0o755 });
  const stopFlag = path.join(dir, 'stop');
  const job = xl2tpdJob([
    '[global]', 'port = 1701', 'auth file = /etc/xl2tpd/l2tp-secrets',
    '[lns default]', 'ip range = 10.88.0.10-10.88.0.20', 'local ip = 10.88.0.1', 'challenge = yes', 'length bit = yes',
    'require authentication = no', 'ppp debug = yes', 'pppoptfile = /etc/ppp/options.l2tp',
  ].join('\n'), 'noauth\nnoccp\nms-dns 10.88.0.1\nmtu 1400\nmru 1400\ndebug\nlcp-echo-interval 0', [
    // A one-file web server (each exec costs ~0.1 s in UML: socat, not python).
    `socat TCP-LISTEN:8000,reuseaddr,fork EXEC:${dir}/serve.sh >"$R/http.log" 2>&1 &`,
    'sleep 1',
    ': >"$R/ready"',
    `for i in $(seq 1 600); do [ -e ${stopFlag} ] && break; sleep 0.2; done`,
  ].join('\n'));
  const udir = umlDir(job);
  const capture = path.join(dir, 'tap0.pcap');
  const dump = inNs(net.ns, 'dumpcap', ['-q', '-i', 'tap0', '-f', 'udp port 1701', '-w', capture], path.join(dir, 'dumpcap.log'));
  await waitUntil(() => fs.existsSync(capture), 20_000, 'capture started');
  const uml = runUml(net.ns, udir, 150_000);
  let pppd: ChildProcess | undefined;
  const log = path.join(dir, 'pppd.log');
  try {
    await waitUntil(() => fs.existsSync(path.join(udir, 'ready')), 90_000, 'xl2tpd and the web server up in UML');
    const socksPort = 10800;
    pppd = inNs(net.ns, process.execPath, [bin, 'pppd', 'l2tp:10.77.0.2', 'l2tp-secret', SECRET, 'l2tp-hostname', 'dialtone-lac', 'noauth', 'noipv6',
      'noresolvconf', 'socks', `127.0.0.1:${socksPort}`, 'nodetach', 'debug', 'logfile', log], path.join(dir, 'pppd.out'), { DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, HOME: dir });
    const diag = () => [read(log).slice(-3000), read(path.join(udir, 'xl2tpd.log')).slice(-4000), read(path.join(udir, 'pppd.log')).slice(-3000)].join('\n----\n');
    await waitUntil(() => /local {2}IP address[^]*SOCKS5 proxy on/.test(read(log)), 60_000, 'IP up on dialtone pppd').catch((e) => {
      throw new Error(`${(e as Error).message}\n${diag()}`);
    });
    assert.match(read(log), /local {2}IP address 10\.88\.0\.\d+\nremote IP address 10\.88\.0\.1\n/);
    const out = path.join(dir, 'got');
    execFileSync('ip', ['netns', 'exec', net.ns, 'curl', '-s', '--max-time', '60', '--socks5', `127.0.0.1:${socksPort}`, '-o', out, 'http://10.88.0.1:8000/file']);
    assert.equal(crypto.createHash('sha256').update(fs.readFileSync(out)).digest('hex'), crypto.createHash('sha256').update(body).digest('hex'), diag());
    // Our LAC's SCCRQ, SCCCN, ICRQ, ICCN and data decode in tshark without problems.
    killTree(dump, 'SIGINT');
    await new Promise((res) => (dump.exitCode !== null ? res(undefined) : dump.once('exit', res)));
    const problems = tsharkProblems(capture);
    assert.equal(problems.trim(), '', `tshark problems:\n${problems}`);
    const l2tp = execFileSync('tshark', ['-r', capture, '-Y', 'l2tp'], { env: { ...process.env, HOME: os.tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    assert.match(l2tp, /SCCRQ[^]*SCCRP[^]*SCCCN[^]*ICRQ[^]*ICRP[^]*ICCN/);
  } finally {
    fs.writeFileSync(stopFlag, '');
    killTree(dump);
    killTree(pppd, 'SIGTERM');
    await uml;
    killTree(pppd);
    net.remove();
  }
});
