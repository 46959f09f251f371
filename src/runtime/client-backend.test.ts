/**
 * ClientBackend end to end, in one process, all on 127.0.0.1: an IspServer (raw PPP over
 * TCP, the userspace NAT per session) and PppLink clients with a ClientBackend; an HTTP
 * server on 127.0.0.1 reached through SOCKS5 and local forwards as 10.0.2.2 (the gateway)
 * or host.dialtone.internal (resolved over the link by the ISP's virtual DNS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { ClientBackend, clientBackendFromOptions, parseListen, parseLocalForward, socksReply, type ClientBackendOptions } from './client-backend.js';
import { PppLink, type LinkOptions } from './link.js';
import { IspServer } from '../isp/server.js';
import { natBackendFactory } from '../isp/backend.js';
import { defaultIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { waitUntil } from './wait-until.js';
import { REP } from './socks.js';
import { hdlcKernel } from '../wire/hdlc-kernel.js';

const BLOB = randomBytes(2 * 1024 * 1024);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// ------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------

/** GET /down/N → the first N octets of BLOB; POST /up → the body's sha256 and length. */
async function httpServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const m = /^\/down\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const body = BLOB.subarray(0, Number(m[1]));
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
      return;
    }
    if (req.url === '/up') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => { h.update(d); n += d.length; });
      req.on('end', () => res.end(`${h.digest('hex')} ${n}`));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

async function startIsp(): Promise<IspServer> {
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const server = new IspServer({
    config,
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    backend: natBackendFactory(config),
    log: () => undefined,
  });
  await server.start();
  return server;
}

async function dial(isp: IspServer, o: ClientBackendOptions = {}, linkOpts: LinkOptions = {}) {
  const logs: string[] = [];
  const backend = new ClientBackend({ socks: '127.0.0.1:0', log: (m) => logs.push(m), ...o });
  const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'demo', password: 'dialtone', usePeerDns: true, backend, ...linkOpts });
  const up = await new Promise<{ local: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
  const addrs = await backend.ready();
  return { backend, link, up, addrs, logs };
}

/** A socket with everything it received, and waits for more. */
class Conn {
  readonly sock: net.Socket;
  private chunks: Buffer[] = [];
  private len = 0;
  ended = false;
  private wake?: () => void;

  constructor(port: number) {
    this.sock = net.connect({ port, host: '127.0.0.1' });
    this.sock.on('data', (d: Buffer) => { this.chunks.push(d); this.len += d.length; this.wake?.(); });
    this.sock.on('end', () => { this.ended = true; this.wake?.(); });
    this.sock.on('close', () => { this.ended = true; this.wake?.(); });
    this.sock.on('error', () => undefined);
  }

  /** The next n octets (rejects if the connection ends first). */
  async take(n: number): Promise<Buffer> {
    while (this.len < n) {
      if (this.ended) throw new Error(`connection ended after ${this.len} of ${n} octets`);
      await new Promise<void>((r) => (this.wake = r));
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(n)];
    this.len -= n;
    return all.subarray(0, n);
  }

  /** Everything until the end of the stream. */
  async rest(): Promise<Buffer> {
    while (!this.ended) await new Promise<void>((r) => (this.wake = r));
    return Buffer.concat(this.chunks);
  }

  async write(data: Buffer): Promise<void> {
    for (let i = 0; i < data.length; i += 65536) {
      if (!this.sock.write(data.subarray(i, i + 65536))) await new Promise((r) => this.sock.once('drain', r));
    }
  }
}

const until = (pred: () => boolean, ms = 60_000) => waitUntil(pred, ms, 'the stacks to settle');

type Target = { ipv4: string; port: number } | { name: string; port: number } | { ipv6: true; port: number };

