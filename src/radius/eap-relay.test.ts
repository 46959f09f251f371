import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { RadiusClientCore, CLIENT_DEFAULTS, type RadiusRequest, type RadiusResult } from './client.js';
import { decodePacket, encodePacket, attr, vendorSpecific, RadiusCode, findAttribute, findAttributes, type RadiusAttribute, type RadiusPacket } from './packet.js';
import { signResponse, verifyMessageAuthenticator, encryptMppeKey, MESSAGE_AUTHENTICATOR } from './crypto.js';
import { radiusEapRelay, eapMessageAttributes, EAP_MESSAGE, maxRoundsFor, DEFAULT_MAX_ROUNDS } from './eap-relay.js';
import type { RadiusGrant } from './access.js';
import { Timers } from '../ppp/timers.js';
import { EapClient } from '../ppp/auth/eap.js';
import { EapPassThroughServer } from '../ppp/auth/eap-pass-through.js';
import { chapMd5 } from '../ppp/auth/chap-md5.js';
import type { AuthHost } from '../ppp/auth/host.js';
import { emitEap } from '../ppp/auth/eap-packet.js';

const secret = Buffer.from('s3cret');
let seed = 0;
const random = (n: number) => crypto.createHash('sha256').update(`r${seed++}`).digest().subarray(0, n);
const eap = emitEap;
const MA: RadiusAttribute = { type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) };

/** What the scripted server returns for one Access-Request: a code, attributes, and how to sign. */
interface Reply {
  code: number;
  attributes: RadiusAttribute[];
  /** Leave out the Message-Authenticator, or sign with another key. */
  noMa?: boolean;
  badMa?: boolean;
}

/**
 * The PPP pass-through role, the RADIUS relay and the client core on one virtual clock, with a
 * real EapClient (pppd's EAP-MD5 peer behaviour) on the other side and `script` as the server.
 */
function rig(script: (req: RadiusPacket, n: number) => Reply | Reply[] | undefined, o: { peerName?: string; maxRounds?: number; peerSecret?: string; linkMtu?: number } = {}) {
  let now = 0;
  const clock = { now: 0 };
  const timers = new Timers(clock);
  const radius = new RadiusClientCore({ ...CLIENT_DEFAULTS, timeoutMs: 1000, retries: 1, randomBytes: random, servers: [{ host: '127.0.0.1', port: 1812, secret }] });
  const requests: RadiusPacket[] = [];
  const logs: string[] = [];
  const grants: RadiusGrant[] = [];
  const verdicts: { ok: boolean; name?: string }[] = [];
  const toPeer: Buffer[] = [];
  const queue: { to: 'peer' | 'nas'; p: Buffer }[] = [];
  const host = (to: 'peer' | 'nas', done: (ok: boolean, name?: string) => void): AuthHost => ({
    send: (p) => {
      if (to === 'peer') toPeer.push(p);
      queue.push({ to, p });
    },
    log: (_l, m) => logs.push(m),
    randomBytes: random,
    timers,
    done,
  });
  const ask = (req: RadiusRequest) => new Promise<RadiusResult>((resolve) => radius.request(now, req, resolve));
  const relay = radiusEapRelay({ ask, nas: { nasIdentifier: 'nas1' }, call: () => ({ nasPort: 7, nasPortType: 5 }), granted: (g) => grants.push(g), log: (m) => logs.push(m), maxRounds: o.maxRounds, linkMtu: () => o.linkMtu });
  const nas = new EapPassThroughServer({ restart: 3, maxRequests: 10, relay }, host('peer', (ok, name) => verdicts.push({ ok, name })));
  const peerSecret = Buffer.from(o.peerSecret ?? 'wilma');
  const peer = new EapClient({ name: o.peerName ?? 'fred', maxRequests: 50, timeout: 0, secretFor: () => Buffer.from(peerSecret) }, host('nas', () => undefined));
  let n = 0;
  const respond = (req: RadiusPacket, one: Reply) => {
    const attributes = one.noMa ? one.attributes : [MA, ...one.attributes];
    const raw = signResponse(encodePacket({ code: one.code, identifier: req.identifier, authenticator: Buffer.alloc(16), attributes }), req.authenticator, one.badMa ? Buffer.from('forged') : secret);
    if (one.badMa) {
      // A right Response Authenticator (RFC 2865 §3) over a Message-Authenticator made with the wrong key.
      const withReq = Buffer.from(raw);
      req.authenticator.copy(withReq, 4);
      crypto.createHash('md5').update(withReq).update(secret).digest().copy(raw, 4);
    }
    radius.input(now, 0, raw);
  };
  /** Delivers EAP both ways and answers RADIUS datagrams until nothing moves. */
  const pump = async () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (let q = queue.shift(); q; q = queue.shift()) {
        moved = true;
        (q.to === 'peer' ? peer : nas).input(q.p);
      }
      for (const d of radius.takeOutput()) {
        moved = true;
        const req = decodePacket(d.data);
        assert.ok(req.ok);
        requests.push(req.packet);
        const r = script(req.packet, n++);
        for (const one of r === undefined ? [] : Array.isArray(r) ? r : [r]) respond(req.packet, one);
      }
      await new Promise((r) => setImmediate(r)); // the relay's promise callbacks
      if (queue.length) moved = true;
    }
  };
  const advance = async (ms: number) => {
    now += ms;
    clock.now = now;
    timers.fire(now);
    radius.poll(now);
    await pump();
  };
  return { respond, nas, peer, radius, requests, logs, grants, verdicts, toPeer, pump, advance, start: async () => { peer.start(); nas.start(); await pump(); } };
}

