/**
 * The real NatBackend with real sockets, all on 127.0.0.1: a test-side client TCP (the
 * helper from src/net/testing) runs in real time as the PPP peer would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import { NatBackend } from './nat-backend.js';
import { ClientTcp, parseUdpPacket } from '../net/testing/peer.js';
import { buildUdp, parseIcmp, parseIpv4, parseTcp, PROTO_ICMP, PROTO_TCP } from '../wire/packet.js';
import { buildDnsQuery, parseDnsAnswer, QTYPE, RCODE } from '../net/dns.js';

const CLIENT = 0x0a00020f;
const GW = 0x0a000202;
const DNS = 0x0a000203;

/** The PPP peer's side: client TCPs and raw packets, on real time. */
class Peer {
  readonly clients: ClientTcp[] = [];
  readonly other: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushQueued = false;
  private nextPort = 45000;

  constructor(readonly backend: NatBackend) {
    backend.attach((p) => this.incoming(p));
    this.timer = setInterval(() => {
      for (const c of this.clients) c.tick(Date.now());
      this.flush();
    }, 5);
  }

  client(dst: number, dstPort: number, o: { rcvBuf?: number; autoRead?: boolean; srcPort?: number } = {}): ClientTcp {
    const c = new ClientTcp({ src: CLIENT, srcPort: o.srcPort ?? this.nextPort++, dst, dstPort, wscale: 4, rcvBuf: o.rcvBuf ?? 512 * 1024, autoRead: o.autoRead ?? true, rto: 300 });
    this.clients.push(c);
    return c;
  }

  private incoming(p: Buffer): void {
    const ip = parseIpv4(p);
    if (typeof ip !== 'string' && ip.protocol === PROTO_TCP) {
      const seg = parseTcp(ip);
      if (typeof seg !== 'string') {
        for (const c of this.clients) {
          if (c.o.srcPort === seg.dstPort && (c.o.dstPort === seg.srcPort || c.state === 'LISTEN')) {
            c.input(p, Date.now());
            this.flush();
            return;
          }
        }
      }
    }
    this.other.push(p);
  }

  /** Client output goes to the backend on the next turn, as over a real line. */
  flush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      for (const c of this.clients) for (const p of c.takePackets()) this.backend.deliver(p);
    });
  }

  raw(p: Buffer): void {
    this.backend.deliver(p);
  }

  async until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.backend.detach();
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function httpServer(body: Buffer): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** GET over a client TCP through the stack; returns the body. */
async function fetchThrough(peer: Peer, dst: number, port: number, check?: () => void): Promise<Buffer> {
  const c = peer.client(dst, port);
  c.connect(Date.now());
  peer.flush();
  await peer.until(() => c.established || c.reset, 5000, 'connect');
  assert.ok(c.established, 'connected');
  c.write(Buffer.from(`GET /big HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`), Date.now());
  peer.flush();
  await peer.until(() => {
    check?.();
    return c.peerFin;
  }, 20_000, 'the response');
  c.end(Date.now());
  peer.flush();
  const raw = Buffer.concat(c.received);
  const sep = raw.indexOf('\r\n\r\n');
  assert.ok(sep > 0);
  const head = raw.subarray(0, sep).toString();
  assert.match(head, /^HTTP\/1\.1 200 OK/);
  return raw.subarray(sep + 4);
}

async function dnsQuery(peer: Peer, name: string, qtype: number, id: number): Promise<ReturnType<typeof parseDnsAnswer>> {
  const before = peer.other.length;
  peer.raw(buildUdp(CLIENT, DNS, 5353, 53, buildDnsQuery(id, name, qtype), 1));
  await peer.until(() => peer.other.slice(before).some((p) => parseUdpPacket(p)?.srcPort === 53), 5000, `DNS answer for ${name}`);
  const p = peer.other.slice(before).map(parseUdpPacket).find((u) => u?.srcPort === 53)!;
  assert.equal(p.src, DNS);
  return parseDnsAnswer(p.payload);
}

