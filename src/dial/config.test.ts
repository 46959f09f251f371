import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyConf, loadConf, lookup, missingSections, parseIntValue, resolveOptions, sectionsFromArgs, unknownKeys } from './config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const manSample = fs.readFileSync(path.join(ROOT, 'test/fixtures/wvdial/wvdial.conf.5-sample'), 'utf8');
const howto = fs.readFileSync(path.join(ROOT, 'test/fixtures/seed-configs/howto-client/wvdial.conf'), 'utf8');

test('the wvdial.conf(5) sample: sections add to [Dialer Defaults], Init is Init1', () => {
  const conf = loadConf(emptyConf(), manSample);
  const d = resolveOptions(conf, sectionsFromArgs(conf, []));
  assert.equal(d.modem, '/dev/ttyS2');
  assert.equal(d.baud, 57600);
  assert.deepEqual(d.init.filter(Boolean), ['ATZ', 'AT S11=50']);
  assert.deepEqual(d.phones, ['555-4242']);
  assert.equal(d.username, 'apenwarr');
  assert.equal(d.dialCommand, 'ATDT');
  // `wvdial phone2 shh pulse`
  const more = resolveOptions(conf, sectionsFromArgs(conf, ['phone2', 'shh', 'pulse']));
  assert.deepEqual(more.phones, ['555-4243']);
  assert.deepEqual(more.init.filter(Boolean), ['ATZ', 'AT S11=50', 'ATM0']);
  assert.equal(more.dialCommand, 'ATDP');
});

test('wvdial 1.61 defaults for keys the file leaves out', () => {
  const d = resolveOptions(emptyConf(), ['Dialer Defaults']);
  assert.equal(d.modem, '/dev/modem');
  assert.equal(d.baud, 57600);
  assert.equal(d.init[0], 'ATZ');
  assert.equal(d.stupidMode, false);
  assert.equal(d.autoReconnect, true);
  assert.equal(d.abortOnBusy, false);
  assert.equal(d.abortOnNoDialtone, true);
  assert.equal(d.carrierCheck, true);
  assert.equal(d.newPppd, true);
  assert.equal(d.autoDns, true);
  assert.equal(d.dialAttempts, 0);
  assert.equal(d.dialTimeout, 60);
  assert.equal(d.remoteName, '*');
  assert.equal(d.defaultReply, 'ppp');
});

test('the PPP-HOWTO wvdial.conf: the commented account keys are not read until the ; is removed', () => {
  const commented = resolveOptions(loadConf(emptyConf(), howto), ['Dialer Defaults']);
  assert.equal(commented.phones[0], '');
  assert.equal(commented.init[1], 'ATQ0 V1 E1 S0=0 &C1 &D2 S11=55 +FCLASS=0');
  const filled = resolveOptions(loadConf(emptyConf(), howto.replace(/^; /gm, '')), ['Dialer Defaults']);
  assert.deepEqual([filled.phones[0], filled.username, filled.password], ['555-1212', 'my_login_name', 'my_login_password']);
});

test('Inherits chains are followed (and a loop is cut); the first named section wins', () => {
  const conf = loadConf(emptyConf(), [
    '[Dialer Defaults]', 'Phone = 1', 'Baud = 9600',
    '[Dialer isp]', 'Inherits = Dialer base', 'Username = u',
    '[Dialer base]', 'Inherits = Dialer isp', 'Phone = 2', 'Password = p',
    '[Dialer night]', 'Phone = 3',
  ].join('\n'));
  const o = resolveOptions(conf, sectionsFromArgs(conf, ['isp']));
  assert.deepEqual([o.phones[0], o.username, o.password, o.baud], ['2', 'u', 'p', 9600]);
  assert.equal(lookup(conf, ['Dialer isp'], 'nothing'), undefined);
  assert.equal(resolveOptions(conf, sectionsFromArgs(conf, ['night', 'isp'])).phones[0], '3');
});

test('KEY=value words on the command line beat every section; keys are case-insensitive', () => {
  const conf = loadConf(emptyConf(), '[Dialer Defaults]\nSTUPID MODE = 0\nmodem = /dev/ttyS0\n');
  const o = resolveOptions(conf, sectionsFromArgs(conf, ['Stupid Mode=yes', 'Modem = tcp:127.0.0.1:6400']));
  assert.equal(o.stupidMode, true);
  assert.equal(o.modem, 'tcp:127.0.0.1:6400');
});

test('later files override earlier ones key by key (/etc/wvdial.conf then ~/.wvdialrc)', () => {
  const conf = loadConf(loadConf(emptyConf(), '[Dialer Defaults]\nPhone = 1\nBaud = 9600\n'), '[dialer defaults]\nPhone = 2\n');
  const o = resolveOptions(conf, ['Dialer Defaults']);
  assert.deepEqual([o.phones[0], o.baud], ['2', 9600]);
});

test('Phone1..Phone4 count only while set in order', () => {
  const conf = loadConf(emptyConf(), '[Dialer Defaults]\nPhone = 1\nPhone1 = 2\nPhone3 = 4\n');
  assert.deepEqual(resolveOptions(conf, ['Dialer Defaults']).phones, ['1', '2']);
});

test('numbers and words as booleans, as WvConf reads them', () => {
  assert.equal(parseIntValue('yes', 0), 1);
  assert.equal(parseIntValue('off', 1), 0);
  assert.equal(parseIntValue('0x10', 0), 16);
  assert.equal(parseIntValue('12 seconds', 0), 12);
  assert.equal(parseIntValue('maybe', 7), 7);
});

test('missing and inherited sections and unknown keys are reported', () => {
  const conf = loadConf(emptyConf(), '[Dialer a]\nInherits = Dialer nowhere\nFrobnicate = 1\n');
  assert.deepEqual(missingSections(conf, ['Dialer b']), [
    'Warning: section [Dialer b] does not exist in wvdial.conf.',
    'Warning: inherited section [Dialer nowhere] does not exist in wvdial.conf',
  ]);
  assert.deepEqual(unknownKeys(conf), ['[Dialer a] frobnicate']);
});

test('a hostile file is bounded: junk lines are ignored, huge section counts refused', () => {
  const conf = loadConf(emptyConf(), `garbage\n=\n[x\n${'k'.repeat(100_000)} = v\n`);
  assert.equal(conf.sections.size, 0);
  assert.throws(() => loadConf(emptyConf(), Array.from({ length: 1001 }, (_, i) => `[s${i}]`).join('\n')), /more than 1000 sections/);
});
