import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Admission, FailureThrottle } from './admission.js';
import { IspServer } from './server.js';
import { defaultIspConfig, parseIspConfig, type IspConfig } from './config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { waitUntil } from '../runtime/wait-until.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/isp.conf');

test('admission: a full pool evicts its oldest, a full source its own oldest', () => {
  const a = new Admission({ maxUnauthenticated: 3, maxUnauthenticatedPerSource: 2, failDelayMs: 1000, failDelayMaxMs: 8000 });
  const evicted: string[] = [];
  const add = (id: number, source: string) => a.admit({ id, source, evict: (why) => evicted.push(`${id} ${why}`) });
  add(1, 'x');
  add(2, 'y');
  add(3, 'x');
  assert.deepEqual(evicted, []);
  add(4, 'x'); // x has 2: its oldest (1) goes
  assert.deepEqual(evicted, ['1 evicted-per-source']);
  add(5, 'z'); // 3 in all: the oldest (2) goes
  assert.deepEqual(evicted, ['1 evicted-per-source', '2 evicted']);
  assert.equal(a.size, 3);
  assert.equal(a.release(3), true);
  assert.equal(a.release(3), false);
  assert.equal(a.countFrom('x'), 1);
  assert.equal(a.counters.evicted, 1);
  assert.equal(a.counters.evictedPerSource, 1);
});

test('failure throttle: exponential, capped, forgotten after a quiet period, bounded in keys', () => {
  const t = new FailureThrottle(() => ({ failDelayMs: 1000, failDelayMaxMs: 8000 }), 2);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => t.delayFor(n)), [1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(t.record('fred', 0), 1000);
  assert.equal(t.record('fred', 100), 2000);
  assert.equal(t.wait('fred', 1100), 1000);
  assert.equal(t.wait('fred', 5000), 0);
  assert.equal(t.failures('fred', 5000), 2);
  assert.equal(t.failures('fred', 100 + 61_000), 0);
  t.record('a', 0);
  t.record('b', 0);
  t.record('c', 0);
  assert.equal(t.size, 2);
  assert.equal(t.failures('a', 0), 0);
});

test('the admission keys: defaults, the example file, and errors with file and line', () => {
  const d = defaultIspConfig();
  assert.deepEqual(
    [d.maxUnauthenticated, d.maxUnauthenticatedPerSource, d.authTimeout, d.maxUnauthenticatedBytes, d.authFailDelay, d.authFailDelayMax, d.stopTimeout],
    [64, 8, 10, 16384, 1, 30, 5],
  );
  const ex = parseIspConfig(fs.readFileSync(example, 'utf8'), 'isp.conf');
  assert.deepEqual(
    [ex.maxUnauthenticated, ex.maxUnauthenticatedPerSource, ex.authTimeout, ex.maxUnauthenticatedBytes, ex.authFailDelay, ex.authFailDelayMax, ex.stopTimeout],
    [64, 8, 10, 16384, 1, 30, 5],
  );
  const c = parseIspConfig('max-unauthenticated 10\nmax-unauthenticated-per-source 2\nauth-timeout 3\nmax-unauthenticated-bytes 4096\nauth-fail-delay 2\nauth-fail-delay-max 4\nstop-timeout 1\n', 'x.conf');
  assert.deepEqual([c.maxUnauthenticated, c.maxUnauthenticatedPerSource, c.authTimeout, c.maxUnauthenticatedBytes, c.authFailDelay, c.authFailDelayMax, c.stopTimeout], [10, 2, 3, 4096, 2, 4, 1]);
  assert.throws(() => parseIspConfig('\nauth-timeout 0\n', 'x.conf'), /x\.conf:2: auth-timeout: 0 out of range \(1-3600\)/);
  assert.throws(() => parseIspConfig('max-unauthenticated lots\n', 'x.conf'), /x\.conf:1: max-unauthenticated: not a number/);
});

async function startIsp(over: Partial<IspConfig> = {}) {
  const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-adm-')), 'acct.jsonl');
  const logs: string[] = [];
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, accounting, lcpEchoInterval: 0, ...over },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: (m) => logs.push(m),
  });
  await server.start();
  return { server, accounting, logs, port: server.addresses.ppp!.port };
}

type AdmissionStatus = Record<string, number>;
const admissionOf = (server: IspServer) => (server.status() as { admission: AdmissionStatus }).admission;

