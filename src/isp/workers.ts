/**
 * `workers N` in isp.conf: `dialtone isp` on N cores with node:cluster (docs/isp-scale.md).
 *
 * The primary forks N workers and serves nothing itself but the status endpoint: each
 * worker runs an IspServer whose listeners are shared through cluster (the kernel hands each
 * connection to one of them: cluster.SCHED_NONE), and whose pool is a LeasedPool of blocks from the
 * primary's BlockLedger (workers-pool.ts explains the choice). `max-sessions` is split
 * between the workers; the modem bank and its direct-connect ports run in worker 1 only (so
 * `modem-lines` keeps its meaning). /status and /metrics ask every worker and merge. A worker
 * that dies has its blocks taken back (its sessions' addresses are free again) and is
 * replaced.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { AddressPool } from './pool.js';
import { BlockLedger, LeasedPool, blockSize, type PoolReply, type PoolRequest } from './workers-pool.js';
import type { IspConfig } from './config.js';

type StatusRequest = { status: number; kind: 'status' | 'metrics' };
type StatusReply = { statusReply: number; body: unknown };

/** Per worker in /status: process id, sessions, CPU milliseconds since it started. */
export interface WorkerInfo {
  index: number;
  pid: number;
  sessions: number;
  cpuMs: number;
  addressesHeld: number;
}

export interface PrimaryHandle {
  stop(): Promise<void>;
  /** SIGHUP: every worker rereads the file. */
  reload(): void;
  readonly status?: { address: string; port: number };
}

/** The worker's view: its index (0-based), its config share, and its pool. */
export interface WorkerContext {
  index: number;
  config: IspConfig;
  pool: LeasedPool;
  /** Replies to the primary's status requests. */
  onStatus(answer: (kind: 'status' | 'metrics') => unknown): void;
}

/** In the primary: forks `config.workers` workers and runs the merged status endpoint. */
export async function runPrimary(config: IspConfig, log: (m: string) => void): Promise<PrimaryHandle> {
  const n = config.workers;
  // The workers accept on the shared listening sockets themselves (the kernel picks one):
  // round-robin in the primary would pass every connection's descriptor over IPC.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const pool = AddressPool.parse(config.pool);
  const ledger = new BlockLedger(pool.first, pool.last, blockSize(pool.size, n));
  const byIndex = new Map<number, Worker>();
  let stopping = false;
  let nextRequest = 1;
  const pending = new Map<number, (body: unknown) => void>();

  const fork = (index: number) => {
    const w = cluster.fork({ DIALTONE_ISP_WORKER: String(index) });
    byIndex.set(index, w);
    w.on('message', (m: PoolRequest | StatusReply) => {
      if ('pool' in m) {
        if (m.pool === 'lease') {
          const lease = ledger.lease(w.id);
          w.send((lease ? { pool: 'grant', lease } : { pool: 'none' }) satisfies PoolReply);
        } else {
          ledger.giveBack(w.id, m.start);
        }
      } else if ('statusReply' in m) {
        pending.get(m.statusReply)?.(m.body);
      }
    });
    // A send to a worker that is dying fails with ERR_IPC_CHANNEL_CLOSED as an 'error' event on
    // the Worker: unheard, it would end the primary (and with it /status and the pool).
    w.on('error', (e) => !stopping && log(`worker ${index + 1}: ${e.message}`));
    w.on('exit', (code, signal) => {
      const freed = ledger.releaseAll(w.id);
      if (byIndex.get(index) === w) byIndex.delete(index);
      if (stopping) return;
      log(`worker ${index + 1} (pid ${w.process.pid}) exited (${signal ?? code}); ${freed} address block(s) back in the pool; restarting it`);
      setTimeout(() => !stopping && fork(index), 1000).unref();
    });
  };
  for (let i = 0; i < n; i++) fork(i);

  const ask = async (kind: 'status' | 'metrics') => {
    const answers = await Promise.all([...byIndex.entries()].map(([index, w]) => new Promise<{ index: number; body: unknown }>((resolve) => {
      const id = nextRequest++;
      const t = setTimeout(() => (pending.delete(id), resolve({ index, body: undefined })), 5000);
      const done = (body: unknown) => (clearTimeout(t), pending.delete(id), resolve({ index, body }));
      // A worker killed a moment ago is still listed until its 'exit': it answers nothing.
      if (!w.isConnected()) return done(undefined);
      pending.set(id, done);
      w.send({ status: id, kind } satisfies StatusRequest, (err) => err && done(undefined));
    })));
    return answers.sort((a, b) => a.index - b.index);
  };

  let server: http.Server | undefined;
  let address: { address: string; port: number } | undefined;
  if (config.status) {
    server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url === '/status') {
        void ask('status').then((all) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(mergeStatus(all, ledger.size)));
        });
      } else if (url === '/metrics') {
        void ask('metrics').then((all) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(mergeMetrics(all.map((a) => ({ index: a.index, text: typeof a.body === 'string' ? a.body : '' }))));
        });
      } else {
        res.writeHead(404).end('with workers, the primary serves /status and /metrics\n');
      }
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(config.status!.port, config.status!.host, () => resolve());
    });
    address = s.address() as { address: string; port: number };
  }
  log(`primary: ${n} workers, pool ${config.pool} in blocks of ${ledger.block}`);
  return {
    status: address,
    reload: () => {
      for (const w of byIndex.values()) w.process.kill('SIGHUP');
    },
    stop: async () => {
      stopping = true;
      server?.close();
      server?.closeAllConnections();
      await Promise.all([...byIndex.values()].map((w) => new Promise<void>((resolve) => {
        if (w.isDead()) return resolve();
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
      })));
    },
  };
}

