import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import {
  FCS16_GOOD,
  FCS32_GOOD,
  crc32Portable,
  fcs16,
  fcs16Good,
  fcs16ToAppend,
  fcs32,
  fcs32Good,
  fcs32ToAppend,
} from './fcs.js';

// Bit-at-a-time references, straight from the definition (RFC 1662 §C.1:
// LSB-first shift register with the reflected polynomial), deliberately not
// sharing any code with the table-driven implementation under test.
function refFcs16(data: Uint8Array, init = 0xffff): number {
  let r = init;
  for (const byte of data) {
    for (let bit = 0; bit < 8; bit++) {
      const inBit = (byte >> bit) & 1;
      const mix = (r ^ inBit) & 1;
      r >>>= 1;
      if (mix) r ^= 0x8408;
    }
  }
  return r;
}
function refFcs32(data: Uint8Array, init = 0xffffffff): number {
  let r = init >>> 0;
  for (const byte of data) {
    for (let bit = 0; bit < 8; bit++) {
      const mix = (r ^ (byte >> bit)) & 1;
      r >>>= 1;
      if (mix) r = (r ^ 0xedb88320) >>> 0;
    }
  }
  return r >>> 0;
}

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function withFcs16(data: Uint8Array): Uint8Array {
  const v = fcs16ToAppend(data);
  return new Uint8Array([...data, v & 0xff, v >>> 8]); // LSB first on the wire
}
function withFcs32(data: Uint8Array): Uint8Array {
  const v = fcs32ToAppend(data);
  return new Uint8Array([...data, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
}

test('zlib.crc32 is available on this Node (>= 20.15)', () => {
  assert.equal(typeof (zlib as { crc32?: unknown }).crc32, 'function');
});

test('FCS-16 check value "123456789" = 0x906E (CRC-16/X-25)', () => {
  assert.equal(fcs16ToAppend(ascii('123456789')), 0x906e);
  assert.equal(fcs16(ascii('123456789')), 0x906e ^ 0xffff);
});

test('FCS-32 check value "123456789" = 0xCBF43926', () => {
  assert.equal(fcs32ToAppend(ascii('123456789')), 0xcbf43926);
  assert.equal(fcs32(ascii('123456789')), (~0xcbf43926) >>> 0);
  assert.equal(crc32Portable(ascii('123456789')), 0xcbf43926);
});

test('empty input leaves the preset register untouched', () => {
  assert.equal(fcs16(new Uint8Array(0)), 0xffff);
  assert.equal(fcs32(new Uint8Array(0)), 0xffffffff);
});

test('good residues: 0xF0B8 and 0xDEBB20E3 (RFC 1662 §C.2, §C.3)', () => {
  // An LCP Configure-Request (asyncmap 0, magic, pcomp, accomp) as on the wire.
  const lcp = Uint8Array.from(Buffer.from('ff03c021010100140206000000000506123456780702' + '0802', 'hex'));
  assert.equal(fcs16ToAppend(lcp), 0xef4c); // independently computed (python binascii, bit-reflected)
  const f16 = withFcs16(lcp);
  assert.equal(fcs16(f16), FCS16_GOOD);
  assert.ok(fcs16Good(f16));
  const f32 = withFcs32(lcp);
  assert.equal(fcs32(f32), FCS32_GOOD);
  assert.ok(fcs32Good(f32));
  // flip any bit and the check fails
  f16[5] = f16[5]! ^ 0x10;
  assert.ok(!fcs16Good(f16));
  f32[7] = f32[7]! ^ 0x01;
  assert.ok(!fcs32Good(f32));
});

test('property: table-driven FCS equals the bitwise reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 0xffff }), (d, init) => {
      assert.equal(fcs16(d, init), refFcs16(d, init));
      assert.equal(fcs16(d), refFcs16(d));
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 0xffffffff }), (d, init) => {
      assert.equal(fcs32(d, init), refFcs32(d, init));
      assert.equal(fcs32(d), refFcs32(d));
      assert.equal(crc32Portable(d), zlib.crc32(d));
    }),
  );
});

test('property: incremental computation equals one-shot; appended FCS always checks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(400), (d, cut) => {
      const k = Math.min(cut, d.length);
      assert.equal(fcs16(d.subarray(k), fcs16(d.subarray(0, k))), fcs16(d));
      assert.equal(fcs32(d.subarray(k), fcs32(d.subarray(0, k))), fcs32(d));
      assert.ok(fcs16Good(withFcs16(d)));
      assert.ok(fcs32Good(withFcs32(d)));
    }),
  );
});
