/**
 * Found by `npm run soak`: after the load stopped, sockets ClientBackend had reset stayed
 * open (destroyed, but the handle and descriptor alive). Node 20's resetAndDestroy() after
 * end() never closes the socket; src/runtime/reset-socket.ts avoids that pattern, and this
 * test proves the helper closes every socket in the case that leaked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { resetSocket } from './reset-socket.js';

test('resetSocket() after end() closes the socket (where resetAndDestroy() would leak it)', { timeout: 30_000 }, async () => {
  const srv = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  let closed = 0;
  for (let i = 0; i < 5; i++) {
    const done = new Promise<void>((r) => srv.once('connection', (s) => { s.on('error', () => undefined); s.on('close', () => closed++); s.end(); resetSocket(s); r(); }));
    const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('error', () => undefined);
    c.on('end', () => c.destroy());
    c.resume();
    await done;
  }
  // Wait for the closes themselves (bounded by the test runner's timeout).
  while (closed < 5) await new Promise((r) => setImmediate(r));
  srv.close();
  srv.unref();
  assert.equal(closed, 5, `${5 - closed} of 5 sockets never closed`);
});
