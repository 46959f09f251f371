/**
 * The Hayes details that real dialers (Windows 9x Dial-Up Networking, DOS terminal programs,
 * games) rely on, each checked against the manual that defines it:
 *   [Courier]   USRobotics Courier V.Everything Command Reference (Hayes-compatible set)
 *   [Hayes]     Hayes Smartmodem 2400 / Hayes Standard AT Command Set reference
 *   [Rockwell]  Rockwell RC336/RC56 AT command reference (caller ID, &D3)
 *   [tcpser]    tcpser's modem_core.c, where it differs from the manuals
 *   [86Box]     86Box src/network/net_modem.c (ported from DOSBox's softmodem)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HayesModem, MAX_HELD_REMOTE, RI_ON_MS } from './hayes.js';
import { numericAddress, numericDialString } from './phonebook.js';
import { Rig } from './testing/rig.js';

const dialled = (r: Rig): string | undefined => {
  const d = r.takeRequests().find((o) => o.type === 'dial');
  return d && d.type === 'dial' ? d.number : undefined;
};

test("[Courier] D...; returns to command mode after dialling with OK; [Win98] ATDT; then ATH leaves the modem in command mode and ready", () => {
  const r = new Rig();
  r.cmd('ATE0');
  // Windows 98 "wait for dial tone" / manual dial: ATDT; then ATH when the user cancels.
  assert.equal(r.cmd('ATDT;'), '\r\nOK\r\n');
  assert.equal(r.m.phase, 'command');
  assert.equal(r.cmd('ATDT555;'), '\r\nOK\r\n');
  assert.equal(r.cmd('ATH'), '\r\nOK\r\n');
  assert.equal(r.m.phase, 'command');
  assert.equal(r.cmd('AT'), '\r\nOK\r\n');
  // The number begun before ATH is gone: the next dial is only what it says.
  r.cmd('ATDT5551000');
  assert.equal(dialled(r), '5551000');
  r.fail('busy');
  // Without ATH, ATD; continues the same number (Courier: "dial the rest with another D").
  r.cmd('ATDT555;');
  r.cmd('ATD1000');
  assert.equal(dialled(r), '5551000');
});

test('[Courier] DL dials the last-dialled number again; [Courier] A/ re-executes the last command line, without AT and without Enter', () => {
  const r = new Rig();
  r.cmd('ATE0');
  r.cmd('ATDT555-2368');
  assert.equal(dialled(r), '5552368');
  r.fail('busy');
  assert.equal(r.take(), '\r\nBUSY\r\n');
  r.cmd('ATDL');
  assert.equal(dialled(r), '5552368');
  r.fail('busy');
  r.take();
  // A/ repeats "DL" at once: no CR is typed.
  r.type('A/');
  assert.equal(dialled(r), '5552368');
  r.fail('busy');
  r.take();
  r.cmd('ATS0=3');
  r.type('A/');
  assert.equal(r.take(), '\r\nOK\r\n');
  assert.equal(r.m.sreg(0), 3);
});

test('[Hayes] X0-X4 result sets: X0 plain CONNECT, X1+ CONNECT <speed>, NO DIALTONE only at X2/X4, BUSY only at X3/X4', () => {
  const connectText = (x: number): string => {
    const r = new Rig();
    r.cmd(`ATE0X${x}`);
    r.cmd('ATD1');
    r.connect(28800);
    return r.take().trim();
  };
  assert.deepEqual([0, 1, 2, 3, 4].map(connectText), ['CONNECT', 'CONNECT 28800', 'CONNECT 28800', 'CONNECT 28800', 'CONNECT 28800']);
  const failText = (x: number, reason: 'busy' | 'no-dialtone'): string => {
    const r = new Rig();
    r.cmd(`ATE0X${x}`);
    r.cmd('ATD1');
    r.fail(reason);
    return r.take().trim();
  };
  assert.deepEqual([0, 1, 2, 3, 4].map((x) => failText(x, 'busy')), ['NO CARRIER', 'NO CARRIER', 'NO CARRIER', 'BUSY', 'BUSY']);
  assert.deepEqual([0, 1, 2, 3, 4].map((x) => failText(x, 'no-dialtone')), ['NO CARRIER', 'NO CARRIER', 'NO DIALTONE', 'NO CARRIER', 'NO DIALTONE']);
});

test('[Hayes] W in a dial string waits for a second dial tone (an outside line): accepted, not dialled', () => {
  const r = new Rig();
  r.cmd('ATE0');
  r.cmd('ATDT9W555-1000');
  assert.equal(dialled(r), '95551000');
  r.fail('no-carrier');
  r.cmd('ATDT9,W,5551000');
  assert.equal(dialled(r), '95551000');
});

test('[Courier] &C0 keeps DCD on; &C1 makes DCD follow the carrier, on at CONNECT and off at NO CARRIER', () => {
  const r = new Rig();
  r.cmd('ATE0&C0');
  assert.equal(r.m.dcd, true);
  r.cmd('AT&C1');
  assert.equal(r.m.dcd, false);
  r.cmd('ATD1');
  r.connect();
  assert.equal(r.m.dcd, true);
  r.hangupFromRemote();
  assert.equal(r.m.dcd, false);
  assert.deepEqual(r.dcdChanges, [true, false, true, false]);
});

test('[Courier] &D0 ignores DTR, &D1 DTR drop goes to online command mode, &D2 hangs up; [Rockwell] &D3 hangs up and resets', () => {
  const rig = (d: number): Rig => {
    const r = new Rig();
    r.cmd(`ATE0&D${d}`);
    r.cmd('ATD1');
    r.connect();
    r.takeRequests();
    r.take();
    r.dtr(false);
    return r;
  };
  assert.equal(rig(0).m.phase, 'online');
  const d1 = rig(1);
  assert.equal(d1.m.phase, 'online-command');
  assert.equal(d1.take(), '\r\nOK\r\n');
  const d2 = rig(2);
  assert.equal(d2.m.phase, 'command');
  assert.deepEqual(d2.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(d2.take(), '\r\nNO CARRIER\r\n');
  const d3 = rig(3);
  assert.equal(d3.m.phase, 'command');
  assert.deepEqual(d3.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(d3.m.profile.echo, true); // the stored profile again (E1)
});

test('[Courier] S7: NO CARRIER when no carrier comes within S7 seconds of dialling', () => {
  const r = new Rig();
  r.cmd('ATE0S7=30');
  r.cmd('ATD1');
  r.takeRequests();
  r.wait(29_999);
  assert.equal(r.m.phase, 'dialing');
  r.wait(1);
  assert.equal(r.take(), '\r\nNO CARRIER\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'hangup' }]);
  assert.equal(r.cmd('AT'), '\r\nOK\r\n');
});

test('[Courier] S12 is the +++ guard time in fiftieths of a second: silence before and after the three characters', () => {
  const r = new Rig();
  r.cmd('ATE0S12=25'); // 0.5 s
  r.cmd('ATD1');
  r.connect();
  r.take();
  r.type('x', 0).type('+++', 499).wait(2000); // 0.499 s of silence before: data
  assert.equal(r.m.phase, 'online');
  r.type('+++', 500).wait(499); // silence before, not yet after
  assert.equal(r.m.phase, 'online');
  r.wait(1);
  assert.equal(r.m.phase, 'online-command');
  assert.equal(r.take(), '\r\nOK\r\n');
});

test('[Courier] data from the far end while in online command mode is buffered and follows ATO, up to MAX_HELD_REMOTE bytes', () => {
  const r = new Rig().online();
  r.type('+++', 2000).wait(1000);
  r.take();
  r.remote('while you were away ');
  r.remote('x'.repeat(MAX_HELD_REMOTE)); // more than fits
  assert.equal(r.m.retained.heldRemote, MAX_HELD_REMOTE);
  assert.equal(r.m.heldDropped, 20);
  assert.equal(r.take(), '');
  const back = r.cmd('ATO');
  assert.equal(back, `\r\nCONNECT 33600\r\nwhile you were away ${'x'.repeat(MAX_HELD_REMOTE - 20)}`);
  assert.equal(r.m.retained.heldRemote, 0);
  // Hanging up in online command mode discards what was held.
  r.type('+++', 2000).wait(1000);
  r.remote('gone');
  r.cmd('ATH');
  assert.equal(r.m.retained.heldRemote, 0);
});

test('[Courier] S0=n answers on the nth RING; RI is on for each ring and off when answered', () => {
  const r = new Rig();
  r.cmd('ATE0S0=2');
  r.ring();
  assert.equal(r.take(), '\r\nRING\r\n');
  assert.equal(r.m.ri, true);
  r.wait(RI_ON_MS);
  assert.equal(r.m.ri, false);
  r.wait(6000 - RI_ON_MS).ring();
  assert.equal(r.take(), '\r\nRING\r\n');
  assert.deepEqual(r.takeRequests(), [{ type: 'answer' }]);
  assert.equal(r.m.ri, false);
  r.connect(33600);
  assert.equal(r.take(), '\r\nCONNECT 33600\r\n');
  assert.deepEqual(r.riChanges, [true, false, true, false]);
});

test('[Rockwell] #CID=1 and [V.253] +VCID=1: DATE, TIME, NMBR, NAME between the first and second RING', () => {
  const cid = { date: '1204', time: '1530', number: '5551001', name: 'LINE 1' };
  for (const on of ['AT#CID=1', 'AT+VCID=1']) {
    const r = new Rig();
    r.cmd('ATE0');
    assert.equal(r.cmd(on), '\r\nOK\r\n');
    r.ring(cid);
    assert.equal(r.take(), '\r\nRING\r\n\r\nDATE = 1204\r\nTIME = 1530\r\nNMBR = 5551001\r\nNAME = LINE 1\r\n');
    r.wait(6000).ring(cid);
    assert.equal(r.take(), '\r\nRING\r\n'); // reported once per call
  }
  const r = new Rig();
  r.cmd('ATE0');
  assert.equal(r.cmd('AT#CID?'), '\r\n0\r\n\r\nOK\r\n');
  r.ring(cid);
  assert.equal(r.take(), '\r\nRING\r\n'); // off by default
  r.cmd('AT#CID=1');
  assert.equal(r.cmd('AT+VCID?'), '\r\n1\r\n\r\nOK\r\n');
  assert.equal(r.cmd('AT#CID=?'), '\r\n(0-1)\r\n\r\nOK\r\n');
  // A withheld number is "O" (out of area); S0=1 picks up before caller ID is sent.
  const w = new Rig();
  w.cmd('ATE0#CID=1');
  w.ring({ date: '0101', time: '0000' });
  assert.equal(w.take(), '\r\nRING\r\n\r\nDATE = 0101\r\nTIME = 0000\r\nNMBR = O\r\n');
  const a = new Rig();
  a.cmd('ATE0#CID=1S0=1');
  a.ring(cid);
  assert.equal(a.take(), '\r\nRING\r\n');
});

test('[tcpser] the modem answers AT at once after the far end ends the call (a PPP session over)', () => {
  const r = new Rig().online();
  // PPP frames flow, then the server hangs up.
  r.remote('\x7e\xff\x03\xc0\x21\x05\x01\x00\x04\x7e');
  r.hangupFromRemote();
  assert.equal(r.take(), '\x7e\xff\x03\xc0\x21\x05\x01\x00\x04\x7e\r\nNO CARRIER\r\n');
  // The DTE's last frame crosses the hang-up; AT right after it works.
  r.type('\x7e\xff\x03\xc0\x21\x06\x01\x00\x04\x7e');
  r.take();
  assert.equal(r.cmd('AT'), '\r\nOK\r\n');
});

test('[86Box] 12+ digits not in the phone book are an IPv4 address in 3-digit groups; digits after the twelfth are the port', () => {
  assert.deepEqual(numericAddress('192168001010'), { host: '192.168.1.10', port: 23 });
  assert.deepEqual(numericAddress('1270000000012323'), { host: '127.0.0.1', port: 2323 });
  assert.deepEqual(numericAddress('010000000001'), { host: '10.0.0.1', port: 23 });
  assert.equal(numericAddress('5551000'), undefined); // a phone number
  assert.equal(numericAddress('999000000001'), undefined); // no such address
  assert.equal(numericAddress('127000000001999999'), undefined); // no such port
  // What the isp banner prints for a port, read back the same way.
  assert.equal(numericDialString('127.0.0.1', 2390), '1270000000012390');
  assert.deepEqual(numericAddress(numericDialString('10.0.2.2', 23)!), { host: '10.0.2.2', port: 23 });
  assert.equal(numericDialString('example.org', 23), undefined);
  // The modem passes the digits on; the bank resolves them (src/runtime/modem-bank.ts).
  const m = new HayesModem();
  const d = m.fromDte('ATDT192168001010\r', 0).find((o) => o.type === 'dial');
  assert.ok(d && d.type === 'dial' && d.number === '192168001010' && d.dial.kind === 'number');
});
