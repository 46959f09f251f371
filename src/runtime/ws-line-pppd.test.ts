/**
 * The modem bank's WebSocket lines (ws-line.ts) carry a real client's whole dial-up: the
 * `dialtone pppd` CLI, through a TCP↔WebSocket bridge made of a `ws` client, runs chat to
 * dial (ATDT … CONNECT), then PPP to IP-up, then application traffic through the isp's NAT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket, { createWebSocketStream } from 'ws';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig, type IspConfig } from '../isp/config.js';
import { natBackendFactory } from '../isp/backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { waitUntil } from './wait-until.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

const listen = (s: net.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

async function freePort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

/**
 * A TCP port whose every connection becomes a `ws` client of `url`: bytes go both ways as
 * binary frames (createWebSocketStream sends Buffers as binary), so a program that can only
 * open TCP (dialtone pppd's `tcp:` line) reaches a WebSocket line as a browser emulator would.
 */
function tcpToWebSocket(url: string): net.Server {
  return net.createServer((sock) => {
    const ws = new WebSocket(url);
    const line = createWebSocketStream(ws);
    const close = () => {
      sock.destroy();
      line.destroy();
    };
    sock.on('error', close);
    line.on('error', close);
    sock.pipe(line).pipe(sock);
  });
}

test('a ws client bridged to the modem bank carries dialtone pppd: chat gets CONNECT, PPP reaches IP-up, a forwarded TCP exchange crosses the NAT, SIGTERM ends it with exit 5', { timeout: 120_000 }, async () => {
  const echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const echoPort = await listen(echo);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-ws-pppd-'));
  const config: IspConfig = { ...defaultIspConfig(), accounting: path.join(dir, 'acct.jsonl'), lcpEchoInterval: 0, listenModemWs: { host: '127.0.0.1', port: 0 }, phone: '555-1000' };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const bridge = tcpToWebSocket(`ws://127.0.0.1:${isp.addresses.modemWs!.port}/`);
  const bridgePort = await listen(bridge);
  const fwdPort = await freePort();
  const log = path.join(dir, 'log');
  const read = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  // dialtone's own chat(8), so the test does not depend on /usr/sbin/chat being installed.
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const chat = `${q(process.execPath)} ${q(bin)} chat -v '' ATDT5551000 CONNECT ''`;
  const child = spawn(process.execPath, [bin, 'pppd', `tcp:127.0.0.1:${bridgePort}`, 'connect', chat, 'user', 'demo', 'password', 'dialtone', 'noresolvconf',
    'local-forward', `127.0.0.1:${fwdPort}:10.0.2.2:${echoPort}`, 'nodetach', 'logfile', log], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: 'ignore' });
  const exit = new Promise<number | null>((r) => child.on('exit', r));
  try {
    await waitUntil(() => /local {2}IP address 10\.0\.2\.15[^]*forward \S+ →/.test(read()), 100_000, 'IP-up and the forward').catch((e: Error) => {
      throw new Error(`${e.message}\n${read()}`);
    });
    // chat -v logs to pppd's log: it sent the dial command and the bank answered CONNECT.
    assert.match(read(), /send \(ATDT5551000\^M\)[^]*CONNECT\n -- got it[^]*Serial connection established/);
    // The session is the modem bank's (a WebSocket line), not a direct or PPP-port one.
    const acct = () => (fs.existsSync(config.accounting!) ? fs.readFileSync(config.accounting!, 'utf8') : '');
    await waitUntil(() => acct().includes('"start"'), 30_000, 'the start record');
    assert.match(acct(), /"event":"start".*"origin":"modem line \d+".*"user":"demo"/);
    const message = 'hello from dialtone pppd over a WebSocket modem line';
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect(fwdPort, '127.0.0.1', () => c.write(message));
      let text = '';
      c.on('data', (d) => {
        text += d.toString();
        if (text.length >= message.length) {
          c.end();
          resolve(text);
        }
      });
      c.on('error', reject);
    });
    assert.equal(got, message);
    assert.equal((isp.status() as { sessions: unknown[] }).sessions.length, 1);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exit, 5, read());
    bridge.close();
    await isp.stop();
    echo.close();
  }
});
