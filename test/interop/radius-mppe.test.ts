// Issue 10's MPPE proof: real pppd 2.4.9 in user-mode-linux (Linux's ppp_mppe) dials
// `dialtone isp` with `require-mppe-128`; the isp authenticates it through a real FreeRADIUS
// (its mschap module returns the MPPE keys: MS-MPPE-Send-Key/Recv-Key for MS-CHAPv2,
// MS-CHAP-MPPE-Keys for MS-CHAP v1) and runs MPPE with the keys FreeRADIUS sent. Both sides
// say "MPPE 128-bit stateless compression enabled", and then a ping and a 1 MB HTTP fetch
// from inside UML to a host-side server cross the isp's NAT intact (sha256 compared): every
// packet each way was encrypted by one side and decrypted by the other, so both directions'
// keys agree. `mppe optional` lets a PAP caller in without MPPE.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML or FreeRADIUS fails them.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { umlAvailable } from '../harness/uml.js';
import { startFreeRadius, freeradiusAvailable, type FreeRadius } from '../harness/freeradius.js';
import type { IspServer } from '../../src/isp/server.js';
import type { IspConfig } from '../../src/isp/config.js';
import { pppdDialsIsp, radiusWhy, withRadiusIsp } from '../harness/radius-isp.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const SECRET = 'radius-mppe-Secret-7';
const AUTHORIZE = ['dino Cleartext-Password := "rubble-Rock5"', 'fred Cleartext-Password := "wilma"', ''].join('\n');
const BODY = crypto.randomBytes(1024 * 1024);
const SUM = crypto.createHash('sha256').update(BODY).digest('hex');

const running: FreeRadius[] = [];
let web: http.Server | undefined;
after(async () => {
  for (const r of running) await r.stop();
  web?.close();
});

async function webPort(): Promise<number> {
  if (!web) {
    web = http.createServer((_req, res) => res.end(BODY));
    await new Promise<void>((r) => web!.listen(0, '127.0.0.1', r));
  }
  return (web.address() as net.AddressInfo).port;
}

const withIsp = (config: Partial<IspConfig>, fn: (isp: IspServer, logs: string[]) => Promise<void>) => withRadiusIsp(SECRET, config, fn);

/** Connects to dialtone only when pppd's first byte arrives, so a slow UML boot cannot fail LCP (as radius-auth.test.ts). */

function dial(isp: IspServer, pppdArgs: string[], files: Record<string, string>) {
  return webPort().then((port) => pppdDialsIsp(isp, ['debug', ...pppdArgs], files, ['set -e', 'ping -c 3 -W 5 10.0.2.2', `wget -q -O /tmp/a http://10.0.2.2:${port}/file`, 'sha256sum /tmp/a'].join('\n')));
}

const why = radiusWhy;

/** The lines that show what happened, in the test's output (TAP diagnostics). */
function show(t: { diagnostic(m: string): void }, r: Awaited<ReturnType<typeof dial>>, logs: string[], fr: FreeRadius): void {
  for (const l of r.log.split('\n').filter((x) => /MPPE|CCP Conf|CHAP (Success|authentication)/.test(x))) t.diagnostic(`pppd: ${l}`);
  for (const l of logs.filter((x) => /MPPE|RADIUS/.test(x))) t.diagnostic(`isp: ${l}`);
  for (const l of fr.log().split('\n').filter((x) => /MS-MPPE|MS-CHAP-MPPE/.test(x)).slice(0, 6)) t.diagnostic(`freeradius: ${l.trim().replace(/0x[0-9a-f]{16,}/, '0x…')}`);
  for (const l of r.afterOutput.split('\n').filter((x) => /packets transmitted|\/tmp\/a/.test(x))) t.diagnostic(`uml: ${l}`);
}

function assertEncryptedAndFlowing(r: Awaited<ReturnType<typeof dial>>, logs: string[], fr: FreeRadius): void {
  const w = why(r, logs, fr);
  assert.match(r.log, /MPPE 128-bit stateless compression enabled/, w);
  assert.ok(logs.some((l) => l.includes('MPPE 128-bit stateless compression enabled')), w);
  assert.equal(r.afterRc, 0, w);
  assert.ok(r.afterOutput.includes(SUM), w);
  // Nothing was dropped for a bad key on the isp's side.
  assert.ok(!logs.some((l) => /MPPE: /.test(l)), w);
}

test('MS-CHAPv2 + require-mppe-128 via FreeRADIUS: MPPE with MS-MPPE-Send/Recv-Key, ping and 1 MB through the NAT', { skip, timeout: 200_000 }, async (t) => {
  assert.ok(umlAvailable().ok, umlAvailable().why);
  assert.ok(freeradiusAvailable().ok, freeradiusAvailable().why);
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'any', mppe: 'require', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const r = await dial(isp, ['user', 'dino', 'require-mppe-128', 'refuse-pap', 'refuse-chap', 'refuse-mschap', 'refuse-eap'],
      { 'ppp/chap-secrets': 'dino * rubble-Rock5 *\n' });
    show(t, r, logs, fr);
    assertEncryptedAndFlowing(r, logs, fr);
    assert.match(r.log, /rcvd \[CHAP Success id=0x\w+ "S=[0-9A-F]{40}"\]/, why(r, logs, fr));
    // The keys were FreeRADIUS's (the isp has no secrets to derive any).
    assert.match(fr.log(), /MS-MPPE-Send-Key/, why(r, logs, fr));
  });
});

test('MS-CHAP v1 + require-mppe-128 via FreeRADIUS: MPPE with the NT key of MS-CHAP-MPPE-Keys', { skip, timeout: 200_000 }, async (t) => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'any', mppe: 'require', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const r = await dial(isp, ['user', 'dino', 'require-mppe-128', 'refuse-pap', 'refuse-chap', 'refuse-mschap-v2', 'refuse-eap'],
      { 'ppp/chap-secrets': 'dino * rubble-Rock5 *\n' });
    show(t, r, logs, fr);
    assertEncryptedAndFlowing(r, logs, fr);
    assert.match(r.log, /sent \[LCP ConfAck id=0x\w+ [^\]]*<auth chap MS>/, why(r, logs, fr));
    assert.match(fr.log(), /MS-CHAP-MPPE-Keys/, why(r, logs, fr));
  });
});

test('mppe optional: a PAP caller (no keys) gets in without MPPE', { skip, timeout: 200_000 }, async (t) => {
  const fr = await startFreeRadius({ secret: SECRET, authorize: AUTHORIZE });
  running.push(fr);
  await withIsp({ auth: 'pap', mppe: 'optional', radiusAuth: [{ host: '127.0.0.1', port: fr.authPort }] }, async (isp, logs) => {
    const r = await dial(isp, ['user', 'fred'], { 'ppp/pap-secrets': 'fred * wilma *\n' });
    show(t, r, logs, fr);
    const w = why(r, logs, fr);
    assert.equal(r.afterRc, 0, w);
    assert.ok(r.afterOutput.includes(SUM), w);
    assert.doesNotMatch(r.log, /MPPE .* enabled/, w);
  });
});
