import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ModemOutput } from './hayes.js';
import { Rig } from './testing/rig.js';
import { factoryNvram } from './sregs.js';

test('AT answers OK with echo, verbose framing', () => {
  const r = new Rig();
  r.type('AT\r');
  assert.equal(r.take(), 'AT\r\r\nOK\r\n');
});

test('init strings of chat, mgetty, wvdialconf and Windows 9x DUN all get OK', () => {
  const lines = [
    'ATZ',
    'AT&F',
    'ATM0',
    'ATH0',
    'ATQ0V1E1S0=0&C1&D2+FCLASS=0',
    'ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0', // wvdialconf
    'ATQ0V1H0', // mgetty
    'ATS0=0Q0&D3&C1', // mgetty
    'ATS0=0V1Q0&D3&C1',
    'ATE0V1', // Windows 9x
    'AT&FE0V1&C1&D2S95=47S0=0', // Windows 9x
    'ATS7=60S30=0L0M1\\N3%C1&K3B0B15X4', // Windows 9x
    'AT&F&C1&D2',
    'AT+MS=V34',
    'AT+MS=11,1,300,33600',
    'AT\\N3',
    'AT%C1',
    'ATW2',
    'ATS7=60',
    'AT&K4',
    'AT&K0',
    'AT&S0',
    'AT&S1',
    'ATL3M2',
    'ATX3',
    'AT&F1',
    'AT+FCLASS=0;+ES=3,0,2',
    'AT&Q5\\V1%E2',
  ];
  for (const line of lines) {
    const r = new Rig();
    r.cmd('ATE0');
    assert.equal(r.cmd(line), '\r\nOK\r\n', line);
  }
  // DUN's dial command: accepted (a dial request, no ERROR); with ';' it answers OK at once.
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATDT5551212'), '');
  assert.deepEqual(r.takeRequests().map((o) => o.type), ['dial']);
  r.fail('no-carrier');
  assert.equal(r.cmd('ATDT5551212;'), '\r\nOK\r\n');
});

test('unknown commands and bad arguments answer ERROR, and nothing on that line is applied', () => {
  const bad = ['ATJ', 'AT#CID=2', 'AT+FCLASS=1', 'AT+VCID=2', 'AT#FOO', 'ATX9', 'AT&K2', 'ATS256=1', 'ATS3=200', 'ATE2', 'AT&Z9=1', 'AT*', 'ATI10'];
  for (const line of bad) {
    const r = new Rig();
    r.cmd('ATE0');
    assert.equal(r.cmd(line), '\r\nERROR\r\n', line);
  }
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATV0J'), '\r\nERROR\r\n'); // V0 not applied: still verbose
  assert.equal(r.cmd('ATS7=60J'), '\r\nERROR\r\n');
  assert.equal(r.m.sreg(7), 50);
});

test('case-insensitive, spaces ignored, several commands per line', () => {
  const r = new Rig();
  r.cmd('at e0');
  assert.equal(r.cmd('aT v0 q0 s7 = 45 s7?'), '045\r\n0\r');
  assert.equal(r.m.profile.verbose, false);
});

test('numeric results (V0) and verbose (V1)', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATV0'), '0\r');
  assert.equal(r.cmd('ATJ'), '4\r');
  assert.equal(r.cmd('ATDT123'), '');
  r.connect(33600);
  assert.equal(r.take(), '84\r');
  r.hangupFromRemote();
  assert.equal(r.take(), '3\r');
  assert.equal(r.cmd('ATV1'), '\r\nOK\r\n');
});

test('Q1 suppresses results but not information text', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATQ1'), '');
  assert.equal(r.cmd('ATS0?'), '\r\n000\r\n');
  assert.equal(r.cmd('ATJ'), '');
});

test('echo follows E, and backspace (S5) edits the line', () => {
  const r = new Rig();
  r.type('ATV0Q\b\r');
  assert.equal(r.take(), 'ATV0Q\b \b\r0\r');
  r.type('ATE0\r');
  r.take();
  r.type('AT\r');
  assert.equal(r.take(), '\r\nOK\r\n'.replace('\r\nOK\r\n', '0\r'));
  // Backspacing over the T and retyping it still makes a command.
  r.type('AT\bT\r');
  assert.equal(r.take(), '0\r');
});