test('integration: 1 MB over HTTP from a loopback server, via the gateway address and via a name from the virtual DNS', async () => {
  const body = randomBytes(1024 * 1024);
  const { server, port } = await httpServer(body);
  const backend = new NatBackend({ client: '10.0.2.15' });
  const peer = new Peer(backend);
  try {
    let peakBuffered = 0;
    const got = await fetchThrough(peer, GW, port, () => {
      peakBuffered = Math.max(peakBuffered, backend.stack.memoryInUse());
    });
    assert.equal(got.length, body.length);
    assert.equal(sha256(got), sha256(body), 'intact via 10.0.2.2');
    assert.ok(peakBuffered <= backend.stack.opts.tcpSendBuffer + 65536, `the stack held at most a send buffer (${peakBuffered})`);

    const ans = await dnsQuery(peer, 'host.dialtone.internal', QTYPE.A, 0x4242);
    assert.ok(ans);
    assert.equal(ans.id, 0x4242);
    assert.equal(ans.rcode, RCODE.NOERROR);
    const addr = ans.answers[0]!.data.readUInt32BE(0);
    assert.equal(addr, GW);
    const got2 = await fetchThrough(peer, addr, port);
    assert.equal(sha256(got2), sha256(body), 'intact via host.dialtone.internal');

    const st = backend.stats();
    assert.equal(st.tcp.opened, 2);
    assert.ok(st.tcp.bytesToClient > 2 * body.length);
    assert.equal(st.dns.aliases, 1);
  } finally {
    peer.close();
    server.close();
  }
});

test('integration: the virtual DNS answers from the host resolver (localhost from /etc/hosts)', async () => {
  const backend = new NatBackend({ client: '10.0.2.15' });
  const peer = new Peer(backend);
  try {
    const ans = await dnsQuery(peer, 'localhost', QTYPE.A, 7);
    assert.equal(ans!.rcode, RCODE.NOERROR);
    assert.ok(ans!.answers.some((a) => a.type === 1 && a.data.readUInt32BE(0) === 0x7f000001));
    assert.equal(backend.stats().dns.answered, 1);
  } finally {
    peer.close();
  }
});

