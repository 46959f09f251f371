import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argToBinary, atoi, character, clean, visible } from './escapes.js';

const send = (s: string, ctx = {}): string => clean(s, true, ctx).text;
const expect = (s: string, ctx = {}): string => clean(s, false, ctx).text;

test('sending adds CR unless the word ends in \\c', () => {
  assert.equal(send('ATZ'), 'ATZ\r');
  assert.equal(send(''), '\r');
  assert.equal(send('ATZ\\c'), 'ATZ');
  assert.equal(send('a\\cb'), 'acb\r'); // \c elsewhere is a plain c
  assert.equal(expect('OK\\c'), 'OKc');
});

test('character escapes', () => {
  assert.equal(send('\\b\\n\\r\\s\\t\\c'), '\b\n\r \t');
  assert.equal(expect('\\b\\n\\r\\s\\t'), '\b\n\r \t');
});

test('pacing escapes stay as pairs for the sender, plain letters in expects', () => {
  assert.equal(send('\\d\\p\\K\\\\\\c'), '\\d\\p\\K\\\\');
  assert.equal(expect('\\d\\p\\K\\\\'), 'dpK\\');
});

test('octal: up to three digits; NUL only when sending (as a \\<NUL> pair)', () => {
  assert.equal(send('\\101\\1012\\c'), 'AA2');
  assert.equal(send('\\0\\c'), '\\\0');
  assert.equal(send('\\N\\c'), '\\\0');
  assert.equal(expect('a\\0b'), 'ab');
  assert.equal(expect('\\N'), 'N');
  assert.equal(send('\\134\\c'), '\\\\'); // an octal backslash is escaped for the sender
  assert.equal(send('\\777\\c'), '\xff');
  assert.equal(send('\\8\\c'), '\\8'); // not octal: sent as 8
});

test('^X control characters; ^@ vanishes; a final ^ is literal', () => {
  assert.equal(expect('^A^z^['), '\x01\x1a\x1b');
  assert.equal(expect('a^@b'), 'ab');
  assert.equal(expect('x^'), 'x^');
  assert.equal(expect('^?'), '\x1f');
});

test('\\T and \\U: numbers when sending with -T/-U, else a literal \\T', () => {
  assert.equal(send('ATDT\\T\\c', { phone: '555' }), 'ATDT555');
  assert.equal(send('ATDT\\T\\c'), 'ATDT\\T');
  assert.equal(expect('\\T', { phone: '555' }), '\\T');
  assert.equal(send('\\U\\c', { phone2: '9' }), '9');
});

test('\\q is removed and flags the word', () => {
  assert.deepEqual(clean('\\qpw', true), { text: 'pw\r', quiet: true });
  assert.deepEqual(clean('pw', true), { text: 'pw\r', quiet: false });
});

test('-E: $NAME substitution; unknown names vanish; \\$ is a dollar', () => {
  const ctx = { useEnv: true, env: { A: 'x', A_1: 'y' } };
  assert.equal(expect('$A-$A_1-$B-$-\\$', ctx), 'x-y---$');
  assert.equal(expect('$A'), '$A');
  assert.equal(expect('\\$'), '$');
  assert.equal(send('\\$\\c'), '\\$');
});

test('a trailing backslash is sent as a backslash and dropped from expects', () => {
  assert.equal(send('a\\'), 'a\\\\\r');
  assert.equal(expect('a\\'), 'a');
});

test('unknown escapes: the character itself (with its backslash kept for the sender)', () => {
  assert.equal(expect('\\~\\-\\x'), '~-x');
  assert.equal(send('\\~\\c'), '\\~');
});

test('visible() is chat\'s %v', () => {
  assert.equal(visible('AT\r\n\t\x7f\x80\xff'), 'AT^M^J\t^?M-^@M-^?');
  assert.equal(visible('a\0b'), 'a');
  assert.equal(visible('a\0b', 3), 'a^@b');
});

test('character() is chat\'s echo form', () => {
  assert.equal(character(1), '^A');
  assert.equal(character(127), '^?');
  assert.equal(character(0xc1), 'M-A');
  assert.equal(character(65), 'A');
});

test('atoi like glibc', () => {
  assert.equal(atoi('45'), 45);
  assert.equal(atoi('  7x'), 7);
  assert.equal(atoi('-3'), -3);
  assert.equal(atoi('x'), 0);
  assert.equal(atoi('4294967297'), 1);
});

test('argv words are their UTF-8 bytes', () => {
  assert.equal(argToBinary('é'), '\xc3\xa9');
});

test('words without escapes pass through; sends gain exactly a CR', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'abcXYZ019 :,.+&#@!~-'.split('')) }), (s) => {
      assert.equal(expect(s), s);
      assert.equal(send(s), s + '\r');
    }),
  );
});
