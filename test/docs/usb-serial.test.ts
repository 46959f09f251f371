// docs/clients/usb-serial.md, run: the guide's socat command makes a serial port a line of
// `dialtone isp`'s modem bank. A pseudo-terminal pair stands in for the USB-serial adapter and
// the null-modem cable; on the "old machine" end, `dialtone dial` (wvdial) dials through it
// with a Standard-Modem-like init and reaches IP-up. Skipped without socat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { waitUntil } from '../../src/runtime/wait-until.js';
import { shellWords } from './markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const skip = fs.existsSync('/usr/bin/socat') ? false : 'socat not installed';

test('usb-serial guide: the adapter bridged to the modem bank by the guide\'s socat line carries a dial-up to IP-up', { skip, timeout: 90_000 }, async () => {
  const md = fs.readFileSync(path.join(ROOT, 'docs/clients/usb-serial.md'), 'utf8');
  const line = /^socat \/dev\/ttyUSB0\S* TCP:127\.0\.0\.1:6400$/m.exec(md)?.[0];
  assert.ok(line, 'the guide\'s modem-line socat command');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-usb-'));
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenModem: { host: '127.0.0.1', port: 0 }, accounting: path.join(dir, 'acct'), lcpEchoInterval: 0 },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: () => undefined,
  });
  await server.start();
  const procs: ChildProcess[] = [];
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    procs.push(p);
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d));
    p.stderr!.on('data', (d: Buffer) => (out += d));
    return { p, out: () => out };
  };
  try {
    // The adapter (usb) and the old machine's serial port (old), joined by the "cable".
    const usb = path.join(dir, 'ttyUSB0');
    const old = path.join(dir, 'ttyS0');
    run('socat', [`PTY,link=${usb},rawer`, `PTY,link=${old},rawer`]);
    await waitUntil(() => fs.existsSync(usb) && fs.existsSync(old), 30_000, 'the pty pair');
    // The guide's command, with the stand-in adapter and the test ISP's port.
    const words = shellWords(line.replace('/dev/ttyUSB0', usb).replace(':6400', `:${server.addresses.modem!.port}`))
      .map((w) => w.replace(',crtscts=1', '')); // a pty has no RTS/CTS lines
    const bridge = run(words[0]!, words.slice(1));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(bridge.p.exitCode, null, bridge.out());
    const conf = path.join(dir, 'wvdial.conf');
    fs.writeFileSync(conf, `[Dialer Defaults]\nModem = ${old}\nBaud = 115200\nInit1 = ATZ\nInit2 = AT&F E0 V1 &D2 &C1 S0=0\nPhone = 5551000\nUsername = demo\nPassword = dialtone\nStupid Mode = 1\n`);
    fs.mkdirSync(path.join(dir, 'ppp'));
    const dial = run(process.execPath, [path.join(ROOT, 'bin/dialtone'), 'dial', '--config', conf], { ...process.env, HOME: dir, DIALTONE_PPP_DIR: path.join(dir, 'ppp') });
    await waitUntil(() => /--> local {2}IP address/.test(dial.out()) || dial.p.exitCode !== null, 60_000, 'IP-up');
    assert.match(dial.out(), /CONNECT 33600/);
    assert.match(dial.out(), /--> local {2}IP address 10\.0\.2\.15/, dial.out());
  } finally {
    for (const p of procs.reverse()) {
      if (p.exitCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await gone;
      }
    }
    await server.stop();
  }
});
