import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIspConfig } from '../isp/config.js';
import { parseCommandLine } from '../pppd/options.js';
import { parseLineSpec, describeLine } from '../lines/line.js';
import { L2tpEndpoint } from './endpoint.js';
import { encodeControl } from './header.js';
import { A, M, avp, encodeAvps, u16, u32 } from './avp.js';
import { LAC_ADDR, seededRandom } from './testing.js';

test('isp.conf: listen-l2tp, l2tp-secret and l2tp-hostname', () => {
  const c = parseIspConfig('listen-l2tp 0.0.0.0:1701\nl2tp-secret s3cret\nl2tp-hostname lns1\n', 'isp.conf');
  assert.deepEqual(c.listenL2tp, { host: '0.0.0.0', port: 1701 });
  assert.equal(c.l2tpSecret, 's3cret');
  assert.equal(c.l2tpHostname, 'lns1');
  assert.equal(parseIspConfig('', 'f').listenL2tp, undefined);
  assert.throws(() => parseIspConfig('listen-l2tp 0.0.0.0:99999\n', 'isp.conf'), /isp\.conf:1: listen-l2tp: port 99999 out of range/);
});

test('dialtone pppd: l2tp:HOST[:PORT] is a line (port 1701 by default); l2tp-secret is hidden in dump', () => {
  assert.deepEqual(parseLineSpec('l2tp:lns.example.net'), { kind: 'l2tp', host: 'lns.example.net', port: 1701 });
  assert.deepEqual(parseLineSpec('l2tp:10.0.0.1:1702'), { kind: 'l2tp', host: '10.0.0.1', port: 1702 });
  assert.equal(describeLine({ kind: 'l2tp', host: '10.0.0.1', port: 1701 }), 'l2tp:10.0.0.1:1701');
  const c = parseCommandLine(['l2tp:10.0.0.1', 'l2tp-secret', 'x', 'l2tp-hostname', 'lac1']);
  assert.deepEqual(c.line, { kind: 'l2tp', host: '10.0.0.1', port: 1701 });
  assert.equal(c.l2tpSecret, 'x');
  assert.equal(c.l2tpHostname, 'lac1');
});

/** An LNS fed a LAC's messages by hand: Ns counts up, Nr acknowledges what the LNS sent. */
function handDriven() {
  const lns = new L2tpEndpoint({ hostName: 'lns', acceptTunnels: true, random: seededRandom('h') });
  let ns = 0;
  const sent = () => lns.takeOutput().map((o) => o.bytes);
  const send = (tunnel: number, session: number, type: number, avps: ReturnType<typeof avp>[], nr: number) => {
    lns.input(encodeControl(tunnel, session, ns++, nr, encodeAvps([avp(A.MessageType, u16(type)), ...avps])), LAC_ADDR, 0);
    return sent();
  };
  return { lns, send };
}

test('proxy LCP and proxy authentication AVPs in ICCN are accepted (LCP is renegotiated)', () => {
  const { lns, send } = handDriven();
  const [sccrp] = send(0, 0, M.SCCRQ, [avp(A.ProtocolVersion, u16(0x100)), avp(A.HostName, Buffer.from('lac')), avp(A.FramingCapabilities, u32(3)), avp(A.AssignedTunnelId, u16(9))], 0);
  assert.equal(sccrp!.readUInt16BE(4), 9, 'SCCRP goes to the LAC tunnel 9');
  const ours = lns.tunnelIds()[0]!;
  send(ours, 0, M.SCCCN, [], 1);
  const [icrp] = send(ours, 0, M.ICRQ, [avp(A.AssignedSessionId, u16(5)), avp(A.CallSerialNumber, u32(1))], 1);
  assert.ok(icrp && icrp.readUInt16BE(6) === 5, 'ICRP goes to the LAC session 5');
  const session = [...lns.tunnel(ours)!.calls.keys()][0]!;
  send(ours, session, M.ICCN, [
    avp(A.TxConnectSpeed, u32(56000)), avp(A.FramingType, u32(1)),
    avp(A.InitialReceivedLcpConfReq, Buffer.from([1, 4, 5, 0xdc])), avp(A.LastSentLcpConfReq, Buffer.from([1, 4, 5, 0xdc])), avp(A.LastReceivedLcpConfReq, Buffer.from([1, 4, 5, 0xdc])),
    avp(A.ProxyAuthenType, u16(2)), avp(A.ProxyAuthenName, Buffer.from('fred')), avp(A.ProxyAuthenChallenge, Buffer.alloc(16)), avp(A.ProxyAuthenId, u16(1)), avp(A.ProxyAuthenResponse, Buffer.alloc(16)),
  ], 2);
  const up = lns.takeEvents().find((e) => e.type === 'session-up');
  assert.ok(up && up.type === 'session-up');
  assert.equal(up.info.proxyLcp, true);
  assert.equal(up.info.proxyAuthName, 'fred');
  assert.equal(up.info.txConnectSpeed, 56000);
});

test('an unknown mandatory AVP ends the call with CDN; an unknown optional one is ignored', () => {
  const { lns, send } = handDriven();
  send(0, 0, M.SCCRQ, [avp(A.ProtocolVersion, u16(0x100)), avp(A.HostName, Buffer.from('lac')), avp(A.FramingCapabilities, u32(3)), avp(A.AssignedTunnelId, u16(9))], 0);
  const ours = lns.tunnelIds()[0]!;
  send(ours, 0, M.SCCCN, [{ mandatory: false, vendor: 311, type: 99, value: Buffer.from('x') }], 1);
  assert.equal(lns.tunnel(ours)!.state, 'established');
  send(ours, 0, M.ICRQ, [avp(A.AssignedSessionId, u16(5)), avp(A.CallSerialNumber, u32(1))], 1);
  const session = [...lns.tunnel(ours)!.calls.keys()][0]!;
  lns.takeEvents();
  send(ours, session, M.ICCN, [avp(A.TxConnectSpeed, u32(1)), avp(A.FramingType, u32(1)), { mandatory: true, vendor: 0, type: 200, value: Buffer.alloc(2) }], 2);
  const ev = lns.takeEvents();
  assert.ok(ev.some((e) => e.type === 'session-down' && /unknown mandatory AVP 0:200/.test(e.reason)));
  assert.equal(lns.tunnel(ours)!.state, 'established', 'the tunnel stays');
});
