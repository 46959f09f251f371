/**
 * MPPE between two dialtone sessions (in-memory line, virtual clock): negotiation as
 * pppd 2.4.9's ccp.c, its failure messages, and data across with and without loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticSecrets } from '../secrets.js';
import { end, run, ip, ipUp, deadStatus, type End } from '../testing/pair.js';
import type { SessionOptions } from '../session-options.js';
import type { CcpProtocol } from './ccp.js';
import { PROTO_COMP, MPPE_BIT_FLUSHED } from './mppe.js';
import { CI_MPPE, mppeCiFromOpts, mppeOptsFromCi, MPPE_OPT_128, MPPE_OPT_40, MPPE_OPT_STATEFUL } from './mppe-method.js';
import { HdlcDecoder } from '../../wire/hdlc.js';

const secrets = staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]);
const ccpOf = (e: End) => e.s.protocols.find((p) => p.name === 'CCP') as CcpProtocol;

const MPPE = { mppe40: true, mppe128: true }; // require-mppe
const V2 = { auth: true, requireChap: false, requireMschapV2: true };

function pair(serverOpts: Partial<SessionOptions>, clientOpts: Partial<SessionOptions>) {
  const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets, debug: true, ...serverOpts });
  const b = end('client', { user: 'fred', password: 'wilma', debug: true, ...clientOpts });
  run(a, b, { stop: () => (!!ipUp(a) && !!ipUp(b)) || deadStatus(a) !== undefined || deadStatus(b) !== undefined });
  return { a, b };
}

function ipPacket(i: number, size = 200): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(size, 2);
  h[8] = 64;
  h[9] = 17;
  h.writeUInt32BE(ip('10.0.0.2'), 12);
  h.writeUInt32BE(ip('10.9.9.9'), 16);
  const body = Buffer.alloc(size - 20, i & 0xff);
  body.writeUInt32BE(i, 0);
  return Buffer.concat([h, body]);
}

/**
 * Sends packets from one end to the other; `drop(frameIndex, frame)` may lose what goes
 * that way. Returns the IP packets the other end delivered.
 */
function carry(from: End, to: End, packets: Buffer[], drop?: (i: number, frame: Buffer) => boolean): Buffer[] {
  const got: Buffer[] = [];
  let n = 0;
  let now = 1_000_000;
  const pump = () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const c of from.s.takeOutput()) {
        moved = true;
        if (!drop?.(n++, c)) to.s.input(c, now);
      }
      for (const c of to.s.takeOutput()) {
        moved = true;
        from.s.input(c, now);
      }
    }
    for (const ev of to.s.takeEvents()) {
      if (ev.type === 'ip') got.push(ev.packet);
      if (ev.type === 'log') to.logs.push(ev.msg);
    }
    for (const ev of from.s.takeEvents()) if (ev.type === 'log') from.logs.push(ev.msg);
  };
  for (const p of packets) {
    from.s.sendIp(p, now);
    pump();
    now += 10;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  for (let i = 0; i < 5; i++) {
    now += 1000;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  return got;
}

/** The MPPE header of an HDLC frame on the in-memory line, if it is one. */
function mppeHeader(frame: Buffer): number | undefined {
  const d = new HdlcDecoder({ fcs32: false, mru: 1600 });
  d.setRecvAccm(0); // as negotiated: control characters go unescaped
  for (const f of d.push(frame)) if (f.protocol === PROTO_COMP) return f.payload.readUInt16BE(0);
  return undefined;
}

test('option 18 bits as pppd builds and reads them (RFC 3078 §2)', () => {
  assert.deepEqual(mppeCiFromOpts(MPPE_OPT_40 | MPPE_OPT_128), Buffer.from('01000060', 'hex'));
  assert.deepEqual(mppeCiFromOpts(MPPE_OPT_128 | MPPE_OPT_STATEFUL), Buffer.from('00000040', 'hex'));
  assert.equal(mppeOptsFromCi(Buffer.from('01000040', 'hex')), MPPE_OPT_128);
  assert.equal(mppeOptsFromCi(Buffer.from('00000020', 'hex')), MPPE_OPT_40 | MPPE_OPT_STATEFUL);
  // M (56-bit), D, C (MPPC) and undefined bits are all flagged.
  assert.notEqual(mppeOptsFromCi(Buffer.from('010000e1', 'hex')) & ~(MPPE_OPT_40 | MPPE_OPT_128), 0);
  assert.notEqual(mppeOptsFromCi(Buffer.from('03000040', 'hex')) & ~MPPE_OPT_128, 0);
});

test('require-mppe both sides with MS-CHAPv2: asks S+L stateless, Naked to 128-bit, "MPPE 128-bit stateless compression enabled"', () => {
  const { a, b } = pair({ ...V2, ...MPPE }, { ...MPPE });
  assert.ok(ipUp(a) && ipUp(b), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^sent \[CCP ConfReq id=0x\w+ <mppe \+H -M \+S \+L -D -C>\]$/.test(l)), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^sent \[CCP ConfNak id=0x\w+ <mppe \+H -M \+S -L -D -C>\]$/.test(l)), a.logs.join('\n'));
  for (const e of [a, b]) assert.ok(e.logs.includes('MPPE 128-bit stateless compression enabled'), e.logs.join('\n'));
  // Deflate is not asked for while MPPE is wanted (pppd ccp_resetci).
  assert.ok(!a.logs.some((l) => /deflate/i.test(l) && l.startsWith('sent [CCP')), a.logs.join('\n'));
  // IPCP waited for CCP: its first request follows CCP's Ack.
  const firstIpcp = a.logs.findIndex((l) => l.startsWith('sent [IPCP ConfReq'));
  const ccpUp = a.logs.indexOf('MPPE 128-bit stateless compression enabled');
  assert.ok(firstIpcp > ccpUp, a.logs.join('\n'));
});

