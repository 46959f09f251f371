// The session shaper between PPP and the network backend, on a virtual clock (mock timers
// and an injected now): packets towards the client are paced to the rate-limit, a change of
// rate-limit (CoA-Request's Filter-Id) paces at the new rate at once, and removing it lets
// everything through.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SessionShaper } from './session-shaper.js';
import type { NetworkBackend } from '../runtime/driver.js';
import { buildTcpSegment, TCP_ACK } from '../wire/packet.js';
import { markGso, segmentGso } from '../wire/gso.js';

function ipPacket(n: number): Buffer {
  const p = Buffer.alloc(n);
  p[0] = 0x45;
  return p;
}

test('down and up are paced to the rate-limit; a new rate-limit applies at once; none: straight through', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let now = 0;
    const tick = (ms: number) => { now += ms; mock.timers.tick(ms); };
    const shaper = new SessionShaper(() => now);
    const fromClient: Buffer[] = [];
    let toNet!: (p: Buffer) => void;
    const inner: NetworkBackend = { deliver: (p) => fromClient.push(p), attach: (send) => (toNet = send), detach: () => undefined };
    const toClient: { t: number; n: number }[] = [];
    const b = shaper.wrap(inner);
    b.attach((p) => toClient.push({ t: now, n: p.length }));
    // 64 kbit/s down (8000 B/s), 32 kbit/s up (4000 B/s), default bursts of 3000 B.
    shaper.set({ name: 'slow', downKbit: 64, upKbit: 32, line: 1 });
    for (let i = 0; i < 10; i++) toNet(ipPacket(1000));
    for (let i = 0; i < 10; i++) b.deliver(ipPacket(1000));
    assert.equal(toClient.length, 3, 'the burst');
    assert.equal(fromClient.length, 3);
    for (let i = 0; i < 40; i++) tick(50);
    // After 2 s: 3000 + 16000 down at most, 3000 + 8000 up.
    const down = toClient.reduce((a, x) => a + x.n, 0);
    assert.equal(down, 10_000, 'all ten have left (3000 + 7000 in 0.875 s)');
    assert.equal(fromClient.length, 10);
    assert.ok(toClient.at(-1)!.t >= 875, `the last left at ${toClient.at(-1)!.t} ms`);
    // CoA: Filter-Id "slower", 16 kbit/s (2000 B/s) down.
    shaper.set({ name: 'slower', downKbit: 16, upKbit: 16, line: 2 });
    const t0 = now;
    toClient.length = 0;
    for (let i = 0; i < 10; i++) toNet(ipPacket(1000));
    for (let i = 0; i < 200; i++) tick(50);
    assert.equal(toClient.length, 10);
    assert.ok(toClient.at(-1)!.t - t0 >= 3500, `3000 burst then 7000 at 2000 B/s: ${toClient.at(-1)!.t - t0} ms`);
    for (const x of toClient) assert.ok(toClient.filter((y) => y.t <= x.t).reduce((a, y) => a + y.n, 0) <= 3000 + 2 * (x.t - t0));
    // No rate-limit: through at once.
    shaper.set(undefined);
    toClient.length = 0;
    for (let i = 0; i < 10; i++) toNet(ipPacket(1000));
    assert.equal(toClient.length, 10);
    assert.equal(shaper.current, undefined);
    b.close?.();
  } finally {
    mock.timers.reset();
  }
});

test('a TCP super-segment from the NAT is paced as the segments it stands for', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let now = 0;
    const shaper = new SessionShaper(() => now);
    let toNet!: (p: Buffer) => void;
    const inner: NetworkBackend = { deliver: () => undefined, attach: (send) => (toNet = send), detach: () => undefined };
    const toClient: Buffer[] = [];
    const b = shaper.wrap(inner);
    b.attach((p) => toClient.push(p), { local: 1, remote: 2, dns: [0, 0], gso: true });
    // 64 kbit/s down: a burst of 3000 B, less than the 14,600-octet super-segment.
    shaper.set({ name: 'slow', downKbit: 64, upKbit: 64, line: 1 });
    const sup = buildTcpSegment(0x0a000202, 0x0a00020f, 80, 41000, { seq: 1, ack: 1, flags: TCP_ACK, window: 100, payload: Buffer.alloc(14_600, 7), gso: 1460 }, 1);
    markGso(sup, 1460);
    toNet(sup);
    assert.equal(toClient.length, 2, 'the burst: two full segments');
    for (let i = 0; i < 40; i++) {
      now += 50;
      mock.timers.tick(50);
    }
    assert.deepEqual(toClient, segmentGso(sup, 1460), 'all ten, as the segments');
    b.close?.();
  } finally {
    mock.timers.reset();
  }
});
