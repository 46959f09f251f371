// dialtone isp applying an Access-Accept (in-process RADIUS server on 127.0.0.1, in-process
// PPP client): Framed-IP-Address is the address IPCP gives, Class and Acct-Interim-Interval are
// kept on the session for accounting, Idle-Timeout ends a session that carries no IP, and a
// silent RADIUS server is a failed login, not a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { EXIT } from '../ppp/exit-codes.js';
import { decodePacket, encodePacket, attr, RadiusCode, type RadiusAttribute } from './packet.js';
import { signResponse } from './crypto.js';

const secret = 'isp-session-secret';

async function fakeRadius(reply: RadiusAttribute[] | 'silent'): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    const d = decodePacket(m);
    if (!d.ok || reply === 'silent') return;
    const res = encodePacket({ code: RadiusCode.AccessAccept, identifier: d.packet.identifier, authenticator: Buffer.alloc(16), attributes: reply });
    s.send(signResponse(res, d.packet.authenticator, Buffer.from(secret)), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => s.close() };
}

async function withIsp(radiusPort: number, fn: (isp: IspServer, logs: string[]) => Promise<void>) {
  const logs: string[] = [];
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, auth: 'pap' as const, lcpEchoInterval: 0,
    radiusAuth: [{ host: '127.0.0.1', port: radiusPort }], radiusSecret: secret, radiusTimeout: 1, radiusRetries: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([]), log: (m) => logs.push(m) });
  await isp.start();
  try {
    await fn(isp, logs);
  } finally {
    await isp.stop();
  }
}

test('Framed-IP-Address, Class and Acct-Interim-Interval are applied; Idle-Timeout ends an idle session', { timeout: 60_000 }, async () => {
  const radius = await fakeRadius([attr.ipaddr(8, '10.0.2.99'), attr.integer(28, 1), attr.string(25, 'cls-1'), attr.integer(85, 60)]);
  try {
    await withIsp(radius.port, async (isp, logs) => {
      const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'fred', password: 'pw', noipv6: true });
      let local = '';
      link.on('ip-up', (ip) => {
        local = ip.local;
        const s = isp.status().sessions[0]!;
        assert.equal(s.radius?.acctInterimInterval, 60);
        assert.deepEqual(s.radius?.classes.map(String), ['cls-1']);
      });
      const status = await link.done;
      assert.equal(local, '10.0.2.99', logs.join('\n'));
      assert.ok(logs.some((l) => /Idle-Timeout of 1 s reached/.test(l)), logs.join('\n'));
      assert.notEqual(status, EXIT.AUTH_TOPEER_FAILED);
    });
  } finally {
    radius.close();
  }
});

test('a RADIUS server that never answers fails the login (exit 19 at the caller), not a hang', { timeout: 60_000 }, async () => {
  const radius = await fakeRadius('silent');
  try {
    await withIsp(radius.port, async (isp, logs) => {
      const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'fred', password: 'pw', noipv6: true });
      assert.equal(await link.done, EXIT.AUTH_TOPEER_FAILED, logs.join('\n'));
      assert.ok(logs.some((l) => /no RADIUS answer \(timeout\)/.test(l)), logs.join('\n'));
    });
  } finally {
    radius.close();
  }
});
