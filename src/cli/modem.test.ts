import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChat } from '../runtime/chat-run.js';
import { PppLink } from '../runtime/link.js';
import { waitUntil } from '../runtime/wait-until.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

test('dialtone modem --ppp-server: dialling the handler:ppp number reaches a PPP server', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-modem-'));
  fs.writeFileSync(path.join(dir, 'phonebook'), '# the ISP\n555-1000 handler:ppp\n');
  fs.writeFileSync(path.join(dir, 'pap-secrets'), 'fred * wilma *\n', { mode: 0o600 });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const bank = spawn(process.execPath, [bin, 'modem', '--listen', `127.0.0.1:${port}`, '--no-pace', '--ring-interval', '100', '--phonebook', path.join(dir, 'phonebook'),
    '--ppp-server', 'auth require-pap 10.0.0.1:10.0.0.2 ms-dns 10.0.0.53'], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  bank.stderr.on('data', (d) => (log += d));
  try {
    await waitUntil(() => /line\(s\) on/.test(log), 60_000, 'the bank to listen');
    const sock = net.connect(port, '127.0.0.1');
    const dial = await runChat("ABORT BUSY ABORT 'NO CARRIER' '' ATZ OK ATDT555-1000 CONNECT ''", sock, { timeout: 10 });
    assert.equal(dial.code, 0, log);
    const link = new PppLink(sock, { user: 'fred', password: 'wilma', usePeerDns: true });
    const up = await new Promise<{ local: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
    assert.equal(up.local, '10.0.0.2');
    link.close();
    assert.equal(await link.done, 5);
  } finally {
    bank.kill('SIGTERM');
  }
});
