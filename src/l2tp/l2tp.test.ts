import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualNet, LNS_ADDR, LAC_ADDR, frame, seededRandom } from './testing.js';
import { decodeHeader, encodeControl } from './header.js';
import { A, AVP_H, M, decodeAvps, encodeAvps, avp, hide, unhide, u16, type Avp } from './avp.js';
import { L2tpEndpoint } from './endpoint.js';
import { chapResponse } from './tunnel.js';

function dial(net: VirtualNet, sessions = 1) {
  const t = net.lac.openTunnel(LNS_ADDR, net.now)!;
  const ids = Array.from({ length: sessions }, () => net.lac.openSession(t, net.now)!);
  return { t, ids };
}

const ups = (evs: { type: string }[], type: string) => evs.filter((e) => e.type === type).length;

test('a LAC and an LNS with a shared secret bring up a tunnel and a call, and carry PPP frames both ways', () => {
  const net = new VirtualNet({ secret: 'sesame' }, { secret: 'sesame' });
  const { t, ids } = dial(net);
  net.run(10_000, () => ups(net.lacEvents, 'session-up') === 1 && ups(net.lnsEvents, 'session-up') === 1);
  assert.equal(ups(net.lacEvents, 'tunnel-up'), 1);
  assert.equal(ups(net.lnsEvents, 'tunnel-up'), 1);
  const lnsUp = net.lnsEvents.find((e) => e.type === 'session-up') as { tunnel: number; session: number };
  assert.ok(net.lac.sendFrame(t, ids[0]!, frame(0xc021, 'hello')));
  assert.ok(net.lns.sendFrame(lnsUp.tunnel, lnsUp.session, frame(0xc021, 'there')));
  net.run(net.now + 100);
  const lnsData = net.lnsEvents.filter((e) => e.type === 'data') as { frame: Buffer }[];
  const lacData = net.lacEvents.filter((e) => e.type === 'data') as { frame: Buffer }[];
  assert.deepEqual(lnsData.map((d) => d.frame), [frame(0xc021, 'hello')]);
  assert.deepEqual(lacData.map((d) => d.frame), [frame(0xc021, 'there')]);
  // The challenge went both ways: SCCRQ and SCCRP carry a Challenge AVP.
  const types = (from: 'lac' | 'lns') => net.wire.filter((w) => w.from === from && w.bytes[0]! & 0x80 && w.bytes.length > 12).map((w) => {
    return decodeAvps(w.bytes.subarray(12), Buffer.from('sesame')) as Avp[];
  });
  assert.ok(types('lac')[0]!.some((a) => a.type === A.Challenge));
  assert.ok(types('lns')[0]!.some((a) => a.type === A.Challenge) && types('lns')[0]!.some((a) => a.type === A.ChallengeResponse));
});

test('the Challenge Response is MD5 of the reply type, the secret and the challenge (RFC 2661 §4.4.3)', () => {
  // Computed independently: md5(0x02 "secret" 00..0f).
  const challenge = Buffer.from([...Array(16).keys()]);
  const r = chapResponse(2, Buffer.from('secret'), challenge);
  assert.equal(r.length, 16);
  assert.notDeepEqual(r, chapResponse(3, Buffer.from('secret'), challenge));
});

test('a wrong secret fails tunnel authentication: StopCCN, no tunnel on either side', () => {
  const net = new VirtualNet({ secret: 'right' }, { secret: 'wrong' });
  dial(net);
  net.run(60_000);
  assert.equal(ups(net.lacEvents, 'tunnel-up'), 0);
  assert.equal(ups(net.lnsEvents, 'tunnel-up'), 0);
  assert.ok(net.lacEvents.some((e) => e.type === 'tunnel-down' && /authentication failed/.test(e.reason)));
  assert.ok(net.lnsEvents.some((e) => e.type === 'tunnel-down'));
  assert.equal(net.lac.tunnelCount + net.lns.tunnelCount, 0, 'both forget the tunnel after the linger time');
});

test('an LNS with a secret refuses a LAC that does not answer its challenge', () => {
  const net = new VirtualNet({}, { secret: 'only-lns' });
  dial(net);
  net.run(60_000);
  assert.equal(ups(net.lnsEvents, 'tunnel-up'), 0);
  assert.ok(net.lacEvents.some((e) => e.type === 'tunnel-down' && /no secret/.test(e.reason)));
});

test('hidden AVPs (§4.3) round-trip with the secret and the Random Vector', () => {
  const secret = Buffer.from('s3cret');
  const vector = Buffer.from('0123456789abcdef');
  for (const len of [0, 1, 14, 15, 16, 31, 40]) {
    const v = Buffer.alloc(len, 0x5a);
    const h = hide(A.CallingNumber, v, secret, vector, 3);
    assert.equal(h.length, 2 + len + 3);
    assert.deepEqual(unhide(A.CallingNumber, h, secret, vector), v);
  }
  const body = encodeAvps([avp(A.MessageType, u16(M.ICRQ)), avp(A.RandomVector, vector), avp(A.AssignedSessionId, u16(77), { hidden: true })], secret);
  const out = decodeAvps(body, secret);
  assert.ok(Array.isArray(out));
  assert.equal(out[2]!.value.readUInt16BE(0), 77);
  assert.ok(out[2]!.hidden);
  assert.equal(decodeAvps(body), 'hidden-no-secret');
  const noVector = encodeAvps([avp(A.MessageType, u16(M.ICRQ)), avp(A.RandomVector, vector), avp(A.AssignedSessionId, u16(1), { hidden: true })], secret).subarray(8 + 22);
  assert.equal(decodeAvps(noVector, secret), 'hidden-no-vector');
});

