import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecrets } from './secrets.js';
import { tokenizeOptions } from './words.js';
import { growthRatio, LINEAR_RATIO } from './linear-check.js';

test('a secrets line with 150,000 address words parses without overflowing the stack', () => {
  // Every word is an unknown host, so every word adds a warning: 150,000 of them used to be
  // pushed with push(...list), which overflows the call stack.
  const { entries, warnings } = parseSecrets(`fred server secret ${'x '.repeat(150_000)}\n`, 'pap-secrets');
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.addressWords.length, 150_000);
  assert.equal(warnings.length, 150_000);
  assert.equal(warnings[0], 'unknown host x in auth. address list');
});

test('secrets parsing work grows linearly with the number of words on a line', () => {
  const ratio = growthRatio((n) => parseSecrets(`fred server secret ${'10.0.0.1 '.repeat(n)}\n`, 's'), 10_000);
  assert.ok(ratio < LINEAR_RATIO, `4x the words took ${ratio.toFixed(1)}x the time`);
});

test('the option word reader is linear in a huge word and in a long run of blanks', () => {
  // A word longer than MAXWORDLEN is cut to 1023 characters (pppd getword), not kept whole.
  const words = tokenizeOptions(`${'a'.repeat(1_000_000)} b`, 'options');
  assert.equal(words[0]!.text.length, 1023);
  assert.equal(words[1]!.text, 'b');
  const ratio = growthRatio((n) => tokenizeOptions(`a${' '.repeat(n)}b${'c'.repeat(n)}`, 'options'), 100_000);
  assert.ok(ratio < LINEAR_RATIO, `4x the input took ${ratio.toFixed(1)}x the time`);
});
