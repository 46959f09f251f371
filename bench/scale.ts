/**
 * `dialtone isp` at scale (issue 10 item 5): how many idle sessions one process holds and
 * what each costs, how many full CHAP + IPCP setups one core does, setup latency, and the
 * same over TCP with `workers 2`.
 *
 * Part 1, one process, in-memory links: an IspServer (auth chap, the userspace NAT backend,
 * LCP echo every 30 s as configured by default) in the main thread; the load generator
 * (PppLink clients doing CHAP-MD5 and IPCP) in a worker thread on the other core, its
 * sessions multiplexed over one MessagePort (bench/mux-link.ts). The server's heap is its
 * own isolate's; RSS is the whole process (load generator included, so an upper bound).
 * Setups per core-second = setups / the server thread's busy time (event loop utilization).
 * Latency: from the client's first byte to its ip-up, with `--concurrency` dials in flight.
 *
 * Part 2, `workers 1` and `workers 2` over TCP on 127.0.0.1 (`dialtone isp` as a child
 * process, node:cluster): the load generator is this process (one descriptor per session,
 * under the 20,000 per process here), sessions dialled and held. Per core = setups / the
 * server processes' CPU seconds (the load generator shares the 2 cores, so wall-clock rate
 * is bounded by it, not by the server).
 *
 * Usage: node --expose-gc dist/bench/scale.js [--quick] [--sessions N] [--tcp-sessions N]
 *   [--memory-only | --tcp-only] [--concurrency N] [--cpu-prof-window FILE] (in-memory part)
 *   SCALE_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the TCP server processes.
 *   --quick: 2,000 in-memory sessions and 1,000 over TCP (CI logs; figures printed, never asserted).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Mux, type MuxItem } from '../src/isp/testing/mux-link.js';
import { IspServer } from '../src/isp/server.js';
import { defaultIspConfig, type IspConfig } from '../src/isp/config.js';
import { natBackendFactory } from '../src/isp/backend.js';
import { staticSecrets } from '../src/ppp/secrets.js';
import { PppLink } from '../src/runtime/link.js';
import { freePort } from '../src/runtime/free-port.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const arg = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const SESSIONS = arg('--sessions', QUICK ? 2000 : 50_000);
const TCP_SESSIONS = arg('--tcp-sessions', QUICK ? 1000 : 16_000);
const CONCURRENCY = arg('--concurrency', 128);

interface DialResult {
  up: number;
  failed: number;
  latencies: number[];
  ms: number;
}

/** Dials `count` sessions, `concurrency` at a time, and keeps them up. */
function dialMany(count: number, concurrency: number, open: (i: number) => import('node:stream').Duplex): Promise<DialResult> {
  return new Promise((resolve) => {
    const latencies: number[] = [];
    let next = 0;
    let inflight = 0;
    let failed = 0;
    const t0 = performance.now();
    const settle = () => {
      inflight--;
      if (latencies.length + failed === count) resolve({ up: latencies.length, failed, latencies, ms: performance.now() - t0 });
      else launch();
    };
    const launch = () => {
      while (inflight < concurrency && next < count) {
        const i = next++;
        inflight++;
        const t = performance.now();
        const link = new PppLink(open(i), { user: 'demo', password: 'dialtone' });
        let up = false;
        link.once('ip-up', () => {
          up = true;
          latencies.push(performance.now() - t);
          settle();
        });
        void link.done.then(() => {
          if (up) return;
          failed++;
          settle();
        });
      }
    };
    launch();
  });
}

/** CPU milliseconds of a process (or one of its threads) from /proc (Linux), utime + stime. */
function procCpuMs(pid: number, tid?: number): number {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

// ---- the load generator thread (part 1) ----------------------------------------------------

if (!isMainThread && workerData?.role === 'dialer') {
  const port = parentPort!;
  const mux = new Mux(port);
  port.on('message', (m: MuxItem[] | { count: number; concurrency: number }) => {
    if (Array.isArray(m)) return mux.receive(m);
    void dialMany(m.count, m.concurrency, (i) => mux.open(i + 1)).then((r) => port.postMessage({ result: r }));
  });
}

// ---- part 1: one process, in-memory links ------------------------------------------------

function scaleConfig(over: Partial<IspConfig>): IspConfig {
  return {
    ...defaultIspConfig(),
    subnet: '100.64.0.0/10',
    gateway: '100.64.0.1',
    dns: '100.64.0.2',
    pool: '100.64.1.0-100.127.255.254',
    auth: 'chap',
    accounts: [],
    maxSessions: 65535,
    maxUnauthenticated: 4 * CONCURRENCY,
    maxUnauthenticatedPerSource: 4 * CONCURRENCY,
    ipv6Prefix: 'off',
    ...over,
  };
}

const gc = () => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return;
  for (let i = 0; i < 3; i++) g();
};

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