const eapOf = (p: RadiusPacket) => Buffer.concat(findAttributes(p, EAP_MESSAGE));
const md5Challenge = (id: number, challenge: Buffer) => eap(1, id, Buffer.concat([Buffer.from([4, challenge.length]), challenge, Buffer.from('radius')]));

test('EAP-MD5 through RADIUS: Identity asked locally, challenges relayed with State echoed, Access-Accept grants the session', async () => {
  const challenge = Buffer.alloc(16, 7);
  const r = rig((req, n) => {
    const e = eapOf(req);
    if (n === 0) {
      // The peer's Identity, with User-Name taken from it and no State yet.
      assert.equal(e[4], 1);
      assert.equal(findAttribute(req, 1)!.toString(), 'fred');
      assert.equal(findAttribute(req, 24), undefined);
      // A Notification round first, then MD5: two challenges, two States.
      return { code: RadiusCode.AccessChallenge, attributes: [...eapMessageAttributes(eap(1, 50, Buffer.from('\x02Hello'))), attr.string(24, 'state-one')] };
    }
    if (n === 1) {
      assert.equal(findAttribute(req, 24)!.toString(), 'state-one');
      assert.equal(e[0], 2);
      assert.equal(e[1], 50);
      return { code: RadiusCode.AccessChallenge, attributes: [...eapMessageAttributes(md5Challenge(51, challenge)), attr.string(24, 'state-two')] };
    }
    assert.equal(findAttribute(req, 24)!.toString(), 'state-two');
    assert.deepEqual(e.subarray(6, 22), chapMd5(51, Buffer.from('wilma'), challenge));
    return { code: RadiusCode.AccessAccept, attributes: [...eapMessageAttributes(eap(3, 51)), attr.ipaddr(8, '10.0.2.77'), attr.integer(27, 12)] };
  });
  await r.start();
  assert.deepEqual(r.verdicts, [{ ok: true, name: 'fred' }]);
  assert.equal(r.requests.length, 3);
  for (const p of r.requests) assert.ok(findAttribute(p, MESSAGE_AUTHENTICATOR));
  assert.equal(r.grants[0]!.framedIp, '10.0.2.77');
  assert.equal(r.grants[0]!.sessionTimeout, 12);
  // The peer got the Identity request, both relayed Requests and the server's own Success.
  assert.deepEqual(r.toPeer.map((p) => p[0]), [1, 1, 1, 3]);
  assert.deepEqual(r.toPeer[3], eap(3, 51));
});

test('replies without a valid Message-Authenticator are dropped; the retransmitted request takes the real one', async () => {
  const r = rig((_req, n) => {
    const reject = { code: RadiusCode.AccessReject, attributes: [attr.string(18, 'go away')] };
    // The first transmission gets a reply without one and a reply with a forged one.
    if (n === 0) return [{ ...reject, noMa: true }, { ...reject, badMa: true }];
    if (n >= 2) return { code: RadiusCode.AccessAccept, attributes: [] };
    return { code: RadiusCode.AccessChallenge, attributes: [...eapMessageAttributes(md5Challenge(9, Buffer.alloc(16, 1))), attr.string(24, 's')] };
  });
  await r.start();
  assert.equal(r.radius.counters.badAuthenticator, 2);
  assert.deepEqual(r.verdicts, []);
  await r.advance(1000); // the client's retransmission
  assert.equal(r.requests.length, 3, 'retransmission, then the MD5 response');
  assert.deepEqual(r.requests[1]!.authenticator, r.requests[0]!.authenticator, 'the same packet again');
  assert.equal(r.toPeer[1]![4], 4, 'the MD5-Challenge reached the peer');
  // An Access-Accept without EAP-Message: we send the EAP-Success ourselves.
  assert.deepEqual(r.verdicts, [{ ok: true, name: 'fred' }]);
  assert.equal(r.toPeer.at(-1)![0], 3);
});

