/**
 * The far end of bench/nat.ts's stack runs, in a process of its own so that its CPU (the
 * loopback socket's reads or writes, kernel time included) is not counted as dialtone's.
 * Parent → child messages: { pour: bytes } writes that many octets to the accepted
 * connection; { sink: bytes } counts them arriving. Child → parent: { port } once
 * listening, { accepted } per connection, { done } when a sink has all its octets.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const CHUNK = randomBytes(64 * 1024);
let conn: net.Socket | undefined;
const send = (m: object) => process.send!(m);

function pour(sock: net.Socket, total: number): void {
  let left = total;
  const go = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void sock.once('drain', go);
    }
  };
  go();
}

const srv = net.createServer({ allowHalfOpen: true }, (s) => {
  s.setNoDelay(true);
  s.on('error', () => {});
  conn?.destroy();
  conn = s;
  send({ accepted: true });
});
srv.listen(0, '127.0.0.1', () => send({ port: (srv.address() as net.AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { pour?: number; sink?: number; exit?: boolean }) => {
  if (m.exit) process.exit(0);
  const s = conn!;
  if (m.pour !== undefined) pour(s, m.pour);
  if (m.sink !== undefined) {
    let got = 0;
    const want = m.sink;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= want) {
        s.removeAllListeners('data');
        send({ done: true });
      }
    });
  }
});
