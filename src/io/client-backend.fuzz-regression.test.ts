/**
 * Found by `npm run soak` (dialtone soak, 1.5-4 min runs): after the load stopped and the
 * ISP closed, 30-110 sockets were still active handles, all destroyed, none made by
 * net.connect, all having gone through resetAndDestroy(): ClientBackend's local (forward /
 * SOCKS) sockets reset at ip-down (client-backend.ts: the spliced connection reset in
 * detach). Cause, in Node 20.20: resetAndDestroy() on a socket whose end() was already
 * called, or that has writes pending, never closes the handle: no 'close' event, and the
 * file descriptor stays open (50 such sockets: fds 22 -> 72). nat-backend.ts resetSocket()
 * (tcp-abort) uses the same call on outbound sockets that may already have been end()ed.
 * Which ClientBackend path does it is not pinned down yet: endLocal() end()s a local socket
 * and destroyLocal(l, true) later calls resetAndDestroy() on it, which is the leaking
 * pattern below, but a one-connection in-process reproduction (read the whole response,
 * keep the local half open, hang up) did not leak in 3 rounds; the soak leaks ~1 socket per
 * 40 fetches. This test pins the Node behaviour dialtone must not rely on. It is marked
 * todo (it documents a Node 20 behaviour, so it stays failing until Node changes); the fix
 * in src/io is destroy() instead of resetAndDestroy() once end() was called or writes are
 * pending, checked with `npm run soak` (handles must return to baseline).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

test('Node primitive: resetAndDestroy() after end() closes the socket', { todo: 'Node 20: the handle and its fd leak; dialtone must not rely on it (client-backend.ts detach, nat-backend.ts resetSocket)' }, async () => {
  const srv = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  let closed = 0;
  for (let i = 0; i < 5; i++) {
    const done = new Promise<void>((r) => srv.once('connection', (s) => { s.on('error', () => undefined); s.on('close', () => closed++); s.end(); s.resetAndDestroy(); r(); }));
    const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('error', () => undefined);
    c.on('end', () => c.destroy());
    c.resume();
    await done;
  }
  await new Promise((r) => setTimeout(r, 1000));
  srv.close();
  srv.unref();
  assert.equal(closed, 5, `${5 - closed} of 5 sockets never closed`);
});
