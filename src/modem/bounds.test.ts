import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HayesModem, MAX_COMMAND_LINE, MAX_DIAL_STRING, MAX_HELD_REMOTE, type ModemOutput } from './hayes.js';
import { TelnetFilter, MAX_SUBNEGOTIATION, IAC, SB, SE, OPT_COM_PORT } from './telnet.js';

const text = (outs: ModemOutput[]): string =>
  outs.map((o) => (o.type === 'dte' ? Buffer.from(o.data).toString('latin1') : '')).join('');

test('flooding ATD<digits>; answers OK until the number would pass MAX_DIAL_STRING, then ERROR; the modem keeps a bounded number', () => {
  const m = new HayesModem();
  m.fromDte('ATE0\r', 0);
  const digits = '1234567890'.repeat(5); // 50 digits a line, as in the report
  const results: string[] = [];
  let maxPrefix = 0;
  let t = 1;
  for (let i = 0; i < 20_000; i++) {
    // 20,000 lines of 55 bytes: 1.1 MB of input
    results.push(text(m.fromDte(`ATD${digits};\r`, t++)).trim());
    const r = m.retained;
    maxPrefix = Math.max(maxPrefix, r.dialPrefix);
    assert.ok(r.commandLine <= MAX_COMMAND_LINE && r.lastLine <= MAX_COMMAND_LINE && r.lastDial <= MAX_DIAL_STRING);
    assert.equal(r.pendingOutput, 0);
  }
  // 5 x 50 digits fit in 255; the sixth extension would not: ERROR, and the number starts over.
  assert.deepEqual(results.slice(0, 12), ['OK', 'OK', 'OK', 'OK', 'OK', 'ERROR', 'OK', 'OK', 'OK', 'OK', 'OK', 'ERROR']);
  assert.equal(maxPrefix, 250);
  assert.ok(maxPrefix <= MAX_DIAL_STRING);
  assert.equal(m.phase, 'command');
  // After all that, a normal dial still works and carries the number dialled.
  const outs = m.fromDte('ATH\rATDT5551000\r', t++);
  const dial = outs.find((o) => o.type === 'dial');
  assert.ok(dial && dial.type === 'dial');
});

test('a command line longer than MAX_COMMAND_LINE answers ERROR at its CR and keeps at most MAX_COMMAND_LINE characters', () => {
  const m = new HayesModem();
  m.fromDte('ATE0\r', 0);
  m.fromDte(`AT${'S0=1'.repeat(100_000)}`, 1);
  assert.equal(m.retained.commandLine, MAX_COMMAND_LINE);
  assert.equal(text(m.fromDte('\r', 2)), '\r\nERROR\r\n');
  assert.equal(m.sreg(0), 0); // nothing of the overlong line was executed
  // 252 characters: within the bound, executed.
  assert.equal(text(m.fromDte(`AT${'S0=1'.repeat(63)}\r`, 3)), '\r\nOK\r\n');
  assert.equal(m.sreg(0), 1);
});

test('echoing one large write copies each byte a fixed number of times (output merging is linear)', () => {
  // The echo of each byte used to be merged by copying the whole run so far: 200 KB took 40 s.
  // Count: the output for n bytes is one chunk of exactly n bytes, and the modem retains none.
  const m = new HayesModem();
  const n = 1_000_000;
  const outs = m.fromDte(new Uint8Array(n).fill(0x78), 0);
  assert.equal(outs.length, 1);
  assert.equal(outs[0]!.type, 'dte');
  assert.equal((outs[0] as { data: Uint8Array }).data.length, n);
  assert.equal(m.retained.pendingOutput, 0);
});

test('the command-mode idle timer drops a DTE that sends nothing, on the modem clock; typing and calls restart it', () => {
  const m = new HayesModem({ commandIdleMs: 60_000 });
  const t0 = 5_000_000;
  m.tick(t0);
  assert.equal(m.nextDeadline(), t0 + 60_000);
  m.fromDte('AT\r', t0 + 30_000); // typing restarts the timer
  assert.equal(m.nextDeadline(), t0 + 90_000);
  assert.deepEqual(m.tick(t0 + 89_999).filter((o) => o.type === 'idle'), []);
  assert.deepEqual(m.tick(t0 + 90_000).filter((o) => o.type === 'idle'), [{ type: 'idle' }]);
  assert.equal(m.nextDeadline(), undefined); // reported once
  m.fromDte('A', t0 + 100_000);
  assert.equal(m.nextDeadline(), t0 + 160_000); // any byte re-arms it
  // In a call the timer does not run (S30 governs calls).
  const d = m.fromDte('TDT5551000\r', t0 + 101_000).find((o) => o.type === 'dial');
  assert.ok(d);
  m.connected(t0 + 102_000);
  assert.equal(m.nextDeadline(), undefined);
  m.remoteHangup(t0 + 500_000);
  assert.equal(m.nextDeadline(), t0 + 560_000); // counted from the end of the call
  // Off by default.
  assert.equal(new HayesModem().nextDeadline(), undefined);
});

test('an unterminated telnet subnegotiation keeps at most MAX_SUBNEGOTIATION bytes and is ignored when it ends', () => {
  const f = new TelnetFilter('on');
  f.start();
  const flood = new Uint8Array(100_000).fill(0x41);
  f.receive(Uint8Array.of(IAC, SB, OPT_COM_PORT, 5));
  for (let i = 0; i < 10; i++) f.receive(flood);
  assert.equal(f.retained, MAX_SUBNEGOTIATION);
  const r = f.receive(Uint8Array.of(IAC, SE, 0x42));
  assert.equal(f.retained, 0);
  assert.deepEqual([...r.data], [0x42]);
  assert.deepEqual(r.events, []);
});

test('far-end data flooding a modem in online command mode is held up to MAX_HELD_REMOTE bytes and counted beyond', () => {
  const m = new HayesModem();
  m.fromDte('ATE0DT1\r', 0);
  m.connected(1);
  m.fromDte('+++', 2000);
  m.tick(4000);
  assert.equal(m.phase, 'online-command');
  const chunk = new Uint8Array(1000).fill(0x61);
  for (let i = 0; i < 1000; i++) m.fromRemote(chunk, 4001 + i);
  assert.equal(m.retained.heldRemote, MAX_HELD_REMOTE);
  assert.equal(m.heldDropped, 1_000_000 - MAX_HELD_REMOTE);
});
