import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ipcp, IpcpOpt, type IpcpPolicy } from './ipcp.js';
import { Code, emitOptions, opt, parseOptions, u32 } from './packet.js';
import { Timers } from './timers.js';
import { parseIp4 } from '../wire/ipv4.js';

const ip = (s: string) => parseIp4(s)!;

function ipcp(p: Partial<IpcpPolicy> = {}) {
  const policy: IpcpPolicy = {
    localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), acceptLocal: false, acceptRemote: false,
    dns: [ip('10.0.0.53'), ip('10.0.0.54')], wins: [ip('10.0.0.137'), 0], usePeerDns: false, ...p,
  };
  const host = { send: () => undefined, log: () => undefined, up: () => undefined, down: () => undefined, finished: () => undefined, fail: () => undefined };
  return new Ipcp(policy, { restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 }, host, new Timers({ now: 0 }));
}

const req = (...o: [number, number[] | Buffer][]) => emitOptions(o.map(([t, v]) => opt(t, v)));

test('a Windows client asking for address, DNS and WINS gets Naks with the server\'s values', () => {
  const r = ipcp().reqCi(req([IpcpOpt.Address, u32(0)], [IpcpOpt.PrimaryDns, u32(0)], [IpcpOpt.PrimaryNbns, u32(0)], [IpcpOpt.SecondaryDns, u32(0)]), false);
  assert.equal(r.code, Code.ConfNak);
  assert.deepEqual(parseOptions(r.data)!.map((o) => [o.type, o.value.readUInt32BE(0)]), [
    [IpcpOpt.Address, ip('10.0.0.2')], [IpcpOpt.PrimaryDns, ip('10.0.0.53')], [IpcpOpt.PrimaryNbns, ip('10.0.0.137')], [IpcpOpt.SecondaryDns, ip('10.0.0.54')],
  ]);
});

test('a WINS server we do not have is rejected (RFC 1877), as are VJ and the old IP-Addresses option', () => {
  const r = ipcp().reqCi(req([IpcpOpt.Compression, [0x00, 0x2d, 0x0f, 0x01]], [IpcpOpt.Addresses, [10, 0, 0, 2, 10, 0, 0, 1]], [IpcpOpt.Address, u32(ip('10.0.0.2'))], [IpcpOpt.SecondaryNbns, u32(0)]), false);
  assert.equal(r.code, Code.ConfRej);
  assert.deepEqual(parseOptions(r.data)!.map((o) => o.type), [IpcpOpt.Compression, IpcpOpt.Addresses, IpcpOpt.SecondaryNbns]);
});

test('the peer\'s own address: acked when it is the assigned one, Nak\'d otherwise, taken with accept-remote', () => {
  assert.equal(ipcp().reqCi(req([IpcpOpt.Address, u32(ip('10.0.0.2'))]), false).code, Code.ConfAck);
  const nak = ipcp().reqCi(req([IpcpOpt.Address, u32(ip('10.0.0.9'))]), false);
  assert.equal(nak.code, Code.ConfNak);
  assert.equal(parseOptions(nak.data)![0]!.value.readUInt32BE(0), ip('10.0.0.2'));
  assert.equal(ipcp({ acceptRemote: true }).reqCi(req([IpcpOpt.Address, u32(ip('10.0.0.9'))]), false).code, Code.ConfAck);
  // pppd never acks 0.0.0.0 when it has nothing to give: reject.
  assert.equal(ipcp({ remoteAddr: 0 }).reqCi(req([IpcpOpt.Address, u32(0)]), false).code, Code.ConfRej);
  // An address the secrets entry does not allow is refused in favour of the assigned one.
  const limited = ipcp({ allowRemote: (a) => a === ip('10.0.0.2') }).reqCi(req([IpcpOpt.Address, u32(ip('10.0.0.3'))]), false);
  assert.equal(limited.code, Code.ConfNak);
});

test('a client with noipdefault asks 0.0.0.0 and DNS 0.0.0.0 and takes the Naks', () => {
  const c = ipcp({ localAddr: 0, remoteAddr: 0, usePeerDns: true, dns: [0, 0], wins: [0, 0] });
  c.resetCi();
  assert.deepEqual(parseOptions(c.addCi())!.map((o) => [o.type, o.value.readUInt32BE(0)]), [[3, 0], [129, 0], [131, 0]]);
  assert.ok(c.nakCi(req([IpcpOpt.Address, u32(ip('10.0.0.2'))], [IpcpOpt.PrimaryDns, u32(ip('10.0.0.53'))], [IpcpOpt.SecondaryDns, u32(ip('10.0.0.54'))]), false));
  // `vj` is always present (undefined here): one object shape for every session.
  assert.deepEqual(c.go, { vj: undefined, addr: ip('10.0.0.2'), dns1: ip('10.0.0.53'), dns2: ip('10.0.0.54') });
  // A server without DNS rejects the DNS options: the client stops asking.
  c.addCi();
  assert.ok(c.rejCi(req([IpcpOpt.PrimaryDns, u32(ip('10.0.0.53'))])));
  assert.equal(c.go.dns1, undefined);
});

test('a malformed request (option length past the end) is rejected whole, never thrown', () => {
  assert.equal(ipcp().reqCi(Buffer.from([3, 9, 1]), false).code, Code.ConfRej);
});
