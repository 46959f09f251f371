/**
 * VJ header compression on a PPP link: IPCP option 2 as pppd negotiates it (ipcp.c
 * addci/nakci/reqci), protocols 0x002d/0x002f carried while IPCP is up, the toss after a
 * frame the link layer dropped, and the counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipcp, IpcpOpt, type IpcpPolicy } from './ipcp.js';
import { Code, emitOptions, opt, parseOptions } from './packet.js';
import { Timers } from './timers.js';
import { end, ip, ipUp, run, type End } from './testing/pair.js';
import { staticSecrets } from './secrets.js';
import { PROTO_IP, PROTO_VJ_COMP, PROTO_VJ_UNCOMP } from './protocols.js';
import type { SessionOptions } from './session-options.js';
import { buildTcp, buildUdp, TCP_ACK } from '../wire/packet.js';
import { pseudoSum, sum16, verifies } from '../wire/checksum.js';

function ipcp(p: Partial<IpcpPolicy> = {}) {
  const policy: IpcpPolicy = {
    localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), acceptLocal: false, acceptRemote: false,
    dns: [0, 0], wins: [0, 0], usePeerDns: false, vj: { maxSlotId: 15, compSlotId: true }, ...p,
  };
  const host = { send: () => undefined, log: () => undefined, up: () => undefined, down: () => undefined, finished: () => undefined, fail: () => undefined };
  return new Ipcp(policy, { restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 }, host, new Timers({ now: 0 }));
}
const vjOpt = (...v: number[]) => emitOptions([opt(IpcpOpt.Compression, v)]);
const hex = (b: Buffer) => b.toString('hex');

test('pppd\'s request: <compress VJ 0f 01> before the address; vj-max-slots and novjccomp change it', () => {
  const c = ipcp();
  c.resetCi();
  assert.equal(hex(c.addCi()), '0206002d0f01' + '03060a000001');
  const small = ipcp({ vj: { maxSlotId: 3, compSlotId: false } });
  small.resetCi();
  assert.equal(hex(small.addCi()).slice(0, 12), '0206002d0300');
  const none = ipcp({ vj: undefined });
  none.resetCi();
  assert.equal(hex(none.addCi()), '03060a000001');
});

test('a peer\'s VJ request: acked within our slots, Nak\'d down to them, Nak\'d without slot-id compression under novjccomp', () => {
  assert.equal(ipcp().reqCi(vjOpt(0, 0x2d, 0x0f, 1), false).code, Code.ConfAck);
  const few = ipcp({ vj: { maxSlotId: 3, compSlotId: true } });
  const nak = few.reqCi(vjOpt(0, 0x2d, 0x0f, 1), false);
  assert.equal(nak.code, Code.ConfNak);
  assert.equal(hex(nak.data), '0206002d0301');
  assert.equal(few.reqCi(vjOpt(0, 0x2d, 0x02, 1), false).code, Code.ConfAck, 'fewer slots than ours are fine');
  assert.deepEqual(few.hisVj, { protocol: 0x2d, old: false, maxSlotId: 2, compSlotId: true });
  const nocid = ipcp({ vj: { maxSlotId: 15, compSlotId: false } }).reqCi(vjOpt(0, 0x2d, 0x0f, 1), false);
  assert.equal(hex(nocid.data), '0206002d0f00');
  // Too many Naks already: reject instead (RFC 1661 §4.4 Max-Failure).
  assert.equal(few.reqCi(vjOpt(0, 0x2d, 0x0f, 1), true).code, Code.ConfRej);
  // RFC 1172's 4-octet form is taken (16 slots); another protocol, a bad length, or novj: rejected.
  const old = ipcp();
  assert.equal(old.reqCi(vjOpt(0, 0x2d), false).code, Code.ConfAck);
  assert.deepEqual(old.hisVj, { protocol: 0x2d, old: true, maxSlotId: 15, compSlotId: true });
  assert.equal(ipcp().reqCi(vjOpt(0, 0x37), false).code, Code.ConfAck);
  assert.equal(ipcp().reqCi(vjOpt(0, 0x37, 0x0f, 1), false).code, Code.ConfRej);
  assert.equal(ipcp().reqCi(vjOpt(0, 0x61, 0x0f, 1), false).code, Code.ConfRej);
  assert.equal(ipcp().reqCi(vjOpt(0, 0x2d, 0x0f), false).code, Code.ConfRej);
  assert.equal(ipcp({ vj: undefined }).reqCi(vjOpt(0, 0x2d, 0x0f, 1), false).code, Code.ConfRej);
});

test('Naks of our VJ request: fewer slots and no slot-id compression are taken (pppd NAKCIVJ), other protocols drop VJ', () => {
  const c = ipcp();
  c.resetCi();
  c.addCi();
  assert.ok(c.nakCi(vjOpt(0, 0x2d, 0x07, 0), false));
  assert.deepEqual(c.go.vj, { protocol: 0x2d, old: false, maxSlotId: 7, compSlotId: false });
  assert.ok(c.nakCi(vjOpt(0, 0x2d, 0x0f, 1), false), 'more slots than we asked are not taken');
  assert.equal(c.go.vj!.maxSlotId, 7);
  assert.ok(c.nakCi(vjOpt(0, 0x2d), false));
  assert.equal(hex(c.addCi()).slice(0, 8), '0204002d', 'old-style option when the peer wants it');
  assert.ok(c.nakCi(vjOpt(0, 0x61, 0x0f, 1), false));
  assert.equal(c.go.vj, undefined);
  const r = ipcp();
  r.resetCi();
  r.addCi();
  assert.ok(r.nakCi(vjOpt(0, 0x2d, 0x07, 0), true), 'treated as a reject after Max-Failure');
  assert.equal(r.go.vj, undefined);
  const j = ipcp();
  j.resetCi();
  j.addCi();
  assert.ok(j.rejCi(vjOpt(0, 0x2d, 0x0f, 1)));
  assert.equal(j.go.vj, undefined);
  assert.deepEqual(parseOptions(j.addCi())!.map((o) => o.type), [IpcpOpt.Address]);
});

// ---- over a link ---------------------------------------------------------------------------

const secrets = staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]);
/** Without CCP, so that the frames on the line show the VJ protocols (CCP would carry them as 0x00fd). */
function pair(server: Partial<SessionOptions> = {}, client: Partial<SessionOptions> = {}): { a: End; b: End } {
  const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets, requireChap: true, debug: true, tapFrames: true, noccp: true, ...server });
  const b = end('client', { user: 'fred', password: 'wilma', debug: true, tapFrames: true, noccp: true, ...client });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(ipUp(a) && ipUp(b), a.logs.join('\n'));
  return { a, b };
}

