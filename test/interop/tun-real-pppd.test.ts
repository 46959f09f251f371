// `network tun` against a real peer: `dialtone pppd ... defaultroute usepeerdns network tun`
// inside a private network namespace dials real pppd 2.4.9 in user-mode-linux. The UML side's
// serial line is the harness's socat-bridged TCP port on the host's 127.0.0.1; a host socat
// bridges a unix socket to that port, and dialtone's `pty "socat - UNIX-CONNECT:..."` reaches
// it from inside the namespace (a unix socket path is the same in every network namespace).
// Inside UML a tiny HTTP server listens on an address that is NOT the peer's link address, so
// the namespace reaches it only through the default route dialtone installs on ppp0.
//
// Root only (network namespace, TUN): skipped otherwise, and with DIALTONE_SKIP_INTEROP=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPppdPeer, umlAvailable, type PppdPeer } from '../harness/uml.js';
import { Netns, rootSkipReason } from '../../src/native/testing/netns.js';
import { startPppd, waitForScript, type PppdInNs } from '../../src/tun/testing/pppd-netns.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const skip =
  process.env.DIALTONE_SKIP_INTEROP === '1'
    ? 'DIALTONE_SKIP_INTEROP=1'
    : rootSkipReason() ?? (umlAvailable().ok ? undefined : umlAvailable().why);

const BODY = 'hello from behind real pppd';

// Run inside UML once ip-up has run: a second address on lo (behind the peer, not the link's
// peer address), an HTTP/1.0 server on it (socat + a bash handler that reads the request
// head before answering, so no unread bytes turn the close into a reset), then wait for the
// test to ask for the hang-up (RUN/hangup); init then sends pppd SIGTERM (LCP Terminate).
const AFTER = `
R="$DT_RUN"
ip addr add 10.99.0.1/32 dev lo
cat >/tmp/http.sh <<'EOF'
#!/bin/bash
while IFS= read -r l; do l=\${l%$'\\r'}; [ -z "$l" ] && break; done
body='${BODY}'
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s\\n' $((\${#body}+1)) "$body"
EOF
chmod 755 /tmp/http.sh
socat TCP-LISTEN:8080,bind=10.99.0.1,reuseaddr,fork EXEC:/tmp/http.sh &
SOCAT=$!
# 8080 = 0x1F90: listening once it is in /proc/net/tcp.
for i in $(seq 1 600); do grep -q ':1F90 ' /proc/net/tcp && break; sleep 0.1; done
ip -4 route show >"$R/uml-routes"
: >"$R/serving"
for i in $(seq 1 3000); do [ -e "$R/hangup" ] && break; sleep 0.1; done
kill $SOCAT
`;

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