test('text before AT is ignored; a bare CR does nothing; A/ repeats the last line', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('hello'), '');
  assert.equal(r.cmd(''), '');
  r.cmd('ATS7=33');
  r.cmd('ATS7=40');
  r.take();
  r.type('A/');
  assert.equal(r.take(), '\r\nOK\r\n');
  assert.equal(r.m.sreg(7), 40);
  assert.equal(r.cmd('ATS7=33S7?'), '\r\n033\r\n\r\nOK\r\n');
  r.type('a/');
  assert.equal(r.take(), '\r\n033\r\n\r\nOK\r\n');
});

test('an over-long command line answers ERROR', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd(`AT${'E0'.repeat(200)}`), '\r\nERROR\r\n');
  assert.equal(r.cmd('AT'), '\r\nOK\r\n');
});

test('dial, CONNECT with speed per X, DCD follows carrier, data flows both ways', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATDT 555-1212'), '');
  const reqs = r.takeRequests();
  assert.equal(reqs.length, 1);
  assert.equal(reqs[0]!.type, 'dial');
  assert.equal(reqs[0]!.type === 'dial' && reqs[0]!.number, '5551212');
  assert.equal(r.m.phase, 'dialing');
  r.connect(28800);
  assert.equal(r.take(), '\r\nCONNECT 28800\r\n');
  assert.deepEqual(r.dcdChanges, [true]);
  assert.equal(r.m.phase, 'online');
  r.type('hello', 10);
  assert.equal(r.remoteText, 'hello');
  r.remote('world');
  assert.equal(r.take(), 'world');

  const x0 = new Rig({ connectSpeed: 14400 });
  x0.cmd('ATE0X0');
  x0.cmd('ATD1');
  x0.connect();
  assert.equal(x0.take(), '\r\nCONNECT\r\n');
});

test('+++ with guard time before and after returns to command mode; ATO goes back online', () => {
  const r = new Rig().online();
  r.type('data', 100);
  r.type('+++', 1000);
  assert.equal(r.m.phase, 'online');
  assert.equal(r.m.nextDeadline(), r.t + 1000);
  r.wait(999);
  assert.equal(r.m.phase, 'online');
  r.wait(1);
  assert.equal(r.m.phase, 'online-command');
  assert.equal(r.take(), '\r\nOK\r\n');
  // The escape characters were sent on as data, as on a real modem.
  assert.equal(r.remoteText, 'data+++');
  // Far-end bytes are held in online command mode and follow ATO's CONNECT.
  r.remote('held');
  assert.equal(r.take(), '');
  assert.equal(r.cmd('ATO'), '\r\nCONNECT 33600\r\nheld');
  assert.equal(r.m.phase, 'online');
  r.remote('kept');
  assert.equal(r.take(), 'kept');
  // A second escape works the same way.
  r.type('+++', 1500).wait(1000);
  assert.equal(r.m.phase, 'online-command');
});

test('+++ typed one character at a time within the guard time escapes', () => {
  const r = new Rig().online();
  r.type('+', 2000).type('+', 200).type('+', 200).wait(1000);
  assert.equal(r.m.phase, 'online-command');
});

test('+++ without the guard time before it does not escape', () => {
  const r = new Rig().online();
  r.type('x+++', 2000).wait(5000);
  assert.equal(r.m.phase, 'online');
  r.type('abc', 0).type('+++', 500).wait(5000); // only 0.5 s of silence before
  assert.equal(r.m.phase, 'online');
  assert.equal(r.take(), '');
});

test('+++ followed by data within the guard time does not escape', () => {
  const r = new Rig().online();
  r.type('+++', 2000).type('ATH\r', 500).wait(5000);
  assert.equal(r.m.phase, 'online');
  assert.equal(r.remoteText, '+++ATH\r');
  assert.equal(r.takeRequests().length, 0);
});

test('++++ (four escape characters) and slow +s do not escape', () => {
  const r = new Rig().online();
  r.type('++++', 2000).wait(5000);
  assert.equal(r.m.phase, 'online');
  r.type('+', 2000).type('+', 1200).type('+', 1200).wait(5000);
  assert.equal(r.m.phase, 'online');
});

