/**
 * Client-role throughput: an HTTP client on this machine talks SOCKS5 to ClientBackend,
 * whose userspace stack (ClientStack) carries the TCP connection over a PPP link (HDLC
 * framing, PppLink over loopback TCP) to an IspServer, whose userspace NAT (NetStack +
 * NatBackend) connects to an HTTP server on 127.0.0.1 — both ends of the dial-up stack in
 * one process. Direct loopback HTTP in the same process is the baseline.
 *
 * CPU time is process.cpuUsage() over the transfer (everything in this process), per MB
 * (10^6 octets). Download = GET of N octets; upload = POST of N octets.
 *
 * Usage: node dist/bench/socks.js [--quick]   (finishes well within a minute)
 *   --quick: the same transfers with 1/8 of the octets, for CI logs (figures are printed,
 *            never asserted).
 */
import net from 'node:net';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { ClientBackend } from '../src/runtime/client-backend.js';
import { PppLink } from '../src/runtime/link.js';
import { IspServer } from '../src/isp/server.js';
import { natBackendFactory } from '../src/isp/backend.js';
import { defaultIspConfig } from '../src/isp/config.js';
import { staticSecrets } from '../src/ppp/secrets.js';

const BYTES = (process.argv.includes('--quick') ? 4 : 32) * 1024 * 1024;
const CHUNK = randomBytes(64 * 1024);

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
}

function line(what: string, r: Result): void {
  console.log(`${what.padEnd(52)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s   cpu ${r.cpuMsPerMb.toFixed(2).padStart(7)} ms/MB`);
}

async function measure(bytes: number, run: () => Promise<void>): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const mb = bytes / 1e6;
  return { mbPerSec: mb / sec, cpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb };
}

/** Writes n octets respecting backpressure. */
async function pour(w: NodeJS.WritableStream & { write(b: Buffer): boolean }, n: number): Promise<void> {
  let left = n;
  while (left > 0) {
    const k = Math.min(left, CHUNK.length);
    left -= k;
    if (!w.write(k === CHUNK.length ? CHUNK : CHUNK.subarray(0, k))) await new Promise((r) => w.once('drain', r));
  }
}

async function webServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const m = /^\/down\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const n = Number(m[1]);
      res.writeHead(200, { 'content-length': n });
      void pour(res, n).then(() => res.end());
      return;
    }
    let got = 0;
    req.on('data', (d: Buffer) => (got += d.length));
    req.on('end', () => res.end(String(got)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A connected stream: straight to the server, or through the SOCKS5 proxy to 10.0.2.2. */
async function open(via: { socks: number } | 'direct', port: number): Promise<net.Socket> {
  if (via === 'direct') {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return s;
  }
  const s = net.connect(via.socks, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const req = Buffer.from([5, 1, 0, 5, 1, 0, 1, 10, 0, 2, 2, port >> 8, port & 255]);
  s.write(req);
  let got = Buffer.alloc(0);
  while (got.length < 12) {
    got = Buffer.concat([got, await new Promise<Buffer>((r) => s.once('data', r))]);
  }
  if (got[1] !== 0 || got[3] !== 0) throw new Error(`SOCKS reply ${got[3]}`);
  return s;
}

/** One HTTP/1.0 transfer of n octets; resolves when the response has been read. */
async function transfer(via: { socks: number } | 'direct', port: number, dir: 'down' | 'up', n: number): Promise<void> {
  const s = await open(via, port);
  let got = 0;
  const ended = new Promise<void>((r) => s.on('end', r));
  s.on('data', (d: Buffer) => (got += d.length));
  if (dir === 'down') {
    s.write(`GET /down/${n} HTTP/1.0\r\nHost: x\r\n\r\n`);
  } else {
    s.write(`POST /up HTTP/1.0\r\nHost: x\r\nContent-Length: ${n}\r\n\r\n`);
    await pour(s, n);
  }
  await ended;
  s.destroy();
  if (dir === 'down' && got < n) throw new Error(`short download: ${got} of ${n}`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`dialtone client role: HTTP through SOCKS5 → ClientStack → PPP (HDLC over loopback TCP) → ISP NAT → loopback HTTP, node ${process.version}`);
  console.log(`(${BYTES / 2 ** 20} MiB per run; MB = 10^6 octets)`);
  const web = await webServer();
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const backend = new ClientBackend({ socks: '127.0.0.1:0' });
  const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'demo', password: 'dialtone', usePeerDns: true, backend });
  await new Promise((r) => link.on('ip-up', r));
  const via = { socks: (await backend.ready()).socks!.port };

  line('direct loopback HTTP     download', await measure(BYTES, () => transfer('direct', web.port, 'down', BYTES)));
  line('direct loopback HTTP     upload', await measure(BYTES, () => transfer('direct', web.port, 'up', BYTES)));
  line('SOCKS → PPP → NAT        download', await measure(BYTES, () => transfer(via, web.port, 'down', BYTES)));
  line('SOCKS → PPP → NAT        upload', await measure(BYTES, () => transfer(via, web.port, 'up', BYTES)));
  line('SOCKS → PPP → NAT        4 downloads at once', await measure(BYTES, () => Promise.all([0, 1, 2, 3].map(() => transfer(via, web.port, 'down', BYTES / 4))).then(() => undefined)));
  line('SOCKS → PPP → NAT        2 down + 2 up at once', await measure(BYTES, () => Promise.all([0, 1, 2, 3].map((i) => transfer(via, web.port, i % 2 ? 'up' : 'down', BYTES / 4))).then(() => undefined)));
  const st = backend.stats().stack!;
  console.log(`client stack: ${st.tcp.segmentsOut} segments out, ${st.tcp.segmentsIn} in, ${st.tcp.retransmits} retransmissions`);
  link.close();
  await link.done;
  await isp.stop();
  web.server.close();
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

void main().then(() => process.exit(0));
