/**
 * The web console in a real headless browser (Debian's chromium over the DevTools protocol):
 * two sessions online with traffic flowing are listed with non-zero, growing rates and
 * drawn in the graph; a click on Disconnect ends one (the client's link ends) and it leaves
 * the list; changes from off loopback without the token, or cross-origin, are refused.
 * Skipped when chromium is missing or DIALTONE_SKIP_INTEROP=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from '../server.js';
import { defaultIspConfig } from '../config.js';
import { natBackendFactory } from '../backend.js';
import { staticSecrets } from '../../ppp/secrets.js';
import { PppLink } from '../../runtime/link.js';
import { runChat } from '../../runtime/chat-run.js';
import { icmpEchoRequest, parseIp4 } from '../../wire/ipv4.js';
import { Chromium, findChromium } from './testing/chromium.js';

const chromium = findChromium();
const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : !chromium ? 'chromium not installed (scripts/setup installs it)' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const TOKEN = 'test-console-token-0123456789';

/** Waits for an asynchronous condition with a generous deadline (a stuck test, not a timing expectation). */
async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function nonLoopbackIPv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

/** A POST to the console from `from` (a local address to bind), with headers. */
function post(host: string, port: number, url: string, headers: Record<string, string> = {}, from?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path: url, method: 'POST', headers, ...(from ? { localAddress: from } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A PPP client that pings the gateway with `size`-byte echo requests while IP is up. */
function client(port: number) {
  const link = new PppLink(net.connect(port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
  const state = { local: 0, size: 200, replies: 0, seq: 0, timer: undefined as NodeJS.Timeout | undefined };
  const up = new Promise<void>((resolve) => link.on('ip-up', (ip) => {
    state.local = parseIp4(ip.local)!;
    state.timer = setInterval(() => {
      // Random payloads: the rates count line octets, and CCP (Deflate, on by default) would
      // shrink a constant payload to the same few octets at any size.
      for (let i = 0; i < 4; i++) link.sendIp(icmpEchoRequest(state.local, parseIp4(ip.remote)!, 7, state.seq++, randomBytes(state.size)));
    }, 20);
    resolve();
  }));
  link.on('ip', () => state.replies++);
  void link.done.then(() => clearInterval(state.timer));
  return { link, up, state };
}

interface Row { id: number; user: string; rateIn: number; rateOut: number }

test('web console in chromium: lists two busy sessions with rates, draws the graph, disconnects one; changes off loopback need the token', { skip, timeout: 240_000 }, async (t) => {
  const outside = nonLoopbackIPv4();
  const config = {
    ...defaultIspConfig(),
    listenPpp: { host: '127.0.0.1', port: 0 },
    listenModem: { host: '127.0.0.1', port: 0 },
    modemLines: 2,
    phone: '555-1000',
    // On all interfaces when there is another one, so that a POST can come from off loopback.
    status: { host: outside ? '0.0.0.0' : '127.0.0.1', port: 0 },
    lcpEchoInterval: 0,
    consoleToken: TOKEN,
  };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const port = isp.addresses.status!.port;
  const a = client(isp.addresses.ppp!.port);
  const b = client(isp.addresses.ppp!.port);
  await Promise.all([a.up, b.up]);
  // A third caller, on the modem bank, sitting at the getty's login prompt.
  const modem = net.connect(isp.addresses.modem!.port, '127.0.0.1');
  assert.equal((await runChat("'' ATZ OK ATDT5551000 CONNECT '' login:", modem, { timeout: 30 })).code, 0);
  const browser = new Chromium(chromium!);
  try {
    const page = await browser.open(`http://127.0.0.1:${port}/`);
    const rows = () => page.eval<Row[]>(`[...document.querySelectorAll('#sessions tbody tr')].map((tr) => ({
      id: Number(tr.dataset.id), user: tr.querySelector('.user').textContent,
      rateIn: Number(tr.querySelector('.rate-in').dataset.value), rateOut: Number(tr.querySelector('.rate-out').dataset.value) }))`);

    // Both sessions listed, both directions moving.
    const first = await eventually(async () => {
      const r = await rows();
      return r.length === 2 && r.every((x) => x.rateIn > 0 && x.rateOut > 0) && r;
    }, 'both sessions listed with non-zero rates');
    assert.deepEqual(first.map((r) => r.user), ['demo', 'demo']);
    // More traffic: the rates the page shows grow.
    a.state.size = b.state.size = 1400;
    const grown = await eventually(async () => {
      const r = await rows();
      return r.length === 2 && r.every((x) => x.rateIn > 2 * first.find((f) => f.id === x.id)!.rateIn) && r;
    }, 'the rates to grow with the traffic');
    t.diagnostic(`rates (bytes/s in/out): ${first.map((r) => `${r.rateIn.toFixed(0)}/${r.rateOut.toFixed(0)}`).join(', ')} -> ${grown.map((r) => `${r.rateIn.toFixed(0)}/${r.rateOut.toFixed(0)}`).join(', ')}`);

    // The graph: the total and one series per session, with points, and ink on the canvas.
    const graph = await eventually(async () => {
      const g = await page.eval<{ points: number; series: string[]; inked: number }>(`(() => {
        const c = document.querySelector('#graph');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let inked = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200)) inked++;
        return { points: Number(c.dataset.points), series: c.dataset.series.split(','), inked };
      })()`);
      return g.points >= 5 && g.series.length === 4 && g;
    }, 'the graph to have points of both sessions');
    assert.deepEqual(graph.series.slice(0, 2), ['total in', 'total out']);
    assert.deepEqual(graph.series.slice(2).sort(), first.map((r) => `#${r.id}`).sort());
    assert.ok(graph.inked > 500, `the canvas has lines drawn (${graph.inked} pixels)`);
    // The modem line in the getty dialog, with the number it dialled.
    const lines = await eventually(async () => {
      const l = await page.eval<string[][]>(`[...document.querySelectorAll('#lines tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))`);
      return l.some((r) => r[1] === 'getty dialog') && l;
    }, 'the modem line in the getty dialog');
    assert.deepEqual(lines.map((r) => [r[0], r[1], r[3]]), [['1', 'getty dialog', '5551000'], ['2', 'free', '']]);
    assert.match(lines[0]![2]!, /^127\.0\.0\.1:\d+$/);
    // Sorting: a click on the # heading turns the order round.
    await page.click('#sessions th[data-key="id"]');
    const ids = (await rows()).map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => y - x));
    assert.notDeepEqual(ids, [...ids].sort((x, y) => x - y));

    const shots = path.join(repo, 'test-artifacts');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot(path.join(shots, 'web-console.png'));
    t.diagnostic(`screenshot: ${path.join(shots, 'web-console.png')}`);

    // Refused: cross-origin from loopback; off loopback without the token or with a wrong one.
    const victim = first[0]!.id;
    const crossOrigin = await post('127.0.0.1', port, `/sessions/${victim}/disconnect`, { origin: 'http://evil.example' });
    assert.equal(crossOrigin.status, 403);
    if (outside) {
      const bare = await post(outside, port, `/sessions/${victim}/disconnect`, {}, outside);
      assert.equal(bare.status, 401, bare.body);
      const wrong = await post(outside, port, `/sessions/${victim}/disconnect`, { authorization: 'Bearer not-the-token-at-all' }, outside);
      assert.equal(wrong.status, 401, wrong.body);
    } else {
      t.diagnostic('no non-loopback IPv4 interface: off-loopback refusal is covered by access.test.ts only');
    }
    assert.equal((await rows()).length, 2, 'refused requests disconnected nobody');

    // A click on Disconnect ends the session: the client's link ends, the row goes, the
    // recent sessions say how it ended.
    const [victimClient, other] = pickClient(isp, victim, a, b);
    await page.click(`button.disconnect[data-id="${victim}"]`);
    const clientStatus = await victimClient.link.done;
    t.diagnostic(`client link ended with exit status ${clientStatus}`);
    await eventually(async () => {
      const r = await rows();
      return r.length === 1 && r[0]!.id !== victim;
    }, 'the disconnected session to leave the list');
    const reason = await eventually(() => page.eval<string | null>(`document.querySelector('#recent tr[data-id="${victim}"] .reason')?.textContent ?? null`).then((v) => v ?? undefined), 'the recent sessions to list it');
    assert.match(reason, /disconnected from the console/);
    assert.ok(other.link.session.phase === 'Network', 'the other session is still up');
    await page.screenshot(path.join(shots, 'web-console-after-disconnect.png'));

    // With the token, off loopback may disconnect.
    if (outside) {
      const left = isp.status().sessions[0]!.id;
      const ok = await post(outside, port, `/sessions/${left}/disconnect`, { authorization: `Bearer ${TOKEN}` }, outside);
      assert.equal(ok.status, 202, ok.body);
      await other.link.done;
    }
  } finally {
    modem.destroy();
    await browser.close();
    a.link.close();
    b.link.close();
    await Promise.all([a.link.done, b.link.done]);
    await isp.stop();
  }
});

/** Which test client is session `id` (by the address the server gave it). */
function pickClient(isp: IspServer, id: number, a: ReturnType<typeof client>, b: ReturnType<typeof client>) {
  const address = isp.status().sessions.find((s) => s.id === id)!.address;
  return parseIp4(address!) === a.state.local ? [a, b] as const : [b, a] as const;
}
