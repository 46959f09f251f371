import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Timers } from '../timers.js';
import { emitControl, parseControl } from '../packet.js';
import type { AuthHost } from './host.js';
import type { ChapDigest } from './chap-digest.js';
import { ChapClient, ChapServer } from './chap.js';
import { createMsChapV2Digest, describeMsChapFailure, msChapDigest, msChapV2Digest, msChapV2SuccessProblem } from './chap-ms.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const rnd = (n: number): Buffer => randomBytes(n);
const secret = (s: string): Buffer => Buffer.from(s, 'latin1');

type CheckArgs = { id: number; message: Buffer; state: unknown; log?: (line: string) => void };
/** checkSuccess with the log lines it reports. */
function check(d: ChapDigest, a: CheckArgs): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  const fn = d.checkSuccess as ((a: CheckArgs) => boolean) | undefined;
  assert.ok(fn, 'MS-CHAPv2 has check_success');
  const ok = fn.call(d, { ...a, log: (l: string) => lines.push(l) });
  return { ok, lines };
}

test('MS-CHAP v1: 8-octet challenge; 49-octet response (zero LM, NT, Use-NT=1); server and client agree; keys are one key both ways', () => {
  const challenge = msChapDigest.generateChallenge(rnd);
  assert.equal(challenge.length, 8);
  const r = msChapDigest.makeResponse({ id: 7, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  assert.equal(r.value.length, 49);
  assert.deepEqual(r.value.subarray(0, 24), Buffer.alloc(24), 'LM-Response zero (pppd without MSLANMAN)');
  assert.equal(r.value[48], 1, 'Use-NT flag');
  const v = msChapDigest.verifyResponse({ id: 7, name: 'fred', secret: secret('wilma'), challenge, response: r.value });
  assert.equal(v.ok, true);
  assert.equal(v.message.toString(), 'Access granted');
  assert.ok(v.keys && r.keys);
  assert.equal(v.keys.send.length, 16);
  assert.deepEqual(v.keys.send, v.keys.recv, 'RFC 3079 §2: the same key both directions');
  assert.deepEqual(v.keys.send, r.keys.recv);
  assert.deepEqual(v.keys.recv, r.keys.send);
  assert.equal(msChapDigest.checkSuccess, undefined, 'pppd chapms_digest has no check_success');
});

test('MS-CHAP v1: wrong password, wrong length, or LAN Manager only: pppd\'s "E=691 R=1 C=<challenge> V=0", no keys', () => {
  const challenge = h('102DB5DF085D3041');
  const want = 'E=691 R=1 C=102db5df085d3041 V=0';
  const r = msChapDigest.makeResponse({ id: 1, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  const wrong = msChapDigest.verifyResponse({ id: 1, name: 'fred', secret: secret('barney'), challenge, response: r.value });
  assert.deepEqual({ ok: wrong.ok, message: wrong.message.toString(), keys: wrong.keys }, { ok: false, message: want, keys: undefined });
  const short = msChapDigest.verifyResponse({ id: 1, name: 'fred', secret: secret('wilma'), challenge, response: r.value.subarray(0, 48) });
  assert.equal(short.message.toString(), want);
  const lanman = Buffer.from(r.value);
  lanman[48] = 0;
  assert.equal(msChapDigest.verifyResponse({ id: 1, name: 'fred', secret: secret('wilma'), challenge, response: lanman }).ok, false);
  // RFC 2433 §B.2's NT-Response inside a Response is accepted.
  const rfc = Buffer.concat([Buffer.alloc(24), h('4E9D3C8F9CFD385D5BF4D3246791956CA4C351AB409A3D61'), Buffer.from([1])]);
  assert.equal(msChapDigest.verifyResponse({ id: 1, name: 'x', secret: secret('MyPw'), challenge, response: rfc }).ok, true);
});

test('MS-CHAPv2: RFC 2759 §9.2 through the digest: response layout, S= message, server keys (RFC 3079 §3.5)', () => {
  const d = createMsChapV2Digest();
  const authChallenge = h('5B5D7C7D7B3F2F3E3C2C602132262628');
  const peerChallenge = h('21402324255E262A28295F2B3A337C7E');
  const r = d.makeResponse({ id: 1, ourName: 'User', challenge: authChallenge, secret: secret('clientPass'), random: () => Buffer.from(peerChallenge) });
  assert.equal(r.value.toString('hex'), Buffer.concat([peerChallenge, Buffer.alloc(8), h('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF'), Buffer.from([0])]).toString('hex'));
  const v = d.verifyResponse({ id: 1, name: 'User', secret: secret('clientPass'), challenge: authChallenge, response: r.value });
  assert.equal(v.ok, true);
  assert.equal(v.message.toString(), 'S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted');
  assert.equal(v.keys!.send.toString('hex'), '8b7cdc149b993a1ba118cb153f56dccb', 'server send = RFC 3079 SendStartKey128');
  assert.deepEqual(r.keys!.recv, v.keys!.send);
  assert.deepEqual(r.keys!.send, v.keys!.recv);
  assert.deepEqual(check(d, { id: 1, message: v.message, state: r.state }), { ok: true, lines: [] });
});

test('MS-CHAPv2: server and client agree on a random challenge; keys mirrored; Flags≠0 gets "S=..." without M= (pppd, for win98)', () => {
  const d = createMsChapV2Digest();
  const challenge = d.generateChallenge(rnd);
  assert.equal(challenge.length, 16);
  const r = d.makeResponse({ id: 9, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  assert.equal(r.value.length, 49);
  assert.deepEqual(r.value.subarray(16, 24), Buffer.alloc(8), 'reserved octets zero');
  assert.equal(r.value[48], 0, 'Flags zero');
  const v = d.verifyResponse({ id: 9, name: 'fred', secret: secret('wilma'), challenge, response: r.value });
  assert.equal(v.ok, true);
  assert.match(v.message.toString(), /^S=[0-9A-F]{40} M=Access granted$/);
  assert.ok(v.keys && r.keys);
  assert.deepEqual(v.keys.send, r.keys.recv, 'server send == client recv');
  assert.deepEqual(v.keys.recv, r.keys.send, 'server recv == client send');
  assert.notDeepEqual(v.keys.send, v.keys.recv);
  assert.ok(check(d, { id: 9, message: v.message, state: r.state }).ok);

  const flagged = Buffer.from(r.value);
  flagged[48] = 4;
  const w = d.verifyResponse({ id: 9, name: 'fred', secret: secret('wilma'), challenge, response: flagged });
  assert.match(w.message.toString(), /^S=[0-9A-F]{40}$/);
  assert.ok(check(d, { id: 9, message: w.message, state: r.state }).ok, 'no M= is fine for the client too');
});

test('MS-CHAPv2: wrong password: "E=691 R=1 C=<32 lower-case hex> V=0 M=Access denied" (pppd, not V=3), no keys', () => {
  const challenge = h('000102030405060708090a0b0c0d0eff');
  const r = msChapV2Digest.makeResponse({ id: 3, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  const v = msChapV2Digest.verifyResponse({ id: 3, name: 'fred', secret: secret('barney'), challenge, response: r.value });
  assert.deepEqual({ ok: v.ok, message: v.message.toString(), keys: v.keys }, { ok: false, message: 'E=691 R=1 C=000102030405060708090a0b0c0d0eff V=0 M=Access denied', keys: undefined });
  // Any other response length fails the same way (chap.ts also uses this wording when there is no secret).
  const none = msChapV2Digest.verifyResponse({ id: 3, name: 'fred', secret: Buffer.alloc(0), challenge, response: Buffer.alloc(0) });
  assert.equal(none.message.toString(), 'E=691 R=1 C=000102030405060708090a0b0c0d0eff V=0 M=Access denied');
  // A different user name changes ChallengeHash, so the same response fails.
  assert.equal(msChapV2Digest.verifyResponse({ id: 3, name: 'barney', secret: secret('wilma'), challenge, response: r.value }).ok, false);
});

test('MS-CHAPv2 client: a tampered, missing or malformed S= fails with pppd\'s log line', () => {
  const d = createMsChapV2Digest();
  const challenge = d.generateChallenge(rnd);
  const r = d.makeResponse({ id: 5, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  const good = d.verifyResponse({ id: 5, name: 'fred', secret: secret('wilma'), challenge, response: r.value }).message.toString();
  const auth = good.slice(0, 42);
  const flip = auth.slice(0, 10) + (auth[10] === '0' ? '1' : '0') + auth.slice(11);
  const mutual = 'MS-CHAPv2 mutual authentication failed.';
  const bad = 'MS-CHAPv2 Success packet is badly formed.';
  const cases: [string, boolean, string[]][] = [
    [good, true, []],
    [auth, true, []],
    [`${auth}M=Welcome`, true, []],
    [`${flip} M=Access granted`, false, [mutual]],
    [`${auth.toLowerCase().replace('s=', 'S=')} M=x`, false, [mutual]],
    ['Access granted', false, [bad]],
    ['', false, [bad]],
    [auth.slice(0, 41), false, [bad]],
    [`s=${auth.slice(2)}`, false, [bad]],
    [`${auth} Welcome`, false, [bad]],
  ];
  for (const [message, ok, lines] of cases) {
    assert.deepEqual(check(d, { id: 5, message: Buffer.from(message, 'latin1'), state: r.state }), { ok, lines }, JSON.stringify(message));
  }
  assert.deepEqual(check(d, { id: 5, message: Buffer.from(good), state: undefined }), { ok: false, lines: [mutual] }, 'no response of ours to match');
  assert.equal(msChapV2SuccessProblem(Buffer.from(good), Buffer.from(auth)), undefined);
});

test('MS-CHAPv2: the DOMAIN\\user name: ChallengeHash drops the domain on both sides (RFC 2759 §8.2, pppd)', () => {
  const d = createMsChapV2Digest();
  const challenge = d.generateChallenge(rnd);
  const r = d.makeResponse({ id: 2, ourName: 'ACME\\fred', challenge, secret: secret('wilma'), random: rnd });
  // The server sees the name as sent, or stripped (chapms-strip-domain): both verify.
  for (const name of ['ACME\\fred', 'fred', 'OTHER\\fred']) {
    const v = d.verifyResponse({ id: 2, name, secret: secret('wilma'), challenge, response: r.value });
    assert.equal(v.ok, true, name);
    assert.ok(check(d, { id: 2, message: v.message, state: r.state }).ok, name);
  }
  assert.equal(d.verifyResponse({ id: 2, name: 'ACME\\barney', secret: secret('wilma'), challenge, response: r.value }).ok, false);
});

test('MS-CHAPv2 client: a retransmitted Challenge gets the same Response (pppd response cache); a new one does not', () => {
  const d = createMsChapV2Digest();
  const challenge = d.generateChallenge(rnd);
  const a = d.makeResponse({ id: 4, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  const b = d.makeResponse({ id: 4, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd });
  assert.deepEqual(b.value, a.value);
  assert.deepEqual(b.keys, a.keys);
  const v = d.verifyResponse({ id: 4, name: 'fred', secret: secret('wilma'), challenge, response: a.value });
  assert.ok(check(d, { id: 4, message: v.message, state: b.state }).ok, 'S= for the first answer passes after the second');
  assert.notDeepEqual(d.makeResponse({ id: 5, ourName: 'fred', challenge, secret: secret('wilma'), random: rnd }).value, a.value);
  assert.notDeepEqual(d.makeResponse({ id: 4, ourName: 'fred', challenge, secret: secret('barney'), random: rnd }).value, a.value);
});

test("describeFailure: pppd chapms_handle_failure's lines", () => {
  const cases: [string, string][] = [
    ['E=691 R=1 C=102db5df085d3041 V=0', 'MS-CHAP authentication failed: E=691 Authentication failure'],
    ['E=691 R=1 C=00112233445566778899aabbccddeeff V=0 M=Access denied', 'MS-CHAP authentication failed: Access denied'],
    ['E=646 R=0', 'MS-CHAP authentication failed: E=646 Restricted logon hours'],
    ['E=647 R=0', 'MS-CHAP authentication failed: E=647 Account disabled'],
    ['E=648 R=0 V=3', 'MS-CHAP authentication failed: E=648 Password expired'],
    ['E=649 R=0', 'MS-CHAP authentication failed: E=649 No dialin permission'],
    ['E=709 R=0', 'MS-CHAP authentication failed: E=709 Error changing password'],
    ['E=123 R=0', 'Unknown MS-CHAP authentication failure: E=123 R=0'],
    ['E=x', 'Unknown MS-CHAP authentication failure: E=x'],
    ['Go away', 'MS-CHAP authentication failed: Go away'],
    ['E=691 M=bad\x01', 'MS-CHAP authentication failed: bad\\x01'],
  ];
  for (const [message, line] of cases) {
    assert.deepEqual(describeMsChapFailure(Buffer.from(message, 'latin1')), [line], message);
    assert.deepEqual(msChapV2Digest.describeFailure!(Buffer.from(message, 'latin1')), [line]);
    assert.deepEqual(msChapDigest.describeFailure!(Buffer.from(message, 'latin1')), [line]);
  }
});

// ---- End to end with the CHAP state machine (chap.ts) ------------------------------

function host() {
  const sent: Buffer[] = [];
  const logs: string[] = [];
  const verdicts: { ok: boolean; name?: string }[] = [];
  const timers = new Timers({ now: 0 });
  const h: AuthHost = {
    send: (p) => sent.push(p),
    log: (_l, m) => logs.push(m),
    randomBytes: (k) => randomBytes(k),
    timers,
    done: (ok, name) => verdicts.push({ ok, name }),
  };
  return { h, sent, logs, verdicts };
}

/** Runs one CHAP exchange; `tamper` may rewrite packets from the server to the client. */
function exchange(digest: ChapDigest, clientSecret: string, opts: { clientName?: string; tamper?: (p: Buffer) => Buffer } = {}) {
  const s = host();
  const c = host();
  const server = new ChapServer(
    { digest, name: 'isp', restart: 3, maxChallenge: 10, interval: 0, secretFor: (p) => (p === 'fred' || p === 'ACME\\fred' ? secret('wilma') : undefined) },
    s.h,
  );
  const client = new ChapClient({ digest, name: opts.clientName ?? 'fred', timeout: 0, secretFor: () => secret(clientSecret) }, c.h);
  client.start();
  server.start();
  let si = 0;
  let ci = 0;
  while (si < s.sent.length || ci < c.sent.length) {
    while (si < s.sent.length) client.input(opts.tamper ? opts.tamper(s.sent[si++]!) : s.sent[si++]!);
    while (ci < c.sent.length) server.input(c.sent[ci++]!);
  }
  server.stop();
  client.stop();
  return { s, c, server, client };
}

for (const digest of [msChapDigest, msChapV2Digest]) {
  test(`CHAP with ${digest.name}: ChapServer and ChapClient authenticate and share mirrored MPPE keys`, () => {
    const { s, c, server, client } = exchange(digest, 'wilma');
    assert.deepEqual(s.verdicts, [{ ok: true, name: 'fred' }]);
    assert.deepEqual(c.verdicts, [{ ok: true, name: undefined }]);
    const challenge = parseControl(s.sent[0]!)!;
    assert.equal(challenge.data[0], digest === msChapDigest ? 8 : 16, 'Value-Size');
    const status = parseControl(s.sent.at(-1)!)!;
    assert.equal(status.code, 3);
    assert.match(status.data.toString(), digest === msChapDigest ? /^Access granted$/ : /^S=[0-9A-F]{40} M=Access granted$/);
    assert.ok(server.keys && client.keys);
    assert.deepEqual(server.keys.send, client.keys.recv);
    assert.deepEqual(server.keys.recv, client.keys.send);
    assert.ok(s.logs.includes('CHAP peer authentication succeeded for fred'));
    if (digest === msChapDigest) assert.ok(c.logs.includes('CHAP authentication succeeded: Access granted'));
  });

  test(`CHAP with ${digest.name}: a wrong secret fails both sides with pppd's Failure message and log lines`, () => {
    const { s, c, server, client } = exchange(digest, 'barney');
    assert.deepEqual(s.verdicts, [{ ok: false, name: 'fred' }]);
    assert.deepEqual(c.verdicts, [{ ok: false, name: undefined }]);
    const challenge = parseControl(s.sent[0]!)!;
    const value = challenge.data.subarray(1, 1 + challenge.data[0]!).toString('hex');
    const failure = parseControl(s.sent.at(-1)!)!;
    assert.equal(failure.code, 4);
    assert.equal(failure.data.toString(), digest === msChapDigest ? `E=691 R=1 C=${value} V=0` : `E=691 R=1 C=${value} V=0 M=Access denied`);
    assert.equal(s.sent.length, 2, 'one Challenge, one Failure: no retry despite R=1');
    assert.ok(s.logs.includes('Peer fred failed CHAP authentication'));
    assert.deepEqual(c.logs, [
      digest === msChapDigest ? 'MS-CHAP authentication failed: E=691 Authentication failure' : 'MS-CHAP authentication failed: Access denied',
      'CHAP authentication failed',
    ]);
    assert.equal(server.keys, undefined);
    assert.equal(client.keys, undefined);
  });
}

test('CHAP with MS-CHAP-v2: a tampered S= in the Success fails the client (mutual authentication)', () => {
  const tamper = (p: Buffer): Buffer => {
    const pkt = parseControl(p)!;
    if (pkt.code !== 3) return p;
    const m = Buffer.from(pkt.data);
    m[5] = m[5] === 0x30 ? 0x31 : 0x30;
    return emitControl(3, pkt.id, m);
  };
  const { s, c, client } = exchange(msChapV2Digest, 'wilma', { tamper });
  assert.deepEqual(s.verdicts, [{ ok: true, name: 'fred' }], 'the server thinks all is well');
  assert.deepEqual(c.verdicts, [{ ok: false, name: undefined }]);
  assert.ok(c.logs.includes('CHAP authentication failed'));
  assert.equal(client.keys, undefined);
});

test('CHAP with MS-CHAP-v2: DOMAIN\\user as our name authenticates (secret found under the full name)', () => {
  const { s, c } = exchange(msChapV2Digest, 'wilma', { clientName: 'ACME\\fred' });
  assert.deepEqual(s.verdicts, [{ ok: true, name: 'ACME\\fred' }]);
  assert.deepEqual(c.verdicts, [{ ok: true, name: undefined }]);
});
