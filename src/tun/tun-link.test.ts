/**
 * `network tun` end to end, as root, in private network namespaces (never the host's):
 * two `dialtone pppd`s over TCP on a veth wire, each with a real ppp interface.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Netns, rootSkipReason, vethBetween } from '../native/testing/netns.js';
import { startPppd, waitForScript, type PppdInNs } from './testing/pppd-netns.js';
import { waitUntil } from '../runtime/wait-until.js';

const skip = rootSkipReason() ?? (process.env.DIALTONE_SKIP_NETNS === '1' ? 'DIALTONE_SKIP_NETNS=1' : undefined);

async function forwarding(ns: Netns): Promise<void> {
  await ns.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
}

/** `node -e CODE` inside a namespace (a one-shot TCP server or client). */
function nodeIn(ns: Netns, code: string) {
  return ns.spawn(process.execPath, ['-e', code]);
}

async function ping(ns: Netns, addr: string): Promise<void> {
  await ns.exec('ping', ['-c', '1', '-W', '20', addr], { timeoutMs: 60_000 });
}

/** Polls an async probe until `ok` (a deadline for a stuck test, not a timing expectation). */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const until = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopAll(ps: (PppdInNs | undefined)[], nss: Netns[]): Promise<void> {
  await Promise.all(ps.map((p) => p?.stop()));
  for (const ns of nss) await ns.delete();
}

test('pppd network tun: ppp0 with the negotiated addresses, default route, resolv.conf, proxy ARP to a LAN; all gone after the link', { skip }, async () => {
  const lan = await Netns.create('lan');
  const srv = await Netns.create('srv');
  const cli = await Netns.create('cli');
  let server: PppdInNs | undefined;
  let client: PppdInNs | undefined;
  try {
    await vethBetween(lan, 'eth0', srv, 'lan0');
    await lan.ip('addr add 10.66.0.10/24 dev eth0');
    await srv.ip('addr add 10.66.0.1/24 dev lan0');
    await vethBetween(srv, 'wire0', cli, 'wire0');
    await srv.ip('addr add 192.168.77.1/24 dev wire0');
    await cli.ip('addr add 192.168.77.2/24 dev wire0');

    server = startPppd(srv, ['tcp-listen:192.168.77.1:7001', 'network', 'tun', 'noauth', '10.66.0.1:10.66.0.2', 'ms-dns', '10.66.0.53', 'proxyarp', 'ktune', 'noccp', 'noipv6']);
    await waitUntil(() => server!.log().includes('Listening'), 60_000, 'the server to listen');
    client = startPppd(cli, ['tcp:192.168.77.1:7001', 'network', 'tun', 'noauth', 'defaultroute', 'usepeerdns', 'noccp', 'noipv6', 'mtu', '1400']);
    await waitForScript(client, 'up', 'the client ip-up');
    await waitForScript(server, 'up', 'the server ip-up');

    // The interface, its addresses and MTU, the default route, resolv.conf.
    const addr = await cli.ip('-4 addr show dev ppp0');
    assert.match(addr, /inet 10\.66\.0\.2 peer 10\.66\.0\.1\/32/, addr);
    assert.match(await cli.ip('link show dev ppp0'), /POINTOPOINT.*UP.* mtu 1400 /);
    assert.match(await cli.ip('route show default'), /default dev ppp0/);
    assert.match(fs.readFileSync(path.join(client.dir, 'resolv.conf'), 'utf8'), /^nameserver 10\.66\.0\.53\n/);
    assert.match(client.log(), /Using interface ppp0/);
    // The server's side: the dial-in client is on the LAN by proxy ARP.
    assert.match(await srv.ip('-4 addr show dev ppp0'), /inet 10\.66\.0\.1 peer 10\.66\.0\.2\/32/);
    assert.match(await srv.ip('neigh show proxy'), /10\.66\.0\.2 dev lan0/);
    assert.match(server.log(), /found interface lan0 for proxy arp/);

    // ping across the link, and from the LAN host to the dial-in client (proxy ARP).
    await ping(cli, '10.66.0.1');
    await ping(lan, '10.66.0.2');
    // TCP from the client (default route) to a server on the LAN behind the peer.
    const tcpServer = nodeIn(lan, "require('net').createServer((s) => s.end('hello over ppp0\\n')).listen(8080, '10.66.0.10', () => console.log('ready'))");
    await new Promise<void>((resolve) => tcpServer.stdout!.once('data', () => resolve()));
    const { stdout } = await cli.exec(process.execPath, ['-e', "const s = require('net').connect(8080, '10.66.0.10'); let d = ''; s.on('data', (b) => (d += b)); s.on('end', () => console.log(d.trim()));"], { timeoutMs: 60_000 });
    tcpServer.kill();
    assert.equal(stdout.trim(), 'hello over ppp0');

    // The link drops: the interface, the routes, the proxy ARP entry and resolv.conf go.
    await client.stop();
    await server.exited;
    assert.doesNotMatch(await cli.ip('link show'), /ppp0/);
    assert.equal((await cli.ip('route show default')).trim(), '');
    // pppd 2.4.9 leaves resolv.conf in place (Debian's ip-down.d/0000usepeerdns restores).
    assert.equal(fs.existsSync(path.join(client.dir, 'resolv.conf')), true);
    assert.doesNotMatch(await srv.ip('link show'), /ppp0/);
    assert.equal((await srv.ip('neigh show proxy')).trim(), '');
  } finally {
    await stopAll([client, server], [lan, srv, cli]);
  }
});

