/**
 * Userspace NAT throughput: a client TCP (the test helper, playing the PPP peer's kernel)
 * talks through NatBackend and its sans-IO stack to a real TCP server on 127.0.0.1, over
 * an in-memory link — bare IP packets, and again with every packet put through PPP's
 * HDLC-like framing (HdlcEncoder/HdlcDecoder, ACCM 0) both ways. Direct loopback TCP in
 * the same process is the baseline. Client→host is an upload, host→client a download.
 *
 * CPU time is process.cpuUsage() over the transfer: everything in this process (client
 * TCP, stack, framing, the Node sockets of both ends), per MB (10^6 octets).
 *
 * Usage: node dist/bench/nat.js [--quick]   (finishes well within a minute)
 *   --quick: the same runs with 1/12 (stack) and 1/16 (direct) of the octets, a second or
 *            so each, for CI logs (figures are printed, never asserted).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { NatBackend } from '../src/runtime/nat-backend.js';
import { ClientTcp } from '../src/net/testing/peer.js';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';

const GW = 0x0a000202;
const CLIENT = 0x0a00020f;
const QUICK = process.argv.includes('--quick');
const STACK_BYTES = (QUICK ? 4 : 48) * 1024 * 1024;
const DIRECT_BYTES = (QUICK ? 16 : 256) * 1024 * 1024;
const CHUNK = randomBytes(64 * 1024);

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
}

function line(what: string, r: Result): void {
  console.log(`${what.padEnd(46)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s   cpu ${r.cpuMsPerMb.toFixed(2).padStart(7)} ms/MB`);
}

async function measure(bytes: number, run: (done: () => void) => void): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => run(resolve));
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const mb = bytes / 1e6;
  return { mbPerSec: mb / sec, cpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb };
}

/** Writes `total` octets respecting backpressure, then ends. */
function pour(sock: net.Socket, total: number): void {
  let left = total;
  const go = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void sock.once('drain', go);
    }
    sock.end();
  };
  go();
}

async function server(onConn: (s: net.Socket) => void): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

async function direct(dir: 'up' | 'down', bytes: number): Promise<Result> {
  let finish!: () => void;
  let got = 0;
  const { srv, port } = await server((s) => {
    if (dir === 'up') {
      s.on('data', (d) => { got += d.length; if (got >= bytes) finish(); });
    } else {
      pour(s, bytes);
    }
  });
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  c.on('error', () => {});
  await new Promise<void>((r) => c.once('connect', () => r()));
  const r = await measure(bytes, (done) => {
    finish = done;
    if (dir === 'up') pour(c, bytes);
    else c.on('data', (d) => { got += d.length; if (got >= bytes) done(); });
  });
  c.destroy();
  srv.close();
  return r;
}

/** The PPP peer's side of the in-memory link, optionally through HDLC framing. */
class Link {
  private queued = false;
  private readonly timer: NodeJS.Timeout;
  private readonly encUp = new HdlcEncoder({ accm: 0 });
  private readonly decUp = new HdlcDecoder({});
  private readonly encDown = new HdlcEncoder({ accm: 0 });
  private readonly decDown = new HdlcDecoder({});

  constructor(private readonly backend: NatBackend, private readonly client: ClientTcp, private readonly framing: boolean) {
    this.decUp.setRecvAccm(0);
    this.decDown.setRecvAccm(0);
    backend.attach((p) => {
      if (this.framing) for (const f of this.decDown.push(this.encDown.encode(0x0021, p))) client.input(f.payload, Date.now());
      else client.input(p, Date.now());
      this.flush();
    });
    this.timer = setInterval(() => {
      client.tick(Date.now());
      this.flush();
    }, 5);
  }

  flush(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      for (const p of this.client.takePackets()) {
        if (this.framing) for (const f of this.decUp.push(this.encUp.encode(0x0021, p))) this.backend.deliver(f.payload);
        else this.backend.deliver(p);
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.backend.detach();
  }
}

async function viaStack(dir: 'up' | 'down', bytes: number, framing: boolean, buffers: number): Promise<Result> {
  let finish!: () => void;
  let got = 0;
  let hostSock: net.Socket | undefined;
  const { srv, port } = await server((s) => {
    hostSock = s;
    if (dir === 'up') s.on('data', (d) => { got += d.length; if (got >= bytes) finish(); });
  });
  const backend = new NatBackend({ client: '10.0.2.15', tcpSendBuffer: buffers, tcpRecvBuffer: buffers, tcpMinRto: 200 });
  const client = new ClientTcp({ src: CLIENT, srcPort: 40000, dst: GW, dstPort: port, wscale: 6, rcvBuf: 4 * 1024 * 1024, rto: 300 });
  const link = new Link(backend, client, framing);
  client.connect(Date.now());
  link.flush();
  while (!client.established || !hostSock) await new Promise((r) => setTimeout(r, 1));
  const r = await measure(bytes, (done) => {
    finish = done;
    if (dir === 'up') {
      client.write(randomPayload(bytes), Date.now());
      link.flush();
    } else {
      pour(hostSock!, bytes);
      const poll = setInterval(() => {
        if (client.receivedBytes >= bytes) {
          clearInterval(poll);
          done();
        }
        client.received.length = 0; // keep memory flat: only the count matters here
      }, 1);
    }
  });
  link.close();
  srv.close();
  return r;
}

function randomPayload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += CHUNK.length) CHUNK.copy(b, i, 0, Math.min(CHUNK.length, n - i));
  return b;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`dialtone userspace NAT: TCP through NetStack + NatBackend to a loopback server, node ${process.version}`);
  console.log(`(stack runs: ${STACK_BYTES / 2 ** 20} MiB each; direct: ${DIRECT_BYTES / 2 ** 20} MiB; MB = 10^6 octets)`);
  line('direct loopback TCP  client→host', await direct('up', DIRECT_BYTES));
  line('direct loopback TCP  host→client', await direct('down', DIRECT_BYTES));
  for (const buffers of [64 * 1024, 256 * 1024]) {
    const kb = `${buffers / 1024} KiB bufs`;
    line(`stack, bare IP       client→host  ${kb}`, await viaStack('up', STACK_BYTES, false, buffers));
    line(`stack, bare IP       host→client  ${kb}`, await viaStack('down', STACK_BYTES, false, buffers));
  }
  line('stack + HDLC framing client→host  64 KiB bufs', await viaStack('up', STACK_BYTES, true, 64 * 1024));
  line('stack + HDLC framing host→client  64 KiB bufs', await viaStack('down', STACK_BYTES, true, 64 * 1024));
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

void main().then(() => process.exit(0));
