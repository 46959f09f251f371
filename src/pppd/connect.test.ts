import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tty from 'node:tty';
import { spawn, type ChildProcess } from 'node:child_process';
import { runDeviceScript, openPty } from './connect.js';

const CHAT = '/usr/sbin/chat';
const haveChat = fs.existsSync(CHAT);
let dir: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-connect-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const logs: string[] = [];
const log = (level: string, msg: string) => logs.push(`${level}: ${msg}`);

/** A Hayes modem on the far end of a byte stream: answers ATZ and ATDT, then sends `after`. */
function playModem(sock: { write(b: Buffer | string): unknown; on(ev: 'data', f: (b: Buffer) => void): unknown }, dial: string, after = '') {
  const seen: string[] = [];
  let acc = '';
  sock.on('data', (b: Buffer) => {
    acc += b.toString('latin1');
    let i: number;
    while ((i = acc.indexOf('\r')) >= 0) {
      const cmd = acc.slice(0, i);
      acc = acc.slice(i + 1);
      seen.push(cmd);
      if (cmd === 'ATZ') sock.write('ATZ\r\r\nOK\r\n');
      else if (cmd.startsWith('ATDT')) sock.write(`${cmd}\r\r\n${dial}\r\n${after}`);
    }
  });
  return seen;
}

async function tcpPair(): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((r) => srv.once('connection', r));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const server = await accepted;
  srv.close();
  return { client, server, close: () => { client.destroy(); server.destroy(); } };
}

/** Resolves once `pred` holds: checked now and as each chunk arrives on `stream` (fails after 20 s). */
function whenData(stream: net.Socket, pred: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => {
      stream.off('data', check);
      reject(new Error(`timed out waiting for ${what}`));
    }, 20_000);
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      stream.off('data', check);
      resolve();
    };
    stream.on('data', check);
  });
}

/** Resolves once `pred` holds, checked at every turn of the event loop (fails after 20 s). */
async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function chatScript(name: string, body: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, body);
  return f;
}

test('real chat dials through a TCP line: status 0, the modem saw the commands, PPP gets what chat left', { skip: !haveChat && 'no /usr/sbin/chat' }, async () => {
  const { client, server, close } = await tcpPair();
  const seen = playModem(server, 'CONNECT 33600', '~PPP-FRAME~');
  const script = chatScript('dial.chat', "ABORT BUSY\nABORT 'NO CARRIER'\n'' ATZ\nOK ATDT5551234\nCONNECT ''\n");
  // The PPP reader is attached before the script runs: it must see nothing during it.
  const ppp: Buffer[] = [];
  client.on('data', (b: Buffer) => ppp.push(b));
  const errors = path.join(dir, 'connect-errors');
  const status = await runDeviceScript(`${CHAT} -v -s -f ${script}`, { stream: client }, { errorsFile: errors, log });
  assert.equal(status, 0);
  assert.deepEqual(seen, ['ATZ', 'ATDT5551234', '']);
  // chat stopped reading right after "CONNECT": the rest is PPP's, in order.
  await whenData(client, () => Buffer.concat(ppp).includes('~PPP-FRAME~'), 'the frame after CONNECT');
  assert.equal(Buffer.concat(ppp).toString('latin1'), ' 33600\r\n~PPP-FRAME~');
  // ...and the line carries on for PPP both ways.
  const more = new Promise<Buffer>((r) => server.once('data', r));
  client.write('hello');
  assert.equal((await more).toString(), 'hello');
  server.write('world');
  await whenData(client, () => Buffer.concat(ppp).includes('world'), 'world');
  assert.match(Buffer.concat(ppp).toString('latin1'), /~PPP-FRAME~world$/);
  // chat -s logs to stderr, which is appended to connect-errors.
  const text = fs.readFileSync(errors, 'utf8');
  assert.match(text, /send \(ATZ\^M\)/);
  assert.match(text, /expect \(CONNECT\)/);
  assert.match(text, /-- got it/);
  assert.ok(logs.some((l) => /^debug: Script .*chat.* finished \(pid \d+\), status = 0x0$/.test(l)), logs.join('\n'));
  close();
});

test('a BUSY modem: chat ABORT BUSY exits 4; connect-errors is appended to', { skip: !haveChat && 'no /usr/sbin/chat' }, async () => {
  const { client, server, close } = await tcpPair();
  playModem(server, 'BUSY');
  const script = chatScript('busy.chat', "ABORT BUSY\n'' ATZ\nOK ATDT5551234\nCONNECT ''\n");
  const errors = path.join(dir, 'connect-errors-busy');
  fs.writeFileSync(errors, 'earlier\n');
  const status = await runDeviceScript(`${CHAT} -v -s -f ${script}`, { stream: client }, { errorsFile: errors, log });
  assert.equal(status, 4);
  const text = fs.readFileSync(errors, 'utf8');
  assert.ok(text.startsWith('earlier\n'));
  assert.match(text, /abort on \(BUSY\)/);
  assert.match(text, /Failed \(BUSY\)/);
  assert.equal((fs.statSync(errors).mode & 0o777).toString(8), '644');
  close();
});

