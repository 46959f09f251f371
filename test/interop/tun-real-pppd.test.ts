// `network tun` against a real peer: `dialtone pppd ... defaultroute usepeerdns network tun`
// inside a private network namespace dials real pppd 2.4.9 in user-mode-linux. The UML side's
// serial line is the harness's socat-bridged TCP port on the host's 127.0.0.1; a host socat
// bridges a unix socket to that port, and dialtone's `pty "socat - UNIX-CONNECT:..."` reaches
// it from inside the namespace (a unix socket path is the same in every network namespace).
// Inside UML a tiny HTTP server listens on an address that is NOT the peer's link address, so
// the namespace reaches it only through the default route dialtone installs on ppp0.
//
// The second test turns it round: real pppd in UML dials `dialtone isp` (`network tun`,
// `proxyarp yes`) running in a server namespace with a veth "LAN"; a host on the LAN pings
// the dial-in client's own (routed, not NATed) address and fetches from an HTTP server on it.
// Its line: UML's serial port -> host socat -> unix socket -> socat in the server namespace ->
// the isp's listen-ppp port there.
//
// Root only (network namespace, TUN): skipped otherwise, and with DIALTONE_SKIP_INTEROP=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable, type PppdPeer } from '../harness/uml.js';
import { Netns, rootSkipReason, vethBetween } from '../../src/native/testing/netns.js';
import { startPppd, waitForScript, type PppdInNs } from '../../src/tun/testing/pppd-netns.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const skip =
  process.env.DIALTONE_SKIP_INTEROP === '1'
    ? 'DIALTONE_SKIP_INTEROP=1'
    : rootSkipReason() ?? (umlAvailable().ok ? undefined : umlAvailable().why);

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
const BODY = 'hello from behind real pppd';

// A tiny HTTP/1.0 server's handler for socat (written inside UML at /tmp/http.sh): it reads
// the request head before answering, so no unread bytes turn the close into a reset.
const HTTP_SH = `cat >/tmp/http.sh <<'EOF'
#!/bin/bash
while IFS= read -r l; do l=\${l%$'\\r'}; [ -z "$l" ] && break; done
body='${BODY}'
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s\\n' $((\${#body}+1)) "$body"
EOF
chmod 755 /tmp/http.sh
`;

// Run inside UML once ip-up has run: a second address on lo (behind the peer, not the link's
// peer address), an HTTP/1.0 server on it (socat + HTTP_SH), then wait for the
// test to ask for the hang-up (RUN/hangup); init then sends pppd SIGTERM (LCP Terminate).
const AFTER = `
R="$DT_RUN"
ip addr add 10.99.0.1/32 dev lo
${HTTP_SH}socat TCP-LISTEN:8080,bind=10.99.0.1,reuseaddr,fork EXEC:/tmp/http.sh &
SOCAT=$!
# 8080 = 0x1F90: listening once it is in /proc/net/tcp.
for i in $(seq 1 600); do grep -q ':1F90 ' /proc/net/tcp && break; sleep 0.1; done
: >"$R/serving"
for i in $(seq 1 3000); do [ -e "$R/hangup" ] && break; sleep 0.1; done
kill $SOCAT
`;

/** Waits until uml-init.sh has started pppd (RUN/init.log), so that UML's boot time, long on a
 *  loaded machine, does not count against the LCP and authentication timers of the other side. */
async function pppdStarted(peer: PppdPeer): Promise<void> {
  const initLog = path.join(peer.runDir, 'init.log');
  const has = (re: RegExp) => fs.existsSync(initLog) && re.test(fs.readFileSync(initLog, 'utf8'));
  await waitUntil(() => has(/pppd started|FATAL|halt/), 180_000, 'pppd to start in UML');
  assert.ok(has(/pppd started/), fs.readFileSync(initLog, 'utf8'));
}

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return () => out;
}

