/** Bad input is normal input: whatever arrives, the stack never throws and stays bounded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NetStack } from './stack.js';
import { buildTcp, buildUdp, fragmentIpv4, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../wire/packet.js';
import { fixChecksums } from './testing/checksums.js';
import { buildDnsQuery, parseDnsQuery, QTYPE } from './dns.js';
import { icmpEchoRequest } from '../wire/ipv4.js';
import { World } from './testing/peer.js';

const CLIENT = 0x0a00020f;
const GW = 0x0a000202;
const DNS = 0x0a000203;
const OUT = 0x5db8d822;


function templates(): Buffer[] {
  const seg = (flags: number, payload = Buffer.alloc(0), seq = 1000, ack = 0) =>
    buildTcp({ src: CLIENT, dst: OUT, srcPort: 40000, dstPort: 80, seq, ack, flags, window: 65535, payload, id: 1, ...(flags & TCP_SYN ? { mss: 1460, wscale: 7 } : {}) });
  const bigUdp = buildUdp(CLIENT, OUT, 5000, 6000, Buffer.alloc(3000, 7), 9);
  return [
    seg(TCP_SYN),
    seg(TCP_ACK | TCP_PSH, Buffer.from('GET / HTTP/1.0\r\n\r\n'), 1001, 1),
    seg(TCP_FIN | TCP_ACK, Buffer.alloc(0), 1001, 1),
    seg(TCP_RST, Buffer.alloc(0), 1001),
    buildUdp(CLIENT, DNS, 3000, 53, buildDnsQuery(1, 'example.com', QTYPE.A, { ednsSize: 1232 }), 2),
    buildUdp(CLIENT, GW, 3000, 7, Buffer.from('echo'), 3),
    icmpEchoRequest(CLIENT, GW, 1, 1, Buffer.from('ping')),
    ...fragmentIpv4(bigUdp, 1500),
  ];
}

test('fuzz: arbitrary octets never throw', () => {
  const s = new NetStack({ client: '10.0.2.15', seed: 1 }, 0);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    s.input(Buffer.from(bytes), 0);
    s.takePackets();
    s.takeRequests();
  }), { numRuns: 3000 });
});

test('fuzz: mutated valid packets (checksums fixed so they get past the parsers) never throw; memory stays bounded', () => {
  const t = templates();
  fc.assert(fc.property(
    fc.array(fc.record({
      which: fc.nat(t.length - 1),
      edits: fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(120)),
      dt: fc.nat(5000),
      host: fc.nat(7),
    }), { maxLength: 40 }),
    (steps) => {
      const s = new NetStack({ client: '10.0.2.15', seed: 2, tcpMaxConnections: 4, reassemblyMaxBytes: 8000 }, 0);
      let now = 0;
      const ids: number[] = [];
      for (const st of steps) {
        now += st.dt;
        const p = Buffer.from(t[st.which]!);
        for (const [at, v] of st.edits) if (at < p.length) p[at] = v;
        const cut = st.cut ?? p.length;
        s.input(fixChecksums(p).subarray(0, Math.max(0, Math.min(cut, p.length))), now);
        for (const r of s.takeRequests()) if ('id' in r) ids.push(r.id);
        // Random host events on whatever ids exist.
        const id = ids[st.host % Math.max(1, ids.length)] ?? 1;
        switch (st.host) {
          case 0: s.tcpConnected(id, now); break;
          case 1: s.tcpData(id, Buffer.alloc(3000, 1), now); break;
          case 2: s.tcpEnd(id, now); break;
          case 3: s.tcpConnectFailed(id, 'host-unreachable', now); break;
          case 4: s.udpReceived(id, Buffer.alloc(2000, 2), now); break;
          case 5: s.dnsAnswered(id, { rcode: 0, records: [{ type: 'A', address: '1.2.3.4' }, { type: 'AAAA', address: '::1' }, { type: 'TXT', entries: ['x'.repeat(300)] }] }, now); break;
          case 6: s.tcpClosed(id, now); break;
          default: s.tick(now);
        }
        s.takePackets();
        assert.ok(s.memoryInUse() <= s.memoryBound());
        const d = s.nextDeadline();
        assert.ok(d === undefined || Number.isFinite(d));
      }
      s.close(now);
    },
  ), { numRuns: 400 });
});

test('fuzz: random segments against an established connection never throw nor break the byte stream', () => {
  fc.assert(fc.property(
    fc.array(fc.record({
      seqOff: fc.integer({ min: -70000, max: 70000 }),
      ackOff: fc.integer({ min: -70000, max: 70000 }),
      flags: fc.integer({ min: 0, max: 63 }),
      window: fc.nat(65535),
      len: fc.nat(1600),
    }), { maxLength: 30 }),
    (junk) => {
      const s = new NetStack({ client: '10.0.2.15', seed: 4 }, 0);
      const w = new World(s, { delay: 2 });
      const c = w.client({ srcPort: 40100, dst: OUT, dstPort: 80, iss: 5000 });
      c.connect(w.now);
      if (!w.run(() => c.established)) return;
      const hc = [...w.host.conns.values()][0]!;
      w.host.send(hc.id, Buffer.alloc(20_000, 3));
      w.advance(5);
      const conn = s.connection(hc.id);
      if (!conn) return;
      for (const j of junk) {
        // Blind segments: plausible 4-tuple, random numbers (an off-path attacker, RFC 5961).
        s.input(buildTcp({
          src: CLIENT, dst: OUT, srcPort: 40100, dstPort: 80, seq: (conn.rcvNxt + j.seqOff) >>> 0, ack: (conn.sndUna + j.ackOff) >>> 0,
          flags: j.flags, window: j.window, payload: Buffer.alloc(j.len, 9), id: 5,
        }), w.now);
        w.advance(1);
      }
      assert.ok(s.memoryInUse() <= s.memoryBound());
      // Whatever it accepted went to the host in order: only 9s (junk) and nothing else, and
      // the client's own stream, if it still runs, is intact.
      for (const b of hc.written) for (const x of b) assert.equal(x, 9);
    },
  ), { numRuns: 150 });
});

test('fuzz: DNS query parser never throws', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    parseDnsQuery(Buffer.from(b));
  }), { numRuns: 5000 });
});
