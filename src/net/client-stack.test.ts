/**
 * The client-role stack on a virtual clock: remote servers are the independent test TCP
 * (src/net/testing/peer.ts) in LISTEN, DNS servers are scripted, and a second scenario runs
 * the client stack against the server-role NetStack (the ISP's NAT) with a fake host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ClientStack, type ClientRequest } from './client-stack.js';
import { NetStack } from './stack.js';
import { ClientTcp, FakeHost, Pipe, parseUdpPacket, type LinkOptions } from './testing/peer.js';
import {
  buildIcmp, buildTcp, buildUdp, icmpQuote, parseIcmp, parseIpv4, parseTcp, PROTO_ICMP, PROTO_TCP, TCP_ACK, TCP_RST, TCP_SYN,
  ICMP_DEST_UNREACH, UNREACH_HOST, UNREACH_PORT,
} from '../wire/packet.js';
import { buildDnsAnswer, parseDnsQuery, RCODE } from './dns.js';

const LOCAL = 0x0a00020f; // 10.0.2.15
const REMOTE = 0x5db8d822; // 93.184.216.34
const DNS1 = 0x0a000203;
const DNS2 = 0x0a000204;

const sha = (b: Buffer[] | Buffer) => createHash('sha256').update(Array.isArray(b) ? Buffer.concat(b) : b).digest('hex');

/** What the adapter would do with the stack's requests: record them; flush writes at once or on demand. */
class App {
  readonly events: ClientRequest[] = [];
  readonly written = new Map<number, Buffer[]>();
  unflushed = new Map<number, number>();
  fastWrites = true;
  constructor(private readonly stack: ClientStack) {}

  handle(now: number): boolean {
    const reqs = this.stack.takeRequests();
    for (const r of reqs) {
      this.events.push(r);
      if (r.type === 'tcp-write') {
        const w = this.written.get(r.id) ?? [];
        w.push(Buffer.from(r.data));
        this.written.set(r.id, w);
        if (this.fastWrites) this.stack.tcpWritten(r.id, r.data.length, now);
        else this.unflushed.set(r.id, (this.unflushed.get(r.id) ?? 0) + r.data.length);
      }
    }
    return reqs.length > 0;
  }

  has(type: ClientRequest['type'], id?: number): ClientRequest | undefined {
    return this.events.find((e) => e.type === type && (id === undefined || e.id === id));
  }

  bytes(id: number): Buffer {
    return Buffer.concat(this.written.get(id) ?? []);
  }
}

type Responder = (pkt: Buffer, now: number) => Buffer[] | undefined;

/** The link: the client stack on one side; remote TCPs and scripted responders on the other. */
class ClientWorld {
  now = 0;
  readonly app: App;
  readonly up: Pipe; // stack → remote
  readonly down: Pipe; // remote → stack
  readonly remotes: ClientTcp[] = [];
  readonly responders: Responder[] = [];
  /** Packets from the stack nobody claimed. */
  readonly unclaimed: Buffer[] = [];
  peer?: { stack: NetStack; host: FakeHost };

  constructor(readonly stack: ClientStack, link: LinkOptions = {}) {
    this.app = new App(stack);
    this.up = new Pipe({ ...link, seed: (link.seed ?? 1) * 2 + 1 });
    this.down = new Pipe({ ...link, seed: (link.seed ?? 1) * 2 + 2 });
  }

  server(port: number, o: { addr?: number; rcvBuf?: number; autoRead?: boolean } = {}): ClientTcp {
    const c = new ClientTcp({ src: o.addr ?? REMOTE, srcPort: port, dst: 0, dstPort: 0, wscale: 3, rcvBuf: o.rcvBuf ?? 256 * 1024, autoRead: o.autoRead ?? true, rto: 200 });
    c.listen();
    this.remotes.push(c);
    return c;
  }

  /** A raw packet from the remote side. */
  inject(p: Buffer): void {
    this.down.push(p, this.now);
  }

