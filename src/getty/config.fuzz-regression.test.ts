/**
 * Found by `npm run fuzz` (target config, seed 2133082524; config-scaling, same seed).
 * Found by `npm run fuzz`; fixed since, and kept as regressions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMgettyConfig, parseLoginConfig } from './config.js';

// lines(): `/^(\S+)\s*(.*)$/.exec(line)!` is null when the line holds U+2028 or U+2029
// after the first word: `\s` (used to split and trim) matches them, `.` does not. Both
// parsers then throw a TypeError ("Cannot read properties of null (reading '2')") instead
// of taking the line as words or warning.
test('mgetty.config and login.config: a U+2028/U+2029 inside a line is not a TypeError', () => {
  for (const text of ['a b\u2028c', '$ speed \u2028 " ', 'speed 38400\u2029x', '* - - /usr/sbin/pppd\u2028 file']) {
    assert.doesNotThrow(() => parseMgettyConfig(text, 'mgetty.config', 'ttyS0'), JSON.stringify(text));
    assert.doesNotThrow(() => parseLoginConfig(text, 'login.config'), JSON.stringify(text));
  }
});

// lines(): `raw.replace(/^\s+|\s+$/g, '')` tries `\s+$` at every position of a run of
// blanks that is followed by a non-blank, so a line 'a' + N tabs + 'b' costs O(N^2):
// ~10 ms at 4k, ~3 s at 40k, ~5 min at 400k characters (a 400 KB config line).
test('mgetty.config and login.config: a long run of blanks inside a line parses in linear time', () => {
  const text = 'a' + '\t'.repeat(100_000) + 'b c d';
  const t0 = performance.now();
  parseLoginConfig(text, 'login.config');
  parseMgettyConfig(text, 'mgetty.config', 'ttyS0');
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `${ms.toFixed(0)} ms for a 100k-character line`);
});