test('Access-Reject: the peer gets EAP-Failure and the session fails', async () => {
  const r = rig((_req, n) =>
    n === 0
      ? { code: RadiusCode.AccessChallenge, attributes: [...eapMessageAttributes(md5Challenge(9, Buffer.alloc(16, 1)))] }
      : { code: RadiusCode.AccessReject, attributes: eapMessageAttributes(eap(4, 9)) }, { peerSecret: 'wrong' });
  await r.start();
  assert.deepEqual(r.verdicts, [{ ok: false, name: 'fred' }]);
  assert.deepEqual(r.toPeer.at(-1), eap(4, 9));
  assert.equal(r.grants.length, 0);
});

test('more Access-Challenges than the bound ends in EAP-Failure', async () => {
  let id = 10;
  const r = rig(() => ({ code: RadiusCode.AccessChallenge, attributes: eapMessageAttributes(eap(1, ++id, Buffer.from('\x02again'))) }), { maxRounds: 3 });
  await r.start();
  assert.equal(r.requests.length, 4);
  assert.deepEqual(r.verdicts, [{ ok: false, name: 'fred' }]);
  assert.equal(r.toPeer.at(-1)![0], 4);
  assert.ok(r.logs.some((l) => /more than 3 Access-Challenges/.test(l)), r.logs.join('\n'));
});

test('a smaller peer MRU allows more Access-Challenges: the same handshake in smaller fragments', async () => {
  assert.equal(maxRoundsFor(undefined), DEFAULT_MAX_ROUNDS);
  assert.equal(maxRoundsFor(1500), DEFAULT_MAX_ROUNDS);
  assert.equal(maxRoundsFor(128), 278);
  // 40 rounds then Accept: past the fixed bound of 32, within the bound for a 128-octet MRU.
  const script = (_req: RadiusPacket, n: number): Reply => n < 40
    ? { code: RadiusCode.AccessChallenge, attributes: eapMessageAttributes(eap(1, 100 + n, Buffer.from('\x02again'))) }
    : { code: RadiusCode.AccessAccept, attributes: eapMessageAttributes(eap(3, 139)) };
  const small = rig(script, { linkMtu: 128 });
  await small.start();
  assert.deepEqual(small.verdicts, [{ ok: true, name: 'fred' }], small.logs.join('\n'));
  const unknown = rig(script);
  await unknown.start();
  assert.deepEqual(unknown.verdicts, [{ ok: false, name: 'fred' }]);
  assert.equal(unknown.requests.length, DEFAULT_MAX_ROUNDS + 1);
});

test('an EAP packet over 253 octets goes in several EAP-Messages, and the server\'s pieces are joined', async () => {
  const longName = 'x'.repeat(250);
  const bigRequest = eap(1, 60, Buffer.concat([Buffer.from([2]), Buffer.alloc(400, 0x41)]));
  const r = rig((req, n) => {
    if (n === 0) return { code: RadiusCode.AccessChallenge, attributes: eapMessageAttributes(bigRequest) };
    return { code: RadiusCode.AccessReject, attributes: [] };
  }, { peerName: longName });
  await r.start();
  const parts = findAttributes(r.requests[0]!, EAP_MESSAGE);
  assert.deepEqual(parts.map((p) => p.length), [253, 2]);
  assert.equal(Buffer.concat(parts).subarray(5).toString(), longName);
  assert.deepEqual(r.toPeer[1], bigRequest);
  assert.equal(verifyMessageAuthenticator(encodePacket(r.requests[0]!), secret, r.requests[0]!.authenticator, true).ok, true);
});

test('every Access-Request carries Framed-MTU, the peer\'s MRU less the EAP-TLS header, when the link knows it (RFC 3579 §2.4)', async () => {
  const script = (_req: RadiusPacket, n: number): Reply => n === 0
    ? { code: RadiusCode.AccessChallenge, attributes: [...eapMessageAttributes(md5Challenge(61, Buffer.alloc(16, 3))), attr.string(24, 's')] }
    : { code: RadiusCode.AccessReject, attributes: [] };
  const small = rig(script, { linkMtu: 296 });
  await small.start();
  assert.equal(small.requests.length, 2);
  for (const p of small.requests) assert.deepEqual(findAttributes(p, 12), [attr.integer(12, 286).value]);
  const unknown = rig(script);
  await unknown.start();
  for (const p of unknown.requests) assert.equal(findAttribute(p, 12), undefined);
});

