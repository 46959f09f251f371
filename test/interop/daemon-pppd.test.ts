// dialtone pppd as a daemon against real pppd 2.4.9 in user-mode-linux, driven by
// configuration files as users write them: `dialtone pppd call isp` dialling a pppd server,
// a pppd client calling `dialtone pppd tcp-listen:... file options.server`, both with
// ip-up/ip-down scripts; `persist` redialling after the real peer is killed and restarted;
// `demand` + `idle` with the first packet delivered; LCP echo finding a peer that vanished;
// and `dump` printing what real pppd prints.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable, freePort, type PppdPeer, type PppdPeerResult } from '../harness/uml.js';
import { pppDir, inProcess, stopAll, waitFor, count, recordingScript, readRecorded, TestBackend } from '../../src/pppd/harness.test.js';
import { icmpEchoRequest, parseIp4 } from '../../src/wire/ipv4.js';
import { parseIpv4, type Ipv4 } from '../../src/wire/packet.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
const ip = (s: string) => parseIp4(s)!;

afterEach(stopAll);

function needUml(): void {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
}

/** A ppp directory with ip-up and ip-down scripts that record their arguments and environment. */
function dirWithScripts(files: Record<string, string>): string {
  const dir = pppDir(files);
  for (const n of ['ip-up', 'ip-down']) fs.writeFileSync(path.join(dir, n), recordingScript(dir, n), { mode: 0o755 });
  return dir;
}

/** `dialtone pppd ARGS` as a command with DIR as its ppp directory; resolves with its exit status. */
function dialtone(args: string[], dir: string): { done: Promise<number | null>; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [bin, 'pppd', ...args], { env: { ...process.env, DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, DIALTONE_LOCK_DIR: dir, HOME: dir }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return {
    done: new Promise((r) => child.on('exit', (c) => (clearTimeout(timer), r(c)))),
    kill: (sig) => child.kill(sig),
  };
}

function readLog(dir: string): string {
  const f = path.join(dir, 'log');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
}

function explain(dir: string, r?: PppdPeerResult): string {
  return `--- dialtone ---\n${readLog(dir)}\n--- pppd (exit ${r?.exitCode}) ---\n${r?.log ?? ''}`;
}

/** A TCP relay between dialtone and the UML's line: it can be retargeted, and frozen (a peer that vanished). */
class Relay {
  target: number | undefined;
  frozen = false;
  readonly server = net.createServer((down) => this.connect(down));
  private socks = new Set<net.Socket>();
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }
  private connect(down: net.Socket): void {
    if (this.target === undefined) return void down.destroy();
    const up = net.connect(this.target, '127.0.0.1');
    for (const s of [up, down]) {
      this.socks.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.socks.delete(s));
    }
    down.on('data', (d) => this.frozen || up.write(d));
    up.on('data', (d) => this.frozen || down.write(d));
    up.on('close', () => down.destroy());
    down.on('close', () => up.destroy());
  }
  close(): void {
    for (const s of this.socks) s.destroy();
    this.server.close();
  }
}

const PPPD_SERVER = ['local', 'auth', 'require-chap', 'name', 'isp', 'ms-dns', '10.0.0.53', 'ms-dns', '10.0.0.54', '10.0.0.1:10.0.0.2'];

