// The dialer state machine on a virtual clock against a scripted modem: wvdial's sequence of
// lines and redials, its timers (the 5 s init wait, the dial timeout, Auto Reconnect's
// doubling), and its exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyConf, loadConf, resolveOptions, type DialOptions } from './config.js';
import { Dialer } from './dialer.js';

function options(extra = ''): DialOptions {
  const conf = loadConf(emptyConf(), `[Dialer Defaults]\nModem = tcp:127.0.0.1:1\nInit2 = ATQ0 V1 E1\nPhone = 5551000\nUsername = fred\nPassword = wilma\n${extra}`);
  return resolveOptions(conf, ['Dialer Defaults']);
}

/** A Hayes modem that echoes and answers; `dial` says what each ATD gets. */
class Harness {
  now = 1_000_000;
  out: string[] = [];
  sent: string[] = [];
  events: string[] = [];
  exit: number | undefined;
  opened = 0;
  answerInit: (cmd: string) => string | undefined = () => 'OK';
  dial: string[] = [];
  /** After CONNECT: what the server answers to each thing we send. */
  server: Record<string, string> = {};
  constructor(readonly d: Dialer) {}

  run(untilMs = 600_000): void {
    const end = this.now + untilMs;
    this.pump();
    while (this.exit === undefined && this.d.phase !== 'online') {
      const at = this.d.nextDeadline();
      if (at === undefined || at > end) break;
      this.now = Math.max(this.now, at);
      this.d.tick(this.now);
      this.pump();
    }
  }

  pump(): void {
    for (;;) {
      const acts = this.d.takeActions();
      if (!acts.length) return;
      for (const a of acts) {
        switch (a.type) {
          case 'log':
            this.out.push(`--> ${a.text}`);
            break;
          case 'modem':
            this.out.push(a.text);
            break;
          case 'open':
            this.opened++;
            this.d.opened(this.now);
            break;
          case 'hangup':
            this.events.push('hangup');
            break;
          case 'start-pppd':
            this.events.push('start-pppd');
            break;
          case 'exit':
            this.exit = a.code;
            break;
          case 'write': {
            const s = a.data.toString('latin1');
            this.sent.push(s);
            this.reply(s);
            break;
          }
        }
      }
    }
  }

  private reply(s: string): void {
    const cmd = s.replace(/\r$/, '');
    if (!cmd.startsWith('AT')) {
      const next = this.server[s];
      if (next !== undefined) this.feed(next);
      return;
    }
    if (cmd.startsWith('ATD')) {
      const r = this.dial.shift();
      if (r !== undefined) this.feed(`${cmd}\r\r\n${r}\r\n`);
      return;
    }
    const r = this.answerInit(cmd);
    if (r !== undefined) this.feed(`${cmd}\r\r\n${r}\r\n`);
  }

  feed(text: string): void {
    this.now += 1;
    this.d.input(Buffer.from(text, 'latin1'), this.now);
  }
}

test('stupid mode: init, dial, CONNECT, pppd at once — wvdial\'s lines in order', () => {
  const d = new Dialer(options('Stupid Mode = 1\n'), { formatTime: () => 'TIME' });
  const h = new Harness(d);
  h.dial = ['CONNECT 33600'];
  d.start(h.now);
  h.run();
  assert.deepEqual(h.out, [
    '--> WvDial: Internet dialer version 1.61',
    '--> Initializing modem.',
    '--> Sending: ATZ',
    'ATZ',
    'OK',
    '--> Sending: ATQ0 V1 E1',
    'ATQ0 V1 E1',
    'OK',
    '--> Modem initialized.',
    '--> Sending: ATDT5551000',
    '--> Waiting for carrier.',
    'ATDT5551000',
    'CONNECT 33600',
    '--> Carrier detected.  Starting PPP immediately.',
    '--> Starting pppd at TIME',
  ]);
  assert.equal(h.sent[0], '\r\r\r\r\r');
  assert.deepEqual(h.events, ['start-pppd']);
  d.pppdStarted(42);
  assert.deepEqual(d.takeActions(), [{ type: 'log', text: 'Pid of pppd: 42' }]);
});

