import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasPppMarker, isAnyPrompt, isLoginPrompt, isPasswordPrompt, isWelcome } from './prompts.js';

test('login prompts: login:, username:, user id>, sign-on, usuario:', () => {
  for (const t of ['\r\nwelcome\r\nlogin: ', 'username:', 'user id> ', 'please sign-on: ', 'usuario: ', 'name?']) assert.ok(isLoginPrompt(t), t);
  for (const t of ['login: \r\n', 'login incorrect', 'loginx', 'password: ']) assert.ok(!isLoginPrompt(t), t);
});

test('password prompts; a custom Password Prompt with its own colon', () => {
  assert.ok(isPasswordPrompt('\r\npassword: '));
  assert.ok(!isPasswordPrompt('password is wrong'));
  assert.ok(isPasswordPrompt('your secret word: ', 'Secret word'));
  assert.ok(isPasswordPrompt('enter code:', 'Enter Code:'));
  assert.ok(isLoginPrompt('account number> ', 'Account Number'));
});

test('any prompt: the last line ends in punctuation ($, >, :, ...)', () => {
  assert.ok(isAnyPrompt('\r\n$ '));
  assert.ok(isAnyPrompt('main menu> '));
  assert.ok(!isAnyPrompt('hello\r\n'));
  assert.ok(!isAnyPrompt('hello'));
});

test('PPP from the server is seen in the escaped LCP bytes; welcome messages after the password', () => {
  const lcp = Buffer.from([0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21, 0x7d, 0x21, 0x7d, 0x21, 0x7d, 0x20]).toString('latin1');
  assert.ok(hasPppMarker(lcp));
  assert.ok(!hasPppMarker('login: '));
  assert.ok(isWelcome('your ip address is 10.0.0.2, mtu 1500'));
});