test('without a tty chat would refuse: the script sees a terminal on stdin and stdout, and pppd\'s environment', async () => {
  const { client, server, close } = await tcpPair();
  const out: Buffer[] = [];
  server.on('data', (b: Buffer) => out.push(b));
  const status = await runDeviceScript('test -t 0 && test -t 1 && printf "tty:%s" "$DIALTONE_X"', { stream: client }, { env: { DIALTONE_X: 'y', PATH: '/usr/bin:/bin' }, log });
  assert.equal(status, 0);
  await whenData(server, () => Buffer.concat(out).length >= 'tty:y'.length, "the script's output");
  assert.equal(Buffer.concat(out).toString(), 'tty:y');
  close();
});

test('exit status, a killed script (timeout) and a stream nobody read yet', async () => {
  const { client, server, close } = await tcpPair();
  assert.equal(await runDeviceScript('exit 3', { stream: client }, { log }), 3);
  // Killed at the timeout (null: ended by a signal), not after its ten seconds (0).
  assert.equal(await runDeviceScript('sleep 10', { stream: client }, { log, timeoutMs: 200 }), null);
  // Data that arrived while no script ran and no reader was attached is still there for PPP.
  server.write('late');
  await until(() => client.readableLength >= 4, 'the data to arrive with no reader');
  const got = await new Promise<Buffer>((r) => client.once('data', r));
  assert.equal(got.toString(), 'late');
  close();
});

test('the line hanging up during the script ends it as a modem hangup would', async () => {
  const { client, server, close } = await tcpPair();
  // The far end hangs up once the script runs (it says so on the line).
  server.once('data', () => server.destroy());
  // `cat` stops when its terminal hangs up (a read error on a pty whose master is gone).
  const status = await runDeviceScript('echo running; cat >/dev/null', { stream: client }, { log, timeoutMs: 5000, errorsFile: path.join(dir, 'connect-errors-hup') });
  assert.notEqual(status, null, 'ended by the hangup, not by the timeout');
  close();
});

test('openPty gives a raw terminal (no echo, no CR/NL mapping)', () => {
  const { master, slavePath } = openPty();
  const slave = fs.openSync(slavePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  fs.writeSync(master, 'a\rb\n');
  const buf = Buffer.alloc(16);
  let n = 0;
  for (let i = 0; i < 100 && n < 4; i++) {
    try { n += fs.readSync(slave, buf, n, 16 - n, null); } catch { /* EAGAIN */ }
    if (n < 4) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  assert.equal(buf.subarray(0, n).toString(), 'a\rb\n');
  fs.closeSync(slave);
  fs.closeSync(master);
});

// A serial-like terminal line: socat's pty pair. The script gets the fd itself.
let socat: ChildProcess | undefined;
async function ptyPair(): Promise<{ a: string; b: string }> {
  const d = fs.mkdtempSync(path.join(dir, 'pty-'));
  const a = path.join(d, 'a');
  const b = path.join(d, 'b');
  socat = spawn('socat', [`PTY,link=${a},raw,echo=0`, `PTY,link=${b},raw,echo=0`], { stdio: 'ignore' });
  await until(() => fs.existsSync(a) && fs.existsSync(b), 'socat\'s pseudo-terminals');
  return { a, b };
}

test('a terminal fd nobody reads yet goes to the script directly; PPP reads the rest from the tty', { skip: !haveChat && 'no /usr/sbin/chat' }, async () => {
  const { a, b } = await ptyPair();
  try {
    const O = fs.constants;
    const modemFd = fs.openSync(b, O.O_RDWR | O.O_NOCTTY | O.O_NONBLOCK);
    const modem = new tty.ReadStream(modemFd);
    const modemOut = (x: string | Buffer) => fs.writeSync(modemFd, Buffer.from(x));
    const seen = playModem({ write: modemOut, on: (ev, f) => modem.on(ev, f) }, 'CONNECT 115200', 'after');
    const fd = fs.openSync(a, O.O_RDWR | O.O_NOCTTY | O.O_NONBLOCK);
    const stream = new tty.ReadStream(fd);
    const script = chatScript('direct.chat', "'' ATZ\nOK ATDT42\nCONNECT ''\n");
    const status = await runDeviceScript(`${CHAT} -f ${script}`, { stream, fd }, { log });
    assert.equal(status, 0);
    assert.deepEqual(seen.slice(0, 2), ['ATZ', 'ATDT42']);
    const rest = await new Promise<string>((resolve) => {
      let acc = '';
      stream.on('data', (d: Buffer) => { acc += d.toString(); if (acc.includes('after')) resolve(acc); });
    });
    assert.equal(rest, ' 115200\r\nafter');
    stream.destroy();
    modem.destroy();
  } finally {
    socat?.kill();
  }
});
