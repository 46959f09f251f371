// The daemon's lifecycle, dialtone against dialtone (in this process, real scripts, real
// TCP): scripts and their environment, persist/holdoff/maxfail and SIGHUP, demand and idle,
// maxconnect, the connect/init/disconnect scripts, escape on the wire, pid files.
// The link policy's times (holdoff, idle, maxconnect, the demand settle) run on a virtual
// clock (virtualTime) that the tests move; they wait on the daemon's phases, log lines and
// exits, never on the wall clock.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stopAll, pppDir, inProcess, freePort, waitFor, count, recordingScript, readRecorded, TestBackend, virtualTime } from './harness.test.js';
import type { PppdHooks } from './run.js';
import { icmpEchoRequest } from '../wire/ipv4.js';
import { buildTcpSegment, parseIpv4, TCP_ACK, TCP_PSH, type Ipv4 } from '../wire/packet.js';
import { markGso, segmentGso } from '../wire/gso.js';
import { MAX_LINE_BACKLOG } from '../runtime/driver.js';
import { parseIp4 } from '../wire/ipv4.js';

const ip = (s: string) => parseIp4(s)!;
afterEach(stopAll);

/** A one-shot dialtone server (tcp-listen) that makes clients authenticate with CHAP as fred/wilma. */
async function server(extra: string[] = [], files: Record<string, string> = {}, name = 'log', hooks: PppdHooks = {}) {
  const port = await freePort();
  const dir = pppDir({ 'chap-secrets': 'fred server wilma *\n', ...files });
  const s = inProcess([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2', 'ms-dns', '10.0.0.53', ...extra], dir, hooks, name);
  await waitFor(s.log, /Waiting for a connection/);
  return { ...s, port };
}

const CLIENT = ['noauth', 'user', 'fred', 'password', 'wilma', 'connect-delay', '0'];

test('ip-up, ip-down, auth-up, auth-down: pppd\'s arguments and environment; resolv.conf; pid files', async () => {
  const srvScripts: Record<string, string> = {};
  const s = await server(['ipparam', 'dialin', 'linkname', 'lab'], srvScripts);
  for (const n of ['ip-up', 'ip-down', 'auth-up', 'auth-down', 'ip-pre-up']) {
    fs.writeFileSync(path.join(s.dir, n), recordingScript(s.dir, n), { mode: 0o755 });
  }
  const cdir = pppDir({ 'peers/isp': 'remotename server\n' });
  for (const n of ['ip-up', 'ip-down']) fs.writeFileSync(path.join(cdir, n), recordingScript(cdir, n), { mode: 0o755 });
  const backend = new TestBackend();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'usepeerdns', 'call', 'isp', 'defaultroute', 'mtu', '1400'], cdir, { backend });
  await waitFor(c.log, /primary {3}DNS address 10\.0\.0\.53/);
  await waitFor(() => (readRecorded(cdir, 'ip-up') ? 'y' : ''), /y/);
  // The network side is recorded and reported, not applied (no kernel PPP interface).
  assert.match(c.log(), /defaultroute: not applied \(no kernel PPP interface; see README\)\nmtu 1400: not applied/);
  // Pid files while the link is up.
  assert.equal(fs.readFileSync(path.join(s.dir, 'ppp0.pid'), 'utf8'), `${process.pid}\n`);
  assert.equal(fs.readFileSync(path.join(s.dir, 'ppp-lab.pid'), 'utf8'), `${process.pid}\nppp0\n`);
  // Some traffic both ways: the client pings the server through its network backend.
  const replies: Buffer[] = [];
  backend.events.on('packet', (p: Buffer) => replies.push(p));
  for (let i = 0; i < 3; i++) backend.send(icmpEchoRequest(ip('10.0.0.2'), ip('10.0.0.1'), 7, i, Buffer.alloc(56, i)));
  await waitFor(() => String(replies.length), /^3$/);
  assert.equal((parseIpv4(replies[0]!) as Ipv4).src, ip('10.0.0.1'));
  assert.equal(fs.readFileSync(path.join(cdir, 'resolv.conf'), 'utf8'), 'nameserver 10.0.0.53\nnameserver 10.0.0.53\n');
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
  assert.ok([0, 16].includes(await s.done));

  const up = readRecorded(s.dir, 'ip-up')!;
  assert.deepEqual(up.args, ['ppp0', 'tcp-listen:127.0.0.1:' + s.port, '38400', '10.0.0.1', '10.0.0.2', 'dialin']);
  assert.equal(up.env.IFNAME, 'ppp0');
  assert.equal(up.env.IPLOCAL, '10.0.0.1');
  assert.equal(up.env.IPREMOTE, '10.0.0.2');
  assert.equal(up.env.PEERNAME, 'fred');
  assert.equal(up.env.LINKNAME, 'lab');
  assert.equal(up.env.PPPD_PID, String(process.pid));
  assert.equal(up.env.CONNECT_TIME, undefined, 'only the down scripts get the statistics');
  assert.deepEqual(readRecorded(s.dir, 'ip-pre-up')!.args, up.args);
  const down = readRecorded(s.dir, 'ip-down')!;
  assert.deepEqual(down.args, up.args);
  assert.ok(Number(down.env.BYTES_SENT) > 0 && Number(down.env.BYTES_RCVD) > 0, JSON.stringify(down.env));
  assert.ok(Number(down.env.CONNECT_TIME) >= 0);
  const authUp = readRecorded(s.dir, 'auth-up')!;
  assert.equal(authUp.args[0], 'ppp0');
  assert.equal(authUp.args[1], 'fred');
  assert.ok(readRecorded(s.dir, 'auth-down'));
  const cup = readRecorded(cdir, 'ip-up')!;
  assert.equal(cup.env.DNS1, '10.0.0.53');
  assert.equal(cup.env.USEPEERDNS, '1');
  assert.equal(cup.env.CALL_FILE, 'isp');
  assert.equal(cup.args[3], '10.0.0.2');
  assert.ok(Number(readRecorded(cdir, 'ip-down')!.env.BYTES_SENT) > 0);
  assert.equal(fs.existsSync(path.join(s.dir, 'ppp0.pid')), false, 'pid files removed with the link');
});

