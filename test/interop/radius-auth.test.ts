// Issue 10's authentication proof: real pppd 2.4.9 in user-mode-linux dials `dialtone isp`,
// which asks a real FreeRADIUS (its own instance, generated config, 127.0.0.1 ports) over RADIUS:
// PAP, CHAP-MD5 and MS-CHAPv2 users from FreeRADIUS's authorize file get in (MS-CHAPv2 with
// FreeRADIUS's MS-CHAP2-Success checked by pppd), a wrong password ends pppd with
// exit status 19, Framed-IP-Address and Session-Timeout from FreeRADIUS take effect, and with
// the first FreeRADIUS stopped logins fail over to the second.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML or FreeRADIUS fails them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { relayWhenPppdSpeaks } from '../harness/pppd-relay.js';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import type { IspServer } from '../../src/isp/server.js';
import type { IspConfig } from '../../src/isp/config.js';
import { pppdDialsIsp, radiusWhy, withRadiusIsp } from '../harness/radius-isp.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const SECRET = 'radius-shared-Secret-42';
const AUTHORIZE = [
  'fred Cleartext-Password := "wilma"',
  '\tFramed-IP-Address = 10.0.2.77,',
  '\tSession-Timeout = 12,',
  '\tReply-Message = "Welcome, Fred"',
  'barney Cleartext-Password := "betty"',
  'dino Cleartext-Password := "rubble-Rock5"',
  '',
].join('\n');

const running: FreeRadius[] = [];
after(async () => {
  for (const r of running) await r.stop();
});

const withIsp = (config: Partial<IspConfig>, fn: (isp: IspServer, logs: string[]) => Promise<void>) => withRadiusIsp(SECRET, config, fn);

const dial = pppdDialsIsp;
const why = radiusWhy;

test('PAP via FreeRADIUS: in, with its Framed-IP-Address, and Session-Timeout ends the session', { skip, timeout: 200_000 }, async () => {
  assert.ok(umlAvailable().ok, umlAvailable().why);
  assert.ok(freeradiusAvailable().ok, freeradiusAvailable().why);
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'pap', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    // No SIGTERM from the harness: pppd ends when dialtone ends the session at Session-Timeout.
    const relay = await relayWhenPppdSpeaks(isp.addresses.ppp!.port);
    const peer = await startPppdPeer({
      line: 'listen', port: relay.port, timeoutMs: 170_000, waitExit: true,
      pppdArgs: ['local', 'noauth', 'noipdefault', 'noipv6', 'user', 'fred'], files: { 'ppp/pap-secrets': 'fred * wilma *\n' },
      after: 'ping -c 1 -W 5 10.0.2.2',
    });
    const r = await peer.done;
    relay.close();
    const w = why(r, logs, fr);
    assert.equal(r.afterRc, 0, w);
    assert.match(r.log, /local {2}IP address 10\.0\.2\.77/, w);
    assert.match(r.log, /Remote message: Welcome, Fred/, w);
    assert.ok(logs.some((l) => /Session-Timeout of 12 s reached/.test(l)), w);
    assert.match(r.log, /LCP terminated by peer/, w);
    assert.match(fr.log(), /Login OK: \[fred/, w);
  });
});

test('CHAP-MD5 via FreeRADIUS: in; a wrong password ends pppd with exit status 19', { skip, timeout: 300_000 }, async () => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'chap', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const ok = await dial(isp, ['user', 'barney'], { 'ppp/chap-secrets': 'barney * betty *\n' });
    assert.equal(ok.afterRc, 0, why(ok, logs, fr));
    assert.match(ok.log, /CHAP authentication succeeded/, why(ok, logs, fr));
    const bad = await dial(isp, ['user', 'barney'], { 'ppp/chap-secrets': 'barney * wrong-one *\n' });
    assert.equal(bad.exitCode, 19, why(bad, logs, fr));
    assert.match(fr.log(), /Login incorrect.*\[barney/, why(bad, logs, fr));
  });
});

test('MS-CHAPv2 via FreeRADIUS: in, and pppd accepts the MS-CHAP2-Success (S=) FreeRADIUS computed', { skip, timeout: 200_000 }, async () => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'any', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const r = await dial(isp, ['user', 'dino', 'refuse-pap', 'refuse-chap', 'refuse-mschap', 'refuse-eap'],
      { 'ppp/chap-secrets': 'dino * rubble-Rock5 *\n' }, 'ping -c 3 -W 5 10.0.2.2');
    const w = why(r, logs, fr);
    assert.equal(r.afterRc, 0, w);
    // pppd checks the authenticator response (RFC 2759 §5) before it says this.
    assert.match(r.log, /rcvd \[CHAP Success id=0x\w+ "S=[0-9A-F]{40}"\]/, w);
    assert.match(r.log, /CHAP authentication succeeded/, w);
  });
});

test('failover: with the first FreeRADIUS stopped, logins go to the second', { skip, timeout: 200_000 }, async () => {
  const first = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  const second = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(first, second);
  await withIsp({ auth: 'chap', radiusAuth: [{ host: '127.0.0.1', port: first.authPort }, { host: '127.0.0.1', port: second.authPort }] }, async (isp, logs) => {
    const a = await dial(isp, ['user', 'barney'], { 'ppp/chap-secrets': 'barney * betty *\n' });
    assert.equal(a.afterRc, 0, why(a, logs, first));
    assert.match(first.log(), /Login OK: \[barney/);
    await first.stop();
    const b = await dial(isp, ['user', 'barney'], { 'ppp/chap-secrets': 'barney * betty *\n' });
    assert.equal(b.afterRc, 0, why(b, logs, second));
    assert.match(second.log(), /Login OK: \[barney/, why(b, logs, second));
    assert.ok(isp.radius!.core.counters.failovers >= 1, JSON.stringify(isp.radius!.core.counters));
  });
});