/** True in a process forked by runPrimary. */
export function isIspWorker(): boolean {
  return cluster.isWorker && process.env.DIALTONE_ISP_WORKER !== undefined;
}

/** In a worker: its share of the config and its leased pool, with the first block in hand. */
export async function workerContext(config: IspConfig): Promise<WorkerContext> {
  const index = Number(process.env.DIALTONE_ISP_WORKER);
  const n = config.workers;
  const whole = AddressPool.parse(config.pool);
  const block = blockSize(whole.size, n);
  const pool = new LeasedPool(whole.size, block, (r) => process.send!(r));
  let answer: ((kind: 'status' | 'metrics') => unknown) | undefined;
  let first!: () => void;
  const granted = new Promise<void>((r) => (first = r));
  process.on('message', (m: PoolReply | StatusRequest) => {
    if ('pool' in m) {
      pool.reply(m);
      first();
    } else if ('status' in m) {
      process.send!({ statusReply: m.status, body: answer?.(m.kind) } satisfies StatusReply);
    }
  });
  pool.want();
  await granted;
  const share = Math.floor(config.maxSessions / n) + (index < config.maxSessions % n ? 1 : 0);
  const mine: IspConfig = {
    ...config,
    maxSessions: Math.max(1, share),
    status: undefined,
    ...(index === 0 ? {} : { listenModem: undefined, listenModemIp232: undefined, listenModemWs: undefined, listenDirect: undefined, listenDirectWs: undefined }),
  };
  return { index, config: mine, pool, onStatus: (a) => (answer = a) };
}

/** What a worker answers for /status: the server's document plus its process figures. */
export function workerStatus(index: number, status: Record<string, unknown>, sessions: number, pool: LeasedPool): Record<string, unknown> {
  const cpu = process.cpuUsage();
  const worker: WorkerInfo = { index: index + 1, pid: process.pid, sessions, cpuMs: Math.round((cpu.user + cpu.system) / 1000), addressesHeld: pool.held };
  return { ...status, worker };
}

type Doc = Record<string, unknown> & { sessions?: unknown[]; worker?: WorkerInfo; totals?: Record<string, number>; pool?: { inUse: number } };

/** The workers' /status documents as one: sessions listed together, totals and pool use summed. */
export function mergeStatus(all: { index: number; body: unknown }[], poolSize: number): Record<string, unknown> {
  const docs = all.map((a) => a.body as Doc | undefined);
  const live = docs.filter((d): d is Doc => !!d);
  const totals: Record<string, number> = {};
  for (const d of live) for (const [k, v] of Object.entries(d.totals ?? {})) if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
  const first = live[0] ?? {};
  return {
    ...first,
    sessions: live.flatMap((d) => d.sessions ?? []),
    totals,
    pool: { ...(first.pool ?? {}), size: poolSize, inUse: live.reduce((a, d) => a + (d.pool?.inUse ?? 0), 0) },
    workers: docs.map((d, i) => d?.worker ?? { index: all[i]!.index + 1, pid: 0, sessions: 0, cpuMs: 0, addressesHeld: 0, unanswered: true }),
  };
}

/** Prometheus text from every worker, each sample labelled worker="N" (HELP/TYPE once). */
export function mergeMetrics(all: { index: number; text: string }[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { index, text } of all) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      if (line.startsWith('#')) {
        if (!seen.has(line)) (seen.add(line), out.push(line));
        continue;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s(.*)$/.exec(line);
      if (!m) continue;
      const labels = m[3] ? `${m[3]},worker="${index + 1}"` : `worker="${index + 1}"`;
      out.push(`${m[1]}{${labels}} ${m[4]}`);
    }
  }
  return `${out.join('\n')}\n`;
}
