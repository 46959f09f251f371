// dialtone isp with `auth eap` and radius-auth, end to end in one process: an in-process PPP
// client (dialtone's EAP-MD5 peer) dials, the isp relays EAP to an in-process RADIUS server that
// runs EAP-MD5 itself (RFC 3579: EAP-Message, State, Message-Authenticator). The right secret
// gets the Access-Accept's Framed-IP-Address; a wrong one is exit 19 at the caller. With debug
// on, neither the user's secret nor the RADIUS shared secret appears in any log line, in text,
// hex or base64 (the isp never sees the user's secret: EAP-MD5 carries only its digest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig, parseIspConfig, IspConfigError } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { EXIT } from '../ppp/exit-codes.js';
import { decodePacket, encodePacket, attr, RadiusCode, findAttribute, findAttributes, type RadiusAttribute } from './packet.js';
import { signResponse, verifyMessageAuthenticator, MESSAGE_AUTHENTICATOR } from './crypto.js';
import { eapMessageAttributes, EAP_MESSAGE } from './eap-relay.js';
import { chapMd5 } from '../ppp/auth/chap-md5.js';
import { timingSafeEqual } from 'node:crypto';
import { emitEap } from '../ppp/auth/eap-packet.js';

const secret = 'isp-eap-radius-Secret-9';
const userSecret = 'fred-EAP-secret-Xyzzy';
const challenge = Buffer.alloc(16, 0x5a);

const eap = emitEap;

/** A RADIUS server that runs EAP-MD5 for `fred` (and checks what an EAP NAS must send). */
async function eapRadius(): Promise<{ port: number; seen: string[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const seen: string[] = [];
  s.on('message', (m, r) => {
    const d = decodePacket(m);
    if (!d.ok) return;
    const p = d.packet;
    // RFC 3579 §3.2: an Access-Request with EAP-Message must carry a valid Message-Authenticator.
    if (!verifyMessageAuthenticator(m, Buffer.from(secret), p.authenticator, true).ok) return seen.push('bad MA');
    const e = Buffer.concat(findAttributes(p, EAP_MESSAGE));
    let code: number = RadiusCode.AccessReject;
    let attributes: RadiusAttribute[] = [];
    if (e[0] === 2 && e[4] === 1) {
      seen.push(`identity ${findAttribute(p, 1)}`);
      code = RadiusCode.AccessChallenge;
      attributes = [...eapMessageAttributes(eap(1, 42, Buffer.concat([Buffer.from([4, 16]), challenge, Buffer.from('radius')]))), attr.string(24, 'st-42')];
    } else if (e[0] === 2 && e[1] === 42 && e[4] === 4 && String(findAttribute(p, 24)) === 'st-42') {
      const ok = timingSafeEqual(e.subarray(6, 22), chapMd5(42, Buffer.from(userSecret), challenge));
      seen.push(ok ? 'accept' : 'reject');
      code = ok ? RadiusCode.AccessAccept : RadiusCode.AccessReject;
      attributes = ok ? [...eapMessageAttributes(eap(3, 42)), attr.ipaddr(8, '10.0.2.98')] : eapMessageAttributes(eap(4, 42));
    }
    const res = encodePacket({ code, identifier: p.identifier, authenticator: Buffer.alloc(16), attributes: [{ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) }, ...attributes] });
    s.send(signResponse(res, p.authenticator, Buffer.from(secret)), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, seen, close: () => s.close() };
}

function assertNoSecret(logs: string[]): void {
  for (const sec of [secret, userSecret, 'wrong-EAP-secret-Plugh']) {
    const b = Buffer.from(sec);
    for (const needle of [sec, b.toString('hex'), b.toString('base64')]) {
      for (const l of logs) assert.ok(!l.toLowerCase().includes(needle.toLowerCase()), `secret in log: ${l}`);
    }
  }
}

test('auth eap with radius-auth: EAP-MD5 relayed to RADIUS gets in with its Framed-IP-Address, a wrong secret is exit 19, no secret logged', { timeout: 60_000 }, async () => {
  const radius = await eapRadius();
  const logs: string[] = [];
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, auth: 'eap' as const, lcpEchoInterval: 0, debug: true, authFailDelay: 0,
    radiusAuth: [{ host: '127.0.0.1', port: radius.port }], radiusSecret: secret, radiusTimeout: 2, radiusRetries: 1 };
  const isp = new IspServer({ config, secrets: staticSecrets([]), log: (m) => logs.push(m) });
  await isp.start();
  try {
    const clientLogs: string[] = [];
    const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'fred', password: userSecret, noipv6: true, debug: true });
    link.on('log', (_l, m) => clientLogs.push(m));
    let local = '';
    link.on('ip-up', (ip) => {
      local = ip.local;
      link.close();
    });
    await link.done;
    const w = `${logs.join('\n')}\n--- client ---\n${clientLogs.join('\n')}\n--- radius --- ${radius.seen.join(', ')}`;
    assert.equal(local, '10.0.2.98', w);
    assert.deepEqual(radius.seen, ['identity fred', 'accept'], w);
    assert.ok(clientLogs.some((l) => /rcvd \[EAP Request id=0x2a MD5-Challenge/.test(l)), w);

    const bad = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'fred', password: 'wrong-EAP-secret-Plugh', noipv6: true, debug: true });
    bad.on('log', (_l, m) => clientLogs.push(m));
    assert.equal(await bad.done, EXIT.AUTH_TOPEER_FAILED, w);
    assert.deepEqual(radius.seen.slice(2), ['identity fred', 'reject'], w);
    assert.ok(logs.some((l) => /Access-Reject \(EAP\) for "fred"/.test(l)), logs.join('\n'));
    assertNoSecret([...logs, ...clientLogs, JSON.stringify(isp.status())]);
  } finally {
    await isp.stop();
    radius.close();
  }
});

test('isp.conf: `auth eap` parses, and the error for a bad auth value names it', () => {
  assert.equal(parseIspConfig('auth eap\nradius-auth 127.0.0.1\nradius-secret s', 'isp.conf').auth, 'eap');
  assert.throws(() => parseIspConfig('auth eap-tls', 'isp.conf'), (e: unknown) => e instanceof IspConfigError && /isp\.conf:1: auth is pap, chap, any, eap or none/.test(e.message));
});
