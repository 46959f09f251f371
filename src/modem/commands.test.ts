import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type Command } from './commands.js';

function ok(body: string): Command[] {
  const r = parseCommandLine(body);
  assert.ok(r.ok, `${body}: ${r.ok ? '' : r.reason}`);
  return r.commands;
}

function bad(body: string): string {
  const r = parseCommandLine(body);
  assert.ok(!r.ok, `${body} should fail`);
  return r.reason;
}

test('basic commands with and without arguments', () => {
  assert.deepEqual(ok('E0V1Q'), [
    { kind: 'basic', name: 'E', arg: 0 },
    { kind: 'basic', name: 'V', arg: 1 },
    { kind: 'basic', name: 'Q', arg: 0 },
  ]);
  assert.deepEqual(ok('&c1 &D2'), [
    { kind: 'basic', name: '&C', arg: 1 },
    { kind: 'basic', name: '&D', arg: 2 },
  ]);
  assert.deepEqual(ok(''), []);
});

test('S-registers: set, query, select, bare ? and =', () => {
  assert.deepEqual(ok('S0=0S7?S95=47'), [
    { kind: 'sreg-set', reg: 0, value: 0 },
    { kind: 'sreg-query', reg: 7 },
    { kind: 'sreg-set', reg: 95, value: 47 },
  ]);
  assert.deepEqual(ok('S8?'), [{ kind: 'sreg-query', reg: 8 }]);
  assert.deepEqual(ok('S8 ='), [{ kind: 'sreg-set', reg: 8, value: 0 }]);
  assert.match(bad('S300=1'), /no register/);
});

test('D and &Z= take the rest of the line raw', () => {
  assert.deepEqual(ok('E0DT 555-1212;'), [
    { kind: 'basic', name: 'E', arg: 0 },
    { kind: 'dial', text: 'T 555-1212;' },
  ]);
  assert.deepEqual(ok('&Z2=Bbs.Example.org:23'), [{ kind: 'store-number', slot: 2, text: 'Bbs.Example.org:23' }]);
  assert.deepEqual(ok('&Z=123'), [{ kind: 'store-number', slot: 0, text: '123' }]);
  assert.deepEqual(ok('&Z3?'), [{ kind: 'query-number', slot: 3 }]);
  assert.match(bad('&Z4=1'), /no stored number/);
  assert.match(bad('&Z1'), /&Z needs/);
});

test('extended commands: set, read, test, values end at ; or a prefix character', () => {
  assert.deepEqual(ok('+FCLASS=0'), [{ kind: 'extended', name: 'FCLASS', op: 'set', value: '0' }]);
  assert.deepEqual(ok('+fclass?;+FCLASS=?'), [
    { kind: 'extended', name: 'FCLASS', op: 'read', value: '' },
    { kind: 'extended', name: 'FCLASS', op: 'test', value: '' },
  ]);
  assert.deepEqual(ok('+MS=V34,1,300,33600;E0'), [
    { kind: 'extended', name: 'MS', op: 'set', value: 'V34,1,300,33600' },
    { kind: 'basic', name: 'E', arg: 0 },
  ]);
  assert.deepEqual(ok('+FCLASS=0&C1'), [
    { kind: 'extended', name: 'FCLASS', op: 'set', value: '0' },
    { kind: 'basic', name: '&C', arg: 1 },
  ]);
  assert.deepEqual(ok('+GMI'), [{ kind: 'extended', name: 'GMI', op: 'exec', value: '' }]);
  assert.match(bad('+VTD=1'), /unknown command \+VTD/);
});

test('the compatibility allow-list is accepted, everything else is not', () => {
  for (const body of ['\\N3', '%C1', 'W2', 'B0B15', '&K3', '&Q5', '\\V1', '%E2', 'N1', 'Y0', '&G0', '&R1', '&B1', '&H1']) ok(body);
  for (const body of ['J', 'G', 'K1', 'U', '#FOO=1', '*', '$', '&O', '\\Z', '%Z', 'X8', 'E2', 'H2', '&C2', '&D4', '&K1', '&K2', 'I10']) bad(body);
});
