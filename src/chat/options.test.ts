import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type ChatCommandLine } from './options.js';

function ok(args: string[]): ChatCommandLine {
  const r = parseCommandLine(args);
  assert.ok(r.ok, `expected ${JSON.stringify(args)} to parse`);
  return r.cmd;
}
const usage = (args: string[]): void => assert.deepEqual(parseCommandLine(args), { ok: false, usage: true });

test('flags, bundled or not', () => {
  const c = ok(['-vsS', '-e', '-E', '-V', "''", 'ATZ']);
  assert.equal(c.verbose && c.toStderr && !c.toSyslog && c.echo && c.useEnv && c.stderrVerbose, true);
  assert.deepEqual(c.words, ["''", 'ATZ']);
});

test('option arguments glued or separate; the next word whatever it looks like', () => {
  const c = ok(['-t5', '-T', '-123', '-U99', '-f', 'x.chat']);
  assert.equal(c.timeout, 5);
  assert.equal(c.phone, '-123');
  assert.equal(c.phone2, '99');
  assert.equal(c.chatFile, 'x.chat');
  assert.equal(ok(['-vt', '7']).timeout, 7);
  assert.equal(ok(['-t', 'abc']).timeout, 0);
});

test('options stop at the first word, at "-" and after "--"', () => {
  assert.deepEqual(ok(['', '-v']).words, ['', '-v']);
  assert.deepEqual(ok(['-', 'x']).words, ['-', 'x']);
  assert.deepEqual(ok(['--', '-v']).words, ['-v']);
  assert.equal(ok(['ABORT', '-v']).verbose, false);
});

test('usage errors', () => {
  usage(['-x']);
  usage(['-t']);
  usage(['-f']);
  usage(['-T']);
  usage(['-f', 'a', 'extra']);
  usage(['--x']);
});

test('-r: each one opened in turn; "Opening" only when -v came first; a missing argument is ignored', () => {
  assert.deepEqual(ok(['-r', 'a', '-v', '-r', 'b']).reportFiles, [
    { path: 'a', verboseWhenOpened: false },
    { path: 'b', verboseWhenOpened: true },
  ]);
  const c = ok(['-v', '-r']);
  assert.deepEqual(c.reportFiles, []);
  assert.deepEqual(c.words, []);
});
