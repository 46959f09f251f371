/**
 * The far side of bench/nat.ts's stack runs, in a process of its own so that its CPU is not
 * counted as dialtone's: the Internet host (the loopback server that sends or sinks the
 * octets, kernel time of its socket included) and, for the "over a TCP line" runs, the PPP
 * peer too (the client's TCP and its half of the HDLC framing, talking to dialtone over a
 * real TCP connection as an emulator's or a modem bank's line does). Two processes on two
 * cores: dialtone in bench/nat's, everything else here.
 *
 * Parent → child messages: { pour: bytes } writes that many octets to the accepted
 * connection; { sink: bytes } counts them arriving; { peer: linePort } connects the PPP
 * peer to dialtone's line and opens its TCP connection to this process's server through
 * dialtone's NAT; { upload: bytes } / { download: bytes } move that many octets through it
 * (the peer sends them / the server pours them); { unpeer } drops the peer. Child → parent:
 * { port } once listening, { accepted } per connection, { established } when the peer's TCP
 * is up, { done, cpuUs } when a sink or the peer has all its octets (cpuUs: this process's
 * CPU since the message that started the transfer).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { ClientTcp } from '../src/net/testing/peer.js';
import { natBenchClient } from './nat-client.js';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { joinAdjacent } from '../src/wire/join-adjacent.js';

const CHUNK = randomBytes(64 * 1024);
let conn: net.Socket | undefined;
let port = 0;
const send = (m: object) => process.send!(m);
/** process.cpuUsage() when the current transfer began: { done } carries the CPU since. */
let cpu0 = process.cpuUsage();
const done = () => {
  const c = process.cpuUsage(cpu0);
  send({ done: true, cpuUs: c.user + c.system });
};

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

function sink(s: net.Socket, want: number): void {
  let got = 0;
  s.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= want) {
      s.removeAllListeners('data');
      done();
    }
  });
}

/**
 * The PPP peer on a TCP line to dialtone: what arrives is deframed and given to the client
 * TCP as it comes; what the client sends is framed and written once per read (or tick), the
 * frames back to back as one write.
 */
class LinePeer {
  readonly client: ClientTcp;
  private readonly enc = new HdlcEncoder({ accm: 0 });
  private readonly dec = new HdlcDecoder({});
  private readonly timer: NodeJS.Timeout;
  private wantDown = Infinity;

  constructor(private readonly line: net.Socket) {
    this.dec.setRecvAccm(0);
    this.client = natBenchClient(port);
    line.setNoDelay(true);
    line.on('error', () => {});
    line.on('data', (d: Buffer) => {
      const now = Date.now();
      for (const f of this.dec.push(d)) this.client.input(f.payload, now);
      this.flush();
      if (this.client.receivedBytes >= this.wantDown) {
        this.wantDown = Infinity;
        done();
      }
    });
    this.timer = setInterval(() => {
      this.client.tick(Date.now());
      this.flush();
    }, 5);
    this.client.connect(Date.now());
    this.flush();
  }

  flush(): void {
    const ps = this.client.takePackets();
    if (ps.length === 0) return;
    const frames = joinAdjacent(ps.map((p) => this.enc.encode(0x0021, p)));
    this.line.cork();
    for (const f of frames) this.line.write(f);
    this.line.uncork();
  }

  upload(bytes: number): void {
    const now = Date.now();
    for (let left = bytes; left > 0; left -= CHUNK.length) this.client.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left), now);
    this.flush();
  }

  download(bytes: number): void {
    this.wantDown = this.client.receivedBytes + bytes;
  }

  close(): void {
    clearInterval(this.timer);
    this.line.destroy();
  }
}

let peer: LinePeer | undefined;

const srv = net.createServer({ allowHalfOpen: true }, (s) => {
  s.setNoDelay(true);
  s.on('error', () => {});
  conn?.destroy();
  conn = s;
  send({ accepted: true });
  if (peer) {
    const p = peer;
    const up = setInterval(() => {
      if (!p.client.established) return;
      clearInterval(up);
      send({ established: true });
    }, 1);
  }
});
srv.listen(0, '127.0.0.1', () => send({ port: (port = (srv.address() as net.AddressInfo).port) }));
process.on('disconnect', () => process.exit(0));
process.on('message', (m: { pour?: number; sink?: number; peer?: number; upload?: number; download?: number; unpeer?: boolean; exit?: boolean }) => {
  if (m.exit) process.exit(0);
  cpu0 = process.cpuUsage();
  if (m.peer !== undefined) {
    const line = net.connect({ port: m.peer, host: '127.0.0.1' });
    peer = new LinePeer(line);
    return;
  }
  if (m.unpeer) {
    peer?.close();
    peer = undefined;
    return;
  }
  const s = conn!;
  if (m.pour !== undefined) pour(s, m.pour);
  if (m.sink !== undefined) sink(s, m.sink);
  if (m.upload !== undefined) {
    sink(s, m.upload);
    peer!.upload(m.upload);
  }
  if (m.download !== undefined) {
    peer!.download(m.download);
    pour(s, m.download);
  }
});
