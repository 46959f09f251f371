/**
 * The userspace network stack (src/net): NetStack (the ISP's NAT side) and ClientStack (the
 * dial-out side), fed structured IPv4/TCP/UDP/ICMP packets with random header fields
 * (checksums usually fixed so they get past the parsers), mutated packets and raw bytes,
 * interleaved with host events and time. src/net/fuzz.test.ts already covers arbitrary
 * octets, mutated templates and blind segments against NetStack with fixed case counts;
 * this adds a generator of whole headers, the ClientStack, and time-budgeted long runs.
 *
 * Invariants: no throw; memory held <= the stack's own bound; connections <= the limit;
 * bounded packets and requests per input; finite next deadline; the stack closes cleanly.
 */
import fc from 'fast-check';
import { NetStack } from '../../src/net/stack.js';
import { ClientStack } from '../../src/net/client-stack.js';
import { buildTcp, PROTO_TCP, PROTO_UDP } from '../../src/wire/packet.js';
import { fixChecksums } from '../../src/net/testing/checksums.js';
import { buildDnsQuery, QTYPE } from '../../src/net/dns.js';
import { bytes, invariant, mutate, mutations, type Counter, type Mutation, type Target } from '../lib.js';

const CLIENT = 0x0a00020f; // 10.0.2.15, NetStack's client
const GW = 0x0a000202;
const DNS = 0x0a000203;
const OUT = 0x5db8d822;
const LOCAL = 0x0a000002; // 10.0.0.2, ClientStack's address
const PEER = 0x0a000001;
const PEER_DNS = 0x0a000035;

export interface Pkt {
  ihlExtra: number;
  totalDelta: number;
  tos: number;
  id: number;
  flagsFrag: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  doff: number;
  tcpOpts: Buffer;
  icmpType: number;
  icmpCode: number;
  payload: Buffer;
  dns: boolean;
  fix: boolean;
  edits: Mutation[];
}

export type NetStep =
  | { kind: 'packet'; p: Pkt }
  | { kind: 'raw'; data: Buffer }
  | { kind: 'host'; op: number; which: number; n: number }
  | { kind: 'time'; dt: number };

export interface NetCase {
  stack: 'nat' | 'client';
  seed: number;
  steps: NetStep[];
}


export function buildPacket(p: Pkt): Buffer {
  let l4: Buffer;
  if (p.protocol === PROTO_TCP) {
    const opts = p.tcpOpts.subarray(0, 40 - (40 % 4));
    const optLen = opts.length - (opts.length % 4);
    l4 = Buffer.alloc(20 + optLen + p.payload.length);
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dport, 2);
    l4.writeUInt32BE(p.seq >>> 0, 4);
    l4.writeUInt32BE(p.ack >>> 0, 8);
    l4[12] = ((p.doff >= 0 ? p.doff : 5 + optLen / 4) & 15) << 4;
    l4[13] = p.flags & 0xff;
    l4.writeUInt16BE(p.window, 14);
    opts.copy(l4, 20, 0, optLen);
    p.payload.copy(l4, 20 + optLen);
  } else if (p.protocol === PROTO_UDP) {
    const body = p.dns ? buildDnsQuery(p.seq & 0xffff, 'example.com', QTYPE.A, p.flags & 1 ? { ednsSize: 1232 } : undefined) : p.payload;
    l4 = Buffer.alloc(8 + body.length);
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dns ? 53 : p.dport, 2);
    l4.writeUInt16BE(Math.max(0, Math.min(0xffff, 8 + body.length + (p.totalDelta & 7) - 3)), 4);
    body.copy(l4, 8);
  } else if (p.protocol === 1) {
    l4 = Buffer.alloc(8 + p.payload.length);
    l4[0] = p.icmpType;
    l4[1] = p.icmpCode;
    l4.writeUInt32BE(p.seq >>> 0, 4);
    p.payload.copy(l4, 8);
  } else l4 = p.payload;
  const hl = 20 + p.ihlExtra * 4;
  const out = Buffer.alloc(hl + l4.length);
  out[0] = 0x40 | (hl / 4);
  out[1] = p.tos;
  out.writeUInt16BE(Math.max(0, Math.min(0xffff, out.length + p.totalDelta)), 2);
  out.writeUInt16BE(p.id, 4);
  out.writeUInt16BE(p.flagsFrag, 6);
  out[8] = p.ttl;
  out[9] = p.protocol;
  out.writeUInt32BE(p.src >>> 0, 12);
  out.writeUInt32BE(p.dst >>> 0, 16);
  for (let i = 20; i < hl; i++) out[i] = (p.seq >>> (i % 4)) & 0xff;
  l4.copy(out, hl);
  const fixed = p.fix ? fixChecksums(out) : out;
  return p.edits.length ? (p.fix ? fixChecksums(mutate(fixed, p.edits)) : mutate(fixed, p.edits)) : fixed;
}