/** A bulk TCP transfer's segments from the client to the server. */
function segments(n: number, size = 512): Buffer[] {
  return Array.from({ length: n }, (_, i) => buildTcp({
    src: ip('10.0.0.2'), dst: ip('10.0.0.1'), srcPort: 40000, dstPort: 80, seq: 1000 + i * size, ack: 1, flags: TCP_ACK,
    window: 8192, id: 100 + i, payload: Buffer.alloc(size, i & 0xff),
  }));
}

function deliveredIp(e: End): Buffer[] {
  const out: Buffer[] = [];
  for (const ev of e.s.takeEvents()) if (ev.type === 'ip') out.push(ev.packet);
  return out;
}

test('with pppd\'s defaults both sides negotiate VJ, TCP travels as 0x002f then 0x002d, and arrives unchanged', () => {
  const { a, b } = pair();
  assert.ok(a.logs.some((l) => /^sent \[IPCP ConfAck id=0x\w+ <compress VJ 0f 01> <addr 10\.0\.0\.2>\]$/.test(l)), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^rcvd \[IPCP ConfAck id=0x\w+ <compress VJ 0f 01> <addr 10\.0\.0\.1>\]$/.test(l)));
  a.s.takeEvents();
  const sent = segments(20);
  b.s.takeEvents();
  for (const p of sent) b.s.sendIp(p, 1000);
  const frames = b.s.takeEvents().filter((e) => e.type === 'frame' && e.dir === 'out').map((e) => (e as { protocol: number }).protocol);
  assert.deepEqual(frames, [PROTO_VJ_UNCOMP, ...Array(19).fill(PROTO_VJ_COMP)]);
  for (const chunk of b.s.takeOutput()) a.s.input(chunk, 1000);
  assert.deepEqual(deliveredIp(a), sent);
  assert.equal(b.s.counters.vj!.tx.compressed, 19);
  assert.equal(a.s.counters.vj!.rx.compressed, 19);
  assert.equal(a.s.counters.vj!.rx.uncompressed, 1);
  assert.equal(a.s.counters.ipPacketsIn, 20, 'VJ frames count as IP traffic (idle timer)');
  // Non-TCP still goes as plain IP.
  b.s.sendIp(buildUdp(ip('10.0.0.2'), ip('10.0.0.1'), 53, 53, Buffer.from('x'), 1), 1000);
  const udp = b.s.takeEvents().find((e): e is Extract<typeof e, { type: 'frame' }> => e.type === 'frame' && e.dir === 'out');
  assert.equal(udp?.protocol, PROTO_IP);
});

