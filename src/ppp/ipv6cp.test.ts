import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipv6cp, Ipv6cpOpt, llv6, validIdentifier, type Ipv6cpPolicy, type Ipv6cpResult } from './ipv6cp.js';
import { Code, emitOptions, opt, parseOptions } from './packet.js';
import { Timers } from './timers.js';
import { end, ip, run, seeded } from './testing/pair.js';
import { PROTO_IPV6 } from './protocols.js';
import { icmpv6EchoRequest, linkLocal, parseIcmpv6, parseIpv6, parseIp6, ICMPV6_ECHO_REPLY } from '../wire/ipv6.js';

const id = (hex: string) => Buffer.from(hex.padStart(16, '0'), 'hex');

function ipv6cp(p: Partial<Ipv6cpPolicy> = {}, random = seeded('t')) {
  const policy: Ipv6cpPolicy = { localId: undefined, remoteId: undefined, acceptLocal: false, acceptRemote: false, ...p };
  const ups: Ipv6cpResult[] = [];
  const logs: string[] = [];
  const host = {
    send: () => undefined, log: (_l: string, m: string) => void logs.push(m), random8: () => random(8),
    up: (r: Ipv6cpResult) => void ups.push(r), down: () => undefined, finished: () => undefined, fail: () => undefined,
  };
  const c = new Ipv6cp(policy, { restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 }, host, new Timers({ now: 0 }));
  c.resetCi();
  return { c, ups, logs };
}

const req = (...o: [number, Buffer][]) => emitOptions(o.map(([t, v]) => opt(t, v)));

test('without configured identifiers we propose a random non-zero one with the u/l bit clear', () => {
  const { c } = ipv6cp();
  const o = parseOptions(c.addCi())!;
  assert.equal(o.length, 1);
  assert.equal(o[0]!.type, Ipv6cpOpt.InterfaceId);
  assert.equal(o[0]!.value.length, 8);
  assert.notDeepEqual(o[0]!.value, Buffer.alloc(8));
  assert.equal(o[0]!.value[0]! & 0x02, 0);
});

test('a peer proposing zero, or our own identifier, is Nak\'d with a different non-zero one (RFC 5072 §4.1)', () => {
  const { c } = ipv6cp({ localId: id('1111') });
  for (const bad of [Buffer.alloc(8), id('1111')]) {
    const r = c.reqCi(req([Ipv6cpOpt.InterfaceId, bad]), false);
    assert.equal(r.code, Code.ConfNak);
    const suggested = parseOptions(r.data)![0]!.value;
    assert.notDeepEqual(suggested, Buffer.alloc(8));
    assert.notDeepEqual(suggested, id('1111'));
  }
  // A unique identifier is acked as is.
  assert.equal(c.reqCi(req([Ipv6cpOpt.InterfaceId, id('2222')]), false).code, Code.ConfAck);
});

test('a configured peer identifier is suggested once; ipv6cp-accept-remote lets the peer keep its own', () => {
  const { c } = ipv6cp({ localId: id('1'), remoteId: id('2') });
  const r = c.reqCi(req([Ipv6cpOpt.InterfaceId, id('9')]), false);
  assert.equal(r.code, Code.ConfNak);
  assert.deepEqual(parseOptions(r.data)![0]!.value, id('2'));
  const { c: lax } = ipv6cp({ localId: id('1'), remoteId: id('2'), acceptRemote: true });
  assert.equal(lax.reqCi(req([Ipv6cpOpt.InterfaceId, id('9')]), false).code, Code.ConfAck);
});

test('compression and unknown options are rejected; a request without an identifier gets one Nak with ours for it', () => {
  const { c } = ipv6cp({ localId: id('1'), remoteId: id('2') });
  const rej = c.reqCi(req([Ipv6cpOpt.Compression, Buffer.from([0x00, 0x4f])], [Ipv6cpOpt.InterfaceId, id('2')]), false);
  assert.equal(rej.code, Code.ConfRej);
  assert.deepEqual(parseOptions(rej.data)!.map((o) => o.type), [Ipv6cpOpt.Compression]);
  const nak = c.reqCi(Buffer.alloc(0), false);
  assert.equal(nak.code, Code.ConfNak);
  assert.deepEqual(parseOptions(nak.data)![0]!.value, id('2'));
  // Only once: the next empty request is acked.
  assert.equal(c.reqCi(Buffer.alloc(0), false).code, Code.ConfAck);
  // A malformed request is rejected whole, never thrown.
  assert.equal(c.reqCi(Buffer.from([1, 10, 0]), false).code, Code.ConfRej);
});

