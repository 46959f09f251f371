import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSerial } from './serial.js';
import { runDeviceScript } from '../pppd/connect.js';
import { waitUntil } from '../runtime/wait-until.js';

// No serial hardware here: socat's pseudo-terminal pairs stand in for a null-modem cable.
let dir: string;
const socats: ChildProcess[] = [];

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-serial-'));
});
after(() => {
  for (const s of socats) s.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cable(): Promise<{ a: string; b: string; socat: ChildProcess }> {
  const d = fs.mkdtempSync(path.join(dir, 'c-'));
  const a = path.join(d, 'a');
  const b = path.join(d, 'b');
  const socat = spawn('socat', [`PTY,link=${a},raw,echo=0`, `PTY,link=${b},raw,echo=0`], { stdio: 'ignore' });
  socats.push(socat);
  await waitUntil(() => fs.existsSync(a) && fs.existsSync(b), 60_000, "socat's ptys");
  return { a, b, socat };
}

function stty(p: string): string {
  return spawnSync('stty', ['-F', p, '-a'], { encoding: 'utf8' }).stdout;
}

/** The far end, raw, as a stream. */
function farEnd(p: string): { stream: tty.ReadStream; write(s: string | Buffer): void } {
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
  return { stream: new tty.ReadStream(fd), write: (s) => void fs.writeSync(fd, typeof s === 'string' ? Buffer.from(s, 'latin1') : s) };
}

test('opens a tty at a speed with crtscts, moves data both ways, closes', async () => {
  const { a, b } = await cable();
  const line = await openSerial(a, { speed: 57600, crtscts: true });
  assert.equal(line.name, a);
  assert.equal(line.speed, 57600);
  assert.equal(typeof line.fd, 'number');
  assert.equal(line.hasModemLines, false, 'a pseudo-terminal has no DCD/DTR');
  const attrs = stty(a);
  assert.match(attrs, /speed 57600 baud/);
  assert.match(attrs, /(^|\s)crtscts(\s|$)/);
  assert.match(attrs, /(^|\s)-icanon(\s|$)/);
  assert.match(attrs, /(^|\s)-echo(\s|$)/);

  const far = farEnd(b);
  const fromLine = new Promise<string>((resolve) => {
    let acc = '';
    far.stream.on('data', (d: Buffer) => { acc += d.toString('latin1'); if (acc.length >= 4) resolve(acc); });
  });
  line.stream.write(Buffer.from([0x7e, 0xff, 0x03, 0x7e]));
  assert.equal(await fromLine, '\x7e\xff\x03\x7e', '8-bit clean, no output processing');

  const toLine = new Promise<string>((resolve) => {
    let acc = '';
    line.stream.on('data', (d: Buffer) => { acc += d.toString('latin1'); if (acc.length >= 5) resolve(acc); });
  });
  far.write('\r\n\x11\x13\xc0');
  assert.equal(await toLine, '\r\n\x11\x13\xc0', 'no CR/NL mapping, XON/XOFF passed through without xonxoff');
  line.close();
  far.stream.destroy();
});

test('xonxoff sets IXON/IXOFF; local and the current speed when none is given', async () => {
  const { a } = await cable();
  spawnSync('stty', ['-F', a, '19200']);
  const line = await openSerial(a, { xonxoff: true, modem: false });
  assert.equal(line.speed, 19200);
  const attrs = stty(a);
  assert.match(attrs, /(^|\s)ixon(\s|$)/);
  assert.match(attrs, /(^|\s)ixoff(\s|$)/);
  assert.match(attrs, /(^|\s)-crtscts(\s|$)/);
  assert.match(attrs, /(^|\s)-hupcl(\s|$)/, 'local: no hangup on close');
  line.close();
  const m = await openSerial(a, { speed: 9600 });
  assert.match(stty(a), /(^|\s)hupcl(\s|$)/, 'modem: DTR drops on close');
  m.close();
});

test('modem on a pty: no carrier to wait for; hangup() is DTR low for a moment, a no-op here', async () => {
  const { a } = await cable();
  const t0 = Date.now();
  const line = await openSerial(a, { speed: 38400, modem: true });
  assert.ok(Date.now() - t0 < 2000);
  await line.waitForCarrier();
  const t1 = Date.now();
  await line.hangup();
  assert.ok(Date.now() - t1 >= 900, 'pppd holds DTR low for 1 s');
  line.close();
});

test('the far end going away ends the stream (reported as a hangup)', async () => {
  const { a, socat } = await cable();
  const line = await openSerial(a, { speed: 38400 });
  const ended = new Promise<string>((resolve) => {
    line.stream.on('end', () => resolve('end'));
    line.stream.on('error', (e) => resolve(`error ${e.message}`));
  });
  line.stream.resume();
  socat.kill();
  assert.equal(await ended, 'end');
  line.close();
});

test('a missing device fails with the errno text pppd prints', async () => {
  await assert.rejects(openSerial(path.join(dir, 'ttyNOPE'), { speed: 9600 }), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.message === 'No such file or directory');
  const notTty = path.join(dir, 'plain-file');
  fs.writeFileSync(notTty, '');
  await assert.rejects(openSerial(notTty, { speed: 9600 }), /^Error: Inappropriate ioctl for device$/);
});

test('a connect script gets the serial fd itself before PPP reads; PPP then reads the rest', async () => {
  const { a, b } = await cable();
  const line = await openSerial(a, { speed: 115200, waitForCarrier: false });
  const far = farEnd(b);
  far.stream.on('data', (d: Buffer) => {
    if (d.toString().includes('AT')) far.write('OK\r\nrest');
  });
  const status = await runDeviceScript("printf 'AT\\r'; IFS= read -r l; test -t 0", { stream: line.stream, fd: line.fd }, { log: () => undefined });
  assert.equal(status, 0);
  const rest = await new Promise<string>((resolve) => {
    let acc = '';
    line.stream.on('data', (d: Buffer) => { acc += d.toString(); if (acc.includes('rest')) resolve(acc); });
  });
  assert.equal(rest, 'rest');
  line.close();
  far.stream.destroy();
});

test('modem: waits for carrier before resolving, then a carrier drop is a hangup', async () => {
  const { a } = await cable();
  let dcd = false;
  let opened = false;
  const pending = openSerial(a, { speed: 38400, carrierPollMs: 10, carrierProbe: async () => dcd }).then((l) => {
    opened = true;
    return l;
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(opened, false, 'no carrier yet');
  dcd = true;
  const line = await pending;
  assert.equal(line.hasModemLines, true);
  const lost: string[] = [];
  line.onCarrierLost(() => lost.push('cb'));
  const ended = new Promise<void>((r) => line.stream.on('end', () => r()));
  line.stream.resume();
  // Our own hangup (DTR drop) is not a carrier loss.
  await openSerialHangupWithoutLoss(line, () => lost.length);
  dcd = false;
  await ended;
  assert.deepEqual(lost, ['cb']);
  line.close();
});

async function openSerialHangupWithoutLoss(line: { hangup(): Promise<void> }, count: () => number) {
  await line.hangup();
  assert.equal(count(), 0);
}

test('local ignores carrier; waitForCarrier: false leaves it to watchCarrier() after the connect script', async () => {
  const { a } = await cable();
  const local = await openSerial(a, { speed: 38400, modem: false, carrierPollMs: 10, carrierProbe: async () => false });
  local.watchCarrier();
  await local.waitForCarrier();
  local.close();
  let dcd = false;
  let probes = 0;
  const line = await openSerial(a, { speed: 38400, waitForCarrier: false, carrierPollMs: 10, carrierProbe: async () => (probes++, dcd) });
  const lost: number[] = [];
  line.onCarrierLost(() => lost.push(1));
  // Nothing may happen here: a window in which a poller (if one ran) would have fired.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(lost.length, 0, 'not watched before the connect script is done');
  dcd = true;
  line.watchCarrier();
  // The watcher must see the carrier up before it can see it drop: wait for two probes of it.
  const seen = probes;
  await waitUntil(() => probes >= seen + 2, 30_000, 'the carrier watcher to probe DCD up');
  dcd = false;
  await waitUntil(() => lost.length === 1, 30_000, 'the carrier loss');
  line.close();
});
