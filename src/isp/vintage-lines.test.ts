/**
 * dialtone isp's lines for vintage clients and emulators: the direct-connect answer port
 * (DOSBox's and 86Box's softmodems dial themselves, then open TCP), tcpser's ip232 on the
 * modem bank (DTR, DCD, RI), and WebSocket lines for browser emulators (v86).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { IspServer } from './server.js';
import { defaultIspConfig, parseIspConfig, IspConfigError, type IspConfig } from './config.js';
import { natBackendFactory } from './backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { ClientBackend } from '../runtime/client-backend.js';
import { waitUntil } from '../runtime/wait-until.js';

const LOOP = { host: '127.0.0.1', port: 0 };

async function startIsp(over: Partial<IspConfig>, withNat = false) {
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-vintage-')), 'acct.jsonl');
  const config: IspConfig = { ...defaultIspConfig(), accounting, lcpEchoInterval: 0, ...over };
  const table = staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]);
  // A text login is checked like PAP (pppd check_passwd); the static table compares secrets.
  const verifyPap = (user: string, password: string, srv: string) => {
    const m = table.lookup('pap', user, srv);
    return m && m.secret === password ? m : undefined;
  };
  const server = new IspServer({
    config,
    secrets: { ...table, verifyPap },
    ...(withNat ? { backend: natBackendFactory(config) } : {}),
    log: () => {},
  });
  await server.start();
  return { server, accounting };
}

/** Reads text from a byte stream and waits for what the test expects. */
class Reader {
  text = '';
  private wake: (() => void) | undefined;
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (d: Buffer) => this.push(d.toString('latin1')));
  }
  push(s: string): void {
    this.text += s;
    this.wake?.();
  }
  async expect(what: string, ms = 30_000): Promise<void> {
    await waitUntil(() => this.text.includes(what), ms, JSON.stringify(what)).catch((e: Error) => {
      throw new Error(`${e.message}; have ${JSON.stringify(this.text)}`);
    });
    this.text = this.text.slice(this.text.indexOf(what) + what.length);
  }
}

/**
 * A Duplex for a PppLink on top of a line the test keeps: the link's end or destroy does not
 * close the line (so the test can type AT afterwards), and bytes reach the link only while
 * it is attached.
 */
function borrow(line: Duplex, encode: (b: Buffer) => Buffer = (b) => b): { stream: Duplex; feed(b: Buffer): void } {
  let attached = true;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      if (attached) line.write(encode(chunk));
      cb();
    },
    final(cb) {
      attached = false;
      cb();
    },
    destroy(err, cb) {
      attached = false;
      cb(err);
    },
  });
  return { stream, feed: (b) => attached && stream.push(b) };
}

test('config: listen-direct, listen-direct-ws, listen-modem-ip232 and listen-modem-ws parse; two on one port are refused', () => {
  const c = parseIspConfig('listen-direct 127.0.0.1:2390\nlisten-direct-ws 2391\nlisten-modem-ip232 0.0.0.0:25232\nlisten-modem-ws 6401\n', 'isp.conf');
  assert.deepEqual(c.listenDirect, { host: '127.0.0.1', port: 2390 });
  assert.deepEqual(c.listenDirectWs, { host: '127.0.0.1', port: 2391 });
  assert.deepEqual(c.listenModemIp232, { host: '0.0.0.0', port: 25232 });
  assert.deepEqual(c.listenModemWs, { host: '127.0.0.1', port: 6401 });
  assert.throws(() => parseIspConfig('listen-modem 6400\nlisten-direct 6400\n', 'isp.conf'), new IspConfigError('isp.conf:2: listen-direct: 127.0.0.1:6400 is already used by listen-modem'));
});