const MAX_PACKETS_PER_STEP = 256;
const MAX_REQUESTS_PER_STEP = 256;

function checkNat(c: NetCase, counter: Counter): void {
  const s = new NetStack({ client: '10.0.2.15', seed: c.seed, tcpMaxConnections: 8, reassemblyMaxBytes: 16_000 }, 0);
  let now = 0;
  const ids: number[] = [];
  const after = () => {
    const pk = s.takePackets();
    invariant(pk.length <= MAX_PACKETS_PER_STEP, `nat: ${pk.length} packets out in one step`);
    const rq = s.takeRequests();
    invariant(rq.length <= MAX_REQUESTS_PER_STEP, `nat: ${rq.length} requests in one step`);
    for (const r of rq) if ('id' in r && ids.length < 64) ids.push(r.id);
    invariant(s.memoryInUse() <= s.memoryBound(), `nat: memory ${s.memoryInUse()} > bound ${s.memoryBound()}`);
    invariant(s.connections().length <= 8 + 64, `nat: ${s.connections().length} connections`);
    const st = s.stats();
    invariant(st.frag.pendingBytes <= 16_000, `nat: ${st.frag.pendingBytes} octets in reassembly`);
    const d = s.nextDeadline();
    invariant(d === undefined || Number.isFinite(d), `nat: next deadline ${d}`);
  };
  for (const st of c.steps) {
    switch (st.kind) {
      case 'packet': counter.n++; s.input(buildPacket(st.p), now); break;
      case 'raw': counter.n++; s.input(st.data, now); break;
      case 'time': now += st.dt; s.tick(now); break;
      case 'host': {
        const id = ids[st.which % Math.max(1, ids.length)] ?? st.which;
        switch (st.op) {
          case 0: s.tcpConnected(id, now); break;
          // A host read is at most 64 KiB in Node (the bound the stacks assume).
          case 1: s.tcpData(id, Buffer.alloc(st.n % 65537, 1), now); break;
          case 2: s.tcpEnd(id, now); break;
          case 3: s.tcpConnectFailed(id, 'refused', now); break;
          case 4: s.udpReceived(id, Buffer.alloc(st.n % 3000, 2), now); break;
          case 5: s.dnsAnswered(id, { rcode: st.n % 6, records: [{ type: 'A', address: '1.2.3.4' }, { type: 'TXT', entries: ['x'.repeat(st.n % 600)] }] }, now); break;
          case 6: s.tcpClosed(id, now); break;
          case 7: s.tcpWritten(id, st.n, now); break;
          case 8: s.udpError(id, 'refused', now); break;
          default: s.openTcp(st.n % 65536, now);
        }
        break;
      }
    }
    after();
  }
  s.close(now);
  after();
}

function checkClient(c: NetCase, counter: Counter): void {
  const s = new ClientStack({ local: '10.0.0.2', dns: ['10.0.0.53'], seed: c.seed, tcpMaxConnections: 8 }, 0);
  let now = 0;
  const ids: number[] = [s.openTcp('10.0.0.1', 80, now), s.openTcp(0x5db8d822, 443, now), s.resolve('example.com', now)];
  const after = () => {
    const pk = s.takePackets();
    invariant(pk.length <= MAX_PACKETS_PER_STEP, `client: ${pk.length} packets out in one step`);
    const rq = s.takeRequests();
    invariant(rq.length <= MAX_REQUESTS_PER_STEP, `client: ${rq.length} requests in one step`);
    const conns = s.connections();
    invariant(conns.length <= 8 + 64, `client: ${conns.length} connections`);
    for (const k of conns) invariant(k.sendQueued <= 64 * 1024 + 65536 && k.rcvUsed <= 2 * 64 * 1024, `client: connection holds ${k.sendQueued}/${k.rcvUsed}`);
    const st = s.stats();
    invariant(st.dns.pending <= 1000 && st.dns.cacheEntries <= 10_000, `client: dns ${st.dns.pending} pending, ${st.dns.cacheEntries} cached`);
    invariant(st.frag.pendingBytes <= 1 << 20, `client: ${st.frag.pendingBytes} octets in reassembly`);
    const d = s.nextDeadline();
    invariant(d === undefined || Number.isFinite(d), `client: next deadline ${d}`);
  };
  after();
  for (const st of c.steps) {
    switch (st.kind) {
      case 'packet': {
        counter.n++;
        // Towards the client: swap the roles of the template addresses.
        const p = { ...st.p, src: st.p.src === CLIENT ? PEER : st.p.src === DNS ? PEER_DNS : st.p.src, dst: st.p.dst === GW || st.p.dst === OUT || st.p.dst === DNS ? LOCAL : st.p.dst };
        if (p.dns && p.protocol === PROTO_UDP) p.sport = 53;
        s.input(buildPacket(p), now);
        break;
      }
      case 'raw': counter.n++; s.input(st.data, now); break;
      case 'time': now += st.dt; s.tick(now); break;
      case 'host': {
        const id = ids[st.which % ids.length]!;
        switch (st.op) {
          case 1: s.tcpData(id, Buffer.alloc(st.n % 65537, 1), now); break;
          case 2: s.tcpEnd(id, now); break;
          case 6: s.tcpClosed(id, now); break;
          case 7: s.tcpWritten(id, st.n, now); break;
          case 8: if (ids.length < 64) ids.push(s.resolve(`h${st.n}.example`, now)); break;
          default: if (ids.length < 64) ids.push(s.openTcp(st.n % 2 ? '10.0.0.1' : 0x0a000001 + (st.n % 5), st.n % 65536, now));
        }
        break;
      }
    }
    after();
  }
  s.close(now);
  after();
}

