import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timers } from '../timers.js';
import { EapClient, EapServer, describeEap, type EapClientConfig, type EapServerConfig } from './eap.js';
import { chapMd5 } from './chap-md5.js';
import type { AuthHost } from './host.js';

interface Side {
  h: AuthHost;
  sent: Buffer[];
  logs: string[];
  verdicts: { ok: boolean; name?: string }[];
}

function side(timers: Timers, onSend: (p: Buffer) => void = () => {}): Side {
  const s: Side = { sent: [], logs: [], verdicts: [], h: undefined as unknown as AuthHost };
  let n = 0;
  s.h = {
    send: (p) => {
      s.sent.push(p);
      onSend(p);
    },
    log: (l, m) => s.logs.push(`${l}: ${m}`),
    randomBytes: (k) => Buffer.alloc(k, ++n),
    timers,
    done: (ok, name) => s.verdicts.push({ ok, name }),
  };
  return s;
}

const SECRETS: Record<string, string> = { bob: 'wilma', srv: 'wilma' };
const lookup = (name: string): Buffer | undefined => (SECRETS[name] === undefined ? undefined : Buffer.from(SECRETS[name]!));

/**
 * A server and a client joined by a queue (the session hands packets over one at a time),
 * on one virtual clock; `trace` records both directions as pppd's debug lines.
 */
function pair(s: Partial<EapServerConfig> = {}, c: Partial<EapClientConfig> = {}, tamper?: (p: Buffer) => Buffer | undefined) {
  const timers = new Timers({ now: 0 });
  const queue: { to: 'server' | 'client'; p: Buffer }[] = [];
  const trace: string[] = [];
  const srv = side(timers, (p) => {
    const q = tamper ? tamper(p) : p;
    if (q) queue.push({ to: 'client', p: q });
  });
  const cli = side(timers, (p) => queue.push({ to: 'server', p }));
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup, ...s }, srv.h);
  const client = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup, ...c }, cli.h);
  const pump = () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      trace.push(`${item.to === 'client' ? 'sent' : 'rcvd'} ${describeEap(item.p)}`);
      (item.to === 'client' ? client : server).input(item.p);
    }
  };
  const startBoth = () => {
    client.start();
    server.start();
    pump();
  };
  return { timers, srv, cli, server, client, pump, trace, startBoth, queue };
}

const eap = (code: number, id: number, ...data: (number | string)[]) => {
  const body = Buffer.concat(data.map((d) => (typeof d === 'number' ? Buffer.from([d]) : Buffer.from(d, 'latin1'))));
  const b = Buffer.alloc(4 + body.length);
  b[0] = code;
  b[1] = id;
  b.writeUInt16BE(b.length, 2);
  body.copy(b, 4);
  return b;
};

test('EAP: Identity, MD5-Challenge, Success between our server and client, with pppd debug lines', () => {
  const t = pair();
  t.startBoth();
  assert.deepEqual(t.srv.verdicts, [{ ok: true, name: 'bob' }]);
  assert.deepEqual(t.cli.verdicts, [{ ok: true, name: undefined }]);
  // The server's first Identifier is random (here 1 from the test's randomBytes).
  assert.equal(t.trace[0], 'sent [EAP Request id=0x1 Identity <Message "Name">]');
  assert.equal(t.trace[1], 'rcvd [EAP Response id=0x1 Identity <Name "bob">]');
  assert.match(t.trace[2]!, /^sent \[EAP Request id=0x2 MD5-Challenge <Value( [0-9a-f]{2}){16,23}> <Name "srv">\]$/);
  assert.match(t.trace[3]!, /^rcvd \[EAP Response id=0x2 MD5-Challenge <Value( [0-9a-f]{2}){16}> <Name "bob">\]$/);
  // pppd eap_send_success bumps the Identifier (a real pppd log: Response id=0x46, Success id=0x47).
  assert.equal(t.trace[4], 'sent [EAP Success id=0x3]');
  assert.equal(t.trace.length, 5);
  assert.deepEqual(t.cli.logs, ['info: EAP: Identity prompt "Name"']);
  assert.deepEqual(t.srv.logs, ['info: EAP: unauthenticated peer name "bob"']);
  assert.equal(t.timers.next(), undefined, 'no timer left running');
});