  private settle(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      let moved = false;
      for (const c of this.remotes) for (const p of c.takePackets()) { this.down.push(p, this.now); moved = true; }
      if (this.peer) {
        for (const p of this.peer.stack.takePackets()) { this.down.push(p, this.now); moved = true; }
        this.peer.host.handle(this.now);
      }
      for (const p of this.down.due(this.now)) { this.stack.input(p, this.now); moved = true; }
      if (this.app.handle(this.now)) moved = true;
      for (const p of this.stack.takePackets()) { this.up.push(p, this.now); moved = true; }
      for (const p of this.up.due(this.now)) {
        moved = true;
        if (this.peer) {
          this.peer.stack.input(p, this.now);
          continue;
        }
        if (this.claim(p)) continue;
        let answered = false;
        for (const r of this.responders) {
          const out = r(p, this.now);
          if (out) {
            for (const o of out) this.down.push(o, this.now);
            answered = true;
            break;
          }
        }
        if (!answered) this.unclaimed.push(p);
      }
      if (!moved) return;
    }
    throw new Error('no quiescence');
  }

  private claim(p: Buffer): boolean {
    const ip = parseIpv4(p);
    if (typeof ip === 'string' || ip.protocol !== PROTO_TCP) return false;
    const seg = parseTcp(ip);
    if (typeof seg === 'string') return false;
    for (const c of this.remotes) {
      if (c.o.src !== ip.dst || c.o.srcPort !== seg.dstPort) continue;
      if (c.state === 'LISTEN' ? seg.flags & TCP_SYN : c.o.dstPort === seg.srcPort && c.o.dst === ip.src) {
        c.input(p, this.now);
        return true;
      }
    }
    return false;
  }

  run(done: () => boolean, limit = 120_000): boolean {
    const end = this.now + limit;
    this.settle();
    for (let steps = 0; steps < 2_000_000; steps++) {
      if (done()) return true;
      let next: number | undefined;
      const consider = (t: number | undefined) => {
        if (t !== undefined && (next === undefined || t < next)) next = t;
      };
      consider(this.up.next());
      consider(this.down.next());
      consider(this.stack.nextDeadline());
      if (this.peer) consider(this.peer.stack.nextDeadline());
      for (const c of this.remotes) consider(c.nextDeadline());
      if (next === undefined || next > end) {
        this.now = end;
        this.settle();
        return done();
      }
      this.now = Math.max(this.now, next);
      this.stack.tick(this.now);
      this.peer?.stack.tick(this.now);
      for (const c of this.remotes) c.tick(this.now);
      this.settle();
    }
    return done();
  }

  advance(ms: number): void {
    this.run(() => false, ms);
  }
}

function client(o: Partial<ConstructorParameters<typeof ClientStack>[0]> = {}): ClientStack {
  return new ClientStack({ local: '10.0.2.15', dns: ['10.0.2.3'], seed: 7, ...o }, 0);
}

/** A DNS server at `addr` answering A queries from a table (undefined → NXDOMAIN). */
function dnsServer(addr: number, table: Record<string, string[]>, seen: { name: string; to: number; from: number }[] = []): Responder {
  return (p) => {
    const u = parseUdpPacket(p);
    if (!u || u.dst !== addr || u.dstPort !== 53) return undefined;
    const q = parseDnsQuery(u.payload);
    if (!q || !q.ok) return [];
    seen.push({ name: q.query.name, to: u.dst, from: u.srcPort });
    const addrs = table[q.query.name];
    const res = addrs ? { rcode: RCODE.NOERROR, records: addrs.map((a) => ({ type: 'A' as const, address: a, ttl: 30 })) } : { rcode: RCODE.NXDOMAIN, records: [] };
    return [buildUdp(addr, u.src, 53, u.srcPort, buildDnsAnswer(q.query, res, { defaultTtl: 60, maxSize: 512, edns: false, ednsSize: 512 }), 1)];
  };
}

