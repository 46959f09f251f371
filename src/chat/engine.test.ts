import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChatEngine, chatTimestamp, type ChatAction, type ChatEngineOptions } from './engine.js';
import { parseChatFile } from './script.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** A modem rule: when the line (everything sent so far) ends with `on`, reply `reply` after `after` ms. */
interface Rule {
  on: string;
  reply: string;
  after?: number;
}

interface Sim {
  code: number | undefined;
  /** Bytes on the line. */
  line: string;
  /** [time, byte] for every byte written. */
  sendTimes: Array<[number, string]>;
  log: string[];
  errors: string[];
  stderr: string;
  reports: string;
  breaks: number[];
  endTime: number;
  actions: Array<[number, ChatAction]>;
}

/**
 * Run an engine on a virtual clock against a rule-driven modem. Inputs can also be scheduled at
 * fixed times; `files` answers @file requests; `until` bounds the run.
 */
function simulate(
  words: string[] | ReturnType<typeof parseChatFile>,
  options: ChatEngineOptions = {},
  modem: { rules?: Rule[]; at?: Array<[number, string]>; files?: Record<string, string>; endAt?: number; until?: number } = {},
): Sim {
  const e = new ChatEngine(words, { formatTime: () => 'Jan 01 00:00:00 ', ...options });
  const sim: Sim = { code: undefined, line: '', sendTimes: [], log: [], errors: [], stderr: '', reports: '', breaks: [], endTime: 0, actions: [] };
  const rules = [...(modem.rules ?? [])];
  const pending: Array<[number, string | null]> = (modem.at ?? []).map(([t, s]) => [t, s]);
  if (modem.endAt !== undefined) pending.push([modem.endAt, null]);
  let now = 0;
  const until = modem.until ?? 600_000;
  const performAll = (): void => {
    for (let a = e.takeAction(); a; a = e.takeAction()) {
      sim.actions.push([now, a]);
      switch (a.type) {
        case 'send':
          for (const b of a.data) sim.sendTimes.push([now, String.fromCharCode(b)]);
          sim.line += str(a.data);
          for (let i = 0; i < rules.length; i++) {
            if (sim.line.endsWith(rules[i]!.on)) {
              pending.push([now + (rules[i]!.after ?? 5), rules[i]!.reply]);
              rules.splice(i, 1);
              break;
            }
          }
          break;
        case 'log':
          (a.level === 'error' ? sim.errors : sim.log).push(a.message);
          break;
        case 'echo':
        case 'say':
          sim.stderr += str(a.data);
          break;
        case 'report':
          sim.reports += str(a.data);
          break;
        case 'break':
          sim.breaks.push(now);
          break;
        case 'readFile': {
          const f = modem.files?.[a.path];
          e.fileData(f === undefined ? { error: 'No such file or directory' } : { data: latin1(f) }, now);
          break;
        }
        case 'done':
          sim.code = a.code;
          sim.endTime = now;
          break;
        case 'hangup':
          break;
      }
    }
  };
  e.start(now);
  performAll();
  while (!e.finished && now <= until) {
    pending.sort((a, b) => a[0] - b[0]);
    const d = e.nextDeadline();
    const nextInput = pending[0]?.[0];
    const next = Math.min(d ?? Infinity, nextInput ?? Infinity);
    if (next === Infinity) break;
    now = Math.max(now, next);
    if (nextInput !== undefined && nextInput <= now) {
      const [, data] = pending.shift()!;
      if (data === null) e.end(now, 'eof');
      else e.input(latin1(data), now);
    } else {
      e.tick(now);
    }
    performAll();
  }
  return sim;
}

test('a plain dial: paced bytes, CR added, exit 0', () => {
  const s = simulate(['', 'ATZ', 'OK', 'ATDT5551212', 'CONNECT', ''], {}, {
    rules: [
      { on: 'ATZ\r', reply: 'ATZ\r\r\nOK\r\n' },
      { on: 'ATDT5551212\r', reply: '\r\nCONNECT 9600\r\n', after: 100 },
    ],
  });
  assert.equal(s.code, 0);
  assert.equal(s.line, 'ATZ\rATDT5551212\r\r');
  // chat sleeps 10 ms before every byte it writes
  assert.deepEqual(
    s.sendTimes.slice(0, 4).map(([t]) => t),
    [10, 20, 30, 40],
  );
  assert.deepEqual(s.log, []);
});