test('dialtone pppd network tun + defaultroute usepeerdns against real pppd in UML: ppp0, default route, resolv.conf, ping and HTTP behind the peer; all gone after the hang-up', { skip, timeout: 300_000 }, async () => {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-tunreal-'));
  const sock = path.join(dir, 'line.sock');
  const ns = await Netns.create('tunreal');
  let peer: PppdPeer | undefined;
  let bridge: ChildProcess | undefined;
  let client: PppdInNs | undefined;
  try {
    peer = await startPppdPeer({
      line: 'connect',
      pppdArgs: ['local', 'noauth', '10.77.0.1:10.77.0.2', 'ms-dns', '10.77.0.53', 'ms-dns', '10.77.0.54', 'noccp', 'noipv6'],
      after: AFTER,
      timeoutMs: 240_000,
    });
    // Host side: unix socket -> the UML line's TCP port (one connection).
    bridge = spawn('socat', [`UNIX-LISTEN:${sock}`, `TCP:127.0.0.1:${peer.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const bridgeOut = collect(bridge);
    await waitUntil(() => fs.existsSync(sock) || bridge!.exitCode !== null, 30_000, 'the unix-socket bridge');
    assert.ok(fs.existsSync(sock), `bridge did not listen: ${bridgeOut()}`);

    await pppdStarted(peer);
    client = startPppd(ns, ['pty', `socat - UNIX-CONNECT:${sock}`, 'local', 'network', 'tun', 'noauth', 'noipdefault', 'defaultroute', 'usepeerdns', 'noccp', 'noipv6', 'debug']);
    await waitForScript(client, 'up', 'the dialtone ip-up');
    const runDir = peer.runDir;
    const why = () => `--- dialtone ---\n${client!.log()}\n--- pppd (UML) ---\n${fs.existsSync(path.join(runDir, 'pppd.log')) ? fs.readFileSync(path.join(runDir, 'pppd.log'), 'utf8') : ''}`;

    // The interface with the addresses real pppd gave, the default route, resolv.conf.
    const addr = await ns.ip('-4 addr show dev ppp0');
    assert.match(addr, /inet 10\.77\.0\.2 peer 10\.77\.0\.1\/32/, addr);
    assert.match(await ns.ip('link show dev ppp0'), /POINTOPOINT.*UP/);
    assert.match(await ns.ip('route show default'), /^default dev ppp0/m);
    assert.equal(fs.readFileSync(path.join(client.dir, 'resolv.conf'), 'utf8'), 'nameserver 10.77.0.53\nnameserver 10.77.0.54\n');
    assert.match(client.log(), /Using interface ppp0/, why());
    assert.match(client.log(), /local {2}IP address 10\.77\.0\.2/, why());
    assert.match(client.log(), /remote IP address 10\.77\.0\.1/, why());

    // The server behind the peer: 10.99.0.1 is only reachable through the default route.
    await waitUntil(() => fs.existsSync(path.join(runDir, 'serving')) || fs.existsSync(path.join(runDir, 'init.done')), 120_000, 'the HTTP server in UML');
    assert.ok(fs.existsSync(path.join(runDir, 'serving')), why());
    assert.match(await ns.ip('route get 10.99.0.1'), /dev ppp0/);
    await ns.exec('ping', ['-c', '1', '-W', '20', '10.77.0.1'], { timeoutMs: 60_000 });
    const { stdout: pingOut } = await ns.exec('ping', ['-c', '2', '-W', '20', '10.99.0.1'], { timeoutMs: 90_000 });
    assert.match(pingOut, /2 received/);
    const { stdout: fetched } = await ns.exec('curl', ['-sS', '--max-time', '60', 'http://10.99.0.1:8080/'], { timeoutMs: 90_000 });
    assert.equal(fetched, `${BODY}\n`);
    // And the same with node's http client in the namespace.
    const { stdout: nodeFetched } = await ns.exec(
      process.execPath,
      ['-e', "require('http').get('http://10.99.0.1:8080/', (r) => { let d = ''; r.on('data', (b) => (d += b)); r.on('end', () => process.stdout.write(r.statusCode + ' ' + d)); })"],
      { timeoutMs: 90_000 },
    );
    assert.equal(nodeFetched, `200 ${BODY}\n`);

    // The peer hangs up (pppd SIGTERM: LCP Terminate-Request): dialtone exits, ppp0 and
    // every route through it are gone.
    fs.writeFileSync(path.join(runDir, 'hangup'), '');
    const code = await Promise.race([client.exited, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 120_000).unref())]);
    assert.notEqual(code, 'stuck', why());
    const r = await peer.done;
    assert.equal(r.exitCode, 5, `real pppd ends by SIGTERM (exit 5)\n${why()}`);
    assert.match(client.log(), /LCP terminated by peer|Connection terminated/, why());
    assert.ok(fs.existsSync(path.join(client.dir, 'down')), 'ip-down ran');
    assert.doesNotMatch(await ns.ip('link show'), /ppp0/);
    assert.equal((await ns.ip('route show default')).trim(), '');
    assert.equal((await ns.ip('-4 route show table all')).split('\n').filter((l) => l.includes('ppp')).length, 0);
    assert.doesNotMatch(await ns.ip('route get 10.99.0.1').catch((e: Error) => e.message), /ppp0/);
    console.log(`tun-real-pppd: dial to hang-up checked in ${Date.now() - t0} ms`);
  } finally {
    await client?.stop();
    await peer?.stop();
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) bridge.kill('SIGKILL');
    await ns.delete();
    if (client) fs.rmSync(client.dir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Inside UML, real pppd as the dial-in client: an HTTP server on every address (the LAN host
// fetches from the client's own address), a ping to the LAN host through the isp when the test
// asks (RUN/ping-lan), then wait until the test asks for the hang-up.
const CLIENT_AFTER = `
R="$DT_RUN"
${HTTP_SH}socat TCP-LISTEN:8080,reuseaddr,fork EXEC:/tmp/http.sh &
SOCAT=$!
for i in $(seq 1 600); do grep -q ':1F90 ' /proc/net/tcp && break; sleep 0.1; done
: >"$R/serving"
# The test says when the isp has set up the route and proxy ARP (RUN/ping-lan).
for i in $(seq 1 3000); do [ -e "$R/ping-lan" ] && break; sleep 0.1; done
ping -c 2 -W 20 10.78.0.10 >"$R/ping-lan.out" 2>&1; echo $? >"$R/ping-lan.rc.tmp"; mv "$R/ping-lan.rc.tmp" "$R/ping-lan.rc"
for i in $(seq 1 3000); do [ -e "$R/hangup" ] && break; sleep 0.1; done
kill $SOCAT
`;

test('real pppd in UML dials dialtone isp with network tun + proxyarp: its own address on pppN, a LAN host reaches it (ping, HTTP); interface and proxy ARP gone after the hang-up', { skip, timeout: 300_000 }, async () => {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-tunreal-isp-'));
  const sock = path.join(dir, 'line.sock');
  const lan = await Netns.create('trlan');
  const srv = await Netns.create('trsrv');
  const children: ChildProcess[] = [];
  let peer: PppdPeer | undefined;
  let isp: ChildProcess | undefined;
  try {
    await vethBetween(lan, 'eth0', srv, 'lan0');
    await lan.ip('addr add 10.78.0.10/24 dev eth0');
    await srv.ip('addr add 10.78.0.1/24 dev lan0');
    fs.writeFileSync(path.join(dir, 'ip-up'), `#!/bin/sh\necho "$@" > "${dir}/ip-up.args"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'ip-down'), `#!/bin/sh\necho "$@" > "${dir}/ip-down.args"\n`, { mode: 0o755 });
    const conf = path.join(dir, 'isp.conf');
    fs.writeFileSync(
      conf,
      [
        'listen-ppp 127.0.0.1:7010',
        'listen-modem off',
        'listen-direct off',
        'network tun',
        'proxyarp yes',
        'gateway 10.78.0.1',
        'dns 10.78.0.53',
        'pool 10.78.0.20-10.78.0.30',
        'auth pap',
        'account demo dialtone',
        'ipv6-prefix off',
        // Out of the way of a slow UML on a loaded machine (the default is 10 s).
        'auth-timeout 300',
        `ip-up ${dir}/ip-up`,
        `ip-down ${dir}/ip-down`,
        '',
      ].join('\n'),
    );
    isp = srv.spawn(process.execPath, [bin, 'isp', '--config', conf]);
    children.push(isp);
    const ispOut = collect(isp);
    await waitUntil(() => /127\.0\.0\.1:7010|listening/i.test(ispOut()) || isp!.exitCode !== null, 60_000, 'the isp to listen');
    assert.equal(isp.exitCode, null, ispOut());

    // The line: UML's serial port (socat on the host's 127.0.0.1) -> host socat -> unix
    // socket -> socat inside the server namespace -> the isp's listen-ppp port there.
    const inner = srv.spawn('socat', [`UNIX-LISTEN:${sock}`, 'TCP:127.0.0.1:7010']);
    children.push(inner);
    const innerOut = collect(inner);
    await waitUntil(() => fs.existsSync(sock) || inner.exitCode !== null, 30_000, 'the namespace end of the line');
    assert.ok(fs.existsSync(sock), innerOut());
    peer = await startPppdPeer({
      line: 'connect',
      pppdArgs: ['local', 'noauth', 'user', 'demo', 'noipdefault', 'defaultroute', 'usepeerdns', 'noccp', 'noipv6'],
      files: { 'ppp/pap-secrets': 'demo * dialtone *\n' },
      after: CLIENT_AFTER,
      timeoutMs: 240_000,
    });
    await pppdStarted(peer);
    const outer = spawn('socat', [`UNIX-CONNECT:${sock}`, `TCP:127.0.0.1:${peer.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(outer);
    const runDir = peer.runDir;
    const pppdLog = () => (fs.existsSync(path.join(runDir, 'pppd.log')) ? fs.readFileSync(path.join(runDir, 'pppd.log'), 'utf8') : '');
    const why = () => `--- isp ---\n${ispOut()}\n--- pppd (UML) ---\n${pppdLog()}\n--- socat ---\n${innerOut()}`;

    await waitUntil(() => fs.existsSync(path.join(runDir, 'serving')) || fs.existsSync(path.join(runDir, 'init.done')), 180_000, 'real pppd up and serving in UML');
    assert.ok(fs.existsSync(path.join(runDir, 'serving')), why());
    await waitUntil(() => fs.existsSync(path.join(dir, 'ip-up.args')), 60_000, 'the isp ip-up');
    const [ifname, , , local, remote] = fs.readFileSync(path.join(dir, 'ip-up.args'), 'utf8').trim().split(' ');
    assert.match(ifname!, /^ppp\d+$/);
    assert.equal(local, '10.78.0.1');
    assert.match(remote!, /^10\.78\.0\.(2\d|30)$/);
    const re = remote!.replace(/\./g, '\\.');
    // Real pppd got the pool address and the DNS server; PAP went through.
    assert.match(pppdLog(), new RegExp(`local  IP address ${re}`), why());
    assert.match(pppdLog(), /remote IP address 10\.78\.0\.1/, why());
    assert.match(pppdLog(), /primary   DNS address 10\.78\.0\.53/, why());
    assert.match(pppdLog(), /PAP authentication succeeded/, why());
    // The server side: a host route to the client on its own interface, proxy ARP on the LAN.
    assert.match(await srv.ip(`-4 addr show dev ${ifname}`), /inet 10\.78\.0\.1 peer /);
    assert.match(await srv.ip(`route show ${remote}`), new RegExp(`${re} dev ${ifname}`));
    assert.match(await srv.ip('neigh show proxy'), new RegExp(`${re} dev lan0`));

    // The dial-in client reached the LAN host (its own address, routed), and the LAN host
    // reaches the client: ping and HTTP to the client's address.
    fs.writeFileSync(path.join(runDir, 'ping-lan'), '');
    await waitUntil(() => fs.existsSync(path.join(runDir, 'ping-lan.rc')) || fs.existsSync(path.join(runDir, 'init.done')), 120_000, 'the ping from UML to the LAN host');
    assert.equal(fs.readFileSync(path.join(runDir, 'ping-lan.rc'), 'utf8').trim(), '0', fs.readFileSync(path.join(runDir, 'ping-lan.out'), 'utf8'));
    const { stdout: pingOut } = await lan.exec('ping', ['-c', '2', '-W', '20', remote!], { timeoutMs: 90_000 });
    assert.match(pingOut, /2 received/);
    const { stdout: fetched } = await lan.exec('curl', ['-sS', '--max-time', '60', `http://${remote}:8080/`], { timeoutMs: 90_000 });
    assert.equal(fetched, `${BODY}\n`);

    // Real pppd hangs up: the isp's ip-down, the interface and the proxy ARP entry go.
    fs.writeFileSync(path.join(runDir, 'hangup'), '');
    const r = await peer.done;
    assert.equal(r.exitCode, 5, `real pppd ends by SIGTERM (exit 5)\n${why()}`);
    await waitUntil(() => fs.existsSync(path.join(dir, 'ip-down.args')), 60_000, 'the isp ip-down');
    const gone = async () => !(await srv.ip('link show')).includes(`${ifname}:`) && (await srv.ip('neigh show proxy')).trim() === '';
    const until = Date.now() + 60_000;
    while (!(await gone()) && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
    assert.doesNotMatch(await srv.ip('link show'), new RegExp(`${ifname}:`));
    assert.equal((await srv.ip('neigh show proxy')).trim(), '');
    assert.equal((await srv.ip(`route show ${remote}`)).trim(), '');
    console.log(`tun-real-pppd isp: dial to hang-up checked in ${Date.now() - t0} ms`);
  } finally {
    await peer?.stop();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    if (isp && isp.exitCode === null && isp.signalCode === null) await new Promise((r) => isp!.once('exit', r));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await lan.delete();
    await srv.delete();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
