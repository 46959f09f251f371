import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PppoeClient, type PppoeClientEvent, type PppoeClientOptions } from './client.js';
import { AccessConcentrator, type AcEvent, type AcOptions } from './access-concentrator.js';
import { BROADCAST, Code, ETH_P_PPPOE_DISC, ETH_P_PPPOE_SESS, decodeFrame, encodeFrame, parseMac } from './frame.js';
import { Tag, encodeTags, findTag, parseTags, tag } from './tags.js';
import { pppoeLinkLayer, pppoeSessionOptions } from './ppp-options.js';
import { Session, defaultSessionOptions, type SessionEvent } from '../ppp/session.js';
import { seeded, ip } from '../ppp/testing/pair.js';
import { staticSecrets } from '../ppp/secrets.js';

const HOST = parseMac('02:00:00:00:00:01')!;
const AC = parseMac('02:00:00:00:00:a1')!;
const AC2 = parseMac('02:00:00:00:00:a2')!;
const SECRET = Buffer.from('per-process secret for the tests');

function ac(o: Partial<AcOptions> = {}): AccessConcentrator {
  return new AccessConcentrator({ mac: AC, acName: 'dialtone', services: ['internet'], secret: SECRET, maxSessions: 4, firstSessionId: 0x1234, ...o });
}
function client(o: Partial<PppoeClientOptions> = {}): PppoeClient {
  return new PppoeClient({ mac: HOST, hostUniq: Buffer.from([0, 0, 0x30, 0x39]), ...o });
}

/** A shared Ethernet segment on a virtual clock: every frame reaches every station (as a hub). */
class Segment {
  now = 0;
  readonly wire: Buffer[] = [];
  readonly clientEvents: PppoeClientEvent[] = [];
  readonly acEvents: AcEvent[][] = [];
  /** Drops a frame on the wire when it returns true. */
  drop: (frame: Buffer) => boolean = () => false;
  constructor(readonly client: PppoeClient, readonly acs: AccessConcentrator[], readonly onClient?: (e: PppoeClientEvent) => void, readonly onAc?: (i: number, e: AcEvent) => void) {
    acs.forEach(() => this.acEvents.push([]));
  }
  /** Moves frames until quiet. */
  settle(): void {
    for (let moved = true; moved; ) {
      moved = false;
      const frames = [...this.client.takeOutput(), ...this.acs.flatMap((a) => a.takeOutput())];
      for (const f of frames) {
        moved = true;
        this.wire.push(f);
        if (this.drop(f)) continue;
        this.client.input(f, this.now);
        for (const a of this.acs) if (!f.subarray(6, 12).equals(acMac(a))) a.input(f);
      }
      for (const e of this.client.takeEvents()) {
        moved = true;
        this.clientEvents.push(e);
        this.onClient?.(e);
      }
      this.acs.forEach((a, i) => {
        for (const e of a.takeEvents()) {
          moved = true;
          this.acEvents[i]!.push(e);
          this.onAc?.(i, e);
        }
      });
    }
  }
  /** Advances the clock to the client's next deadline; false if it has none. */
  step(): boolean {
    const d = this.client.nextDeadline();
    if (d === undefined) return false;
    this.now = d;
    this.client.tick(this.now);
    this.settle();
    return true;
  }
}
const acMac = (a: AccessConcentrator) => (a as unknown as { o: AcOptions }).o.mac;
const codes = (wire: Buffer[]) => wire.map((f) => decodeFrame(f)).filter((d) => d.ok && d.frame.ethertype === ETH_P_PPPOE_DISC).map((d) => (d.ok ? d.frame.code : -1));

