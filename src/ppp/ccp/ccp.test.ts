import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { end, run, ip, ipUp, type End } from '../testing/pair.js';
import type { CcpProtocol } from './ccp.js';
import type { SessionOptions } from '../session-options.js';

const ccpOf = (e: End) => e.s.protocols.find((p) => p.name === 'CCP') as CcpProtocol;

function pair(a: Partial<SessionOptions> = {}, b: Partial<SessionOptions> = {}) {
  const x = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), ...a });
  const y = end('client', { ...b });
  run(x, y, { stop: () => !!ipUp(x) && !!ipUp(y) && ccpOf(x).isOpen && ccpOf(y).isOpen });
  return { x, y };
}

/** Sends packets one way and returns what the other end delivered, running the pair as it goes. */
function carry(from: End, to: End, packets: Buffer[], cut?: (chunk: Buffer, i: number) => Buffer | undefined): Buffer[] {
  const got: Buffer[] = [];
  let n = 0;
  let now = 1_000_000;
  const pump = () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const c of from.s.takeOutput()) {
        moved = true;
        const d = cut ? cut(c, n++) : c;
        if (d) to.s.input(d, now);
      }
      for (const c of to.s.takeOutput()) {
        moved = true;
        from.s.input(c, now);
      }
    }
    for (const ev of to.s.takeEvents()) if (ev.type === 'ip') got.push(ev.packet);
    from.s.takeEvents();
  };
  for (const p of packets) {
    from.s.sendIp(p, now);
    pump();
    now += 10;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  for (let i = 0; i < 20; i++) {
    now += 1000;
    from.s.tick(now);
    to.s.tick(now);
    pump();
  }
  return got;
}

function ipPacket(src: string, dst: string, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = 64;
  h[9] = 17;
  h.writeUInt32BE(ip(src), 12);
  h.writeUInt32BE(ip(dst), 16);
  return Buffer.concat([h, payload]);
}

test('two sessions agree on Deflate 15 both ways by default, as pppd, and log it as pppd does', () => {
  const { x, y } = pair();
  assert.ok(x.logs.includes('Deflate (15) compression enabled'), x.logs.join('\n'));
  assert.ok(y.logs.includes('Deflate (15) compression enabled'));
  assert.deepEqual(ccpOf(x).agreed, { rx: 'Deflate (15)', tx: 'Deflate (15)' });
});

test('IP packets cross Deflate intact, compressible ones smaller on the line', () => {
  const { x, y } = pair();
  const text = Buffer.from('All work and no play makes Jack a dull boy. '.repeat(30));
  const packets = Array.from({ length: 50 }, (_, i) => ipPacket('10.0.0.2', '10.9.9.9', Buffer.concat([Buffer.from(`#${i} `), text])));
  const got = carry(y, x, packets);
  assert.equal(got.length, packets.length);
  got.forEach((g, i) => assert.ok(g.equals(packets[i]!), `packet ${i}`));
  const st = ccpOf(y).stats;
  assert.equal(st.packetsOut, 50);
  assert.ok(st.bytesAfterOut * 10 < st.bytesBeforeOut, `ratio ${st.bytesAfterOut}/${st.bytesBeforeOut}`);
  assert.equal(ccpOf(x).stats.decompressErrors, 0);
});

/** Deterministic incompressible bytes. */
function noise(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i);
  return out;
}

const text = (i: number) => Buffer.from(`#${i} ` + 'All work and no play makes Jack a dull boy. '.repeat(20));

test('BSD-Compress alone (nodeflate both ways): agreed at 15 bits, packets cross intact', () => {
  const { x, y } = pair({ deflateWant: 0, deflateAllow: 0 }, { deflateWant: 0, deflateAllow: 0 });
  assert.ok(x.logs.includes('BSD-Compress (15) compression enabled'), x.logs.join('\n'));
  const packets = Array.from({ length: 40 }, (_, i) => ipPacket('10.0.0.1', '10.0.0.2', i % 4 === 3 ? noise(i, 700) : text(i)));
  const got = carry(x, y, packets);
  assert.deepEqual(got.map((g) => g.toString('hex')), packets.map((p) => p.toString('hex')));
  assert.ok(ccpOf(x).stats.incompressibleOut >= 10);
  assert.ok(ccpOf(x).stats.bytesAfterOut < ccpOf(x).stats.bytesBeforeOut * 0.6);
});

test('window sizes: a peer allowing only 12 Naks our 15; each way uses its own, logged as pppd does (15/12)', () => {
  const { x, y } = pair({ deflateWant: 15, deflateAllow: 12, bsdWant: 0, bsdAllow: 0 }, { bsdWant: 0, bsdAllow: 0 });
  assert.ok(x.logs.includes('Deflate (15/12) compression enabled'), x.logs.join('\n'));
  assert.ok(y.logs.includes('Deflate (12/15) compression enabled'), y.logs.join('\n'));
  const got = carry(x, y, [ipPacket('10.0.0.1', '10.0.0.2', text(1)), ipPacket('10.0.0.1', '10.0.0.2', text(2))]);
  assert.equal(got.length, 2);
});

test('nodeflatedraft: only option 26 is offered; a peer offering only the draft 24 gets it rejected', () => {
  const { x, y } = pair({ deflateDraft: false, bsdWant: 0, bsdAllow: 0 }, { bsdWant: 0, bsdAllow: 0 });
  assert.ok(x.logs.includes('Deflate (15) compression enabled'));
  assert.ok(!x.events.some((e) => e.type === 'frame'), 'no taps asked for');
  const z = pair({ deflateDraft: false, bsdWant: 0, bsdAllow: 0 }, { bsdWant: 0, bsdAllow: 0, deflateDraft: true });
  assert.deepEqual(ccpOf(z.x).agreed, { rx: 'Deflate (15)', tx: 'Deflate (15)' });
  void y;
});

