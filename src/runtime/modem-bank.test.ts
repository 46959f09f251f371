import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { ModemBank, DTE_OUTPUT_LIMIT, PACER_HIGH_WATER, type ModemBankOptions } from './modem-bank.js';
import { waitUntil } from './wait-until.js';
import { PhoneBook } from '../modem/phonebook.js';
import { parseModemArgs, UsageError } from '../cli/modem.js';

const HOST = '127.0.0.1';

/** A TCP client playing the computer on one line: sends text, waits for text. */
class Dte {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }

  static connect(port: number): Promise<Dte> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: HOST, port }, () => resolve(new Dte(s)));
      s.once('error', reject);
    });
  }

  send(text: string | Uint8Array): void {
    this.sock.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Wait until `what` has arrived; return everything up to and including it, and drop that. */
  async expect(what: string | RegExp, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = typeof what === 'string' ? (this.buf.includes(what) ? { index: this.buf.indexOf(what), 0: what } : null) : what.exec(this.buf);
      if (m) {
        const end = m.index + m[0].length;
        const got = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        return got;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`timed out waiting for ${JSON.stringify(String(what))}; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Send a command line and wait for its final result. */
  async at(line: string, result: string | RegExp = 'OK\r\n'): Promise<string> {
    this.send(`${line}\r`);
    return this.expect(result);
  }

  /** Whatever has arrived and not been consumed. */
  pending(): string {
    return this.buf;
  }

  close(): void {
    this.sock.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const banks: ModemBank[] = [];
after(async () => {
  for (const b of banks) await b.close();
});

async function startBank(opts: ModemBankOptions): Promise<{ bank: ModemBank; port: number }> {
  const bank = new ModemBank({ host: HOST, port: 0, pace: false, ringIntervalMs: 100, ...opts });
  banks.push(bank);
  const addr = await bank.listen();
  return { bank, port: addr.port };
}

/** Connect a DTE and make sure it got line `n` (connections are assigned in order). */
async function dteOnLine(port: number, n: number): Promise<Dte> {
  const d = await Dte.connect(port);
  await d.at('ATE0');
  const id = await d.at('ATI7');
  assert.match(id, new RegExp(`line ${n},`));
  return d;
}

const BOOK = `
# test phone book
5551001   line:1
555-1002  line:2
5550000   busy
5550001   no-answer   delay=50
5550002   no-carrier
5557000   handler:greeter
5557001   handler:nobody
`;

test('line to line: RING, ATA, bytes both ways, +++ and ATH, the other side sees NO CARRIER', async () => {
  const { port } = await startBank({ lines: 2, phoneBook: PhoneBook.parse(BOOK) });
  const a = await dteOnLine(port, 1);
  const b = await dteOnLine(port, 2);

  a.send('ATS12=10DT5551002\r'); // 0.2 s guard time to keep the test short
  await b.expect('\r\nRING\r\n');
  b.send('ATA\r');
  assert.equal(await a.expect(/CONNECT \d+\r\n/), '\r\nCONNECT 33600\r\n');
  assert.equal(await b.expect(/CONNECT \d+\r\n/), '\r\nCONNECT 33600\r\n');

  a.send('hello from A');
  await b.expect('hello from A');
  b.send('hi from B');
  await a.expect('hi from B');
  // Raw binary, including what would be telnet IAC, passes untouched in online mode.
  const frame = Uint8Array.from([0x7e, 0xff, 0x03, 0xc0, 0x21, 0xff, 0xfb, 0x01, 0x7e]);
  a.send(frame);
  assert.equal(await b.expect(String.fromCharCode(...frame)), String.fromCharCode(...frame));

  await sleep(300);
  a.send('+++');
  await a.expect('\r\nOK\r\n');
  await a.at('ATH');
  await b.expect('\r\nNO CARRIER\r\n');
  // Both lines are usable again.
  await a.at('AT');
  await b.at('AT');
  a.close();
  b.close();
});

test('auto-answer: S0=2 answers on the second RING', async () => {
  const { port } = await startBank({ lines: 2, phoneBook: PhoneBook.parse(BOOK) });
  const a = await dteOnLine(port, 1);
  const b = await dteOnLine(port, 2);
  await b.at('ATS0=2');
  a.send('ATDT5551002\r');
  const seen = await b.expect(/CONNECT \d+\r\n/);
  assert.equal(seen, '\r\nRING\r\n\r\nRING\r\n\r\nCONNECT 33600\r\n');
  await a.expect('CONNECT 33600');
  // The callee hangs up by dropping its TCP connection: the caller sees NO CARRIER.
  b.close();
  await a.expect('\r\nNO CARRIER\r\n');
  a.close();
});

test('lines without a phone book entry are reached by their line number; a line in a call is BUSY', async () => {
  const { port } = await startBank({ lines: 3 });
  const a = await dteOnLine(port, 1);
  const b = await dteOnLine(port, 2);
  const c = await dteOnLine(port, 3);
  await b.at('ATS0=1');
  a.send('ATDT2\r');
  await a.expect('CONNECT');
  await c.at('ATDT2', '\r\nBUSY\r\n');
  await c.at('ATDT3', '\r\nBUSY\r\n'); // itself
  await c.at('ATDT9', '\r\nNO CARRIER\r\n'); // nobody has that number
  a.close();
  b.close();
  c.close();
});

test('phone book outcomes: BUSY, NO ANSWER, NO CARRIER, unregistered handler', async () => {
  const { port } = await startBank({ lines: 1, phoneBook: PhoneBook.parse(BOOK) });
  const a = await dteOnLine(port, 1);
  await a.at('ATDT5550000', '\r\nBUSY\r\n');
  await a.at('ATDT 555 0001', '\r\nNO ANSWER\r\n');
  await a.at('ATDT5550002', '\r\nNO CARRIER\r\n');
  await a.at('ATDT5557001', '\r\nNO CARRIER\r\n');
  await a.at('ATX0DT5550000', '\r\nNO CARRIER\r\n'); // X0 knows no BUSY
  a.close();
});

test('dial to a TCP target (phone book and ATDT host:port); far close gives NO CARRIER', async () => {
  const echo = net.createServer((s) => {
    s.on('data', (d) => {
      if (d.toString().includes('quit')) s.end();
      else s.write(d);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => echo.listen(0, HOST, r));
  const echoPort = (echo.address() as net.AddressInfo).port;
  try {
    const book = PhoneBook.parse(`5551212 tcp:${HOST}:${echoPort} speed=14400\n`);
    const { port } = await startBank({ lines: 1, phoneBook: book });
    const a = await dteOnLine(port, 1);

    a.send('ATDT5551212\r');
    assert.equal(await a.expect(/CONNECT \d+\r\n/), '\r\nCONNECT 14400\r\n');
    a.send('ping');
    await a.expect('ping');
    a.send('quit');
    await a.expect('\r\nNO CARRIER\r\n');

    a.send(`ATDT ${HOST}:${echoPort}\r`);
    assert.equal(await a.expect(/CONNECT \d+\r\n/), '\r\nCONNECT 33600\r\n');
    a.send('pong');
    await a.expect('pong');
    await sleep(1100);
    a.send('+++');
    await a.expect('\r\nOK\r\n');
    await a.at('ATH0');

    // Nothing listening: the call fails.
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, HOST, r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await a.at(`ATDT${HOST}:${deadPort}`, '\r\nNO ANSWER\r\n');
    a.close();
  } finally {
    echo.close();
  }
});

test('named call handler gets a byte stream; its end hangs up', async () => {
  const { bank, port } = await startBank({ lines: 1, phoneBook: PhoneBook.parse(BOOK) });
  const seen: string[] = [];
  bank.registerHandler('greeter', (call, info) => {
    seen.push(`${info.number} from line ${info.line} at ${info.speed}`);
    call.write(`welcome ${info.number}\r\n`);
    call.on('data', (d: Buffer) => {
      if (d.toString().includes('bye')) call.end();
      else call.write(d.toString().toUpperCase());
    });
  });
  const a = await dteOnLine(port, 1);
  a.send('ATDT5557000\r');
  await a.expect('CONNECT 33600\r\n');
  await a.expect('welcome 5557000\r\n');
  a.send('shout');
  await a.expect('SHOUT');
  a.send('bye');
  await a.expect('\r\nNO CARRIER\r\n');
  assert.deepEqual(seen, ['5557000 from line 1 at 33600']);

  // The caller hanging up ends the handler's stream.
  let ended = false;
  bank.registerHandler('greeter', (call) => {
    call.on('end', () => {
      ended = true;
    });
    call.resume();
  });
  a.send('ATS12=5DT5557000\r');
  await a.expect('CONNECT');
  await sleep(200);
  a.send('+++');
  await a.expect('OK');
  await a.at('ATH');
  for (let i = 0; i < 50 && !ended; i++) await sleep(10);
  assert.ok(ended);
  a.close();
});

test('telnet clients get negotiation answers, IAC escaping and RFC 2217 DTR', async () => {
  const IAC = 255;
  const { port } = await startBank({ lines: 2 });
  const t = await Dte.connect(port);
  // DO ECHO, WILL SGA, WILL NAWS (refused), then a command.
  t.send(Uint8Array.from([IAC, 253, 1, IAC, 251, 3, IAC, 251, 31]));
  t.send('AT\r');
  const got = await t.expect('OK\r\n');
  const bytes = Buffer.from(got, 'latin1');
  assert.ok(bytes.includes(Buffer.from([IAC, 251, 1])), 'WILL ECHO');
  assert.ok(bytes.includes(Buffer.from([IAC, 254, 31])), "DONT NAWS");
  assert.ok(got.endsWith('AT\r\r\nOK\r\n'));

  // COM-PORT-OPTION: WILL from the client, then DTR off/on through SET-CONTROL.
  t.send(Uint8Array.from([IAC, 251, 44]));
  await t.expect(String.fromCharCode(IAC, 253, 44));
  const b = await dteOnLine(port, 2);
  await b.at('ATS0=1');
  await t.at('ATE0');
  t.send('ATDT2\r');
  const connect = await t.expect('CONNECT');
  await b.expect('CONNECT');
  // DCD went up: NOTIFY-MODEMSTATE with CD, DSR, CTS and delta-CD set.
  assert.ok(connect.includes(String.fromCharCode(IAC, 250, 44, 107, 0xb8, IAC, 240)), JSON.stringify(connect));
  // Data with 0xFF is doubled towards the telnet client and undoubled from it.
  b.send(Uint8Array.from([0x41, 0xff, 0x42]));
  await t.expect(String.fromCharCode(0x41, 0xff, 0xff, 0x42));
  t.send(Uint8Array.from([0x43, IAC, IAC, 0x44]));
  await b.expect(String.fromCharCode(0x43, 0xff, 0x44));
  // SET-CONTROL DTR OFF (9): the modem hangs up (&D2).
  t.send(Uint8Array.from([IAC, 250, 44, 5, 9, IAC, 240]));
  await t.expect(String.fromCharCode(IAC, 250, 44, 105, 9, IAC, 240));
  await b.expect('\r\nNO CARRIER\r\n');
  t.close();
  b.close();
});

test('line speed pacing holds data to the connect speed', async () => {
  const { port } = await startBank({ lines: 2, pace: true, speed: 9600 });
  const a = await dteOnLine(port, 1);
  const b = await dteOnLine(port, 2);
  await b.at('ATS0=1');
  a.send('ATDT2\r');
  assert.equal(await a.expect(/CONNECT \d+\r\n/), '\r\nCONNECT 9600\r\n');
  await b.expect('CONNECT');
  const payload = 'x'.repeat(479) + '!';
  const t0 = Date.now();
  a.send(payload);
  await b.expect('!');
  const ms = Date.now() - t0;
  // 480 bytes at 960 bytes/s is 500 ms.
  assert.ok(ms >= 400, `took only ${ms} ms`);
  assert.ok(ms < 2000, `took ${ms} ms`);
  a.close();
  b.close();
});

test('a caller giving up stops the ringing; extra clients are turned away', async () => {
  const { bank, port } = await startBank({ lines: 2 });
  const a = await dteOnLine(port, 1);
  const b = await dteOnLine(port, 2);
  await a.at('ATS7=1');
  a.send('ATDT2\r');
  await b.expect('RING');
  await a.expect('\r\nNO CARRIER\r\n', 3000);
  await sleep(50);
  assert.deepEqual(
    bank.status().map((s) => s.inCall),
    [false, false],
  );
  const c = await Dte.connect(port);
  await c.expect('NO CARRIER');
  for (let i = 0; i < 50 && !c.closed; i++) await sleep(10);
  assert.ok(c.closed);
  a.close();
  b.close();
});

test('the CLI parses its options', () => {
  const o = parseModemArgs(['--listen', '127.0.0.1:7000', '--lines=2', '--phonebook', 'pb.txt', '--speed', '14400', '--no-pace', '--telnet', 'off', '-v']);
  assert.equal(o.host, '127.0.0.1');
  assert.equal(o.port, 7000);
  assert.equal(o.lines, 2);
  assert.equal(o.phoneBookPath, 'pb.txt');
  assert.equal(o.speed, 14400);
  assert.equal(o.pace, false);
  assert.equal(o.telnet, 'off');
  assert.equal(o.verbose, true);
  assert.equal(parseModemArgs(['--listen', '6401']).port, 6401);
  assert.throws(() => parseModemArgs(['--bogus']), UsageError);
  assert.throws(() => parseModemArgs(['--lines', '0']), UsageError);
  assert.throws(() => parseModemArgs(['--telnet', 'maybe']), UsageError);
});

test('a modem-bank client flooding ATD<digits>; gets OK and ERROR and the line retains bounded state', async () => {
  const { bank, port } = await startBank({});
  const d = await dteOnLine(port, 1);
  const line = `ATD${'1234567890'.repeat(5)};\r`;
  // About 2 MB in 64 KB writes; each ERROR marks a number that would have passed 255 digits.
  const chunk = line.repeat(Math.floor(65536 / line.length));
  const writes = Math.ceil(2_000_000 / chunk.length);
  for (let i = 0; i < writes; i++) d.send(chunk);
  d.send('ATI7\r');
  const got = await d.expect(/line 1,[^\r]*\r\n\r\nOK\r\n/, 60_000);
  const lines = writes * Math.floor(65536 / line.length);
  assert.equal(got.split('ERROR').length - 1, Math.floor(lines / 6));
  const r = bank.retained()[0]!;
  assert.ok(r.modem, 'line 1 has a modem');
  assert.ok(r.modem.dialPrefix <= 255 && r.modem.commandLine <= 255 && r.modem.pendingOutput === 0, JSON.stringify(r));
  assert.equal(r.telnet, 0);
  d.close();
});

test('a modem bank with commandIdleMs drops a DTE that never sends a command', async () => {
  const { bank, port } = await startBank({ commandIdleMs: 1 });
  const d = await Dte.connect(port);
  // The bank's timer fires at the modem's idle deadline and closes the connection.
  await new Promise<void>((resolve) => (d.closed ? resolve() : d.sock.once('close', () => resolve())));
  assert.equal(d.closed, true);
  assert.equal(bank.status()[0]!.attached, false);
});

test('a call handler writing faster than the line is held back: the paced direction stays under its high-water mark', async () => {
  const { bank, port } = await startBank({ lines: 1, pace: true, speed: 2400, phoneBook: PhoneBook.parse(BOOK) });
  let writes = 0;
  let refused = false;
  let stream: import('node:stream').Duplex | undefined;
  bank.registerHandler('greeter', (call) => {
    stream = call;
    const kb = Buffer.alloc(1024, 0x41);
    // 1 MB offered at once to a 240 byte/s line: the stream must say "wait" (write() false).
    for (let i = 0; i < 1024 && !refused; i++) {
      writes++;
      refused = !call.write(kb);
    }
  });
  const a = await dteOnLine(port, 1);
  a.send('ATDT5557000\r');
  await a.expect('CONNECT 2400\r\n');
  await new Promise((r) => setImmediate(r));
  assert.ok(refused, 'the handler was told to wait');
  assert.ok(writes < 1024);
  const held = bank.retained()[0]!.call;
  assert.ok(held, 'the call is up');
  assert.ok(held.toCaller <= PACER_HIGH_WATER + 1024, JSON.stringify(held));
  assert.equal(held.dropped, 0);
  stream?.destroy();
  a.close();
});

test('ip232 line (tcpser protocol): an incoming call from another line shows RING with RI (FF 02) and caller ID; ATA brings DCD (FF 01); DTR drop (FF 00) hangs up', async () => {
  const bank = new ModemBank({
    lines: 2,
    pace: false,
    ringIntervalMs: 200,
    phoneBook: PhoneBook.parse(BOOK),
    listeners: [
      { host: HOST, port: 0, framing: 'raw' },
      { host: HOST, port: 0, framing: 'ip232' },
    ],
  });
  banks.push(bank);
  await bank.listen();
  const [raw, ip232] = bank.addresses;
  const a = await dteOnLine(raw!.port, 1);
  const b = await Dte.connect(ip232!.port);
  b.send(Uint8Array.of(0xff, 0x01)); // DTR high, as VICE reports it on connect
  await b.at('ATE0#CID=1');
  a.send('ATDT5551002\r');
  // RI on with the RING, caller ID after the first RING, RI off after the ring's 2 s.
  await b.expect('\xff\x02\r\nRING\r\n');
  assert.match(await b.expect('NAME = LINE 1\r\n'), /^\r\nDATE = \d{4}\r\nTIME = \d{4}\r\nNMBR = 5551001\r\nNAME = LINE 1\r\n$/);
  b.send('ATA\r');
  // RI goes off as the modem picks up, then DCD comes on with the carrier.
  await b.expect('\xff\x00');
  assert.equal(await b.expect(/CONNECT \d+\r\n/), '\xff\x01\r\nCONNECT 33600\r\n');
  await a.expect('CONNECT 33600\r\n');
  // A data byte FF crosses doubled on the ip232 side and single on the raw side.
  a.send(Uint8Array.of(0x41, 0xff, 0x42));
  await b.expect('A\xff\xffB');
  b.send(Uint8Array.of(0x43, 0xff, 0xff, 0x44));
  await a.expect('C\xffD');
  b.send(Uint8Array.of(0xff, 0x00)); // DTR drop: &D2 hangs up
  assert.equal(await b.expect('NO CARRIER\r\n'), '\xff\x00\r\nNO CARRIER\r\n');
  await a.expect('NO CARRIER\r\n');
  await b.at('AT');
  a.close();
  b.close();
});

test('86Box numeric dialling: 12+ digits not in the phone book reach IP address and port over TCP', async () => {
  const far = net.createServer((s) => s.end('far end here\r\n'));
  await new Promise<void>((r) => far.listen(0, HOST, r));
  const farPort = (far.address() as net.AddressInfo).port;
  const { port } = await startBank({ lines: 1 });
  const a = await dteOnLine(port, 1);
  a.send(`ATDT127000000001${farPort}\r`);
  await a.expect('CONNECT 33600\r\n');
  await a.expect('far end here\r\n');
  await a.expect('NO CARRIER\r\n');
  a.close();
  far.close();
});

test('WebSocket line: a browser that stops reading holds the far end back; the line buffers a bounded amount and loses nothing', { timeout: 120_000 }, async () => {
  const TOTAL = 32 * 1024 * 1024;
  const bank = new ModemBank({ lines: 1, pace: false, phoneBook: PhoneBook.parse('5557000 handler:flood\n'), listeners: [{ host: HOST, port: 0, websocket: true, framing: 'raw' }] });
  banks.push(bank);
  const { port } = await bank.listen();
  let written = 0;
  bank.registerHandler('flood', (call) => {
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const more = (): void => {
      while (written < TOTAL) {
        written += chunk.length;
        if (!call.write(chunk)) return void call.once('drain', more);
      }
    };
    more();
  });
  const ws = new WebSocket(`ws://${HOST}:${port}/`);
  await new Promise((r) => ws.once('open', r));
  const CONNECT = 'CONNECT 33600\r\n';
  let text = '';
  let online = false;
  let received = 0;
  ws.on('message', (d: Buffer) => {
    if (online) return void (received += d.length);
    text += d.toString('latin1');
    const at = text.indexOf(CONNECT);
    if (at < 0) return;
    online = true;
    received = text.length - at - CONNECT.length; // data in the same frame as the result
  });
  ws.send(Buffer.from('ATDT5557000\r'));
  await waitUntil(() => online, 30_000, 'CONNECT');
  // The page stops reading: no more frames are taken off its socket.
  // @ts-expect-error -- ws keeps its net.Socket in a private field; pausing it is what a stalled browser does.
  const raw: net.Socket = ws._socket;
  raw.pause();
  let maxOutput = 0;
  const sample = setInterval(() => (maxOutput = Math.max(maxOutput, bank.retained()[0]!.output)), 5);
  // Once the client's socket buffers are full the line's stream fills to its high-water mark.
  await waitUntil(() => bank.retained()[0]!.output >= 16 * 1024, 60_000, 'the line to buffer toward the stalled client');
  await sleep(200);
  assert.ok(written < TOTAL, `the handler was held back (${written} of ${TOTAL} written)`);
  raw.resume();
  await waitUntil(() => received >= TOTAL, 90_000, 'all the data');
  assert.equal(received, TOTAL);
  clearInterval(sample);
  assert.equal(bank.retained()[0]!.outputDropped, 0);
  assert.ok(maxOutput <= DTE_OUTPUT_LIMIT + 64 * 1024, `line output held ${maxOutput} bytes`);
  ws.close();
});