test('calls with hidden AVPs come up between two endpoints sharing the secret', () => {
  const net = new VirtualNet({ secret: 'k', hideAvps: true }, { secret: 'k', hideAvps: true });
  dial(net, 2);
  net.run(10_000, () => ups(net.lnsEvents, 'session-up') === 2 && ups(net.lacEvents, 'session-up') === 2);
  const hiddenSeen = net.wire.some((w) => {
    if (!(w.bytes[0]! & 0x80) || w.bytes.length <= 12) return false;
    const body = w.bytes.subarray(12);
    for (let at = 0; at + 6 <= body.length;) {
      const bits = body.readUInt16BE(at);
      if (bits & AVP_H) return true;
      at += bits & 0x3ff || body.length;
    }
    return false;
  });
  assert.ok(hiddenSeen, 'some AVP went hidden');
});

for (const [name, faults, seed] of [
  ['20% loss', { loss: 0.2 }, 'a'],
  ['duplication', { duplicate: 0.3 }, 'b'],
  ['reordering', { delay: 0.4 }, 'c'],
  ['loss, duplication and reordering together', { loss: 0.15, duplicate: 0.2, delay: 0.3 }, 'd'],
] as const) {
  test(`the control channel delivers in order under ${name}: tunnel and 5 calls come up`, () => {
    const net = new VirtualNet({ secret: 'x', timing: { maxRetries: 10 } }, { secret: 'x', timing: { maxRetries: 10 } }, faults, seed);
    dial(net, 5);
    net.run(300_000, () => ups(net.lnsEvents, 'session-up') === 5 && ups(net.lacEvents, 'session-up') === 5);
    assert.equal(ups(net.lacEvents, 'session-up'), 5);
    assert.equal(ups(net.lnsEvents, 'session-up'), 5);
    assert.equal(ups(net.lnsEvents, 'tunnel-up'), 1, 'a retransmitted SCCRQ does not make a second tunnel');
    assert.equal(net.lns.tunnelCount, 1);
    const c = net.lns.tunnel((net.lnsEvents.find((e) => e.type === 'tunnel-up') as { tunnel: number }).tunnel)!.channel.counters;
    if ('duplicate' in faults) assert.ok(c.duplicates > 0, 'duplicates were seen and dropped');
  });
}

test('unanswered messages are retransmitted with exponential backoff, then the tunnel gives up', () => {
  const lac = new L2tpEndpoint({ hostName: 'lac', random: seededRandom('g') });
  const sent: number[] = [];
  let now = 0;
  lac.openTunnel(LNS_ADDR, now);
  for (;;) {
    for (const _ of lac.takeOutput()) sent.push(now);
    const d = lac.nextDeadline();
    if (d === undefined) break;
    now = d;
    lac.tick(now);
    if (lac.takeEvents().some((e) => e.type === 'tunnel-down')) break;
  }
  // RFC 2661 §5.8: 1 s, doubling, capped at 8 s; 5 retransmissions.
  assert.deepEqual(sent, [0, 1000, 3000, 7000, 15000, 23000]);
});

test('a duplicate of an acknowledged message is acknowledged again with a ZLB', () => {
  const net = new VirtualNet({}, {});
  dial(net, 0);
  net.run(10_000, () => ups(net.lnsEvents, 'tunnel-up') === 1);
  net.run(net.now + 100);
  const sccrq = net.wire.find((w) => w.from === 'lac')!.bytes;
  const before = net.wire.length;
  net.lns.input(sccrq, LAC_ADDR, net.now);
  const out = net.lns.takeOutput();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.bytes.length, 12, 'a ZLB');
  assert.equal(net.lns.tunnelCount, 1);
  assert.equal(net.wire.length, before);
});

test('an idle tunnel sends HELLO (§6.5) and the peer acknowledges it', () => {
  const net = new VirtualNet({ helloMs: 30_000 }, { helloMs: 60_000 });
  dial(net, 1);
  net.run(5_000, () => ups(net.lnsEvents, 'session-up') === 1);
  const start = net.wire.length;
  net.run(net.now + 35_000);
  const hellos = net.wire.slice(start).filter((w) => w.bytes.length > 12 && w.bytes[0]! & 0x80).map((w) => (decodeAvps(w.bytes.subarray(12)) as { value: Buffer }[])[0]!.value.readUInt16BE(0));
  assert.deepEqual(hellos, [M.HELLO]);
  assert.equal(ups(net.lacEvents, 'tunnel-down'), 0);
});

