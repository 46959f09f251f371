// `dialtone dial` (the CLI, as a user runs it) with the PPP-HOWTO's wvdial.conf dials
// `dialtone isp`'s modem bank and `dialtone modem` banks: stupid mode and the text login both
// reach IP-up; BUSY and NO CARRIER give wvdial's messages and redial; Auto Reconnect redials
// after the server ends the link; `--probe` writes a config that then dials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { ModemBank } from '../runtime/modem-bank.js';
import { PhoneBook } from '../modem/phonebook.js';
import { waitUntil } from '../runtime/wait-until.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin/dialtone');
const HOWTO = path.join(ROOT, 'test/fixtures/seed-configs/howto-client/wvdial.conf');

async function startIsp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-isp-'));
  const server = new IspServer({
    config: {
      ...defaultIspConfig(),
      listenPpp: { host: '127.0.0.1', port: 0 },
      listenModem: { host: '127.0.0.1', port: 0 },
      phone: '555-1212',
      accounting: path.join(dir, 'acct.jsonl'),
      lcpEchoInterval: 0,
    },
    secrets: {
      ...staticSecrets([{ client: 'my_login_name', server: '*', secret: 'my_login_password' }]),
      // The text login at the modem bank checks passwords this way.
      verifyPap: (user: string, password: string) => (user === 'my_login_name' && password === 'my_login_password' ? { secret: password } : undefined),
    },
    log: () => undefined,
  });
  await server.start();
  return server;
}

/** The HOWTO's file with its ';' removed, as the HOWTO says to do. */
function howtoConfig(dir: string): string {
  const text = fs.readFileSync(HOWTO, 'utf8').replace(/^; /gm, '');
  const file = path.join(dir, 'wvdial.conf');
  fs.writeFileSync(file, text);
  return file;
}

interface Running {
  proc: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
  waitFor(re: RegExp, what?: string): Promise<void>;
  text(): string;
}

function runDial(args: string[]): Running {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-home-'));
  const pppDir = path.join(home, 'ppp');
  fs.mkdirSync(pppDir);
  const proc = spawn(process.execPath, [BIN, 'dial', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, DIALTONE_PPP_DIR: pppDir },
  });
  const lines: string[] = [];
  let partial = '';
  const take = (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  };
  proc.stderr!.on('data', take);
  proc.stdout!.on('data', take);
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const text = () => lines.join('\n');
  return {
    proc,
    lines,
    exit,
    text,
    waitFor: (re, what = String(re)) => waitUntil(() => lines.some((l) => re.test(l)) || proc.exitCode !== null, 60_000, what).then(() => {
      assert.ok(lines.some((l) => re.test(l)), `no ${what} in:\n${text()}`);
    }),
  };
}

async function stopDial(r: Running): Promise<number | null> {
  r.proc.kill('SIGTERM');
  return r.exit;
}

test('dial: the HOWTO wvdial.conf in Stupid Mode dials dialtone isp and reaches IP-up', { timeout: 90_000 }, async () => {
  const isp = await startIsp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = howtoConfig(dir);
  const r = runDial(['--config', conf, `Modem=tcp:127.0.0.1:${isp.addresses.modem!.port}`, 'Stupid Mode=1']);
  try {
    await r.waitFor(/^--> local {2}IP address 10\.0\.2\.15$/, 'IP-up');
    // pppd logs the DNS addresses after the IP addresses: wait for them too.
    await r.waitFor(/^--> primary {3}DNS address /, 'the DNS address');
    const t = r.text();
    for (const want of [
      '--> WvDial: Internet dialer version 1.61',
      '--> Initializing modem.',
      '--> Sending: ATZ',
      '--> Sending: ATQ0 V1 E1 S0=0 &C1 &D2 S11=55 +FCLASS=0',
      '--> Modem initialized.',
      '--> Sending: ATDT555-1212',
      '--> Waiting for carrier.',
      'CONNECT 33600',
      '--> Carrier detected.  Starting PPP immediately.',
      '--> primary   DNS address 10.0.2.3',
    ]) assert.ok(r.lines.includes(want), `missing '${want}' in:\n${t}`);
    assert.match(t, /^--> Starting pppd at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/m);
    assert.match(t, /^--> Pid of pppd: \d+$/m);
    assert.doesNotMatch(t, /my_login_password/, 'the password is never printed');
  } finally {
    const code = await stopDial(r);
    await isp.stop();
    // wvdial's main(): stopped by a signal while online is 1.
    assert.equal(code, 1, r.text());
  }
  assert.match(r.text(), /^--> Disconnecting at /m);
});