test('login mode: login, password, a shell prompt gets "ppp", PPP seen starts pppd', () => {
  const d = new Dialer(options(), { formatTime: () => 'TIME' });
  const h = new Harness(d);
  h.dial = ['CONNECT 28800\r\nWelcome\r\nlogin: '];
  h.server = { '\r': '\r\nlogin: ', 'fred\r': 'fred\r\nPassword: ', 'wilma\r': '\r\n$ ', 'ppp\r': 'ppp\r\n~\xff}#\xc0!}!}!} }4}"' };
  d.start(h.now);
  h.run();
  const tail = h.out.filter((l) => l.startsWith('-->')).slice(-8);
  assert.deepEqual(tail, [
    '--> Carrier detected.  Waiting for prompt.',
    '--> Looks like a login prompt.',
    '--> Sending: fred',
    '--> Looks like a password prompt.',
    '--> Sending: (password)',
    '--> Hmm... a prompt.  Sending "ppp".',
    '--> PPP negotiation detected.',
    '--> Starting pppd at TIME',
  ]);
  assert.ok(h.sent.includes('fred\r') && h.sent.includes('wilma\r') && h.sent.includes('ppp\r'));
  assert.ok(!h.out.some((l) => l.includes('wilma')), 'the password is never logged');
});

test('a silent server: CRs each second, then "Don\'t know what to do!" and pppd', () => {
  const d = new Dialer(options(), { formatTime: () => 'TIME' });
  const h = new Harness(d);
  h.dial = ['CONNECT'];
  d.start(h.now);
  const t0 = h.now;
  h.run();
  assert.ok(h.out.includes('--> Don\'t know what to do!  Starting pppd and hoping for the best.'));
  assert.ok(h.sent.filter((s) => s === '\r').length >= 20, 'prodded with CR');
  assert.ok(h.now - t0 >= 30_000, 'waited the 30 s wvdial waits for any text');
});

test('BUSY redials the same number forever (not counted), then NO CARRIER counts; Dial Attempts ends with 0', () => {
  const d = new Dialer(options('Dial Attempts = 2\n'));
  const h = new Harness(d);
  h.dial = ['BUSY', 'BUSY', 'BUSY', 'NO CARRIER', 'NO CARRIER'];
  d.start(h.now);
  h.run();
  assert.equal(h.out.filter((l) => l === '--> The line is busy. Trying again.').length, 3);
  assert.equal(h.out.filter((l) => l === '--> No Carrier!  Trying again.').length, 1);
  assert.equal(h.out.filter((l) => l === '--> Sending: ATDT5551000').length, 4);
  assert.ok(h.out.includes('--> Maximum Attempts Exceeded..Aborting!!'));
  assert.equal(h.exit, 0);
  // Between attempts: three CRs.
  const i = h.sent.indexOf('ATDT5551000\r');
  assert.deepEqual(h.sent.slice(i + 1, i + 4), ['\r', '\r', '\r']);
});

test('BUSY on Phone tries Phone1, then back to Phone', () => {
  const d = new Dialer(options('Phone1 = 5552000\nDial Attempts = 1\n'));
  const h = new Harness(d);
  h.dial = ['BUSY', 'BUSY', 'NO CARRIER'];
  d.start(h.now);
  h.run();
  assert.deepEqual(h.out.filter((l) => /busy|Sending: ATD/.test(l)), [
    '--> Sending: ATDT5551000',
    '--> The line is busy. Trying other number.',
    '--> Sending: ATDT5552000',
    '--> The line is busy. Trying again.',
    '--> Sending: ATDT5551000',
  ]);
});

test('Abort on Busy, Abort on No Dialtone (default on), ERROR: wvdial\'s errors, exit 1', () => {
  for (const [extra, reply, msg] of [
    ['Abort on Busy = 1\n', 'BUSY', '--> The line is busy.'],
    ['', 'NO DIALTONE', '--> No dial tone.'],
    ['', 'ERROR', '--> Invalid dial command.'],
  ] as const) {
    const d = new Dialer(options(extra));
    const h = new Harness(d);
    h.dial = [reply];
    d.start(h.now);
    h.run();
    assert.ok(h.out.includes(msg), `${reply}: ${h.out.join('\n')}`);
    assert.equal(h.exit, 1);
  }
  const d = new Dialer(options('Abort on No Dialtone = no\nDial Attempts = 1\n'));
  const h = new Harness(d);
  h.dial = ['NO DIAL TONE'];
  d.start(h.now);
  h.run();
  assert.ok(h.out.includes('--> No dial tone.  Trying again in 5 seconds.'));
});

test('no answer to the dial command within Dial Timeout: "Timed out while dialing.  Trying again."', () => {
  const d = new Dialer(options('Dial Timeout = 30\nDial Attempts = 1\n'));
  const h = new Harness(d);
  d.start(h.now);
  const t0 = h.now;
  h.run();
  assert.ok(h.out.includes('--> Timed out while dialing.  Trying again.'));
  assert.ok(h.now - t0 >= 30_000);
  assert.equal(h.exit, 0);
});

