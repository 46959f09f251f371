import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timers } from '../timers.js';
import { PapClient, PapServer } from './pap.js';
import { ChapClient, ChapServer } from './chap.js';
import { chapMd5 } from './chap-md5.js';
import { emitControl, parseControl } from '../packet.js';
import type { AuthHost } from './host.js';

function host() {
  const sent: Buffer[] = [];
  const logs: string[] = [];
  const verdicts: { ok: boolean; name?: string }[] = [];
  let n = 0;
  const timers = new Timers({ now: 0 });
  const h: AuthHost = {
    send: (p) => sent.push(p),
    log: (_l, m) => logs.push(m),
    randomBytes: (k) => Buffer.alloc(k, ++n),
    timers,
    done: (ok, name) => verdicts.push({ ok, name }),
  };
  return { h, sent, logs, verdicts, timers };
}

test('PAP client: retransmits every pap-restart, gives up after pap-max-authreq (pppd wording)', () => {
  const t = host();
  const c = new PapClient({ user: 'fred', password: 'wilma', restart: 3, maxAuthReq: 10 }, t.h);
  c.start();
  for (let ms = 3000; ms <= 40_000; ms += 3000) t.timers.fire(ms);
  assert.equal(t.sent.length, 10);
  assert.ok(t.logs.includes('No response to PAP authenticate-requests'));
  assert.deepEqual(t.verdicts, [{ ok: false, name: undefined }]);
});

test('PAP client: Authenticate-Nak fails with the remote message logged', () => {
  const t = host();
  const c = new PapClient({ user: 'fred', password: 'x', restart: 3, maxAuthReq: 10 }, t.h);
  c.start();
  const id = parseControl(t.sent[0]!)!.id;
  c.input(emitControl(3, id, Buffer.from('\x0fLogin incorrect')));
  assert.deepEqual(t.logs, ['Remote message: Login incorrect', 'PAP authentication failed']);
  assert.equal(t.verdicts[0]!.ok, false);
});

test('PAP server: no request within pap-timeout fails; a repeated request after success is acked again', () => {
  const t = host();
  const s = new PapServer({ timeout: 30, check: () => ({ ok: true, message: 'Login ok' }) }, t.h);
  s.start();
  t.timers.fire(30_000);
  assert.deepEqual(t.verdicts, [{ ok: false, name: undefined }]);

  const u = host();
  const s2 = new PapServer({ timeout: 30, check: (user, pw) => ({ ok: user === 'fred' && pw.toString() === 'wilma', message: 'Login ok' }) }, u.h);
  s2.start();
  const req = emitControl(1, 7, Buffer.from('\x04fred\x05wilma', 'latin1'));
  s2.input(req);
  s2.input(req);
  assert.equal(u.sent.length, 2);
  assert.ok(u.sent.every((p) => parseControl(p)!.code === 2 && parseControl(p)!.id === 7));
  assert.deepEqual(u.verdicts, [{ ok: true, name: 'fred' }]);
});

test('PAP server: malformed requests (lengths past the end) are dropped without a verdict', () => {
  const t = host();
  const s = new PapServer({ timeout: 0, check: () => ({ ok: true, message: '' }) }, t.h);
  s.start();
  for (const d of ['\x09fred', '\x04fred\x09x', '']) s.input(emitControl(1, 1, Buffer.from(d, 'latin1')));
  assert.equal(t.sent.length, 0);
  assert.equal(t.verdicts.length, 0);
});

test('CHAP server: chap-max-challenge unanswered challenges fail the peer', () => {
  const t = host();
  const s = new ChapServer({ name: 'server', restart: 3, maxChallenge: 10, interval: 0, secretFor: () => Buffer.from('x') }, t.h);
  s.start();
  for (let ms = 3000; ms <= 40_000; ms += 3000) t.timers.fire(ms);
  assert.equal(t.sent.length, 10);
  assert.ok(t.sent.every((p) => parseControl(p)!.id === parseControl(t.sent[0]!)!.id), 'retransmissions repeat the challenge');
  assert.deepEqual(t.verdicts, [{ ok: false, name: undefined }]);
});

test('CHAP server: a response to an older challenge is ignored; the right one succeeds', () => {
  const t = host();
  const s = new ChapServer({ name: 'server', restart: 3, maxChallenge: 10, interval: 0, secretFor: (p) => (p === 'fred' ? Buffer.from('wilma') : undefined) }, t.h);
  s.start();
  const ch = parseControl(t.sent[0]!)!;
  const value = ch.data.subarray(1, 1 + ch.data[0]!);
  const resp = (id: number) => emitControl(2, id, Buffer.concat([Buffer.from([16]), chapMd5(id, Buffer.from('wilma'), value), Buffer.from('fred')]));
  s.input(resp((ch.id + 1) & 0xff));
  assert.equal(t.verdicts.length, 0);
  s.input(resp(ch.id));
  assert.deepEqual(t.verdicts, [{ ok: true, name: 'fred' }]);
  assert.equal(parseControl(t.sent.at(-1)!)!.code, 3, 'Success');
});

test('CHAP client: chap-timeout without a verdict: "CHAP authentication timed out"', () => {
  const t = host();
  const c = new ChapClient({ name: 'fred', timeout: 60, secretFor: () => Buffer.from('x') }, t.h);
  c.start();
  t.timers.fire(60_000);
  assert.ok(t.logs.includes('CHAP authentication timed out'));
  assert.equal(t.verdicts[0]!.ok, false);
});

test("CHAP client: the secret is chosen by the challenge's name, or by remotename when given (pppd)", () => {
  const asked: string[] = [];
  for (const remoteName of [undefined, 'isp']) {
    const t = host();
    const c = new ChapClient({ name: 'fred', remoteName, timeout: 0, secretFor: (server) => (asked.push(server), Buffer.from('s')) }, t.h);
    c.start();
    c.input(emitControl(1, 5, Buffer.concat([Buffer.from([4, 1, 2, 3, 4]), Buffer.from('chal-server')])));
    const r = parseControl(t.sent[0]!)!;
    assert.equal(r.data.subarray(17).toString(), 'fred', 'the response carries our name (user)');
  }
  assert.deepEqual(asked, ['chal-server', 'isp']);
});

test('CHAP client: no secret for the server: pppd warns and answers with an empty secret', () => {
  const t = host();
  const c = new ChapClient({ name: 'fred', timeout: 0, secretFor: () => undefined }, t.h);
  c.start();
  c.input(emitControl(1, 5, Buffer.concat([Buffer.from([1, 9]), Buffer.from('srv')])));
  assert.ok(t.logs.includes('No CHAP secret found for authenticating us to srv'));
  assert.equal(t.sent.length, 1);
});
