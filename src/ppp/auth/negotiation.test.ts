/**
 * Which method two sessions end up with, through LCP's Authentication-Protocol option
 * (pppd 2.4.9 lcp.c lcp_nakci / lcp_reqci / lcp_rejci), and every method end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSecrets } from '../secrets.js';
import { EXIT } from '../exit-codes.js';
import { end, run, ip, ipUp, deadStatus, type End } from '../testing/pair.js';
import type { SessionOptions } from '../session-options.js';
import { FrameLink } from '../link/frame-link.js';

const secrets = staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]);

function pair(serverOpts: Partial<SessionOptions>, clientOpts: Partial<SessionOptions>) {
  const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets, debug: true, ...serverOpts });
  const b = end('client', { user: 'fred', password: 'wilma', debug: true, ...clientOpts });
  run(a, b, { stop: () => (!!ipUp(a) && !!ipUp(b)) || deadStatus(a) !== undefined });
  return { a, b };
}

const method = (e: End) => e.events.find((x) => x.type === 'auth-up')?.protocol;
const sentReqs = (e: End) => e.logs.filter((l) => l.startsWith('sent [LCP ConfReq'));

test('plain `auth` asks for EAP first, as pppd 2.4.9 does; a default client takes it', () => {
  const { a, b } = pair({ auth: true }, {});
  assert.match(sentReqs(a)[0]!, /<auth eap>/);
  assert.equal(method(a), 'eap');
  assert.ok(ipUp(b));
});

test('a client refusing EAP Naks it with CHAP MD5; the server follows', () => {
  const { a } = pair({ auth: true }, { refuseEap: true });
  assert.ok(a.logs.some((l) => /rcvd \[LCP ConfNak id=0x\w+ <auth chap MD5>\]/.test(l)), a.logs.join('\n'));
  assert.equal(method(a), 'chap-md5');
});

test('CHAP digests: the server offers MD5, the client Naks with MS-CHAPv2, the server takes it', () => {
  const { a, b } = pair({ requireChap: true, requireMschapV2: true }, { refuseChap: true });
  assert.match(sentReqs(a)[0]!, /<auth chap MD5>/);
  assert.ok(a.logs.some((l) => /rcvd \[LCP ConfNak id=0x\w+ <auth chap MS-v2>\]/.test(l)));
  assert.equal(method(a), 'mschap-v2');
  assert.ok(b.logs.includes('CHAP authentication succeeded'));
  assert.ok(ipUp(b));
});

test('a server that only does MS-CHAPv2 and a client that refuses it: the server gives up (peer refused)', () => {
  const { a } = pair({ requireMschapV2: true }, { refuseMschapV2: true });
  assert.equal(deadStatus(a), EXIT.PEER_AUTH_FAILED);
});

for (const [opt, id, rx] of [
  ['requirePap', 'pap', /<auth pap>/],
  ['requireChap', 'chap-md5', /<auth chap MD5>/],
  ['requireMschap', 'mschap', /<auth chap MS>/],
  ['requireMschapV2', 'mschap-v2', /<auth chap MS-v2>/],
  ['requireEap', 'eap', /<auth eap>/],
] as const) {
  test(`${id}: right secret reaches IP-up; wrong secret fails with 11 on the server and 19 on the client`, () => {
    const ok = pair({ [opt]: true }, {});
    assert.match(sentReqs(ok.a)[0]!, rx);
    assert.equal(method(ok.a), id);
    assert.ok(ipUp(ok.a) && ipUp(ok.b));
    const bad = pair({ [opt]: true }, { password: 'betty' });
    assert.equal(deadStatus(bad.a), EXIT.PEER_AUTH_FAILED);
    assert.equal(deadStatus(bad.b), EXIT.AUTH_TOPEER_FAILED);
    for (const e of [ok.a, ok.b, bad.a, bad.b]) {
      assert.ok(!e.logs.some((l) => l.includes('wilma') || l.includes('betty')), 'secrets never logged');
    }
  });
}

test('MS-CHAP keys for MPPE: the server and the client derive mirrored master keys', () => {
  for (const opt of ['requireMschap', 'requireMschapV2'] as const) {
    const { a, b } = pair({ [opt]: true }, {});
    const ka = a.events.find((x) => x.type === 'auth-up');
    const kb = b.events.find((x) => x.type === 'auth-self');
    assert.ok(ka?.type === 'auth-up' && ka.keys && kb?.type === 'auth-self' && kb.keys);
    assert.deepEqual(ka.keys.send, kb.keys.recv);
    assert.deepEqual(ka.keys.recv, kb.keys.send);
  }
});

test('MS-CHAPv2 with a server that sends a wrong authenticator response: the client fails the link (Windows error 778)', () => {
  // A frame link (no FCS), so a changed octet reaches the client instead of being dropped.
  const a = end('server', { requireMschapV2: true, secrets, localAddr: ip('10.0.0.1') }, new FrameLink());
  const b = end('client', { user: 'fred', password: 'wilma' }, new FrameLink());
  // Corrupt the S= value in the server's Success as it crosses the line.
  const orig = a.s.takeOutput.bind(a.s);
  a.s.takeOutput = () => orig().map((f) => {
    const i = f.indexOf('S=');
    if (i < 0) return f;
    const g = Buffer.from(f);
    g[i + 2] = g[i + 2] === 0x30 ? 0x31 : 0x30;
    return g;
  });
  run(a, b, { untilMs: 60_000 });
  assert.equal(deadStatus(b), EXIT.AUTH_TOPEER_FAILED);
  assert.ok(b.logs.includes('MS-CHAPv2 mutual authentication failed.') || b.logs.some((l) => l.includes('badly formed')), b.logs.join('\n'));
});
