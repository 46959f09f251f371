import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModemProbe, type ProbeResult } from './probe.js';
import { updateSection } from './conf-write.js';

/** Runs the probe on a virtual clock against `answer(command, speed)` (undefined: silence). */
function runProbe(answer: (cmd: string, speed: number) => string | undefined) {
  const p = new ModemProbe({ name: 'ttyS1' });
  const log: string[] = [];
  let now = 0;
  let speed = 0;
  let result: ProbeResult | undefined;
  let done = false;
  p.start(now);
  for (let guard = 0; guard < 1000 && !done; guard++) {
    const acts = p.takeActions();
    for (const a of acts) {
      if (a.type === 'log') log.push(a.text);
      else if (a.type === 'speed') speed = a.bps;
      else if (a.type === 'done') {
        done = true;
        result = a.result;
      } else {
        const cmd = a.data.toString('latin1').replace(/\r$/, '');
        const r = answer(cmd, speed);
        if (r !== undefined) p.input(Buffer.from(`${cmd}\r\r\n${r}\r\n`, 'latin1'), ++now);
      }
    }
    if (!acts.length && !done) {
      now = p.nextDeadline() ?? now;
      p.tick(now);
    }
  }
  return { log, result, speed };
}

test('probe: wvdialconf\'s stages and lines (the PPP-HOWTO\'s scan, without its modem-specific S11)', () => {
  const { log, result, speed } = runProbe((cmd) => (cmd === 'ATI' ? '28800\r\n\r\nOK' : 'OK'));
  assert.deepEqual(log, [
    'ttyS1<*1>: ATQ0 V1 E1 -- OK',
    'ttyS1<*1>: ATQ0 V1 E1 Z -- OK',
    'ttyS1<*1>: ATQ0 V1 E1 S0=0 -- OK',
    'ttyS1<*1>: ATQ0 V1 E1 S0=0 &C1 -- OK',
    'ttyS1<*1>: ATQ0 V1 E1 S0=0 &C1 &D2 -- OK',
    'ttyS1<*1>: ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0 -- OK',
    'ttyS1<*1>: Modem Identifier: ATI -- 28800',
    'ttyS1<*1>: Speed 4800: AT -- OK',
    'ttyS1<*1>: Speed 9600: AT -- OK',
    'ttyS1<*1>: Speed 19200: AT -- OK',
    'ttyS1<*1>: Speed 38400: AT -- OK',
    'ttyS1<*1>: Speed 57600: AT -- OK',
    'ttyS1<*1>: Speed 115200: AT -- OK',
    'ttyS1<*1>: Max speed is 115200; that should be safe.',
    'ttyS1<*1>: ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0 -- OK',
    'ttyS1<Info>: Speed 115200; init "ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0"',
  ]);
  assert.deepEqual(result, { baud: 115200, init: 'ATQ0 V1 E1 S0=0 &C1 &D2 +FCLASS=0', identifier: '28800' });
  assert.equal(speed, 115200);
});

test('probe: a command the modem refuses is left out; the top speed is the last that answered', () => {
  const { result } = runProbe((cmd, speed) => (speed > 38400 ? undefined : cmd.includes('+FCLASS') ? 'ERROR' : 'OK'));
  assert.deepEqual(result, { baud: 38400, init: 'ATQ0 V1 E1 S0=0 &C1 &D2', identifier: undefined });
});

test('probe: nothing at 2400, 9600 and 115200 gives up (no modem)', () => {
  const { log, result } = runProbe(() => undefined);
  assert.equal(result, undefined);
  assert.ok(log.includes('ttyS1<*1>: failed with 2400 baud, next try: 9600 baud'));
  assert.ok(log.includes('ttyS1<*1>: and failed too at 115200, giving up.'));
});

test('probe: a modem that answers only at 9600 is found at 9600 and stepped up from there', () => {
  const { result } = runProbe((_c, speed) => (speed >= 9600 && speed <= 19200 ? 'OK' : undefined));
  assert.equal(result?.baud, 19200);
});

test('the config update keeps other sections, comments and keys, and changes only what the probe found', () => {
  const before = '# mine\n[Dialer Defaults]\nModem = /dev/ttyS0\nPhone = 123\n\n[Dialer night]\nPhone = 456\n';
  const after = updateSection(before, 'Dialer Defaults', [['Modem', '/dev/ttyS1'], ['Baud', '115200']]);
  assert.equal(after, '# mine\n[Dialer Defaults]\nModem = /dev/ttyS1\nPhone = 123\nBaud = 115200\n\n[Dialer night]\nPhone = 456\n');
  assert.equal(updateSection('', 'Dialer Defaults', [['Modem', 'x']]), '[Dialer Defaults]\nModem = x\n');
});
