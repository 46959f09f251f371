import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelnetFilter, IAC, DO, DONT, WILL, WONT, SB, SE, OPT_BINARY, OPT_ECHO, OPT_SGA, OPT_COM_PORT } from './telnet.js';

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const list = (b: Uint8Array): number[] => [...b];

test('raw until the client sends IAC + command; 0xFF followed by data stays data', () => {
  const t = new TelnetFilter('auto');
  let r = t.receive(u8(0x41, 0xff, 0x03, 0x42));
  assert.deepEqual(list(r.data), [0x41, 0xff, 0x03, 0x42]);
  assert.equal(t.active, false);
  // IAC split across reads is held until the next byte decides.
  r = t.receive(u8(0x41, IAC));
  assert.deepEqual(list(r.data), [0x41]);
  r = t.receive(u8(DO, OPT_ECHO, 0x42));
  assert.equal(t.active, true);
  assert.deepEqual(list(r.data), [0x42]);
  // Our offers plus nothing extra for ECHO (already offered).
  assert.deepEqual(list(r.reply), [IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, WILL, OPT_BINARY, IAC, DO, OPT_SGA, IAC, DO, OPT_BINARY]);
});

test('detection off (online mode) never switches to telnet', () => {
  const t = new TelnetFilter('auto');
  t.detect = false;
  const r = t.receive(u8(0x7e, IAC, WILL, 1, 0x7e));
  assert.equal(t.active, false);
  assert.deepEqual(list(r.data), [0x7e, IAC, WILL, 1, 0x7e]);
});

test('mode off never speaks telnet; mode on offers at start', () => {
  const off = new TelnetFilter('off');
  assert.deepEqual(list(off.receive(u8(IAC, DO, 1)).data), [IAC, DO, 1]);
  assert.deepEqual(list(off.encode(u8(IAC))), [IAC]);
  const on = new TelnetFilter('on');
  assert.equal(on.active, true);
  assert.ok(on.start().length > 0);
  // Replies to our offers produce no further answers (no negotiation loops).
  assert.deepEqual(list(on.receive(u8(IAC, DO, OPT_ECHO, IAC, WILL, OPT_SGA, IAC, DONT, OPT_BINARY)).reply), []);
});

test('negotiation: refuse unknown options, acknowledge state changes once', () => {
  const t = new TelnetFilter('on');
  t.start();
  assert.deepEqual(list(t.receive(u8(IAC, DO, 24)).reply), [IAC, WONT, 24]);
  assert.deepEqual(list(t.receive(u8(IAC, WILL, 31)).reply), [IAC, DONT, 31]);
  assert.deepEqual(list(t.receive(u8(IAC, DONT, OPT_ECHO)).reply), []); // was a pending offer
  assert.deepEqual(list(t.receive(u8(IAC, DO, OPT_ECHO)).reply), [IAC, WILL, OPT_ECHO]);
  assert.deepEqual(list(t.receive(u8(IAC, DONT, OPT_ECHO)).reply), [IAC, WONT, OPT_ECHO]);
  assert.deepEqual(list(t.receive(u8(IAC, DONT, OPT_ECHO)).reply), []);
});

test('IAC escaping both ways; CR NUL becomes CR unless binary', () => {
  const t = new TelnetFilter('auto');
  t.receive(u8(IAC, 241)); // NOP activates telnet
  assert.deepEqual(list(t.encode(u8(1, IAC, 2))), [1, IAC, IAC, 2]);
  assert.deepEqual(list(t.receive(u8(1, IAC, IAC, 2)).data), [1, IAC, 2]);
  const nvt = new TelnetFilter('auto');
  nvt.receive(u8(IAC, 241));
  nvt.receive(u8(IAC, WONT, OPT_BINARY));
  assert.deepEqual(list(nvt.receive(u8(0x41, 13, 0, 0x42)).data), [0x41, 13, 0x42]);
});

test('RFC 2217: baud rate, DTR control, modem state notification', () => {
  const t = new TelnetFilter('auto');
  let r = t.receive(u8(IAC, WILL, OPT_COM_PORT));
  assert.ok(list(r.reply).join(',').includes([IAC, DO, OPT_COM_PORT].join(',')));
  r = t.receive(u8(IAC, SB, OPT_COM_PORT, 1, 0, 0, 0x96, 0x00, IAC, SE));
  assert.deepEqual(r.events, [{ type: 'baud', bps: 38400 }]);
  assert.deepEqual(list(r.reply), [IAC, SB, OPT_COM_PORT, 101, 0, 0, 0x96, 0x00, IAC, SE]);
  r = t.receive(u8(IAC, SB, OPT_COM_PORT, 5, 9, IAC, SE));
  assert.deepEqual(r.events, [{ type: 'dtr', on: false }]);
  r = t.receive(u8(IAC, SB, OPT_COM_PORT, 5, 7, IAC, SE));
  assert.deepEqual(list(r.reply), [IAC, SB, OPT_COM_PORT, 105, 9, IAC, SE]);
  r = t.receive(u8(IAC, SB, OPT_COM_PORT, 5, 8, IAC, SE));
  assert.deepEqual(r.events, [{ type: 'dtr', on: true }]);
  assert.deepEqual(list(t.modemState(true)), [IAC, SB, OPT_COM_PORT, 107, 0xb8, IAC, SE]);
  assert.deepEqual(list(t.modemState(false)), [IAC, SB, OPT_COM_PORT, 107, 0x38, IAC, SE]);
  assert.deepEqual(list(new TelnetFilter('auto').modemState(true)), []);
});