test('S2 changes the escape character, S2>127 disables escape, S12 the guard time', () => {
  const r = new Rig();
  r.cmd('ATE0S2=45S12=10');
  r.cmd('ATD1');
  r.connect();
  r.type('---', 300).wait(199);
  assert.equal(r.m.phase, 'online');
  r.wait(1);
  assert.equal(r.m.phase, 'online-command');

  const off = new Rig();
  off.cmd('ATE0S2=200');
  off.cmd('ATD1');
  off.connect();
  off.type('+++', 2000).wait(5000);
  assert.equal(off.m.phase, 'online');

  const zero = new Rig();
  zero.cmd('ATE0S12=0');
  zero.cmd('ATD1');
  zero.connect();
  zero.take();
  zero.type('abc+++AT\r', 0);
  assert.equal(zero.m.phase, 'online-command');
  assert.equal(zero.take(), '\r\nOK\r\n\r\nOK\r\n');
  assert.equal(zero.remoteText, 'abc+++');
});

test('ATH in online command mode hangs up', () => {
  const r = new Rig().online();
  r.type('+++', 2000).wait(1000);
  r.take();
  assert.equal(r.cmd('ATH'), '\r\nOK\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(r.m.phase, 'command');
  assert.deepEqual(r.dcdChanges, [true, false]);
  assert.equal(r.cmd('ATO'), '\r\nERROR\r\n');
  assert.equal(r.cmd('ATH0'), '\r\nOK\r\n');
  assert.deepEqual(r.takeRequests(), []);
});

test('NO CARRIER when the far end hangs up mid-call (online and online command)', () => {
  const r = new Rig().online();
  r.hangupFromRemote();
  assert.equal(r.take(), '\r\nNO CARRIER\r\n');
  assert.equal(r.m.phase, 'command');
  assert.deepEqual(r.takeRequests(), []);
  assert.deepEqual(r.dcdChanges, [true, false]);

  const c = new Rig().online();
  c.type('+++', 2000).wait(1000);
  c.take();
  c.hangupFromRemote();
  assert.equal(c.take(), '\r\nNO CARRIER\r\n');
  assert.equal(c.cmd('AT'), '\r\nOK\r\n');
});

test('DTR drop: &D2 hangs up, &D1 goes to command mode, &D0 ignores, &D3 resets', () => {
  const d2 = new Rig().online();
  d2.dtr(false);
  assert.deepEqual(d2.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(d2.take(), '\r\nNO CARRIER\r\n');
  assert.equal(d2.m.phase, 'command');
  assert.equal(d2.m.dcd, false);

  const d1 = new Rig();
  d1.cmd('ATE0&D1');
  d1.cmd('ATD1');
  d1.connect();
  d1.take();
  d1.dtr(false);
  assert.equal(d1.m.phase, 'online-command');
  assert.equal(d1.take(), '\r\nOK\r\n');
  d1.dtr(true);
  assert.equal(d1.cmd('ATO'), '\r\nCONNECT 33600\r\n');

  const d0 = new Rig();
  d0.cmd('ATE0&D0');
  d0.cmd('ATD1');
  d0.connect();
  d0.dtr(false);
  assert.equal(d0.m.phase, 'online');

  const d3 = new Rig();
  d3.cmd('ATE0&D3V0');
  d3.cmd('ATD1');
  d3.connect();
  d3.takeRequests();
  d3.dtr(false);
  assert.deepEqual(d3.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(d3.m.phase, 'command');
  // Reset to the stored (factory) profile: echo and verbose are back.
  assert.equal(d3.m.profile.echo, true);
  assert.equal(d3.m.profile.verbose, true);
});

test('with DTR off and &D2, the modem does not auto-answer', () => {
  const r = new Rig();
  r.cmd('ATE0S0=1');
  r.dtr(false);
  r.ring();
  assert.equal(r.take(), '\r\nRING\r\n');
  assert.deepEqual(r.takeRequests(), []);
  r.dtr(true);
  r.wait(6000).ring();
  assert.deepEqual(r.takeRequests(), [{ type: 'answer' }]);
});

test('BUSY, NO ANSWER, NO DIALTONE and their X-level fallbacks', () => {
  const cases: Array<[string, 'busy' | 'no-answer' | 'no-dialtone', string]> = [
    ['X4', 'busy', 'BUSY'],
    ['X3', 'busy', 'BUSY'],
    ['X2', 'busy', 'NO CARRIER'],
    ['X0', 'busy', 'NO CARRIER'],
    ['X4', 'no-answer', 'NO ANSWER'],
    ['X1', 'no-answer', 'NO CARRIER'],
    ['X4', 'no-dialtone', 'NO DIALTONE'],
    ['X2', 'no-dialtone', 'NO DIALTONE'],
    ['X3', 'no-dialtone', 'NO CARRIER'],
  ];
  for (const [x, reason, text] of cases) {
    const r = new Rig();
    r.cmd(`ATE0${x}`);
    r.cmd('ATDT5550000');
    r.fail(reason);
    assert.equal(r.take(), `\r\n${text}\r\n`, `${x} ${reason}`);
    assert.equal(r.m.phase, 'command');
  }
  const n = new Rig();
  n.cmd('ATE0V0');
  n.cmd('ATD1');
  n.fail('busy');
  assert.equal(n.take(), '7\r');
  n.cmd('ATD1');
  n.fail('no-answer');
  assert.equal(n.take(), '8\r');
  n.cmd('ATD1');
  n.fail('no-dialtone');
  assert.equal(n.take(), '6\r');
});

test('S7 expiry while dialling gives NO CARRIER and a hangup request; a keypress aborts', () => {
  const r = new Rig();
  r.cmd('ATE0S7=5');
  r.cmd('ATD1');
  r.takeRequests();
  r.wait(4999);
  assert.equal(r.m.phase, 'dialing');
  r.wait(1);
  assert.equal(r.take(), '\r\nNO CARRIER\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);

  // CR LF line ends (and telnet CR NUL) do not abort the dial they end.
  r.type('ATD1\r\n\0');
  assert.equal(r.m.phase, 'dialing');
  r.takeRequests();
  r.type('x', 100);
  assert.equal(r.take(), '\r\nNO CARRIER\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
  // A connect that arrives after the abort is ignored.
  r.connect();
  assert.equal(r.m.phase, 'command');
  assert.equal(r.take(), '');
});

test('S0=2 answers after two rings: RING RING then CONNECT', () => {
  const r = new Rig();
  r.cmd('ATE0S0=2');
  r.ring();
  assert.equal(r.take(), '\r\nRING\r\n');
  assert.equal(r.m.sreg(1), 1);
  assert.deepEqual(r.takeRequests(), []);
  r.wait(6000).ring();
  assert.equal(r.take(), '\r\nRING\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'answer' }]);
  assert.equal(r.m.phase, 'answering');
  r.wait(500).connect(33600);
  assert.equal(r.take(), '\r\nCONNECT 33600\r\n');
  assert.equal(r.m.phase, 'online');
  assert.equal(r.m.sreg(1), 0);
});

test('S0=0: RING, then ATA answers; S1 counts rings and clears after 8 s without one', () => {
  const r = new Rig();
  r.cmd('ATE0');
  r.ring().wait(6000).ring().wait(6000).ring();
  assert.equal(r.take(), '\r\nRING\r\n'.repeat(3));
  assert.equal(r.cmd('ATS1?'), '\r\n003\r\n\r\nOK\r\n');
  assert.deepEqual(r.takeRequests(), []);
  r.wait(8000);
  assert.equal(r.m.sreg(1), 0);
  r.ring();
  r.take();
  assert.equal(r.cmd('ATA'), '');
  assert.deepEqual(r.takeRequests(), [{ type: 'answer' }]);
  r.connect(9600);
  assert.equal(r.take(), '\r\nCONNECT 9600\r\n');
  assert.equal(r.cmd('ATA'), ''); // online: ATA is data, not a command
});

test('ATA with nobody calling times out after S7 with NO CARRIER', () => {
  const r = new Rig();
  r.cmd('ATE0S7=3');
  r.cmd('ATA');
  assert.deepEqual(r.takeRequests(), [{ type: 'answer' }]);
  r.wait(3000);
  assert.equal(r.take(), '\r\nNO CARRIER\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
});

test('the caller giving up clears the ring count', () => {
  const r = new Rig();
  r.cmd('ATE0S0=2');
  r.ring();
  r.hangupFromRemote();
  assert.equal(r.m.sreg(1), 0);
  r.ring();
  assert.deepEqual(r.takeRequests(), []);
});

test('&V shows profiles and stored numbers; I0-I9 answer; identity commands', () => {
  const r = new Rig({ info: { 7: ['line 2', 'number 5551002'] } });
  r.cmd('ATE0');
  r.cmd('AT&Z0=5551234');
  const v = r.cmd('AT&V');
  assert.match(v, /^\r\nACTIVE PROFILE:\r\nE0 L1 M1 Q0 T V1 X4 &C1 &D2 &K3 &S0\r\n/);
  assert.match(v, /S00:000 S01:000 S02:043 S03:013 S04:010 S05:008 S06:002 S07:050\r\n/);
  assert.match(v, /STORED PROFILE 0:\r\nE1 /);
  assert.match(v, /STORED PROFILE 1:/);
  assert.match(v, /&Z0=5551234\r\n&Z1=\r\n/);
  assert.ok(v.endsWith('\r\nOK\r\n'));
  assert.equal(r.cmd('ATI0'), '\r\n33600\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATI'), '\r\n33600\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATI3'), '\r\ndialtone virtual modem 0.1.0\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATI2'), '\r\nOK\r\n');
  assert.equal(r.cmd('ATI7'), '\r\nline 2\r\nnumber 5551002\r\n\r\nOK\r\n');
  for (let i = 0; i <= 9; i++) assert.ok(r.cmd(`ATI${i}`).endsWith('\r\nOK\r\n'), `I${i}`);
  assert.equal(r.cmd('AT+GMI'), '\r\ndialtone\r\n\r\nOK\r\n');
  assert.equal(r.cmd('AT+FCLASS?'), '\r\n0\r\n\r\nOK\r\n');
  assert.equal(r.cmd('AT+FCLASS=?'), '\r\n0\r\n\r\nOK\r\n');
  r.cmd('ATV0');
  assert.equal(r.cmd('ATI4'), 'dialtone Hayes-compatible virtual modem\r\n0\r');
});

test('S-registers: set, query, range, unknown registers are storable', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('ATS7?'), '\r\n050\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATS7=60S7?'), '\r\n060\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATS95=47S95?'), '\r\n047\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATS7=256'), '\r\nERROR\r\n');
  // Old Hayes style: select with Sn, then ? / =.
  assert.equal(r.cmd('ATS8?'), '\r\n002\r\n\r\nOK\r\n');
  assert.equal(r.cmd('ATS8=4'), '\r\nOK\r\n');
  assert.equal(r.cmd('ATS8 ?'), '\r\n004\r\n\r\nOK\r\n');
});

