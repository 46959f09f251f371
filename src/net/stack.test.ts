/** IPv4, ICMP, UDP NAT, the virtual DNS and fragments, on a virtual clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NetStack } from './stack.js';
import { SharedLimits, type NetOptions } from './config.js';
import {
  buildIcmp, buildTcp, buildUdp, fragmentIpv4, parseIcmp, parseIpv4, parseUdp, PROTO_ICMP, PROTO_UDP, TCP_SYN, writeIpv4Header,
} from '../wire/packet.js';
import { buildDnsQuery, parseDnsAnswer, QTYPE, RCODE } from './dns.js';
import { Reassembler } from './reassembly.js';
import { icmpEchoRequest } from '../wire/ipv4.js';
import { finish, sum16 } from '../wire/checksum.js';

const CLIENT = 0x0a00020f;
const GW = 0x0a000202;
const DNS = 0x0a000203;
const OUT = 0x5db8d822;

function stack(o: Partial<NetOptions> = {}): NetStack {
  return new NetStack({ client: '10.0.2.15', seed: 3, ...o }, 0);
}

function icmps(pkts: Buffer[]) {
  return pkts.flatMap((p) => {
    const ip = parseIpv4(p);
    if (typeof ip === 'string' || ip.protocol !== PROTO_ICMP) return [];
    const m = parseIcmp(ip);
    return typeof m === 'string' ? [] : [{ ...m, ip }];
  });
}

function udps(pkts: Buffer[]) {
  return pkts.flatMap((p) => {
    const ip = parseIpv4(p);
    if (typeof ip === 'string' || ip.protocol !== PROTO_UDP) return [];
    const u = parseUdp(ip);
    return typeof u === 'string' ? [] : [{ ...u, ip }];
  });
}

function withTtl(pkt: Buffer, ttl: number): Buffer {
  const b = Buffer.from(pkt);
  b[8] = ttl;
  b.writeUInt16BE(0, 10);
  b.writeUInt16BE(finish(sum16(b, 0, 20)), 10);
  return b;
}

// ------------------------------------------------------------------------------------------
// IPv4 and ICMP
// ------------------------------------------------------------------------------------------

test('ICMP echo: answered for the gateway and DNS addresses; other hosts per echoPolicy', () => {
  const s = stack();
  s.input(icmpEchoRequest(CLIENT, GW, 7, 1, Buffer.from('ping')), 0);
  s.input(icmpEchoRequest(CLIENT, DNS, 7, 2, Buffer.from('ping')), 0);
  const replies = icmps(s.takePackets());
  assert.equal(replies.length, 2);
  assert.deepEqual(replies.map((r) => [r.type, r.ip.src, r.ip.dst, r.rest & 0xffff, r.body.toString()]),
    [[0, GW, CLIENT, 1, 'ping'], [0, DNS, CLIENT, 2, 'ping']]);
  s.input(icmpEchoRequest(CLIENT, OUT, 7, 3), 0);
  assert.equal(s.takePackets().length, 0, "default 'drop': no reply for outside hosts");
  assert.equal(s.stats().icmp.echoDropped, 1);
  const u = stack({ echoPolicy: 'unreachable' });
  u.input(icmpEchoRequest(CLIENT, OUT, 7, 3), 0);
  const [err] = icmps(u.takePackets());
  assert.deepEqual([err!.type, err!.code, err!.ip.src], [3, 1, GW]);
  // A host of the virtual network that does not exist: host unreachable either way.
  s.input(icmpEchoRequest(CLIENT, 0x0a000209, 7, 4), 0);
  assert.deepEqual(icmps(s.takePackets()).map((m) => [m.type, m.code]), [[3, 1]]);
});

test('an unknown protocol draws protocol-unreachable quoting the datagram', () => {
  const s = stack();
  const pkt = Buffer.alloc(40);
  writeIpv4Header(pkt, CLIENT, OUT, 47 /* GRE */, 99);
  s.input(pkt, 0);
  const [m] = icmps(s.takePackets());
  assert.deepEqual([m!.type, m!.code, m!.ip.src], [3, 2, OUT]);
  assert.ok(m!.body.subarray(0, 28).equals(pkt.subarray(0, 28)), 'header + 8 octets quoted (RFC 792)');
  assert.equal(s.stats().ip.drops.unknownProtocol, 1);
});

