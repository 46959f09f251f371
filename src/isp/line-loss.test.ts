/**
 * dialtone isp on a bad line: PppLink clients dial an in-process IspServer through the
 * fault relay (src/runtime/fault-relay.ts) on 127.0.0.1. TCP through the ISP's userspace
 * NAT survives line noise (FCS drops, TCP retransmits); a line that drops mid-session ends
 * the session as a modem hangup (pppd's exit status 16), and accounting records both ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IspServer } from './server.js';
import { defaultIspConfig, type IspConfig } from './config.js';
import { natBackendFactory } from './backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { ClientBackend } from '../runtime/client-backend.js';
import { listenFaultRelay } from '../runtime/fault-relay.js';
import { EXIT } from '../ppp/exit-codes.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function startIsp(extra: Partial<IspConfig> = {}, logs: string[] = []): Promise<IspServer> {
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0, ...extra };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: (m) => logs.push(m) });
  await isp.start();
  return isp;
}

async function until(what: string, cond: () => boolean, limit = 1000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * At 1e-4 a 580-byte frame (4,640 bits) is hit with probability 1 - (1 - 1e-4)^4640 ≈ 37%,
 * so TCP lives on retransmission timeouts and moves a few hundred bytes a second: the
 * 1e-4 transfer is kept small; a larger one runs at 1e-5 (about 5% of full frames lost).
 */
for (const [ber, size] of [[1e-4, 8 * 1024], [1e-5, 64 * 1024]] as const) {
  test(`TCP through the ISP NAT over a line at ${ber} bit-error rate arrives intact (sha256 of ${size / 1024} KiB)`, { timeout: 240_000 }, async (t) => {
    const body = crypto.createHash('sha256').update('body').digest();
    const blob = Buffer.concat(Array.from({ length: size / 32 }, (_, i) => crypto.createHash('sha256').update(`${body.toString('hex')}:${i}`).digest()));
    const web = http.createServer((_q, r) => r.end(blob));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const webPort = (web.address() as net.AddressInfo).port;
    const isp = await startIsp();
    const relay = await listenFaultRelay({ target: { port: isp.addresses.ppp!.port }, faults: (n) => ({ seed: `ber-tcp-${ber}-${n}`, both: { bitErrorRate: ber } }) });
    // 576-byte packets (MSS 536): a classic dial-up MTU, so that fewer frames are hit.
    const backend = new ClientBackend({ socks: false, forwards: [`127.0.0.1:0:10.0.2.2:${webPort}`], mtu: 576 });
    // Uncompressed (noccp): at 1e-4 every lost frame would also cost a CCP reset, and TCP's
    // backed-off timers make that minutes; ccp/ccp.test.ts has Deflate on a noisy line.
    const link = new PppLink(net.connect(relay.address.port, '127.0.0.1'), { user: 'demo', password: 'dialtone', usePeerDns: true, backend, mru: 576, noccp: true });
    try {
      await new Promise<void>((resolve) => link.on('ip-up', () => resolve()));
      const addrs = await backend.ready();
      const got = await new Promise<Buffer>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: addrs.forwards[0]!.port, path: '/' }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d) => parts.push(d));
          res.on('end', () => resolve(Buffer.concat(parts)));
          res.on('error', reject);
        }).on('error', reject);
      });
      assert.equal(got.length, blob.length);
      assert.equal(sha(got), sha(blob));
      const s = relay.relays[0]!.stats();
      const nat = (isp.status() as { sessions: { network?: { tcp?: Record<string, number> } }[] }).sessions[0]?.network?.tcp;
      t.diagnostic(`${size / 1024} KiB intact at BER ${ber}: ${s.aToB.bitsFlipped + s.bToA.bitsFlipped} bits flipped in ${s.aToB.piecesCorrupted + s.bToA.piecesCorrupted} chunks; `
        + `frames dropped (bad FCS): client ${link.session.counters.framesDropped}; ISP NAT TCP retransmits ${nat?.retransmits}, timeouts ${nat?.timeouts}, fast retransmits ${nat?.fastRetransmits}`);
    } finally {
      link.close();
      await link.done;
      await relay.close();
      await isp.stop();
      web.close();
    }
  });
}

test('every session that ends by line loss is accounted: start and stop records, exit status 16 (hangup)', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-lineloss-'));
  const accounting = path.join(dir, 'accounting.jsonl');
  const logs: string[] = [];
  const isp = await startIsp({ accounting }, logs);
  const N = 5;
  // Client → server: the line drops after a few kilobytes, well after IPCP (a few hundred bytes).
  const relay = await listenFaultRelay({ target: { port: isp.addresses.ppp!.port }, faults: (n) => ({ seed: `loss-${n}`, aToB: { disconnectAfterBytes: 3000 + 700 * n } }) });
  const clients = Array.from({ length: N }, () => {
    const link = new PppLink(net.connect(relay.address.port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
    let upInfo: { local: string } | undefined;
    link.on('ip-up', (ip) => {
      upInfo = ip;
      // Traffic until the line drops: UDP datagrams to the gateway's discard port.
      let n = 0;
      const pump = () => {
        if (!link.sendIp(udp(ip.local, '10.0.2.2', n++))) return;
        setTimeout(pump, 5);
      };
      pump();
    });
    return { link, up: () => upInfo };
  });
  try {
    const statuses = await Promise.all(clients.map((c) => c.link.done));
    assert.deepEqual(statuses, Array(N).fill(EXIT.HANGUP), 'every client saw a hangup');
    assert.ok(clients.every((c) => c.up()), 'every client came up before the line dropped');
    await until('the server to end every session', () => (isp.status() as { sessions: unknown[] }).sessions.length === 0);
    const records = fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ids = [...new Set(records.map((r) => r.id))];
    assert.equal(ids.length, N, `one id per session: ${JSON.stringify(records)}`);
    for (const id of ids) {
      const mine = records.filter((r) => r.id === id);
      assert.deepEqual(mine.map((r) => r.event), ['start', 'stop'], `session ${id}`);
      const stop = mine[1]!;
      assert.equal(stop.status, EXIT.HANGUP, `session ${id}: ${JSON.stringify(stop)}`);
      assert.equal(stop.user, 'demo');
      assert.ok((stop.bytesIn as number) > 0 && (stop.bytesOut as number) > 0);
      assert.ok(typeof stop.address === 'string' && stop.address === mine[0]!.address);
    }
    const cuts = relay.relays.map((r) => r.stats().ended);
    assert.deepEqual(cuts, Array(N).fill('a->b cut'));
    assert.ok(logs.filter((l) => /Modem hangup/.test(l)).length === N, logs.join('\n'));
    t.diagnostic(`${N} sessions cut after ${relay.relays.map((r) => r.aToB.stats.bytesOut).join(', ')} bytes: ${records.length} accounting records`);
  } finally {
    await relay.close();
    await isp.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A UDP/IPv4 datagram (checksums: IPv4 header computed, UDP 0 = none) to port 9. */
function udp(src: string, dst: string, n: number): Buffer {
  const payload = Buffer.alloc(200, n & 0xff);
  const p = Buffer.alloc(28 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(n & 0xffff, 4);
  p[8] = 64;
  p[9] = 17;
  src.split('.').forEach((o, i) => (p[12 + i] = Number(o)));
  dst.split('.').forEach((o, i) => (p[16 + i] = Number(o)));
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += p.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p.writeUInt16BE(~sum & 0xffff, 10);
  p.writeUInt16BE(40000, 20);
  p.writeUInt16BE(9, 22);
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}