async function inMemory(n: number): Promise<void> {
  const config = scaleConfig({});
  const server = new IspServer({
    config,
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    backend: natBackendFactory(config),
    log: () => undefined,
  });
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'dialer' } });
  const mux = new Mux(worker, (id, s) => server.accept(s, `mem ${id}`, `mem ${id % 1024}`));
  const result = new Promise<DialResult>((resolve) => worker.on('message', (m: MuxItem[] | { result: DialResult }) => (Array.isArray(m) ? mux.receive(m) : resolve(m.result))));
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const m0 = process.memoryUsage();
  const elu0 = performance.eventLoopUtilization();
  // The server thread's own CPU (the main thread's id is the process id).
  const cpu0 = procCpuMs(process.pid, process.pid);
  const profile = await profileWindow();
  worker.postMessage({ count: n, concurrency: CONCURRENCY });
  const r = await result;
  const elu = performance.eventLoopUtilization(elu0);
  const cpuMs = procCpuMs(process.pid, process.pid) - cpu0;
  await profile?.();
  await new Promise((res) => setTimeout(res, 1000));
  gc();
  const m1 = process.memoryUsage();
  if (argv.includes('--heap-snapshot')) console.log(`heap snapshot: ${(await import('node:v8')).writeHeapSnapshot()}`);
  const lat = r.latencies.sort((a, b) => a - b);
  const st = server.status() as { pool: { inUse: number } };
  console.log(`in-memory links, one process: ${r.up} sessions up (${r.failed} failed), ${server.liveCount} live on the server, pool in use ${st.pool.inUse}`);
  // Per session that is live on the server (some may have failed on a loaded machine).
  const live = Math.max(1, server.liveCount);
  console.log(`  memory per idle session live on the server (CHAP + IPCP up, NAT backend, LCP echo 30 s):`);
  console.log(`    server heap  ${kb((m1.heapUsed - m0.heapUsed) / live).padStart(7)} KB   (main isolate: the server's side only)`);
  console.log(`    server ext.  ${kb((m1.external - m0.external) / live).padStart(7)} KB   (Buffers outside the heap, this isolate)`);
  console.log(`    process RSS  ${kb((m1.rss - m0.rss) / live).padStart(7)} KB   (includes the load generator's thread)`);
  console.log(`  setups: ${(r.up / (r.ms / 1000)).toFixed(0)}/s wall, ${(r.up / (cpuMs / 1000)).toFixed(0)} per server core-second (${(cpuMs / r.up).toFixed(2)} ms of server-thread CPU per setup, first setups' JIT warm-up included; event loop ${(elu.utilization * 100).toFixed(0)}% busy), ${CONCURRENCY} in flight`);
  console.log(`  setup latency: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`);
  await worker.terminate();
  await server.stop(0);
}

/**
 * `--cpu-prof-window FILE`: a V8 CPU profile of the server thread during the dials only
 * (not module loading, the forced GCs or the teardown), for `node --cpu-prof`-style study.
 */
async function profileWindow(): Promise<(() => Promise<void>) | undefined> {
  const i = argv.indexOf('--cpu-prof-window');
  if (i < 0) return undefined;
  const file = argv[i + 1]!;
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((res, rej) => session.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`CPU profile of the server thread while dialling: ${file}`);
  };
}

// ---- part 2: workers over TCP ----------------------------------------------------------------

interface WorkerStatus {
  workers?: { pid: number; sessions: number; cpuMs: number }[];
  pool: { inUse: number; size: number };
}