test('stored numbers: &Zn=, &Zn?, DS=n, DL', () => {
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('AT&Z1=555-4321'), '\r\nOK\r\n');
  assert.equal(r.cmd('AT&Z1?'), '\r\n555-4321\r\n\r\nOK\r\n');
  r.cmd('ATDS=1');
  let reqs = r.takeRequests();
  assert.equal(reqs[0]!.type === 'dial' && reqs[0]!.number, '5554321');
  r.fail('busy');
  r.take();
  r.cmd('ATDL');
  reqs = r.takeRequests();
  assert.equal(reqs[0]!.type === 'dial' && reqs[0]!.number, '5554321');
  r.fail('busy');
  r.cmd('ATDTS1');
  reqs = r.takeRequests();
  assert.equal(reqs[0]!.type === 'dial' && reqs[0]!.number, '5554321');
  r.fail('busy');
  assert.equal(r.cmd('ATDS=2'), '\r\nERROR\r\n'); // empty slot
  const fresh = new Rig();
  fresh.cmd('ATE0');
  assert.equal(fresh.cmd('ATDL'), '\r\nERROR\r\n'); // nothing dialled yet
});

test('dial strings: modifiers, host names, ; continues dialling', () => {
  const r = new Rig();
  r.cmd('ATE0');
  const dial = (line: string): ModemOutput => {
    r.cmd(line);
    const [req] = r.takeRequests();
    r.fail('no-carrier');
    r.take();
    return req!;
  };
  const p = dial('ATDP 9,W(301) 555-1212');
  assert.ok(p.type === 'dial');
  assert.deepEqual({ number: p.number, kind: p.dial.kind, pulse: p.dial.pulse }, { number: '93015551212', kind: 'number', pulse: true });
  const h = dial('ATDT 127.0.0.1:2323');
  assert.equal(h.type === 'dial' && h.number, '127.0.0.1:2323');
  assert.equal(h.type === 'dial' && h.dial.kind, 'host');
  const b = dial('ATDTbbs.example.org');
  assert.equal(b.type === 'dial' && b.number, 'bbs.example.org');
  assert.equal(r.cmd('ATD555;'), '\r\nOK\r\n');
  assert.equal(r.m.phase, 'command');
  const c = dial('ATD1212');
  assert.equal(c.type === 'dial' && c.number, '5551212');
});