test('LAN-to-LAN: two LANs, each behind a dialtone pppd, reach each other through routes ip-up adds', { skip }, async () => {
  const ha = await Netns.create('ha');
  const ra = await Netns.create('ra');
  const rb = await Netns.create('rb');
  const hb = await Netns.create('hb');
  let a: PppdInNs | undefined;
  let b: PppdInNs | undefined;
  try {
    await vethBetween(ha, 'eth0', ra, 'lan0');
    await ha.ip('addr add 10.1.1.2/24 dev eth0');
    await ha.ip('route add default via 10.1.1.1');
    await ra.ip('addr add 10.1.1.1/24 dev lan0');
    await vethBetween(hb, 'eth0', rb, 'lan0');
    await hb.ip('addr add 10.2.2.2/24 dev eth0');
    await hb.ip('route add default via 10.2.2.1');
    await rb.ip('addr add 10.2.2.1/24 dev lan0');
    await vethBetween(ra, 'wire0', rb, 'wire0');
    await ra.ip('addr add 192.168.78.1/24 dev wire0');
    await rb.ip('addr add 192.168.78.2/24 dev wire0');
    await forwarding(ra);
    await forwarding(rb);

    // The HOWTO's LAN-to-LAN ip-up: a route to the other site's /24 through the link ($1).
    a = startPppd(ra, ['tcp-listen:192.168.78.1:7002', 'network', 'tun', 'noauth', '172.16.9.1:172.16.9.2', 'noccp', 'noipv6'], { ipUp: 'ip route add 10.2.2.0/24 dev "$1"' });
    await waitUntil(() => a!.log().includes('Listening'), 60_000, 'site A to listen');
    b = startPppd(rb, ['tcp:192.168.78.1:7002', 'network', 'tun', 'noauth', 'noccp', 'noipv6'], { ipUp: 'ip route add 10.1.1.0/24 dev "$1"' });
    await waitForScript(a, 'up', 'site A ip-up');
    await waitForScript(b, 'up', 'site B ip-up');
    assert.match(await ra.ip('route show 10.2.2.0/24'), /dev ppp0/);
    assert.match(await rb.ip('route show 10.1.1.0/24'), /dev ppp0/);

    await ping(ha, '10.2.2.2');
    await ping(hb, '10.1.1.2');

    await b.stop();
    await a.exited;
    assert.equal((await ra.ip('route show 10.2.2.0/24')).trim(), '');
    assert.equal((await rb.ip('route show 10.1.1.0/24')).trim(), '');
  } finally {
    await stopAll([a, b], [ha, ra, rb, hb]);
  }
});

test('demand: the interface is up before the link; the packet that dials is queued and delivered after IPCP', { skip }, async () => {
  const srv = await Netns.create('dsrv');
  const cli = await Netns.create('dcli');
  let server: PppdInNs | undefined;
  let client: PppdInNs | undefined;
  try {
    await vethBetween(srv, 'wire0', cli, 'wire0');
    await srv.ip('addr add 192.168.79.1/24 dev wire0');
    await cli.ip('addr add 192.168.79.2/24 dev wire0');
    server = startPppd(srv, ['tcp-listen:192.168.79.1:7003', 'network', 'tun', 'noauth', '10.67.0.1:10.67.0.2', 'noccp', 'noipv6']);
    await waitUntil(() => server!.log().includes('Listening'), 60_000, 'the server to listen');
    client = startPppd(cli, ['tcp:192.168.79.1:7003', 'network', 'tun', 'noauth', 'demand', '10.67.0.2:10.67.0.1', 'defaultroute', 'noccp', 'noipv6', 'idle', '600']);
    await waitUntil(() => client!.log().includes('remote IP address'), 60_000, 'the demand interface');
    // The interface is there with the addresses before any link (configured in order, so poll).
    const addr = await eventually(() => cli.ip('-4 addr show dev ppp0').catch(() => ''), (t) => t.includes('inet 10.67.0.2'), 'the demand addresses');
    assert.match(addr, /inet 10\.67\.0\.2 peer 10\.67\.0\.1\/32/);
    await eventually(() => cli.ip('route show default'), (t) => t.includes('dev ppp0'), 'the demand default route');
    assert.doesNotMatch(client.log(), /Connect:/);
    // One ping, one packet: it starts the link, waits in the queue and is answered.
    await ping(cli, '10.67.0.1');
    assert.match(client.log(), /Starting link/);
    await waitForScript(client, 'up', 'the client ip-up');
  } finally {
    await stopAll([client, server], [srv, cli]);
  }
});