test('verbose transcript wording matches chat', () => {
  const s = simulate(['ABORT', 'BUSY', 'TIMEOUT', '5', '', 'ATZ', 'OK', ''], { verbose: true }, {
    rules: [{ on: 'ATZ\r', reply: 'ATZ\r\r\nOK\r\n' }],
  });
  assert.equal(s.code, 0);
  assert.deepEqual(s.log, [
    'abort on (BUSY)',
    'timeout set to 5 seconds',
    'send (ATZ^M)',
    'expect (OK)',
    'ATZ^M^M',
    'OK',
    ' -- got it\n',
    'send (^M)',
  ]);
});

test('timeout: exit 3 exactly `timeout` seconds after the expect starts', () => {
  const s = simulate(['TIMEOUT', '2', '', 'AT', 'OK', 'x'], { verbose: true });
  assert.equal(s.code, 3);
  const sentAt = s.sendTimes[s.sendTimes.length - 1]![0]; // the CR at 30 ms
  assert.equal(sentAt, 30);
  assert.equal(s.endTime, 30 + 2000);
  assert.deepEqual(s.log.slice(-2), ['alarm', 'Failed']);
});

test('the default timeout is 45 s; -t 0 waits forever', () => {
  assert.equal(simulate(['OK', 'x']).endTime, 45_000);
  const e = new ChatEngine(['OK', 'x'], { timeout: 0 });
  e.start(0);
  e.drain();
  assert.equal(e.nextDeadline(), undefined);
  // TIMEOUT 0 in the script means the default, not "forever"
  assert.equal(simulate(['TIMEOUT', '0', 'OK', 'x'], { timeout: 0 }).endTime, 45_000);
});

test('subexpect: ogin:--ogin: sends CR after the first timeout', () => {
  const s = simulate(['TIMEOUT', '1', 'ogin:--ogin:', 'ppp'], {}, { rules: [{ on: '\r', reply: 'login:' }] });
  assert.equal(s.code, 0);
  assert.equal(s.line, '\rppp\r');
  assert.equal(s.sendTimes[0]![0], 1010);
});

test("subexpect: 'OK-+++\\c-OK' sends +++ without CR; failing twice exits 3", () => {
  const s = simulate(['TIMEOUT', '1', 'OK-+++\\c-OK', 'ATH0']);
  assert.equal(s.code, 3);
  assert.equal(s.line, '+++');
  assert.equal(s.endTime, 1000 + 30 + 1000);
});

test("'OK--': after a timeout the empty sub-send goes out and the expect counts as met", () => {
  const s = simulate(['TIMEOUT', '1', 'OK--', 'next']);
  assert.equal(s.code, 0);
  assert.equal(s.line, '\rnext\r');
});

test('ABORT strings give 4 + index; CLR_ABORT packs the list (renumbering)', () => {
  const modemSays = (w: string): Rule[] => [{ on: 'ATD\r', reply: `\r\n${w}\r\n` }];
  const script = ['ABORT', 'BUSY', 'ABORT', 'NO CARRIER', 'ABORT', 'ERROR', '', 'ATD', 'CONNECT', ''];
  assert.equal(simulate(script, {}, { rules: modemSays('BUSY') }).code, 4);
  assert.equal(simulate(script, {}, { rules: modemSays('NO CARRIER') }).code, 5);
  assert.equal(simulate(script, {}, { rules: modemSays('ERROR') }).code, 6);
  const cleared = ['ABORT', 'BUSY', 'ABORT', 'NO CARRIER', 'ABORT', 'ERROR', 'CLR_ABORT', 'BUSY', '', 'ATD', 'CONNECT', ''];
  assert.equal(simulate(cleared, {}, { rules: modemSays('ERROR') }).code, 5);
  assert.equal(simulate(cleared, {}, { rules: modemSays('BUSY') }).code, 3 /* BUSY no longer aborts: timeout */);
  const s = simulate(script, { verbose: true, timeout: 1 }, { rules: modemSays('NO CARRIER') });
  assert.deepEqual(s.log.slice(-3), ['NO CARRIER', ' -- failed', 'Failed (NO CARRIER)']);
});