test('`dialtone pppd call isp` against a real pppd server: peers file, chap-secrets, ip-up/ip-down', { skip, timeout: 60_000 }, async () => {
  needUml();
  const p = await startPppdPeer({ line: 'connect', pppdArgs: PPPD_SERVER, files: { 'ppp/chap-secrets': 'fred isp wilma *\n' }, after: 'ping -c 3 -W 2 10.0.0.2', timeoutMs: 45_000 });
  const dir = dirWithScripts({ 'chap-secrets': 'fred isp wilma\n' });
  fs.mkdirSync(path.join(dir, 'peers'));
  fs.writeFileSync(path.join(dir, 'peers/isp'), `# the ISP, reached through a TCP modem line
tcp:127.0.0.1:${p.port}
noauth
user fred
remotename isp
usepeerdns
ipparam isp-link
nodetach
debug
logfile ${dir}/log
`);
  const [code, r] = await Promise.all([dialtone(['call', 'isp'], dir).done, p.done]);
  const why = explain(dir, r);
  assert.match(readLog(dir), /CHAP authentication succeeded/, why);
  assert.equal(r.afterRc, 0, `ping from pppd's side failed:\n${r.afterOutput}\n${why}`);
  assert.ok(code === 0 || code === 16, `exit ${code}\n${why}`);
  const up = readRecorded(dir, 'ip-up');
  assert.ok(up, why);
  assert.deepEqual(up.args, ['ppp0', `tcp:127.0.0.1:${p.port}`, '38400', '10.0.0.2', '10.0.0.1', 'isp-link']);
  assert.equal(up.env.CALL_FILE, 'isp');
  assert.equal(up.env.PEERNAME, undefined, 'we did not authenticate the server');
  assert.equal(up.env.DNS1, '10.0.0.53');
  assert.equal(up.env.DNS2, '10.0.0.54');
  assert.equal(up.env.USEPEERDNS, '1');
  assert.equal(up.env.IPPARAM, undefined);
  const down = readRecorded(dir, 'ip-down');
  assert.ok(down, why);
  assert.deepEqual(down.args, up.args);
  assert.ok(Number(down.env.BYTES_SENT) > 0, `BYTES_SENT ${down.env.BYTES_SENT}`);
  assert.ok(Number(down.env.BYTES_RCVD) > 0, `BYTES_RCVD ${down.env.BYTES_RCVD}`);
  assert.ok(Number(down.env.CONNECT_TIME) >= 0);
  assert.equal(fs.readFileSync(path.join(dir, 'resolv.conf'), 'utf8'), 'nameserver 10.0.0.53\nnameserver 10.0.0.54\n');
  assert.match(r.log, /sent \[CHAP Success/, why);
});

test('a real pppd client calling `dialtone pppd tcp-listen:... file options.server`', { skip, timeout: 60_000 }, async () => {
  needUml();
  const port = await freePort();
  const dir = dirWithScripts({ 'chap-secrets': '# client  server  secret  addresses\nfred  server  s3cret  10.0.0.2\n' });
  fs.writeFileSync(path.join(dir, 'options.server'), `auth
require-chap
name server
10.0.0.1:10.0.0.2
ms-dns 10.0.0.53
lcp-echo-interval 10
nodetach
debug
logfile ${dir}/log
`);
  const d = dialtone([`tcp-listen:127.0.0.1:${port}`, 'file', path.join(dir, 'options.server')], dir);
  await waitFor(() => readLog(dir), /Waiting for a connection/);
  const p = await startPppdPeer({
    line: 'listen',
    port,
    pppdArgs: ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'usepeerdns', 'noipdefault'],
    files: { 'ppp/chap-secrets': 'fred server s3cret *\n' },
    after: 'ping -c 3 -W 2 10.0.0.1',
    timeoutMs: 45_000,
  });
  const [code, r] = await Promise.all([d.done, p.done]);
  const why = explain(dir, r);
  assert.equal(r.afterRc, 0, `ping from pppd to dialtone failed:\n${r.afterOutput}\n${why}`);
  assert.match(r.log, /CHAP authentication succeeded/, why);
  assert.match(r.log, /primary {3}DNS address 10\.0\.0\.53/, why);
  assert.deepEqual(r.ipUp?.args.slice(3, 5), ['10.0.0.2', '10.0.0.1'], why);
  assert.ok(code === 0 || code === 16, `exit ${code}\n${why}`);
  const up = readRecorded(dir, 'ip-up');
  assert.ok(up, why);
  assert.deepEqual(up.args, ['ppp0', `tcp-listen:127.0.0.1:${port}`, '38400', '10.0.0.1', '10.0.0.2']);
  assert.equal(up.env.PEERNAME, 'fred');
  assert.equal(up.env.IPREMOTE, '10.0.0.2');
  const down = readRecorded(dir, 'ip-down');
  assert.ok(down, why);
  assert.ok(Number(down.env.BYTES_SENT) > 0 && Number(down.env.BYTES_RCVD) > 0, JSON.stringify(down.env));
  assert.match(readLog(dir), /LCP terminated by peer/, why);
});

