// Issue 10, EAP pass-through with a multi-round method: real pppd 2.4.9 (built with EAP-TLS)
// in user-mode-linux dials `dialtone isp` with `auth eap` and `radius-auth`; dialtone relays
// the EAP-TLS conversation (RFC 5216) to a real FreeRADIUS whose eap module holds a server
// certificate from a CA made for this run (openssl CLI, temp dir, removed after). The TLS
// handshake crosses dialtone as many Access-Challenges, each with its State (RFC 2865 §5.24),
// in EAP-TLS fragments (RFC 5216 §2.1.5) of up to 1 KB, so EAP packets both ways are split over
// several 253-octet EAP-Message attributes (RFC 3579 §3.1). A client certificate from that CA
// reaches IP-up; one from another CA ends pppd with exit 19; a peer asking for a 128-octet MRU
// gets fragments that fit it, as dialtone's Framed-MTU asks (RFC 3579 §2.4), over 40-odd rounds.
//
// Skipped, with the reason, when not root, when DIALTONE_SKIP_INTEROP=1, or when UML,
// FreeRADIUS or openssl is missing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { umlAvailable } from '../harness/uml.js';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import { makePki, opensslAvailable, type Pki } from '../harness/eap-tls-certs.js';
import type { IspServer } from '../../src/isp/server.js';
import { pppdDialsIsp, radiusWhy, withRadiusIsp } from '../harness/radius-isp.js';

function why(): string | false {
  if (process.env.DIALTONE_SKIP_INTEROP === '1') return 'DIALTONE_SKIP_INTEROP=1';
  if (process.getuid?.() !== 0) return 'needs root (user-mode-linux pppd and FreeRADIUS on its ports)';
  for (const a of [umlAvailable(), freeradiusAvailable(), opensslAvailable()]) if (!a.ok) return a.why ?? 'a program is missing';
  return false;
}
const skip = why();

const SECRET = 'radius-shared-Secret-57';
const SERVER_CN = 'radius.dialtone.test';
const AUTHORIZE = ['fred', '\tFramed-IP-Address = 10.0.2.79', ''].join('\n');

let pki: Pki | undefined;
let fr: FreeRadius | undefined;

before(async () => {
  if (skip) return;
  pki = makePki();
  pki.ca('ca', 'dialtone test CA');
  pki.leaf('server', SERVER_CN, 'ca', 'serverAuth');
  pki.leaf('fred', 'fred', 'ca', 'clientAuth');
  pki.ca('other-ca', 'some other CA');
  pki.leaf('fred-other', 'fred', 'other-ca', 'clientAuth');
  fr = await startFreeRadius({
    secret: SECRET, authorize: AUTHORIZE,
    eapTls: { caFile: pki.file('ca.pem'), certFile: pki.file('server.pem'), keyFile: pki.file('server.key') },
  });
});

after(async () => {
  await fr?.stop();
  pki?.remove();
});

/** pppd as an EAP-TLS client with `client`'s certificate and key, trusting our CA. */
function dial(isp: IspServer, client: string, extra: string[] = []) {
  const p = pki!;
  return pppdDialsIsp(isp, [...extra, 'user', 'fred', 'remotename', SERVER_CN, 'ca', '/etc/ppp/eaptls/ca.pem', 'cert', '/etc/ppp/eaptls/client.pem', 'key', '/etc/ppp/eaptls/client.key'], {
    'ppp/eaptls/ca.pem': p.read('ca.pem'),
    'ppp/eaptls/client.pem': p.read(`${client}.pem`),
    'ppp/eaptls/client.key': p.read(`${client}.key`),
  });
}

/** What FreeRADIUS printed since `mark` (its log is shared by the tests of this file). */
const frLogSince = (mark: number) => fr!.log().slice(mark);

const withIsp = (fn: (isp: IspServer, logs: string[]) => Promise<void>) =>
  withRadiusIsp(SECRET, { auth: 'eap', authFailDelay: 0, radiusAuth: [{ host: '127.0.0.1', port: fr!.authPort }] }, fn);