export function check(c: NetCase, counter: Counter = { n: 0 }): void {
  if (c.stack === 'nat') checkNat(c, counter);
  else checkClient(c, counter);
}

// ---- arbitraries ---------------------------------------------------------------------------

const addr = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(CLIENT, GW, DNS, OUT, 0xffffffff, 0, 0x7f000001, 0xe0000001, LOCAL, PEER) }, { weight: 1, arbitrary: fc.nat(0xffffffff) });
const port = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(80, 53, 7, 40000, 40001, 443, 0) }, { weight: 1, arbitrary: fc.nat(65535) });
const seqNum = fc.oneof(fc.constantFrom(0, 1, 1000, 1001, 0xffffffff, 0x7fffffff), fc.nat(0xffffffff));

const pkt: fc.Arbitrary<Pkt> = fc.record({
  ihlExtra: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(10) }),
  totalDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -40, max: 40 }) }),
  tos: fc.nat(255),
  id: fc.oneof(fc.constantFrom(1, 2, 3), fc.nat(65535)),
  flagsFrag: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 0x4000) }, { weight: 2, arbitrary: fc.tuple(fc.boolean(), fc.nat(400)).map(([mf, off]) => (mf ? 0x2000 : 0) | off) }, { weight: 1, arbitrary: fc.nat(65535) }),
  ttl: fc.oneof(fc.constantFrom(64, 1, 0), fc.nat(255)),
  protocol: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(PROTO_TCP, PROTO_UDP, 1) }, { weight: 1, arbitrary: fc.nat(255) }),
  src: addr,
  dst: addr,
  sport: port,
  dport: port,
  seq: seqNum,
  ack: seqNum,
  flags: fc.oneof(fc.constantFrom(0x02, 0x10, 0x18, 0x11, 0x04, 0x12, 0x14, 0x01), fc.nat(255)),
  window: fc.oneof(fc.constantFrom(0, 1, 65535), fc.nat(65535)),
  doff: fc.oneof({ weight: 8, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(15) }),
  tcpOpts: fc.oneof(fc.constant(Buffer.alloc(0)), fc.constant(Buffer.from([2, 4, 5, 0xb4, 3, 3, 7, 1])), bytes(40)),
  icmpType: fc.oneof(fc.constantFrom(0, 3, 8, 11, 4, 5, 12), fc.nat(255)),
  icmpCode: fc.oneof(fc.constantFrom(0, 1, 3, 4, 13), fc.nat(255)),
  payload: fc.oneof({ weight: 4, arbitrary: bytes(64) }, { weight: 1, arbitrary: fc.nat(3000).map((n) => Buffer.alloc(n, 7)) }, { weight: 1, arbitrary: bytes(600) }),
  dns: fc.boolean(),
  fix: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  edits: fc.oneof({ weight: 4, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: mutations(3) }),
});

const netStep: fc.Arbitrary<NetStep> = fc.oneof(
  { weight: 10, arbitrary: pkt.map((p) => ({ kind: 'packet' as const, p })) },
  { weight: 1, arbitrary: bytes(100).map((data) => ({ kind: 'raw' as const, data })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('host' as const), op: fc.nat(9), which: fc.nat(63), n: fc.oneof(fc.nat(100), fc.nat(200_000)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), dt: fc.oneof(fc.nat(100), fc.nat(5000), fc.nat(600_000)) }) },
);

export const netTarget: Target<NetCase> = {
  name: 'net',
  unit: 'packets',
  longCount: 1_000_000,
  runsPerBatch: 50,
  module: '../../fuzz/targets/net.js',
  arbitrary: () => fc.record({ stack: fc.constantFrom('nat' as const, 'client' as const), seed: fc.nat(1000), steps: fc.array(netStep, { maxLength: 60 }) }),
  check,
};
