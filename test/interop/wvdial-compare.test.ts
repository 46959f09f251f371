// Real wvdial 1.61 (Debian) and `dialtone dial` dial the same `dialtone modem` bank with the
// same wvdial.conf, and print the same lines: init, dialling, NO CARRIER redials up to Dial
// Attempts, BUSY with Abort on Busy, NO DIALTONE; and exit with the same status. Real wvdial
// reaches the TCP bank through a socat pseudo-terminal (it wants a tty).
// Skipped without /usr/bin/wvdial or socat (scripts/setup installs both) or with
// DIALTONE_SKIP_INTEROP=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModemBank } from '../../src/runtime/modem-bank.js';
import { PhoneBook } from '../../src/modem/phonebook.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const skip =
  process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1'
  : !fs.existsSync('/usr/bin/wvdial') ? 'wvdial not installed (Debian package wvdial)'
  : !fs.existsSync('/usr/bin/socat') ? 'socat not installed' : false;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, lines: out.split('\n').filter(Boolean) });
    });
  });
}

/** What differs by nature: the time, and wvdial's serial-port ioctl note on a pty. */
const normalize = (lines: string[]) =>
  lines.filter((l) => l !== '--> Cannot get information for serial port.').map((l) => l.replace(/^(--> Disconnecting at ).*$/, '$1TIME'));

const SCENARIOS: Array<[string, string]> = [
  ['NO CARRIER, Dial Attempts = 2', 'Phone = 5552000\nDial Attempts = 2\n'],
  ['BUSY with Abort on Busy', 'Phone = 5550000\nAbort on Busy = yes\n'],
  ['NO DIALTONE (Abort on No Dialtone is on by default)', 'Phone = 5553000\n'],
];

for (const [name, extra] of SCENARIOS) {
  test(`real wvdial and dialtone dial print the same lines: ${name}`, { skip, timeout: 120_000 }, async () => {
    const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, pace: false, phoneBook: PhoneBook.parse('5552000 no-carrier\n5550000 busy\n5553000 no-dialtone\n') });
    const addr = await bank.listen();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-wvcmp-'));
    const base = `Init1 = ATZ\nInit2 = ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0\nUsername = demo\nPassword = dialtone\nCarrier Check = no\n${extra}`;
    const tty = path.join(dir, 'tty');
    let socat: ChildProcess | undefined;
    try {
      fs.writeFileSync(path.join(dir, 'real.conf'), `[Dialer Defaults]\nModem = ${tty}\n${base}`);
      fs.writeFileSync(path.join(dir, 'ours.conf'), `[Dialer Defaults]\nModem = tcp:127.0.0.1:${addr.port}\n${base}`);
      // Real wvdial 1.61 now and then aborts in its own task switcher ("WvTaskMan::yield:
      // Assertion ... stack_magic") when it redials: a bug of the peer, not what is compared
      // here, so such a run is repeated (each on a fresh pty: socat ends with the caller).
      let real: { code: number | null; lines: string[] } = { code: null, lines: [] };
      for (let attempt = 0; attempt < 3; attempt++) {
        if (socat && socat.exitCode === null) socat.kill('SIGTERM');
        fs.rmSync(tty, { force: true });
        socat = spawn('socat', [`PTY,link=${tty},raw,echo=0`, `TCP:127.0.0.1:${addr.port}`], { stdio: 'ignore' });
        await waitUntil(() => fs.existsSync(tty), 30_000, 'the pty');
        real = await run('/usr/bin/wvdial', ['-C', path.join(dir, 'real.conf')], { ...process.env, HOME: dir });
        if (!real.lines.some((l) => /WvTaskMan::yield.*Assertion/.test(l))) break;
      }
      const ours = await run(process.execPath, [path.join(ROOT, 'bin/dialtone'), 'dial', '-C', path.join(dir, 'ours.conf')], { ...process.env, HOME: dir });
      const why = `real wvdial:\n${real.lines.join('\n')}\n\ndialtone dial:\n${ours.lines.join('\n')}`;
      const crash = real.lines.findIndex((l) => /WvTaskMan::yield.*Assertion/.test(l));
      if (crash >= 0) {
        // Three aborts in a row (CI saw it on a loaded machine): what real wvdial printed before
        // its abort is still the reference, and dialtone must print the same up to there.
        const before = normalize(real.lines.slice(0, crash));
        assert.ok(before.length >= 8, why);
        assert.deepEqual(normalize(ours.lines).slice(0, before.length), before, why);
        return;
      }
      assert.deepEqual(normalize(ours.lines), normalize(real.lines), why);
      assert.equal(ours.code, real.code);
    } finally {
      if (socat && socat.exitCode === null) socat.kill('SIGTERM');
      await bank.close();
    }
  });
}