test('persist: SIGHUP drops the link and it is redialled after the holdoff; SIGTERM ends the daemon (exit 5)', async () => {
  const port = await freePort();
  const sdir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const s = inProcess([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2', 'persist'], sdir);
  await waitFor(s.log, /Waiting for a connection/);
  const { clock, phases, hooks } = virtualTime();
  // noipv6: `running` must mean IPCP is up here (with IPV6CP it may come first, as in pppd).
  const c = inProcess([`tcp:127.0.0.1:${port}`, ...CLIENT, 'noipv6', 'persist', 'holdoff', '1', 'maxfail', '5'], pppDir(), hooks);
  await phases.reach('running');
  c.signal('SIGHUP');
  await phases.reach('holdoff');
  assert.deepEqual(clock.pending(), [1000], 'holdoff 1 s before redialling');
  // The server (persist, no holdoff) listens again before the client's holdoff is over.
  await waitFor(s.log, /Listening on[^]*Listening on/);
  clock.advance(999);
  assert.equal(phases.current, 'holdoff');
  clock.advance(1);
  assert.equal(phases.current, 'link', 'redialled when the holdoff is over');
  await phases.reach('running', 2);
  const text = await waitFor(c.log, /local {2}IP address[^]*local {2}IP address/);
  assert.match(text, /Hangup \(SIGHUP\)/);
  assert.equal(count(text, /Connect: ppp0/), 2);
  // The server side: the peer's Terminate-Request, then persist listens again.
  assert.equal(count(s.log(), /Waiting for a connection/), 2);
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
  await waitFor(s.log, /Waiting for a connection[^]*Waiting for a connection[^]*Waiting for a connection/);
  s.signal('SIGTERM');
  assert.equal(await s.done, 5);
});

test('persist + maxfail: gives up after maxfail unsuccessful attempts with the last status', async () => {
  const port = await freePort(); // nobody listens
  const c = inProcess([`tcp:127.0.0.1:${port}`, ...CLIENT, 'persist', 'maxfail', '3', 'holdoff', '0'], pppDir());
  assert.equal(await c.done, 7);
  assert.equal(count(c.log(), /Failed to open tcp:127\.0\.0\.1:\d+: Connection refused/), 3);
});

test('demand + idle: dormant until a packet; the packet is delivered; idle drops the link; dormant again', async () => {
  const s = await server(['idle', '600']);
  const backend = new TestBackend();
  const { clock, phases, hooks } = virtualTime();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'demand', 'idle', '2', '10.0.0.2:10.0.0.1'], pppDir(), { backend, ...hooks });
  await phases.reach('dormant');
  await waitFor(c.log, /remote IP address 10\.0\.0\.1/);
  assert.deepEqual(clock.pending(), [], 'dormant: nothing happens by itself');
  assert.doesNotMatch(c.log(), /Connect:/, 'no link until there is traffic');
  assert.equal(backend.attached, true, 'the interface takes packets while dormant');
  const replies: Buffer[] = [];
  backend.events.on('packet', (p: Buffer) => replies.push(p));
  backend.send(icmpEchoRequest(ip('10.0.0.2'), ip('10.0.0.1'), 1, 1, Buffer.from('first packet')));
  assert.equal(phases.current, 'link', 'the packet starts the link');
  await phases.reach('running');
  // The queued packet waits 300 ms for the peer to settle (it sends no IP of its own first).
  assert.deepEqual(clock.pending(), [300]);
  assert.equal(replies.length, 0);
  clock.advance(300);
  await waitFor(() => String(replies.length), /^1$/, 10_000, 'echo reply to the queued first packet');
  assert.ok(replies[0]!.subarray(28).equals(Buffer.from('first packet')));
  // idle 2 counts from the last packet (the echo and its reply, both at +300 ms).
  clock.advance(1999);
  assert.equal(phases.current, 'running');
  clock.advance(1);
  assert.equal(phases.current, 'terminate');
  const text = await waitFor(c.log, /Terminating connection due to lack of activity\./, 10_000);
  assert.match(text, /Starting link/);
  await s.done;
  assert.match(s.log(), /LCP terminated by peer \(Link inactive\)/);
  await phases.reach('dormant', 2);
  assert.deepEqual(clock.pending(), [], 'dormant again: nothing happens by itself');
  assert.equal(count(c.log(), /Connect: ppp0/), 1, 'dormant again, not redialling by itself');
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
});