test('a PPPoE client and access concentrator reach PPP IP-up over an Ethernet segment, and a PADT from the client ends the AC session', () => {
  const secrets = staticSecrets([{ client: 'dsl-user', server: 'dialtone', secret: 'wilma' }]);
  const a = ac();
  const c = client();
  // Two PPP sessions on the frame link, fed by the PPPoE cores.
  let hostPpp: Session | undefined;
  let acPpp: Session | undefined;
  let acSid = 0;
  const mk = (name: string, o: object) => new Session(defaultSessionOptions({ name, randomBytes: seeded(name), ...pppoeSessionOptions(), ...o }), 0, pppoeLinkLayer());
  const seg = new Segment(c, [a], (e) => {
    if (e.type === 'up') {
      hostPpp = mk('dsl-user', { secrets });
      hostPpp.start(seg.now);
    }
    if (e.type === 'ppp') hostPpp?.input(e.payload, seg.now);
  }, (_i, e) => {
    if (e.type === 'session-up') {
      acSid = e.sessionId;
      acPpp = mk('dialtone', { requireChap: true, secrets, localAddr: ip('10.64.0.1'), remoteAddr: ip('10.64.0.2') });
      acPpp.start(seg.now);
    }
    if (e.type === 'ppp') acPpp?.input(e.payload, seg.now);
  });
  c.start(0);
  const hostEv: SessionEvent[] = [];
  const acEv: SessionEvent[] = [];
  for (let i = 0; i < 200; i++) {
    seg.settle();
    for (const b of hostPpp?.takeOutput() ?? []) c.send(b);
    for (const b of acPpp?.takeOutput() ?? []) a.send(acSid, b);
    hostEv.push(...(hostPpp?.takeEvents() ?? []));
    acEv.push(...(acPpp?.takeEvents() ?? []));
    if (hostEv.some((e) => e.type === 'ip-up') && acEv.some((e) => e.type === 'ip-up')) break;
  }
  const up = hostEv.find((e) => e.type === 'ip-up');
  assert.ok(up && up.type === 'ip-up', 'client reached IP-up');
  assert.equal(up.local, ip('10.64.0.2'));
  assert.ok(acEv.some((e) => e.type === 'auth-up' && e.peerName === 'dsl-user'));
  assert.deepEqual(codes(seg.wire).slice(0, 4), [Code.PADI, Code.PADO, Code.PADR, Code.PADS]);
  assert.equal(acSid, 0x1234);
  // Session frames carry PPP with the Protocol field first (RFC 2516 §6), never FF 03.
  const sess = seg.wire.map(decodeFrame).filter((d) => d.ok && d.frame.ethertype === ETH_P_PPPOE_SESS);
  assert.ok(sess.length > 4);
  for (const d of sess) if (d.ok) assert.notEqual(d.frame.payload[0], 0xff);
  // The client's LCP asked for MRU 1492.
  const lcpReq = sess.find((d) => d.ok && d.frame.src.equals(HOST) && d.frame.payload.readUInt16BE(0) === 0xc021);
  assert.ok(lcpReq?.ok && lcpReq.frame.payload.includes(Buffer.from([0x01, 0x04, 0x05, 0xd4])), 'MRU 1492 requested');

  c.close('User request');
  seg.settle();
  assert.ok(seg.acEvents[0]!.some((e) => e.type === 'session-down' && e.byPeer && e.sessionId === 0x1234));
  assert.equal(a.sessionCount, 0);
  assert.equal(codes(seg.wire).at(-1), Code.PADT);
});

test('a PADT from the access concentrator ends the client session; later frames for the old session are counted, not delivered', () => {
  const a = ac();
  const c = client();
  const seg = new Segment(c, [a]);
  c.start(0);
  seg.settle();
  assert.equal(c.phase, 'session');
  a.close(0x1234, 'administrator');
  seg.settle();
  assert.ok(seg.clientEvents.some((e) => e.type === 'down' && e.byPeer));
  assert.equal(c.phase, 'closed');
  c.input(encodeFrame({ dst: HOST, src: AC, ethertype: ETH_P_PPPOE_SESS, code: 0, sessionId: 0x1234, payload: Buffer.from([0xc0, 0x21, 9, 1, 0, 4]) }), 0);
  assert.equal(c.counters.unknownSession, 1);
  assert.ok(!seg.clientEvents.some((e) => e.type === 'ppp'));
});

test('with no access concentrator the client sends 3 PADIs, doubling the wait from 5 s, then fails as pppd: "Timeout waiting for PADO packets"', () => {
  const c = client();
  const seg = new Segment(c, []);
  const sent: number[] = [];
  c.start(0);
  const watch = () => {
    for (const f of c.takeOutput()) {
      const d = decodeFrame(f);
      assert.ok(d.ok && d.frame.code === Code.PADI && d.frame.dst.equals(BROADCAST));
      sent.push(seg.now);
    }
  };
  watch();
  while (c.nextDeadline() !== undefined) {
    seg.now = c.nextDeadline()!;
    c.tick(seg.now);
    watch();
  }
  assert.deepEqual(sent, [0, 5000, 15000]);
  assert.equal(seg.now, 35000);
  const ev = c.takeEvents();
  assert.ok(ev.some((e) => e.type === 'failed' && e.why === 'Timeout waiting for PADO packets'));
});

