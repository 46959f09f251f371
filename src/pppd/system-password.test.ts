import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { syncPasswordChecker } from './system-password.js';

test('the synchronous bridge gets the answer of an asynchronous checkSystemPassword', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-login-'));
  const mod = path.join(dir, 'fake-login.mjs');
  fs.writeFileSync(mod, `export async function checkSystemPassword(user, password) {
    await new Promise((r) => setTimeout(r, 20));
    return user === 'fred' && password === 'flintstone';
  }\n`);
  const checker = syncPasswordChecker(pathToFileURL(mod).href);
  try {
    assert.equal(checker.check('fred', 'flintstone'), true);
    assert.equal(checker.check('fred', 'wilma'), false);
    assert.equal(checker.check('barney', 'flintstone'), false);
  } finally {
    checker.close();
  }
});

test('the default module is login.ts: an unknown user is refused', () => {
  const checker = syncPasswordChecker();
  try {
    assert.equal(checker.check('no-such-user-dialtone', 'x'), false);
  } finally {
    checker.close();
  }
});

test('a module that throws counts as a refusal', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-login-'));
  const mod = path.join(dir, 'bad.mjs');
  fs.writeFileSync(mod, 'export async function checkSystemPassword() { throw new Error("boom"); }\n');
  const checker = syncPasswordChecker(pathToFileURL(mod).href);
  try {
    assert.equal(checker.check('fred', 'x'), false);
  } finally {
    checker.close();
  }
});
