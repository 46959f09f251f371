import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodePacket, RadiusCode, attr } from './packet.js';
import {
  hideUserPassword, revealUserPassword, verifyResponse, signResponse, signAccessRequest, verifyMessageAuthenticator,
  signAccountingRequest, verifyAccountingRequest, encryptMppeKey, decryptMppeKey, MESSAGE_AUTHENTICATOR,
} from './crypto.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const secret = Buffer.from('xyzzy5461');

// RFC 2865 §7.1: NAS 192.168.1.16 sends user "nemo", password "arctangent", port 3.
const rfc2865Request = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f
  02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03`);
const rfc2865Accept = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01
  0f 06 00 00 00 00 0e 06 c0 a8 01 03`);

test('User-Password hiding reproduces RFC 2865 §7.1 and reverses', () => {
  const req = decodePacket(rfc2865Request);
  assert.ok(req.ok);
  const hidden = hideUserPassword(Buffer.from('arctangent'), secret, req.packet.authenticator);
  assert.deepEqual(hidden, req.packet.attributes[1]!.value);
  assert.equal(revealUserPassword(hidden, secret, req.packet.authenticator)!.toString(), 'arctangent');
});

test('the Response Authenticator of RFC 2865 §7.1 verifies, and a changed byte or secret does not', () => {
  const req = decodePacket(rfc2865Request);
  assert.ok(req.ok);
  assert.deepEqual(verifyResponse(rfc2865Accept, req.packet.authenticator, secret), { ok: true });
  assert.equal(verifyResponse(rfc2865Accept, req.packet.authenticator, Buffer.from('xyzzy5462')).ok, false);
  const tampered = Buffer.from(rfc2865Accept);
  tampered[tampered.length - 1] ^= 1;
  assert.equal(verifyResponse(tampered, req.packet.authenticator, secret).ok, false);
  // Signing the same response from scratch gives the RFC's bytes.
  const resigned = signResponse(Buffer.concat([rfc2865Accept.subarray(0, 4), Buffer.alloc(16), rfc2865Accept.subarray(20)]), req.packet.authenticator, secret);
  assert.deepEqual(resigned, rfc2865Accept);
});

test('passwords of 16, 17 and 128 octets hide in whole blocks and reveal exactly', () => {
  const ra = Buffer.alloc(16, 7);
  for (const n of [1, 16, 17, 128]) {
    const pw = Buffer.alloc(n, 0x61);
    const h = hideUserPassword(pw, secret, ra);
    assert.equal(h.length, Math.max(16, Math.ceil(n / 16) * 16));
    assert.deepEqual(revealUserPassword(h, secret, ra), pw);
  }
  assert.throws(() => hideUserPassword(Buffer.alloc(129), secret, ra));
});

// RFC 5997 §6: a Status-Server with a Message-Authenticator, shared secret "xyzzy5461".
test('the Message-Authenticator of RFC 5997 §6 Status-Server verifies', () => {
  const pkt = hex(`0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02 18 5d 06 23 50 12 5a 66 5e 2e
    1e 84 11 f3 e2 43 82 20 97 c8 4f a3`);
  assert.deepEqual(verifyMessageAuthenticator(pkt, secret, pkt.subarray(4, 20), true), { ok: true });
  assert.equal(verifyMessageAuthenticator(pkt, Buffer.from('other'), pkt.subarray(4, 20), true).ok, false);
  // Rebuilt from a zero Message-Authenticator, signing gives the RFC's value.
  const zeroed = Buffer.from(pkt);
  zeroed.fill(0, 22, 38);
  assert.deepEqual(signAccessRequest(zeroed, secret), pkt);
});

test('a response carrying a Message-Authenticator is signed over the request authenticator and verifies', () => {
  const ra = Buffer.alloc(16, 0x42);
  const raw = encodePacket({ code: RadiusCode.AccessChallenge, identifier: 9, authenticator: Buffer.alloc(16),
    attributes: [attr.string(79, Buffer.from([1, 2, 0, 4])), { type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }] });
  const signed = signResponse(raw, ra, secret);
  assert.deepEqual(verifyResponse(signed, ra, secret, true), { ok: true });
  const bad = Buffer.from(signed);
  bad[bad.length - 1] ^= 0x80; // corrupt the Message-Authenticator only
  assert.equal(verifyResponse(bad, ra, secret, true).ok, false);
  const noMa = signResponse(encodePacket({ code: 2, identifier: 9, authenticator: Buffer.alloc(16), attributes: [] }), ra, secret);
  assert.deepEqual(verifyResponse(noMa, ra, secret, true), { ok: false, reason: 'Message-Authenticator missing' });
});

test('accounting and DAE Request Authenticators (RFC 2866 §3, RFC 5176 §2.3) sign and verify', () => {
  const raw = encodePacket({ code: RadiusCode.AccountingRequest, identifier: 1, authenticator: Buffer.alloc(16),
    attributes: [attr.integer(40, 1), attr.string(44, 'abc'), { type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }] });
  const signed = signAccountingRequest(raw, secret);
  assert.deepEqual(verifyAccountingRequest(signed, secret), { ok: true });
  assert.equal(verifyAccountingRequest(signed, Buffer.from('nope')).ok, false);
});

test('MS-MPPE keys survive RFC 2548 §2.4.2 salt encryption; malformed values are refused', () => {
  const ra = Buffer.from('0123456789abcdef');
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const enc = encryptMppeKey(key, secret, ra, Buffer.from([0x80, 0x01]));
  assert.equal(enc.length, 2 + 32); // 1 + 16 octets pad to 32
  assert.deepEqual(decryptMppeKey(enc, secret, ra), key);
  assert.notDeepEqual(decryptMppeKey(enc, Buffer.from('wrong'), ra), key);
  assert.equal(decryptMppeKey(enc.subarray(0, 20), secret, ra), null);
  const noHighBit = Buffer.from(enc);
  noHighBit[0] = 0x01;
  assert.equal(decryptMppeKey(noHighBit, secret, ra), null);
});