test('stateless MPPE: IP crosses both ways encrypted; 30% loss costs only the lost packets', () => {
  const { a, b } = pair({ ...V2, ...MPPE }, { ...MPPE });
  const packets = Array.from({ length: 200 }, (_, i) => ipPacket(i, 60 + (i % 40) * 30));
  const seen: number[] = [];
  const got = carry(b, a, packets, (_i, frame) => {
    const h = mppeHeader(frame);
    if (h === undefined) return false;
    seen.push(h);
    return (h & 0xfff) % 10 < 3; // lose 30% of the encrypted packets
  });
  assert.ok(seen.length >= 200 && seen.every((h) => ((h >> 8) & MPPE_BIT_FLUSHED) !== 0), `every stateless packet is flushed: ${seen.length} ${seen.slice(0, 5)}`);
  const want = packets.filter((_p, i) => i % 10 >= 3);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(g.equals(want[i]!), `packet ${i}`));
  const back = carry(a, b, packets.slice(0, 50));
  assert.equal(back.length, 50);
  const dec = ccpOf(a).running.decompressor as unknown as { counters: { packets: number } };
  assert.equal(dec.counters.packets, want.length);
});

test('stateful MPPE between two dialtones (mppe-stateful + mppe-prefer-stateful): loss is repaired by Reset-Request and a flushed packet', () => {
  const { a, b } = pair({ ...V2, ...MPPE, refuseMppeStateful: false, mppePreferStateful: true }, { ...MPPE, refuseMppeStateful: false });
  for (const e of [a, b]) assert.ok(e.logs.includes('MPPE 128-bit stateful compression enabled'), e.logs.join('\n'));
  const packets = Array.from({ length: 600 }, (_, i) => ipPacket(i));
  const lost = new Set<number>();
  const got = carry(b, a, packets, (_i, frame) => {
    const h = mppeHeader(frame);
    if (h === undefined) return false;
    const c = h & 0xfff;
    // Lose a few, including flag packets (count xFF) and the packet after a lost one.
    if ([5, 6, 100, 255, 256, 400].includes(c)) {
      lost.add(c);
      return true;
    }
    return false;
  });
  assert.ok(got.length > 500, `${got.length} delivered`);
  // Everything delivered is intact and in order.
  let last = -1;
  for (const g of got) {
    const i = g.readUInt32BE(20);
    assert.ok(i > last);
    assert.ok(g.equals(packets[i]!), `packet ${i}`);
    last = i;
  }
  assert.equal(last, 599, 'the stream resumed after every loss');
  const st = ccpOf(a).stats;
  assert.ok(st.resetRequestsSent >= 3, `Reset-Requests sent: ${st.resetRequestsSent}`);
  assert.equal(ccpOf(b).stats.resetAcksSent, st.resetAcksReceived);
  assert.ok(a.logs.some((l) => /^sent \[CCP ResetReq id=0x\w+\]$/.test(l)), a.logs.join('\n'));
});

test('a stateless-only side (default) Rejects stateful MPPE offered by a peer that prefers it: the link fails as pppd', () => {
  const { a, b } = pair({ ...V2, ...MPPE, refuseMppeStateful: false, mppePreferStateful: true }, { ...MPPE });
  assert.ok(b.logs.includes('Refusing MPPE stateful mode offered by peer'), b.logs.join('\n'));
  assert.ok(a.logs.includes('MPPE required but peer negotiation failed') || b.logs.includes('MPPE required but peer negotiation failed'), a.logs.join('\n'));
  assert.ok(!ipUp(a) && !ipUp(b));
});

test('require-mppe-128 against require-mppe-40: negotiation fails, LCP terminated with pppd\'s reason', () => {
  const { a, b } = pair({ ...V2, mppe128: true }, { mppe40: true });
  const all = [...a.logs, ...b.logs];
  assert.ok(all.includes('MPPE required but peer negotiation failed'), all.join('\n'));
  assert.ok(!ipUp(a) && !ipUp(b));
  assert.ok(all.some((l) => /TermReq id=0x\w+ "MPPE required but peer negotiation failed"/.test(l)), all.join('\n'));
});