test('EAP: wrong secret: the server sends Failure, the client reports it as pppd does', () => {
  const t = pair({}, { secretFor: () => Buffer.from('betty') });
  t.startBoth();
  assert.deepEqual(t.srv.verdicts, [{ ok: false, name: 'bob' }]);
  assert.deepEqual(t.cli.verdicts, [{ ok: false, name: undefined }]);
  assert.equal(t.trace.at(-1), 'sent [EAP Failure id=0x3]');
  assert.ok(t.cli.logs.includes('error: EAP: peer reports authentication failure'));
  for (const l of [...t.cli.logs, ...t.srv.logs]) assert.ok(!/wilma|betty/.test(l), `no secret in the log: ${l}`);
});

test('EAP: no secret for the peer on the server: Failure (pppd dbglog "no MD5 secret for auth of")', () => {
  const t = pair({ secretFor: () => undefined });
  t.startBoth();
  assert.ok(t.srv.logs.includes('debug: EAP: no MD5 secret for auth of bob'));
  assert.deepEqual(t.srv.verdicts, [{ ok: false, name: 'bob' }]);
  assert.deepEqual(t.cli.verdicts, [{ ok: false, name: undefined }]);
});

test('EAP: no secret on the client: it Naks with Type 0 (RFC 3748 §5.3.1) and the server fails it', () => {
  const t = pair({}, { secretFor: () => undefined });
  t.startBoth();
  assert.ok(t.cli.logs.includes('debug: EAP: no MD5 secret for auth to srv'));
  assert.ok(t.trace.includes('rcvd [EAP Response id=0x2 Nak <Suggested-type 00>]'));
  assert.ok(t.srv.logs.includes('debug: EAP: peer requesting unknown Type 0'));
  assert.equal(t.trace.at(-1), 'sent [EAP Failure id=0x3]');
  assert.deepEqual(t.cli.verdicts, [{ ok: false, name: undefined }]);
});

test('EAP server: an unanswered Request goes out eap-max-sreq times, identical, then "no response to Requests"', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
  server.start();
  for (let ms = 3000; ms <= 60_000; ms += 3000) timers.fire(ms);
  assert.equal(s.sent.length, 11, '10 Requests and the Failure');
  assert.ok(s.sent.slice(0, 10).every((p) => p.equals(s.sent[0]!)), 'retransmissions repeat the Request octet for octet');
  assert.equal(describeEap(s.sent[10]!), '[EAP Failure id=0x2]');
  assert.deepEqual(s.logs, ['error: EAP: no response to Requests']);
  assert.deepEqual(s.verdicts, [{ ok: false, name: undefined }]);
  assert.equal(timers.next(), undefined);
});

test('EAP server: eap-max-sreq counts every Request of the exchange; after a Response it is "too many Requests sent"', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 4, interval: 0, secretFor: lookup }, s.h);
  server.start();
  server.input(eap(2, 1, 1, 'bob'));
  assert.equal(s.sent.length, 2);
  const challenge = s.sent[1]!;
  timers.fire(3000);
  timers.fire(6000);
  assert.ok(s.sent[2]!.equals(challenge) && s.sent[3]!.equals(challenge), 'the same MD5-Challenge again');
  timers.fire(9000);
  assert.deepEqual(s.logs.slice(1), ['error: EAP: too many Requests sent']);
  assert.equal(s.sent[4]![0], 4, 'Failure');
  assert.deepEqual(s.verdicts, [{ ok: false, name: 'bob' }]);
});

