/**
 * npm run soak [-- --minutes N] [--sample SECONDS] [--clients N]
 *
 * The ISP (IspServer in process, raw PPP over TCP, the userspace NAT per session as
 * `dialtone isp` runs it) under a mixed load, all on 127.0.0.1:
 *  - PPP clients (PppLink, user/password over PAP/CHAP) dialling in and hanging up in a
 *    loop; every other one has a ClientBackend with a local forward and fetches a body
 *    from a local HTTP server through the NAT (10.0.2.2 is the host's loopback);
 *  - hostile connections: idle ones (the server's LCP gives up on them), garbage
 *    (random octets, HDLC flags, broken frames), a half handshake then silence, and
 *    connect-and-reset.
 * Every --sample seconds it records RSS, heap used (after a GC), active handles and
 * requests (process.getActiveResourcesInfo()), the timers armed in the ISP's live
 * sessions, and the live session count; at the end it prints the table and applies:
 *
 *   GROWTH RULE: drop the first third of samples (warm-up); for each metric compare the
 *   median of the last third to the median of the middle third. A bounded resource under a
 *   steady load plateaus, so the two agree; a leak grows with time, so the last third sits
 *   about a third of the run's growth above the middle. Fail (exit 1) when
 *   last > middle * (1 + 25%) + slack, slack being 24 MiB for RSS, 12 MiB for heap,
 *   16 handles, 16 timers, 8 sessions (noise on a loaded machine).
 *
 * After the load stops, live sessions must drain to 0 and the active handles must come
 * back to within 16 of the first sample (the same load's baseline), or the soak fails:
 * a slow leak of sockets can hide inside the tolerance of the growth rule.
 */
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IspServer } from '../src/isp/server.js';
import { defaultIspConfig } from '../src/isp/config.js';
import { natBackendFactory } from '../src/isp/backend.js';
import { staticSecrets } from '../src/ppp/secrets.js';
import { PppLink } from '../src/runtime/link.js';
import { ClientBackend } from '../src/runtime/client-backend.js';
import type { Timers } from '../src/ppp/timers.js';
import type { Session } from '../src/ppp/session.js';

