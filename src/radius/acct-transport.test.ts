import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { RadiusClientCore, CLIENT_DEFAULTS, type Datagram, type RadiusRequest, type RadiusResult } from './client.js';
import { acctTransport } from './acct-transport.js';
import { decodePacket, encodePacket, RadiusCode, findAttribute } from './packet.js';
import { signResponse, verifyAccountingRequest } from './crypto.js';
import { A } from './acct-packet.js';

const secrets = [Buffer.from('first'), Buffer.from('second')];
let seed = 0;
const random = (n: number) => crypto.createHash('sha256').update(`acct${seed++}`).digest().subarray(0, n);

/** The client core on a virtual clock, with the request function acctTransport needs. */
function rig() {
  const core = new RadiusClientCore({ ...CLIENT_DEFAULTS, timeoutMs: 1000, retries: 1, randomBytes: random, servers: secrets.map((secret, i) => ({ host: '127.0.0.1', port: 1813 + i, secret })) });
  let now = 0;
  const sent: Array<Datagram & { at: number }> = [];
  const ask = (req: RadiusRequest) => new Promise<RadiusResult>((resolve) => core.request(now, req, resolve));
  const run = (until: number) => {
    for (; now <= until; now += 100) {
      if ((core.nextDeadline() ?? Infinity) <= now) core.poll(now);
      for (const d of core.takeOutput()) sent.push({ ...d, at: now });
    }
  };
  return { core, ask, run, sent };
}

function answer(d: Datagram, key: Buffer): Buffer {
  const req = decodePacket(d.data);
  assert.ok(req.ok);
  return signResponse(encodePacket({ code: RadiusCode.AccountingResponse, identifier: req.packet.identifier, authenticator: Buffer.alloc(16), attributes: [] }), req.packet.authenticator, key);
}

test('an accounting record goes through the RADIUS client: signed Accounting-Request, retransmitted, failed over, answered', async () => {
  const { core, ask, run, sent } = rig();
  const send = acctTransport(ask, { nasIdentifier: 'nas1' });
  const ok = send({ status: 'stop', time: 1_700_000_000_000, sessionId: 'b-1', user: 'fred', inputOctets: 5_000_000_000, terminateCause: 'User-Request' }, 7);
  // The first server is silent: one retransmission (same bytes), then the second server.
  // (The dead first server also gets a Status-Server probe, RFC 5997.)
  run(3000);
  const requests = sent.filter((x) => x.data[0] === RadiusCode.AccountingRequest);
  assert.deepEqual(requests.map((x) => [x.server, x.at]), [[0, 0], [0, 1000], [1, 3000]]);
  assert.deepEqual(requests[0]!.data, requests[1]!.data);
  const d = requests[2]!;
  assert.deepEqual(verifyAccountingRequest(d.data, secrets[1]!), { ok: true });
  const p = decodePacket(d.data);
  assert.ok(p.ok && p.packet.code === RadiusCode.AccountingRequest);
  assert.equal(findAttribute(p.packet, A.AcctStatusType)!.readUInt32BE(0), 2);
  assert.equal(findAttribute(p.packet, A.AcctDelayTime)!.readUInt32BE(0), 7);
  assert.equal(findAttribute(p.packet, A.AcctInputGigawords)!.readUInt32BE(0), 1);
  assert.equal(findAttribute(p.packet, A.NasIdentifier)!.toString(), 'nas1');
  // An answer signed with the wrong secret is not an acknowledgement; the right one is.
  core.input(3100, 1, answer(d, secrets[0]!));
  core.input(3100, 1, answer(d, secrets[1]!));
  assert.equal(await ok, true);
  assert.equal(core.counters.badAuthenticator, 1);
  assert.equal(core.counters.failovers, 1);
});

test('an accounting record no server answers is not acknowledged (it stays spooled)', async () => {
  const { ask, run } = rig();
  const ok = acctTransport(ask, {})({ status: 'on', time: 0 }, 0);
  run(20_000);
  assert.equal(await ok, false);
});