test('CLR_ABORT keeps a later duplicate (chat shrinks its loop bound as it removes)', () => {
  const script = ['ABORT', 'A1', 'ABORT', 'B2', 'ABORT', 'A1', 'CLR_ABORT', 'A1', '', 'AT', 'OK', ''];
  assert.equal(simulate(script, {}, { rules: [{ on: 'AT\r', reply: 'A1' }] }).code, 5);
});

test("ABORT '' aborts on any byte; a too-long ABORT is fatal (exit 1)", () => {
  assert.equal(simulate(['ABORT', '', '', 'AT', 'OK', ''], {}, { rules: [{ on: 'AT\r', reply: 'x' }] }).code, 4);
  const s = simulate(['ABORT', 'x'.repeat(50), '', 'AT']);
  assert.equal(s.code, 1);
  assert.equal(s.line, '');
  assert.match(s.errors[0]!, /^Illegal or too-long ABORT string \('x{50}'\)$/);
});

test('escapes on the line: \\d waits 1 s, \\p 10 ms, \\K breaks, \\c drops the CR, \\N sends NUL', () => {
  const s = simulate(['', 'A\\dB\\pC\\KD\\NE\\c'], { verbose: true });
  assert.equal(s.code, 0);
  assert.equal(s.line, 'ABCD\0E');
  const times = s.sendTimes.map(([t]) => t);
  // A at 10; \d to 1010; B at 1020; \p to 1030; C at 1040; break; D at 1050; NUL at 1060; E at 1070
  assert.deepEqual(times, [10, 1020, 1040, 1050, 1060, 1070]);
  assert.deepEqual(s.breaks, [1040]);
  // the log shows chat's cleaned string, up to the NUL
  assert.deepEqual(s.log, ['send (A\\dB\\pC\\KD\\)']);
});

test('\\q hides a send in the log; EOT and BREAK words', () => {
  const s = simulate(['', '\\qsecret', '', 'EOT', '', 'BREAK'], { verbose: true });
  assert.equal(s.line, 'secret\r\x04');
  assert.deepEqual(s.log, ['send (??????)', 'send (^D)', 'send (\\K)']);
  assert.equal(s.breaks.length, 1);
});

test('-T/-U substitute only in sends; -E substitutes $VARS everywhere', () => {
  const s = simulate(['', 'ATDT\\T\\U', '\\T', ''], { phone: '555', phone2: '9' }, { rules: [{ on: 'ATDT5559\r', reply: '\\T' }] });
  assert.equal(s.code, 0);
  assert.equal(s.line, 'ATDT5559\r\r');
  const e = simulate(['', 'ATDT$N', '$R', 'ok'], { useEnv: true, env: { N: '42', R: 'CONNECT' } }, { rules: [{ on: 'ATDT42\r', reply: 'CONNECT' }] });
  assert.equal(e.code, 0);
  assert.equal(e.line, 'ATDT42\rok\r');
});

test('input that arrives early waits in the line buffer; bytes after a match stay for the next expect', () => {
  const s = simulate(['', 'AT', 'OK', '', 'CONNECT', 'x'], {}, { at: [[1, '\r\nOK\r\nCONNECT\r\n']] });
  assert.equal(s.code, 0);
  assert.equal(s.line, 'AT\r\rx\r');
});

test('chunking of the input does not matter', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 30 }), (cuts) => {
      const reply = 'ATZ\r\r\nRING\r\nOK\r\nogin: \r\nPassword:';
      const at: Array<[number, string]> = [];
      let pos = 0;
      let t = 100;
      for (const c of cuts) {
        if (pos >= reply.length) break;
        at.push([t, reply.slice(pos, pos + c)]);
        pos += c;
        t += 7;
      }
      if (pos < reply.length) at.push([t, reply.slice(pos)]);
      const s = simulate(['ABORT', 'BUSY', '', 'ATZ', 'OK', 'x', 'ogin:', 'u', 'ssword:', 'p'], { verbose: true }, { at });
      const whole = simulate(['ABORT', 'BUSY', '', 'ATZ', 'OK', 'x', 'ogin:', 'u', 'ssword:', 'p'], { verbose: true }, { at: [[100, reply]] });
      assert.equal(s.code, 0);
      assert.equal(s.line, whole.line);
      assert.deepEqual(s.log, whole.log);
    }),
    { numRuns: 60 },
  );
});