test('require-mppe against a peer without MPPE: its Deflate-only request is Rejected and the link ends as pppd\'s', () => {
  const { a, b } = pair({ ...V2, ...MPPE }, {});
  // pppd ccp_reqci: a Reject not caused by MPPE's option (rej_for_ci_mppe) fails first;
  // had the peer's Reject of option 18 come first: "MPPE required but peer refused".
  assert.ok(a.logs.includes('MPPE required but peer negotiation failed') || a.logs.includes('MPPE required but peer refused'), a.logs.join('\n'));
  assert.ok(b.logs.some((l) => /^sent \[CCP ConfRej id=0x\w+ <mppe/.test(l)) || a.logs.some((l) => /^sent \[CCP ConfRej id=0x\w+ <deflate 15>/.test(l)), a.logs.join('\n'));
  assert.ok(!ipUp(a) && !ipUp(b));
});

test('require-mppe with PAP: no keys, "MPPE required, but MS-CHAP[v2] nor EAP-TLS auth are performed."', () => {
  const { a, b } = pair({ auth: true, requireChap: false, requirePap: true, ...MPPE }, { ...MPPE });
  assert.ok(a.logs.includes('MPPE required, but MS-CHAP[v2] nor EAP-TLS auth are performed.'), a.logs.join('\n'));
  assert.ok(!ipUp(a) && !ipUp(b));
  assert.ok(!a.logs.some((l) => l.startsWith('sent [IPCP')), 'no IPCP before MPPE');
});

test('require-mppe with MS-CHAP v1: 40-bit is turned off as pppd does, 128-bit agreed', () => {
  const { a, b } = pair({ auth: true, requireChap: false, requireMschap: true, ...MPPE }, { ...MPPE });
  assert.ok(a.logs.includes('Disabling 40-bit MPPE; MS-CHAP LM not supported'), a.logs.join('\n'));
  assert.ok(a.logs.includes('MPPE 128-bit stateless compression enabled'), a.logs.join('\n'));
  assert.ok(ipUp(a) && ipUp(b));
  assert.equal(carry(b, a, [ipPacket(1), ipPacket(2)]).length, 2);
});

test('require-mppe-40 only: 40-bit stateless agreed and data crosses', () => {
  const { a, b } = pair({ ...V2, mppe40: true }, { mppe40: true });
  assert.ok(a.logs.includes('MPPE 40-bit stateless compression enabled'), a.logs.join('\n'));
  const packets = [ipPacket(1), ipPacket(2, 1400), ipPacket(3)];
  const got = carry(a, b, packets);
  assert.deepEqual(got, packets);
});

test('an unencrypted IP packet arriving while MPPE runs is dropped', () => {
  const { a, b } = pair({ ...V2, ...MPPE }, { ...MPPE });
  // b sends plain IP by bypassing its CCP: encode the frame with its link layer directly.
  const plain = b.s.link.encode(0x0021, ipPacket(7));
  a.s.input(plain, 2_000_000);
  assert.ok(!a.s.takeEvents().some((ev) => ev.type === 'ip'));
  assert.ok(ccpOf(a).stats.dropped >= 1);
});

test('CCP terminated by the peer while MPPE runs closes the link ("MPPE disabled")', () => {
  const { a, b } = pair({ ...V2, ...MPPE }, { ...MPPE });
  // The peer's CCP Terminate-Request (code 5), straight onto the line.
  a.s.input(b.s.link.encode(0x80fd, Buffer.from([5, 0x42, 0, 4])), 2_000_000);
  carry(b, a, []);
  assert.ok(a.logs.includes('MPPE disabled'), a.logs.join('\n'));
  assert.ok(a.logs.includes('Compression disabled by peer.'), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^sent \[LCP TermReq id=0x\w+ "MPPE disabled"\]$/.test(l)), a.logs.join('\n'));
});

test('option type 18 is Rejected by a side that does not want MPPE, and Deflate runs as before', () => {
  const { a, b } = pair({ ...V2 }, {});
  assert.ok(a.logs.includes('Deflate (15) compression enabled'), a.logs.join('\n'));
  assert.ok(ipUp(a) && ipUp(b));
  assert.ok(!a.logs.some((l) => l.includes(`<mppe`)));
  void CI_MPPE;
});

test('property: any option-18 value from the peer gets an Ack, Nak or Reject (never a throw), and a Nak names one strength', async () => {
  const fc = (await import('fast-check')).default;
  const { a } = pair({ ...V2, ...MPPE, refuseMppeStateful: false }, { ...MPPE });
  const m = ccpOf(a).ccp.methods.find((x) => x.types.includes(CI_MPPE))!;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 8 }), (v) => {
      const verdict = m.judge({ type: CI_MPPE, value: Buffer.from(v) }, true, false);
      if (verdict.verdict === 'nak') {
        const o = mppeOptsFromCi(verdict.value!);
        return (o & (MPPE_OPT_40 | MPPE_OPT_128)) !== (MPPE_OPT_40 | MPPE_OPT_128) && v.length === 4;
      }
      return verdict.verdict === 'ack' ? v.length === 4 : true;
    }),
    { numRuns: 300 },
  );
});
