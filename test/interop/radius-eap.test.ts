// Issue 10, EAP pass-through: real pppd 2.4.9 in user-mode-linux dials `dialtone isp` with
// `auth eap` and `radius-auth`; dialtone asks pppd's Identity itself and relays the EAP
// conversation (RFC 3579) to a real FreeRADIUS whose eap module runs EAP-MD5 against its
// authorize file. pppd's EAP-MD5 answer comes from its chap-secrets. The right secret reaches
// IP (with FreeRADIUS's Framed-IP-Address), a wrong one ends pppd with exit status 19, and
// pppd's debug log shows EAP (0xC227) MD5-Challenge was what ran.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML or FreeRADIUS fails them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { umlAvailable } from '../harness/uml.js';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import type { IspServer } from '../../src/isp/server.js';
import type { IspConfig } from '../../src/isp/config.js';
import { pppdDialsIsp, radiusWhy, withRadiusIsp } from '../harness/radius-isp.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const SECRET = 'radius-shared-Secret-43';
const PASSWORD = 'wilma-Eap-7';
const AUTHORIZE = [
  `fred Cleartext-Password := "${PASSWORD}"`,
  '\tFramed-IP-Address = 10.0.2.78,',
  '\tReply-Message = "Welcome, Fred"',
  '',
].join('\n');

const running: FreeRadius[] = [];
after(async () => {
  for (const r of running) await r.stop();
});

const withIsp = (config: Partial<IspConfig>, fn: (isp: IspServer, logs: string[]) => Promise<void>) => withRadiusIsp(SECRET, { authFailDelay: 0, ...config }, fn);

const dial = pppdDialsIsp;
const why = radiusWhy;

test('EAP-MD5 relayed to FreeRADIUS: pppd reaches IP-up; a wrong secret ends pppd with exit status 19', { skip, timeout: 400_000 }, async () => {
  assert.ok(umlAvailable().ok, umlAvailable().why);
  assert.ok(freeradiusAvailable().ok, freeradiusAvailable().why);
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'eap', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const ok = await dial(isp, ['user', 'fred'], { 'ppp/chap-secrets': `fred * ${PASSWORD} *\n` });
    const w = why(ok, logs, fr);
    assert.equal(ok.afterRc, 0, w);
    // EAP was what ran: LCP agreed on 0xC227, and the challenge was EAP's MD5-Challenge.
    assert.match(ok.log, /rcvd \[LCP ConfReq id=0x\w+ .*<auth eap>/, w);
    assert.match(ok.log, /rcvd \[EAP Request id=0x\w+ Identity/, w);
    assert.match(ok.log, /rcvd \[EAP Request id=0x\w+ MD5-Challenge/, w);
    assert.match(ok.log, /rcvd \[EAP Success/, w);
    assert.match(ok.log, /EAP authentication succeeded/, w);
    assert.match(ok.log, /local {2}IP address 10\.0\.2\.78/, w);
    assert.match(fr.log(), /Login OK: \[fred/, w);
    assert.match(fr.log(), /eap_md5/, w);
    for (const l of logs) assert.ok(!l.includes(PASSWORD) && !l.includes(SECRET), `secret in isp log: ${l}`);

    const bad = await dial(isp, ['user', 'fred'], { 'ppp/chap-secrets': 'fred * not-the-one *\n' });
    const wb = why(bad, logs, fr);
    assert.equal(bad.exitCode, 19, wb);
    assert.match(bad.log, /rcvd \[EAP Failure/, wb);
    assert.match(fr.log(), /Login incorrect.*\[fred/, wb);
    assert.ok(isp.radius!.core.counters.badAuthenticator === 0, JSON.stringify(isp.radius!.core.counters));
  });
});