test('persist: the real peer is killed, dialtone redials until the restarted peer answers', { skip, timeout: 60_000 }, async () => {
  needUml();
  const relay = new Relay();
  const rport = await relay.listen();
  let p1: PppdPeer | undefined;
  let p2: PppdPeer | undefined;
  try {
    p1 = await startPppdPeer({ line: 'connect', pppdArgs: ['local', 'auth', 'require-pap', 'name', 'isp', '10.0.0.1:10.0.0.2'], files: { 'ppp/pap-secrets': 'fred isp wilma *\n' }, after: 'sleep 40', timeoutMs: 45_000 });
    relay.target = p1.port;
    const dir = dirWithScripts({});
    const d = inProcess([`tcp:127.0.0.1:${rport}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'persist', 'holdoff', '1', 'maxfail', '0'], dir);
    await waitFor(d.log, /local {2}IP address 10\.0\.0\.2/, 30_000);
    // Kill the peer outright: UML and its line are gone, no Terminate-Request.
    relay.target = undefined;
    await p1.stop();
    await waitFor(d.log, /Modem hangup/, 10_000);
    p2 = await startPppdPeer({ line: 'connect', pppdArgs: ['local', 'auth', 'require-pap', 'name', 'isp', '10.0.0.1:10.0.0.3'], files: { 'ppp/pap-secrets': 'fred isp wilma *\n' }, after: 'ping -c 2 -i 0.5 -W 2 10.0.0.3', waitExit: true, timeoutMs: 45_000 });
    relay.target = p2.port;
    const text = await waitFor(d.log, /local {2}IP address 10\.0\.0\.3/, 40_000);
    assert.ok(count(text, /Connect: ppp0/) >= 2, text);
    await waitFor(() => (readRecorded(dir, 'ip-up')?.args[3] === '10.0.0.3' ? 'y' : ''), /y/, 5000);
    await new Promise((r) => setTimeout(r, 2500)); // pppd's side pings over the new link
    d.signal('SIGTERM');
    assert.equal(await d.done, 5);
    const r2 = await p2.done;
    assert.equal(r2.afterRc, 0, `ping over the redialled link failed:\n${r2.afterOutput}\n${d.log()}`);
    assert.match(r2.log, /LCP terminated by peer \(User request\)/);
  } finally {
    relay.close();
    await Promise.all([p1?.stop(), p2?.stop()]);
  }
});

test('demand + idle against real pppd: the first packet brings the link up and is delivered; idle takes it down', { skip, timeout: 60_000 }, async () => {
  needUml();
  const p = await startPppdPeer({ line: 'connect', pppdArgs: ['local', 'auth', 'require-pap', 'name', 'isp', '10.0.0.1:10.0.0.2', 'lcp-max-configure', '30'], files: { 'ppp/pap-secrets': 'fred isp wilma *\n' }, waitExit: true, timeoutMs: 45_000 });
  try {
    const backend = new TestBackend();
    const dir = pppDir();
    const d = inProcess([`tcp:127.0.0.1:${p.port}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'demand', 'idle', '3', '10.0.0.2:10.0.0.1', 'debug'], dir, { backend });
    await waitFor(d.log, /remote IP address 10\.0\.0\.1/);
    assert.doesNotMatch(d.log(), /Connect:/);
    const replies: Buffer[] = [];
    backend.events.on('packet', (pkt: Buffer) => replies.push(pkt));
    backend.send(icmpEchoRequest(ip('10.0.0.2'), ip('10.0.0.1'), 0x4242, 1, Buffer.from('the first packet, queued while dialling')));
    await waitFor(() => String(replies.length), /^[1-9]/, 30_000, d.log());
    const reply = parseIpv4(replies[0]!) as Ipv4;
    assert.equal(reply.src, ip('10.0.0.1'), 'the echo reply from pppd\'s kernel');
    assert.ok(replies[0]!.subarray(28).equals(Buffer.from('the first packet, queued while dialling')));
    const text = await waitFor(d.log, /Terminating connection due to lack of activity\./, 15_000);
    assert.match(text, /Starting link/);
    const r = await p.done;
    assert.match(r.log, /LCP terminated by peer \(Link inactive\)/, explain(dir, r));
    assert.equal(count(d.log(), /Connect: ppp0/), 1, 'dormant again after idle');
    d.signal('SIGTERM');
    assert.equal(await d.done, 5);
  } finally {
    await p.stop();
  }
});

