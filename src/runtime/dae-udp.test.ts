import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { listenDae } from './dae-udp.js';
import { RadiusCode, attr, decodePacket, encodePacket } from '../radius/packet.js';
import { signAccountingRequest } from '../radius/crypto.js';
import { A } from '../radius/acct-packet.js';
import { canonicalIp } from '../wire/ipv6.js';

const SECRET = Buffer.from('dae-secret');

async function disconnect(family: 'udp4' | 'udp6', host: string, port: number, user: string): Promise<number> {
  const req = signAccountingRequest(encodePacket({ code: RadiusCode.DisconnectRequest, identifier: 7, authenticator: Buffer.alloc(16), attributes: [attr.string(A.UserName, user), attr.integer(A.EventTimestamp, Math.floor(Date.now() / 1000))] }), SECRET);
  const s = dgram.createSocket(family);
  try {
    s.send(req, port, host);
    const [m] = (await once(s, 'message')) as [Buffer];
    const d = decodePacket(m);
    assert.ok(d.ok);
    return d.packet.code;
  } finally {
    s.close();
  }
}

test('the DAE listener answers over IPv6, and on :: hears an IPv4 client as its IPv4 address', async () => {
  const ended: number[] = [];
  const target = { liveSessions: () => [{ id: 1, user: 'a', address: '10.0.2.15', acctSessionId: 's1' }], adminReset: (id: number) => (ended.push(id), true), setLimits: () => true };
  const six = await listenDae({ host: '::1', port: 0 }, { clients: [{ address: '::1', secret: 'dae-secret' }], window: 300, target });
  const any = await listenDae({ host: '::', port: 0 }, { clients: [{ address: '127.0.0.1', secret: 'dae-secret' }], window: 300, target });
  try {
    assert.equal(await disconnect('udp6', '::1', six.port, 'a'), RadiusCode.DisconnectAck);
    assert.equal(await disconnect('udp4', '127.0.0.1', any.port, 'a'), RadiusCode.DisconnectAck);
    assert.deepEqual(ended, [1, 1]);
    assert.match(JSON.stringify(six.status()), /"listen":"\[::1\]:\d+"/);
  } finally {
    await six.close();
    await any.close();
  }
});

test('canonicalIp: one text per address (IPv4-mapped as IPv4, IPv6 in RFC 5952 form)', () => {
  assert.equal(canonicalIp('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(canonicalIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('host.example'), 'host.example');
});
