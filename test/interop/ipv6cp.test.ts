// IPV6CP (RFC 5072) against real pppd 2.4.9 inside user-mode-linux, in both roles:
//  a. `dialtone pppd` as server, real pppd (+ipv6, kernel IPv6) as client: both run their
//     ipv6-up with the other's interface identifier, and `ping6 -I ppp0 fe80::<our id>`
//     from inside UML is answered by dialtone; tshark decodes the capture cleanly.
//  b. real pppd as server, dialtone (PppLink, in process) as client: dialtone sends ICMPv6
//     echo requests to pppd's link-local address and the Linux kernel inside UML answers.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { PppLink, type Ipv6Up } from '../../src/runtime/link.js';
import { icmpv6EchoRequest, linkLocal, parseIcmpv6, parseIpv6, ICMPV6_ECHO_REPLY } from '../../src/wire/ipv6.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'bin/dialtone');

function tsharkProblems(pcap: string): string {
  return execFileSync('tshark', ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], { encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() } });
}

function tsharkCount(pcap: string, filter: string): number {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', filter], { encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() } });
  return out.split('\n').filter((l) => l.trim()).length;
}

/** Waits (inside UML) for ipv6-up to have run and ppp0's link-local address to leave DAD. */
const WAIT_IPV6 = [
  'for i in $(seq 100); do [ -e "$DT_RUN/ipv6up.args" ] && break; sleep 0.1; done',
  '[ -e "$DT_RUN/ipv6up.args" ] || { echo "no ipv6-up"; exit 1; }',
  'for i in $(seq 50); do ip -6 addr show dev ppp0 | grep -q tentative || break; sleep 0.1; done',
  'ip -6 addr show dev ppp0',
].join('\n');

