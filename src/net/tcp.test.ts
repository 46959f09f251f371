import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NetStack } from './stack.js';
import { SharedLimits, type NetOptions } from './config.js';
import {
  buildTcp, parseIcmp, parseIpv4, parseTcp, PROTO_ICMP, PROTO_TCP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, writeIpv4Header,
} from '../wire/packet.js';
import { finish, pseudoSum, sum16 } from '../wire/checksum.js';
import { World } from './testing/peer.js';
import { gsoSize, segmentGso } from '../wire/gso.js';

const CLIENT = 0x0a00020f; // 10.0.2.15
const GW = 0x0a000202; // 10.0.2.2
const OUT = 0x5db8d822; // 93.184.216.34

function stack(o: Partial<NetOptions> = {}): NetStack {
  return new NetStack({ client: '10.0.2.15', seed: 7, ...o }, 0);
}

function segs(pkts: Buffer[]) {
  return pkts.flatMap((p) => {
    const ip = parseIpv4(p);
    if (typeof ip === 'string' || ip.protocol !== PROTO_TCP) return [];
    const s = parseTcp(ip);
    return typeof s === 'string' ? [] : [{ ...s, ip }];
  });
}

function syn(o: { srcPort?: number; dst?: number; dstPort?: number; seq?: number; mss?: number; wscale?: number } = {}): Buffer {
  return buildTcp({
    src: CLIENT, dst: o.dst ?? OUT, srcPort: o.srcPort ?? 40000, dstPort: o.dstPort ?? 80, seq: o.seq ?? 1000, ack: 0,
    flags: TCP_SYN, window: 65535, mss: o.mss, wscale: o.wscale, id: 1,
  });
}

/** The id of the tcp-connect request the stack just made. */
function connectId(s: NetStack): number {
  const r = s.takeRequests().find((x) => x.type === 'tcp-connect');
  if (!r || r.type !== 'tcp-connect') throw new Error('no tcp-connect');
  return r.id;
}

function concat(bufs: Buffer[]): Buffer {
  return Buffer.concat(bufs);
}

test('handshake: the SYN-ACK waits for the host connect, then carries MSS, and WS only when offered', () => {
  const s = stack({ tcpRecvBuffer: 64 * 1024 });
  s.input(syn({ mss: 1400, wscale: 7 }), 0);
  assert.deepEqual(s.takePackets(), [], 'nothing to the client before the host answers');
  const reqs = s.takeRequests();
  assert.equal(reqs.length, 1);
  const r = reqs[0]!;
  assert.equal(r.type, 'tcp-connect');
  if (r.type !== 'tcp-connect') return;
  assert.deepEqual([r.host, r.port], ['93.184.216.34', 80]);
  s.tcpConnected(r.id, 5);
  const [sa] = segs(s.takePackets());
  assert.ok(sa);
  assert.equal(sa.flags, TCP_SYN | TCP_ACK);
  assert.equal(sa.ack, 1001);
  assert.equal(sa.mss, 1460);
  assert.equal(sa.wscale, 1, 'a 64 KiB buffer needs shift 1');
  assert.equal(sa.ip.src, OUT, 'the stack answers as the destination');

  const s2 = stack();
  s2.input(syn({ mss: 1400 }), 0);
  s2.tcpConnected(connectId(s2), 0);
  const [sa2] = segs(s2.takePackets());
  assert.equal(sa2!.wscale, undefined, 'no WS in the SYN-ACK when the SYN had none (RFC 7323 §2.2)');
});

test('connections to the gateway address reach the host loopback', () => {
  const s = stack();
  s.input(syn({ dst: GW, dstPort: 8080 }), 0);
  const r = s.takeRequests()[0]!;
  assert.deepEqual(r.type === 'tcp-connect' && [r.host, r.port], ['127.0.0.1', 8080]);
});