test('a modem that does not answer an init string: ATQ0, Re-Sending, "Modem not responding.", exit 1', () => {
  const d = new Dialer(options());
  const h = new Harness(d);
  h.answerInit = () => undefined;
  d.start(h.now);
  h.run();
  assert.deepEqual(h.out.slice(2, 6), ['--> Sending: ATZ', '--> Sending: ATQ0', '--> Re-Sending: ATZ', '--> Modem not responding.']);
  assert.equal(h.exit, 1);
});

test('ERROR to an init string: "Bad init string.", tried 3 times with the line reopened', () => {
  const d = new Dialer(options());
  const h = new Harness(d);
  h.answerInit = (c) => (c === 'ATQ0 V1 E1' ? 'ERROR' : 'OK');
  d.start(h.now);
  h.run();
  assert.equal(h.out.filter((l) => l === '--> Bad init string.').length, 3);
  assert.equal(h.opened, 3);
  assert.equal(h.exit, 1);
});

test('missing account keys are wvdial\'s configuration errors after the init', () => {
  const conf = loadConf(emptyConf(), '[Dialer Defaults]\nModem = tcp:127.0.0.1:1\n');
  const d = new Dialer(resolveOptions(conf, ['Dialer Defaults']));
  const h = new Harness(d);
  d.start(h.now);
  h.run();
  assert.deepEqual(h.out.slice(-4, -1), [
    '--> Configuration does not specify a valid phone number.',
    '--> Configuration does not specify a valid login name.',
    '--> Configuration does not specify a valid password.',
  ]);
  assert.equal(h.exit, 1);
});

test('Auto Reconnect: 5 s, then doubling while calls are short; reset after a call of 45 s; fatal exits stop it', () => {
  const d = new Dialer(options('Stupid Mode = 1\n'), { formatTime: () => 'T' });
  const h = new Harness(d);
  h.dial = ['CONNECT', 'CONNECT', 'CONNECT', 'CONNECT'];
  d.start(h.now);
  h.run();
  const delays: string[] = [];
  for (const callMs of [1000, 1000, 60_000]) {
    h.now += callMs;
    d.pppdExited({ status: 16 }, h.now);
    h.pump();
    delays.push(h.out.filter((l) => l.startsWith('--> Auto Reconnect')).pop()!);
    assert.ok(h.out.includes('--> The PPP daemon has died: A modem hung up the phone (exit code = 16)'));
    const t = h.now;
    h.run();
    assert.equal(d.phase, 'online');
    assert.ok(h.now - t >= Number(/in (\d+) seconds/.exec(delays.at(-1)!)![1]) * 1000);
  }
  assert.deepEqual(delays, [
    '--> Auto Reconnect will be attempted in 5 seconds',
    '--> Auto Reconnect will be attempted in 10 seconds',
    '--> Auto Reconnect will be attempted in 5 seconds',
  ]);
  assert.equal(h.opened, 4, 'the line is reopened and the modem initialised for each redial');
  d.pppdExited({ status: 10 }, h.now);
  h.pump();
  assert.ok(h.out.includes('--> The PPP daemon has died: PPP negotiation failed (exit code = 10)'));
  assert.ok(h.out.includes('--> I guess that\'s it for now, exiting'));
  assert.equal(h.exit, 0);
});

test('a failed authentication is reported in wvdial\'s words', () => {
  const d = new Dialer(options('Stupid Mode = 1\nAuto Reconnect = 0\n'));
  const h = new Harness(d);
  h.dial = ['CONNECT'];
  d.start(h.now);
  h.run();
  d.pppdExited({ status: 19, authFailed: true }, h.now);
  h.pump();
  assert.deepEqual(h.out.slice(-4), [
    h.out.find((l) => l.startsWith('--> Disconnecting at'))!,
    '--> Authentication error.',
    '--> We failed to authenticate ourselves to the peer.',
    '--> Maybe bad account or password?',
  ]);
  assert.equal(h.exit, 0);
});

test('Idle Seconds turns Auto Reconnect off, as wvdial says at start', () => {
  const d = new Dialer(options('Idle Seconds = 300\n'));
  d.start(0);
  assert.ok(d.takeActions().some((a) => a.type === 'log' && a.text === 'Idle Seconds = 300, disabling automatic reconnect.'));
  assert.equal(d.opts.autoReconnect, false);
});

test('bytes from a hostile line are bounded and never crash the dialer', () => {
  const d = new Dialer(options());
  const h = new Harness(d);
  h.dial = ['CONNECT'];
  d.start(h.now);
  h.run(2000);
  for (let i = 0; i < 200; i++) h.feed(String.fromCharCode(...Array.from({ length: 1000 }, (_, j) => (i * 31 + j * 7) & 0xff)).replace(/}!}|!}!/g, 'xx'));
  h.pump();
  assert.ok(h.out.every((l) => l.length <= 4096));
});