test('&W stores, ATZ recalls, &F restores factory, NVRAM survives a new instance', () => {
  const nvram = factoryNvram();
  const r = new Rig({ nvram });
  r.cmd('ATE0V0S0=3&W');
  r.cmd('ATV1E1S0=0');
  r.take();
  r.type('ATZ\r');
  assert.equal(r.take(), 'ATZ\r0\r'); // echo with the old settings, result with the stored ones
  assert.equal(r.m.sreg(0), 3);
  assert.equal(r.m.profile.echo, false);
  assert.equal(r.cmd('AT&F'), '\r\nOK\r\n');
  assert.equal(r.m.sreg(0), 0);
  r.cmd('ATE0');
  r.cmd('ATX1&W1');
  r.cmd('ATZ0');
  assert.equal(r.m.profile.resultLevel, 4);
  r.cmd('ATZ1');
  assert.equal(r.m.profile.resultLevel, 1);
  r.cmd('AT&Y1&Z2=777');

  const again = new Rig({ nvram });
  assert.equal(again.m.profile.resultLevel, 1); // power-up profile 1
  again.cmd('ATE0');
  assert.equal(again.cmd('AT&Z2?'), '\r\n777\r\n\r\nOK\r\n');
});

test('ATZ while online-command hangs up; the rest of the line is ignored', () => {
  const r = new Rig().online();
  r.type('+++', 2000).wait(1000);
  r.take();
  r.takeRequests();
  r.type('ATZS7=99\r');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(r.m.sreg(7), 50);
  assert.equal(r.m.phase, 'command');
});

