import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { drive, MAX_LINE_BACKLOG, type NetworkBackend } from './driver.js';
import { Session, defaultSessionOptions } from '../ppp/session.js';
import { parseIp4 } from '../wire/ipv4.js';

/**
 * Two in-memory line ends. `stall()` stops the far end from taking bytes from `a` (a slow
 * modem line): a's writes then stay queued in its stream.
 */
function linePair() {
  let stalled = false;
  const held: (() => void)[] = [];
  let a!: Duplex;
  let b!: Duplex;
  const mk = (peer: () => Duplex, isA: boolean) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        if (isA && stalled) return void held.push(() => cb());
        peer().push(chunk);
        cb();
      },
    });
  a = mk(() => b, true);
  b = mk(() => a, false);
  return { a, b, stall: () => (stalled = true), heldCount: () => held.length };
}

test('a line that stops draining does not grow memory: backend IP packets are dropped past the backlog bound', async () => {
  const { a, b, stall } = linePair();
  const ip = (s: string) => parseIp4(s)!;
  let send: ((p: Buffer) => void) | undefined;
  const backend: NetworkBackend = { deliver: () => undefined, attach: (s) => (send = s), detach: () => undefined };
  // noccp: the bound is in line bytes, and 1000 zero bytes compress to a few.
  const server = drive(new Session(defaultSessionOptions({ name: 's', localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), noccp: true }), Date.now()), { name: 'a', stream: a, close: () => undefined }, { onEvent: () => undefined, backend });
  const upB = new Promise<void>((r) => drive(new Session(defaultSessionOptions({ name: 'c' }), Date.now()), { name: 'b', stream: b, close: () => undefined }, { onEvent: (e) => e.type === 'ip-up' && r() }));
  await upB;
  assert.ok(send, 'the backend was attached at ip-up');
  stall();
  // A fast UDP sender: 20 MB offered to a line that takes nothing.
  const packet = Buffer.alloc(1000);
  packet[0] = 0x45;
  for (let i = 0; i < 20_000; i++) send!(packet);
  assert.ok(a.writableLength <= MAX_LINE_BACKLOG + 2 * 2100, `backlog ${a.writableLength}`);
  assert.ok(server.droppedForBacklog > 19_000);
  server.close('test over', 5);
});

test('a line the peer destroyed is released at once, not after the end() guard timer', async () => {
  const { a, b } = linePair();
  let closed = 0;
  const ip = (s: string) => parseIp4(s)!;
  const server = drive(new Session(defaultSessionOptions({ name: 's', localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), noccp: true }), Date.now()), { name: 'a', stream: a, close: () => closed++ }, { onEvent: () => undefined });
  const upB = new Promise<void>((r) => drive(new Session(defaultSessionOptions({ name: 'c', noccp: true }), Date.now()), { name: 'b', stream: b, close: () => undefined }, { onEvent: (e) => e.type === 'ip-up' && r() }));
  await upB;
  let status: number | undefined;
  void server.done.then((s) => (status = s));
  a.destroy();
  // 'close' is emitted on a later tick; a few event-loop turns, far short of the 500 ms guard.
  for (let i = 0; i < 10 && status === undefined; i++) await new Promise((r) => setImmediate(r));
  assert.notEqual(status, undefined, 'done settled within a few event-loop turns');
  assert.ok(closed >= 1, 'the line was closed');
});