test('end of input: warning, expect fails at once (a sub-send still goes out)', () => {
  const s = simulate(['TIMEOUT', '10', 'ogin:--ogin:', 'ppp'], {}, { endAt: 50 });
  assert.equal(s.code, 3);
  assert.equal(s.line, '\r');
  assert.equal(s.endTime, 60);
  assert.deepEqual(s.log, ['warning: read() on stdin returned 0', 'warning: read() on stdin returned 0', 'Failed']);
});

test('a send longer than the timeout allows is cut by the alarm (exit 1)', () => {
  const s = simulate(['TIMEOUT', '1', '', 'x'.repeat(150)], { verbose: true });
  assert.equal(s.code, 1);
  assert.equal(s.line, 'x'.repeat(100));
  // the alarm goes off while the 100th byte is being written; the next write gives up
  assert.deepEqual(s.log.slice(-2), ['alarm', ' -- write timed out']);
  assert.deepEqual(s.errors, ['Failed']);
  assert.equal(s.endTime, 1000);
});

test('REPORT: line gathered up to a control character; at exit chat waits 1 s for the rest', () => {
  const s = simulate(['REPORT', 'CONNECT', '', 'ATD', 'CONNECT', '\\c', 'ogin:', 'x'], {}, {
    rules: [{ on: 'ATD\r', reply: '\r\nCONNECT 57600/ARQ\r\nlogin:' }],
  });
  assert.equal(s.code, 0);
  assert.equal(s.reports, 'chat:  Jan 01 00:00:00 CONNECT 57600/ARQ\n');
  const t = simulate(['REPORT', 'CONNECT', '', 'ATD', 'CONNECT', ''], { verbose: true, reportFile: 'r.txt' }, {
    rules: [{ on: 'ATD\r', reply: '\r\nCONNECT 9600' }],
  });
  assert.equal(t.code, 0);
  assert.equal(t.reports, 'chat:  Jan 01 00:00:00 CONNECT 9600\nClosing "r.txt".\n');
  // ATD<CR> is written by 40 ms, the modem answers at 45, the CR of the final '' goes out at 55;
  // then one idle second for the rest of the report line
  assert.equal(t.endTime, 55 + 1000);
  assert.equal(t.log.at(-1), 'alarm');
});

test('REPORT strings fire once; CLR_REPORT removes them', () => {
  const script = ['REPORT', 'CONNECT', '', 'ATD', 'CONNECT', '', 'CONNECT', ''];
  const s = simulate(script, {}, { rules: [{ on: 'ATD\r', reply: 'CONNECT 1\r\n' }, { on: 'ATD\r\r', reply: 'CONNECT 2\r\n' }] });
  assert.equal(s.code, 0);
  assert.equal(s.reports, 'chat:  Jan 01 00:00:00 CONNECT 1\n');
  const c = simulate(['REPORT', 'CONNECT', 'CLR_REPORT', 'CONNECT', '', 'ATD', 'CONNECT', ''], {}, { rules: [{ on: 'ATD\r', reply: 'CONNECT 1\r\n' }] });
  assert.equal(c.reports, '');
});

test('report time stamps look like strftime("%b %d %H:%M:%S ")', () => {
  assert.equal(chatTimestamp(new Date(2024, 0, 5, 7, 8, 9)), 'Jan 05 07:08:09 ');
});

test('@file: the engine asks, the answer is sent; a missing file is fatal (exit 1)', () => {
  const s = simulate(['', '@pw', '', '@  pw', '', '@'], { verbose: true }, { files: { pw: 'se\\qcret\n' } });
  assert.equal(s.code, 0);
  assert.equal(s.line, 'secret\rsecret\r@\r');
  assert.deepEqual(s.log, ['send (??????)', 'send (??????)', 'send (@^M)']);
  const m = simulate(['', '@nope', '', 'x'], {}, {});
  assert.equal(m.code, 1);
  assert.equal(m.line, '');
  assert.deepEqual(m.errors, ['nope -- open failed: No such file or directory']);
});

