import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLoginConfig, parseMgettyConfig, matchLogin, MGETTY_DEFAULTS } from './config.js';
import { growthRatio, LINEAR_RATIO } from '../config/linear-check.js';

const seeds = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/seed-configs');
const read = (f: string) => fs.readFileSync(path.join(seeds, f), 'utf8');

test("the dialup-server seed's mgetty.config", () => {
  const { value, warnings } = parseMgettyConfig(read('dialup-server/mgetty.config'), 'mgetty.config', 'ttyS0');
  assert.deepEqual(warnings, []);
  assert.equal(value.debug, 4);
  assert.equal(value.speed, 57600);
  assert.equal(value.loginTime, 30);
  assert.equal(value.answerChatTimeout, 30);
  assert.equal(value.toggleDtr, true);
  assert.equal(value.initChat, MGETTY_DEFAULTS.initChat);
});

test("the lw-isp seed's mgetty.config: speed, modem-type data, rings 1", () => {
  const { value, warnings } = parseMgettyConfig(read('lw-isp/mgetty.config'), 'mgetty.config', 'ttyS0');
  assert.deepEqual(warnings, []);
  assert.equal(value.speed, 115200);
  assert.equal(value.rings, 1);
});

test('port sections override the global section for that port only', () => {
  const text = 'rings 3\nport ttyS1\n  rings 1\n  direct yes\nport ttyS2\n  rings 5\n';
  assert.equal(parseMgettyConfig(text, 'f', 'ttyS0').value.rings, 3);
  assert.equal(parseMgettyConfig(text, 'f', 'ttyS1').value.rings, 1);
  assert.equal(parseMgettyConfig(text, 'f', 'ttyS1').value.direct, true);
  assert.equal(parseMgettyConfig(text, 'f', 'ttyS2').value.rings, 5);
  assert.match(parseMgettyConfig('frobnicate 1\nrings x\n', 'm.cfg', 'ttyS0').warnings.join('\n'), /m\.cfg:1: unknown keyword 'frobnicate'[\s\S]*m\.cfg:2: rings needs a number/);
});

test("the dialup-server seed's login.config: AutoPPP, a ppp user, and everyone else to login", () => {
  const { value, warnings } = parseLoginConfig(read('dialup-server/login.config'), 'login.config');
  assert.deepEqual(warnings, ["login.config:2: 'timeout 20' is not 'user userid utmp program [args]': ignored"]);
  assert.deepEqual(value.map((e) => [e.user, e.program, e.args.join(' ')]), [
    ['/AutoPPP/', '/usr/sbin/pppd', 'auth -chap +pap login'],
    ['ppp', '/usr/sbin/pppd', 'auth -chap +pap login'],
    ['*', '/bin/login', '@'],
  ]);
  assert.equal(matchLogin(value, 'ppp')!.user, 'ppp');
  assert.equal(matchLogin(value, 'fred')!.user, '*');
});

test("the lw-isp seed's login.config", () => {
  const { value } = parseLoginConfig(read('lw-isp/login.config'), 'login.config');
  assert.deepEqual(value.map((e) => [e.user, e.userid, e.utmp, e.program, e.args]), [['/AutoPPP/', '-', 'a_ppp', '/usr/sbin/pppd', ['115200']]]);
});

test('a login.config line with a bare CR parses: CR is a blank, as isspace() makes it in mgetty', () => {
  const { value, warnings } = parseLoginConfig('/AutoPPP/ -\ra_ppp /usr/sbin/pppd auth\r\n* - - /bin/login @\r', 'login.config');
  assert.deepEqual(warnings, []);
  assert.deepEqual(value.map((e) => [e.user, e.userid, e.utmp, e.program, e.args]), [
    ['/AutoPPP/', '-', 'a_ppp', '/usr/sbin/pppd', ['auth']],
    ['*', '-', '-', '/bin/login', ['@']],
  ]);
  const m = parseMgettyConfig('init-chat "" ATZ\r OK\r\nspeed\r38400\r\n', 'mgetty.config', 'ttyS0');
  assert.deepEqual(m.warnings, []);
  assert.equal(m.value.initChat, '"" ATZ\r OK');
  assert.equal(m.value.speed, 38400);
});

test('getty config lines with other control characters are skipped with a warning naming file and line', () => {
  const { value, warnings } = parseLoginConfig('# ok\nfred - - /bin/lo\x00gin\n* - - /bin/login @\n', 'login.config');
  assert.deepEqual(warnings, ['login.config:2: control character 0x00 in line: ignored']);
  assert.equal(value.length, 1);
  const m = parseMgettyConfig('speed 57600\nissue-file /etc/\x1bissue\n', 'mgetty.config', 'ttyS0');
  assert.deepEqual(m.warnings, ['mgetty.config:2: control character 0x1b in line: ignored']);
});

test('getty config parsing is linear in a run of blanks and in line count', () => {
  // 40,000 blanks inside a line took 1.5 s (a quadratic trim regex); now it is a plain scan.
  const ratio = growthRatio((n) => parseLoginConfig(`a${' '.repeat(n)}b c d\n`, 'login.config'), 200_000);
  assert.ok(ratio < LINEAR_RATIO, `4x the blanks took ${ratio.toFixed(1)}x the time`);
  const lines = growthRatio((n) => parseMgettyConfig('debug 4\n'.repeat(n), 'mgetty.config', 'ttyS0'), 20_000);
  assert.ok(lines < LINEAR_RATIO, `4x the lines took ${lines.toFixed(1)}x the time`);
});