test('novj on one side: VJ is rejected, TCP goes as plain IP', () => {
  const { a, b } = pair({ vj: false });
  assert.ok(a.logs.some((l) => /^sent \[IPCP ConfRej id=0x\w+ <compress VJ 0f 01>\]$/.test(l)), a.logs.join('\n'));
  b.s.takeEvents();
  for (const p of segments(3)) b.s.sendIp(p, 1000);
  const protos = b.s.takeEvents().filter((e) => e.type === 'frame' && e.dir === 'out').map((e) => (e as { protocol: number }).protocol);
  assert.deepEqual(protos, [PROTO_IP, PROTO_IP, PROTO_IP]);
  assert.equal(a.s.counters.vj!.tx.packets, 0);
});

test('vj-max-slots 4 and novjccomp on the server: the client is Nak\'d to <compress VJ 03 00> and compresses with slot ids', () => {
  const { a, b } = pair({ vjMaxSlots: 4, vjCcomp: false });
  assert.ok(a.logs.some((l) => /^sent \[IPCP ConfNak id=0x\w+ <compress VJ 03 00>/.test(l)), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^rcvd \[IPCP ConfReq id=0x\w+ <compress VJ 03 00>/.test(l)));
  a.s.takeEvents();
  const sent = segments(5);
  for (const p of sent) b.s.sendIp(p, 1000);
  const out = b.s.takeEvents().filter((e): e is Extract<typeof e, { type: 'frame' }> => e.type === 'frame' && e.dir === 'out');
  for (const f of out.slice(1)) assert.equal(f.payload[0]! & 0x40, 0x40, 'every compressed packet names its slot');
  for (const chunk of b.s.takeOutput()) a.s.input(chunk, 1000);
  assert.deepEqual(deliveredIp(a), sent);
});

test('a frame with a bad FCS makes the receiver toss compressed packets until a slot id comes (RFC 1144 §4.1)', () => {
  const { a, b } = pair();
  a.s.takeEvents();
  const sent = segments(6);
  const chunks: Buffer[] = [];
  for (const p of sent) {
    b.s.sendIp(p, 1000);
    chunks.push(Buffer.concat(b.s.takeOutput()));
  }
  // The third frame is hit by line noise: one bit of its payload flips.
  chunks[2]![40] ^= 0x10;
  for (const c of chunks) a.s.input(c, 1000);
  const got = deliveredIp(a);
  assert.deepEqual(got, sent.slice(0, 2), 'nothing after the damaged frame is handed up rebuilt from stale state');
  assert.equal(a.s.counters.framesDropped, 1);
  assert.equal(a.s.counters.vj!.rx.tossed, 3);
  // The sender's TCP retransmits the lost segment: it goes uncompressed and resynchronises.
  const again = segments(3)[2]!;
  b.s.sendIp(again, 2000);
  for (const c of b.s.takeOutput()) a.s.input(c, 2000);
  assert.deepEqual(deliveredIp(a), [again]);
  const tcpOk = (p: Buffer) => verifies(sum16(p, 20, p.length, pseudoSum(p.readUInt32BE(12), p.readUInt32BE(16), 6, p.length - 20)));
  assert.ok(tcpOk(again));
});