test('offload: a TCP super-segment from the backend reaches the peer as its segments, queued by demand or sent on a live link', async () => {
  const srvBackend = new TestBackend();
  const s = await server(['idle', '600'], {}, 'log', { backend: srvBackend });
  const backend = new TestBackend();
  const { clock, phases, hooks } = virtualTime();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'demand', '10.0.0.2:10.0.0.1'], pppDir(), { backend, ...hooks });
  await phases.reach('dormant');
  assert.equal(backend.info?.gso, true, 'the backend may send super-segments');
  const superSegment = (seq: number) => {
    const payload = Buffer.alloc(3 * 536 + 100, seq & 0xff);
    const pkt = buildTcpSegment(ip('10.0.0.2'), ip('10.0.0.1'), 41000, 80, { seq, ack: 1, flags: TCP_ACK | TCP_PSH, window: 500, payload, gso: 536 }, 9);
    markGso(pkt, 536);
    return pkt;
  };
  // Dormant: queued (the first starts the link). The queue holds 256 packets as the peer
  // will get them: 70 super-segments make 280 segments, and the first 64 go whole.
  const queued = Array.from({ length: 70 }, (_, i) => superSegment(1000 + i * 1708));
  for (const p of queued) backend.send(p);
  await phases.reach('running');
  clock.advance(300);
  await waitFor(() => String(srvBackend.delivered.length), /^256$/, 10_000, 'the queue, 256 segments');
  const live = superSegment(1000 + 70 * 1708);
  backend.send(live); // the link is up
  await waitFor(() => String(srvBackend.delivered.length), /^260$/, 10_000, 'a live super-segment as its 4 segments');
  assert.deepEqual(srvBackend.delivered, [...queued.slice(0, 64), live].flatMap((p) => segmentGso(p, 536)));
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
});