test('dial: the HOWTO wvdial.conf logs in at the text prompts (login mode) and reaches IP-up', { timeout: 90_000 }, async () => {
  const isp = await startIsp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = howtoConfig(dir);
  const r = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${isp.addresses.modem!.port}`]);
  try {
    await r.waitFor(/^--> local {2}IP address 10\.0\.2\.15$/, 'IP-up');
    const t = r.text();
    const order = [
      '--> Carrier detected.  Waiting for prompt.',
      '--> Looks like a login prompt.',
      '--> Sending: my_login_name',
      '--> Looks like a password prompt.',
      '--> Sending: (password)',
      '--> Hmm... a prompt.  Sending "ppp".',
      '--> PPP negotiation detected.',
    ].map((l) => {
      const i = r.lines.indexOf(l);
      assert.ok(i >= 0, `missing '${l}' in:\n${t}`);
      return i;
    });
    assert.deepEqual([...order].sort((a, b) => a - b), order, t);
    assert.doesNotMatch(t, /my_login_password/);
  } finally {
    await stopDial(r);
    await isp.stop();
  }
});

test('dial: BUSY gives wvdial\'s message and redials the number; Phone1 is tried after a busy Phone', { timeout: 90_000 }, async () => {
  const isp = await startIsp();
  const book = PhoneBook.parse(`5550000 busy\n5551000 tcp:127.0.0.1:${isp.addresses.ppp!.port}\n5550001 busy\n`);
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, pace: false, phoneBook: book });
  const addr = await bank.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = howtoConfig(dir);
  try {
    // One number, busy, then free: wvdial redials it.
    const a = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${addr.port}`, 'Phone=5550001']);
    await a.waitFor(/^--> The line is busy\. Trying again\.$/, 'the busy message');
    const busy = PhoneBook.parse(`5550001 tcp:127.0.0.1:${isp.addresses.ppp!.port}\n`).entries[0]!;
    book.add(busy);
    await a.waitFor(/^--> local {2}IP address /, 'IP-up after the redial');
    assert.ok(a.lines.filter((l) => l === '--> Sending: ATDT5550001').length >= 2, a.text());
    assert.ok(a.lines.includes('BUSY'), a.text());
    // The raw-PPP server speaks first: wvdial's "}!}" detection starts pppd.
    assert.ok(a.lines.includes('--> PPP negotiation detected.'), a.text());
    await stopDial(a);

    // Phone busy, Phone1 free.
    const b = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${addr.port}`, 'Phone=5550000', 'Phone1=5551000']);
    await b.waitFor(/^--> local {2}IP address /, 'IP-up on Phone1');
    const t = b.text();
    assert.ok(b.lines.includes('--> The line is busy. Trying other number.'), t);
    assert.ok(b.lines.indexOf('--> Sending: ATDT5551000') > b.lines.indexOf('--> Sending: ATDT5550000'), t);
    await stopDial(b);
  } finally {
    await bank.close();
    await isp.stop();
  }
});

test('dial: NO CARRIER gives wvdial\'s message and redials until Dial Attempts are used up (exit 0, as wvdial)', { timeout: 90_000 }, async () => {
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 1, pace: false, phoneBook: PhoneBook.parse('5552000 no-carrier\n') });
  const addr = await bank.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = howtoConfig(dir);
  try {
    const r = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${addr.port}`, 'Phone=5552000', 'Dial Attempts=2']);
    const code = await r.exit;
    const t = r.text();
    assert.equal(code, 0, t);
    assert.equal(r.lines.filter((l) => l === '--> No Carrier!  Trying again.').length, 2, t);
    assert.equal(r.lines.filter((l) => l === '--> Sending: ATDT5552000').length, 2, t);
    assert.ok(r.lines.includes('NO CARRIER'), t);
    assert.ok(r.lines.includes('--> Maximum Attempts Exceeded..Aborting!!'), t);
    assert.match(t, /--> Disconnecting at /);
  } finally {
    await bank.close();
  }
});

