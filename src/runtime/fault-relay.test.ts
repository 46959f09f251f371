import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { PassThrough, Duplex } from 'node:stream';
import { FaultModel, Prng } from './fault.js';
import { FaultRelay, listenFaultRelay } from './fault-relay.js';
import { PppLink } from './link.js';
import { staticSecrets } from '../ppp/secrets.js';

const bytes = (n: number, seed = 'x') => {
  const out = Buffer.alloc(n);
  for (let i = 0, c = 0; i < n; i += 32, c++) crypto.createHash('sha256').update(`${seed}:${c}`).digest().copy(out, i);
  return out;
};

const popcount = (a: Buffer, b: Buffer) => {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) n++;
  return n;
};

test('the PRNG repeats for a seed and differs between seeds', () => {
  const seq = (s: number | string) => Array.from({ length: 8 }, ((r) => () => r.u32())(new Prng(s)));
  assert.deepEqual(seq(1), seq(1));
  assert.notDeepEqual(seq(1), seq(2));
  assert.notDeepEqual(seq('1'), seq(1));
});

test('a clean model passes bytes through unchanged, in order, at once', () => {
  const m = new FaultModel({ seed: 1 });
  const input = bytes(10_000);
  for (let i = 0; i < input.length; i += 700) m.push(input.subarray(i, i + 700), 0);
  assert.deepEqual(Buffer.concat(m.take(0)), input);
  assert.equal(m.nextDeadline(), undefined);
});

test('bit errors: about BER × bits flipped, only bit flips, the same for the same seed', () => {
  const input = bytes(200_000);
  const run = (seed: number) => {
    const m = new FaultModel({ seed, bitErrorRate: 1e-4 });
    for (let i = 0; i < input.length; i += 1000) m.push(input.subarray(i, i + 1000), 0);
    const out = Buffer.concat(m.take(0));
    return { out, stats: m.stats };
  };
  const r = run(5);
  assert.equal(r.out.length, input.length);
  assert.equal(popcount(r.out, input), r.stats.bitsFlipped);
  // 1.6e6 bits × 1e-4 = 160 expected; Poisson sd ≈ 12.6.
  assert.ok(r.stats.bitsFlipped > 100 && r.stats.bitsFlipped < 220, `${r.stats.bitsFlipped}`);
  assert.deepEqual(run(5).out, r.out);
  assert.notDeepEqual(run(6).out, r.out);
});

test('drop and duplicate work per piece; byte-at-a-time makes one-byte pieces', () => {
  const m = new FaultModel({ seed: 2, byteAtATime: true, dropRate: 0.1, duplicateRate: 0.1 });
  m.push(bytes(5000), 0);
  const out = m.take(0);
  assert.ok(out.every((p) => p.length === 1));
  assert.equal(out.length, 5000 - m.stats.dropped + m.stats.duplicated);
  assert.ok(m.stats.dropped > 350 && m.stats.dropped < 650, `${m.stats.dropped}`);
  assert.ok(m.stats.duplicated > 350 && m.stats.duplicated < 650, `${m.stats.duplicated}`);
});

test('latency, jitter and reordering: pieces come out at their due time, later ones overtaking held ones', () => {
  const m = new FaultModel({ seed: 3, latencyMs: 50, maxChunk: 1, reorderRate: 0.2, reorderDelayMs: 5 });
  m.push(Buffer.from('abcdefghijklmnopqrstuvwxyz'), 0);
  assert.deepEqual(m.take(49), []);
  assert.equal(m.nextDeadline(), 50);
  const first = Buffer.concat(m.take(50)).toString();
  const rest = Buffer.concat(m.take(55)).toString();
  assert.equal([...first + rest].sort().join(''), 'abcdefghijklmnopqrstuvwxyz');
  assert.ok(m.stats.reordered > 0);
  assert.equal(rest.length, m.stats.reordered);
  assert.notEqual(first + rest, 'abcdefghijklmnopqrstuvwxyz');
  // Jitter varies the delay but keeps the order, as a serial line does.
  const j = new FaultModel({ seed: 4, jitterMs: 100, maxChunk: 10 });
  const input = bytes(1000);
  j.push(input, 0);
  const got: Buffer[] = [];
  let times = 0;
  for (let t = 0; t <= 100; t++) {
    const now = j.take(t);
    if (now.length) times++;
    got.push(...now);
  }
  assert.deepEqual(Buffer.concat(got), input);
  assert.ok(times > 1, 'spread over time');
});

test('disconnect after N bytes truncates the piece that crosses the limit and discards the rest', () => {
  const m = new FaultModel({ seed: 1, disconnectAfterBytes: 1234 });
  m.push(bytes(1000), 0);
  assert.equal(Buffer.concat(m.take(0)).length, 1000);
  assert.equal(m.disconnected, false);
  m.push(bytes(1000), 1);
  assert.equal(Buffer.concat(m.take(1)).length, 234);
  assert.equal(m.disconnected, true);
  m.push(bytes(10), 2);
  assert.deepEqual(m.take(2), []);
  assert.equal(m.stats.bytesLostToDisconnect, 766 + 10);
});