test('a lost PADI is retransmitted and a lost PADS is recovered by the retransmitted PADR with the same session', () => {
  const a = ac();
  const c = client();
  const seg = new Segment(c, [a]);
  let padis = 0;
  let pads = 0;
  seg.drop = (f) => {
    const d = decodeFrame(f);
    if (!d.ok) return false;
    if (d.frame.code === Code.PADI) return ++padis === 1;
    if (d.frame.code === Code.PADS) return ++pads === 1;
    return false;
  };
  c.start(0);
  seg.settle();
  assert.equal(c.phase, 'padi');
  seg.step(); // PADI again at 5 s
  assert.equal(c.phase, 'padr');
  seg.step(); // PADR again: the AC repeats its PADS
  assert.equal(c.phase, 'session');
  assert.equal(a.sessionCount, 1, 'one session for both PADRs');
  assert.equal(c.session?.id, 0x1234);
});

test('the AC-Cookie binds a PADR to the MAC that got the PADO: forged or replayed cookies create no session', () => {
  const a = ac();
  const padr = (src: Buffer, cookie: Buffer | undefined) =>
    encodeFrame({ dst: AC, src, ethertype: ETH_P_PPPOE_DISC, code: Code.PADR, sessionId: 0, payload: encodeTags([tag(Tag.ServiceName, 'internet'), ...(cookie ? [tag(Tag.AcCookie, cookie)] : [])]) });
  // A PADI flood gets PADOs and leaves no state behind.
  for (let i = 0; i < 1000; i++) {
    const src = Buffer.from([2, 0, 0, 0, i >> 8, i & 0xff]);
    a.input(encodeFrame({ dst: BROADCAST, src, ethertype: ETH_P_PPPOE_DISC, code: Code.PADI, sessionId: 0, payload: encodeTags([tag(Tag.ServiceName, '')]) }));
  }
  const pados = a.takeOutput();
  assert.equal(pados.length, 1000);
  assert.equal(a.sessionCount, 0);
  const d = decodeFrame(pados[0]!);
  assert.ok(d.ok);
  const tags = parseTags(d.frame.payload);
  assert.ok(Array.isArray(tags));
  const cookie = findTag(tags, Tag.AcCookie)!;
  assert.equal(findTag(tags, Tag.AcName)?.toString(), 'dialtone');
  a.input(padr(HOST, cookie)); // the cookie of 02:00:00:00:00:00, from another MAC
  a.input(padr(HOST, undefined));
  a.input(padr(HOST, Buffer.alloc(16)));
  assert.equal(a.counters.badCookie, 3);
  assert.equal(a.sessionCount, 0);
  assert.equal(a.takeOutput().length, 0);
  // A different process (another secret) does not take this process's cookie either.
  const b = ac({ secret: Buffer.from('another secret') });
  b.input(padr(Buffer.from([2, 0, 0, 0, 0, 0]), cookie));
  assert.equal(b.counters.badCookie, 1);
  a.input(padr(Buffer.from([2, 0, 0, 0, 0, 0]), cookie));
  assert.equal(a.sessionCount, 1);
});

test('the client takes the PADO of the AC-Name it was told (rp_pppoe_ac) and ignores ACs without its service', () => {
  const first = ac({ acName: 'other-isp', mac: AC2 });
  const wanted = ac({ acName: 'dialtone' });
  const noService = ac({ acName: 'dialtone', mac: Buffer.from([2, 0, 0, 0, 0, 0xa3]), services: ['video'] });
  const c = client({ acName: 'dialtone', service: 'internet' });
  const seg = new Segment(c, [first, noService, wanted]);
  c.start(0);
  seg.settle();
  assert.equal(c.phase, 'session');
  assert.ok(c.session!.peer.equals(AC));
  assert.equal(first.sessionCount, 0);
  assert.equal(noService.counters.discoveryOut, 0, 'no PADO for a service it does not offer');
  // rp_pppoe_mac: the MAC chooses instead.
  const c2 = client({ acMac: AC2 });
  const seg2 = new Segment(c2, [ac(), ac({ acName: 'other-isp', mac: AC2 })]);
  c2.start(0);
  seg2.settle();
  assert.ok(c2.session!.peer.equals(AC2));
});

test('a full AC answers a PADR with a PADS carrying AC-System-Error and session 0; the client gives up with that error', () => {
  const a = ac({ maxSessions: 0 });
  const c = client();
  const seg = new Segment(c, [a]);
  c.start(0);
  seg.settle();
  assert.equal(a.counters.refusedFull, 1);
  assert.ok(seg.clientEvents.some((e) => e.type === 'failed' && /AC-System-Error: Too many sessions/.test(e.why)));
});