test('a. dialtone pppd as server, real pppd +ipv6 as client: ipv6-up both sides with the other\'s identifier, ping6 of our link-local answers', { skip, timeout: 120_000 }, async () => {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const p = await startPppdPeer({
    line: 'connect',
    ipv6: true,
    pppdArgs: ['local', 'noauth', 'noccp', '+ipv6', 'noipdefault'],
    // after.sh runs in UML: $DT_RUN is the run directory, the 5th ipv6-up argument dialtone's LL address.
    after: [WAIT_IPV6, 'REMOTE=$(sed -n 5p "$DT_RUN/ipv6up.args")', 'ping -6 -c 3 -W 2 -I ppp0 "$REMOTE"'].join('\n'),
    timeoutMs: 90_000,
  });
  await p.ready;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-ipv6-'));
  for (const s of ['ipv6-up', 'ipv6-down']) {
    fs.writeFileSync(path.join(dir, s), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >"${dir}/${s}.args"\nenv >"${dir}/${s}.env"\n`, { mode: 0o755 });
  }
  const logfile = path.join(dir, 'log');
  const pcap = path.join(dir, 'link.pcap');
  const child = spawn(process.execPath, [bin, 'pppd', `tcp:127.0.0.1:${p.port}`, 'noauth', 'noccp', '10.0.0.1:10.0.0.2', 'ipv6', '::1234:5678:9abc:def0,', 'nodetach', 'debug', 'logfile', logfile, 'pcap', pcap], {
    env: { ...process.env, DIALTONE_PPP_DIR: dir },
    stdio: 'ignore',
  });
  const r = await p.done;
  const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (c) => resolve(c))));
  const log = fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '';
  const why = `--- dialtone (exit ${code}) ---\n${log}\n--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}\n${r.initLog}`;
  assert.match(log, /local {2}LL address fe80::1234:5678:9abc:def0/, why);
  const theirs = /remote LL address (fe80::[0-9a-f:]+)/.exec(log)?.[1];
  assert.ok(theirs, why);
  // pppd's ipv6-up: interface tty speed local-LL remote-LL, the remote being our identifier.
  assert.ok(r.ipv6Up, why);
  assert.equal(r.ipv6Up.args[0], 'ppp0', why);
  assert.equal(r.ipv6Up.args[3], theirs, why);
  assert.equal(r.ipv6Up.args[4], 'fe80::1234:5678:9abc:def0', why);
  assert.equal(r.ipv6Up.env.LLREMOTE, 'fe80::1234:5678:9abc:def0', why);
  assert.match(r.log, /local {2}LL address/, why);
  // ping6 -I ppp0 fe80::1234:5678:9abc:def0 from inside UML: answered by dialtone.
  assert.equal(r.afterRc, 0, why);
  assert.match(r.afterOutput, /3 received/, why);
  // dialtone's own ipv6-up and ipv6-down with pppd's arguments and environment.
  const up = fs.readFileSync(path.join(dir, 'ipv6-up.args'), 'utf8').split('\n');
  assert.deepEqual(up.slice(3, 5), ['fe80::1234:5678:9abc:def0', theirs], why);
  assert.match(fs.readFileSync(path.join(dir, 'ipv6-up.env'), 'utf8'), new RegExp(`LLREMOTE=${theirs}`), why);
  assert.ok(fs.existsSync(path.join(dir, 'ipv6-down.args')), why);
  // The capture: IPV6CP and ICMPv6 decoded without complaint.
  assert.ok(tsharkCount(pcap, 'ipv6cp') >= 4, why);
  assert.ok(tsharkCount(pcap, 'icmpv6.type == 129') >= 3, why);
  assert.equal(tsharkProblems(pcap), '', why);
});

test('b. real pppd +ipv6 as server, dialtone as client: our ICMPv6 echo to pppd\'s link-local address is answered', { skip, timeout: 120_000 }, async () => {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const p = await startPppdPeer({
    line: 'connect',
    ipv6: true,
    pppdArgs: ['local', 'noauth', 'noccp', '+ipv6', 'ipv6', '::a,::b', '10.0.0.1:10.0.0.2'],
    // Keep the link up until the host says it is done (it writes RUN/host-done).
    after: [WAIT_IPV6, 'for i in $(seq 300); do [ -e "$DT_RUN/host-done" ] && break; sleep 0.1; done'].join('\n'),
    timeoutMs: 90_000,
  });
  await p.ready;
  const sock = net.connect(p.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const link = new PppLink(sock, { name: 'dialtone' });
  const logs: string[] = [];
  link.on('log', (_l, m) => logs.push(m));
  const up = await new Promise<Ipv6Up>((resolve) => link.once('ipv6-up', resolve));
  const replies: Buffer[] = [];
  link.on('ipv6', (pkt) => {
    const ip = parseIpv6(pkt);
    if (typeof ip === 'string') return;
    const m = parseIcmpv6(ip);
    if (typeof m !== 'string' && m.type === ICMPV6_ECHO_REPLY && ip.src.equals(linkLocal(up.remoteId))) replies.push(m.body);
  });
  // Linux answers once its address has left DAD: send until three replies came (bounded).
  for (let seq = 1; replies.length < 3 && seq <= 100; seq++) {
    link.sendIpv6(icmpv6EchoRequest(linkLocal(up.localId), linkLocal(up.remoteId), 0x4242, seq, Buffer.from(`dialtone ${seq}`)));
    await new Promise((r) => setTimeout(r, 200));
  }
  fs.writeFileSync(path.join(p.runDir, 'host-done'), '');
  link.close();
  await link.done;
  const r = await p.done;
  const why = `--- dialtone ---\n${logs.join('\n')}\n--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}`;
  assert.equal(up.remote, 'fe80::a', why);
  assert.equal(up.local, 'fe80::b', why);
  assert.ok(replies.length >= 3, why);
  assert.match(replies[0]!.subarray(4).toString(), /^dialtone \d+$/, why);
  assert.ok(r.ipv6Up && r.ipv6Up.args[4] === 'fe80::0000:0000:0000:000b', why);
});