test('SAY writes the cleaned string (with its CR) to stderr; ECHO and -V copy input', () => {
  const s = simulate(['SAY', 'hi\\n', 'ECHO', 'ON', '', 'AT', 'OK', '', 'SAY', 'bye\\c'], {}, { rules: [{ on: 'AT\r', reply: '\x01OK' }] });
  assert.equal(s.code, 0);
  // (the newline chat owes the echoed line comes only at exit)
  assert.equal(s.stderr, 'hi\n\r^AOKbye\n');
  const v = simulate(['', 'AT', 'OK', ''], { stderrVerbose: true }, { rules: [{ on: 'AT\r', reply: 'AT\r\r\nOK' }] });
  assert.equal(v.stderr, 'AT\nOK');
});

test('verbose received-text log: lines, blank lines, 80-column pieces, 7-bit', () => {
  const s = simulate(['', 'go', 'END', ''], { verbose: true }, { rules: [{ on: 'go\r', reply: 'y'.repeat(85) + '\r\n\n\xc1END' }] });
  assert.deepEqual(s.log.slice(2, 7), ['y'.repeat(80), 'yyyyy^M', '', 'AEND', ' -- got it\n']);
});

test('signals: SIGINT/SIGTERM exit 2; SIGHUP ignored after HANGUP OFF', () => {
  const e = new ChatEngine(['OK', 'x']);
  e.start(0);
  e.signal('SIGTERM', 5);
  const acts = e.drain();
  assert.deepEqual(acts, [{ type: 'log', level: 'error', message: 'SIGTERM' }, { type: 'done', code: 2 }]);

  const h = new ChatEngine(['HANGUP', 'OFF', 'OK', 'x']);
  h.start(0);
  assert.deepEqual(h.drain(), [{ type: 'hangup', enabled: false }]);
  h.signal('SIGHUP', 10);
  assert.equal(h.finished, false);
  h.signal('SIGINT', 20);
  assert.equal(h.exitStatus, 2);
});

test('a failed write ends chat with exit 1 before it goes on', () => {
  const e = new ChatEngine(['', 'AT', 'OK', 'x'], { verbose: true, charDelayMs: 0 });
  e.start(0);
  assert.deepEqual(e.takeAction(), { type: 'log', level: 'info', message: 'send (AT^M)' });
  assert.equal(e.takeAction()?.type, 'send');
  e.writeFailed('Input/output error', 0);
  assert.deepEqual(e.drain(), [
    { type: 'log', level: 'info', message: ' -- write failed: Input/output error' },
    { type: 'log', level: 'error', message: 'Failed' },
    { type: 'done', code: 1 },
  ]);
});

test('charDelayMs 0 writes a send in one piece', () => {
  const e = new ChatEngine(['', 'ATZ'], { charDelayMs: 0 });
  e.start(0);
  const acts = e.drain();
  assert.equal(acts.length, 1);
  assert.deepEqual(acts[0], { type: 'send', data: latin1('ATZ\r') });
  assert.deepEqual(e.drain(), [{ type: 'done', code: 0 }]);
});

test('a script file error is raised after the words before it', () => {
  const script = parseChatFile("'' AT\nOK 'broken\n");
  const s = simulate(script, {}, { rules: [{ on: 'AT\r', reply: 'OK' }] });
  assert.equal(s.code, 1);
  assert.equal(s.line, 'AT\r');
  assert.deepEqual(s.errors, ['unterminated quote (line 2)']);
});

test('an empty expect logs nothing; an empty subexpect part logs "got it"', () => {
  assert.deepEqual(simulate(['', 'a'], { verbose: true }).log, ['send (a^M)']);
  assert.deepEqual(simulate(['-x', 'a'], { verbose: true }).log, ['expect ()', 'got it', 'send (a^M)']);
});

test('an expect string longer than 1024 bytes fails with exit 1', () => {
  const s = simulate(['y'.repeat(1025), 'x']);
  assert.equal(s.code, 1);
  assert.deepEqual(s.log, ['expect string is too long', 'Failed']);
});

test('a match after more than 1024 received bytes still works', () => {
  const noise = 'z'.repeat(3000);
  const s = simulate(['', 'go', 'CONNECT', ''], {}, { rules: [{ on: 'go\r', reply: noise + 'CONN' }], at: [[500, 'ECT']] });
  assert.equal(s.code, 0);
});