test('EAP server: a late Response to a retransmitted challenge still verifies', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
  server.start();
  server.input(eap(2, 1, 1, 'bob'));
  timers.fire(3000);
  const req = s.sent.at(-1)!;
  const size = req[5]!;
  const value = req.subarray(6, 6 + size);
  server.input(eap(2, req[1]!, 4, 16, chapMd5(req[1]!, Buffer.from('wilma'), value).toString('latin1'), 'bob'));
  assert.deepEqual(s.verdicts, [{ ok: true, name: 'bob' }]);
});

test('EAP client: eap-max-rreq Requests without a verdict: "received too many Request messages"', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const client = new EapClient({ name: 'bob', maxRequests: 3, timeout: 20, secretFor: lookup }, s.h);
  client.start();
  for (let i = 0; i < 4; i++) client.input(eap(1, 7, 1, 'Name'));
  assert.equal(s.sent.length, 3, 'a retransmitted Request is answered again and counts');
  assert.ok(s.logs.includes('info: EAP: received too many Request messages'));
  assert.deepEqual(s.verdicts, [{ ok: false, name: undefined }]);
  assert.equal(timers.next(), undefined);
});

test('EAP client: eap-timeout runs from the start and again from each Request answered', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const client = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup }, s.h);
  client.start();
  timers.fire(15_000);
  client.input(eap(1, 1, 1));
  timers.fire(30_000);
  assert.equal(s.verdicts.length, 0, 'restarted at 15 s');
  timers.fire(35_000);
  assert.deepEqual(s.logs.at(-1), 'error: EAP: timeout waiting for Request from peer');
  assert.deepEqual(s.verdicts, [{ ok: false, name: undefined }]);

  // After a Success the timer rests, and runs again only while a re-challenge is unanswered.
  const u = side(timers);
  const c2 = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup }, u.h);
  c2.start();
  c2.input(eap(3, 1));
  timers.fire(100_000);
  assert.deepEqual(u.verdicts, [{ ok: true, name: undefined }]);
  c2.input(eap(1, 2, 4, 8, 'abcdefgh', 'srv'));
  timers.fire(120_000);
  assert.deepEqual(u.verdicts.at(-1), { ok: false, name: undefined });
});

test('EAP server: a Nak listing MD5 gets a fresh MD5-Challenge; a Nak without it ends in Failure', () => {
  for (const [nak, ok] of [[[13, 4], true], [[13], false], [[], false]] as const) {
    const timers = new Timers({ now: 0 });
    const s = side(timers);
    const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
    server.start();
    server.input(eap(2, 1, 1, 'bob'));
    server.input(eap(2, 2, 3, ...nak));
    const last = describeEap(s.sent.at(-1)!);
    if (ok) assert.match(last, /^\[EAP Request id=0x3 MD5-Challenge /);
    else assert.equal(last, '[EAP Failure id=0x3]');
    assert.equal(s.verdicts.length, ok ? 0 : 1);
    if (nak.length === 0) assert.ok(s.logs.includes('info: EAP: Nak Response with no suggested protocol'));
    if (nak.length === 1) assert.ok(s.logs.includes('debug: EAP: peer requesting unknown Type 13'));
  }
});

test('EAP server: a Nak of the Identity Request fails the peer (RFC 3748 §5.3.1)', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
  server.start();
  server.input(eap(2, 1, 3, 4));
  assert.deepEqual(s.verdicts, [{ ok: false, name: undefined }]);
});

test('EAP: the client Naks a TLS Request suggesting MD5, and the exchange then succeeds', () => {
  let swapped = false;
  // Stand in for an authenticator that tries EAP-TLS first: its first method Request is TLS Start.
  const t = pair({}, {}, (p) => {
    if (!swapped && p[0] === 1 && p[4] === 4) {
      swapped = true;
      return eap(1, p[1]!, 13, 0x20);
    }
    return p;
  });
  t.startBoth();
  assert.ok(t.trace.includes('sent [EAP Request id=0x2 TLS --S]'));
  assert.ok(t.cli.logs.includes('info: EAP: unknown authentication type 13; Naking'));
  assert.ok(t.trace.includes('rcvd [EAP Response id=0x2 Nak <Suggested-type 04 (MD5-Challenge)>]'));
  assert.deepEqual(t.srv.verdicts, [{ ok: true, name: 'bob' }]);
  assert.deepEqual(t.cli.verdicts, [{ ok: true, name: undefined }]);
});

