/**
 * Serial lines over WebSocket: a browser emulator (v86, jslinux, ...) has a serial port in
 * JavaScript but cannot open a TCP socket, so the modem bank and the direct-connect port also
 * listen for WebSocket connections (RFC 6455) whose binary frames carry the serial byte
 * stream, one frame per chunk, nothing else (text frames are taken as their bytes too).
 *
 * Each connection becomes a Duplex stream, so the rest of dialtone sees the same thing as a
 * TCP client. Flow control both ways: what the client sends is read only as fast as the
 * stream is consumed (ws pauses its socket when the stream's buffer is full), and writes to
 * the client go one frame at a time (the stream waits for each frame's send callback), so
 * the ws library's bufferedAmount never holds more than one chunk; the stream's own buffer
 * is bounded by its users (the modem bank's DTE_OUTPUT_LIMIT).
 */
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

/**
 * Largest frame accepted from a client. A serial port produces a few bytes at a time; a
 * client sending larger frames is closed (ws answers 1009, "message too big").
 */
export const WS_MAX_FRAME = 64 * 1024;

export interface WsListener {
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

/**
 * Listen on `at` for WebSocket clients (any path); each gets `onLine(stream, peer)`. A plain
 * HTTP request gets 426 Upgrade Required with a one-line hint.
 */
export function listenWebSocket(at: { host: string; port: number }, onLine: (stream: Duplex, peer: string) => void, what = 'serial line'): Promise<WsListener> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end(`dialtone: a ${what} over WebSocket (binary frames); connect with new WebSocket(url)\n`);
  });
  const wss = new WebSocketServer({ server, maxPayload: WS_MAX_FRAME, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    // Frames to the browser are binary (ws sends Buffers as binary frames).
    const peer = `ws ${req.socket.remoteAddress}:${req.socket.remotePort}`;
    stream.on('error', () => stream.destroy());
    onLine(stream, peer);
  });
  wss.on('error', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as net.AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