test('a Nak for our identifier is taken when we chose it ourselves, but not a configured one without accept-local', () => {
  const free = ipv6cp();
  assert.ok(free.c.nakCi(req([Ipv6cpOpt.InterfaceId, id('abcd')]), false));
  assert.deepEqual(free.c.go.ourId, id('abcd'));
  // A zero suggestion is not taken: a fresh random one instead.
  assert.ok(free.c.nakCi(req([Ipv6cpOpt.InterfaceId, Buffer.alloc(8)]), false));
  assert.notDeepEqual(free.c.go.ourId, Buffer.alloc(8));
  const fixed = ipv6cp({ localId: id('1') });
  assert.ok(fixed.c.nakCi(req([Ipv6cpOpt.InterfaceId, id('abcd')]), false));
  assert.deepEqual(fixed.c.go.ourId, id('1'));
  const accepting = ipv6cp({ localId: id('1'), acceptLocal: true });
  assert.ok(accepting.c.nakCi(req([Ipv6cpOpt.InterfaceId, id('abcd')]), false));
  assert.deepEqual(accepting.c.go.ourId, id('abcd'));
  // A Reject of the identifier: we stop sending it; a Reject of something else is bad.
  assert.ok(!fixed.c.rejCi(req([Ipv6cpOpt.InterfaceId, id('7')])));
  assert.ok(fixed.c.rejCi(req([Ipv6cpOpt.InterfaceId, id('1')])));
  assert.equal(fixed.c.addCi().length, 0);
});

test('pppd prints identifiers as fe80:: and four zero-padded groups; the `ipv6` option wants ::/64-style ids', () => {
  assert.equal(llv6(id('0a0b00000c0d0001')), 'fe80::0a0b:0000:0c0d:0001');
  assert.ok(validIdentifier(parseIp6('::1234:5678')!));
  assert.ok(!validIdentifier(parseIp6('::')!));
  assert.ok(!validIdentifier(parseIp6('fe80::1')!));
});

test('two sessions bring IPV6CP up next to IPCP, log the link-local addresses, and answer ICMPv6 echo to fe80::<id>', () => {
  const a = end('a', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2') });
  const b = end('b', { localAddr: ip('10.0.0.2'), remoteAddr: 0, ipv6LocalId: id('b0b'), ipv6RemoteId: id('a0a') });
  run(a, b, { stop: () => !!a.s.ip && !!b.s.ip && a.events.some((e) => e.type === 'ipv6-up') && b.events.some((e) => e.type === 'ipv6-up') });
  const upA = a.events.find((e) => e.type === 'ipv6-up');
  const upB = b.events.find((e) => e.type === 'ipv6-up');
  assert.ok(upA && upA.type === 'ipv6-up' && upB && upB.type === 'ipv6-up');
  // b configured both identifiers; a chose none, so it takes b's suggestion for itself.
  assert.deepEqual(upB.local, id('b0b'));
  assert.deepEqual(upA.local, id('a0a'));
  assert.deepEqual(upA.remote, id('b0b'));
  assert.ok(b.logs.includes('local  LL address fe80::0000:0000:0000:0b0b'));
  assert.ok(b.logs.includes('remote LL address fe80::0000:0000:0000:0a0a'));

  // a pings b's link-local address over the link; b answers from it.
  const ping = icmpv6EchoRequest(linkLocal(id('a0a')), linkLocal(id('b0b')), 7, 1, Buffer.from('hello'));
  assert.ok(a.s.sendIpv6(ping, 1000));
  for (const f of a.s.takeOutput()) b.s.input(f, 1000);
  for (const f of b.s.takeOutput()) a.s.input(f, 1000);
  const got = a.s.takeEvents().find((e) => e.type === 'ipv6');
  assert.ok(got && got.type === 'ipv6');
  const reply = parseIpv6(got.packet);
  assert.ok(typeof reply !== 'string');
  assert.deepEqual(reply.src, linkLocal(id('b0b')));
  const m = parseIcmpv6(reply);
  assert.ok(typeof m !== 'string' && m.type === ICMPV6_ECHO_REPLY);
  assert.equal(m.body.subarray(4).toString(), 'hello');
  assert.equal(PROTO_IPV6, 0x57);
});

test('noipv6 on one end: its peer\'s IPV6CP is Protocol-Rejected and IPv4 carries on', () => {
  const a = end('a', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2') });
  const b = end('b', { localAddr: ip('10.0.0.2'), remoteAddr: 0, noipv6: true });
  run(a, b, { untilMs: 30_000, stop: () => !!a.s.ip && !!b.s.ip && a.s.counters.framesIn > 12 });
  assert.ok(a.s.ip && b.s.ip);
  assert.ok(!a.events.some((e) => e.type === 'ipv6-up'));
  assert.ok(b.s.counters.protocolRejectsSent >= 1);
});

test('random Configure-Request, Nak and Reject data never throws', () => {
  const { c } = ipv6cp({ localId: id('1') });
  const rnd = seeded('fuzz');
  for (let i = 0; i < 2000; i++) {
    const b = rnd(1 + (i % 24));
    c.reqCi(b, i % 2 === 0);
    c.addCi();
    c.nakCi(b, i % 3 === 0);
    c.rejCi(b);
  }
  assert.ok(c.go.ourId.length === 8);
});