test('EAP client: Notification is shown and acknowledged; a Nak in a Request is ignored', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const client = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup }, s.h);
  client.start();
  client.input(eap(1, 9, 2, 'Password expires in 3 days\n'));
  assert.deepEqual(s.logs, ['info: EAP: Notification "Password expires in 3 days\\n"']);
  assert.equal(describeEap(s.sent[0]!), '[EAP Response id=0x9 Notification]');
  client.input(eap(1, 10, 3, 4));
  assert.equal(s.sent.length, 1);
  assert.equal(s.logs.at(-1), 'warn: EAP: unexpected Nak in Request; ignored');
});

test('EAP server: an unexpected Notification Response is dropped and the Request repeated with a new Identifier', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
  server.start();
  server.input(eap(2, 1, 2));
  assert.ok(s.logs.includes('debug: EAP unexpected Notification; response discarded'));
  assert.equal(describeEap(s.sent.at(-1)!), '[EAP Request id=0x2 Identity <Message "Name">]');
});

test('EAP client: Success before a Request and Failure after Success (pppd re-challenge failure)', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const client = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup }, s.h);
  client.input(eap(3, 1));
  assert.deepEqual(s.verdicts, [], 'not started: ignored');
  client.start();
  client.input(eap(3, 1, 'welcome'));
  assert.ok(s.logs.includes('info: Remote message: welcome'));
  client.input(eap(3, 2));
  assert.deepEqual(s.verdicts, [{ ok: true, name: undefined }], 'one verdict per success');
  client.input(eap(4, 3));
  assert.deepEqual(s.verdicts.at(-1), { ok: false, name: undefined });
});