test('an EAP-Request longer than the peer\'s MRU (the server ignored Framed-MTU) ends in EAP-Failure, not a frame the peer drops', async () => {
  const script = (_req: RadiusPacket, n: number): Reply => n === 0
    ? { code: RadiusCode.AccessChallenge, attributes: eapMessageAttributes(eap(1, 62, Buffer.concat([Buffer.from([2]), Buffer.alloc(300, 0x41)]))) }
    : { code: RadiusCode.AccessReject, attributes: [] };
  const small = rig(script, { linkMtu: 296 });
  await small.start();
  assert.equal(small.requests.length, 1);
  assert.deepEqual(small.verdicts, [{ ok: false, name: 'fred' }]);
  assert.equal(small.toPeer.at(-1)![0], 4);
  assert.ok(small.logs.some((l) => /EAP-Request of 305 octets .* exceeds the peer's MRU 296/.test(l)), small.logs.join('\n'));
  // The same packet fits a default MRU and is relayed.
  const big = rig(script, { linkMtu: 1500 });
  await big.start();
  assert.equal(big.requests.length, 2);
  assert.equal(big.toPeer[1]!.length, 305);
});

test('no RADIUS answer at all: EAP-Failure once the client gives up', async () => {
  const r = rig(() => undefined);
  await r.start();
  await r.advance(1000);
  assert.deepEqual(r.verdicts, []);
  await r.advance(2000);
  assert.deepEqual(r.verdicts, [{ ok: false, name: 'fred' }]);
  assert.ok(r.logs.some((l) => /no RADIUS answer \(timeout\)/.test(l)));
});

test('an answer that arrives after the role stopped (stale round) is dropped', async () => {
  const r = rig(() => undefined);
  await r.start();
  assert.equal(r.requests.length, 1);
  r.nas.stop();
  r.respond(r.requests[0]!, { code: RadiusCode.AccessAccept, attributes: eapMessageAttributes(eap(3, 1)) });
  await r.pump();
  assert.equal(r.radius.counters.responses, 1, 'the client took the reply');
  assert.deepEqual(r.verdicts, []);
  assert.equal(r.grants.length, 0);
  assert.equal(r.toPeer.length, 1, 'only the Identity request went to the peer');
});

test('the pass-through role drops Responses with the wrong Identifier and duplicates while the server thinks', () => {
  const clock = { now: 0 };
  const timers = new Timers(clock);
  const sent: Buffer[] = [];
  const forwarded: Buffer[] = [];
  const answers: ((a: { kind: 'request'; packet: Buffer }) => void)[] = [];
  const nas = new EapPassThroughServer({ restart: 3, maxRequests: 2, relay: () => ({ forward: (p, a) => { forwarded.push(p); answers.push(a); }, close: () => undefined }) },
    { send: (p) => sent.push(p), log: () => undefined, randomBytes: (n) => Buffer.alloc(n, 5), timers, done: () => undefined });
  nas.start();
  assert.equal(sent[0]![1], 5);
  nas.input(eap(2, 4, Buffer.from('\x01fred')));
  assert.equal(forwarded.length, 0);
  nas.input(eap(2, 5, Buffer.from('\x01fred')));
  nas.input(eap(2, 5, Buffer.from('\x01fred')));
  assert.equal(forwarded.length, 1);
  assert.equal(nas.stats.discarded, 2);
  // The backend's Request goes out with its Identifier and is retransmitted by us.
  answers[0]!({ kind: 'request', packet: md5Challenge(77, Buffer.alloc(16)) });
  assert.equal(sent.at(-1)![1], 77);
  clock.now = 3000;
  timers.fire(3000);
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[2], sent[1]);
});

test('MS-MPPE keys in the Access-Accept (a key-deriving EAP method) become the session\'s MPPE keys', async () => {
  const send = Buffer.alloc(32, 0x11);
  const recv = Buffer.alloc(32, 0x22);
  const r = rig((req) => ({ code: RadiusCode.AccessAccept, attributes: [...eapMessageAttributes(eap(3, 1)),
    vendorSpecific(311, 16, encryptMppeKey(send, secret, req.authenticator, Buffer.from([0x80, 1]))),
    vendorSpecific(311, 17, encryptMppeKey(recv, secret, req.authenticator, Buffer.from([0x80, 2])))] }));
  await r.start();
  assert.deepEqual(r.verdicts, [{ ok: true, name: 'fred' }]);
  assert.deepEqual(r.nas.keys, { send: send.subarray(0, 16), recv: recv.subarray(0, 16) });
});