function tcpOf(p: Buffer) {
  const ip = parseIpv4(p);
  if (typeof ip === 'string' || ip.protocol !== PROTO_TCP) return undefined;
  const seg = parseTcp(ip);
  return typeof seg === 'string' ? undefined : { ip, seg };
}

// ------------------------------------------------------------------------------------------
// TCP
// ------------------------------------------------------------------------------------------

test('active open from the link address: SYN with MSS and window scale, connected event with our port', () => {
  const s = client();
  const w = new ClientWorld(s);
  const srv = w.server(80);
  const id = s.openTcp('93.184.216.34', 80, 0);
  const [synPkt] = s.takePackets();
  const syn = tcpOf(synPkt!)!;
  assert.equal(syn.ip.src, LOCAL);
  assert.equal(syn.ip.dst, REMOTE);
  assert.equal(syn.seg.dstPort, 80);
  assert.equal(syn.seg.flags, TCP_SYN);
  assert.equal(syn.seg.mss, 1460);
  assert.ok(syn.seg.wscale !== undefined);
  assert.ok(syn.seg.srcPort >= 49152);
  // A RST whose ACK does not cover our SYN is not a refusal (RFC 9293 §3.10.7.3).
  s.input(buildTcp({ src: REMOTE, dst: LOCAL, srcPort: 80, dstPort: syn.seg.srcPort, seq: 1, ack: syn.seg.seq, flags: TCP_RST | TCP_ACK, window: 0, id: 1 }), 0);
  assert.equal(s.connection(id)?.state, 'SYN_SENT');
  w.up.push(synPkt!, 0);
  assert.ok(w.run(() => srv.established && !!w.app.has('tcp-connected', id), 5_000));
  const ev = w.app.has('tcp-connected', id) as Extract<ClientRequest, { type: 'tcp-connected' }>;
  assert.equal(ev.localAddr, '10.0.2.15');
  assert.equal(ev.localPort, syn.seg.srcPort);
  assert.equal(s.stats().tcp.established, 1);
});

for (const link of [{ name: 'a clean link', o: { delay: 20 } }, { name: 'a lossy, reordering link', o: { delay: 20, loss: 0.03, jitter: 15, duplicate: 0.01, seed: 5 } }]) {
  test(`data both ways and an orderly close over ${link.name}`, () => {
    const s = client();
    const w = new ClientWorld(s, link.o);
    const srv = w.server(80);
    const id = s.openTcp('93.184.216.34', 80, 0);
    assert.ok(w.run(() => !!w.app.has('tcp-connected', id), 10_000));
    const up = randomBytes(300_000);
    const down = randomBytes(500_000);
    for (let i = 0; i < up.length; i += 16384) s.tcpData(id, up.subarray(i, i + 16384), w.now);
    s.tcpEnd(id, w.now);
    srv.write(down, w.now);
    srv.end(w.now);
    assert.ok(w.run(() => srv.peerFin && !!w.app.has('tcp-end', id) && srv.allAcked, 120_000), 'both directions finish');
    assert.equal(sha(srv.received), sha(up));
    assert.equal(sha(w.app.bytes(id)), sha(down));
    w.advance(10_000); // TIME-WAIT passes
    const st = s.stats();
    assert.equal(st.tcp.active, 0);
    assert.equal(st.tcp.timeWait, 0);
    assert.equal(st.tcp.bytesSent, up.length);
    assert.equal(st.tcp.bytesReceived, down.length);
    assert.equal(st.memory.buffered, 0);
    assert.ok(!w.app.has('tcp-abort', id));
  });
}

