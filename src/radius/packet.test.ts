import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { decodePacket, encodePacket, vendorSpecific, vendorAttributes, decodeVendorSpecific, findVendorAttribute, attr, codeName, RadiusCode } from './packet.js';

test('a packet encodes and decodes to the same fields, trailing padding ignored', () => {
  const p = { code: RadiusCode.AccessRequest, identifier: 200, authenticator: crypto.randomBytes(16),
    attributes: [attr.string(1, 'nemo'), attr.ipaddr(4, '192.168.1.16'), attr.integer(5, 3), vendorSpecific(311, 11, Buffer.alloc(16, 1))] };
  const bytes = encodePacket(p);
  const d = decodePacket(Buffer.concat([bytes, Buffer.alloc(5)]));
  assert.ok(d.ok);
  assert.deepEqual(d.packet, p);
  assert.deepEqual(findVendorAttribute(d.packet, 311, 11), Buffer.alloc(16, 1));
  assert.equal(codeName(43), 'CoA-Request');
});

test('malformed packets are rejected with a reason, never thrown', () => {
  const good = encodePacket({ code: 2, identifier: 1, authenticator: Buffer.alloc(16), attributes: [attr.string(18, 'hi')] });
  const cases: Buffer[] = [
    Buffer.alloc(0), good.subarray(0, 19),
    (() => { const b = Buffer.from(good); b.writeUInt16BE(19, 2); return b; })(),
    (() => { const b = Buffer.from(good); b.writeUInt16BE(5000, 2); return b; })(),
    (() => { const b = Buffer.from(good); b.writeUInt16BE(good.length + 1, 2); return b; })(),
    (() => { const b = Buffer.from(good); b[21] = 1; return b; })(),
    (() => { const b = Buffer.from(good); b[21] = 50; return b; })(),
    (() => { const b = Buffer.concat([good, Buffer.from([5])]); b.writeUInt16BE(b.length, 2); return b; })(),
  ];
  for (const c of cases) {
    const r = decodePacket(c);
    assert.equal(r.ok, false, c.toString('hex'));
  }
  // Random bytes: any outcome but an exception.
  for (let i = 0; i < 2000; i++) decodePacket(crypto.randomBytes(i % 80));
});

test('Vendor-Specific holds several sub-attributes; a non-conforming one is kept raw', () => {
  const v = Buffer.concat([Buffer.from([0, 0, 1, 55]), Buffer.from([1, 3, 9]), Buffer.from([2, 4, 7, 7])]);
  assert.deepEqual(decodeVendorSpecific(v), [
    { vendorId: 311, type: 1, value: Buffer.from([9]) }, { vendorId: 311, type: 2, value: Buffer.from([7, 7]) }]);
  assert.equal(decodeVendorSpecific(Buffer.from([0, 0, 1, 55, 1, 9])), null);
  const p = { code: 2, identifier: 0, authenticator: Buffer.alloc(16), attributes: [{ type: 26, value: Buffer.from([0, 0, 1, 55, 1, 1]) }] };
  assert.deepEqual(vendorAttributes(p), []);
});

test('encoding refuses values over 253 octets and packets over 4096', () => {
  assert.throws(() => encodePacket({ code: 1, identifier: 0, authenticator: Buffer.alloc(16), attributes: [attr.string(1, 'x'.repeat(254))] }));
  const many = Array.from({ length: 17 }, () => attr.string(18, 'x'.repeat(253)));
  assert.throws(() => encodePacket({ code: 1, identifier: 0, authenticator: Buffer.alloc(16), attributes: many }));
});
