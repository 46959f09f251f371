import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AutoPppDetector } from './autoppp.js';
import { HdlcEncoder } from '../wire/hdlc.js';
import { emitControl } from '../ppp/packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('recognises an LCP frame start, plain or with escaped bytes (Windows: 7E FF 7D 23 C0 21)', () => {
  for (const s of ['7e ff 03 c0 21', '7e ff 7d 23 c0 21', 'ff 7d 23 c0 21', '7e 7d df 7d 23 7d e0 7d 01']) {
    assert.ok(new AutoPppDetector().push(hex(s)), s);
  }
});

test('a real LCP Configure-Request from our own framer is recognised in any chunking', () => {
  const frame = new HdlcEncoder().encode(0xc021, emitControl(1, 1, hex('0206 00000000 0506 12345678 0702 0802')));
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), (n) => {
    const d = new AutoPppDetector();
    let hit = false;
    for (let i = 0; i < frame.length; i += n) hit = d.push(frame.subarray(i, i + n)) || hit;
    return hit;
  }));
});

test('typed text never looks like PPP; the detector survives noise before the frame', () => {
  const d = new AutoPppDetector();
  assert.equal(d.push(Buffer.from('fred\r\nwilma\r\n~~~ ATZ\r')), false);
  assert.equal(d.push(hex('7e ff 03 c0 21')), true);
  fc.assert(fc.property(fc.string(), (s) => !new AutoPppDetector().push(Buffer.from(s.replace(/[^ -~]/g, ''), 'latin1'))));
});
