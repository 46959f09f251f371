import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChatFile, splitSubexpects } from './script.js';
import { growthRatio, LINEAR_RATIO } from '../config/linear-check.js';

test('chat files: blanks separate words, quotes group them, pairs run across lines', () => {
  assert.deepEqual(parseChatFile("ABORT 'NO CARRIER'\n\"\"\tATZ\nOK\nATDT5551212\n").words, [
    'ABORT',
    'NO CARRIER',
    '',
    'ATZ',
    'OK',
    'ATDT5551212',
  ]);
});

test('only a # in column 1 starts a comment', () => {
  assert.deepEqual(parseChatFile('# x y\n  # a\n\'#\' b\n').words, ['#', 'a', '#', 'b']);
});

test('quoted words keep their backslashes; an escaped quote does not end them', () => {
  assert.deepEqual(parseChatFile("'it\\'s' \"a\\\"b\" '\\d'\n").words, ["it\\'s", 'a\\"b', '\\d']);
});

test("a closing quote ends a word: 'a b'c is two words; quotes inside a word are bytes", () => {
  assert.deepEqual(parseChatFile("'a b'c x'y\n").words, ['a b', 'c', "x'y"]);
});

test('unterminated quote: the words before it, then an error naming the line', () => {
  assert.deepEqual(parseChatFile("'' AT\nOK 'oops\nnever\n"), {
    words: ['', 'AT', 'OK'],
    error: { code: 1, message: 'unterminated quote (line 2)' },
  });
});

test('CRLF files: the CR sticks to unquoted words and becomes a word after a quoted one', () => {
  assert.deepEqual(parseChatFile("OK ATZ\r\n'' 'AT'\r\n").words, ['OK', 'ATZ\r', '', 'AT', '\r']);
});

test('lines longer than 1023 bytes are read in pieces, as fgets does', () => {
  const long = 'a'.repeat(1023) + 'b';
  assert.deepEqual(parseChatFile(`${long}\n`).words, ['a'.repeat(1023), 'b']);
});

test('no trailing newline needed; empty file is an empty script', () => {
  assert.deepEqual(parseChatFile("'' AT").words, ['', 'AT']);
  assert.deepEqual(parseChatFile('').words, []);
});

test('subexpects split at unescaped dashes', () => {
  assert.deepEqual(splitSubexpects('ogin:--ogin:'), ['ogin:', '', 'ogin:']);
  assert.deepEqual(splitSubexpects('OK-+++\\c-OK'), ['OK', '+++\\c', 'OK']);
  assert.deepEqual(splitSubexpects('a\\-b'), ['a\\-b']);
  assert.deepEqual(splitSubexpects('OK-'), ['OK']);
  assert.deepEqual(splitSubexpects('OK--'), ['OK', '']);
  assert.deepEqual(splitSubexpects('-x'), ['', 'x']);
  assert.deepEqual(splitSubexpects(''), []);
});

test('a chat file with a megabyte line and no newline splits in linear time', () => {
  // fgets reads such a line in 1023-byte pieces; the newline search used to restart at every
  // piece and scan to the end of the file, which made the split quadratic.
  const words = parseChatFile(`ABORT ${'x'.repeat(1_000_000)}`).words;
  assert.equal(words[0], 'ABORT');
  assert.equal(words.join('').length, 1_000_005);
  const ratio = growthRatio((n) => parseChatFile(`${'ab '.repeat(n)}`), 300_000);
  assert.ok(ratio < LINEAR_RATIO, `4x the input took ${ratio.toFixed(1)}x the time`);
  const oneLine = growthRatio((n) => parseChatFile('y'.repeat(n)), 2_000_000);
  assert.ok(oneLine < LINEAR_RATIO, `4x the line took ${oneLine.toFixed(1)}x the time`);
});
