import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkChange, isLoopback } from './access.js';

const TOKEN = 'a-console-token-of-some-length';
const req = (remoteAddress: string, headers: Record<string, string> = {}, method = 'POST') => ({ method, remoteAddress, headers: { host: '127.0.0.1:6480', ...headers } });

test('loopback addresses are 127/8, ::1 and their IPv4-mapped forms', () => {
  for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
  for (const a of ['192.0.2.2', '::ffff:10.0.0.1', '::', '0.0.0.0', undefined, '128.0.0.1']) assert.ok(!isLoopback(a), String(a));
});

test('a change from loopback, addressed to a loopback name, needs no token', () => {
  assert.deepEqual(checkChange(req('127.0.0.1'), undefined), { ok: true });
  assert.deepEqual(checkChange(req('::1', { host: '[::1]:6480' }), TOKEN), { ok: true });
  assert.deepEqual(checkChange(req('127.0.0.1', { host: 'localhost:6480', origin: 'http://localhost:6480' }), undefined), { ok: true });
});

test('a change from off loopback is refused without the token, and with a wrong one', () => {
  const off = { host: '192.0.2.2:6480' };
  assert.equal(checkChange(req('192.0.2.9', off), undefined).ok, false);
  const bare = checkChange(req('192.0.2.9', off), TOKEN);
  assert.deepEqual(bare, { ok: false, status: 401, why: 'off loopback: the console token is required' });
  assert.equal(checkChange(req('192.0.2.9', { ...off, authorization: 'Bearer wrong-token-wrong-token' }), TOKEN).ok, false);
  // No token configured: no token can be right.
  assert.equal(checkChange(req('192.0.2.9', { ...off, authorization: `Bearer ${TOKEN}` }), undefined).ok, false);
  assert.deepEqual(checkChange(req('192.0.2.9', { ...off, authorization: `Bearer ${TOKEN}` }), TOKEN), { ok: true });
  assert.deepEqual(checkChange(req('192.0.2.9', { ...off, 'x-console-token': TOKEN }), TOKEN), { ok: true });
});

test('cross-origin changes are refused even with the token (CSRF), and so is a rebound DNS name on loopback', () => {
  const evil = checkChange(req('127.0.0.1', { origin: 'http://evil.example' }), TOKEN);
  assert.deepEqual(evil, { ok: false, status: 403, why: 'cross-origin request refused' });
  assert.equal(checkChange(req('192.0.2.9', { host: '192.0.2.2:6480', origin: 'http://evil.example', authorization: `Bearer ${TOKEN}` }), TOKEN).ok, false);
  assert.equal(checkChange(req('127.0.0.1', { origin: 'null' }), TOKEN).ok, false);
  // evil.example resolving to 127.0.0.1: same origin as far as the browser knows, but not a loopback name.
  const rebound = checkChange(req('127.0.0.1', { host: 'evil.example:6480', origin: 'http://evil.example:6480' }), TOKEN);
  assert.equal(rebound.ok, false);
});

test('only POST changes anything', () => {
  assert.equal(checkChange(req('127.0.0.1', {}, 'GET'), undefined).ok, false);
});