function dial(port: number, opts: { user?: string; password?: string; localAddress?: string } = {}) {
  const sock = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
  const logs: string[] = [];
  const link = new PppLink(sock, { user: opts.user ?? 'demo', password: opts.password ?? 'dialtone', usePeerDns: true });
  link.on('log', (_l, m) => logs.push(m));
  const up = new Promise<{ local: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
  return { sock, link, up, logs };
}

/** Resolves when every socket has connected (or failed: a refused one is no attacker). */
function connected(socks: net.Socket[]): Promise<unknown> {
  return Promise.all(socks.map((s) => new Promise((r) => (s.once('connect', r), s.once('error', r), s.once('close', r)))));
}

test('isp admission: 200 idle and 50 garbage connections do not keep 3 callers out; max-sessions counts only them', { timeout: 120_000 }, async () => {
  const { server, port } = await startIsp({ maxSessions: 3 });
  const attackers: net.Socket[] = [];
  for (let i = 0; i < 200; i++) attackers.push(net.connect(port, '127.0.0.1').on('error', () => undefined));
  await connected(attackers);
  const garbage: net.Socket[] = [];
  for (let i = 0; i < 50; i++) {
    const s = net.connect(port, '127.0.0.1').on('error', () => undefined);
    s.on('connect', () => s.write(Buffer.alloc(20_000, 0x7e ^ i)));
    garbage.push(s);
  }
  await connected(garbage);
  attackers.push(...garbage);
  const callers = [dial(port), dial(port), dial(port)];
  const ups = await Promise.all(callers.map((c) => c.up));
  assert.deepEqual(ups.map((u) => u.local).sort(), ['10.0.2.15', '10.0.2.16', '10.0.2.17']);
  const st = server.status() as { authenticated: number; admission: AdmissionStatus; sessions: unknown[] };
  assert.equal(st.authenticated, 3);
  assert.equal(st.sessions.length, 3);
  assert.ok(st.admission.unauthenticated! <= 8, `unauthenticated ${st.admission.unauthenticated}`);
  assert.ok(st.admission.evicted! + st.admission.evictedPerSource! + st.admission.overBytes! >= 240);
  for (const c of callers) c.link.close();
  await Promise.all(callers.map((c) => c.link.done));
  for (const s of attackers) s.destroy();
  await server.stop();
});

test('isp admission: the auth deadline and the byte cap close a connection; status counts them', { timeout: 60_000 }, async () => {
  const { server, port } = await startIsp({ authTimeout: 1, maxUnauthenticatedBytes: 4096 });
  const idle = net.connect(port, '127.0.0.1');
  const loud = net.connect(port, '127.0.0.1');
  loud.on('connect', () => loud.write(Buffer.alloc(8192, 0x55)));
  loud.on('error', () => undefined);
  idle.resume();
  loud.resume();
  await Promise.all([once(idle, 'close'), once(loud, 'close')]);
  const a = admissionOf(server);
  assert.equal(a.timedOut, 1);
  assert.equal(a.overBytes, 1);
  assert.equal(a.unauthenticated, 0);
  await server.stop();
});

test('isp admission: 4 KiB without one valid PPP frame closes a connection', { timeout: 60_000 }, async () => {
  const { server, port } = await startIsp({});
  const garbage = net.connect(port, '127.0.0.1');
  garbage.on('connect', () => garbage.write(Buffer.alloc(6000, 0x55)));
  garbage.on('error', () => undefined);
  garbage.resume();
  await once(garbage, 'close');
  const a = admissionOf(server);
  assert.equal(a.unframed, 1);
  assert.equal(a.overBytes, 0);
  assert.equal(a.unauthenticated, 0);
  await server.stop();
});

test('isp admission: failed authentication is throttled per user and per source; unknown user and wrong password look alike', { timeout: 60_000 }, async () => {
  const { server, port } = await startIsp({ auth: 'chap', authFailDelay: 30, authFailDelayMax: 30 });
  const failures: string[][] = [];
  for (const [user, password] of [['nobody', 'dialtone'], ['demo', 'wrong']] as const) {
    const c = dial(port, { user, password, localAddress: user === 'nobody' ? '127.0.0.3' : '127.0.0.1' });
    await c.link.done;
    failures.push(c.logs.filter((l) => /fail|terminat/i.test(l)));
  }
  assert.ok(failures[0]!.length > 0);
  assert.deepEqual(failures[0], failures[1]);
  // The right password from another source: refused while `demo` is in its delay, alike.
  const other = dial(port, { localAddress: '127.0.0.2' });
  await other.link.done;
  assert.deepEqual(other.logs.filter((l) => /fail|terminat/i.test(l)), failures[1]);
  // The failed source is held back before PPP starts (its connection waits, evictable).
  const held = dial(port, { localAddress: '127.0.0.1' });
  await waitUntil(() => !!admissionOf(server).throttledSources, 60_000, 'the source to be throttled');
  const a = admissionOf(server);
  assert.equal(a.authFailures, 3);
  assert.equal(a.throttledUsers, 1);
  assert.equal(a.throttledSources, 1);
  held.sock.destroy();
  await held.link.done;
  await server.stop();
});
