import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChatFile, splitSubexpects } from './script.js';

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