async function overTcp(workers: number, n: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-scale-'));
  // Ports the kernel says are free (a random pick inside the ephemeral range could be one
  // a client socket of the previous part holds).
  const port = await freePort();
  const statusPort = await freePort();
  const conf = path.join(dir, 'isp.conf');
  fs.writeFileSync(conf, [
    `listen-ppp 127.0.0.1:${port}`, `status 127.0.0.1:${statusPort}`, `workers ${workers}`,
    'subnet 100.64.0.0/10', 'gateway 100.64.0.1', 'dns 100.64.0.2', 'pool 100.64.1.0-100.127.255.254',
    'auth chap', 'account demo dialtone', 'max-sessions 65535', 'ipv6-prefix off',
    `max-unauthenticated ${4 * CONCURRENCY}`, `max-unauthenticated-per-source ${4 * CONCURRENCY}`, '',
  ].join('\n'));
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dialtone');
  const child: ChildProcess = spawn(process.execPath, [...(process.env.SCALE_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), bin, 'isp', '--config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString().split('\n').filter((l) => !/\] (local |remote |Deflate|VJ |CHAP peer|.*session started|sent |rcvd )/.test(l)).join('\n')).slice(-4000)));
  const status = async (): Promise<WorkerStatus> => (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as WorkerStatus;
  for (let i = 0; ; i++) {
    try {
      const s = await status();
      if ((s.workers?.length ?? 1) >= workers) break;
    } catch {
      /* not listening yet */
    }
    if (i > 200 || child.exitCode !== null) throw new Error(`dialtone isp did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const sockets: net.Socket[] = [];
  const dial = (k: number) => dialMany(k, CONCURRENCY, () => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  });
  // Warm-up (module loading, JIT) is not a setup cost: some sessions first, not counted.
  const warm = Math.min(500, Math.ceil(n / 4));
  await dial(warm);
  const pids = [child.pid!, ...((await status()).workers ?? []).map((w) => w.pid)];
  const serverCpu = () => pids.reduce((a, p) => a + procCpuMs(p), 0);
  const cpu0 = serverCpu();
  const gen0 = process.cpuUsage();
  // CLOCK_MONOTONIC microseconds, the clock of V8's CPU profiles: the measured window
  // within a server profile (SCALE_SERVER_NODE_ARGS='--cpu-prof ...').
  const w0 = process.hrtime.bigint() / 1000n;
  const r = await dial(n);
  const cpu = serverCpu() - cpu0;
  const w1 = process.hrtime.bigint() / 1000n;
  const gen = process.cpuUsage(gen0);
  const genMs = (gen.user + gen.system) / 1000;
  const st = await status();
  const lat = r.latencies.sort((a, b) => a - b);
  console.log(`workers ${workers}, TCP on 127.0.0.1: ${r.up} sessions up after ${warm} warm-up ones (${r.failed} failed); ${st.workers ? `per worker: ${st.workers.map((w) => w.sessions).join(' + ')}; ` : ''}pool in use ${st.pool.inUse}`);
  console.log(`  setups: ${(r.up / (r.ms / 1000)).toFixed(0)}/s wall (load generator on the same 2 cores), ${(r.up / (cpu / 1000)).toFixed(0)} per server core-second (${(cpu / r.up).toFixed(2)} ms CPU per setup, all server processes)`);
  // What 2 cores could do with the generator elsewhere: the server's CPU per setup is what
  // one core spends, so `workers N` on N free cores would do N / (ms per setup) setups/s.
  console.log(`  load generator (this process): ${(genMs / r.up).toFixed(2)} ms CPU per setup; server + generator ${((cpu + genMs) / r.up).toFixed(2)} ms; with ${workers} free core(s) for the server: ~${Math.round((workers * 1000 * r.up) / cpu)} setups/s`);
  console.log(`  setup latency: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`);
  if (process.env.SCALE_SERVER_NODE_ARGS?.includes('--cpu-prof')) console.log(`  profile window (monotonic us, pids ${pids.join(' ')}): ${w0}-${w1}`);
  if (process.env.SCALE_DEBUG) console.log(stderr);
  for (const s of sockets) s.destroy();
  child.kill('SIGTERM');
  await new Promise((res) => child.once('exit', res));
  fs.rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) console.log('(run with node --expose-gc for steadier memory figures)');
  console.log(`Issue 10 "Why" (TCP sockets, PSS): 5,000 sessions at 23.5 kB each, 16,000 at 33.5 kB; 720-800 setups/s, ~1 ms CPU per setup.`);
  console.log(`Goal: 50,000 idle sessions < 20 KB each; >= 2,000 CHAP+IPCP setups/s per core; workers scale.\n`);
  const parts = argv.includes('--tcp-only') ? [] : [() => inMemory(SESSIONS)];
  if (!argv.includes('--memory-only')) parts.push(() => overTcp(1, TCP_SESSIONS), () => overTcp(2, TCP_SESSIONS));
  for (const p of parts) {
    await p();
    console.log('');
  }
}

if (isMainThread) {
  main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