test('EAP: eap-interval re-challenges with MD5 only; success keeps the link, a changed secret fails it', () => {
  let secret = 'wilma';
  const t = pair({ interval: 60 }, { secretFor: () => Buffer.from(secret) });
  t.startBoth();
  assert.equal(t.trace.length, 5);
  t.timers.fire(60_000);
  t.pump();
  assert.match(t.trace[5]!, /^sent \[EAP Request id=0x4 MD5-Challenge /, 'no second Identity');
  assert.equal(t.trace[7], 'sent [EAP Success id=0x5]');
  assert.deepEqual(t.srv.verdicts, [{ ok: true, name: 'bob' }], 'done once');
  secret = 'betty';
  t.timers.fire(120_000);
  t.pump();
  assert.equal(t.trace.at(-1), 'sent [EAP Failure id=0x7]');
  assert.deepEqual(t.srv.verdicts.at(-1), { ok: false, name: 'bob' });
  assert.deepEqual(t.cli.verdicts.at(-1), { ok: false, name: undefined });
});

test('EAP server: remotename skips the Identity Request and chooses the secret (pppd explicit_remote)', () => {
  const asked: string[] = [];
  const t = pair({ remoteName: 'bob', secretFor: (p) => (asked.push(p), lookup(p)) }, { name: 'robert' });
  t.startBoth();
  assert.match(t.trace[0]!, /^sent \[EAP Request id=0x1 MD5-Challenge /);
  assert.deepEqual(asked, ['bob']);
  assert.deepEqual(t.srv.verdicts, [{ ok: true, name: 'bob' }]);
});

test('EAP client: the secret is chosen by the challenge Name, or by remotename', () => {
  const asked: string[] = [];
  for (const remoteName of [undefined, 'isp']) {
    const timers = new Timers({ now: 0 });
    const s = side(timers);
    const client = new EapClient({ name: 'bob', remoteName, maxRequests: 20, timeout: 20, secretFor: (n) => (asked.push(n), Buffer.from('x')) }, s.h);
    client.start();
    client.input(eap(1, 5, 4, 8, 'abcdefgh', 'chal-server'));
    assert.equal(describeEap(s.sent[0]!).replace(/<Value[^>]*>/, '<Value>'), '[EAP Response id=0x5 MD5-Challenge <Value> <Name "bob">]');
    assert.ok(s.sent[0]!.subarray(6, 22).equals(chapMd5(5, Buffer.from('x'), Buffer.from('abcdefgh'))));
  }
  assert.deepEqual(asked, ['chal-server', 'isp']);
});

test('EAP: malformed packets are discarded and counted, never answered', () => {
  const timers = new Timers({ now: 0 });
  const s = side(timers);
  const c = side(timers);
  const server = new EapServer({ name: 'srv', restart: 3, maxRequests: 10, interval: 0, secretFor: lookup }, s.h);
  const client = new EapClient({ name: 'bob', maxRequests: 20, timeout: 20, secretFor: lookup }, c.h);
  server.start();
  client.start();
  const bad = [
    Buffer.from([1, 1, 0]), // shorter than the header
    Buffer.from([1, 1, 0, 9, 1]), // Length past the end
    Buffer.from([1, 1, 0, 3]), // Length below the header
    eap(9, 1), // unknown Code
    eap(1, 1), // Request without a Type
    eap(1, 1, 4), // MD5-Challenge without data
  ];
  for (const b of bad) {
    server.input(b);
    client.input(b);
  }
  assert.equal(client.stats.discarded, 6);
  assert.equal(server.stats.discarded, 4);
  assert.equal(c.sent.length, 0);
  assert.equal(s.sent.length, 1, 'only the first Identity Request');
  // RFC 3748 §4: octets past Length are padding.
  client.input(Buffer.concat([eap(1, 1, 1, 'Name'), Buffer.from([0xde, 0xad])]));
  assert.equal(describeEap(c.sent[0]!), '[EAP Response id=0x1 Identity <Name "bob">]');
  // A challenge whose Value-Size runs past the end: pppd's error and a Nak.
  client.input(eap(1, 2, 4, 40, 'short'));
  assert.ok(c.logs.includes('error: EAP: MD5-Challenge with bad length 40 (8..5)'));
  assert.equal(describeEap(c.sent[1]!), '[EAP Response id=0x2 Nak <Suggested-type 04 (MD5-Challenge)>]');
  // An MD5 Response with the wrong Value-Size fails the peer.
  server.input(eap(2, 1, 1, 'bob'));
  server.input(eap(2, 2, 4, 15, 'x'.repeat(15)));
  assert.ok(s.logs.includes('error: EAP: MD5-Response with bad length 15'));
  assert.deepEqual(s.verdicts, [{ ok: false, name: 'bob' }]);
});

test('EAP: random input never throws in any state (property)', () => {
  const packet = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -3, max: 3 })).map(
      ([code, id, data, skew]) => {
        const b = Buffer.alloc(4 + data.length);
        b[0] = code;
        b[1] = id;
        b.writeUInt16BE(Math.max(0, b.length + skew), 2);
        b.set(data, 4);
        return b;
      },
    ),
  );
  fc.assert(
    fc.property(fc.array(packet, { maxLength: 12 }), fc.boolean(), (pkts, viaPair) => {
      const t = pair({ interval: 5 });
      if (viaPair) t.startBoth();
      else {
        t.server.start();
        t.client.start();
      }
      for (const p of pkts) {
        describeEap(p);
        t.server.input(p);
        t.client.input(p);
        t.pump();
        t.timers.fire(t.timers.clock.now + 4000);
        t.pump();
      }
    }),
    { numRuns: 500 },
  );
});

