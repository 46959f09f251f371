import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ModemBank, sourceOf, type ModemBankOptions } from './modem-bank.js';
import { waitUntil } from './wait-until.js';

const HOST = '127.0.0.1';

/** A DTE client from a chosen local address (the whole of 127/8 is loopback on Linux). */
class Client {
  text = '';
  closed = false;
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    sock.on('close', () => (this.closed = true));
    sock.on('error', () => {});
  }

  static connect(port: number, from = HOST): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: HOST, port, localAddress: from }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  /** Send a command and wait for its OK: the DTE then certainly holds a line. */
  async ok(cmd = 'AT'): Promise<void> {
    const before = this.text.length;
    this.sock.write(`${cmd}\r`);
    await waitUntil(() => this.text.slice(before).includes('OK\r\n') || this.closed, 60_000, `OK to ${cmd}`);
    assert.ok(!this.closed, `closed instead of OK; got ${JSON.stringify(this.text)}`);
  }
}

const banks: ModemBank[] = [];
const clients: Client[] = [];
after(async () => {
  for (const c of clients) c.sock.destroy();
  for (const b of banks) await b.close();
});

async function startBank(opts: ModemBankOptions): Promise<{ bank: ModemBank; port: number }> {
  const bank = new ModemBank({ host: HOST, port: 0, pace: false, ...opts });
  banks.push(bank);
  return { bank, port: (await bank.listen()).port };
}

async function client(port: number, from?: string): Promise<Client> {
  const c = await Client.connect(port, from);
  clients.push(c);
  return c;
}

const attached = (bank: ModemBank): number => bank.status().filter((l) => l.attached).length;

test('the source of a peer is its address, whichever listener or family it came through', () => {
  assert.equal(sourceOf('127.0.0.1:40000'), '127.0.0.1');
  assert.equal(sourceOf('ws 127.0.0.1:40000'), '127.0.0.1');
  assert.equal(sourceOf('::ffff:10.0.0.1:5'), '10.0.0.1');
  assert.equal(sourceOf('::1:6400'), '::1');
  assert.equal(sourceOf('ws 2001:db8::1:443'), '2001:db8::1');
});

test('one client address may hold 8 lines by default: the 9th gets NO CARRIER while another address still gets a line', async () => {
  const { bank, port } = await startBank({ lines: 12 });
  const mine: Client[] = [];
  for (let i = 0; i < 8; i++) {
    const c = await client(port);
    await c.ok();
    mine.push(c);
  }
  const ninth = await client(port);
  await waitUntil(() => ninth.closed, 60_000, 'the 9th connection to be closed');
  assert.equal(ninth.text, '\r\nNO CARRIER\r\n');
  assert.equal(bank.counters.refusedPerSource, 1);
  assert.equal(attached(bank), 8);

  // Another client address is not held back by the first one's lines.
  const other = await client(port, '127.0.0.2');
  await other.ok('ATI7');
  assert.match(other.text, /line 9,/);
  assert.equal(attached(bank), 9);
  assert.ok(bank.status().some((l) => l.caller?.startsWith('127.0.0.2:')));

  // A line given back makes room for the first address again.
  mine[0]!.sock.destroy();
  await waitUntil(() => attached(bank) === 8, 60_000, 'the line to be free');
  const again = await client(port);
  await again.ok();
  assert.equal(bank.counters.refusedPerSource, 1);
  assert.equal(bank.counters.accepted, 10);
  assert.equal(bank.counters.refusedAllLines, 0);
});

test('maxLinesPerSource is configurable, and 0 turns the limit off', async () => {
  const { bank, port } = await startBank({ lines: 3, maxLinesPerSource: 1 });
  const first = await client(port);
  await first.ok();
  const second = await client(port);
  await waitUntil(() => second.closed, 60_000, 'the 2nd connection to be closed');
  assert.equal(bank.counters.refusedPerSource, 1);

  const open = await startBank({ lines: 3, maxLinesPerSource: 0 });
  for (let i = 0; i < 3; i++) await (await client(open.port)).ok();
  const full = await client(open.port);
  await waitUntil(() => full.closed, 60_000, 'the 4th connection to be closed');
  assert.equal(full.text, '\r\nNO CARRIER\r\n');
  assert.equal(open.bank.counters.refusedPerSource, 0);
  assert.equal(open.bank.counters.refusedAllLines, 1);
  assert.throws(() => new ModemBank({ maxLinesPerSource: -1 }), RangeError);
});

test('a DTE idle in command mode for commandIdleMs gets NO CARRIER and is dropped; the line serves the next client', async () => {
  // A short idle time on the bank's own deadline timer: the test waits for the event (close),
  // not for the time, so a loaded machine only makes it slower. (That typing restarts the
  // timer is shown on the modem's virtual clock in src/modem/bounds.test.ts.)
  const { bank, port } = await startBank({ lines: 1, commandIdleMs: 50 });
  const idle = await client(port);
  await waitUntil(() => idle.closed, 60_000, 'the idle DTE to be dropped');
  assert.ok(idle.text.endsWith('\r\nNO CARRIER\r\n'), JSON.stringify(idle.text));
  assert.equal(bank.counters.idleDropped, 1);
  assert.equal(attached(bank), 0);

  // The one line is free again at once: the next client gets it (and is dropped in turn).
  const next = await client(port);
  await waitUntil(() => next.closed, 60_000, 'the second idle DTE to be dropped');
  assert.ok(next.text.endsWith('\r\nNO CARRIER\r\n'), JSON.stringify(next.text));
  assert.deepEqual({ ...bank.counters }, { accepted: 2, refusedAllLines: 0, refusedPerSource: 0, idleDropped: 2 });
});
