import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, IspConfigError } from './config.js';
import { mppeLinkOptions, applyRadiusMppe, type IspMppe } from './mppe-policy.js';
import { MPPE_DEFAULTS, type MppeOptions } from '../ppp/ccp/mppe-options.js';

test('isp.conf `mppe no|optional|require`: unset is no; anything else is refused naming file, line and key', () => {
  assert.equal(parseIspConfig('', 'f').mppe, undefined);
  assert.equal(parseIspConfig('mppe require\n', 'f').mppe, 'require');
  assert.equal(parseIspConfig('mppe optional\n', 'f').mppe, 'optional');
  assert.throws(() => parseIspConfig('\nmppe yes\n', 'isp.conf'), (e: unknown) => e instanceof IspConfigError && e.message === "isp.conf:2: mppe: want no, optional or require, got 'yes'");
});

test('link options: require is require-mppe-128 stateless; optional and RADIUS sessions start optional; no without RADIUS adds nothing', () => {
  assert.deepEqual(mppeLinkOptions('no', false), {});
  assert.deepEqual(mppeLinkOptions('require', false), { mppe40: false, mppe128: true, mppeOptional: false, refuseMppeStateful: true, mppePreferStateful: false });
  assert.equal(mppeLinkOptions('optional', false).mppeOptional, true);
  assert.equal(mppeLinkOptions('no', true).mppeOptional, true);
});

test('an Access-Accept settles the session: Policy 2 requires, Types 2 alone is 40-bit, no policy keeps isp.conf', () => {
  const settle = (mode: IspMppe, mppePolicy?: number, mppeTypes?: number): MppeOptions => {
    const o: MppeOptions = { ...MPPE_DEFAULTS, ...mppeLinkOptions(mode, true) };
    applyRadiusMppe(o, mode, { user: 'u', classes: [], mppePolicy, mppeTypes });
    return o;
  };
  assert.deepEqual([settle('no').mppe128, settle('no').mppe40], [false, false]);
  assert.deepEqual([settle('no', 1, 6).mppe128], [false]);
  assert.deepEqual([settle('no', 2).mppe128, settle('no', 2).mppeOptional], [true, false]);
  assert.deepEqual([settle('optional', 2, 2).mppe40, settle('optional', 2, 2).mppe128], [true, false]);
  assert.deepEqual([settle('optional').mppeOptional, settle('require').mppeOptional], [true, false]);
  assert.deepEqual([settle('require', 1, 6).mppe128, settle('require', 1, 6).mppe40], [true, false]);
});

test('local secrets: `mppe optional` encrypts an MS-CHAPv2 caller with pppd\'s keys and lets a PAP caller in without MPPE', async () => {
  const { end, run, ip, ipUp } = await import('../ppp/testing/pair.js');
  const { staticSecrets } = await import('../ppp/secrets.js');
  const secrets = staticSecrets([{ client: 'dino', server: '*', secret: 'rubble' }]);
  const dial = (auth: object, client: object) => {
    const isp = end('isp', { localAddr: ip('10.0.2.2'), remoteAddr: ip('10.0.2.15'), secrets, debug: true, ...auth, ...mppeLinkOptions('optional', false) });
    const caller = end('caller', { user: 'dino', password: 'rubble', debug: true, ...client });
    run(isp, caller, { stop: () => !!ipUp(isp) && !!ipUp(caller) });
    return { isp, caller };
  };
  const v2 = dial({ auth: true, requireChap: false, requireMschapV2: true }, { mppe128: true });
  assert.ok(ipUp(v2.isp) && v2.isp.logs.includes('MPPE 128-bit stateless compression enabled'), v2.isp.logs.join('\n'));
  const pap = dial({ auth: true, requirePap: true }, {});
  assert.ok(ipUp(pap.isp) && !pap.isp.logs.some((l) => /MPPE/.test(l)), pap.isp.logs.join('\n'));
});