test('TTL: a packet to an outside host with TTL 1 draws time-exceeded from the gateway; local ones are delivered', () => {
  const s = stack();
  s.input(withTtl(icmpEchoRequest(CLIENT, OUT, 1, 1), 1), 0);
  const [m] = icmps(s.takePackets());
  assert.deepEqual([m!.type, m!.code, m!.ip.src], [11, 0, GW]);
  s.input(withTtl(icmpEchoRequest(CLIENT, GW, 1, 1), 1), 0);
  assert.equal(icmps(s.takePackets())[0]!.type, 0, 'TTL 1 to the gateway itself is fine');
});

test('bad input is dropped and counted: checksums, truncation, versions, sources, broadcasts (no ICMP for those)', () => {
  const s = stack();
  const good = icmpEchoRequest(CLIENT, GW, 1, 1, Buffer.from('abcd'));
  const badIpSum = Buffer.from(good); badIpSum[10]! ^= 1;
  const badIcmpSum = Buffer.from(good); badIcmpSum[30]! ^= 1;
  const v6 = Buffer.from(good); v6[0] = 0x65;
  s.input(badIpSum, 0);
  s.input(badIcmpSum, 0);
  s.input(v6, 0);
  s.input(good.subarray(0, 30), 0);
  s.input(Buffer.alloc(0), 0);
  s.input(icmpEchoRequest(0x0a000299, GW, 1, 1), 0);
  s.input(buildUdp(CLIENT, 0xffffffff, 137, 137, Buffer.from('netbios'), 1), 0);
  s.input(buildUdp(CLIENT, 0x0a0002ff, 137, 137, Buffer.from('netbios'), 1), 0);
  s.input(buildUdp(CLIENT, 0xe00000fb, 5353, 5353, Buffer.from('mdns'), 1), 0);
  assert.equal(s.takePackets().length, 0);
  assert.deepEqual(s.stats().ip.drops, {
    ipChecksum: 1, icmpChecksum: 1, ipVersion: 1, ipTruncated: 2, wrongSource: 1, broadcast: 3,
  });
});

test('ICMP errors are rate limited and never sent about ICMP errors', () => {
  const s = stack({ icmpErrorsPerSecond: 5 });
  for (let i = 0; i < 20; i++) s.input(buildUdp(CLIENT, DNS, 1000 + i, 99, Buffer.from('x'), i), 0);
  assert.equal(icmps(s.takePackets()).length, 5);
  assert.equal(s.stats().icmp.errorsRateLimited, 15);
  s.tick(1000);
  s.input(buildUdp(CLIENT, DNS, 999, 99, Buffer.from('x'), 1), 1000);
  assert.equal(icmps(s.takePackets()).length, 1, 'tokens come back with time');
  // An ICMP error from the client with TTL 1 towards an outside host: no error about it.
  const err = withTtl(buildIcmp(CLIENT, OUT, 3, 3, 0, Buffer.alloc(28), 1), 1);
  s.input(err, 2000);
  assert.equal(s.takePackets().length, 0);
});

// ------------------------------------------------------------------------------------------
// Fragments
// ------------------------------------------------------------------------------------------

function fragmentsOf(pkt: Buffer, mtu: number): Buffer[] {
  return fragmentIpv4(pkt, mtu);
}