test('a lost compressed frame: sequence gap, Reset-Request, Reset-Ack, and the link carries on without delivering anything wrong', () => {
  for (const method of ['deflate', 'bsd'] as const) {
    const off = method === 'deflate' ? { bsdWant: 0, bsdAllow: 0 } : { deflateWant: 0, deflateAllow: 0 };
    const { x, y } = pair(off, off);
    const packets = Array.from({ length: 30 }, (_, i) => ipPacket('10.0.0.1', '10.0.0.2', text(i)));
    // Frame 0 is the first data frame after the pair came up: drop the 6th.
    const got = carry(x, y, packets, (chunk, i) => (i === 5 ? undefined : chunk));
    const sent = new Set(packets.map((p) => p.toString('hex')));
    for (const g of got) assert.ok(sent.has(g.toString('hex')), 'only intact packets');
    const rx = ccpOf(y).stats;
    assert.equal(rx.resetRequestsSent, 1, method);
    assert.equal(rx.resetAcksReceived, 1, method);
    assert.equal(ccpOf(x).stats.resetRequestsReceived, 1, method);
    assert.ok(got.length >= 28, `${method}: ${got.length} of 30 (the lost one and the one that showed the gap)`);
    assert.ok(got.at(-1)!.equals(packets.at(-1)!), 'the last packets arrive after the reset');
  }
});

test('incompressible packets go uncompressed and into both histories; compressible ones after them still decode', () => {
  const { x, y } = pair({ bsdWant: 0, bsdAllow: 0 }, { bsdWant: 0, bsdAllow: 0 });
  const packets = Array.from({ length: 30 }, (_, i) => ipPacket('10.0.0.1', '10.0.0.2', i % 2 ? noise(i, 1000) : text(i)));
  const got = carry(x, y, packets);
  assert.deepEqual(got.map((g) => g.toString('hex')), packets.map((p) => p.toString('hex')));
  assert.ok(ccpOf(x).stats.incompressibleOut >= 15);
  assert.ok(ccpOf(y).stats.incompressibleIn >= 15);
  assert.equal(ccpOf(y).stats.decompressErrors, 0);
});

test('noccp on one side: the other CCP is Protocol-Rejected and the link runs uncompressed', () => {
  const { x, y } = pairUntilIp({ noccp: true }, {});
  assert.ok(y.logs.some((l) => /Protocol-Reject for 'Compression Control Protocol'/.test(l)), y.logs.join('\n'));
  assert.ok(!ccpOf(y).isOpen);
  const got = carry(y, x, [ipPacket('10.0.0.2', '10.0.0.1', text(1))]);
  assert.equal(got.length, 1);
  assert.equal(ccpOf(y).stats.packetsOut, 0);
});

test('CCP is no network protocol: with IPCP off, the link ends with "No network protocols running"', () => {
  // IPV6CP is off too: it is a network protocol, and on by default as in pppd.
  const x = end('server', { noip: true, noipv6: true });
  const y = end('client', { noip: true, noipv6: true });
  run(x, y, { untilMs: 60_000 });
  assert.ok(x.logs.includes('No network protocols running'), x.logs.join('\n'));
});

test('asking for nothing, CCP waits for the peer (pppd OPT_SILENT) and still agrees to compress for it', () => {
  const { x, y } = pair({ deflateWant: 0, bsdWant: 0 }, {});
  assert.ok(x.logs.includes('Deflate (15) transmit compression enabled'), x.logs.join('\n'));
  assert.ok(y.logs.includes('Deflate (15) receive compression enabled'), y.logs.join('\n'));
  const got = carry(x, y, [ipPacket('10.0.0.1', '10.0.0.2', text(1))]);
  assert.equal(got.length, 1);
  assert.equal(ccpOf(x).stats.packetsOut, 1);
});

test('options we do not know (Predictor, MPPE without its method) are rejected, a bad length rejects the rest, duplicates are ignored', () => {
  const { x } = pair();
  const ccp = ccpOf(x).ccp;
  const h = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');
  const mixed = ccp.reqCi(h('0102 120601000001 1a047800'), false);
  assert.equal(mixed.code, 4);
  assert.equal(mixed.data.toString('hex'), '0102120601000001');
  const bad = ccp.reqCi(h('1a047800 1503'), false);
  assert.equal(bad.code, 4, 'an option running past the end');
  const dup = ccp.reqCi(h('1a047800 1a047800'), false);
  assert.equal(dup.code, 2, 'a repeated Deflate option is ignored, the first is Acked');
  assert.equal(ccp.reqCi(h('1a04f800'), false).data.toString('hex'), '1a047800', 'window 23: Nak with our 15');
  assert.equal(ccp.reqCi(h('1a04f800'), true).code, 4, 'after Max-Failure the Nak becomes a Reject');
  const nak = ccp.reqCi(h('1a047801'), false);
  assert.equal(nak.code, 3);
  assert.equal(nak.data.toString('hex'), '1a047800', 'a check method other than 0: Nak with ours');
});

function pairUntilIp(a: Partial<SessionOptions>, b: Partial<SessionOptions>) {
  const x = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), ...a });
  const y = end('client', { ...b });
  run(x, y, { stop: () => !!ipUp(x) && !!ipUp(y) && y.logs.some((l) => /Protocol-Reject for 'Compression/.test(l)) });
  return { x, y };
}