test('disconnect at a time: what was due before comes out, what is in flight is lost', () => {
  const m = new FaultModel({ seed: 1, latencyMs: 10, disconnectAtMs: 100 });
  m.push(Buffer.from('early'), 80);
  m.push(Buffer.from('late'), 95);
  assert.equal(m.nextDeadline(), 90);
  assert.equal(Buffer.concat(m.take(200)).toString(), 'early');
  assert.equal(m.disconnected, true);
  assert.equal(m.disconnectedAt, 100);
  assert.equal(m.stats.bytesLostToDisconnect, 4);
  assert.equal(new FaultModel({ seed: 1, disconnectAtMs: 7 }).nextDeadline(), 7);
});

test('bad options are refused', () => {
  assert.throws(() => new FaultModel({ seed: 1, bitErrorRate: 2 }), RangeError);
  assert.throws(() => new FaultModel({ seed: 1, maxChunk: 0 }), RangeError);
  assert.throws(() => new FaultModel({ seed: 1, latencyMs: -1 }), RangeError);
});

/** Two in-memory duplex ends joined back to back (Node 20 has no stream.duplexPair). */
function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const mk = (rx: PassThrough, tx: PassThrough) => {
    const d: Duplex = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        tx.write(chunk, cb);
      },
      final(cb) {
        tx.end();
        cb();
      },
    });
    rx.on('data', (c) => d.push(c));
    rx.on('end', () => d.push(null));
    return d;
  };
  return [mk(ba, ab), mk(ab, ba)];
}

test('FaultRelay between streams: corrupts each way with its own model, and hangs up both sides after N bytes', async () => {
  const [a, aInner] = duplexPair();
  const [bInner, b] = duplexPair();
  const relay = new FaultRelay(aInner, bInner, { seed: 9, both: { bitErrorRate: 1e-3 }, bToA: { disconnectAfterBytes: 40_000 } });
  const atB: Buffer[] = [];
  const atA: Buffer[] = [];
  b.on('data', (d) => atB.push(d));
  a.on('data', (d) => atA.push(d));
  const bEnded = new Promise((r) => b.on('end', r));
  const aEnded = new Promise((r) => a.on('end', r));
  const sent = bytes(30_000, 'a');
  a.write(sent);
  await new Promise((r) => setImmediate(r));
  const gotB = Buffer.concat(atB);
  assert.equal(gotB.length, sent.length);
  assert.equal(popcount(gotB, sent), relay.aToB.stats.bitsFlipped);
  assert.ok(relay.aToB.stats.bitsFlipped > 0);
  b.write(bytes(50_000, 'b'));
  assert.equal(await relay.done, 'b->a cut');
  await Promise.all([aEnded, bEnded]);
  assert.equal(Buffer.concat(atA).length, 40_000);
  assert.equal(relay.stats().ended, 'b->a cut');
});

test('listenFaultRelay: a TCP relay on 127.0.0.1, one seeded pair of models per connection', async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const relay = await listenFaultRelay({
    target: { port: (echo.address() as net.AddressInfo).port },
    faults: (n) => ({ seed: `conn${n}`, aToB: { maxChunk: 7 }, bToA: n === 1 ? { disconnectAfterBytes: 100 } : {} }),
  });
  const talk = (payload: Buffer) => new Promise<Buffer>((resolve, reject) => {
    const s = net.connect(relay.address.port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => {
      got.push(d);
      if (Buffer.concat(got).length >= payload.length) s.end();
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(got)));
    s.write(payload);
  });
  const p = bytes(5000, 'tcp');
  assert.deepEqual(await talk(p), p);
  const cut = await talk(p);
  assert.equal(cut.length, 100);
  assert.deepEqual(cut, p.subarray(0, 100));
  assert.equal(await relay.relays[1]!.done, 'b->a cut');
  await relay.close();
  await new Promise((r) => echo.close(r));
});

test('two PppLinks through a FaultRelay (byte-at-a-time, 1e-4 BER) come up; a hang-up ends both with status 16', { timeout: 120_000 }, async () => {
  const [clientEnd, relayA] = duplexPair();
  const [relayB, serverEnd] = duplexPair();
  const relay = new FaultRelay(relayA, relayB, { seed: 'links', both: { byteAtATime: true, bitErrorRate: 1e-4 } });
  const server = new PppLink(serverEnd, { name: 'server', requireChap: true, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), localAddr: '10.0.0.1', remoteAddr: '10.0.0.2', lcpEchoInterval: 0 });
  const client = new PppLink(clientEnd, { user: 'fred', password: 'wilma', lcpEchoInterval: 0 });
  const up = (l: PppLink) => new Promise<void>((resolve, reject) => {
    l.on('ip-up', () => resolve());
    void l.done.then((s) => reject(new Error(`dead with ${s} before ip-up`)));
  });
  await Promise.all([up(server), up(client)]);
  assert.ok(relay.aToB.stats.piecesOut > 100, 'byte at a time');
  relay.close();
  assert.deepEqual(await Promise.all([server.done, client.done]), [16, 16]);
  assert.equal(await relay.done, 'closed');
});