test('fragments are reassembled in any order, with duplicates; the datagram is then handled', () => {
  const s = stack();
  const payload = randomBytes(4000);
  const dgram = buildUdp(CLIENT, OUT, 5000, 6000, payload, 0x1234);
  const frags = fragmentsOf(dgram, 576);
  assert.ok(frags.length >= 7);
  const order = [3, 0, 6, 1, 1, 5, 2, 4, ...frags.keys()].filter((i) => i < frags.length);
  for (const i of order) s.input(frags[i]!, 0);
  const send = s.takeRequests().filter((r) => r.type === 'udp-send');
  assert.equal(send.length, 1);
  assert.ok(send[0]!.type === 'udp-send' && send[0]!.data.equals(payload));
  assert.equal(s.stats().frag.reassembled, 1);
  assert.equal(s.stats().frag.pendingBytes, 0);
});

test('overlapping fragments discard the datagram; reassembly has a timeout with ICMP time-exceeded (code 1)', () => {
  const s = stack();
  const dgram = buildUdp(CLIENT, OUT, 5000, 6000, randomBytes(3000), 0x2222);
  const frags = fragmentsOf(dgram, 1500);
  // A second fragment shifted by 8 octets overlaps the first.
  const evil = Buffer.from(frags[1]!);
  evil.writeUInt16BE(evil.readUInt16BE(6) - 1, 6);
  evil.writeUInt16BE(0, 10);
  evil.writeUInt16BE(finish(sum16(evil, 0, 20)), 10);
  s.input(frags[0]!, 0);
  s.input(evil, 0);
  s.input(frags[1]!, 0);
  s.input(frags[2]!, 0);
  assert.equal(s.takeRequests().length, 0);
  assert.equal(s.stats().frag.overlaps, 1);

  const t = stack({ reassemblyTimeout: 30_000 });
  t.input(frags[0]!, 0);
  assert.equal(t.nextDeadline(), 30_000);
  t.tick(30_000);
  const [m] = icmps(t.takePackets());
  assert.deepEqual([m!.type, m!.code], [11, 1]);
  assert.equal(t.stats().frag.pendingBytes, 0);
  // Without the first fragment there is no ICMP (RFC 792).
  t.input(frags[1]!, 40_000);
  t.tick(80_000);
  assert.equal(t.takePackets().length, 0);
});

test('reassembly memory is bounded; disabled reassembly drops fragments; 65535+ octet datagrams are rejected', () => {
  const r = new Reassembler({ maxBytes: 10_000, maxDatagrams: 4, timeout: 1000 });
  for (let id = 0; id < 50; id++) {
    const frags = fragmentsOf(buildUdp(CLIENT, OUT, 1, 2, randomBytes(3000), id), 1500);
    r.push(parseIpv4(frags[0]!) as never, 0);
    assert.ok(r.bytes <= 10_000 && r.datagrams <= 4);
  }
  assert.ok(r.counters.evicted > 0);

  const s = stack({ reassembly: false });
  for (const f of fragmentsOf(buildUdp(CLIENT, OUT, 1, 2, randomBytes(3000), 1), 1500)) s.input(f, 0);
  assert.equal(s.stats().ip.drops.fragment, 3);

  const big = Buffer.alloc(1500);
  writeIpv4Header(big, CLIENT, OUT, PROTO_UDP, 7, 64, 8189 /* offset 65512 */);
  const t = stack();
  t.input(big, 0);
  assert.equal(t.stats().frag.invalid, 1);
  assert.equal(t.stats().frag.pendingBytes, 0);
});

test('datagrams larger than the MTU towards the client are fragmented', () => {
  const s = stack({ mtu: 576 });
  s.input(buildUdp(CLIENT, OUT, 5000, 53, Buffer.from('q'), 1), 0);
  const open = s.takeRequests().find((r) => r.type === 'udp-open')!;
  assert.ok(open.type === 'udp-open');
  const reply = randomBytes(3000);
  s.udpReceived(open.id, reply, 1);
  const frags = s.takePackets();
  assert.ok(frags.length > 5 && frags.every((f) => f.length <= 576));
  const r = new Reassembler({ maxBytes: 1e6, maxDatagrams: 4, timeout: 1000 });
  let whole: Buffer | undefined;
  for (const f of frags) whole = r.push(parseIpv4(f) as never, 0) ?? whole;
  const [u] = udps([whole!]);
  assert.ok(u!.payload.equals(reply));
  assert.equal(s.stats().ip.fragmentsOut, frags.length);
});

