import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModemBank } from './modem-bank.js';
import { serveLine } from './getty.js';
import { runChat } from './chat-run.js';
import { PppLink } from './link.js';
import { MGETTY_DEFAULTS, parseLoginConfig } from '../getty/config.js';
import { PhoneBook } from '../modem/phonebook.js';

async function setup(loginConfig: string, mgetty: Partial<typeof MGETTY_DEFAULTS> = {}) {
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, pace: false, ringIntervalMs: 200, phoneBook: PhoneBook.parse('') });
  const addr = await bank.listen();
  const pppDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-getty-'));
  fs.writeFileSync(path.join(pppDir, 'pap-secrets'), 'fred * wilma *\n', { mode: 0o600 });
  const logs: string[] = [];
  const served = serveLine({
    line: { kind: 'tcp', host: '127.0.0.1', port: addr.port },
    port: 'ttyS0',
    config: { ...MGETTY_DEFAULTS, rings: 2, ...mgetty },
    login: parseLoginConfig(loginConfig, 'login.config').value,
    pppDir,
    log: (m) => logs.push(m),
    calls: 1,
    checkPassword: async (u, p) => u === 'fred' && p === 'wilma',
  });
  // The getty takes line 1 once its init-chat has run.
  for (let i = 0; i < 100 && !logs.includes('waiting for a call'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(logs.includes('waiting for a call'), logs.join('\n'));
  return { bank, addr, logs, served };
}

test('getty: a call through the modem bank rings twice, is answered, and AutoPPP starts the PPP server', { timeout: 90_000 }, async () => {
  const { bank, addr, logs, served } = await setup('/AutoPPP/ - a_ppp /usr/sbin/pppd auth require-pap 10.0.0.1:10.0.0.2 ms-dns 10.0.0.53\n');
  const sock = net.connect(addr.port, '127.0.0.1');
  const dial = await runChat("ABORT BUSY ABORT 'NO CARRIER' '' ATZ OK ATDT1 CONNECT ''", sock, { timeout: 10 });
  assert.equal(dial.code, 0, 'chat dialled and got CONNECT');
  // A loaded machine may take seconds to start the server's pppd: keep asking for longer.
  const link = new PppLink(sock, { user: 'fred', password: 'wilma', usePeerDns: true, lcpMaxConfigure: 30 });
  const up = await new Promise<{ local: string; dns: string[] }>((resolve, reject) => {
    link.on('ip-up', resolve);
    setTimeout(() => reject(new Error(`no IP-up in 60 s; getty log:\n${logs.join('\n')}`)), 20_000).unref();
  });
  assert.equal(up.local, '10.0.0.2');
  assert.deepEqual(up.dns, ['10.0.0.53', '10.0.0.53']);
  link.close();
  await link.done;
  await served;
  bank.close();
  assert.ok(logs.includes('RING 2/2'), logs.join('\n'));
  assert.ok(logs.includes('AutoPPP: caller speaks PPP'), logs.join('\n'));
  assert.ok(logs.some((l) => /pppd: PAP peer authentication succeeded for fred/.test(l)), logs.join('\n'));
  assert.ok(logs.includes('line re-armed'));
});

test('getty: a caller who types gets the login prompt; a wrong password is refused; logout hangs up', { timeout: 30_000 }, async () => {
  const { bank, addr, logs, served } = await setup('* - - /bin/login @\n', { rings: 1 });
  const sock = net.connect(addr.port, '127.0.0.1');
  const r = await runChat("'' ATZ OK ATDT1 CONNECT '' ogin: fred ssword: nope incorrect '' ogin: fred ssword: wilma '$ ' exit logout", sock, { timeout: 10 });
  assert.equal(r.code, 0);
  await served;
  sock.destroy();
  bank.close();
  assert.ok(logs.includes('login failed: fred'));
  assert.ok(logs.includes('login ok: fred'));
  assert.ok(logs.includes('hanging up: logout'));
});
