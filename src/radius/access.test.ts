import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessRequestFor, verdictFrom, NAS_PORT_TYPE } from './access.js';
import { attr, vendorSpecific, findAttribute, findVendorAttribute, RadiusCode, type RadiusAttribute } from './packet.js';
import { encryptMppeKey } from './crypto.js';
import type { RadiusResult } from './client.js';

const nas = { nasIdentifier: 'dialtone-test', nasIpAddress: '192.0.2.1' };
const call = { nasPort: 3, nasPortType: NAS_PORT_TYPE.Async, callingStationId: '5551234', calledStationId: '5551000', connectInfo: '33600' };
const secret = Buffer.from('s');
const ra = Buffer.alloc(16, 9);
const result = (code: number, attributes: RadiusAttribute[]): RadiusResult => ({ ok: true, response: { code, identifier: 1, authenticator: Buffer.alloc(16), attributes }, requestAuthenticator: ra, secret, server: 0 });

test('Access-Requests carry the credentials and the port description (RFC 2865, RFC 2548)', () => {
  const pap = accessRequestFor({ method: 'pap', user: 'fred', password: Buffer.from('wilma') }, nas, call)!;
  assert.equal(pap.userPassword!.toString(), 'wilma');
  const p = { code: pap.code, identifier: 0, authenticator: ra, attributes: pap.attributes };
  assert.equal(findAttribute(p, 32)!.toString(), 'dialtone-test');
  assert.deepEqual([...findAttribute(p, 61)!], [0, 0, 0, 0]);
  assert.equal(findAttribute(p, 31)!.toString(), '5551234');
  assert.equal(findAttribute(p, 77)!.toString(), '33600');
  const chap = accessRequestFor({ method: 'chap', digest: 5, id: 7, user: 'barney', challenge: Buffer.alloc(16, 1), response: Buffer.alloc(16, 2) }, nas, call)!;
  const c = { code: 1, identifier: 0, authenticator: ra, attributes: chap.attributes };
  assert.deepEqual(findAttribute(c, 3), Buffer.concat([Buffer.from([7]), Buffer.alloc(16, 2)]));
  assert.deepEqual(findAttribute(c, 60), Buffer.alloc(16, 1));
  // MS-CHAPv2: the CHAP Value (PeerChallenge 16, Reserved 8, NT-Response 24, Flags) becomes Ident, Flags, PeerChallenge, Reserved, NT-Response.
  const value = Buffer.concat([Buffer.alloc(16, 0xaa), Buffer.alloc(8), Buffer.alloc(24, 0xbb), Buffer.from([0])]);
  const v2 = accessRequestFor({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: Buffer.alloc(16, 3), response: value }, nas, call)!;
  const m = { code: 1, identifier: 0, authenticator: ra, attributes: v2.attributes };
  assert.deepEqual(findVendorAttribute(m, 311, 11), Buffer.alloc(16, 3));
  assert.deepEqual(findVendorAttribute(m, 311, 25), Buffer.concat([Buffer.from([9, 0]), value.subarray(0, 48)]));
  assert.equal(accessRequestFor({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: Buffer.alloc(16), response: Buffer.alloc(10) }, nas, call), undefined);
});

test('an MS-CHAPv2 Access-Accept gives the S= message, the decrypted MPPE keys and the grant', () => {
  const send = Buffer.alloc(16, 0x11);
  const recv = Buffer.alloc(16, 0x22);
  const r = result(RadiusCode.AccessAccept, [
    vendorSpecific(311, 26, Buffer.concat([Buffer.from([9]), Buffer.from('S=0123456789ABCDEF0123456789ABCDEF01234567')])),
    vendorSpecific(311, 16, encryptMppeKey(send, secret, ra, Buffer.from([0x80, 1]))),
    vendorSpecific(311, 17, encryptMppeKey(recv, secret, ra, Buffer.from([0x80, 2]))),
    vendorSpecific(311, 28, Buffer.from([10, 0, 2, 3])),
    attr.ipaddr(8, '255.255.255.254'), attr.integer(27, 3600), attr.integer(28, 600), attr.integer(85, 300),
    attr.string(25, 'class-a'), attr.string(11, 'slow'), attr.integer(12, 1400),
  ]);
  const { verdict, grant } = verdictFrom({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: Buffer.alloc(16), response: Buffer.alloc(49) }, r);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.message!.toString(), 'S=0123456789ABCDEF0123456789ABCDEF01234567');
  assert.deepEqual(verdict.keys, { send, recv });
  assert.deepEqual({ ...grant!, classes: grant!.classes.map(String) }, {
    user: 'dino', framedIp: 'pool', framedPool: undefined, sessionTimeout: 3600, idleTimeout: 600, acctInterimInterval: 300,
    framedMtu: 1400, dns: ['10.0.2.3'], filterId: 'slow', classes: ['class-a'], replyMessage: undefined,
  });
});

test('rejects carry MS-CHAP-Error or Reply-Message to the peer; no answer is a plain failure', () => {
  const ms = verdictFrom({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: Buffer.alloc(16), response: Buffer.alloc(49) },
    result(RadiusCode.AccessReject, [vendorSpecific(311, 2, Buffer.from('\x09E=691 R=0 C=00 V=3'))]));
  assert.equal(ms.verdict.message!.toString(), 'E=691 R=0 C=00 V=3');
  const pap = verdictFrom({ method: 'pap', user: 'fred', password: Buffer.from('x') }, result(RadiusCode.AccessReject, [attr.string(18, 'Account expired')]));
  assert.deepEqual([pap.verdict.ok, pap.verdict.message!.toString()], [false, 'Account expired']);
  assert.deepEqual(verdictFrom({ method: 'pap', user: 'fred', password: Buffer.from('x') }, { ok: false, reason: 'timeout' }).verdict, { ok: false });
  // An Accept for MS-CHAPv2 without MS-CHAP2-Success cannot be completed: failure.
  assert.equal(verdictFrom({ method: 'chap', digest: 0x81, id: 9, user: 'dino', challenge: Buffer.alloc(16), response: Buffer.alloc(49) }, result(RadiusCode.AccessAccept, [])).verdict.ok, false);
});
