import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { ConsoleHttp, type ConsoleSource } from './http.js';
import { RateSampler } from './rate-sampler.js';

async function serve(maxStreams = 2) {
  const sampler = new RateSampler(10);
  const asked: number[] = [];
  let bytes = 0;
  const source: ConsoleSource = {
    status: () => ({ sessions: [{ id: 1 }] }),
    metrics: () => '# HELP x y\n# TYPE x gauge\nx 1\n',
    disconnect: (id) => (asked.push(id), id === 1),
    sample: (now) => sampler.sample(now, new Map([[1, { bytesIn: (bytes += 1000), bytesOut: bytes }]])),
    history: () => sampler.history(),
  };
  const con = new ConsoleHttp({ source, intervalMs: 20, maxStreams });
  const server = http.createServer((q, r) => con.handle(q, r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  con.start();
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const close = async () => {
    con.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return { base, asked, close, con };
}

/** Reads an event stream until `n` events have arrived; gives their names and data. */
function events(url: string, n: number): Promise<{ name: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const got: { name: string; data: unknown }[] = [];
    const req = http.get(url, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) got.push({ name, data: JSON.parse(data) });
          if (got.length === n) {
            req.destroy();
            resolve(got);
          }
        }
      });
    });
    req.on('error', (e) => (got.length === n ? undefined : reject(e)));
  });
}

test('the console page, script and style are served from the package with a strict content security policy', async () => {
  const s = await serve();
  try {
    const page = await fetch(`${s.base}/`, { headers: { accept: 'text/html' } });
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
    const html = await page.text();
    assert.match(html, /<canvas id="graph"/);
    // Nothing from elsewhere: no absolute URLs in the page, script or style.
    for (const f of ['/console.js', '/console.css']) {
      const r = await fetch(`${s.base}${f}`);
      assert.equal(r.status, 200, f);
      assert.doesNotMatch(await r.text(), /https?:\/\//, f);
    }
    assert.doesNotMatch(html, /https?:\/\//);
    // `/` without text/html is still the JSON document, as it always was.
    assert.deepEqual(await (await fetch(`${s.base}/`)).json(), { sessions: [{ id: 1 }] });
    assert.equal((await fetch(`${s.base}/nope`)).status, 404);
    assert.equal((await fetch(`${s.base}/status`, { method: 'POST' })).status, 405);
    assert.match((await fetch(`${s.base}/metrics`)).headers.get('content-type')!, /version=0\.0\.4/);
  } finally {
    await s.close();
  }
});

test('the event stream starts with the history and then ticks with rates; streams are bounded', async () => {
  const s = await serve(1);
  try {
    const got = events(`${s.base}/events`, 3);
    await new Promise((r) => setTimeout(r, 0));
    const [history, tick1, tick2] = await got;
    assert.equal(history!.name, 'history');
    assert.ok(Array.isArray((history!.data as { points: unknown[] }).points));
    assert.equal(tick1!.name, 'tick');
    assert.equal(tick2!.name, 'tick');
    assert.ok((tick2!.data as { point: { total: { in: number } } }).point.total.in > 0);
    // One stream allowed: while one is open, the next is refused.
    const first = http.get(`${s.base}/events`);
    await new Promise((r) => first.once('response', r));
    const second = await fetch(`${s.base}/events`);
    assert.equal(second.status, 503);
    first.destroy();
  } finally {
    await s.close();
  }
});

test('disconnect: a loopback POST reaches the server; a cross-origin one does not', async () => {
  const s = await serve();
  try {
    const ok = await fetch(`${s.base}/sessions/1/disconnect`, { method: 'POST' });
    assert.equal(ok.status, 202);
    assert.equal((await fetch(`${s.base}/sessions/9/disconnect`, { method: 'POST' })).status, 404);
    const csrf = await fetch(`${s.base}/sessions/1/disconnect`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    assert.equal(csrf.status, 403);
    assert.equal((await fetch(`${s.base}/sessions/1/disconnect`)).status, 403, 'GET changes nothing');
    assert.deepEqual(s.asked, [1, 9]);
  } finally {
    await s.close();
  }
});