test('a refused host connect answers RST, an unreachable one ICMP host-unreachable, a silent one RST after the timeout', () => {
  const s = stack();
  s.input(syn(), 0);
  s.tcpConnectFailed(connectId(s), 'refused', 1);
  const [rst] = segs(s.takePackets());
  assert.equal(rst!.flags, TCP_RST | TCP_ACK);
  assert.equal(rst!.ack, 1001);
  assert.equal(s.stats().tcp.active, 0);

  s.input(syn({ srcPort: 40001 }), 2);
  s.tcpConnectFailed(connectId(s), 'host-unreachable', 3);
  const [p] = s.takePackets();
  const ip = parseIpv4(p!);
  assert.ok(typeof ip !== 'string' && ip.protocol === PROTO_ICMP);
  const m = parseIcmp(ip);
  assert.ok(typeof m !== 'string');
  assert.deepEqual([m.type, m.code], [3, 1]);
  assert.equal(m.body.readUInt32BE(16), OUT, 'the quote is the SYN');

  const w = new World(stack({ tcpConnectTimeout: 5000 }));
  w.host.connectMode = 'hang';
  w.inject(syn({ srcPort: 40002 }));
  w.advance(6000);
  const rsts = segs(w.toClient).filter((x) => x.flags & TCP_RST);
  assert.equal(rsts.length, 1);
  assert.equal(w.host.conns.get([...w.host.conns.keys()][0]!)!.aborted, true, 'the pending host socket is abandoned');
});

test('data both ways, 200 KB each, intact and in order', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41000, dst: OUT, dstPort: 80, wscale: 2, rcvBuf: 200_000 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hostConn = [...w.host.conns.values()][0]!;
  const up = randomBytes(200_000);
  const down = randomBytes(200_000);
  c.write(up, w.now);
  w.host.send(hostConn.id, down);
  assert.ok(w.run(() => hostConn.writtenBytes === up.length && c.receivedBytes === down.length));
  assert.ok(concat(hostConn.written).equals(up));
  assert.ok(concat(c.received).equals(down));
  const st = w.stack.stats();
  assert.equal(st.tcp.bytesFromClient, 200_000);
  assert.equal(st.tcp.bytesToClient, 200_000);
  assert.equal(st.tcp.retransmits, 0);
});

test('a slow host closes the client\'s window; writes reopen it with a window update; probes meanwhile', () => {
  const recvBuf = 16 * 1024;
  const w = new World(stack({ tcpRecvBuffer: recvBuf }));
  w.host.fastWrites = false;
  const c = w.client({ srcPort: 41100, dst: OUT, dstPort: 80, wscale: 0 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  const up = randomBytes(100_000);
  c.write(up, w.now);
  w.advance(20_000);
  assert.ok(hc.writtenBytes <= recvBuf + 2, `host holds no more than the receive buffer (${hc.writtenBytes})`);
  assert.ok(hc.writtenBytes >= recvBuf - 1460, 'the window was used');
  assert.equal(c.unsent > 0, true, 'the client is blocked by the closed window');
  const lastWindows = segs(w.toClient);
  void lastWindows;
  // The host drains: the stack announces the space without waiting for a probe.
  const before = w.stack.stats().tcp.windowUpdates;
  assert.ok(w.run(() => {
    w.host.drain(hc.id, w.now);
    return hc.writtenBytes === up.length;
  }, 120_000));
  assert.ok(w.stack.stats().tcp.windowUpdates > before);
  assert.ok(concat(hc.written).equals(up));
});

test('zero window from the client: the stack probes with backoff, does not time out, and resumes', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41200, dst: OUT, dstPort: 80, rcvBuf: 4000, autoRead: false });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  const down = randomBytes(20_000);
  w.host.send(hc.id, down);
  w.advance(600_000); // ten minutes of a full client
  const st = w.stack.stats().tcp;
  assert.ok(st.windowProbes >= 5 && st.windowProbes < 40, `probes ${st.windowProbes} (backed off to 60 s)`);
  assert.equal(w.stack.connections()[0]!.state, 'ESTABLISHED');
  let got = 0;
  assert.ok(w.run(() => (got += c.read(w.now).length) === down.length, 120_000));
  assert.ok(concat(c.received).equals(down));
});

