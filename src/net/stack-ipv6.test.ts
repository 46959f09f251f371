/** IPv6 on the userspace network: router advertisements, echo, TCP and UDP to host sockets, DNS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetStack } from './stack.js';
import { buildIcmpv6, buildTcp6, buildUdp6, icmpv6EchoRequest, linkLocal, parseIcmpv6, parseIp6, parseIpv6, parseTcp6, parseUdp6, ICMPV6_ECHO_REPLY, ICMPV6_ROUTER_ADVERT, ICMPV6_ROUTER_SOLICIT } from '../wire/ipv6.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../wire/packet.js';
import { ulaPrefix } from './ndp.js';
import { buildDnsQuery, parseDnsAnswer, QTYPE } from './dns.js';

const ROUTER_ID = Buffer.from('0000000000000001', 'hex');
const CLIENT_ID = Buffer.from('02aabbfffecc0002', 'hex');
const PREFIX = 'fd12:345a:bcde::/64';
const GW6 = parseIp6('fd12:345a:bcde::2')!;
const DNS6 = parseIp6('fd12:345a:bcde::3')!;
const CLIENT6 = parseIp6('fd12:345a:bcde:0:2aa:bbff:fecc:2')!;
const ALL_ROUTERS = parseIp6('ff02::2')!;

function stack() {
  const s = new NetStack({ client: '10.0.2.15', seed: 3, ipv6Prefix: PREFIX }, 0);
  // ulaPrefix('12345abcde') is PREFIX: the isp default's shape.
  s.ipv6Up(ROUTER_ID, 0);
  return s;
}

test('IPV6CP up: an unsolicited RA from our link-local address with the /64 (A and L), the MTU and RDNSS; RS answered', () => {
  const s = stack();
  const [ra] = s.takePackets();
  const ip = parseIpv6(ra!);
  assert.ok(typeof ip !== 'string');
  assert.deepEqual(ip.src, linkLocal(ROUTER_ID));
  assert.deepEqual(ip.dst, parseIp6('ff02::1'));
  assert.equal(ip.hopLimit, 255);
  const m = parseIcmpv6(ip);
  assert.ok(typeof m !== 'string' && m.type === ICMPV6_ROUTER_ADVERT);
  assert.equal(m.body.readUInt16BE(2), 1800, 'router lifetime: a default router');
  const opts = m.body.subarray(12);
  assert.deepEqual([opts[0], opts[1], opts[2], opts[3]], [3, 4, 64, 0xc0], 'prefix information, /64, L and A');
  assert.deepEqual(opts.subarray(16, 24), ulaPrefix('12345abcde'));
  assert.deepEqual([opts[32], opts[33]], [5, 1], 'MTU option');
  assert.deepEqual([opts[40], opts[41]], [25, 3], 'RDNSS with one address');
  assert.deepEqual(opts.subarray(48, 64), DNS6);
  // A Router Solicitation (hop limit 255 to ff02::2) gets another.
  s.input(buildIcmpv6(linkLocal(CLIENT_ID), ALL_ROUTERS, ICMPV6_ROUTER_SOLICIT, 0, Buffer.alloc(4), 255), 1);
  assert.equal(s.takePackets().length, 1);
  assert.equal(s.stats().ipv6?.routerAdverts, 2);
  assert.equal(s.stats().ipv6?.prefix, PREFIX);
  // ...but not one that a router forwarded (hop limit below 255, RFC 4861 §6.1.1).
  s.input(buildIcmpv6(linkLocal(CLIENT_ID), ALL_ROUTERS, ICMPV6_ROUTER_SOLICIT, 0, Buffer.alloc(4), 64), 2);
  assert.equal(s.takePackets().length, 0);
});

test('ICMPv6 echo to the gateway is answered; sources outside the link and the prefix are dropped', () => {
  const s = stack();
  s.takePackets();
  s.input(icmpv6EchoRequest(CLIENT6, GW6, 9, 1, Buffer.from('hi')), 1);
  const ip = parseIpv6(s.takePackets()[0]!);
  assert.ok(typeof ip !== 'string');
  const m = parseIcmpv6(ip);
  assert.ok(typeof m !== 'string' && m.type === ICMPV6_ECHO_REPLY);
  assert.deepEqual(ip.src, GW6);
  assert.equal(m.body.subarray(4).toString(), 'hi');
  s.input(icmpv6EchoRequest(parseIp6('2001:db8::1')!, GW6, 9, 2), 2);
  assert.equal(s.takePackets().length, 0);
  assert.equal(s.stats().ip.drops.ip6WrongSource, 1);
});

test('TCP over IPv6 to the gateway: a host connect to its loopback, then a SYN-ACK with an IPv6-sized MSS; unknown segments get RST', () => {
  const s = stack();
  s.takePackets();
  s.input(buildTcp6({ src: CLIENT6, dst: GW6, srcPort: 40000, dstPort: 8080, seq: 1000, ack: 0, flags: TCP_SYN, window: 65535, mss: 1440 }), 1);
  const [req] = s.takeRequests();
  assert.ok(req && req.type === 'tcp-connect');
  assert.deepEqual([req.host, req.port], ['127.0.0.1', 8080]);
  s.tcpConnected(req.id, 2);
  const ip = parseIpv6(s.takePackets()[0]!);
  assert.ok(typeof ip !== 'string');
  const seg = parseTcp6(ip);
  assert.ok(typeof seg !== 'string');
  assert.equal(seg.flags, TCP_SYN | TCP_ACK);
  assert.equal(seg.ack, 1001);
  assert.equal(seg.mss, 1500 - 60);
  assert.deepEqual(ip.dst, CLIENT6);
  s.input(buildTcp6({ src: CLIENT6, dst: GW6, srcPort: 40001, dstPort: 8080, seq: 5, ack: 9, flags: TCP_ACK, window: 100 }), 3);
  const rst = parseIpv6(s.takePackets()[0]!);
  assert.ok(typeof rst !== 'string');
  const r = parseTcp6(rst);
  assert.ok(typeof r !== 'string' && r.flags & TCP_RST);
});

test('UDP over IPv6 goes to a host socket of the destination\'s family; DNS at <prefix>::3 answers the gateway alias with AAAA', () => {
  const s = stack();
  s.takePackets();
  const out = parseIp6('2001:db8::53')!;
  s.input(buildUdp6(CLIENT6, out, 5000, 7, Buffer.from('echo')), 1);
  const reqs = s.takeRequests();
  const open = reqs.find((r) => r.type === 'udp-open');
  assert.ok(open && open.type === 'udp-open');
  assert.deepEqual([open.host, open.port], ['2001:db8::53', 7]);
  s.udpReceived(open.id, Buffer.from('back'), 2);
  const ip = parseIpv6(s.takePackets()[0]!);
  assert.ok(typeof ip !== 'string');
  const u = parseUdp6(ip);
  assert.ok(typeof u !== 'string');
  assert.deepEqual([ip.src, ip.dst, u.srcPort, u.dstPort, u.payload.toString()], [out, CLIENT6, 7, 5000, 'back']);
  s.input(buildUdp6(CLIENT6, DNS6, 5001, 53, buildDnsQuery(7, 'host.dialtone.internal', QTYPE.AAAA)), 3);
  const dip = parseIpv6(s.takePackets()[0]!);
  assert.ok(typeof dip !== 'string');
  const du = parseUdp6(dip);
  assert.ok(typeof du !== 'string');
  const ans = parseDnsAnswer(du.payload);
  assert.deepEqual(ans?.answers.map((a) => [a.type, a.data]), [[QTYPE.AAAA, GW6]]);
});

test('malformed IPv6 is dropped and counted, never thrown: truncations, bad checksums, random bytes', () => {
  const s = stack();
  s.takePackets();
  const good = [
    icmpv6EchoRequest(CLIENT6, GW6, 1, 1, Buffer.from('x')),
    buildTcp6({ src: CLIENT6, dst: GW6, srcPort: 1, dstPort: 2, seq: 1, ack: 0, flags: TCP_SYN, window: 10 }),
    buildUdp6(CLIENT6, DNS6, 3, 53, Buffer.from('junk')),
  ];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 3000; i++) {
    const base = Buffer.from(good[i % good.length]!);
    const p = i % 3 === 0 ? base.subarray(0, rnd() % base.length) : base;
    if (i % 3 === 1) p[40 + (rnd() % (p.length - 40))] ^= 1 + (rnd() % 255);
    if (i % 3 === 2) for (let j = 0; j < p.length; j++) if (rnd() < 16) p[j] = rnd();
    p[0] = (p[0]! & 0x0f) | 0x60;
    s.input(p, i);
  }
  const drops = s.stats().ip.drops;
  assert.ok((drops.ip6Truncated ?? 0) > 0 && (drops.icmp6Checksum ?? 0) + (drops.tcpChecksum ?? 0) + (drops.udpChecksum ?? 0) > 0, JSON.stringify(drops));
});