test('a fast sender through the daemon\'s backend does not grow the line: packets past the backlog bound are dropped', async () => {
  const srvBackend = new TestBackend();
  const s = await server([], {}, 'log', { backend: srvBackend });
  const backend = new TestBackend();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, '10.0.0.2:10.0.0.1'], pppDir(), { backend });
  await waitFor(() => String(backend.attached), /^true$/, 10_000, 'ip-up');
  const seg = (port: number, i: number) => buildTcpSegment(ip('10.0.0.2'), ip('10.0.0.1'), port, 80, { seq: i * 1000, ack: 1, flags: TCP_ACK, window: 500, payload: Buffer.alloc(1000, i) }, i);
  // 2 MB in one event-loop turn: the line takes MAX_LINE_BACKLOG of it, as a router's queue.
  for (let i = 0; i < 2000; i++) backend.send(seg(41000, i));
  // A marker sent in a later turn: once one arrives, all that went before it has.
  const port = (p: Buffer) => p.readUInt16BE(20);
  await waitFor(() => {
    backend.send(seg(42000, 0));
    return String(srvBackend.delivered.some((p) => port(p) === 42000));
  }, /^true$/, 10_000, 'a marker after the burst');
  const got = srvBackend.delivered.filter((p) => port(p) === 41000).length;
  assert.ok(got > 100 && got <= MAX_LINE_BACKLOG / 1040 + 1, `${got} of 2000 packets went to the line`);
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
});

test('idle without demand ends the daemon with status 12; maxconnect with 13', async () => {
  const s = await server();
  const v = virtualTime();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'idle', '1'], pppDir(), v.hooks);
  await v.phases.reach('running');
  assert.deepEqual(v.clock.pending(), [1000]);
  v.clock.advance(1000);
  assert.equal(await c.done, 12);
  assert.match(c.log(), /Terminating connection due to lack of activity\./);
  await s.done;
  const v2 = virtualTime();
  const s2 = await server(['maxconnect', '1'], {}, 'log2', v2.hooks);
  const c2 = inProcess([`tcp:127.0.0.1:${s2.port}`, ...CLIENT], pppDir());
  await v2.phases.reach('running');
  v2.clock.advance(999);
  assert.equal(v2.phases.current, 'running');
  v2.clock.advance(1);
  assert.equal(await s2.done, 13);
  assert.match(s2.log(), /Connect time expired/);
  await c2.done;
});

test('connect, init and disconnect scripts: pppd\'s messages and exit statuses 8 and 18', async () => {
  const silent = net.createServer((sock) => sock.on('data', () => undefined));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  const line = `tcp:127.0.0.1:${port}`;
  const c8 = inProcess([line, ...CLIENT, 'connect', 'exit 3'], pppDir());
  assert.equal(await c8.done, 8);
  assert.match(c8.log(), /Connect script failed/);
  const c18 = inProcess([line, ...CLIENT, 'init', 'exit 1'], pppDir());
  assert.equal(await c18.done, 18);
  assert.match(c18.log(), /Initializer script failed/);
  silent.close();

  const s = await server();
  const dir = pppDir();
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'connect', `echo dialled > ${dir}/dialled`, 'disconnect', `echo hung up > ${dir}/hungup`], dir);
  await waitFor(c.log, /local {2}IP address/);
  const text = c.log();
  assert.ok(text.indexOf('Serial connection established.') < text.indexOf('Connect: ppp0'));
  assert.equal(fs.readFileSync(path.join(dir, 'dialled'), 'utf8'), 'dialled\n');
  c.signal('SIGINT');
  assert.equal(await c.done, 5);
  assert.match(c.log(), /Serial link disconnected\./);
  assert.equal(fs.readFileSync(path.join(dir, 'hungup'), 'utf8'), 'hung up\n');
  await s.done;
});

