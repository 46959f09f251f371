import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { RadiusClientCore, CLIENT_DEFAULTS, type RadiusResult, type Datagram } from './client.js';
import { decodePacket, encodePacket, attr, RadiusCode, findAttribute } from './packet.js';
import { signResponse, revealUserPassword, verifyMessageAuthenticator } from './crypto.js';

const secret = Buffer.from('s3cret');
let seed = 0;
const random = (n: number) => crypto.createHash('sha256').update(String(seed++)).digest().subarray(0, n);

function core(servers = 1, extra: Partial<ConstructorParameters<typeof RadiusClientCore>[0]> = {}) {
  return new RadiusClientCore({ ...CLIENT_DEFAULTS, randomBytes: random, servers: Array.from({ length: servers }, (_, i) => ({ host: '127.0.0.1', port: 1812 + i, secret })), ...extra });
}

/** A RADIUS server's answer to a datagram the core sent. */
function reply(d: Datagram, code: number, attributes = [attr.string(18, 'hello')], key = secret): Buffer {
  const req = decodePacket(d.data);
  assert.ok(req.ok);
  return signResponse(encodePacket({ code, identifier: req.packet.identifier, authenticator: Buffer.alloc(16), attributes }), req.packet.authenticator, key);
}

test('an Access-Request carries a hidden User-Password and a Message-Authenticator, and its verified answer is delivered', () => {
  const c = core();
  const results: RadiusResult[] = [];
  c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, 'fred')], userPassword: Buffer.from('wilma') }, (r) => results.push(r));
  const [d] = c.takeOutput();
  const p = decodePacket(d!.data);
  assert.ok(p.ok);
  assert.equal(revealUserPassword(findAttribute(p.packet, 2)!, secret, p.packet.authenticator)!.toString(), 'wilma');
  assert.deepEqual(verifyMessageAuthenticator(d!.data, secret, p.packet.authenticator, true), { ok: true });
  // A forged answer (wrong secret) and garbage are counted and ignored; the real one is taken.
  c.input(1, 0, reply(d!, RadiusCode.AccessAccept, undefined, Buffer.from('other')));
  c.input(1, 0, Buffer.from('nonsense'));
  assert.equal(results.length, 0);
  c.input(1, 0, reply(d!, RadiusCode.AccessAccept));
  assert.equal(results.length, 1);
  assert.ok(results[0]!.ok && results[0]!.response.code === RadiusCode.AccessAccept);
  assert.equal(c.counters.badAuthenticator, 1);
  assert.equal(c.counters.malformed, 1);
  // A duplicate answer finds no request.
  c.input(2, 0, reply(d!, RadiusCode.AccessAccept));
  assert.equal(c.counters.unknownIdentifier, 1);
});

test('retransmissions repeat the same packet with the timeout doubling, then the request fails', () => {
  const c = core(1, { timeoutMs: 1000, retries: 2 });
  const results: RadiusResult[] = [];
  c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, 'fred')] }, (r) => results.push(r));
  const first = c.takeOutput()[0]!.data;
  const sendTimes: number[] = [0];
  for (let now = 0; now <= 20_000; now += 100) {
    if ((c.nextDeadline() ?? Infinity) <= now) c.poll(now);
    for (const d of c.takeOutput()) {
      assert.deepEqual(d.data, first);
      sendTimes.push(now);
    }
  }
  assert.deepEqual(sendTimes, [0, 1000, 3000]); // 1 s, then 2 s
  assert.deepEqual(results, [{ ok: false, reason: 'timeout' }]);
  assert.equal(c.counters.retransmissions, 2);
});

test('a silent server fails over to the next, is marked dead, probed with Status-Server, and revived by its answer', () => {
  const c = core(2, { timeoutMs: 1000, retries: 1, deadTimeMs: 60_000 });
  const results: RadiusResult[] = [];
  c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, 'fred')] }, (r) => results.push(r));
  let now = 0;
  const sent: Datagram[] = [...c.takeOutput()];
  while (!sent.some((d) => d.server === 1) && now < 10_000) {
    now += 100;
    c.poll(now);
    sent.push(...c.takeOutput());
  }
  const toSecond = sent.find((d) => d.server === 1 && decodePacket(d.data).ok && d.data[0] === RadiusCode.AccessRequest)!;
  c.input(now, 1, reply(toSecond, RadiusCode.AccessAccept));
  assert.equal(results.length, 1);
  assert.ok(results[0]!.ok && results[0]!.server === 1);
  assert.equal(c.counters.failovers, 1);
  assert.deepEqual(c.serverStatus(now).map((s) => s.alive), [false, true]);
  // The next request goes straight to the live server.
  c.request(now, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, 'barney')] }, (r) => results.push(r));
  const out = c.takeOutput();
  const probe = sent.concat(out).find((d) => d.server === 0 && d.data[0] === RadiusCode.StatusServer);
  assert.ok(out.some((d) => d.server === 1 && d.data[0] === RadiusCode.AccessRequest));
  assert.ok(probe, 'the dead server was probed');
  c.input(now, 0, reply(probe!, RadiusCode.AccessAccept, []));
  assert.deepEqual(c.serverStatus(now).map((s) => s.alive), [true, true]);
  assert.equal(c.counters.serversRevived, 1);
});

test('port unreachable fails over at once', () => {
  const c = core(2);
  const results: RadiusResult[] = [];
  c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, 'fred')] }, (r) => results.push(r));
  assert.equal(c.takeOutput()[0]!.server, 0);
  c.unreachable(5, 0);
  const out = c.takeOutput();
  assert.ok(out.some((d) => d.server === 1 && d.data[0] === RadiusCode.AccessRequest));
});

test('in-flight requests are bounded; the rest queue in order and overflow is refused', () => {
  const c = core(1, { maxInFlight: 2, maxQueued: 1 });
  const got: string[] = [];
  for (const u of ['a', 'b', 'c', 'd']) c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, u)] }, (r) => got.push(`${u}:${r.ok ? 'ok' : r.reason}`));
  assert.deepEqual(got, ['d:queue full']);
  const out = c.takeOutput();
  assert.equal(out.length, 2);
  assert.equal(c.queued, 1);
  c.input(1, 0, reply(out[0]!, RadiusCode.AccessReject));
  const next = c.takeOutput();
  assert.equal(next.length, 1);
  const p = decodePacket(next[0]!.data);
  assert.ok(p.ok);
  assert.equal(findAttribute(p.packet, 1)!.toString(), 'c');
  assert.deepEqual(got, ['d:queue full', 'a:ok']);
});

test('identifiers are not reused while in flight', () => {
  const c = core(1, { maxInFlight: 256 });
  for (let i = 0; i < 256; i++) c.request(0, { code: RadiusCode.AccessRequest, attributes: [attr.string(1, `u${i}`)] }, () => undefined);
  const ids = new Set(c.takeOutput().map((d) => d.data[1]));
  assert.equal(ids.size, 256);
});
