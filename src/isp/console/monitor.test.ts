import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IspMonitor, LOG_LINES, LOG_LINE_MAX, RECENT_SESSIONS } from './monitor.js';
import { exitStatusWords } from './exit-status.js';

const zero = { bytesIn: 1, bytesOut: 2, framesIn: 0, framesOut: 0, ipPacketsIn: 0, ipPacketsOut: 0, framesDropped: 0 };

test("recent sessions say how they ended in pppd's words, newest first, and are bounded", () => {
  const m = new IspMonitor();
  for (let id = 1; id <= RECENT_SESSIONS + 5; id++) m.ended({ id, origin: 'tcp', startedAt: 0, upAt: 1 }, 16, zero, undefined, id);
  m.disconnecting(99);
  m.ended({ id: 99, origin: 'tcp', startedAt: 0 }, 5, zero, undefined, 1000);
  const r = m.recent();
  assert.equal(r.length, RECENT_SESSIONS);
  assert.equal(r[0]!.reason, 'terminated by signal or request (disconnected from the console)');
  assert.equal(r[1]!.reason, 'modem hangup');
  assert.equal(m.ends.get(16), RECENT_SESSIONS + 5);
  // Only the one that never reached IP up is a setup failure.
  assert.deepEqual([...m.failures], [[5, 1]]);
  assert.equal(m.gone.bytesOut, 2 * (RECENT_SESSIONS + 6));
  // A connection that never got to authenticate is counted, not listed.
  m.ended({ id: 100, origin: 'tcp', startedAt: 0 }, 10, zero, undefined, 2000, false);
  assert.equal(m.recent()[0]!.id, 99);
  assert.equal(m.failures.get(10), 1);
});

test('log lines are bounded in number and length', () => {
  const m = new IspMonitor();
  for (let i = 0; i < LOG_LINES + 10; i++) m.log(i, `line ${i}`);
  m.log(0, 'x'.repeat(LOG_LINE_MAX * 3));
  const all = m.lastLog();
  assert.equal(all.length, LOG_LINES);
  assert.equal(all.at(-1)!.message.length, LOG_LINE_MAX + 3);
  assert.equal(m.lastLog(2)[0]!.message, `line ${LOG_LINES + 9}`);
});

test('a modem call is in the getty dialog until the dialog ends', () => {
  const m = new IspMonitor();
  m.callAnswered(7, { line: 2, number: '5551000', speed: 33600 }, 10);
  assert.deepEqual(m.inDialog(2), { id: 7, since: 10 });
  m.dialogEnded(7);
  assert.equal(m.inDialog(2), undefined);
  assert.equal(m.call(7)?.speed, 33600);
});

test('every pppd exit status has words', () => {
  for (let s = 0; s <= 19; s++) assert.doesNotMatch(exitStatusWords(s), /^exit status/);
  assert.equal(exitStatusWords(42), 'exit status 42');
});
