import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig, IspConfigError } from '../config.js';

test('isp.conf console-token: one word of at least 16 printable characters, never echoed in errors', () => {
  assert.equal(parseIspConfig('console-token 0123456789abcdef!x\n', 'isp.conf').consoleToken, '0123456789abcdef!x');
  assert.equal(parseIspConfig('status 127.0.0.1:6480\n', 'isp.conf').consoleToken, undefined);
  assert.throws(() => parseIspConfig('console-token short-secret\n', 'isp.conf'), new IspConfigError('isp.conf:1: console-token: too short (12 characters; at least 16)'));
  assert.throws(() => parseIspConfig('\nconsole-token two words-of-a-secret\n', 'isp.conf'), new IspConfigError('isp.conf:2: console-token: want one word of printable ASCII (no blanks)'));
  assert.throws(() => parseIspConfig('console-token\n', 'isp.conf'), /isp\.conf:1: console-token needs 1 value/);
  assert.throws(() => parseIspConfig('console-token 0123456789abcdefé\n', 'isp.conf'), (e: Error) => !e.message.includes('0123456789abcdef'));
});
