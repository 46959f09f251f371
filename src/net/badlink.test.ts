/**
 * TCP under bad links: an independent client TCP talks through a link that loses 5% of
 * packets, duplicates and reorders them, to the stack and a fake host. Every octet must
 * arrive once and in order, both ways; and a client that stops reading must not make the
 * stack hold more than its configured bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NetStack } from './stack.js';
import { World } from './testing/peer.js';

const OUT = 0x5db8d822;

for (const seed of [1, 2, 3]) {
  test(`TCP under bad links (seed ${seed}): 5% loss, duplicates, reordering — every byte once, in order, both ways`, () => {
    const s = new NetStack({ client: '10.0.2.15', seed, tcpMinRto: 200, tcpInitialRto: 300 }, 0);
    const w = new World(s, { loss: 0.05, duplicate: 0.03, jitter: 30, delay: 5, seed });
    const c = w.client({ srcPort: 42000 + seed, dst: OUT, dstPort: 443, wscale: 3, rcvBuf: 48_000, rto: 250 });
    c.connect(w.now);
    assert.ok(w.run(() => c.established, 120_000), 'connects despite losses');
    const hc = [...w.host.conns.values()][0]!;
    const up = randomBytes(300_000);
    const down = randomBytes(300_000);
    c.write(up, w.now);
    c.end(w.now);
    w.host.send(hc.id, down);
    w.host.endHost(hc.id);
    const ok = w.run(() => hc.writtenBytes >= up.length && c.receivedBytes >= down.length && hc.ended && c.peerFin, 900_000);
    const st = s.stats();
    assert.ok(ok, `transfer finished (host got ${hc.writtenBytes}, client got ${c.receivedBytes}; ${JSON.stringify(st.tcp)})`);
    assert.equal(hc.writtenBytes, up.length, 'no octet twice towards the host');
    assert.ok(Buffer.concat(hc.written).equals(up), 'client→host intact');
    assert.equal(c.receivedBytes, down.length);
    assert.ok(Buffer.concat(c.received).equals(down), 'host→client intact');
    assert.ok(w.up.dropped + w.down.dropped > 10, 'the link did lose packets');
    assert.ok(st.tcp.retransmits > 0);
    // Both FINs exchanged: the connection winds down to nothing.
    assert.ok(w.run(() => s.stats().tcp.active === 0 && s.stats().tcp.timeWait === 0, 300_000), `closes (${JSON.stringify(s.connections())})`);
    assert.equal(s.memoryInUse(), 0);
  });
}

test('fast retransmit: one lost segment is repaired by three duplicate ACKs, before any timeout', () => {
  const s = new NetStack({ client: '10.0.2.15', seed: 5 }, 0);
  let dataSeen = 0;
  const w = new World(s, { delay: 5 }, {
    delay: 5,
    // Drop the 3rd data segment from the stack, once.
    dropIf: (p) => p.length > 100 && ++dataSeen === 3,
  });
  const c = w.client({ srcPort: 42100, dst: OUT, dstPort: 80, wscale: 2, rcvBuf: 256_000 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  const down = randomBytes(100_000);
  w.host.send(hc.id, down);
  assert.ok(w.run(() => c.receivedBytes === down.length, 30_000));
  assert.ok(Buffer.concat(c.received).equals(down));
  const st = s.stats().tcp;
  assert.equal(st.fastRetransmits, 1);
  assert.equal(st.timeouts, 0, 'repaired without waiting for the RTO');
  assert.ok(st.dupAcks >= 3);
});

test('retransmission on timeout: a lost tail segment comes back after the RTO, with exponential backoff', () => {
  const s = new NetStack({ client: '10.0.2.15', seed: 6 }, 0);
  let drops = 0;
  const w = new World(s, { delay: 5 }, {
    delay: 5,
    // Lose the single data segment twice: the second copy comes after a doubled RTO.
    dropIf: (p) => p.length > 60 && p.length < 200 && drops++ < 2,
  });
  const c = w.client({ srcPort: 42200, dst: OUT, dstPort: 80 });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  const t0 = w.now;
  w.host.send(hc.id, Buffer.from('hello, retransmission'));
  assert.ok(w.run(() => c.receivedBytes === 21, 30_000));
  const elapsed = w.now - t0;
  // RTO 1 s (RFC 6298 §2.1, no sample yet), then 2 s: delivered after ~3 s.
  assert.ok(elapsed >= 3000 && elapsed < 3200, `elapsed ${elapsed}`);
  assert.equal(s.stats().tcp.timeouts, 2);
});

test('a client that stops reading does not grow the stack beyond its bound; the host is paused', () => {
  const sendBuf = 32 * 1024;
  const s = new NetStack({ client: '10.0.2.15', seed: 9, tcpSendBuffer: sendBuf }, 0);
  const w = new World(s, { delay: 5 });
  const c = w.client({ srcPort: 42300, dst: OUT, dstPort: 80, rcvBuf: 16_000, autoRead: false });
  c.connect(w.now);
  assert.ok(w.run(() => c.established));
  const hc = [...w.host.conns.values()][0]!;
  w.host.chunk = 8192;
  const total = 5_000_000;
  const data = randomBytes(total);
  w.host.send(hc.id, data);
  let peak = 0;
  const t0 = w.now;
  w.run(() => {
    peak = Math.max(peak, s.memoryInUse());
    return w.now - t0 > 120_000;
  }, 121_000);
  assert.ok(hc.paused, 'the host socket is paused');
  assert.ok(peak <= sendBuf + w.host.chunk, `peak ${peak}`);
  assert.ok(hc.outbox.length > total - 100_000, 'the rest stays in the host socket');
  assert.ok(s.stats().tcp.windowProbes > 0, 'zero-window probes continue');
  assert.equal(s.connections()[0]!.state, 'ESTABLISHED', 'probing never times out while the client answers');
  // The client reads again: everything flows, intact.
  let got = 0;
  assert.ok(w.run(() => {
    got += c.read(w.now).length;
    peak = Math.max(peak, s.memoryInUse());
    return got === total;
  }, 600_000));
  assert.ok(Buffer.concat(c.received).equals(data));
  assert.ok(peak <= sendBuf + w.host.chunk, `peak ${peak}`);
});