test('CDN ends a call on both sides with its Result Code; StopCCN ends the tunnel', () => {
  const net = new VirtualNet({}, {});
  const { t, ids } = dial(net, 2);
  net.run(5_000, () => ups(net.lnsEvents, 'session-up') === 2);
  net.lac.closeSession(t, ids[0]!, net.now, 3, 'user hung up');
  net.run(net.now + 1000);
  const down = net.lnsEvents.filter((e) => e.type === 'session-down') as { reason: string }[];
  assert.equal(down.length, 1);
  assert.match(down[0]!.reason, /result 3, error 0, "user hung up"/);
  net.lns.closeAll(net.now);
  net.run(net.now + 1000);
  assert.ok(net.lacEvents.some((e) => e.type === 'tunnel-down' && /StopCCN/.test(e.reason)));
  assert.equal(ups(net.lacEvents, 'session-down'), 2);
});

test('max sessions per tunnel is enforced with CDN "lack of resources"', () => {
  const net = new VirtualNet({}, { maxSessionsPerTunnel: 2 });
  dial(net, 3);
  net.run(10_000);
  assert.equal(ups(net.lnsEvents, 'session-up'), 2);
  assert.equal(ups(net.lacEvents, 'session-up'), 2);
  assert.ok(net.lacEvents.some((e) => e.type === 'session-down' && /result 4/.test(e.reason)));
});

test('max tunnels is enforced: further SCCRQs are counted and dropped', () => {
  const lns = new L2tpEndpoint({ hostName: 'lns', acceptTunnels: true, maxTunnels: 2, random: seededRandom('m') });
  for (let i = 1; i <= 5; i++) {
    const body = encodeAvps([avp(A.MessageType, u16(M.SCCRQ)), avp(A.ProtocolVersion, u16(0x100)), avp(A.HostName, Buffer.from('x')), avp(A.FramingCapabilities, Buffer.alloc(4)), avp(A.AssignedTunnelId, u16(i))]);
    lns.input(encodeControl(0, 0, 0, 0, body), `198.51.100.${i}:1701`, 0);
  }
  assert.equal(lns.tunnelCount, 2);
  assert.equal(lns.counters.dropped['tunnel-limit'], 3);
});

test('malformed datagrams are counted and dropped, never thrown: fuzzed headers and AVPs', () => {
  const net = new VirtualNet({ secret: 'z' }, { secret: 'z' });
  dial(net, 1);
  net.run(5_000, () => ups(net.lnsEvents, 'session-up') === 1);
  const samples = net.wire.map((w) => w.bytes);
  const r = seededRandom('fuzz');
  let n = 0;
  for (const s of samples) {
    for (let k = 0; k < 200; k++) {
      const b = Buffer.from(s);
      const flips = 1 + (r(1)[0]! % 4);
      for (let i = 0; i < flips; i++) b[r(2).readUInt16BE(0) % b.length] = r(1)[0]!;
      const cut = r(1)[0]! % 3 === 0 ? b.subarray(0, r(2).readUInt16BE(0) % (b.length + 1)) : b;
      net.lns.input(cut, LAC_ADDR, net.now);
      net.lac.input(cut, LNS_ADDR, net.now);
      n++;
    }
  }
  for (const junk of [Buffer.alloc(0), Buffer.from([0xc8]), Buffer.from([0xc8, 0x02, 0x00, 0x05, 0, 0]), Buffer.from('GET / HTTP/1.0\r\n')]) {
    net.lns.input(junk, LAC_ADDR, net.now);
  }
  net.lns.takeOutput();
  net.lac.takeOutput();
  const dropped = Object.values(net.lns.counters.dropped).reduce((a, b) => a + (b ?? 0), 0);
  assert.ok(dropped > 100, `dropped ${dropped} of ${n}`);
  assert.ok((net.lns.counters.dropped.short ?? 0) > 0 && (net.lns.counters.dropped.version ?? 0) > 0);
  // The endpoints still work afterwards (or tore down cleanly): ticking never throws.
  net.run(net.now + 120_000);
});

test('header codec: data messages with offset and sequence numbers decode; control bits are enforced', () => {
  const data = Buffer.from([0x4b, 0x02, 0, 16, 0, 5, 0, 6, 0, 1, 0, 0, 0, 0, 0xff, 0x03]);
  // L, S, O set: Length 16, tunnel 5, session 6, Ns 1, Nr 0, Offset 0.
  data[0] = 0x4a;
  const d = decodeHeader(data);
  assert.ok(typeof d !== 'string');
  assert.equal(d.header.tunnelId, 5);
  assert.equal(d.header.ns, 1);
  assert.deepEqual(d.payload, Buffer.from([0xff, 0x03]));
  assert.equal(decodeHeader(Buffer.from([0x80, 0x02, 0, 0, 0, 0, 0, 0])), 'control-bits');
  assert.equal(decodeHeader(Buffer.from([0xc8, 0x01, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0])), 'version');
});