// ------------------------------------------------------------------------------------------
// UDP NAT
// ------------------------------------------------------------------------------------------

test('UDP NAT: a flow per (client port, destination); replies come back from the destination; idle flows expire', () => {
  const s = stack({ udpIdleTimeout: 120_000 });
  s.input(buildUdp(CLIENT, OUT, 5000, 7000, Buffer.from('one'), 1), 0);
  s.input(buildUdp(CLIENT, OUT, 5000, 7000, Buffer.from('two'), 2), 10);
  s.input(buildUdp(CLIENT, GW, 5000, 7000, Buffer.from('three'), 3), 20);
  const reqs = s.takeRequests();
  const opens = reqs.filter((r) => r.type === 'udp-open');
  assert.deepEqual(opens.map((r) => r.type === 'udp-open' && [r.host, r.port]), [['93.184.216.34', 7000], ['127.0.0.1', 7000]]);
  assert.deepEqual(reqs.filter((r) => r.type === 'udp-send').map((r) => r.type === 'udp-send' && r.data.toString()), ['one', 'two', 'three']);
  const id = opens[0]!.type === 'udp-open' ? opens[0]!.id : 0;
  s.udpReceived(id, Buffer.from('reply'), 30);
  const [u] = udps(s.takePackets());
  assert.deepEqual([u!.ip.src, u!.srcPort, u!.ip.dst, u!.dstPort, u!.payload.toString()], [OUT, 7000, CLIENT, 5000, 'reply']);
  assert.equal(s.stats().udp.flows, 2);
  const gwId = opens[1]!.type === 'udp-open' ? opens[1]!.id : 0;
  assert.equal(s.nextDeadline(), 120_020, 'a flow expires 2 minutes after its last packet (RFC 4787 REQ-5)');
  s.tick(120_020);
  assert.deepEqual(s.takeRequests(), [{ type: 'udp-close', id: gwId }]);
  s.tick(120_030);
  assert.deepEqual(s.takeRequests(), [{ type: 'udp-close', id }], 'a reply keeps a flow alive too');
  assert.equal(s.stats().udp.flows, 0);
  assert.equal(s.stats().udp.expired, 2);
});

test('UDP: a refused host port becomes ICMP port unreachable from the destination; flow limits drop', () => {
  const s = stack({ udpMaxFlows: 2 });
  s.input(buildUdp(CLIENT, OUT, 5000, 9, Buffer.from('discard'), 1), 0);
  const open = s.takeRequests().find((r) => r.type === 'udp-open')!;
  s.udpError(open.type === 'udp-open' ? open.id : 0, 'refused', 1);
  const [m] = icmps(s.takePackets());
  assert.deepEqual([m!.type, m!.code, m!.ip.src], [3, 3, OUT]);
  assert.equal(m!.body.readUInt16BE(22), 9, 'the quote holds the UDP header');
  s.input(buildUdp(CLIENT, OUT, 5001, 9, Buffer.from('x'), 1), 0);
  s.input(buildUdp(CLIENT, OUT, 5002, 9, Buffer.from('x'), 1), 0);
  assert.equal(s.stats().udp.limitDrops, 1);
  const shared = new SharedLimits(10, 1);
  const a = stack({ shared });
  a.input(buildUdp(CLIENT, OUT, 1, 9, Buffer.from('x'), 1), 0);
  a.input(buildUdp(CLIENT, OUT, 2, 9, Buffer.from('x'), 1), 0);
  assert.equal(a.stats().udp.flows, 1);
  a.close(0);
  assert.equal(shared.udp, 0);
});

