// The seeds' dial-up flow end to end with real peers: real pppd 2.4.9 and real chat inside
// user-mode-linux dial through `dialtone modem` (the UML serial line is a modem-bank line);
// the call rings a line answered by `dialtone getty`, whose AutoPPP hands the line to
// `dialtone pppd` as the server; the link reaches IP-up with PAP and carries pings.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { ModemBank } from '../../src/runtime/modem-bank.js';
import { serveLine } from '../../src/runtime/getty.js';
import { MGETTY_DEFAULTS, parseLoginConfig } from '../../src/getty/config.js';
import { PhoneBook } from '../../src/modem/phonebook.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

test('real pppd + real chat dial through dialtone modem; dialtone getty answers; AutoPPP; PAP; ping', { skip, timeout: 90_000 }, async () => {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, speed: 115200, pace: false, ringIntervalMs: 300, phoneBook: PhoneBook.parse('555-1000 line:1\n') });
  const addr = await bank.listen();
  const pppDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-flow-'));
  fs.writeFileSync(path.join(pppDir, 'pap-secrets'), 'fred * wilma *\n', { mode: 0o600 });
  const gettyLog: string[] = [];
  const getty = serveLine({
    line: { kind: 'tcp', host: '127.0.0.1', port: addr.port },
    port: 'ttyS0',
    config: { ...MGETTY_DEFAULTS, rings: 2 },
    login: parseLoginConfig('/AutoPPP/ - a_ppp /usr/sbin/pppd auth require-pap 10.0.0.1:10.0.0.2 ms-dns 10.0.0.53\n', 'login.config').value,
    pppDir,
    log: (m) => gettyLog.push(m),
    calls: 1,
    checkPassword: async () => false,
  });
  for (let i = 0; i < 100 && !gettyLog.includes('waiting for a call'); i++) await new Promise((r) => setTimeout(r, 20));

  // The HOWTO's dialer script, with the bank's number.
  const dialer = "ABORT 'BUSY'\nABORT 'NO CARRIER'\n'' ATZ\nOK ATDT555-1000\nCONNECT ''\n";
  const peer = await startPppdPeer({
    line: 'listen',
    port: addr.port,
    pppdArgs: ['local', 'noauth', 'user', 'fred', 'usepeerdns', 'noipdefault', 'connect', '/usr/sbin/chat -v -f /etc/ppp/dialer'],
    files: { 'ppp/dialer': dialer, 'ppp/pap-secrets': 'fred * wilma *\n' },
    after: 'ping -c 2 -W 2 10.0.0.1',
    timeoutMs: 60_000,
  });
  const r = await peer.done;
  await getty;
  await bank.close();
  const why = `--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- getty ---\n${gettyLog.join('\n')}`;
  assert.match(r.log, /Serial connection established/, why);
  assert.match(r.log, /PAP authentication succeeded/, why);
  assert.match(r.log, /local {2}IP address 10\.0\.0\.2/, why);
  assert.match(r.log, /primary {3}DNS address 10\.0\.0\.53/, why);
  assert.equal(r.afterRc, 0, `ping failed: ${r.afterOutput}\n${why}`);
  assert.ok(gettyLog.includes('RING 2/2'), why);
  assert.ok(gettyLog.includes('AutoPPP: caller speaks PPP'), why);
  assert.ok(gettyLog.some((l) => /pppd: PAP peer authentication succeeded for fred/.test(l)), why);
});
