import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PhoneBook, PhoneBookError, parseTarget } from './phonebook.js';
import { normalizeNumber, parseDialString, splitHostPort } from './dialstring.js';

test('dial strings: phone numbers, modifiers, stored, last, hosts', () => {
  assert.deepEqual(parseDialString('T 555-1212'), { kind: 'number', number: '5551212', slot: 0, pulse: false, returnToCommand: false });
  assert.deepEqual(parseDialString('P9,W(301)555-1212;'), {
    kind: 'number',
    number: '93015551212',
    slot: 0,
    pulse: true,
    returnToCommand: true,
  });
  assert.equal(parseDialString('*70,+1555').number, '*70+1555');
  assert.equal(parseDialString('S=2').kind, 'stored');
  assert.equal(parseDialString('TS2').slot, 2);
  assert.equal(parseDialString('L').kind, 'last');
  assert.equal(parseDialString('').number, '');
  assert.deepEqual(
    (({ kind, number }) => ({ kind, number }))(parseDialString('T 127.0.0.1:2323')),
    { kind: 'host', number: '127.0.0.1:2323' },
  );
  assert.equal(parseDialString('Tbbs.Example.org').number, 'bbs.Example.org');
  assert.equal(parseDialString('T bbs').kind, 'host');
});

test('number normalisation and host:port splitting', () => {
  assert.equal(normalizeNumber('(301) 555-1212'), '3015551212');
  assert.equal(normalizeNumber('T5551212'), '5551212');
  assert.equal(normalizeNumber('BBS'), 'bbs');
  assert.deepEqual(splitHostPort('example.org:23'), { host: 'example.org', port: 23 });
  assert.deepEqual(splitHostPort('example.org'), { host: 'example.org', port: undefined });
  assert.deepEqual(splitHostPort('[::1]:2323'), { host: '::1', port: 2323 });
  assert.equal(splitHostPort('example.org:http'), undefined);
  assert.equal(splitHostPort('example.org:70000'), undefined);
});

test('targets', () => {
  assert.deepEqual(parseTarget('line:3'), { kind: 'line', line: 3 });
  assert.deepEqual(parseTarget('tcp:127.0.0.1:2323'), { kind: 'tcp', host: '127.0.0.1', port: 2323 });
  assert.deepEqual(parseTarget('tcp:bbs.example.org', 2323), { kind: 'tcp', host: 'bbs.example.org', port: 2323 });
  assert.deepEqual(parseTarget('127.0.0.1:23'), { kind: 'tcp', host: '127.0.0.1', port: 23 });
  assert.deepEqual(parseTarget('handler:ppp'), { kind: 'handler', name: 'ppp' });
  assert.deepEqual(parseTarget('BUSY'), { kind: 'fail', reason: 'busy' });
  assert.deepEqual(parseTarget('noanswer'), { kind: 'fail', reason: 'no-answer' });
  assert.equal(parseTarget('line:0'), undefined);
  assert.equal(parseTarget('somewhere'), undefined);
});

test('the file format: comments, options, lookups by normalised number', () => {
  const book = PhoneBook.parse(`
# comment line
5551001      line:1
555-1002     line:2     delay=500   # trailing comment
5550000      busy
5550001      no-answer  delay=2s
5551212      tcp:127.0.0.1:2323  speed=14400
BBS          tcp:bbs.example.org
`);
  assert.equal(book.entries.length, 6);
  assert.deepEqual(book.lookup('T5551002')?.target, { kind: 'line', line: 2 });
  assert.equal(book.lookup('5551002')?.delayMs, 500);
  assert.equal(book.lookup('555 0001')?.delayMs, 2000);
  assert.equal(book.lookup('5551212')?.speed, 14400);
  assert.deepEqual(book.lookup('bbs')?.target, { kind: 'tcp', host: 'bbs.example.org', port: 23 });
  assert.equal(book.lookup('5559999'), undefined);
  assert.deepEqual(book.numbersOfLine(2), ['5551002']);
  assert.equal(book.lookup('5551001')?.sourceLine, 3);
});

test('bad phone book lines are reported with their line number', () => {
  const cases: Array<[string, RegExp]> = [
    ['5551001', /line 1: '5551001' has no target/],
    ['\n5551001 elsewhere', /line 2: bad target/],
    ['1 busy delay=soon', /bad delay/],
    ['1 busy speed=fast', /bad speed/],
    ['1 busy colour=red', /unknown option/],
    ['1 busy\n1 no-carrier', /line 2: '1' is listed twice/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => PhoneBook.parse(text),
      (e: unknown) => e instanceof PhoneBookError && re.test(e.message),
      text,
    );
  }
});