test('a service the AC does not offer in a PADR gets Service-Name-Error; an unknown service in a PADI gets no PADO', () => {
  const a = ac();
  const c = client({ service: 'video' });
  const seg = new Segment(c, [a]);
  c.start(0);
  seg.settle();
  assert.equal(seg.wire.length, 1);
  // A PADR for it anyway (with a valid cookie) is refused in a PADS.
  const src = HOST;
  const cookie = (() => {
    a.input(encodeFrame({ dst: BROADCAST, src, ethertype: ETH_P_PPPOE_DISC, code: Code.PADI, sessionId: 0, payload: encodeTags([tag(Tag.ServiceName, '')]) }));
    const d = decodeFrame(a.takeOutput()[0]!);
    assert.ok(d.ok);
    return findTag(parseTags(d.frame.payload) as never, Tag.AcCookie)!;
  })();
  a.input(encodeFrame({ dst: AC, src, ethertype: ETH_P_PPPOE_DISC, code: Code.PADR, sessionId: 0, payload: encodeTags([tag(Tag.ServiceName, 'video'), tag(Tag.AcCookie, cookie)]) }));
  const d = decodeFrame(a.takeOutput()[0]!);
  assert.ok(d.ok && d.frame.code === Code.PADS && d.frame.sessionId === 0);
  assert.ok(findTag(parseTags(d.frame.payload) as never, Tag.ServiceNameError));
});

test('PPP-Max-Payload (RFC 4638): echoed when the interface carries it, and the client then uses the larger MTU', () => {
  const a = ac({ ifMtu: 9000 });
  const c = client({ maxPayload: 1500 });
  const seg = new Segment(c, [a]);
  c.start(0);
  seg.settle();
  assert.equal(c.session?.mtu, 1500);
  assert.ok(seg.acEvents[0]!.some((e) => e.type === 'session-up' && e.mtu === 1500));
  const small = ac();
  const c2 = client({ maxPayload: 1500 });
  const seg2 = new Segment(c2, [small]);
  c2.start(0);
  seg2.settle();
  assert.equal(c2.session?.mtu, 1492, 'a 1500-byte interface cannot carry it: no echo, 1492');
});

test('malformed frames are counted and dropped by both roles; random bytes never throw', () => {
  const a = ac();
  const c = client();
  const base = { dst: AC, src: HOST, ethertype: ETH_P_PPPOE_DISC, code: Code.PADI, sessionId: 0 };
  const bad = [
    Buffer.alloc(10), // runt
    (() => { const f = encodeFrame({ ...base, payload: encodeTags([tag(Tag.ServiceName, '')]) }); f[14] = 0x21; return f; })(), // version 2
    (() => { const f = encodeFrame({ ...base, payload: Buffer.alloc(4) }); f.writeUInt16BE(200, 18); return f; })(), // LENGTH past the frame
    encodeFrame({ ...base, payload: Buffer.from([0x01, 0x01, 0x00, 0x09, 0x61]) }), // TAG past the payload
    encodeFrame({ ...base, ethertype: ETH_P_PPPOE_SESS, payload: Buffer.alloc(4) }), // code PADI on the session ethertype
    encodeFrame({ ...base, payload: Buffer.alloc(0) }), // PADI without Service-Name
    encodeFrame({ ...base, src: BROADCAST, payload: encodeTags([tag(Tag.ServiceName, '')]) }), // broadcast source
  ];
  for (const f of bad) a.input(f);
  assert.equal(a.counters.malformed, bad.length);
  assert.equal(a.takeOutput().length, 0);
  a.input(encodeFrame({ ...base, ethertype: ETH_P_PPPOE_SESS, code: 0, sessionId: 77, payload: Buffer.from([0, 0x21]) }));
  assert.equal(a.counters.unknownSession, 1);
  c.start(0);
  c.takeOutput();
  for (const f of bad) {
    const g = Buffer.from(f);
    if (g.length >= 6) HOST.copy(g, 0);
    c.input(g, 0);
  }
  assert.equal(c.counters.malformed, bad.length - 1, 'a PADI without Service-Name is well formed; the client just ignores it');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
    const f = Buffer.from(bytes);
    if (f.length >= 14) { f.writeUInt16BE(f[12]! & 1 ? ETH_P_PPPOE_DISC : ETH_P_PPPOE_SESS, 12); f[14] = 0x11; }
    a.input(f);
    c.input(f, 0);
    a.takeOutput();
    return true;
  }), { seed: 42, numRuns: 2000 });
});