test('UDP port forward: host datagrams reach the client from the gateway; replies go back to the host peer', () => {
  const s = stack();
  s.udpForwardIn(0, 53, '127.0.0.1', 40000, Buffer.from('query'), 0);
  const [u] = udps(s.takePackets());
  assert.deepEqual([u!.ip.src, u!.ip.dst, u!.dstPort, u!.payload.toString()], [GW, CLIENT, 53, 'query']);
  assert.ok(u!.srcPort >= 49152);
  s.input(buildUdp(CLIENT, GW, 53, u!.srcPort, Buffer.from('answer'), 1), 1);
  const [r] = s.takeRequests();
  assert.deepEqual(r, { type: 'udp-forward-reply', forward: 0, host: '127.0.0.1', port: 40000, data: Buffer.from('answer') });
  s.udpForwardIn(0, 53, '127.0.0.1', 40000, Buffer.from('again'), 2);
  assert.equal(udps(s.takePackets())[0]!.srcPort, u!.srcPort, 'the same host peer keeps its mapping');
});

// ------------------------------------------------------------------------------------------
// The virtual DNS
// ------------------------------------------------------------------------------------------

function dnsAt(s: NetStack, q: Buffer, port = 3333) {
  s.input(buildUdp(CLIENT, DNS, port, 53, q, 1), 0);
}

function dnsOut(s: NetStack) {
  const [u] = udps(s.takePackets());
  assert.ok(u, 'an answer');
  assert.deepEqual([u.ip.src, u.srcPort], [DNS, 53]);
  return parseDnsAnswer(u.payload)!;
}

test('DNS: aliases are answered by the stack (host.dialtone.internal → the gateway)', () => {
  const s = stack();
  dnsAt(s, buildDnsQuery(0xbeef, 'Host.Dialtone.Internal', QTYPE.A));
  assert.equal(s.takeRequests().length, 0);
  const a = dnsOut(s);
  assert.equal(a.id, 0xbeef);
  assert.equal(a.rcode, RCODE.NOERROR);
  assert.deepEqual([...a.answers[0]!.data], [10, 0, 2, 2]);
  dnsAt(s, buildDnsQuery(2, 'host.dialtone.internal', QTYPE.AAAA));
  assert.deepEqual(dnsOut(s).answers, [], 'no AAAA: NOERROR, no data');
  const custom = stack({ aliases: { 'printer.lan': '192.168.1.50' } });
  dnsAt(custom, buildDnsQuery(3, 'printer.lan', QTYPE.A));
  assert.deepEqual([...dnsOut(custom).answers[0]!.data], [192, 168, 1, 50]);
});

test('DNS: other names go to the host resolver (a request) and come back as records', () => {
  const s = stack();
  dnsAt(s, buildDnsQuery(77, 'example.com', QTYPE.A));
  const [q] = s.takeRequests();
  assert.ok(q && q.type === 'dns-query');
  assert.deepEqual([q.name, q.qtype], ['example.com', QTYPE.A]);
  s.dnsAnswered(q.id, { rcode: 0, records: [{ type: 'A', address: '93.184.216.34', ttl: 300 }, { type: 'A', address: '1.2.3.4' }] }, 1);
  const a = dnsOut(s);
  assert.equal(a.id, 77);
  assert.deepEqual(a.answers.map((x) => [x.type, x.ttl, [...x.data].join('.')]), [[1, 300, '93.184.216.34'], [1, 60, '1.2.3.4']]);

  dnsAt(s, buildDnsQuery(78, 'nope.invalid', QTYPE.A));
  const [q2] = s.takeRequests();
  s.dnsAnswered(q2!.type === 'dns-query' ? q2!.id : 0, { rcode: RCODE.NXDOMAIN, records: [] }, 2);
  assert.equal(dnsOut(s).rcode, RCODE.NXDOMAIN);

  dnsAt(s, buildDnsQuery(79, 'slow.example', QTYPE.MX));
  s.takeRequests();
  s.tick(10_000);
  assert.equal(dnsOut(s).rcode, RCODE.SERVFAIL, 'no answer within dnsTimeout');
});