test('EAP-TLS relayed to FreeRADIUS: a client certificate from the trusted CA reaches IP-up over many Access-Challenges', { skip, timeout: 400_000 }, async () => {
  const mark = fr!.log().length;
  await withIsp(async (isp, logs) => {
    const r = await dial(isp, 'fred');
    const w = radiusWhy(r, logs, fr);
    assert.equal(r.afterRc, 0, w);
    assert.match(r.log, /rcvd \[LCP ConfReq id=0x\w+ .*<auth eap>/, w);
    assert.match(r.log, /rcvd \[EAP Request id=0x\w+ TLS/, w);
    assert.match(r.log, /rcvd \[EAP Success/, w);
    assert.match(r.log, /EAP authentication succeeded/, w);
    assert.match(r.log, /local {2}IP address 10\.0\.2\.79/, w);
    assert.match(frLogSince(mark), /Login OK: \[fred/, w);
    assert.match(frLogSince(mark), /eap_tls/, w);
    // Multi-round: the handshake took several Access-Challenges, and EAP packets both ways were
    // longer than one 253-octet EAP-Message (RFC 3579 §3.1), so dialtone split and joined them.
    const log = frLogSince(mark);
    const challenges = (log.match(/Sent Access-Challenge/g) ?? []).length;
    assert.ok(challenges >= 4, `${challenges} Access-Challenges\n${w}`);
    const longest = (re: RegExp) => Math.max(...[...log.matchAll(re)].map((m) => Number(m[1])));
    assert.ok(longest(/Peer sent EAP Response \(code 2\) ID \d+ length (\d+)/g) > 253, w);
    assert.ok(longest(/Sending EAP Request \(code 1\) ID \d+ length (\d+)/g) > 253, w);
    const c = isp.radius!.core.counters;
    assert.equal(c.badAuthenticator, 0, JSON.stringify(c));
  });
});

test('EAP-TLS relayed to FreeRADIUS: a client certificate from another CA ends pppd with exit status 19', { skip, timeout: 400_000 }, async () => {
  const mark = fr!.log().length;
  await withIsp(async (isp, logs) => {
    const r = await dial(isp, 'fred-other');
    const w = radiusWhy(r, logs, fr);
    assert.equal(r.exitCode, 19, w);
    assert.match(r.log, /rcvd \[EAP Request id=0x\w+ TLS/, w);
    assert.match(r.log, /rcvd \[EAP Failure/, w);
    assert.match(frLogSince(mark), /Login incorrect.*\[fred/, w);
  });
});

test('EAP-TLS relayed to FreeRADIUS: a peer with pppd\'s smallest MRU (128) gets TLS fragments that fit it, over more than 32 rounds, and reaches IP-up', { skip, timeout: 400_000 }, async () => {
  const mark = fr!.log().length;
  await withIsp(async (isp, logs) => {
    // eap-max-rreq: pppd's own bound (20 EAP-Requests by default) would end this handshake first.
    const r = await dial(isp, 'fred', ['mru', '128', 'eap-max-rreq', '100']);
    const w = radiusWhy(r, logs, fr);
    assert.equal(r.afterRc, 0, w);
    assert.match(r.log, /sent \[LCP ConfReq id=0x\w+ <mru 128>/, w);
    assert.match(r.log, /EAP authentication succeeded/, w);
    const log = frLogSince(mark);
    // dialtone's Framed-MTU: the MRU less the EAP-TLS header (src/radius/eap-relay.ts).
    assert.match(log, /Framed-MTU = 118/, w);
    // No EAP-Request FreeRADIUS sent was longer than the peer's MRU.
    const lengths = [...log.matchAll(/Sending EAP Request \(code 1\) ID \d+ length (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(lengths.length > 32 && Math.max(...lengths) <= 128, `${lengths}\n${w}`);
  });
});