test('dial: Abort on Busy ends with wvdial\'s error and exit status 1', { timeout: 60_000 }, async () => {
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 1, pace: false, phoneBook: PhoneBook.parse('5550000 busy\n') });
  const addr = await bank.listen();
  const conf = howtoConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-')));
  try {
    const r = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${addr.port}`, 'Phone=5550000', 'Abort on Busy=yes']);
    assert.equal(await r.exit, 1, r.text());
    assert.ok(r.lines.includes('--> The line is busy.'), r.text());
  } finally {
    await bank.close();
  }
});

test('dial: with Auto Reconnect, a link the server ends is redialled and comes up again', { timeout: 120_000 }, async () => {
  const isp1 = await startIsp();
  const book = PhoneBook.parse(`5551000 tcp:127.0.0.1:${isp1.addresses.ppp!.port}\n`);
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 1, pace: false, phoneBook: book });
  const addr = await bank.listen();
  const conf = howtoConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-')));
  const isp2 = await startIsp();
  try {
    const r = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${addr.port}`, 'Phone=5551000', 'Stupid Mode=1']);
    await r.waitFor(/^--> local {2}IP address /, 'the first IP-up');
    book.add(PhoneBook.parse(`5551000 tcp:127.0.0.1:${isp2.addresses.ppp!.port}\n`).entries[0]!);
    await isp1.stop();
    await r.waitFor(/^--> Auto Reconnect will be attempted in 5 seconds$/, 'the reconnect notice');
    await waitUntil(() => r.lines.filter((l) => /^--> local {2}IP address /.test(l)).length >= 2, 60_000, 'the second IP-up');
    const t = r.text();
    assert.match(t, /--> The PPP daemon has died/);
    assert.equal(r.lines.filter((l) => l === '--> Initializing modem.').length, 2, t);
    await stopDial(r);
  } finally {
    await bank.close();
    await isp2.stop();
  }
});

test('dial --probe on a dialtone modem writes [Dialer Defaults] that then dials', { timeout: 90_000 }, async () => {
  const isp = await startIsp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = path.join(dir, 'wvdial.conf');
  const modem = `tcp:127.0.0.1:${isp.addresses.modem!.port}`;
  try {
    const p = runDial(['--probe', modem, '--config', conf]);
    assert.equal(await p.exit, 0, p.text());
    assert.ok(p.lines.some((l) => l.endsWith('<*1>: ATQ0 V1 E1 -- OK')), p.text());
    assert.ok(p.lines.some((l) => /<\*1>: Modem Identifier: ATI -- .+/.test(l)), p.text());
    assert.ok(p.lines.some((l) => /<\*1>: Max speed is 115200; that should be safe\.$/.test(l)), p.text());
    assert.ok(p.lines.includes(`Found a modem on ${modem}.`), p.text());
    const written = fs.readFileSync(conf, 'utf8');
    assert.match(written, /^\[Dialer Defaults\]$/m);
    assert.match(written, new RegExp(`^Modem = ${modem}$`, 'm'));
    assert.match(written, /^Init2 = ATQ0 V1 E1 S0=0 &C1 &D2 \+FCLASS=0$/m);
    assert.match(written, /^; Phone = <Target Phone Number>$/m);
    // The user fills in the account, as the HOWTO says.
    fs.appendFileSync(conf, 'Phone = 555-1212\nUsername = my_login_name\nPassword = my_login_password\n');
    const r = runDial(['-C', conf]);
    await r.waitFor(/^--> local {2}IP address /, 'IP-up with the probed config');
    assert.ok(r.lines.includes('--> Sending: ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0'), r.text());
    await stopDial(r);
  } finally {
    await isp.stop();
  }
});

test('dial: PPPD Path runs that pppd on the line with wvdial\'s options (notty on a TCP line) and reports its exit', { timeout: 60_000 }, async () => {
  const isp = await startIsp();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-dial-'));
  const conf = howtoConfig(dir);
  const argsFile = path.join(dir, 'pppd-args');
  const fake = path.join(dir, 'pppd');
  // Stands in for real pppd (which needs kernel PPP): records its arguments and the password
  // file it was given, then exits as pppd does when the modem hangs up.
  fs.writeFileSync(fake, `#!/bin/sh\necho "$@" > ${argsFile}\nwhile [ $# -gt 0 ]; do [ "$1" = file ] && cat "$2" >> ${argsFile}; shift; done\nexit 16\n`, { mode: 0o755 });
  try {
    const r = runDial(['-C', conf, `Modem=tcp:127.0.0.1:${isp.addresses.modem!.port}`, 'Stupid Mode=1', `PPPD Path=${fake}`, 'Auto Reconnect=off']);
    assert.equal(await r.exit, 0, r.text());
    const args = fs.readFileSync(argsFile, 'utf8');
    assert.match(args, /^notty defaultroute usehostname user my_login_name noipdefault noauth name wvdial usepeerdns file \S+ -detach logfd 2\n/, args);
    assert.match(args, /^password "my_login_password"$/m, 'the password reaches pppd in its private options file');
    assert.ok(r.lines.includes('--> The PPP daemon has died: A modem hung up the phone (exit code = 16)'), r.text());
    assert.doesNotMatch(r.text(), /my_login_password/);
  } finally {
    await isp.stop();
  }
});