test('connection refused: a RST to our SYN is tcp-failed "refused" (no tcp-abort)', () => {
  const s = client();
  const w = new ClientWorld(s);
  w.responders.push((p) => {
    const t = tcpOf(p);
    if (!t || !(t.seg.flags & TCP_SYN)) return undefined;
    return [buildTcp({ src: t.ip.dst, dst: t.ip.src, srcPort: t.seg.dstPort, dstPort: t.seg.srcPort, seq: 0, ack: (t.seg.seq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, id: 3 })];
  });
  const id = s.openTcp('93.184.216.34', 81, 0);
  assert.ok(w.run(() => !!w.app.has('tcp-failed', id), 5_000));
  assert.deepEqual(w.app.has('tcp-failed', id), { type: 'tcp-failed', id, why: 'refused' });
  assert.ok(!w.app.has('tcp-abort', id));
  assert.equal(s.stats().tcp.failed.refused, 1);
  assert.equal(s.stats().tcp.active, 0);
});

test('connect timeout: unanswered SYNs are retried with backoff, then tcp-failed "timeout"', () => {
  const s = client();
  const w = new ClientWorld(s);
  const id = s.openTcp('93.184.216.34', 80, 0);
  assert.ok(w.run(() => !!w.app.has('tcp-failed', id), 200_000));
  assert.deepEqual(w.app.has('tcp-failed', id), { type: 'tcp-failed', id, why: 'timeout' });
  const syns = w.unclaimed.filter((p) => (tcpOf(p)?.seg.flags ?? 0) & TCP_SYN);
  assert.equal(syns.length, 6); // the first and 5 retries
  assert.ok(w.now >= 63_000 && w.now < 70_000, `gave up at ${w.now}`); // 1+2+4+8+16+32 s
});

test('ICMP host unreachable about our SYN ends the connect as "host-unreachable"; about an established connection it is a soft error', () => {
  const s = client();
  const w = new ClientWorld(s);
  w.responders.push((p) => {
    const t = tcpOf(p);
    if (!t || !(t.seg.flags & TCP_SYN) || t.seg.dstPort !== 80) return undefined;
    return [buildIcmp(0x0a000202, LOCAL, ICMP_DEST_UNREACH, UNREACH_HOST, 0, icmpQuote(p), 4)];
  });
  const id = s.openTcp('93.184.216.34', 80, 0);
  assert.ok(w.run(() => !!w.app.has('tcp-failed', id), 5_000));
  assert.deepEqual(w.app.has('tcp-failed', id), { type: 'tcp-failed', id, why: 'host-unreachable' });

  w.server(443);
  const id2 = s.openTcp('93.184.216.34', 443, w.now);
  assert.ok(w.run(() => !!w.app.has('tcp-connected', id2), 5_000));
  const c = s.connection(id2)!;
  const fake = buildTcp({ src: LOCAL, dst: REMOTE, srcPort: c.ep.localPort, dstPort: 443, seq: c.sndUna, ack: 0, flags: TCP_ACK, window: 0, id: 9 });
  w.inject(buildIcmp(0x0a000202, LOCAL, ICMP_DEST_UNREACH, UNREACH_HOST, 0, icmpQuote(fake), 5));
  w.advance(100);
  assert.equal(s.connection(id2)?.state, 'ESTABLISHED');
  assert.equal(s.stats().tcp.softErrors, 1);
});

test('a SYN (or any segment) for no connection gets RST; packets for other addresses are dropped', () => {
  const s = client();
  s.input(buildTcp({ src: REMOTE, dst: LOCAL, srcPort: 4000, dstPort: 8080, seq: 1000, ack: 0, flags: TCP_SYN, window: 8192, mss: 1460, id: 1 }), 0);
  let out = s.takePackets().map(tcpOf);
  assert.equal(out.length, 1);
  assert.deepEqual([out[0]!.ip.src, out[0]!.ip.dst, out[0]!.seg.srcPort, out[0]!.seg.dstPort, out[0]!.seg.flags, out[0]!.seg.ack],
    [LOCAL, REMOTE, 8080, 4000, TCP_RST | TCP_ACK, 1001]);
  s.input(buildTcp({ src: REMOTE, dst: LOCAL, srcPort: 4000, dstPort: 8080, seq: 5, ack: 777, flags: TCP_ACK, window: 8192, id: 2 }), 0);
  out = s.takePackets().map(tcpOf);
  assert.deepEqual([out[0]!.seg.flags, out[0]!.seg.seq], [TCP_RST, 777]);
  s.input(buildTcp({ src: REMOTE, dst: LOCAL, srcPort: 4000, dstPort: 8080, seq: 5, ack: 777, flags: TCP_RST, window: 0, id: 3 }), 0);
  assert.equal(s.takePackets().length, 0, 'never a RST for a RST');
  s.input(buildTcp({ src: REMOTE, dst: 0x0a000210, srcPort: 4000, dstPort: 8080, seq: 1, ack: 0, flags: TCP_SYN, window: 8192, id: 4 }), 0);
  s.input(buildTcp({ src: 0x7f000001, dst: LOCAL, srcPort: 4000, dstPort: 8080, seq: 1, ack: 0, flags: TCP_SYN, window: 8192, id: 5 }), 0);
  assert.equal(s.takePackets().length, 0);
  const st = s.stats();
  assert.equal(st.ip.drops.wrongDestination, 1);
  assert.equal(st.ip.drops.martianSource, 1);
  assert.equal(st.tcp.resetsToStrays, 2);
  assert.equal(s.takeRequests().length, 0);
});

test('UDP to a port we do not use gets ICMP port unreachable', () => {
  const s = client();
  s.input(buildUdp(REMOTE, LOCAL, 5000, 6000, Buffer.from('hi'), 1), 0);
  const [p] = s.takePackets();
  const ip = parseIpv4(p!);
  assert.ok(typeof ip !== 'string' && ip.protocol === PROTO_ICMP);
  const m = parseIcmp(ip);
  assert.ok(typeof m !== 'string' && m.type === ICMP_DEST_UNREACH && m.code === UNREACH_PORT);
});

test('flow control: a slow local reader closes the window; a full send buffer pauses the local socket until ACKs', () => {
  const s = client({ tcpRecvBuffer: 32 * 1024, tcpSendBuffer: 32 * 1024 });
  const w = new ClientWorld(s, { delay: 10 });
  const srv = w.server(80, { autoRead: false, rcvBuf: 16 * 1024 });
  const id = s.openTcp('93.184.216.34', 80, 0);
  assert.ok(w.run(() => !!w.app.has('tcp-connected', id), 5_000));
  // Download with a local reader that does not read.
  w.app.fastWrites = false;
  srv.write(randomBytes(200_000), w.now);
  w.advance(5_000);
  const got = w.app.bytes(id).length;
  assert.ok(got <= 32 * 1024 + 1460, `at most a window's worth reached the local socket (${got})`);
  assert.ok(got >= 16 * 1024, `the window was used (${got})`);
  // The reader catches up: the rest flows.
  const drain = () => {
    for (const [k, n] of w.app.unflushed) if (n) { s.tcpWritten(k, n, w.now); w.app.unflushed.set(k, 0); }
  };
  w.app.fastWrites = true;
  drain();
  assert.ok(w.run(() => w.app.bytes(id).length === 200_000, 60_000));
  // Upload to a remote that does not read: the send buffer fills and the local socket is paused.
  for (let i = 0; i < 8; i++) s.tcpData(id, randomBytes(16 * 1024), w.now);
  w.advance(2_000);
  const pauses = () => w.app.events.filter((e) => e.type === 'tcp-pause' && e.id === id).length;
  const resumes = () => w.app.events.filter((e) => e.type === 'tcp-resume' && e.id === id).length;
  assert.equal(pauses(), 1);
  assert.equal(resumes(), 0);
  assert.ok(w.run(() => { srv.read(w.now); return resumes() === 1; }, 30_000), 'resumed once the remote read');
});

test('close(): every open connection is aborted towards the adapter, nothing more is sent', () => {
  const s = client();
  const w = new ClientWorld(s);
  w.server(80);
  const id = s.openTcp('93.184.216.34', 80, 0);
  const pending = s.openTcp('93.184.216.35', 80, 0);
  assert.ok(w.run(() => !!w.app.has('tcp-connected', id), 5_000));
  s.close(w.now);
  w.app.handle(w.now);
  assert.ok(w.app.has('tcp-abort', id));
  assert.deepEqual(w.app.has('tcp-failed', pending), { type: 'tcp-failed', id: pending, why: 'link-down' });
  assert.equal(s.takePackets().length, 0);
  assert.equal(s.stats().tcp.active, 0);
  assert.equal(s.openTcp('93.184.216.34', 80, w.now) > 0, true);
  assert.equal((s.takeRequests()[0] as { why: string }).why, 'error');
});

test('openTcp refuses impossible destinations and honours the connection limit', () => {
  const s = client({ tcpMaxConnections: 1 });
  const a = s.openTcp('127.0.0.1', 80, 0);
  const b = s.openTcp('224.0.0.1', 80, 0);
  const c = s.openTcp('10.0.2.15', 80, 0);
  const d = s.openTcp('1.2.3.4', 0, 0);
  const e = s.openTcp('1.2.3.4', 80, 0);
  const f = s.openTcp('1.2.3.5', 80, 0);
  const why = new Map(s.takeRequests().map((r) => [r.id, (r as { why?: string }).why]));
  assert.deepEqual([why.get(a), why.get(b), why.get(c), why.get(d), why.has(e), why.get(f)], ['net-unreachable', 'net-unreachable', 'refused', 'error', false, 'limit']);
});

// ------------------------------------------------------------------------------------------
// DNS
// ------------------------------------------------------------------------------------------

test('DNS: an A query over the link from a random port; the answer resolves; the second lookup comes from the cache', () => {
  const s = client();
  const w = new ClientWorld(s, { delay: 30 });
  const seen: { name: string; to: number; from: number }[] = [];
  w.responders.push(dnsServer(DNS1, { 'example.com': ['93.184.216.34', '93.184.216.35'] }, seen));
  const q = s.resolve('Example.COM.', 0);
  assert.ok(w.run(() => !!w.app.has('dns-resolved', q), 5_000));
  assert.deepEqual(w.app.has('dns-resolved', q), { type: 'dns-resolved', id: q, name: 'example.com', addresses: ['93.184.216.34', '93.184.216.35'], cached: false });
  assert.equal(seen.length, 1);
  assert.ok(seen[0]!.from >= 49152);
  assert.equal(w.now, 60);
  const q2 = s.resolve('example.com', w.now);
  w.app.handle(w.now);
  assert.deepEqual(w.app.has('dns-resolved', q2), { type: 'dns-resolved', id: q2, name: 'example.com', addresses: ['93.184.216.34', '93.184.216.35'], cached: true });
  assert.equal(seen.length, 1);
  // The cache honours the TTL (30 s).
  w.advance(31_000);
  const q3 = s.resolve('example.com', w.now);
  assert.ok(w.run(() => !!w.app.has('dns-resolved', q3), 5_000));
  assert.equal(seen.length, 2);
});

test('DNS: answers with the wrong ID, source or question are ignored; NXDOMAIN fails at once', () => {
  const s = client();
  const q = s.resolve('example.com', 0);
  const u = parseUdpPacket(s.takePackets()[0]!)!;
  assert.deepEqual([u.src, u.dst, u.dstPort], [LOCAL, DNS1, 53]);
  const query = parseDnsQuery(u.payload);
  assert.ok(query && query.ok);
  const answer = (o: { id?: number; name?: string; from?: number; addr?: string; rcode?: number }) => {
    const qq = { ...query.query, id: o.id ?? query.query.id };
    if (o.name) {
      const other = parseDnsQuery(Buffer.concat([u.payload.subarray(0, 12), Buffer.from([5, ...Buffer.from('evil!'), 3, 99, 111, 109, 0, 0, 1, 0, 1])]));
      assert.ok(other && other.ok);
      qq.question = other.query.question;
    }
    return buildUdp(o.from ?? DNS1, LOCAL, 53, u.srcPort, buildDnsAnswer(qq, { rcode: o.rcode ?? RCODE.NOERROR, records: [{ type: 'A', address: o.addr ?? '6.6.6.6' }] }, { defaultTtl: 60, maxSize: 512, edns: false, ednsSize: 512 }), 1);
  };
  s.input(answer({ id: (query.query.id + 1) & 0xffff }), 10);
  s.input(answer({ from: DNS2 }), 10);
  s.input(answer({ name: 'x' }), 10);
  assert.equal(s.takeRequests().length, 0);
  assert.equal(s.stats().dns.mismatched, 3);
  s.input(answer({ addr: '1.2.3.4' }), 20);
  assert.deepEqual(s.takeRequests(), [{ type: 'dns-resolved', id: q, name: 'example.com', addresses: ['1.2.3.4'], cached: false }]);
  // A late duplicate now meets a closed port.
  s.input(answer({ addr: '1.2.3.4' }), 30);
  assert.equal(s.stats().udp.unmatched, 1);

  const q2 = s.resolve('nowhere.example', 40);
  const u2 = parseUdpPacket(s.takePackets().find((p) => parseUdpPacket(p))!)!;
  const qq2 = parseDnsQuery(u2.payload);
  assert.ok(qq2 && qq2.ok);
  s.input(buildUdp(DNS1, LOCAL, 53, u2.srcPort, buildDnsAnswer(qq2.query, { rcode: RCODE.NXDOMAIN, records: [] }, { defaultTtl: 60, maxSize: 512, edns: false, ednsSize: 512 }), 1), 50);
  assert.deepEqual(s.takeRequests(), [{ type: 'dns-failed', id: q2, name: 'nowhere.example', why: 'nxdomain' }]);
});

test('DNS: unanswered queries are retried every dnsTimeout, alternating servers, then fail with "timeout"', () => {
  const s = client({ dns: ['10.0.2.3', '10.0.2.4'] });
  const w = new ClientWorld(s);
  const q = s.resolve('slow.example', 0);
  assert.ok(w.run(() => !!w.app.has('dns-failed', q), 60_000));
  assert.deepEqual(w.app.has('dns-failed', q), { type: 'dns-failed', id: q, name: 'slow.example', why: 'timeout' });
  assert.equal(w.now, 6_000);
  const to = w.unclaimed.map((p) => parseUdpPacket(p)!.dst);
  assert.deepEqual(to, [DNS1, DNS2, DNS1]);
  assert.equal(s.stats().dns.pending, 0);
});

test('DNS: ICMP port unreachable from a server moves on to the next at once', () => {
  const s = client({ dns: ['10.0.2.3', '10.0.2.4'] });
  const w = new ClientWorld(s);
  w.responders.push((p) => {
    const u = parseUdpPacket(p);
    if (!u || u.dst !== DNS1) return undefined;
    return [buildIcmp(DNS1, LOCAL, ICMP_DEST_UNREACH, UNREACH_PORT, 0, icmpQuote(p), 1)];
  });
  w.responders.push(dnsServer(DNS2, { 'a.example': ['5.6.7.8'] }));
  const q = s.resolve('a.example', 0);
  assert.ok(w.run(() => !!w.app.has('dns-resolved', q), 10_000));
  assert.ok(w.now < 100, `answered by the second server without waiting (${w.now})`);
});

test('DNS: literals need no query; bad names and a missing server fail', () => {
  const s = client({ dns: [] });
  const a = s.resolve('192.0.2.7', 0);
  const b = s.resolve('bad name!', 0);
  const c = s.resolve('example.com', 0);
  const d = s.resolve('999.1.1.1', 0);
  assert.deepEqual(s.takeRequests(), [
    { type: 'dns-resolved', id: a, name: '192.0.2.7', addresses: ['192.0.2.7'], cached: false },
    { type: 'dns-failed', id: b, name: 'bad name!', why: 'bad-name' },
    { type: 'dns-failed', id: c, name: 'example.com', why: 'no-server' },
    { type: 'dns-failed', id: d, name: '999.1.1.1', why: 'bad-name' },
  ]);
  assert.equal(s.takePackets().length, 0);
});

// ------------------------------------------------------------------------------------------
// Against the server-role stack
// ------------------------------------------------------------------------------------------

test('client stack against the ISP-side NetStack (NAT) on a lossy virtual link: DNS alias, then a download and upload', () => {
  const s = client();
  const w = new ClientWorld(s, { delay: 15, loss: 0.02, jitter: 10, seed: 9 });
  const nat = new NetStack({ client: '10.0.2.15', seed: 3 }, 0);
  w.peer = { stack: nat, host: new FakeHost(nat) };
  const q = s.resolve('host.dialtone.internal', 0);
  assert.ok(w.run(() => !!w.app.has('dns-resolved', q) || !!w.app.has('dns-failed', q), 20_000));
  const r = w.app.has('dns-resolved', q) as Extract<ClientRequest, { type: 'dns-resolved' }>;
  assert.deepEqual(r.addresses, ['10.0.2.2']);
  const id = s.openTcp(r.addresses[0]!, 8080, w.now);
  assert.ok(w.run(() => !!w.app.has('tcp-connected', id), 30_000));
  const hc = [...w.peer.host.conns.values()][0]!;
  assert.deepEqual([hc.host, hc.port], ['127.0.0.1', 8080]);
  const down = randomBytes(400_000);
  const up = randomBytes(200_000);
  w.peer.host.send(hc.id, down);
  w.peer.host.endHost(hc.id);
  s.tcpData(id, up, w.now);
  s.tcpEnd(id, w.now);
  assert.ok(w.run(() => w.app.bytes(id).length === down.length && hc.writtenBytes === up.length && !!w.app.has('tcp-end', id) && hc.ended, 200_000));
  assert.equal(sha(w.app.bytes(id)), sha(down));
  assert.equal(sha(hc.written), sha(up));
  w.advance(20_000);
  assert.equal(s.stats().tcp.active, 0);
  assert.equal(nat.stats().tcp.active, 0);
});

// ------------------------------------------------------------------------------------------
// Robustness
// ------------------------------------------------------------------------------------------

test('fuzz: random and mutated packets, with random adapter calls, never throw; deadlines stay finite', () => {
  const s0 = client();
  s0.openTcp('93.184.216.34', 80, 0);
  s0.resolve('example.com', 0);
  const templates = s0.takePackets();
  fc.assert(fc.property(
    fc.array(fc.record({
      kind: fc.nat(4),
      bytes: fc.uint8Array({ maxLength: 80 }),
      edits: fc.array(fc.tuple(fc.nat(70), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
      dt: fc.nat(3000),
      call: fc.nat(6),
    }), { maxLength: 40 }),
    (steps) => {
      const s = client({ tcpMaxConnections: 4 });
      let now = 0;
      const ids = [s.openTcp('93.184.216.34', 80, 0)];
      for (const st of steps) {
        now += st.dt;
        let p: Buffer;
        if (st.kind === 0) p = Buffer.from(st.bytes);
        else {
          // A reply-shaped packet: a template with src/dst swapped and bytes edited.
          const t = Buffer.from(templates[st.kind % templates.length]!);
          t.copy(t, 12, 16, 20);
          t.writeUInt32BE(LOCAL, 16);
          for (const [at, v] of st.edits) if (at < t.length) t[at] = v;
          p = t;
        }
        s.input(p, now);
        const id = ids[st.call % ids.length]!;
        switch (st.call) {
          case 0: ids.push(s.openTcp('93.184.216.34', 80 + st.dt, now)); break;
          case 1: s.tcpData(id, Buffer.alloc(5000, 1), now); break;
          case 2: s.tcpEnd(id, now); break;
          case 3: s.tcpClosed(id, now); break;
          case 4: s.resolve('example.com', now); break;
          case 5: s.tcpWritten(id, 100, now); break;
          default: s.tick(now);
        }
        s.takePackets();
        s.takeRequests();
        const d = s.nextDeadline();
        assert.ok(d === undefined || Number.isFinite(d));
      }
      s.close(now);
    },
  ), { numRuns: 300 });
});

