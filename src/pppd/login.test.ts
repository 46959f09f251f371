import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSystemPassword, systemCrypt, papVisible } from './login.js';

// Known answers for "secret", from libxcrypt (perl's crypt) and confirmed by `openssl passwd`.
const YESCRYPT = '$y$j9T$F5Jx5fExrKuJdcRe9oLa/.$nQIYaE8B7DG4J.20U8PotQWri2xxekf4K/borKRmha9';
const SHA512 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
const MD5 = '$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1';
const DES = 'abNANd1rDfiNc';

let dir: string;
let shadowFile: string;
let passwdFile: string;
const today = Math.floor(Date.now() / 86400000);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-login-'));
  passwdFile = path.join(dir, 'passwd');
  shadowFile = path.join(dir, 'shadow');
  const users = ['yes', 'sha', 'md5', 'des', 'locked', 'empty', 'expired', 'aged', 'noshadow', 'future'];
  fs.writeFileSync(passwdFile, users.map((u, i) => `${u}:x:${1000 + i}:${1000 + i}::/home/${u}:/bin/sh\n`).join(''));
  fs.writeFileSync(shadowFile, [
    `yes:${YESCRYPT}:${today - 1}:0:99999:7:::`,
    `sha:${SHA512}:${today - 1}:0:99999:7:::`,
    `md5:${MD5}:${today - 1}:0:99999:7:::`,
    `des:${DES}:::::::`,
    `locked:!${SHA512}:${today - 1}:0:99999:7:::`,
    'empty::19000:0:99999:7:::',
    `expired:${SHA512}:${today - 1}:0:99999:7::${today}:`,
    `aged:${SHA512}:${today - 30}:0:30:7:::`,
    `future:${SHA512}:${today - 30}:0:10000:7::${today + 1}:`,
    `ghost:${SHA512}:${today - 1}:0:99999:7:::`,
  ].join('\n') + '\n', { mode: 0o600 });
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const check = (u: string, p: string, log?: (l: string, m: string) => void) => checkSystemPassword(u, p, { shadowFile, passwdFile, log });

test('the system crypt() handles yescrypt, sha512crypt, md5crypt and DES', async () => {
  assert.equal(await systemCrypt('secret', YESCRYPT), YESCRYPT);
  assert.equal(await systemCrypt('secret', SHA512), SHA512);
  assert.equal(await systemCrypt('secret', MD5), MD5);
  assert.equal(await systemCrypt('secret', DES), DES);
  assert.notEqual(await systemCrypt('Secret', SHA512), SHA512);
});

test('right and wrong passwords for each scheme', async () => {
  for (const u of ['yes', 'sha', 'md5', 'des']) {
    assert.equal(await check(u, 'secret'), true, u);
    assert.equal(await check(u, 'secreT'), false, u);
    assert.equal(await check(u, ''), false, u);
  }
});

test('pppd\'s refusals: no passwd entry, no shadow entry, locked, empty hash', async () => {
  assert.equal(await check('ghost', 'secret'), false, 'in shadow but not in passwd');
  assert.equal(await check('noshadow', 'secret'), false, 'no shadow entry');
  assert.equal(await check('nobody-here', 'secret'), false);
  assert.equal(await check('locked', 'secret'), false);
  assert.equal(await check('empty', ''), false, 'strlen(hash) < 2: no login without a password');
  assert.equal(await check('', ''), false);
});

test('expired accounts and passwords: "Password for %s has expired"', async () => {
  const logs: string[] = [];
  const log = (l: string, m: string) => logs.push(`${l}: ${m}`);
  assert.equal(await check('expired', 'secret', log), false);
  assert.equal(await check('aged', 'secret', log), false);
  assert.deepEqual(logs, ['warn: Password for expired has expired', 'warn: Password for aged has expired']);
  assert.equal(await check('future', 'secret', log), true, 'expires tomorrow; sp_max >= 10000 means no ageing');
});

test('the password is made "visible" as pppd\'s %v does before crypt()', async () => {
  assert.equal(papVisible('plain'), 'plain');
  assert.equal(papVisible('a\x01b\tc\x7f'), 'a^Ab\tc^?');
  assert.equal(papVisible(Buffer.from([0x61, 0xe9, 0x00, 0x62])), 'aM-i');
  assert.equal(await check('sha', 'secret\x00junk'), true, 'stops at a NUL, as the C string does');
});

test('the password and the hash never reach the helper\'s command line or environment', async () => {
  // A `perl` earlier on PATH that records how it was started, then runs the real one.
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'perl-seen');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'perl'), `#!/bin/sh\n{ printf '%s\\n' "$@"; env; } >> ${record}\nexec /usr/bin/perl "$@"\n`, { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    assert.equal(await check('sha', 'hunter2-secret'), false);
    assert.equal(await check('sha', 'secret'), true);
  } finally {
    process.env.PATH = saved;
  }
  const seen = fs.readFileSync(record, 'utf8');
  assert.ok(seen.includes('crypt('), 'the wrapper did run');
  assert.ok(!seen.includes('hunter2') && !seen.includes('saltsalt'), seen);
});
