// dialtone isp applying the Access-Accept's session attributes (in-process RADIUS server,
// in-process PPP client): Framed-Pool picks a pool-name (an unknown one refuses the session
// with a log line), MS-Primary/Secondary-DNS-Server are the DNS addresses IPCP gives,
// Framed-MTU is the MTU the session's network backend gets, and Filter-Id picks a rate-limit
// that a CoA (setLimits, as dae.ts calls it) changes live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { IspServer, type BackendRequest } from './server.js';
import { parseIspConfig } from './config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { decodePacket, encodePacket, attr, vendorSpecific, findAttribute, RadiusCode, type RadiusAttribute } from '../radius/packet.js';
import { signResponse } from '../radius/crypto.js';
import { MICROSOFT_VENDOR_ID } from '../radius/dictionary.js';
import { waitUntil } from '../runtime/wait-until.js';

const secret = 'attrs-secret';
const ipBuf = (a: string) => Buffer.from(a.split('.').map(Number));

async function fakeRadius(replies: Record<string, RadiusAttribute[]>): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    const d = decodePacket(m);
    if (!d.ok) return;
    const user = findAttribute(d.packet, 1)?.toString() ?? '';
    const res = encodePacket({ code: RadiusCode.AccessAccept, identifier: d.packet.identifier, authenticator: Buffer.alloc(16), attributes: replies[user] ?? [] });
    s.send(signResponse(res, d.packet.authenticator, Buffer.from(secret)), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => s.close() };
}

test('Framed-Pool, MS-*-DNS-Server, Framed-MTU and Filter-Id (changed by CoA) take effect; an unknown Framed-Pool is refused', { timeout: 60_000 }, async () => {
  const radius = await fakeRadius({
    gold: [attr.string(88, 'gold'), vendorSpecific(MICROSOFT_VENDOR_ID, 28, ipBuf('192.0.2.53')), vendorSpecific(MICROSOFT_VENDOR_ID, 29, ipBuf('192.0.2.54')), attr.integer(12, 1200), attr.string(11, 'slow')],
    lost: [attr.string(88, 'platinum')],
    plain: [],
  });
  const logs: string[] = [];
  const requests: BackendRequest[] = [];
  const config = {
    ...parseIspConfig(`pool 10.0.2.15-10.0.2.99\npool-name gold 10.0.2.100-10.0.2.109\nrate-limit slow 64 32\nrate-limit fast 1024 256\nauth pap\nlcp-echo-interval 0\nradius-auth 127.0.0.1:${radius.port}\nradius-secret ${secret}\nradius-timeout 1\nradius-retries 0\n`, 'isp.conf'),
    listenPpp: { host: '127.0.0.1', port: 0 },
  };
  const isp = new IspServer({
    config, secrets: staticSecrets([]), log: (m) => logs.push(m),
    backend: (req) => (requests.push(req), { deliver: () => undefined, attach: () => undefined, detach: () => undefined }),
  });
  await isp.start();
  const dial = (user: string) => new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user, password: 'pw', noipv6: true, usePeerDns: true });
  const up = (link: PppLink) => new Promise<{ local: string; dns: string[] }>((resolve, reject) => {
    link.on('ip-up', resolve);
    void link.done.then((s) => reject(new Error(`ended with ${s}\n${logs.join('\n')}`)));
  });
  try {
    const gold = dial('gold');
    const ip = await up(gold);
    assert.equal(ip.local, '10.0.2.100', 'the first address of pool gold');
    assert.deepEqual(ip.dns, ['192.0.2.53', '192.0.2.54'], 'MS-Primary/Secondary-DNS-Server, not dns 10.0.2.3');
    assert.equal(requests.at(-1)!.mtu, 1200, 'Framed-MTU');
    assert.ok(logs.some((l) => /Framed-MTU 1200: session MTU 1200/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /rate-limit slow: 64 kbit\/s down, 32 kbit\/s up/.test(l)), logs.join('\n'));
    // CoA-Request Filter-Id = "fast" (dae.ts calls setLimits).
    const id = isp.liveSessions()[0]!.id;
    assert.equal(isp.setLimits(id, { filterId: 'fast' }), true);
    assert.ok(logs.some((l) => /rate-limit fast: 1024 kbit\/s down, 256 kbit\/s up/.test(l)), logs.join('\n'));
    assert.equal(isp.status().pool.inUse, 0, 'the main pool is untouched');
    assert.deepEqual(isp.status().namedPools, { gold: { range: '10.0.2.100-10.0.2.109', size: 10, inUse: 1 } });
    assert.equal((isp.status().sessions[0] as { rateLimit?: { name: string } }).rateLimit?.name, 'fast');

    const plain = dial('plain');
    const ip2 = await up(plain);
    assert.equal(ip2.local, '10.0.2.15', 'no Framed-Pool: the main pool');
    assert.equal(ip2.dns[0], '10.0.2.3', 'no MS-*-DNS-Server: isp.conf dns');
    assert.equal(requests.at(-1)!.mtu, undefined);

    const lost = dial('lost');
    await lost.done;
    assert.ok(logs.some((l) => /refusing .*: Framed-Pool "platinum" is not a pool-name in isp\.conf/.test(l)), logs.join('\n'));

    // The address goes back to pool gold: the next gold session gets it again.
    gold.close();
    await gold.done;
    await waitUntil(() => isp.liveSessions().length === 1, 10_000, 'the gold session gone');
    const again = dial('gold');
    assert.equal((await up(again)).local, '10.0.2.100');
    again.close();
    plain.close();
    await Promise.all([again.done, plain.done]);
  } finally {
    await isp.stop();
    radius.close();
  }
});