test('direct port: a caller that behaves like DOSBox\'s softmodem (raw TCP, already dialled, PPP at once) reaches IP-up through AutoPPP', { timeout: 60_000 }, async () => {
  const { server, accounting } = await startIsp({ listenDirect: LOOP });
  // DOSBox: ATDT127.0.0.1:PORT in the guest, then the softmodem opens TCP and says CONNECT to
  // the guest by itself; what arrives here is the guest's PPP.
  const sock = net.connect(server.addresses.direct!.port, '127.0.0.1');
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone' });
  const up = await new Promise<{ local: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  link.close();
  await link.done;
  await waitUntil(() => fs.readFileSync(accounting, 'utf8').includes('"stop"'), 30_000, 'the stop record');
  assert.match(fs.readFileSync(accounting, 'utf8'), /"event":"start".*"origin":"direct 127\.0\.0\.1:\d+"/);
  await server.stop();
});

test('direct port: a typist (terminal program through the softmodem) gets the login prompt at once, logs in and starts PPP', { timeout: 60_000 }, async () => {
  const { server } = await startIsp({ listenDirect: LOOP });
  const sock = net.connect(server.addresses.direct!.port, '127.0.0.1');
  const r = new Reader(sock);
  await r.expect('login: ');
  sock.write('demo\r');
  await r.expect('Password: ');
  sock.write('dialtone\r');
  await r.expect('$ ');
  sock.write('ppp\r');
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone' });
  const up = await new Promise<{ local: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  link.close();
  await link.done;
  await server.stop();
});

test('WebSocket modem line: a ws client dials, gets CONNECT, runs PPP to IP-up and a TCP exchange through the NAT; after PPP ends the modem answers AT at once', { timeout: 90_000 }, async () => {
  const echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as net.AddressInfo).port;
  const { server, accounting } = await startIsp({ listenModemWs: LOOP, phone: '555-1000' }, true);
  const ws = new WebSocket(`ws://127.0.0.1:${server.addresses.modemWs!.port}/`);
  const line = createWebSocketStream(ws);
  const frames: boolean[] = [];
  ws.on('message', (_d, isBinary) => frames.push(isBinary));
  const r = new Reader(line);
  let borrowed: ReturnType<typeof borrow> | undefined;
  line.on('data', (d: Buffer) => borrowed?.feed(d));
  line.write('ATZ\r');
  await r.expect('OK\r\n');
  line.write('ATDT5551000\r');
  await r.expect('CONNECT 33600\r\n');
  assert.ok(frames.length > 0 && frames.every((b) => b), 'the bank sends binary frames');

  borrowed = borrow(line);
  const backend = new ClientBackend({ socks: false, forwards: [`127.0.0.1:0:10.0.2.2:${echoPort}`] });
  const link = new PppLink(borrowed.stream, { user: 'demo', password: 'dialtone', backend });
  const up = await new Promise<{ local: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  const { forwards } = await backend.ready();
  const got = await new Promise<string>((resolve, reject) => {
    const c = net.connect(forwards[0]!.port, '127.0.0.1', () => c.write('hello over a WebSocket modem'));
    let text = '';
    c.on('data', (d) => {
      text += d.toString();
      if (text.length >= 28) {
        c.end();
        resolve(text);
      }
    });
    c.on('error', reject);
  });
  assert.equal(got, 'hello over a WebSocket modem');

  // The client ends PPP; the server's session ends and it hangs up: NO CARRIER, then AT works.
  r.text = '';
  link.close();
  await link.done;
  await r.expect('NO CARRIER\r\n');
  line.write('AT\r');
  await r.expect('OK\r\n');
  await waitUntil(() => fs.readFileSync(accounting, 'utf8').includes('"stop"'), 30_000, 'the stop record');
  ws.close();
  await server.stop();
  echo.close();
});

/** tcpser's ip232 seen from the client (the emulator): data FF doubled, FF s = DCD 1 | RI 2. */
class Ip232Client {
  readonly states: number[] = [];
  readonly text = new Reader(new Duplex({ read() {}, write(_c, _e, cb) { cb(); } }));
  private esc = false;
  onData: ((b: Buffer) => void) | undefined;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      const data: number[] = [];
      for (const b of d) {
        if (this.esc) {
          this.esc = false;
          if (b === 0xff) data.push(b);
          else this.states.push(b);
        } else if (b === 0xff) this.esc = true;
        else data.push(b);
      }
      const buf = Buffer.from(data);
      this.text.push(buf.toString('latin1'));
      this.onData?.(buf);
    });
  }
  dtr(on: boolean): void {
    this.sock.write(Buffer.of(0xff, on ? 1 : 0));
  }
  static encode(b: Buffer): Buffer {
    const out: number[] = [];
    for (const x of b) out.push(...(x === 0xff ? [0xff, 0xff] : [x]));
    return Buffer.from(out);
  }
  get dcd(): boolean {
    return ((this.states.at(-1) ?? 0) & 1) === 1;
  }
}

test('ip232 modem line: DCD is reported with the call, and dropping DTR (&D2) hangs up and ends the PPP session with its accounting Stop', { timeout: 60_000 }, async () => {
  const { server, accounting } = await startIsp({ listenModemIp232: LOOP, phone: '555-1000' });
  const sock = net.connect(server.addresses.modemIp232!.port, '127.0.0.1');
  const c = new Ip232Client(sock);
  await new Promise((r) => sock.once('connect', r));
  c.dtr(true);
  sock.write('ATE0&C1&D2DT5551000\r');
  await c.text.expect('CONNECT 33600\r\n');
  await waitUntil(() => c.dcd, 10_000, 'DCD on');
  const b = borrow(sock, Ip232Client.encode);
  c.onData = (d) => b.feed(d);
  const link = new PppLink(b.stream, { user: 'demo', password: 'dialtone' });
  await new Promise((resolve) => link.on('ip-up', resolve));
  await waitUntil(() => fs.readFileSync(accounting, 'utf8').includes('"start"'), 30_000, 'the start record');

  c.dtr(false); // the emulated computer drops DTR: &D2 hangs up
  await c.text.expect('NO CARRIER\r\n');
  await waitUntil(() => !c.dcd, 10_000, 'DCD off');
  await waitUntil(() => fs.readFileSync(accounting, 'utf8').includes('"stop"'), 30_000, 'the stop record');
  assert.match(fs.readFileSync(accounting, 'utf8'), /"event":"stop".*"user":"demo"/);
  assert.deepEqual(c.states, [1, 0]);
  link.close();
  // The line is still the client's and answers at once.
  c.onData = undefined;
  sock.write('AT\r');
  await c.text.expect('OK\r\n');
  sock.destroy();
  await server.stop();
});

test('direct port over WebSocket: a browser client gets the login prompt at once, and PPP through AutoPPP on a second connection', { timeout: 60_000 }, async () => {
  const { server } = await startIsp({ listenDirectWs: LOOP });
  const url = `ws://127.0.0.1:${server.addresses.directWs!.port}/`;
  const typist = createWebSocketStream(new WebSocket(url));
  const r = new Reader(typist);
  await r.expect('login: ');
  typist.destroy();
  const line = createWebSocketStream(new WebSocket(url));
  const link = new PppLink(line, { user: 'demo', password: 'dialtone' });
  const up = await new Promise<{ local: string }>((resolve) => link.on('ip-up', resolve));
  assert.equal(up.local, '10.0.2.15');
  link.close();
  await link.done;
  // A plain HTTP request is told what the port is for.
  const res = await fetch(url.replace('ws:', 'http:'));
  assert.equal(res.status, 426);
  await server.stop();
});
