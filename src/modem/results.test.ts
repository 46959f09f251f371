import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyResultLevel, formatInfo, formatResult, resultNumber, resultWords } from './results.js';
import { factoryProfile } from './sregs.js';

test('numeric codes: basic set and Rockwell CONNECT speeds', () => {
  assert.equal(resultNumber({ kind: 'ok' }), 0);
  assert.equal(resultNumber({ kind: 'connect' }), 1);
  assert.equal(resultNumber({ kind: 'ring' }), 2);
  assert.equal(resultNumber({ kind: 'no-carrier' }), 3);
  assert.equal(resultNumber({ kind: 'error' }), 4);
  assert.equal(resultNumber({ kind: 'no-dialtone' }), 6);
  assert.equal(resultNumber({ kind: 'busy' }), 7);
  assert.equal(resultNumber({ kind: 'no-answer' }), 8);
  assert.equal(resultNumber({ kind: 'connect', speed: 1200 }), 5);
  assert.equal(resultNumber({ kind: 'connect', speed: 2400 }), 10);
  assert.equal(resultNumber({ kind: 'connect', speed: 14400 }), 15);
  assert.equal(resultNumber({ kind: 'connect', speed: 28800 }), 64);
  assert.equal(resultNumber({ kind: 'connect', speed: 33600 }), 84);
  assert.equal(resultNumber({ kind: 'connect', speed: 53333 }), 1);
  assert.equal(resultWords({ kind: 'connect', speed: 300 }), 'CONNECT');
  assert.equal(resultWords({ kind: 'connect', speed: 53333 }), 'CONNECT 53333');
});

test('X levels', () => {
  assert.deepEqual(applyResultLevel({ kind: 'connect', speed: 9600 }, 0), { kind: 'connect' });
  assert.deepEqual(applyResultLevel({ kind: 'connect', speed: 9600 }, 1), { kind: 'connect', speed: 9600 });
  assert.deepEqual(applyResultLevel({ kind: 'busy' }, 7), { kind: 'busy' });
  assert.deepEqual(applyResultLevel({ kind: 'no-dialtone' }, 1), { kind: 'no-carrier' });
});

test('framing follows V, Q, S3 and S4', () => {
  const p = factoryProfile();
  assert.equal(formatResult({ kind: 'ok' }, p), '\r\nOK\r\n');
  assert.equal(formatInfo(['a', 'b'], p), '\r\na\r\nb\r\n');
  p.verbose = false;
  assert.equal(formatResult({ kind: 'ok' }, p), '0\r');
  assert.equal(formatInfo(['a'], p), 'a\r\n');
  p.sregs[3] = 33;
  assert.equal(formatResult({ kind: 'error' }, p), '4!');
  p.quiet = true;
  assert.equal(formatResult({ kind: 'error' }, p), '');
});