/** A SOCKS5 CONNECT by hand (RFC 1928); resolves with the reply code and the connection. */
async function socks(port: number, t: Target, o: { cmd?: number; auth?: { user: string; password: string } } = {}): Promise<{ rep: number; conn: Conn; bind: string }> {
  const c = new Conn(port);
  await new Promise((r) => c.sock.once('connect', r));
  c.sock.write(Buffer.from(o.auth ? [5, 1, 2] : [5, 1, 0]));
  const method = await c.take(2);
  if (method[1] === 0xff) return { rep: -1, conn: c, bind: '' };
  if (o.auth) {
    const u = Buffer.from(o.auth.user);
    const p = Buffer.from(o.auth.password);
    c.sock.write(Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const status = await c.take(2);
    if (status[1] !== 0) return { rep: -2, conn: c, bind: '' };
  }
  let addr: Buffer;
  if ('ipv4' in t) addr = Buffer.from([1, ...t.ipv4.split('.').map(Number)]);
  else if ('name' in t) addr = Buffer.concat([Buffer.from([3, t.name.length]), Buffer.from(t.name)]);
  else addr = Buffer.concat([Buffer.from([4]), Buffer.alloc(16, 0)]);
  const portBuf = Buffer.alloc(2);
  portBuf.writeUInt16BE(t.port);
  c.sock.write(Buffer.concat([Buffer.from([5, o.cmd ?? 1, 0]), addr, portBuf]));
  const head = await c.take(4);
  assert.equal(head[0], 5);
  assert.equal(head[3], 1, 'BND.ADDR is IPv4');
  const bnd = await c.take(6);
  return { rep: head[1]!, conn: c, bind: `${bnd[0]}.${bnd[1]}.${bnd[2]}.${bnd[3]}:${bnd.readUInt16BE(4)}` };
}

/** An HTTP/1.0 exchange on a connected stream: the status and the body. */
async function http10(c: Conn, method: 'GET' | 'POST', path: string, body?: Buffer): Promise<{ status: number; body: Buffer }> {
  await c.write(Buffer.from(`${method} ${path} HTTP/1.0\r\nHost: x\r\n${body ? `Content-Length: ${body.length}\r\n` : ''}\r\n`));
  if (body) await c.write(body);
  c.sock.end();
  const all = await c.rest();
  const i = all.indexOf('\r\n\r\n');
  assert.ok(i > 0, `an HTTP response (${all.subarray(0, 80).toString()})`);
  return { status: Number(/^HTTP\/1\.\d (\d+)/.exec(all.subarray(0, i).toString())?.[1]), body: all.subarray(i + 4) };
}

async function getVia(socksPort: number, t: Target, n: number): Promise<Buffer> {
  const { rep, conn } = await socks(socksPort, t);
  assert.equal(rep, REP.SUCCEEDED);
  const r = await http10(conn, 'GET', `/down/${n}`);
  assert.equal(r.status, 200);
  return r.body;
}

async function postVia(socksPort: number, t: Target, body: Buffer): Promise<string> {
  const { rep, conn } = await socks(socksPort, t);
  assert.equal(rep, REP.SUCCEEDED);
  const r = await http10(conn, 'POST', '/up', body);
  assert.equal(r.status, 200);
  return r.body.toString();
}

// ------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------

test('option syntax: [HOST:]PORT listeners, ssh -L forwards, reply codes', () => {
  assert.deepEqual(parseListen('1080'), { host: '127.0.0.1', port: 1080 });
  assert.deepEqual(parseListen('0.0.0.0:1081'), { host: '0.0.0.0', port: 1081 });
  assert.deepEqual(parseListen('*:1082'), { host: '0.0.0.0', port: 1082 });
  assert.deepEqual(parseListen('[::1]:1083'), { host: '::1', port: 1083 });
  assert.throws(() => parseListen('localhost:99999'), /bad listen address/);
  assert.throws(() => parseListen('x'), /bad listen address/);
  assert.deepEqual(parseLocalForward('8080:example.com:80'), { bindHost: '127.0.0.1', bindPort: 8080, host: 'example.com', port: 80 });
  assert.deepEqual(parseLocalForward('*:8080:10.0.2.2:80'), { bindHost: '0.0.0.0', bindPort: 8080, host: '10.0.2.2', port: 80 });
  assert.throws(() => parseLocalForward('8080:example.com'), /LPORT:HOST:PORT/);
  assert.throws(() => parseLocalForward('8080:example.com:0'), /bad port/);
  assert.throws(() => parseLocalForward('80800:x:1'), /bad port/);
  assert.throws(() => parseLocalForward('1:bad host:1'), /bad host/);
  assert.deepEqual([socksReply('refused'), socksReply('host-unreachable'), socksReply('net-unreachable'), socksReply('prohibited'), socksReply('ttl-expired'), socksReply('timeout'), socksReply('limit'), socksReply('link-down')],
    [5, 4, 3, 2, 6, 4, 1, 3]);
  const b = clientBackendFromOptions({ forwards: ['9:a.example:1'] });
  assert.equal(b.stats().socks, undefined, 'no socks option: no proxy');
  assert.deepEqual(b.stats().forwards.map((f) => f.spec), ['127.0.0.1:9:a.example:1']);
  assert.equal(clientBackendFromOptions({ socks: '1080', forwards: [] }).stats().socks?.accepted, 0);
  assert.throws(() => clientBackendFromOptions({ forwards: ['nope'] }), TypeError);
});

// ------------------------------------------------------------------------------------------
// End to end
// ------------------------------------------------------------------------------------------

test('e2e: SOCKS5 over PPP through the ISP NAT: 1 MB GET to 10.0.2.2 and to host.dialtone.internal, an upload, and a local forward', { timeout: 60_000 }, async () => {
  const web = await httpServer();
  const isp = await startIsp();
  const c = await dial(isp, { forwards: [`0:host.dialtone.internal:${web.port}`, `0:10.0.2.2:${web.port}`] });
  try {
    assert.equal(c.up.local, '10.0.2.15');
    assert.deepEqual(c.up.dns, ['10.0.2.3', '10.0.2.3']);
    const socksPort = c.addrs.socks!.port;
    const MB = 1024 * 1024;

    const { rep, conn, bind } = await socks(socksPort, { ipv4: '10.0.2.2', port: web.port });
    assert.equal(rep, REP.SUCCEEDED);
    assert.match(bind, /^10\.0\.2\.15:\d+$/, 'BND is our link address and port');
    const r = await http10(conn, 'GET', `/down/${MB}`);
    assert.equal(r.status, 200);
    assert.equal(sha(r.body), sha(BLOB.subarray(0, MB)));

    assert.equal(sha(await getVia(socksPort, { name: 'host.dialtone.internal', port: web.port }, MB)), sha(BLOB.subarray(0, MB)));
    const up = randomBytes(MB);
    assert.equal(await postVia(socksPort, { name: 'host.dialtone.internal', port: web.port }, up), `${sha(up)} ${MB}`);

    for (const f of c.addrs.forwards) {
      const fc = new Conn(f!.port);
      const fr = await http10(fc, 'GET', `/down/${MB}`);
      assert.equal(fr.status, 200);
      assert.equal(sha(fr.body), sha(BLOB.subarray(0, MB)));
    }

    const st = c.backend.stats();
    assert.equal(st.up, true);
    assert.equal(st.socks!.connected, 3);
    assert.deepEqual(st.forwards.map((f) => [f.accepted, f.connected, f.failed]), [[1, 1, 0], [1, 1, 0]]);
    assert.ok(st.stack!.tcp.bytesReceived >= 4 * MB);
    assert.ok(st.stack!.dns.queriesSent >= 1);
    assert.ok(st.stack!.dns.cached >= 1, 'host.dialtone.internal came from the cache the second time');
    await until(() => c.backend.stats().stack!.tcp.active === 0 && c.backend.stats().localSockets === 0);
  } finally {
    c.link.close();
    await c.link.done;
    await isp.stop();
    web.server.close();
  }
});

test('e2e: an upload leaves the client as TCP super-segments, cut by the link\'s framer (novj, noccp) or by IPCP for VJ, and arrives intact', { timeout: 60_000 }, async () => {
  const web = await httpServer();
  const isp = await startIsp();
  try {
    for (const vj of [false, true]) {
      const c = await dial(isp, {}, { vj, noccp: true });
      try {
        let framedWhole = 0;
        const link = c.link.session.link;
        const encodeSegments = link.encodeSegments!.bind(link);
        link.encodeSegments = (...args: Parameters<typeof encodeSegments>) => {
          const ok = encodeSegments(...args);
          if (ok) framedWhole++;
          return ok;
        };
        const up = randomBytes(1024 * 1024);
        assert.equal(await postVia(c.addrs.socks!.port, { ipv4: '10.0.2.2', port: web.port }, up), `${sha(up)} ${up.length}`);
        const framer = !vj && hdlcKernel()?.frameGso !== undefined;
        assert.equal(framedWhole > 0, framer, `${framedWhole} super-segments framed whole`);
        if (vj) assert.ok(c.link.session.counters.vj!.tx.compressed > 700, 'VJ compressed the upload segment by segment');
      } finally {
        c.link.close();
        await c.link.done;
      }
    }
  } finally {
    await isp.stop();
    web.server.close();
  }
});

test('e2e: SOCKS5 error replies: refused port, unknown name, IPv6, UDP ASSOCIATE; a forward to a closed port is reset', { timeout: 60_000 }, async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const isp = await startIsp();
  const c = await dial(isp, { forwards: [`0:10.0.2.2:${closedPort}`] });
  try {
    const p = c.addrs.socks!.port;
    assert.equal((await socks(p, { ipv4: '10.0.2.2', port: closedPort })).rep, REP.CONNECTION_REFUSED);
    assert.equal((await socks(p, { name: 'no-such-host.invalid', port: 80 })).rep, REP.HOST_UNREACHABLE);
    assert.equal((await socks(p, { ipv6: true, port: 80 })).rep, REP.ADDRESS_TYPE_NOT_SUPPORTED);
    assert.equal((await socks(p, { ipv4: '10.0.2.2', port: 53 }, { cmd: 3 })).rep, REP.COMMAND_NOT_SUPPORTED);
    assert.equal((await socks(p, { ipv4: '127.0.0.1', port: 80 })).rep, REP.NETWORK_UNREACHABLE);
    assert.equal((await socks(p, { ipv4: '10.0.2.77', port: 80 })).rep, REP.HOST_UNREACHABLE, 'the NAT answers ICMP host unreachable');
    const f = new Conn(c.addrs.forwards[0]!.port);
    const got = await f.rest();
    assert.equal(got.length, 0);
    const st = c.backend.stats();
    assert.equal(st.socks!.failed['connection refused'], 1);
    assert.equal(st.socks!.failed['host unreachable'], 2);
    assert.equal(st.forwards[0]!.failed, 1);
  } finally {
    c.link.close();
    await c.link.done;
    await isp.stop();
  }
});

