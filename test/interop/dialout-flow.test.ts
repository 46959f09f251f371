// The seeds' client flow with dialtone pppd as the caller: real `chat -v -f script` is the
// `connect` of `dialtone pppd`, dialling through `dialtone modem`; the call rings a line
// answered by `dialtone getty`, which starts the PPP server (AutoPPP, or after a text login
// and `ppp` at the shell prompt, the HOWTO's shell-account server).
//
// DIALTONE_SKIP_INTEROP=1 skips these tests (they need real chat and socat).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModemBank } from '../../src/runtime/modem-bank.js';
import { serveLine } from '../../src/runtime/getty.js';
import { MGETTY_DEFAULTS, parseLoginConfig } from '../../src/getty/config.js';
import { PhoneBook } from '../../src/modem/phonebook.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

function dir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dialout-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(d, n), t, { mode: 0o600 });
  return d;
}

async function answeringLine(login: string) {
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, pace: false, ringIntervalMs: 300, phoneBook: PhoneBook.parse('555-1000 line:1\n555-0000 busy\n') });
  const addr = await bank.listen();
  // The server's ppp directory, laid out like the dialup-server seed: the port's addresses in
  // options.ttyS0, accounts in pap-secrets.
  const serverDir = dir({ 'options.ttyS0': '10.0.0.1:10.0.0.2\n', 'pap-secrets': 'fred * wilma *\n' });
  const logs: string[] = [];
  const stop = new AbortController();
  const getty = serveLine({
    signal: stop.signal,
    line: { kind: 'tcp', host: '127.0.0.1', port: addr.port },
    port: 'ttyS0',
    config: { ...MGETTY_DEFAULTS, rings: 1 },
    login: parseLoginConfig(login, 'login.config').value,
    pppDir: serverDir,
    log: (m) => logs.push(m),
    calls: 1,
    checkPassword: async (u, p) => u === 'fred' && p === 'wilma',
  });
  for (let i = 0; i < 100 && !logs.includes('waiting for a call'); i++) await new Promise((r) => setTimeout(r, 20));
  return { bank, port: addr.port, logs, getty, stop };
}

function pppd(args: string[], pppDir: string): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'pppd', ...args], { env: { ...process.env, DIALTONE_PPP_DIR: pppDir }, stdio: 'ignore' });
  return { child, exit: new Promise((resolve) => child.on('exit', (c) => resolve(c))) };
}

async function waitLog(file: string, re: RegExp, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const t = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (re.test(t) || Date.now() > end) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('dialtone pppd + real chat dial dialtone modem; dialtone getty AutoPPP; PAP; IP up', { skip, timeout: 60_000 }, async () => {
  const { bank, port, logs, getty } = await answeringLine('/AutoPPP/ - a_ppp /usr/sbin/pppd auth require-pap\n');
  const d = dir({ dialer: "ABORT 'BUSY'\nABORT 'NO CARRIER'\n'' ATZ\nOK ATDT555-1000\nCONNECT ''\n" });
  const log = path.join(d, 'log');
  const p = pppd([`tcp:127.0.0.1:${port}`, 'connect', `/usr/sbin/chat -v -f ${d}/dialer`, 'noauth', 'user', 'fred', 'password', 'wilma', 'nodetach', 'logfile', log], d);
  const text = await waitLog(log, /local {2}IP address/, 40_000);
  p.child.kill('SIGTERM');
  const code = await p.exit;
  await getty;
  await bank.close();
  const why = `${text}\n--- getty ---\n${logs.join('\n')}`;
  assert.match(text, /Serial connection established\./, why);
  assert.match(text, /PAP authentication succeeded/, why);
  assert.match(text, /local {2}IP address 10\.0\.0\.2/, why);
  assert.equal(code, 5, why);
  assert.ok(logs.includes('AutoPPP: caller speaks PPP'), why);
});

test('the text-login flow on a pty line: chat logs in (ogin:--ogin:), types ppp, and PPP comes up', { skip, timeout: 60_000 }, async () => {
  const { bank, port, logs, getty } = await answeringLine('* - - /bin/login @\n');
  const d = dir({ dialer: "ABORT BUSY\n'' ATZ\nOK ATDT555-1000\nCONNECT ''\nogin:--ogin: fred\nssword: wilma\n'$ ' ppp\n" });
  const tty = path.join(d, 'ttyS1');
  // A pseudo-terminal wired to a modem-bank line: the serial port of a machine with a modem.
  const socat = spawn('socat', [`PTY,link=${tty},raw,echo=0`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(tty); i++) await new Promise((r) => setTimeout(r, 50));
  const log = path.join(d, 'log');
  const p = pppd([tty, '115200', 'local', 'connect', `/usr/sbin/chat -v -f ${d}/dialer`, 'noauth', 'nodetach', 'logfile', log], d);
  const text = await waitLog(log, /local {2}IP address/, 40_000);
  p.child.kill('SIGTERM');
  await p.exit;
  socat.kill();
  await getty;
  await bank.close();
  const why = `${text}\n--- getty ---\n${logs.join('\n')}`;
  assert.match(text, /local {2}IP address 10\.0\.0\.2/, why);
  assert.match(text, /remote IP address 10\.0\.0\.1/, why);
  assert.ok(logs.includes('login ok: fred'), why);
});

test('a BUSY number: chat aborts, "Connect script failed", exit 8', { skip, timeout: 60_000 }, async () => {
  const { bank, port, stop } = await answeringLine('/AutoPPP/ - a_ppp /usr/sbin/pppd\n');
  const d = dir({ dialer: "ABORT 'BUSY'\n'' ATZ\nOK ATDT555-0000\nCONNECT ''\n" });
  const log = path.join(d, 'log');
  const p = pppd([`tcp:127.0.0.1:${port}`, 'connect', `/usr/sbin/chat -v -f ${d}/dialer`, 'noauth', 'nodetach', 'logfile', log], d);
  const code = await p.exit;
  stop.abort();
  await bank.close();
  const text = fs.readFileSync(log, 'utf8');
  assert.equal(code, 8, text);
  assert.match(text, /Connect script failed/);
});