test('half-close, client first: FIN reaches the host as end(); the host keeps sending; then LAST-ACK → closed', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41300, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  c.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'), w.now);
  c.end(w.now);
  assert.ok(w.run(() => hc.ended));
  assert.equal(concat(hc.written).toString(), 'GET / HTTP/1.0\r\n\r\n', 'data before the FIN, then end()');
  assert.equal(w.stack.connections()[0]!.state, 'CLOSE_WAIT');
  const body = randomBytes(50_000);
  w.host.send(hc.id, body);
  assert.ok(w.run(() => c.receivedBytes === body.length), 'the half-open direction still carries data');
  w.host.endHost(hc.id);
  assert.ok(w.run(() => c.peerFin && c.allAcked && w.stack.stats().tcp.active === 0));
  assert.ok(hc.released, 'tcp-release after LAST-ACK');
  assert.equal(w.stack.stats().tcp.timeWait, 0, 'the side that closes second has no TIME-WAIT');
  assert.ok(concat(c.received).equals(body));
});

test('half-close, host first: FIN to the client, the client keeps sending, then TIME-WAIT, short and bounded', () => {
  const fins: Buffer[] = [];
  const w = new World(stack({ tcpTimeWait: 3000 }), {
    delay: 1,
    dropIf: (p) => {
      const x = segs([p])[0];
      if (x && x.flags & TCP_FIN) fins.push(p);
      return false;
    },
  }, { delay: 1 });
  const c = w.client({ srcPort: 41400, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.host.send(hc.id, Buffer.from('220 banner\r\n'));
  w.host.endHost(hc.id);
  assert.ok(w.run(() => c.peerFin && w.stack.connections()[0]!.state === 'FIN_WAIT_2'));
  assert.equal(concat(c.received).toString(), '220 banner\r\n');
  const up = randomBytes(40_000);
  c.write(up, w.now);
  assert.ok(w.run(() => hc.writtenBytes === up.length), 'FIN-WAIT-2 still receives');
  c.end(w.now);
  assert.ok(w.run(() => w.stack.stats().tcp.timeWait === 1));
  assert.ok(hc.ended && hc.released);
  assert.equal(w.stack.stats().tcp.active, 0, 'TIME-WAIT holds no connection slot');
  // A retransmitted FIN in TIME-WAIT is acknowledged again (RFC 9293 §3.10.7.4).
  w.advance(1000);
  w.stack.input(fins[0]!, w.now);
  const acks = segs(w.stack.takePackets());
  assert.equal(acks.length, 1);
  assert.equal(acks[0]!.flags, TCP_ACK);
  assert.equal(acks[0]!.ack, (segs([fins[0]!])[0]!.seq + 1) >>> 0);
  const t = w.now;
  assert.ok(w.run(() => w.stack.stats().tcp.timeWait === 0, 10_000));
  assert.ok(w.now - t <= 3000, 'the retransmitted FIN restarted the 3 s TIME-WAIT');
  assert.ok(w.now - t >= 2900);
});

test('TIME-WAIT is bounded: the oldest is recycled beyond tcpMaxTimeWait', () => {
  const w = new World(stack({ tcpTimeWait: 60_000, tcpMaxTimeWait: 3 }));
  for (let i = 0; i < 5; i++) {
    const c = w.client({ srcPort: 43000 + i, dst: OUT, dstPort: 80 });
    c.connect(w.now);
    assert.ok(w.run(() => c.established));
    const hc = [...w.host.conns.values()].at(-1)!;
    w.host.endHost(hc.id);
    assert.ok(w.run(() => c.peerFin));
    c.end(w.now);
    assert.ok(w.run(() => hc.released));
  }
  assert.equal(w.stack.stats().tcp.timeWait, 3);
});

test('a new SYN may reuse a pair in TIME-WAIT when its sequence number is higher (RFC 6191)', () => {
  const w = new World(stack({ tcpTimeWait: 60_000 }));
  const c = w.client({ srcPort: 43100, dst: OUT, dstPort: 80, iss: 5000 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.host.endHost(hc.id);
  assert.ok(w.run(() => c.peerFin));
  c.end(w.now);
  assert.ok(w.run(() => w.stack.stats().tcp.timeWait === 1));
  const c2 = w.client({ srcPort: 43100, dst: OUT, dstPort: 80, iss: 900_000 });
  w.clients.splice(0, 1);
  c2.connect(w.now);
  assert.ok(w.run(() => c2.established));
  assert.equal(w.host.conns.size, 2);
});

test('RST from the client resets the host socket; an inexact RST only draws a challenge ACK (RFC 5961)', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41500, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.host.send(hc.id, Buffer.from('x'));
  assert.ok(w.run(() => c.receivedBytes === 1));
  const conn = w.stack.connection(hc.id)!;
  // In the window but not exactly RCV.NXT.
  w.inject(buildTcp({ src: CLIENT, dst: OUT, srcPort: 41500, dstPort: 80, seq: (conn.rcvNxt + 100) >>> 0, ack: 0, flags: TCP_RST, window: 0, id: 3 }));
  w.advance(50);
  assert.equal(w.stack.stats().tcp.challengeAcks, 1);
  assert.equal(hc.aborted, false);
  c.sendRst();
  w.advance(50);
  assert.equal(hc.aborted, true);
  assert.equal(w.stack.stats().tcp.active, 0);
  assert.equal(w.stack.stats().tcp.resetsReceived, 1);
});

test('a SYN on an established connection draws a challenge ACK, not a reset (RFC 5961 §4)', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41600, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  w.inject(syn({ srcPort: 41600, seq: 77777 }));
  w.advance(50);
  assert.equal(w.stack.stats().tcp.challengeAcks, 1);
  assert.equal(w.stack.connections()[0]!.state, 'ESTABLISHED');
});

test('the host socket failing resets the client', () => {
  const w = new World(stack());
  const c = w.client({ srcPort: 41700, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.stack.tcpClosed(hc.id, w.now);
  w.advance(50);
  assert.ok(c.reset);
  assert.equal(w.stack.stats().tcp.active, 0);
});

test('segments of unknown connections are answered with RST; RSTs are not', () => {
  const s = stack();
  s.input(buildTcp({ src: CLIENT, dst: OUT, srcPort: 1, dstPort: 2, seq: 10, ack: 555, flags: TCP_ACK, window: 100, id: 1 }), 0);
  const [r] = segs(s.takePackets());
  assert.equal(r!.flags, TCP_RST);
  assert.equal(r!.seq, 555, 'seq = SEG.ACK (RFC 9293 §3.10.7.1)');
  s.input(buildTcp({ src: CLIENT, dst: OUT, srcPort: 1, dstPort: 2, seq: 10, ack: 0, flags: TCP_RST, window: 0, id: 1 }), 0);
  assert.equal(s.takePackets().length, 0);
});

test('connection limits: per session and shared by all sessions; refusals are RSTs', () => {
  const shared = new SharedLimits(3);
  const a = stack({ tcpMaxConnections: 2, shared });
  const b = new NetStack({ client: '10.0.2.16', seed: 8, shared }, 0);
  for (let i = 0; i < 3; i++) a.input(syn({ srcPort: 100 + i }), 0);
  assert.equal(a.takeRequests().filter((r) => r.type === 'tcp-connect').length, 2);
  const rsts = segs(a.takePackets()).filter((x) => x.flags & TCP_RST);
  assert.equal(rsts.length, 1);
  assert.equal(a.stats().tcp.limitRefused, 1);
  const synB = (port: number) => buildTcp({ src: 0x0a000210, dst: OUT, srcPort: port, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, id: 1 });
  b.input(synB(1), 0);
  b.input(synB(2), 0);
  assert.equal(b.takeRequests().length, 1, 'the shared limit (3) leaves one for the second session');
  assert.equal(shared.tcp, 3);
  a.close(1);
  b.close(1);
  assert.equal(shared.tcp, 0, 'slots are given back');
});

test('SYN options: SACK-permitted, timestamps and unknown options are parsed over; a bad option length drops the segment', () => {
  const mk = (opts: number[]) => {
    const optLen = Math.ceil(opts.length / 4) * 4;
    const pkt = Buffer.alloc(40 + optLen);
    writeIpv4Header(pkt, CLIENT, OUT, PROTO_TCP, 1);
    pkt.writeUInt16BE(40001, 20);
    pkt.writeUInt16BE(80, 22);
    pkt.writeUInt32BE(1000, 24);
    pkt[32] = ((20 + optLen) / 4) << 4;
    pkt[33] = TCP_SYN;
    pkt.writeUInt16BE(65535, 34);
    Buffer.from(opts).copy(pkt, 40);
    pkt.writeUInt16BE(finish(sum16(pkt, 20, pkt.length, pseudoSum(CLIENT, OUT, PROTO_TCP, pkt.length - 20))), 36);
    return pkt;
  };
  const s = stack();
  // MSS 1000, SACK-permitted, timestamps, window scale 9, an unknown kind 30, NOPs.
  s.input(mk([2, 4, 0x03, 0xe8, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 9, 30, 3, 0, 1]), 0);
  s.tcpConnected(connectId(s), 0);
  const [sa] = segs(s.takePackets());
  assert.equal(sa!.flags, TCP_SYN | TCP_ACK);
  assert.equal(sa!.sackPermitted, false, 'SACK is declined');
  assert.equal(s.connection(1)!.effMss, 1000);
  s.input(mk([2, 4, 0x03, 0xe8, 8, 0]), 0); // length 0: illegal
  s.input(mk([2, 4, 0x03, 0xe8, 8, 40]), 0); // runs past the header
  assert.equal(s.stats().ip.drops.tcpOptions, 2);
  assert.equal(s.takeRequests().length, 0);
});

test('active open towards the client (a port forward): data both ways; a closed client port resets the host side', () => {
  const w = new World(stack({ tcpRecvBuffer: 64 * 1024 }));
  const c = w.client({ src: 0x0a00020f, srcPort: 22, dst: GW, dstPort: 0, wscale: 4 });
  c.listen();
  const id = w.stack.openTcp(22, w.now)!;
  assert.ok(id);
  const hc = w.host.adopt(id);
  // The stack chose an ephemeral source port from the gateway address.
  const synSeg = segs(w.stack.takePackets().map((p) => (c.input(p, w.now), p)))[0]!;
  assert.equal(synSeg.flags, TCP_SYN);
  assert.ok(synSeg.srcPort >= 49152);
  assert.equal(synSeg.ip.src, GW, 'forwarded connections come from the gateway');
  assert.equal(synSeg.wscale, 1);
  w.host.send(id, Buffer.from('SSH-2.0-host\r\n'));
  assert.ok(w.run(() => c.established && c.receivedBytes === 14));
  c.write(Buffer.from('SSH-2.0-client\r\n'), w.now);
  assert.ok(w.run(() => hc.writtenBytes === 16));

  const id2 = w.stack.openTcp(23, w.now)!;
  const hc2 = w.host.adopt(id2);
  const [syn2] = w.stack.takePackets();
  const s2 = segs([syn2!])[0]!;
  w.stack.input(buildTcp({ src: CLIENT, dst: GW, srcPort: 23, dstPort: s2.srcPort, seq: 0, ack: (s2.seq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, id: 1 }), w.now);
  w.host.handle(w.now);
  assert.ok(hc2.aborted);
});

test('an unanswered SYN towards the client gives up after tcpMaxSynRetries', () => {
  const s = stack({ tcpMaxSynRetries: 2 });
  const id = s.openTcp(22, 0)!;
  let t = 0;
  for (let i = 0; i < 10; i++) {
    t = s.nextDeadline() ?? t;
    s.tick(t);
  }
  const syns = segs(s.takePackets()).filter((x) => x.flags === TCP_SYN);
  assert.equal(syns.length, 3);
  assert.ok(s.takeRequests().some((r) => r.type === 'tcp-abort' && r.id === id));
  assert.equal(s.stats().tcp.active, 0);
});

test('an idle established connection is reset after tcpIdleTimeout', () => {
  const w = new World(stack({ tcpIdleTimeout: 30_000 }));
  const c = w.client({ srcPort: 41800, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.advance(31_000);
  assert.ok(c.reset && hc.aborted);
});

test('too many retransmissions reset the connection', () => {
  const w = new World(stack({ tcpMaxRetries: 3 }), { delay: 5 }, { delay: 5, dropIf: (p) => p.length > 60 });
  const c = w.client({ srcPort: 41900, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.host.send(hc.id, Buffer.from('never arrives'.repeat(10)));
  assert.ok(w.run(() => hc.aborted, 120_000));
  assert.equal(w.stack.stats().tcp.timeouts, 4);
});

test('the session buffer budget pauses host reads across connections', () => {
  const w = new World(stack({ sessionBufferLimit: 40_000, tcpSendBuffer: 64 * 1024 }));
  const conns = [0, 1].map((i) => {
    const c = w.client({ srcPort: 44000 + i, dst: OUT, dstPort: 80, rcvBuf: 2000, autoRead: false });
    c.connect(w.now);
    return c;
  });
  assert.ok(w.run(() => conns.every((c) => c.established)));
  w.host.chunk = 4096;
  for (const hc of w.host.conns.values()) w.host.send(hc.id, randomBytes(200_000));
  w.advance(2000);
  assert.ok([...w.host.conns.values()].every((hc) => hc.paused));
  assert.ok(w.stack.stats().memory.buffered <= 40_000 + 2 * 4096);
});

test('RTO follows RFC 6298: 1 s before a sample, at least tcpMinRto after', () => {
  const w = new World(stack(), { delay: 20 });
  const c = w.client({ srcPort: 42500, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  assert.equal(w.stack.connection(hc.id)!.info().rto, 1000);
  w.host.send(hc.id, randomBytes(10_000));
  assert.ok(w.run(() => c.receivedBytes === 10_000));
  assert.equal(w.stack.connection(hc.id)!.info().rto, 1000, 'an RTT of 40 ms is clamped to the 1 s minimum');
  const w2 = new World(stack({ tcpMinRto: 10 }), { delay: 20 });
  const c2 = w2.client({ srcPort: 42501, dst: OUT, dstPort: 80 });
  c2.connect(w2.now);
  assert.ok(w2.run(() => c2.established));
  const h2 = [...w2.host.conns.values()][0]!;
  w2.host.send(h2.id, randomBytes(10_000));
  assert.ok(w2.run(() => c2.receivedBytes === 10_000));
  const rto = w2.stack.connection(h2.id)!.info().rto;
  assert.ok(rto >= 40 && rto < 200, `SRTT + 4 RTTVAR near the 40 ms RTT: ${rto}`);
});

test('the client\'s repeated SYNs while the host connect is pending make one host connection and one SYN-ACK', () => {
  const s = stack();
  s.input(syn({ srcPort: 45000 }), 0);
  s.input(syn({ srcPort: 45000 }), 1000);
  s.input(syn({ srcPort: 45000 }), 3000);
  assert.equal(s.takeRequests().filter((r) => r.type === 'tcp-connect').length, 1);
  assert.equal(s.takePackets().length, 0);
  s.tcpConnected(1, 3500);
  assert.equal(segs(s.takePackets()).filter((x) => x.flags === (TCP_SYN | TCP_ACK)).length, 1);
});

test('a lost SYN-ACK is sent again, on the client\'s repeated SYN and on our own RTO', () => {
  let synAcks = 0;
  const w = new World(stack(), { delay: 5 }, {
    delay: 5,
    dropIf: (p) => {
      const x = segs([p])[0];
      return !!x && x.flags === (TCP_SYN | TCP_ACK) && synAcks++ < 2;
    },
  });
  const c = w.client({ srcPort: 45100, dst: OUT, dstPort: 80, rto: 3000 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established, 20_000));
  assert.ok(synAcks >= 3);
  assert.ok(w.stack.stats().tcp.retransmits >= 1);
  const hc = [...w.host.conns.values()][0]!;
  c.write(Buffer.from('after a hard start'), w.now);
  assert.ok(w.run(() => hc.writtenBytes === 18));
});

test('with MSS 536 and no WS the stack sends segments of at most 536 octets and windows of at most 65535', () => {
  const sizes: number[] = [];
  const windows: number[] = [];
  const w = new World(stack(), {
    delay: 2,
    dropIf: () => false,
  }, {
    delay: 2,
    dropIf: (p) => {
      const x = segs([p])[0];
      if (x) { sizes.push(x.payload.length); windows.push(x.window); }
      return false;
    },
  });
  const c = w.client({ srcPort: 45200, dst: OUT, dstPort: 80, mss: 536 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  assert.equal(w.stack.connection(hc.id)!.effMss, 536);
  w.host.send(hc.id, randomBytes(30_000));
  c.write(randomBytes(100_000), w.now);
  assert.ok(w.run(() => c.receivedBytes === 30_000 && hc.writtenBytes === 100_000));
  assert.equal(Math.max(...sizes), 536);
  assert.ok(windows.every((x) => x <= 65535));
  assert.ok(windows.some((x) => x === 65535), 'a 64 KiB buffer shows as 65535 without scaling');
});

/**
 * The stack's packets towards the client, as a link with segmentation offload would pass
 * them on (super-segments cut, src/wire/gso.ts), recorded in order; `supers` counts the
 * super-segments among them.
 */
function offloaded(s: NetStack, on: boolean): { sent: Buffer[]; supers: number } {
  s.setGso(on);
  const rec = { sent: [] as Buffer[], supers: 0 };
  const take = s.takePackets.bind(s);
  s.takePackets = () => take().flatMap((p) => {
    const mss = gsoSize(p);
    if (mss) rec.supers++;
    const out = mss ? segmentGso(p, mss) : [p];
    rec.sent.push(...out);
    return out;
  });
  return rec;
}

test('segmentation offload: a download (data, PSH, FIN) puts on the line byte for byte what it does without', () => {
  const down = randomBytes(700_001);
  // A fast client with room, and a slow small one (MSS 536, an 8 KiB window it reads
  // slowly, no WS): window-limited sends cut where the window ends.
  const clients = [
    { wscale: 4, rcvBuf: 512 * 1024, mss: 1460, autoRead: true },
    { wscale: undefined, rcvBuf: 8 * 1024, mss: 536, autoRead: false },
  ];
  for (const o of clients) {
    const run = (on: boolean) => {
      const w = new World(stack({ tcpSendBuffer: 256 * 1024 }), { delay: 3 });
      const rec = offloaded(w.stack, on);
      const c = w.client({ srcPort: 41500, dst: OUT, dstPort: 80, ...o });
      c.connect(w.now);
      assert.ok(w.run(() => c.established));
      const hc = [...w.host.conns.values()][0]!;
      for (let i = 0; i < down.length; i += 64 * 1024) w.host.send(hc.id, down.subarray(i, i + 64 * 1024));
      w.host.endHost(hc.id);
      // The slow client reads at each step of the clock (read() reopens its window).
      assert.ok(w.run(() => {
        if (!o.autoRead) c.read(w.now);
        return c.peerFin;
      }, 600_000));
      assert.ok(concat(c.received).equals(down));
      return { ...rec, stats: w.stack.stats() };
    };
    const off = run(false);
    const on = run(true);
    assert.equal(off.supers, 0);
    assert.ok(on.supers > 0, 'super-segments were sent');
    assert.equal(on.sent.length, off.sent.length, `MSS ${o.mss}`);
    for (let i = 0; i < on.sent.length; i++) assert.deepEqual(on.sent[i], off.sent[i], `MSS ${o.mss}, packet ${i}`);
    // Counted as the segments they became.
    assert.equal(on.stats.tcp.segmentsOut, off.stats.tcp.segmentsOut);
    assert.deepEqual(on.stats.ip, off.stats.ip);
  }
});
