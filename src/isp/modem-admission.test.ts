import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { IspServer } from './server.js';
import { defaultIspConfig, parseIspConfig } from './config.js';
import { natBackendFactory } from './backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { waitUntil } from '../runtime/wait-until.js';

/** A modem-bank client from `from` that records what it gets and whether it was closed. */
function dte(port: number, from: string): Promise<{ sock: net.Socket; text: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let closed = false;
    const sock = net.connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve({ sock, text: () => text, closed: () => closed }));
    sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
    sock.on('close', () => (closed = true));
    sock.once('error', reject);
  });
}

async function withIsp(conf: string, body: (isp: IspServer, port: number) => Promise<void>): Promise<void> {
  const config = { ...parseIspConfig(conf, 'isp.conf'), listenPpp: undefined, listenModem: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  try {
    await body(isp, isp.addresses.modem!.port);
  } finally {
    await isp.stop();
  }
}

test('isp.conf modem-lines-per-source reaches the modem bank: the 2nd line from one address gets NO CARRIER, counted in status', { timeout: 60_000 }, async () => {
  await withIsp('modem-lines 3\nmodem-lines-per-source 1\nmodem-idle-timeout 0\n', async (isp, port) => {
    const first = await dte(port, '127.0.0.1');
    await waitUntil(() => isp.status().modemBank?.accepted === 1, 30_000, 'the first DTE to hold a line');
    const second = await dte(port, '127.0.0.1');
    await waitUntil(second.closed, 30_000, 'the 2nd connection from one address to be refused');
    assert.equal(second.text(), '\r\nNO CARRIER\r\n');
    // Another address still gets a line.
    const other = await dte(port, '127.0.0.3');
    await waitUntil(() => isp.status().modemBank?.accepted === 2, 30_000, 'the other address to hold a line');
    assert.deepEqual(isp.status().modemBank, { accepted: 2, refusedAllLines: 0, refusedPerSource: 1, idleDropped: 0 });
    assert.equal(first.closed() || other.closed(), false);
    first.sock.destroy();
    other.sock.destroy();
  });
});

test('isp.conf modem-idle-timeout reaches the modem bank: a DTE silent in command mode gets NO CARRIER and is dropped', { timeout: 60_000 }, async () => {
  await withIsp('modem-idle-timeout 1\n', async (isp, port) => {
    const idle = await dte(port, '127.0.0.1');
    // Waits for the event (the close); 1 s is only how soon it can come.
    await waitUntil(idle.closed, 30_000, 'the idle DTE to be dropped');
    assert.ok(idle.text().endsWith('\r\nNO CARRIER\r\n'), JSON.stringify(idle.text()));
    assert.equal(isp.status().modemBank?.idleDropped, 1);
  });
});

test('the isp defaults: 8 lines per client address, 300 s command-mode idle timeout', () => {
  const c = defaultIspConfig();
  assert.equal(c.modemLinesPerSource, 8);
  assert.equal(c.modemIdleTimeout, 300);
});