test('integration: a closed host port resets the client connection', async () => {
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  const port = (tmp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
  const peer = new Peer(new NatBackend({ client: '10.0.2.15' }));
  try {
    const c = peer.client(GW, port);
    c.connect(Date.now());
    peer.flush();
    await peer.until(() => c.reset, 5000, 'RST');
    assert.equal(c.established, false);
    assert.equal(peer.backend.stats().tcp.refused, 1);
  } finally {
    peer.close();
  }
});

test('integration: UDP through the gateway to a loopback echo server; a closed port answers ICMP port unreachable', async () => {
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
  const port = echo.address().port;
  const peer = new Peer(new NatBackend({ client: '10.0.2.15' }));
  try {
    peer.raw(buildUdp(CLIENT, GW, 6000, port, Buffer.from('hello'), 1));
    await peer.until(() => peer.other.some((p) => parseUdpPacket(p)?.dstPort === 6000), 5000, 'the echo');
    const u = peer.other.map(parseUdpPacket).find((x) => x?.dstPort === 6000)!;
    assert.deepEqual([u.src, u.srcPort, u.payload.toString()], [GW, port, 'echo:hello']);

    const closed = dgram.createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', r));
    const deadPort = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    peer.raw(buildUdp(CLIENT, GW, 6001, deadPort, Buffer.from('anyone?'), 2));
    await new Promise((r) => setTimeout(r, 50));
    peer.raw(buildUdp(CLIENT, GW, 6001, deadPort, Buffer.from('anyone?'), 3));
    await peer.until(() => peer.other.some((p) => {
      const ip = parseIpv4(p);
      return typeof ip !== 'string' && ip.protocol === PROTO_ICMP;
    }), 5000, 'ICMP');
    const icmp = peer.other.map((p) => parseIpv4(p)).find((ip) => typeof ip !== 'string' && ip.protocol === PROTO_ICMP);
    const m = parseIcmp(icmp as never);
    assert.ok(typeof m !== 'string');
    assert.deepEqual([m.type, m.code], [3, 3]);
  } finally {
    peer.close();
    echo.close();
  }
});

test('integration: port forwards, tcp and udp, from 127.0.0.1 on the host to the client', async () => {
  const backend = new NatBackend({ client: '10.0.2.15', forwards: ['tcp 0:2222', 'udp 0:5353'] });
  const peer = new Peer(backend);
  try {
    const [tcpPort, udpPort] = await backend.ready();
    assert.ok(tcpPort && udpPort);
    const server = peer.client(GW, 0, { srcPort: 2222 });
    server.listen();
    const host = net.connect({ port: tcpPort, host: '127.0.0.1', allowHalfOpen: true });
    host.on('error', () => {});
    const fromClient: Buffer[] = [];
    let hostEnded = false;
    host.on('data', (d) => fromClient.push(d));
    host.on('end', () => { hostEnded = true; host.end(); });
    await new Promise<void>((r) => host.once('connect', () => r()));
    const big = randomBytes(300_000);
    host.write(big);
    await peer.until(() => server.receivedBytes === big.length, 10_000, 'forwarded data');
    assert.equal(sha256(Buffer.concat(server.received)), sha256(big));
    server.write(Buffer.from('world'), Date.now());
    server.end(Date.now());
    peer.flush();
    await peer.until(() => hostEnded, 5000, 'the client\'s FIN at the host');
    assert.equal(Buffer.concat(fromClient).toString(), 'world');
    await peer.until(() => server.peerFin, 5000, 'the host\'s FIN at the client');

    const u = dgram.createSocket('udp4');
    const replies: Buffer[] = [];
    u.on('message', (m) => replies.push(m));
    u.send(Buffer.from('who?'), udpPort, '127.0.0.1');
    await peer.until(() => peer.other.some((p) => parseUdpPacket(p)?.dstPort === 5353), 5000, 'the forwarded datagram');
    const d = peer.other.map(parseUdpPacket).find((x) => x?.dstPort === 5353)!;
    assert.deepEqual([d.src, d.payload.toString()], [GW, 'who?']);
    peer.raw(buildUdp(CLIENT, GW, 5353, d.srcPort, Buffer.from('me!'), 9));
    await peer.until(() => replies.length > 0, 5000, 'the reply at the host');
    assert.equal(replies[0]!.toString(), 'me!');
    u.close();
  } finally {
    peer.close();
  }
});

test('integration: a slow host socket closes the client\'s window; a 12 MB upload arrives intact, memory bounded', async () => {
  const received: Buffer[] = [];
  let paused = true;
  let sock!: net.Socket;
  const server = net.createServer((s) => {
    sock = s;
    s.on('error', () => {}); // the session's end resets it
    s.pause();
    s.on('data', (d) => received.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const backend = new NatBackend({ client: '10.0.2.15', tcpRecvBuffer: 64 * 1024 });
  const peer = new Peer(backend);
  try {
    const c = peer.client(GW, port);
    c.connect(Date.now());
    peer.flush();
    await peer.until(() => c.established, 5000, 'connect');
    // The kernel absorbs a few MB (the loopback socket buffers: tcp_wmem up to 4 MB); the
    // rest must wait in the client, not in dialtone.
    const data = randomBytes(12 * 1024 * 1024);
    c.write(data, Date.now());
    peer.flush();
    await new Promise((r) => setTimeout(r, 1500));
    const conn = backend.stack.connections()[0]!;
    assert.ok(conn.rcvUsed <= 64 * 1024 + 16, `client data held for the host ≤ the receive buffer (${conn.rcvUsed})`);
    assert.ok(c.unsent > 2 * 1024 * 1024, `the client is held back by the closed window (${c.unsent} unsent)`);
    assert.ok(backend.stack.memoryInUse() <= 64 * 1024, 'the stack holds at most a window of out-of-order data');
    assert.ok(paused);
    paused = false;
    sock.resume();
    await peer.until(() => received.reduce((n, b) => n + b.length, 0) === data.length, 30_000, 'the upload');
    assert.equal(sha256(Buffer.concat(received)), sha256(data));
  } finally {
    peer.close();
    server.close();
  }
});

test('integration: behind a real PPP server session (PppLink over loopback TCP), the client resolves and pings', async () => {
  const { PppLink } = await import('./link.js');
  const backend = new NatBackend({});
  const server = net.createServer((socket) => {
    new PppLink(socket, { localAddr: '10.0.2.2', remoteAddr: '10.0.2.15', msDns: ['10.0.2.3'], backend }).on('log', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = new PppLink(net.connect(port, '127.0.0.1'), { usePeerDns: true });
  client.on('log', () => {});
  const received: Buffer[] = [];
  client.on('ip', (p) => received.push(p));
  try {
    const up = await new Promise<{ local: string; dns: string[] }>((r) => client.on('ip-up', r));
    assert.equal(up.local, '10.0.2.15');
    assert.equal(up.dns[0], '10.0.2.3');
    client.sendIp(buildUdp(CLIENT, DNS, 5000, 53, buildDnsQuery(1, 'gateway.dialtone.internal', QTYPE.A), 1));
    const { icmpEchoRequest } = await import('../wire/ipv4.js');
    client.sendIp(icmpEchoRequest(CLIENT, DNS, 1, 1, Buffer.from('hi')));
    const deadline = Date.now() + 5000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const dnsReply = received.map(parseUdpPacket).find((u) => u?.srcPort === 53);
    assert.ok(dnsReply, 'the DNS answer came back over PPP');
    assert.equal(parseDnsAnswer(dnsReply.payload)!.answers[0]!.data.readUInt32BE(0), GW);
    assert.ok(received.some((p) => {
      const ip = parseIpv4(p);
      return typeof ip !== 'string' && ip.protocol === PROTO_ICMP && ip.src === DNS;
    }), 'the echo reply from 10.0.2.3');
  } finally {
    client.close();
    await client.done;
    server.close();
  }
});
