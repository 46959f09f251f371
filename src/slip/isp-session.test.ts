// SLIP sessions of `dialtone isp` without UML: an in-process SLIP caller on the listen-slip
// port reads its address from the banner, pings the gateway and fetches a file from a host
// HTTP server through the session's NAT (the caller side is a SlipLink with the client
// stack's local port forward); accounting, status, max-sessions and the pool as for PPP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig, type IspConfig } from '../isp/config.js';
import { natBackendFactory } from '../isp/backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { ClientBackend } from '../runtime/client-backend.js';
import { waitUntil } from '../runtime/wait-until.js';
import { icmpEchoRequest, parseIp4 } from '../wire/ipv4.js';
import { parseIpv4, parseIcmp, ICMP_ECHO_REPLY } from '../wire/packet.js';
import { SlipDecoder, slipEncode } from '../wire/slip.js';
import { type SlipMode } from './link.js';
import { newSlipLink } from './codec.js';
import { runSlip } from './run.js';
import { runChat } from '../runtime/chat-run.js';

async function startIsp(over: Partial<IspConfig> = {}) {
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-slip-')), 'acct.jsonl');
  const logs: string[] = [];
  const config: IspConfig = { ...defaultIspConfig(), listenSlip: { host: '127.0.0.1', port: 0, mode: 'slip' }, status: { host: '127.0.0.1', port: 0 }, accounting, ...over };
  const server = new IspServer({ config, secrets: staticSecrets([]), backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await server.start();
  return { server, accounting, logs };
}

/** Connects and reads the banner up to its last line; the socket is paused after it. */
async function callSlip(port: number): Promise<{ sock: net.Socket; banner: string }> {
  const sock = net.connect(port, '127.0.0.1');
  let text = '';
  const banner = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      text += b.toString('latin1');
      const end = text.search(/Header compression is [^\r]*\r\n/);
      if (end < 0) return;
      const stop = text.indexOf('\r\n', end) + 2;
      sock.off('data', onData);
      sock.pause();
      if (stop < text.length) sock.unshift(Buffer.from(text.slice(stop), 'latin1'));
      resolve(text.slice(0, stop));
    };
    sock.on('data', onData);
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
  sock.removeAllListeners('close');
  return { sock, banner };
}

async function pingOnce(sock: net.Socket, me: number, gw: number, seq: number): Promise<void> {
  const dec = new SlipDecoder();
  await new Promise<void>((resolve) => {
    const onData = (b: Buffer) => {
      for (const f of dec.push(b)) {
        const ip = parseIpv4(f);
        if (typeof ip === 'string' || ip.src !== gw) continue;
        const icmp = parseIcmp(ip);
        if (typeof icmp !== 'string' && icmp.type === ICMP_ECHO_REPLY && (icmp.rest & 0xffff) === seq) {
          sock.off('data', onData);
          sock.pause();
          resolve();
        }
      }
    };
    sock.on('data', onData);
    sock.resume();
    sock.write(slipEncode(icmpEchoRequest(me, gw, 0x5151, seq, Buffer.from('slip ping'))));
  });
}

function sha(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

for (const mode of ['slip', 'cslip'] as const satisfies readonly SlipMode[]) {
  test(`a ${mode.toUpperCase()} caller on listen-slip gets the banner, pings the gateway, fetches 256 KB intact; accounting and status`, { timeout: 120_000 }, async (t) => {
    if (mode === 'cslip') {
      try {
        newSlipLink('cslip', 1006);
      } catch {
        return t.skip('no VJ codec yet');
      }
    }
    const body = crypto.randomBytes(256 * 1024);
    const web = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const webPort = (web.address() as net.AddressInfo).port;
    const { server, accounting, logs } = await startIsp({ listenSlip: { host: '127.0.0.1', port: 0, mode } });
    try {
      const { sock, banner } = await callSlip(server.addresses.slip!.port);
      assert.match(banner, new RegExp(`^Entering ${mode.toUpperCase()} mode\\.\\r\\n`));
      const m = /Your IP address is (\d+\.\d+\.\d+\.\d+), MTU is (\d+) bytes\r\nServer address is (\d+\.\d+\.\d+\.\d+)\r\n/.exec(banner);
      assert.ok(m, banner);
      const [, me, mtu, gw] = m;
      assert.equal(me, '10.0.2.15');
      assert.equal(mtu, '1006');
      assert.equal(gw, '10.0.2.2');

      await pingOnce(sock, parseIp4(me!)!, parseIp4(gw!)!, 1);

      // The caller's TCP: the client stack behind a SlipLink of the same mode, reached by a
      // local forward to the gateway's webPort (which the NAT maps to the host's loopback).
      const client = new ClientBackend({ socks: false, forwards: [`0:${gw}:${webPort}`], local: me!, mtu: 1006 });
      const link = newSlipLink(mode, 1006);
      const run = runSlip(sock, link, client, { local: parseIp4(me!)!, remote: parseIp4(gw!)!, dns: 0 });
      sock.resume();
      const { forwards } = await client.ready();
      const got = await new Promise<Buffer>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: forwards[0]!.port, path: '/file' }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve(Buffer.concat(parts)));
        }).on('error', reject);
      });
      assert.equal(sha(got), sha(body));
      if (mode === 'cslip') assert.ok(link.counters.vjCompressedOut > 0 && link.counters.vjCompressedIn > 0, JSON.stringify(link.counters));

      const status = await new Promise<{ sessions: { protocol?: string; address?: string; counters: { packetsIn: number } }[] }>((resolve) => {
        http.get({ host: '127.0.0.1', port: server.addresses.status!.port, path: '/status' }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve(JSON.parse(s)));
        });
      });
      assert.equal(status.sessions.length, 1);
      assert.equal(status.sessions[0]!.protocol, mode);
      assert.equal(status.sessions[0]!.address, me);
      assert.ok(status.sessions[0]!.counters.packetsIn > 100);

      run.close('test done');
      await waitUntil(() => server.liveCount === 0, 60_000, 'the session to end');
      const records = fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(records.map((r) => r.event), ['start', 'stop']);
      assert.equal(records[1]!.protocol, mode);
      assert.ok((records[1]!.bytesOut as number) > body.length, JSON.stringify(records[1]));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- isp ---\n${logs.join('\n')}`);
    } finally {
      await server.stop(2000);
      web.close();
    }
  });
}

test('SLIP sessions count against max-sessions and take pool addresses; a refused caller is told why', { timeout: 60_000 }, async () => {
  const { server } = await startIsp({ maxSessions: 1 });
  try {
    const first = await callSlip(server.addresses.slip!.port);
    assert.match(first.banner, /Your IP address is 10\.0\.2\.15,/);
    const second = net.connect(server.addresses.slip!.port, '127.0.0.1');
    let said = '';
    second.on('data', (d) => (said += d));
    await new Promise((r) => second.on('close', r));
    assert.match(said, /Too many sessions/);
    first.sock.destroy();
    await waitUntil(() => server.liveCount === 0, 60_000, 'the first session to end');
    const third = await callSlip(server.addresses.slip!.port);
    assert.match(third.banner, /Your IP address is 10\.0\.2\.15,/);
    third.sock.destroy();
    await waitUntil(() => server.liveCount === 0, 60_000, 'the third session to end');
  } finally {
    await server.stop(2000);
  }
});

test('a modem-bank caller logs in, types `cslip`, reads its address from the banner and pings the gateway; a wrong password gets no SLIP', { timeout: 120_000 }, async () => {
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-slip-')), 'acct.jsonl');
  const logs: string[] = [];
  const config: IspConfig = { ...defaultIspConfig(), listenModem: { host: '127.0.0.1', port: 0 }, phone: '5551000', accounting, authFailDelay: 0 };
  const secrets = { ...staticSecrets([]), verifyPap: (u: string, p: string) => (u === 'fred' && p === 'wilma' ? { secret: p } : undefined) };
  const server = new IspServer({ config, secrets, backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
  await server.start();
  try {
    const sock = net.connect(server.addresses.modem!.port, '127.0.0.1');
    const r = await runChat("'' ATZ OK ATDT5551000 CONNECT '' ogin: fred ssword: nope incorrect '' ogin: fred ssword: wilma '$ ' cslip", sock, { timeout: 30 });
    assert.equal(r.code, 0, logs.join('\n'));
    let text = '';
    await new Promise<void>((resolve) => {
      const onData = (b: Buffer) => {
        text += b.toString('latin1');
        if (!/Header compression is on[^\r]*\r\n/.test(text)) return;
        sock.off('data', onData);
        sock.pause();
        resolve();
      };
      sock.on('data', onData);
    });
    const m = /Entering CSLIP mode\.\r\nYour IP address is ([\d.]+), MTU is 1006 bytes\r\nServer address is ([\d.]+)\r\n/.exec(text);
    assert.ok(m, text);
    await pingOnce(sock, parseIp4(m[1]!)!, parseIp4(m[2]!)!, 7);
    sock.destroy();
    await waitUntil(() => server.liveCount === 0, 60_000, 'the session to end');
    const records = fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(records.map((x) => [x.event, x.protocol, x.user, x.address]), [['start', 'cslip', 'fred', '10.0.2.15'], ['stop', 'cslip', 'fred', '10.0.2.15']]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- isp ---\n${logs.join('\n')}`);
  } finally {
    await server.stop(2000);
  }
});
