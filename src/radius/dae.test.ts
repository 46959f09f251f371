import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DaeCore, ERROR_CAUSE, type DaeSession } from './dae.js';
import { RadiusCode, attr, decodePacket, encodePacket, findAttribute } from './packet.js';
import { signAccountingRequest, verifyResponse } from './crypto.js';
import { A } from './acct-packet.js';

const SECRET = 'dae-secret';
const NOW = 1_800_000_000_000;

function setup() {
  const sessions: DaeSession[] = [{ id: 1, user: 'a', address: '10.0.2.15', acctSessionId: 's1' }, { id: 2, user: 'b', address: '10.0.2.16', acctSessionId: 's2' }];
  const ended: number[] = [];
  const limits: Array<[number, unknown]> = [];
  const core = new DaeCore({
    clients: [{ address: '127.0.0.1', secret: SECRET }], window: 300,
    target: { liveSessions: () => sessions, adminReset: (id) => (ended.push(id), true), setLimits: (id, l) => (limits.push([id, l]), true) },
  });
  return { core, ended, limits };
}

function request(code: number, attributes: ReturnType<typeof attr.string>[], id = 1, secret = SECRET): Buffer {
  return signAccountingRequest(encodePacket({ code, identifier: id, authenticator: Buffer.alloc(16), attributes }), Buffer.from(secret));
}

function answer(req: Buffer, reply: Buffer | undefined) {
  assert.ok(reply, 'a reply');
  assert.ok(verifyResponse(reply, req.subarray(4, 20), Buffer.from(SECRET)).ok, 'signed with the secret over the request authenticator');
  const d = decodePacket(reply);
  assert.ok(d.ok);
  const cause = findAttribute(d.packet, A.ErrorCause);
  return { code: d.packet.code, cause: cause?.readUInt32BE(0) };
}

test('DAE: Disconnect-Request by Acct-Session-Id ends that session only; a duplicate gets the same ACK without acting twice', () => {
  const { core, ended } = setup();
  const req = request(RadiusCode.DisconnectRequest, [attr.string(A.AcctSessionId, 's2'), attr.integer(A.EventTimestamp, NOW / 1000)]);
  const r1 = core.handle(req, '127.0.0.1', NOW);
  assert.deepEqual(answer(req, r1), { code: RadiusCode.DisconnectAck, cause: undefined });
  const r2 = core.handle(req, '127.0.0.1', NOW + 1000);
  assert.deepEqual(r2, r1);
  assert.deepEqual(ended, [2]);
  assert.equal(core.counters.duplicates, 1);
});

test('DAE: no match is NAK 503, no identification NAK 402, an attribute it cannot act on NAK 401', () => {
  const { core, ended } = setup();
  const cases: Array<[ReturnType<typeof attr.string>[], number]> = [
    [[attr.string(A.UserName, 'nobody')], ERROR_CAUSE.SessionContextNotFound],
    [[attr.string(A.UserName, 'a'), attr.ipaddr(A.FramedIpAddress, '10.0.2.16')], ERROR_CAUSE.SessionContextNotFound],
    [[attr.string(A.NasIdentifier, 'x')], ERROR_CAUSE.MissingAttribute],
    [[attr.string(A.UserName, 'a'), attr.integer(A.SessionTimeout, 5)], ERROR_CAUSE.UnsupportedAttribute],
  ];
  cases.forEach(([attrs, cause], i) => {
    const req = request(RadiusCode.DisconnectRequest, attrs, i);
    assert.deepEqual(answer(req, core.handle(req, '127.0.0.1', NOW)), { code: RadiusCode.DisconnectNak, cause });
  });
  assert.deepEqual(ended, []);
});

test('DAE: CoA-Request changes the limits of the matching session', () => {
  const { core, limits } = setup();
  const req = request(RadiusCode.CoaRequest, [attr.ipaddr(A.FramedIpAddress, '10.0.2.15'), attr.integer(A.SessionTimeout, 60), attr.string(A.FilterId, 'slow')]);
  assert.deepEqual(answer(req, core.handle(req, '127.0.0.1', NOW)), { code: RadiusCode.CoaAck, cause: undefined });
  assert.deepEqual(limits, [[1, { sessionTimeout: 60, idleTimeout: undefined, filterId: 'slow' }]]);
});

test('DAE: unknown sources, wrong secrets, stale Event-Timestamps and garbage are dropped silently and counted', () => {
  const { core, ended } = setup();
  const good = [attr.string(A.UserName, 'a')];
  assert.equal(core.handle(request(RadiusCode.DisconnectRequest, good), '10.9.9.9', NOW), undefined);
  assert.equal(core.handle(request(RadiusCode.DisconnectRequest, good, 2, 'wrong'), '127.0.0.1', NOW), undefined);
  assert.equal(core.handle(request(RadiusCode.DisconnectRequest, [...good, attr.integer(A.EventTimestamp, NOW / 1000 - 301)], 3), '127.0.0.1', NOW), undefined);
  assert.equal(core.handle(Buffer.from('garbage that is long enough to be a header'), '127.0.0.1', NOW), undefined);
  assert.equal(core.handle(request(RadiusCode.AccessRequest, good, 4), '127.0.0.1', NOW), undefined);
  assert.deepEqual(ended, []);
  const c = core.counters;
  assert.deepEqual([c.unknownClients, c.badAuthenticators, c.replays, c.unsupportedCodes], [1, 1, 1, 1]);
  assert.ok(c.malformed + c.badAuthenticators >= 2);
});
