/** The wire formats: checksums, IPv4/TCP/UDP/ICMP parse-build round trips, DNS, config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { finish, pseudoSum, sum16 } from '../wire/checksum.js';
import { internetChecksum } from '../wire/ipv4.js';
import { buildIcmp, buildTcp, buildUdp, fragmentIpv4, ip4, parseIcmp, parseIpv4, parseTcp, parseUdp, PROTO_UDP, TCP_ACK, TCP_SYN } from '../wire/packet.js';
import { ip4ToString } from '../wire/ipv4.js';
import { buildDnsAnswer, buildDnsQuery, encodeName, parseDnsAnswer, parseDnsQuery, parseIpv6, QTYPE } from './dns.js';
import { parseForward, resolveOptions } from './config.js';
import { ByteQueue } from './bytequeue.js';
import { seqGt, seqLt, windowShift } from './tcp.js';

test('sum16/finish agree with the RFC 1071 checksum of src/wire, odd lengths included', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
    assert.equal(finish(sum16(b, 0, b.length)), internetChecksum(b));
  }));
});

test('TCP segments round-trip with options; a flipped bit fails the checksum', () => {
  const pkt = buildTcp({ src: ip4('10.0.2.15'), dst: ip4('1.2.3.4'), srcPort: 1234, dstPort: 80, seq: 0xfffffff0, ack: 5, flags: TCP_SYN | TCP_ACK, window: 1000, mss: 1460, wscale: 7, payload: Buffer.from('hi'), id: 9 });
  const ip = parseIpv4(pkt);
  assert.ok(typeof ip !== 'string');
  const seg = parseTcp(ip);
  assert.ok(typeof seg !== 'string');
  assert.deepEqual([seg.srcPort, seg.dstPort, seg.seq, seg.ack, seg.flags, seg.window, seg.mss, seg.wscale, seg.payload.toString()],
    [1234, 80, 0xfffffff0, 5, TCP_SYN | TCP_ACK, 1000, 1460, 7, 'hi']);
  const bad = Buffer.from(pkt);
  bad[bad.length - 1]! ^= 0x10;
  const ip2 = parseIpv4(bad);
  assert.ok(typeof ip2 !== 'string');
  assert.equal(parseTcp(ip2), 'tcpChecksum');
  // Window scale above 14 is used as 14 (RFC 7323 §2.3).
  const ws = buildTcp({ src: 1, dst: 2, srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0, wscale: 15, id: 0 });
  const seg2 = parseTcp(parseIpv4(ws) as never);
  assert.ok(typeof seg2 !== 'string' && seg2.wscale === 14);
});

test('UDP: zero checksum means none; a computed zero is sent as 0xffff; lengths are checked', () => {
  const pkt = buildUdp(1, 2, 3, 4, Buffer.from('data'), 1);
  const u = parseUdp(parseIpv4(pkt) as never);
  assert.ok(typeof u !== 'string' && u.payload.toString() === 'data');
  const none = Buffer.from(pkt);
  none.writeUInt16BE(0, 26);
  none[28] = 0x44;
  assert.ok(typeof parseUdp(parseIpv4(none) as never) !== 'string');
  const long = Buffer.from(pkt);
  long.writeUInt16BE(100, 24);
  assert.equal(parseUdp(parseIpv4(long) as never), 'udpLength');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    const p = buildUdp(ip4('10.0.2.15'), ip4('10.0.2.3'), 1, 53, b, 0);
    assert.notEqual(p.readUInt16BE(26), 0);
    assert.ok(typeof parseUdp(parseIpv4(p) as never) !== 'string');
  }));
});

test('IPv4: trailing link padding is cut; reserved flag, short total length and header length are rejected', () => {
  const pkt = buildIcmp(1, 2, 8, 0, 0, Buffer.from('x'), 1);
  const padded = Buffer.concat([pkt, Buffer.alloc(5)]);
  const ip = parseIpv4(padded);
  assert.ok(typeof ip !== 'string' && ip.packet.length === pkt.length);
  assert.ok(typeof parseIcmp(ip) !== 'string');
  const rf = Buffer.from(pkt);
  rf[6]! |= 0x80;
  rf.writeUInt16BE(0, 10);
  rf.writeUInt16BE(finish(sum16(rf, 0, 20)), 10);
  assert.equal(parseIpv4(rf), 'ipReservedFlag');
  const ihl = Buffer.from(pkt);
  ihl[0] = 0x44;
  assert.equal(parseIpv4(ihl), 'ipHeaderLength');
});

test('fragmentation: pieces of 8-octet multiples that respect the MTU and reassemble to the original; DF refuses', () => {
  const p = buildUdp(1, 2, 3, 4, Buffer.alloc(5000, 1), 77);
  const frags = fragmentIpv4(p, 1500);
  assert.equal(frags.length, 4);
  let total = 0;
  for (const f of frags) {
    const ip = parseIpv4(f);
    assert.ok(typeof ip !== 'string');
    assert.ok(f.length <= 1500);
    if (ip.moreFragments) assert.equal(ip.payload.length % 8, 0);
    assert.equal(ip.fragmentOffset, total);
    assert.equal(ip.protocol, PROTO_UDP);
    total += ip.payload.length;
  }
  assert.equal(total, p.length - 20);
  const df = Buffer.from(p);
  df.writeUInt16BE(0x4000, 6);
  assert.deepEqual(fragmentIpv4(df, 1500), []);
});

test('DNS: names encode and parse; IPv6 text parses; answers echo the question', () => {
  assert.deepEqual([...encodeName('a.bc')!], [1, 97, 2, 98, 99, 0]);
  assert.equal(encodeName('x'.repeat(64)), undefined);
  assert.deepEqual([...parseIpv6('::1')!], [...Buffer.alloc(15), 1]);
  assert.equal(parseIpv6('2001:db8::ff00:42:8329')!.toString('hex'), '20010db8000000000000ff0000428329');
  assert.equal(parseIpv6('::ffff:1.2.3.4')!.toString('hex'), '00000000000000000000ffff01020304');
  assert.equal(parseIpv6('1::2::3'), undefined);
  assert.equal(parseIpv6('12345::'), undefined);
  const q = parseDnsQuery(buildDnsQuery(9, 'Example.COM', QTYPE.MX, { ednsSize: 1400 }));
  assert.ok(q && q.ok);
  assert.deepEqual([q.query.name, q.query.qtype, q.query.ednsSize], ['example.com', QTYPE.MX, 1400]);
  const ans = buildDnsAnswer(q.query, {
    rcode: 0,
    records: [
      { type: 'MX', priority: 10, exchange: 'mx.example.com' },
      { type: 'TXT', entries: ['v=spf1 -all', 'y'.repeat(300)] },
      { type: 'AAAA', address: '::1' },
      { type: 'SRV', priority: 1, weight: 2, port: 5060, name: 'sip.example.com' },
      { type: 'A', address: 'not an address' },
    ],
  }, { defaultTtl: 60, maxSize: 1400, edns: true, ednsSize: 4096 });
  const a = parseDnsAnswer(ans)!;
  assert.equal(a.id, 9);
  assert.deepEqual(a.answers.map((x) => x.type), [QTYPE.MX, QTYPE.TXT, QTYPE.AAAA, QTYPE.SRV], 'the bad record is skipped');
  assert.equal(a.answers[1]!.data[0], 11);
  assert.equal(ans.readUInt16BE(10), 1, 'an OPT record answers an EDNS query (RFC 6891 §7)');
});

test('config: defaults, forwards, CIDR', () => {
  const c = resolveOptions({});
  assert.equal(ip4ToString(c.gateway), '10.0.2.2');
  assert.equal(ip4ToString(c.dns), '10.0.2.3');
  assert.equal(ip4ToString(c.broadcast), '10.0.2.255');
  assert.equal(ip4ToString(c.aliases.get('host.dialtone.internal')!), '10.0.2.2');
  const d = resolveOptions({ network: '192.168.7.0/24', gateway: '192.168.7.1', dns: '192.168.7.1' });
  assert.equal(ip4ToString(d.aliases.get('host.dialtone.internal')!), '192.168.7.1', 'aliases follow the gateway');
  assert.deepEqual(parseForward('tcp 5022:22'), { proto: 'tcp', hostAddr: '127.0.0.1', hostPort: 5022, clientPort: 22 });
  assert.deepEqual(parseForward('udp:5353:53'), { proto: 'udp', hostAddr: '127.0.0.1', hostPort: 5353, clientPort: 53 });
  assert.deepEqual(parseForward('tcp 0.0.0.0:8080:80'), { proto: 'tcp', hostAddr: '0.0.0.0', hostPort: 8080, clientPort: 80 });
  assert.throws(() => parseForward('tcp 22'));
  assert.throws(() => parseForward('sctp 1:2'));
  assert.throws(() => resolveOptions({ mtu: 100 }));
});

test('ByteQueue reads any range across chunks and drops from the head', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { maxLength: 10 }), fc.nat(600), fc.nat(100), fc.nat(600), (chunks, drop, off, n) => {
    const q = new ByteQueue();
    for (const c of chunks) q.push(Buffer.from(c));
    const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
    q.drop(drop);
    const rest = all.subarray(Math.min(drop, all.length));
    assert.equal(q.length, rest.length);
    assert.ok(q.read(off, n).equals(rest.subarray(off, off + n)));
  }));
});

test('sequence arithmetic wraps; window shift fits the buffer (RFC 7323)', () => {
  assert.ok(seqLt(0xfffffff0, 5));
  assert.ok(seqGt(5, 0xfffffff0));
  assert.equal(windowShift(65535), 0);
  assert.equal(windowShift(65536), 1);
  assert.equal(windowShift(1 << 30), 14);
  assert.equal(pseudoSum(0x0a00020f, 0x01020304, 6, 20), 0x0a00 + 0x020f + 0x0102 + 0x0304 + 6 + 20);
  void TCP_ACK;
});
