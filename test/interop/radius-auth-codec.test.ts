// The harness itself against real FreeRADIUS and radclient: our codec's packets are accepted by
// FreeRADIUS, and its answers pass our authenticator checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { startFreeRadius, freeradiusAvailable } from '../harness/freeradius.js';
import { encodePacket, decodePacket, attr, RadiusCode, findAttribute, bufferToIpv4, bufferToInteger } from '../../src/radius/packet.js';
import fs from 'node:fs';
import { signAccountingRequest, hideUserPassword, randomAuthenticator, signAccessRequest, verifyResponse, MESSAGE_AUTHENTICATOR } from '../../src/radius/crypto.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : !freeradiusAvailable().ok ? freeradiusAvailable().why! : false;

function ask(port: number, pkt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('no answer')); }, 20_000);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.send(pkt, port, '127.0.0.1');
  });
}

test('real FreeRADIUS accepts our PAP Access-Request, answers with its reply items, and rejects a wrong password', { skip, timeout: 120_000 }, async () => {
  const secret = 'testing123-secret';
  const fr = await startFreeRadius({ secret, authorize: 'fred Cleartext-Password := "wilma"\n\tFramed-IP-Address = 10.9.8.7,\n\tSession-Timeout = 600\n' });
  try {
    for (const [password, code] of [['wilma', RadiusCode.AccessAccept], ['betty', RadiusCode.AccessReject]] as const) {
      const ra = randomAuthenticator();
      const req = signAccessRequest(encodePacket({ code: RadiusCode.AccessRequest, identifier: 7, authenticator: ra, attributes: [
        attr.string(1, 'fred'), { type: 2, value: hideUserPassword(Buffer.from(password), Buffer.from(secret), ra) },
        attr.string(32, 'dialtone-test'), { type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }] }), Buffer.from(secret));
      const res = await ask(fr.authPort, req);
      assert.deepEqual(verifyResponse(res, ra, Buffer.from(secret)), { ok: true });
      const d = decodePacket(res);
      assert.ok(d.ok);
      assert.equal(d.packet.code, code, fr.log());
      if (code === RadiusCode.AccessAccept) {
        assert.equal(bufferToIpv4(findAttribute(d.packet, 8)!), '10.9.8.7');
        assert.equal(bufferToInteger(findAttribute(d.packet, 27)!), 600);
      }
    }
    // radclient, FreeRADIUS's own client, agrees with the same server.
    const r = spawnSync('radclient', ['-x', '-r', '1', '-t', '10', `127.0.0.1:${fr.authPort}`, 'auth', secret], { input: 'User-Name = "fred", User-Password = "wilma"\n', encoding: 'utf8' });
    assert.match(r.stdout, /Access-Accept/, r.stdout + r.stderr);
    // Accounting: an RFC 2866 Accounting-Request is answered and lands in the detail file.
    const acct = signAccountingRequest(encodePacket({ code: RadiusCode.AccountingRequest, identifier: 9, authenticator: Buffer.alloc(16), attributes: [
      attr.integer(40, 1), attr.string(44, 'sess-0001'), attr.string(1, 'fred'), attr.string(32, 'dialtone-test')] }), Buffer.from(secret));
    const ares = await ask(fr.acctPort, acct);
    assert.deepEqual(verifyResponse(ares, acct.subarray(4, 20), Buffer.from(secret)), { ok: true });
    assert.equal(ares[0], RadiusCode.AccountingResponse);
    assert.match(fs.readFileSync(fr.detailFile, 'utf8'), /Acct-Session-Id = "sess-0001"/);
  } finally {
    await fr.stop();
  }
});