test('LCP echo: a peer that vanishes without a Terminate-Request is found ("No response to 3 echo-requests", exit 15)', { skip, timeout: 60_000 }, async () => {
  needUml();
  const relay = new Relay();
  const rport = await relay.listen();
  const p = await startPppdPeer({ line: 'connect', pppdArgs: PPPD_SERVER, files: { 'ppp/chap-secrets': 'fred isp wilma *\n' }, after: 'sleep 40', timeoutMs: 45_000 });
  try {
    relay.target = p.port;
    const dir = pppDir({ 'chap-secrets': 'fred isp wilma\n' });
    const d = inProcess([`tcp:127.0.0.1:${rport}`, 'noauth', 'user', 'fred', 'lcp-echo-interval', '1', 'lcp-echo-failure', '3', 'lcp-restart', '1', 'lcp-max-terminate', '2',
      // UML may take long to boot on a loaded machine: keep asking meanwhile.
      'lcp-max-configure', '60'], dir);
    await waitFor(d.log, /local {2}IP address 10\.0\.0\.2/, 30_000);
    await new Promise((r) => setTimeout(r, 2500)); // echoes answered meanwhile
    assert.doesNotMatch(d.log(), /No response/);
    relay.frozen = true; // nothing gets through either way any more; no TCP close either
    const text = await waitFor(d.log, /No response to 3 echo-requests\nSerial link appears to be disconnected\./, 30_000);
    // Then, as pppd, a Terminate-Request nobody answers (lcp-max-terminate x lcp-restart), exit 15.
    assert.equal(await d.done, 15, text);
  } finally {
    relay.close();
    await p.stop();
  }
});

test('`dump dryrun` prints what real pppd prints for the same files and command line', { skip, timeout: 60_000 }, async () => {
  needUml();
  const options = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/seed-configs/dialup-server/options'), 'utf8');
  const ttyS0 = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/seed-configs/dialup-server/options.ttyS0'), 'utf8');
  const args = ['dump', 'dryrun', 'ms-dns', '10.0.0.1', 'ms-dns', '10.0.0.2', 'escape', '11,13,ff', 'password', 'secret', 'user', 'a"b\\c d', 'idle', '0x20', 'lcp-echo-interval', '5', 'remotename', 'isp', 'mtu', '1400', 'set', 'FOO=bar'];
  const p = await startPppdPeer({ line: 'connect', pppdArgs: args, files: { 'ppp/options': options, 'ppp/options.ttyS0': ttyS0 }, waitExit: true, timeoutMs: 30_000 });
  const r = await p.done;
  assert.equal(r.exitCode, 0, r.log);
  // The harness runs `pppd /dev/ttyS0 nodetach debug logfile RUN/pppd.log ARGS`.
  const dir = pppDir({ options, 'options.ttyS0': ttyS0 });
  const logfile = path.join(r.runDir, 'pppd.log');
  const mine = path.join(dir, 'dump.log');
  const code = await dialtone(['/dev/ttyS0', 'nodetach', 'debug', 'logfile', mine, ...args], dir).done;
  assert.equal(code, 0);
  const norm = (s: string) => s.split(mine).join(logfile).split(dir).join('/etc/ppp');
  assert.equal(norm(fs.readFileSync(mine, 'utf8')), r.log);
});
