// Real pppd 2.4.9 inside user-mode-linux as the guest behind an emulator's softmodem (DOSBox,
// 86Box): the line is already connected when pppd starts, and `dialtone isp`'s direct-connect
// port (listen-direct) answers it with the getty dialog, AutoPPP, as if a modem had.
//
// DIALTONE_SKIP_INTEROP=1 skips this test; otherwise a missing UML fails it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

test('real pppd in UML on the direct-connect port: AutoPPP answers at once, IP comes up, the gateway answers ping', { skip, timeout: 120_000 }, async () => {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const config = { ...defaultIspConfig(), listenDirect: { host: '127.0.0.1', port: 0 }, auth: 'pap' as const, lcpEchoInterval: 0 };
  const logs: string[] = [];
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await isp.start();
  const peer = await startPppdPeer({
    line: 'listen',
    port: isp.addresses.direct!.port,
    pppdArgs: ['local', 'noauth', 'user', 'fred', 'usepeerdns', 'noipdefault', 'defaultroute', 'noccp'],
    files: { 'ppp/pap-secrets': 'fred * wilma *\n' },
    after: 'set -e\nping -c 2 -W 2 10.0.2.2',
    timeoutMs: 110_000,
  });
  const r = await peer.done;
  await isp.stop();
  const why = `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}\n--- isp ---\n${logs.join('\n')}`;
  assert.equal(r.afterRc, 0, why);
  assert.match(r.log, /local {2}IP address 10\.0\.2\.15/, why);
  assert.match(r.afterOutput, /2 received/, why);
  assert.ok(logs.some((l) => /direct 127\.0\.0\.1:\d+: AutoPPP: caller speaks PPP/.test(l)), why);
});