test('describeEap: each packet kind as pppd 2.4.9 eap_printpkt prints it', () => {
  const cases: [Buffer, string][] = [
    // Lines from real pppd logs.
    [eap(1, 0x45, 1, 'Name'), '[EAP Request id=0x45 Identity <Message "Name">]'],
    [eap(1, 0x3, 1), '[EAP Request id=0x3 Identity <No message>]'],
    [eap(2, 0x45, 1, 'spoke_s11'), '[EAP Response id=0x45 Identity <Name "spoke_s11">]'],
    [
      eap(1, 0x46, 4, 19, Buffer.from('4fedfa69332614a422ba54b2da4ac2d72e362b', 'hex').toString('latin1'), 'hub'),
      '[EAP Request id=0x46 MD5-Challenge <Value 4f ed fa 69 33 26 14 a4 22 ba 54 b2 da 4a c2 d7 2e 36 2b> <Name "hub">]',
    ],
    [
      eap(2, 0x46, 4, 16, Buffer.from('4202df7bd3884bc8ddf2f11b2a1b49d9', 'hex').toString('latin1'), 'spoke_s11'),
      '[EAP Response id=0x46 MD5-Challenge <Value 42 02 df 7b d3 88 4b c8 dd f2 f1 1b 2a 1b 49 d9> <Name "spoke_s11">]',
    ],
    [eap(3, 0x47), '[EAP Success id=0x47]'],
    [eap(4, 0x1), '[EAP Failure id=0x1]'],
    // The rest of eap_printpkt's cases.
    [eap(1, 9, 2, 'Password expires'), '[EAP Request id=0x9 Notification <Message "Password expires">]'],
    [eap(1, 9, 2), '[EAP Request id=0x9 Notification <No message>]'],
    [eap(2, 9, 2), '[EAP Response id=0x9 Notification]'],
    [eap(2, 4, 3, 4), '[EAP Response id=0x4 Nak <Suggested-type 04 (MD5-Challenge)>]'],
    [eap(2, 4, 3, 19), '[EAP Response id=0x4 Nak <Suggested-type 13 (SRP)>]'],
    [eap(2, 4, 3, 13, 4), '[EAP Response id=0x4 Nak <Suggested-type 0d (TLS)> 04]'],
    [eap(2, 4, 3), '[EAP Response id=0x4 Nak <missing hint>]'],
    [eap(1, 4, 13, 0x20), '[EAP Request id=0x4 TLS --S]'],
    [eap(2, 4, 13, 0), '[EAP Response id=0x4 TLS Ack]'],
    [eap(1, 2, 4, 8, 'abcdefgh'), '[EAP Request id=0x2 MD5-Challenge <Value 61 62 63 64 65 66 67 68> <No name>]'],
    [eap(1, 2, 4, 40, 'abc'), '[EAP Request id=0x2 MD5-Challenge <truncated> 61 62 63]'],
    [eap(2, 2, 4), '[EAP Response id=0x2 MD5-Challenge <missing length>]'],
    [eap(1, 2), '[EAP Request id=0x2 <missing type>]'],
    [eap(2, 2), '[EAP Response id=0x2]'],
    [eap(1, 2, 99, 1, 2, 3), '[EAP Request id=0x2 type=0x63 01 02 03]'],
    [eap(1, 2, 99, 'abcdefghi'), '[EAP Request id=0x2 type=0x63...]'],
    [eap(7, 2, 1), '[EAP code=0x7 id=0x2 01]'],
    [eap(3, 5, 'x'), '[EAP Success id=0x5 78]'],
    [eap(1, 1, 1, 'a"b\\c\n\x01\xe9'), '[EAP Request id=0x1 Identity <Message "a\\"b\\\\c\\n\\001\\351">]'],
    // Malformed headers: format_packet prints the raw octets after an empty bracket.
    [Buffer.from([1, 1, 0]), '[EAP] 01 01 00'],
    [Buffer.from([1, 1, 0, 9, 1]), '[EAP] 01 01 00 09 01'],
    [Buffer.concat([eap(3, 1), Buffer.from([0xff, 0xfe])]), '[EAP Success id=0x1] ff fe'],
  ];
  for (const [pkt, want] of cases) assert.equal(describeEap(pkt), want);
});
