/**
 * Abort a TCP connection with an RST where Node can, and always release the socket.
 * Node 20's resetAndDestroy() on a socket that was already end()ed or has writes pending
 * never closes the handle (no 'close', the descriptor stays open: found by `npm run soak`),
 * so such a socket is destroyed plainly instead (a FIN, not an RST: the peer still learns).
 */
import type net from 'node:net';

export function resetSocket(sock: net.Socket): void {
  if (sock.destroyed) return;
  if (!sock.writableEnded && sock.writableLength === 0) {
    try {
      sock.resetAndDestroy();
      return;
    } catch {
      // not connected yet, or already closing
    }
  }
  sock.destroy();
}