test('&C0 keeps DCD on; &C1 makes it follow the carrier', () => {
  const r = new Rig();
  assert.equal(r.m.dcd, false);
  r.cmd('AT&C0');
  assert.deepEqual(r.dcdChanges, [true]);
  r.cmd('ATD1');
  r.connect();
  r.hangupFromRemote();
  assert.deepEqual(r.dcdChanges, [true]);
  r.cmd('AT&C1');
  assert.deepEqual(r.dcdChanges, [true, false]);
});

test('S30 inactivity timer hangs up after S30 x 10 s without data', () => {
  const r = new Rig();
  r.cmd('ATE0S30=1');
  r.cmd('ATD1');
  r.connect();
  r.take();
  r.takeRequests();
  r.wait(9000).remote('x').wait(9000);
  assert.equal(r.m.phase, 'online');
  r.wait(1000);
  assert.equal(r.take(), 'x\r\nNO CARRIER\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
});

test('property: arbitrary command-mode input never throws and leaves a working modem', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 10 }), (lines) => {
      const r = new Rig();
      r.cmd('ATE0');
      for (const l of lines) {
        // No dials (they leave command mode) and no S-registers (S3/S5 would redefine CR/BS).
        const body = l.replace(/[\r\n\bdDsS]/g, '');
        r.cmd(`AT${body}`);
      }
      r.type('\r'); // aborts an ATA that a random line may have started
      assert.ok(r.cmd('AT&FE0').endsWith('\r\nOK\r\n'));
    }),
  );
});

test('property: online data without a silent guard never leaves online mode', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 999 })), { maxLength: 30 }), (chunks) => {
      const r = new Rig().online();
      r.type('x', 0);
      for (const [bytes, gap] of chunks) {
        r.t += gap;
        r.m.fromDte(bytes, r.t);
        r.wait(0);
      }
      r.wait(999);
      assert.equal(r.m.phase, 'online');
    }),
  );
});