test('DNS: many records are truncated (TC) at 512 octets, or at the EDNS size the query offers', () => {
  const records = Array.from({ length: 60 }, (_, i) => ({ type: 'A' as const, address: `10.1.0.${i}` }));
  const s = stack();
  dnsAt(s, buildDnsQuery(1, 'many.example', QTYPE.A));
  const [q] = s.takeRequests();
  s.dnsAnswered(q!.type === 'dns-query' ? q!.id : 0, { rcode: 0, records }, 1);
  const a = dnsOut(s);
  assert.equal(a.truncated, true);
  assert.ok(a.answers.length > 20 && a.answers.length < 60);
  dnsAt(s, buildDnsQuery(2, 'many.example', QTYPE.A, { ednsSize: 1232 }));
  const [q2] = s.takeRequests();
  s.dnsAnswered(q2!.type === 'dns-query' ? q2!.id : 0, { rcode: 0, records }, 2);
  const b = dnsOut(s);
  assert.equal(b.truncated, false);
  assert.equal(b.answers.length, 60);
});

test('DNS: malformed queries get FORMERR or nothing; other ports of the DNS address are unreachable', () => {
  const s = stack();
  const q = buildDnsQuery(5, 'example.com', QTYPE.A);
  dnsAt(s, q.subarray(0, 20));
  assert.equal(dnsOut(s).rcode, RCODE.FORMERR);
  dnsAt(s, Buffer.from([1, 2, 3]));
  const resp = Buffer.from(q); resp[2]! |= 0x80;
  dnsAt(s, resp);
  assert.equal(s.takePackets().length, 0, 'runts and responses are ignored');
  s.input(buildUdp(CLIENT, DNS, 4444, 5353, Buffer.from('x'), 1), 0);
  assert.deepEqual(icmps(s.takePackets()).map((m) => [m.type, m.code]), [[3, 3]]);
  s.input(buildTcp({ src: CLIENT, dst: DNS, srcPort: 4000, dstPort: 53, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, id: 1 }), 0);
  assert.equal(s.takePackets().length, 1, 'TCP to the DNS address: RST');
  assert.equal(s.takeRequests().length, 0);
});

test('the client address is learned from the first packet when not configured; others are then refused', () => {
  const s = new NetStack({ seed: 1 }, 0);
  assert.equal(s.clientAddress, undefined);
  s.input(icmpEchoRequest(0x0a000263, GW, 1, 1), 0);
  assert.equal(s.clientAddress, '10.0.2.99');
  s.input(icmpEchoRequest(CLIENT, GW, 1, 1), 0);
  assert.equal(s.stats().ip.drops.wrongSource, 1);
});

test('allowOutbound: false keeps the client inside the virtual network (admin prohibited)', () => {
  const s = stack({ allowOutbound: false });
  s.input(buildUdp(CLIENT, OUT, 1, 2, Buffer.from('x'), 1), 0);
  assert.deepEqual(icmps(s.takePackets()).map((m) => [m.type, m.code]), [[3, 13]]);
  s.input(buildUdp(CLIENT, GW, 1, 2, Buffer.from('x'), 1), 0);
  assert.ok(s.takeRequests().some((r) => r.type === 'udp-open'));
});

test('close() resets every host socket and frees shared slots', () => {
  const shared = new SharedLimits();
  const s = stack({ shared });
  s.input(buildTcp({ src: CLIENT, dst: OUT, srcPort: 1, dstPort: 80, seq: 1, ack: 0, flags: TCP_SYN, window: 1000, id: 1 }), 0);
  s.input(buildUdp(CLIENT, OUT, 1, 2, Buffer.from('x'), 1), 0);
  s.takeRequests();
  assert.deepEqual([shared.tcp, shared.udp], [1, 1]);
  s.close(1);
  const reqs = s.takeRequests().map((r) => r.type).sort();
  assert.deepEqual(reqs, ['tcp-abort', 'udp-close']);
  assert.deepEqual([shared.tcp, shared.udp, shared.buffered], [0, 0, 0]);
  s.input(icmpEchoRequest(CLIENT, GW, 1, 1), 2);
  assert.equal(s.takePackets().length, 0, 'a closed stack is inert');
});