test('escape reaches the framer: every 0xc0 we send is escaped (7d e0)', async () => {
  const got: Buffer[] = [];
  const sink = net.createServer((sock) => sock.on('data', (d) => got.push(d)));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const port = (sink.address() as net.AddressInfo).port;
  const c = inProcess([`tcp:127.0.0.1:${port}`, ...CLIENT, 'escape', 'c0', 'lcp-restart', '1', 'lcp-max-configure', '2'], pppDir());
  assert.equal(await c.done, 10);
  sink.close();
  const wire = Buffer.concat(got);
  assert.ok(wire.length > 0);
  assert.equal(wire.indexOf(0xc0), -1, 'no raw 0xc0 on the wire');
  assert.ok(wire.includes(Buffer.from([0x7d, 0xe0, 0x21])), 'the LCP protocol number c0 21 goes out as 7d e0 21');
  // Without escape the same frames carry c0 21 unescaped.
  const got2: Buffer[] = [];
  const sink2 = net.createServer((sock) => sock.on('data', (d) => got2.push(d)));
  await new Promise<void>((r) => sink2.listen(0, '127.0.0.1', r));
  const c2 = inProcess([`tcp:127.0.0.1:${(sink2.address() as net.AddressInfo).port}`, ...CLIENT, 'lcp-restart', '1', 'lcp-max-configure', '1'], pppDir());
  assert.equal(await c2.done, 10);
  sink2.close();
  assert.ok(Buffer.concat(got2).includes(Buffer.from([0xc0, 0x21])));
});

test('SIGUSR1 toggles debug: control packets are logged only while it is on', async () => {
  // The server logs every Echo-Request it gets (debug): the echoes the client sent while its
  // debug was off are there, and not in the client's log.
  const s = await server(['lcp-echo-interval', '1', 'debug']);
  const c = inProcess([`tcp:127.0.0.1:${s.port}`, ...CLIENT, 'lcp-echo-interval', '1'], pppDir());
  await waitFor(c.log, /local {2}IP address/);
  assert.doesNotMatch(c.log(), /sent \[/);
  const ids = (text: string, dir: 'sent' | 'rcvd') => [...text.matchAll(new RegExp(`${dir} \\[LCP EchoReq id=(0x[0-9a-f]+)`, 'g'))].map((m) => Number(m[1]));
  c.signal('SIGUSR1');
  await waitFor(c.log, /sent \[LCP EchoReq/, 5000);
  c.signal('SIGUSR1');
  const atOff = ids(s.log(), 'rcvd').length;
  await waitFor(() => String(ids(s.log(), 'rcvd').length >= atOff + 3), /true/, 10_000, 'three more echoes');
  c.signal('SIGUSR1');
  const atOn = Math.max(...ids(s.log(), 'rcvd'));
  await waitFor(() => String(ids(c.log(), 'sent').some((id) => id > atOn)), /true/, 10_000, 'an echo logged again');
  c.signal('SIGTERM');
  assert.equal(await c.done, 5);
  await s.done;
  const logged = ids(c.log(), 'sent');
  const gaps = logged.slice(1).map((id, i) => id - logged[i]! - 1);
  const unlogged = gaps.filter((g) => g > 0);
  assert.equal(unlogged.length, 1, `one stretch of echoes not logged: ${logged.join(' ')}`);
  assert.ok(unlogged[0]! >= 2, `the echoes sent while debug was off: ${logged.join(' ')}`);
  const got = new Set(ids(s.log(), 'rcvd'));
  for (let id = logged[0]!; id <= logged[logged.length - 1]!; id++) assert.ok(got.has(id), `echo ${id} was sent`);
});
