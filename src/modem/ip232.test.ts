import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ip232Codec } from './ip232.js';

// Facts from tcpser (go4retro/tcpser src/ip232.c, ip232.h): FF 00 / FF 01 from the client are
// DTR low / high, FF FF is a data FF both ways, FF s from the server carries DCD=1 | RI=2.

test('[tcpser] client FF 00 / FF 01 are DTR changes, FF FF a data byte, other escapes dropped; an escape split across reads waits', () => {
  const c = new Ip232Codec();
  const r = c.receive(Uint8Array.of(0x41, 0xff, 0x01, 0x42, 0xff, 0xff, 0xff, 0x07, 0x43, 0xff));
  assert.deepEqual([...r.data], [0x41, 0x42, 0xff, 0x43]);
  assert.deepEqual(r.events, [{ type: 'dtr', on: true }]);
  assert.equal(c.retained, 1);
  const r2 = c.receive(Uint8Array.of(0x00, 0x44));
  assert.deepEqual([...r2.data], [0x44]);
  assert.deepEqual(r2.events, [{ type: 'dtr', on: false }]);
  assert.equal(c.retained, 0);
});

test('[tcpser] server data FF is doubled; line state FF s is sent only when DCD or RI changes', () => {
  const c = new Ip232Codec();
  assert.deepEqual([...c.encode(Uint8Array.of(1, 0xff, 2))], [1, 0xff, 0xff, 2]);
  assert.deepEqual([...c.modemState(false, false)], []);
  assert.deepEqual([...c.modemState(false, true)], [0xff, 2]);
  assert.deepEqual([...c.modemState(false, true)], []);
  assert.deepEqual([...c.modemState(true, false)], [0xff, 1]);
  assert.deepEqual([...c.modemState(true, true)], [0xff, 3]);
  assert.deepEqual([...c.modemState(false, false)], [0xff, 0]);
});