function args(argv: string[]) {
  const o = { minutes: 3, sample: 5, clients: 4, hostile: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = Number(argv[++i]);
    if (a === '--minutes') o.minutes = v;
    else if (a === '--sample') o.sample = v;
    else if (a === '--clients') o.clients = v;
    else if (a === '--hostile') o.hostile = v;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const BODY = crypto.randomBytes(256 * 1024);

interface Sample {
  t: number;
  rss: number;
  heap: number;
  handles: number;
  timers: number;
  sessions: number;
  dials: number;
  ups: number;
  fetched: number;
  hostile: number;
  errors: number;
}

const stats = { dials: 0, ups: 0, fetched: 0, fetchedBytes: 0, hostile: 0, errors: 0, statusNonZero: 0 };

/** `p`, or a rejection after `ms`; the timer is cleared either way (no handle left behind). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Active resources by type, e.g. { TCPSocketWrap: 12, Timeout: 30 }. */
function resourceTypes(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      label(res.socket as net.Socket, 'http client (soak) -> ClientBackend forward');
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** One PPP client: dial, (fetch through the NAT), hang up. */
async function dialOnce(ispPort: number, webPort: number, withData: boolean, n: number): Promise<void> {
  stats.dials++;
  const sock = label(net.connect(ispPort, '127.0.0.1'), 'ppp client (soak)');
  sock.on('error', () => undefined);
  const backend = withData ? new ClientBackend({ socks: false, forwards: [`127.0.0.1:0:10.0.2.2:${webPort}`] }) : undefined;
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone', usePeerDns: true, backend, name: `soak${n}` });
  link.on('log', () => undefined);
  try {
    await withTimeout(new Promise<void>((r) => link.once('ip-up', () => r())), 30_000, 'ip-up');
    stats.ups++;
    if (backend) {
      const addrs = await withTimeout(backend.ready(), 10_000, 'backend ready');
      const port = addrs.forwards[0]!.port;
      const size = 1024 + (n % 4) * 60_000;
      const got = await withTimeout(httpGet(port, `/down/${size}`), 60_000, 'http');
      if (got.length !== size || !got.equals(BODY.subarray(0, size))) throw new Error(`http body: ${got.length} of ${size} octets or corrupt`);
      stats.fetched++;
      stats.fetchedBytes += size;
    } else await sleep(200 + (n % 5) * 200);
  } catch {
    stats.errors++;
  } finally {
    link.close('soak: hang up');
    const status = await withTimeout(link.done, 30_000, 'hang up').catch(() => -1);
    if (status !== 0 && status !== 5) stats.statusNonZero++;
    backend?.close();
    sock.destroy();
  }
}

/** One hostile connection. */
async function hostileOnce(ispPort: number, n: number): Promise<void> {
  stats.hostile++;
  const sock = label(net.connect(ispPort, '127.0.0.1'), `hostile kind ${n % 4} (soak)`);
  sock.on('error', () => undefined);
  sock.on('data', () => undefined);
  await new Promise<void>((r) => { sock.once('connect', () => r()); sock.once('error', () => r()); });
  const kind = n % 4;
  if (kind === 0) await sleep(5000); // idle
  else if (kind === 1) {
    for (let i = 0; i < 20; i++) {
      const junk = crypto.randomBytes(1 + (i * 37) % 700);
      if (i % 3 === 0) junk[0] = 0x7e;
      sock.write(junk);
      await sleep(50);
    }
  } else if (kind === 2) {
    // A plausible LCP Configure-Request, then nothing.
    sock.write(Buffer.from('7eff7d23c0217d217d217d207d2e7d257d267d207d217d22c3bd7e', 'hex'));
    await sleep(3000);
  } else sock.resetAndDestroy();
  sock.destroy();
}

function armedTimers(isp: IspServer): { timers: number; sessions: number } {
  const sessions = (isp as unknown as { sessions: Map<number, { link: { session: Session } }> }).sessions;
  let timers = 0;
  for (const s of sessions.values()) timers += (s.link.session as unknown as { timers: Timers }).timers.armed.size;
  return { timers, sessions: sessions.size };
}

/** Who made a socket, for attributing what is left at the end. */
const LABEL = Symbol('soak label');
function label<S extends net.Socket>(sock: S, what: string): S {
  (sock as unknown as Record<symbol, string>)[LABEL] = what;
  return sock;
}

// Attribution hooks (this process only): sockets made by net.connect are labelled with the
// module that called it, and a socket that went through resetAndDestroy() is marked.
const realConnect = net.connect;
(net as { connect: typeof net.connect }).connect = function (this: unknown, ...a: unknown[]) {
  const sock = (realConnect as (...x: unknown[]) => net.Socket).apply(this, a);
  const where = /src\/(io|isp)\/([\w-]+)\.js/.exec(new Error().stack ?? '')?.[2] ?? 'soak';
  if (where !== 'soak') label(sock, `net.connect from ${where}`);
  return sock;
} as typeof net.connect;
const RESET = Symbol('soak reset');
const realReset = net.Socket.prototype.resetAndDestroy;
net.Socket.prototype.resetAndDestroy = function (this: net.Socket) {
  (this as unknown as Record<symbol, boolean>)[RESET] = true;
  return realReset.call(this);
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

async function main(): Promise<number> {
  const o = args(process.argv.slice(2));
  const gc = (globalThis as { gc?: () => void }).gc;
  const web = http.createServer((req, res) => {
    const m = /^\/down\/(\d+)$/.exec(req.url ?? '');
    const body = BODY.subarray(0, m ? Number(m[1]) : 0);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  web.on('connection', (sk) => label(sk, 'web server side (reached through the NAT)'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as net.AddressInfo).port;
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 5, lcpEchoFailure: 3 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const ispPort = isp.addresses.ppp!.port;
  (isp as unknown as { pppServer: net.Server }).pppServer.on('connection', (sk) => label(sk, 'isp accepted (IspServer)'));
  console.log(`dialtone soak: ${o.minutes} min, ${o.clients} PPP clients + ${o.hostile} hostile connections in loops, sample every ${o.sample} s${gc ? '' : ' (no --expose-gc: heap figures are noisier)'}`);

  const endAt = Date.now() + o.minutes * 60_000;
  let running = true;
  let n = 0;
  const loops: Promise<void>[] = [];
  for (let c = 0; c < o.clients; c++) {
    loops.push((async () => {
      while (running) await dialOnce(ispPort, webPort, c % 2 === 0, n++).catch(() => void stats.errors++);
    })());
  }
  for (let h = 0; h < o.hostile; h++) {
    loops.push((async () => {
      while (running) await hostileOnce(ispPort, n++).catch(() => void stats.errors++);
    })());
  }

  const samples: Sample[] = [];
  const t0 = Date.now();
  const header = `${'t(s)'.padStart(6)} ${'rss MiB'.padStart(8)} ${'heap MiB'.padStart(8)} ${'handles'.padStart(7)} ${'timers'.padStart(6)} ${'sess'.padStart(4)} ${'dials'.padStart(6)} ${'ups'.padStart(6)} ${'fetched'.padStart(7)} ${'hostile'.padStart(7)} ${'errors'.padStart(6)}`;
  console.log(header);
  const row = (s: Sample) => `${(s.t / 1000).toFixed(0).padStart(6)} ${(s.rss / 2 ** 20).toFixed(1).padStart(8)} ${(s.heap / 2 ** 20).toFixed(1).padStart(8)} ${String(s.handles).padStart(7)} ${String(s.timers).padStart(6)} ${String(s.sessions).padStart(4)} ${String(s.dials).padStart(6)} ${String(s.ups).padStart(6)} ${String(s.fetched).padStart(7)} ${String(s.hostile).padStart(7)} ${String(s.errors).padStart(6)}`;
  while (Date.now() < endAt) {
    await sleep(o.sample * 1000);
    gc?.();
    const mem = process.memoryUsage();
    const s: Sample = {
      t: Date.now() - t0, rss: mem.rss, heap: mem.heapUsed, handles: process.getActiveResourcesInfo().length,
      ...armedTimers(isp), dials: stats.dials, ups: stats.ups, fetched: stats.fetched, hostile: stats.hostile, errors: stats.errors,
    };
    samples.push(s);
    console.log(row(s));
    if (samples.length === 1 || samples.length % 12 === 0) console.log(`       resources: ${JSON.stringify(resourceTypes())}`);
  }
  running = false;
  await withTimeout(Promise.all(loops), 90_000, 'load loops to finish').catch((e) => console.log(String(e)));
  // Drain: every session the server still holds must end (idle hostile ones by LCP timeout).
  let drained = armedTimers(isp);
  for (let i = 0; i < 60 && drained.sessions > 0; i++) {
    await sleep(1000);
    drained = armedTimers(isp);
  }
  await isp.stop();
  await new Promise((r) => web.close(r));

  // The growth rule.
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const rules: [keyof Sample, number, (v: number) => string][] = [
    ['rss', 24 * 2 ** 20, (v) => `${(v / 2 ** 20).toFixed(1)} MiB`],
    ['heap', 12 * 2 ** 20, (v) => `${(v / 2 ** 20).toFixed(1)} MiB`],
    ['handles', 16, String],
    ['timers', 16, String],
    ['sessions', 8, String],
  ];
  let failed = false;
  console.log(`\ngrowth rule (median of last third vs middle third, ${middle.length} + ${last.length} samples): last <= middle * 1.25 + slack`);
  if (third < 2) {
    console.log('too few samples for the rule (run longer or sample more often): not judged');
  } else {
    for (const [k, slack, fmt] of rules) {
      const m = median(middle.map((s) => s[k] as number));
      const l = median(last.map((s) => s[k] as number));
      const ok = l <= m * 1.25 + slack;
      if (!ok) failed = true;
      console.log(`  ${ok ? 'ok  ' : 'GROW'} ${String(k).padEnd(9)} middle ${fmt(m).padStart(10)}  last ${fmt(l).padStart(10)}  limit ${fmt(m * 1.25 + slack)}`);
    }
  }
  console.log(`totals: ${stats.dials} dials, ${stats.ups} reached ip-up, ${stats.fetched} HTTP fetches through the NAT (${(stats.fetchedBytes / 2 ** 20).toFixed(1)} MiB), ${stats.hostile} hostile connections, ${stats.errors} client errors, ${stats.statusNonZero} unexpected exit statuses; ISP totals ${JSON.stringify(isp.totals)}`);
  console.log(`after the load: ${drained.sessions} live sessions (must be 0), ${drained.timers} timers armed, ${process.getActiveResourcesInfo().length} active handles ${JSON.stringify(resourceTypes())}`);
  // Attribute what is left: sockets by the port they talk to (ISP, web server, other).
  await sleep(2000);
  const left = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h): h is net.Socket => h instanceof net.Socket);
  const byPeer: Record<string, number> = {};
  for (const sk of left) {
    const k = `${(sk as unknown as Record<symbol, string>)[LABEL] ?? 'unlabelled (NAT outbound to web, or ClientBackend forward accept)'}${sk.destroyed ? ', destroyed' : ''}${(sk as unknown as Record<symbol, boolean>)[RESET] ? ', after resetAndDestroy()' : ''}`;
    byPeer[k] = (byPeer[k] ?? 0) + 1;
  }
  console.log(`sockets left after stop (2 s later): ${left.length} ${JSON.stringify(byPeer)}`);
  const baseline = samples[0]?.handles ?? 0;
  const after = process.getActiveResourcesInfo().length;
  if (after > baseline + 16) {
    console.log(`LEAK: ${after} active handles after the load stopped and the ISP closed, first sample under load had ${baseline}`);
    failed = true;
  }
  if (drained.sessions > 0) failed = true;
  if (stats.ups === 0) {
    console.log('no client ever reached ip-up: the soak did not exercise the server');
    failed = true;
  }
  console.log(failed ? 'soak: FAILED' : 'soak: passed');
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(2);
});