test('e2e: SOCKS5 username/password; the proxy closes when the link goes down', { timeout: 60_000 }, async () => {
  const web = await httpServer();
  const isp = await startIsp();
  const c = await dial(isp, { socksAuth: { user: 'fred', password: 'wilma' } });
  const p = c.addrs.socks!.port;
  try {
    assert.equal((await socks(p, { ipv4: '10.0.2.2', port: web.port })).rep, -1, 'no-auth method refused');
    assert.equal((await socks(p, { ipv4: '10.0.2.2', port: web.port }, { auth: { user: 'fred', password: 'x' } })).rep, -2);
    const ok = await socks(p, { ipv4: '10.0.2.2', port: web.port }, { auth: { user: 'fred', password: 'wilma' } });
    assert.equal(ok.rep, REP.SUCCEEDED);
    const r = await http10(ok.conn, 'GET', '/down/1000');
    assert.equal(sha(r.body), sha(BLOB.subarray(0, 1000)));
  } finally {
    c.link.close();
    await c.link.done;
  }
  assert.equal(c.backend.stats().up, false);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(p, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  assert.equal(refused, 'ECONNREFUSED');
  await isp.stop();
  web.server.close();
});

test('e2e concurrency: ten PPP clients, each with its own SOCKS proxy, download 2 MB and upload 1 MB at once, all intact', { timeout: 120_000 }, async (t) => {
  const web = await httpServer();
  const isp = await startIsp();
  const clients = await Promise.all(Array.from({ length: 10 }, () => dial(isp)));
  try {
    assert.equal(new Set(clients.map((c) => c.up.local)).size, 10);
    const uploads = clients.map(() => randomBytes(1024 * 1024));
    const t0 = Date.now();
    const results = await Promise.all(clients.flatMap((c, i) => [
      getVia(c.addrs.socks!.port, i % 2 ? { name: 'host.dialtone.internal', port: web.port } : { ipv4: '10.0.2.2', port: web.port }, BLOB.length).then((b) => sha(b)),
      postVia(c.addrs.socks!.port, { ipv4: '10.0.2.2', port: web.port }, uploads[i]!),
    ]));
    const ms = Date.now() - t0;
    for (let i = 0; i < clients.length; i++) {
      assert.equal(results[2 * i], sha(BLOB), `client ${i} download`);
      assert.equal(results[2 * i + 1], `${sha(uploads[i]!)} ${uploads[i]!.length}`, `client ${i} upload`);
    }
    const mb = (clients.length * (BLOB.length + 1024 * 1024)) / 1e6;
    t.diagnostic(`10 clients, ${mb.toFixed(1)} MB through SOCKS→PPP→NAT in ${ms} ms (${(mb / (ms / 1000)).toFixed(1)} MB/s aggregate)`);
    const rtx = clients.reduce((n, c) => n + c.backend.stats().stack!.tcp.retransmits, 0);
    t.diagnostic(`client-side TCP retransmissions: ${rtx}`);
    // Every connection ends: nothing left open in the stacks or as local sockets.
    await until(() => clients.every((c) => c.backend.stats().stack!.tcp.active === 0 && c.backend.stats().localSockets === 0));
  } finally {
    for (const c of clients) c.link.close();
    await Promise.all(clients.map((c) => c.link.done));
    await isp.stop();
    web.server.close();
  }
});

test('a black-hole link: an unanswered name fails with "host unreachable"; link down during a connect answers "network unreachable"', { timeout: 30_000 }, async () => {
  const sent: Buffer[] = [];
  const backend = new ClientBackend({ socks: '127.0.0.1:0', dnsTimeout: 100, dnsAttempts: 2 });
  backend.attach((p) => sent.push(p), { local: 0x0a00020f, remote: 0x0a000202, dns: [0x0a000203, 0] });
  const { socks: at } = await backend.ready();
  const t0 = Date.now();
  assert.equal((await socks(at!.port, { name: 'quiet.example', port: 80 })).rep, REP.HOST_UNREACHABLE);
  assert.ok(Date.now() - t0 >= 190, 'after two tries of 100 ms');
  assert.equal(sent.length, 2, 'two DNS queries went out');
  const pending = socks(at!.port, { ipv4: '10.0.2.2', port: 80 });
  await until(() => backend.stats().stack!.tcp.active === 1);
  const idle = new Conn(at!.port); // a client that never says anything
  await until(() => backend.stats().localSockets === 2);
  backend.detach();
  assert.equal((await pending).rep, REP.NETWORK_UNREACHABLE);
  assert.equal((await idle.rest()).length, 0);
  assert.equal(backend.stats().up, false);
  // Attached again (IPCP renegotiated): serving again, on a fresh stack.
  backend.attach((p) => sent.push(p), { local: 0x0a000210, remote: 0x0a000202, dns: [0, 0] });
  const again = await backend.ready();
  assert.equal(backend.stats().stack!.local, '10.0.2.16');
  assert.equal((await socks(again.socks!.port, { name: 'x.example', port: 80 })).rep, REP.HOST_UNREACHABLE, 'no DNS server: names fail at once');
  backend.close();
});
