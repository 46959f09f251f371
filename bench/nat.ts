/**
 * Userspace NAT throughput: a client TCP (the test helper, playing the PPP peer's kernel)
 * talks through NatBackend and its sans-IO stack to a real TCP server on 127.0.0.1, over
 * an in-memory link — bare IP packets, and again with every packet put through PPP's
 * HDLC-like framing (HdlcEncoder/HdlcDecoder, ACCM 0) both ways. Direct loopback TCP in
 * the same process is the baseline. Client→host is an upload, host→client a download.
 *
 * CPU time is process.cpuUsage() over the transfer, per MB (10^6 octets). The stack runs'
 * far end (the loopback server that sends or sinks the octets) is another process
 * (bench/nat-far-end.ts), so its socket's CPU is not counted; "cpu" is everything in this
 * process (the peer's client TCP and its half of the framing, dialtone's stack, NAT,
 * framing and host socket); "dialtone" subtracts the peer's work, measured around each
 * batch of it (peerWork), leaving dialtone's CPU per MB. The direct runs keep both ends here.
 * The last two runs ("over a TCP line", viaLine) move the peer into the far end's process
 * and connect it to dialtone over a real TCP connection: there "dialtone" is this whole
 * process, and the far side's CPU per MB is printed beside it.
 *
 * Usage: node dist/bench/nat.js [--quick]   (finishes well within a minute)
 *   --quick: the same runs with 1/12 (stack) and 1/16 (direct) of the octets, a second or
 *            so each, for CI logs (figures are printed, never asserted).
 */
import net from 'node:net';
import v8 from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NatBackend } from '../src/runtime/nat-backend.js';
import type { ClientTcp } from '../src/net/testing/peer.js';
import { CLIENT_ADDRESS, natBenchClient } from './nat-client.js';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { gsoSize, segmentGso } from '../src/wire/gso.js';
import { joinAdjacent } from '../src/wire/join-adjacent.js';

const QUICK = process.argv.includes('--quick');
/** --only=TEXT: run only the lines whose label contains TEXT (for profiling one path). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const STACK_BYTES = (QUICK ? 4 : 48) * 1024 * 1024;
const DIRECT_BYTES = (QUICK ? 16 : 256) * 1024 * 1024;
const CHUNK = randomBytes(64 * 1024);

export interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
  /** JS heap octets allocated per MB moved (GC reclaims plus growth; Buffer memory outside the heap not counted). */
  heapPerMb: number;
  /** Stack runs: the PPP peer's share of cpuMsPerMb (its TCP and its half of the framing). */
  peerCpuMsPerMb?: number;
  /** Runs over a TCP line: the far side's process (the PPP peer and the Internet host), CPU per MB. */
  farCpuMsPerMb?: number;
  /**
   * The part of cpuMsPerMb not on the main thread: V8's optimizing compiler and GC helpers
   * (Linux: from the scheduler's count for the main thread; else undefined).
   */
  backgroundMsPerMb?: number;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
/** The main thread's CPU time so far, ms (Linux), or undefined. */
function mainThreadMs(): number | undefined {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** Direct loopback of the same run, per direction: the ceiling each stack figure is set beside. */
const loopback: { up?: Result; down?: Result } = {};

/** One line of the table; `range`: the lowest and highest dialtone CPU per MB of the runs. */
function line(what: string, r: Result, ceiling?: Result, range?: string): void {
  const pct = ceiling ? `${((100 * r.mbPerSec) / ceiling.mbPerSec).toFixed(0).padStart(4)}% of loopback` : ''.padStart(16);
  const split = r.peerCpuMsPerMb !== undefined || r.farCpuMsPerMb !== undefined;
  const own = split ? `dialtone ${(r.cpuMsPerMb - (r.peerCpuMsPerMb ?? 0)).toFixed(2).padStart(6)} ms/MB` : ''.padStart(24);
  const spread = (range && split ? ` (${range})` : '') + (r.farCpuMsPerMb !== undefined ? `   far side ${r.farCpuMsPerMb.toFixed(2)}` : '');
  const bg = r.backgroundMsPerMb !== undefined ? `   V8 threads ${r.backgroundMsPerMb.toFixed(2)}` : '';
  console.log(`${what.padEnd(46)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s ${pct}   cpu ${r.cpuMsPerMb.toFixed(2).padStart(7)} ms/MB  ${own}${spread}${bg}   heap ${(r.heapPerMb / 1024).toFixed(0).padStart(6)} KiB/MB`);
}

async function measure(bytes: number, run: (done: () => void) => void): Promise<Result> {
  const gc = new v8.GCProfiler();
  const used0 = v8.getHeapStatistics().used_heap_size;
  gc.start();
  const main0 = mainThreadMs();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => run(resolve));
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadMs();
  const stats = gc.stop();
  // Allocated = what the collections reclaimed + what is still in use beyond the start.
  let reclaimed = 0;
  for (const s of stats.statistics) reclaimed += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize);
  const allocated = reclaimed + Math.max(0, v8.getHeapStatistics().used_heap_size - used0);
  const mb = bytes / 1e6;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const backgroundMsPerMb = main0 !== undefined && main1 !== undefined ? Math.max(0, cpuMs - (main1 - main0)) / mb : undefined;
  return { mbPerSec: mb / sec, cpuMsPerMb: cpuMs / mb, heapPerMb: allocated / mb, backgroundMsPerMb };
}

/** Writes `total` octets respecting backpressure, then ends. */
function pour(sock: net.Socket, total: number): void {
  let left = total;
  const go = () => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void sock.once('drain', go);
    }
    sock.end();
  };
  go();
}

async function server(onConn: (s: net.Socket) => void): Promise<{ srv: net.Server; port: number }> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as net.AddressInfo).port };
}

export async function direct(dir: 'up' | 'down', bytes: number): Promise<Result> {
  let finish!: () => void;
  let got = 0;
  const { srv, port } = await server((s) => {
    if (dir === 'up') {
      s.on('data', (d) => { got += d.length; if (got >= bytes) finish(); });
    } else {
      pour(s, bytes);
    }
  });
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  c.on('error', () => {});
  await new Promise<void>((r) => c.once('connect', () => r()));
  const r = await measure(bytes, (done) => {
    finish = done;
    if (dir === 'up') pour(c, bytes);
    else c.on('data', (d) => { got += d.length; if (got >= bytes) done(); });
  });
  c.destroy();
  srv.close();
  return r;
}

/**
 * CPU spent on the PPP peer's side (the client TCP and the peer's half of the framing:
 * decoding what dialtone sent, encoding what it sends), microseconds, measured around
 * each batch of that work with process.cpuUsage() and subtracted to give dialtone's share.
 */
let peerCpuUs = 0;
function peerWork<T>(f: () => T): T {
  const c0 = process.cpuUsage();
  try {
    return f();
  } finally {
    const c = process.cpuUsage(c0);
    peerCpuUs += c.user + c.system;
  }
}

/** The most a socket read gives at once (Node's stream reads and libuv's are 64 KiB). */
const LINE_READ = 64 * 1024;

/**
 * Frames of one turn as the reads of a byte-stream line would bring them to the other side:
 * back to back, up to LINE_READ octets per read (a real line, a TCP socket or a pty, keeps
 * no frame boundaries; one decoder call per frame would charge the reader a call per frame
 * that no real link makes it pay). The joining is the line's work, counted as the peer's.
 */
function lineReads(sent: Buffer[]): Buffer[] {
  // Frames built one after another lie back to back in the encoder's slab: joined as views.
  const frames = joinAdjacent(sent);
  const reads: Buffer[] = [];
  let from = 0;
  let n = 0;
  // frames[from, to) as one read (a lone frame as it is).
  const read = (to: number) => {
    reads.push(to - from === 1 ? frames[from]! : Buffer.concat(frames.slice(from, to), n));
    from = to;
    n = 0;
  };
  for (let i = 0; i < frames.length; i++) {
    if (n + frames[i]!.length > LINE_READ && i > from) read(i);
    n += frames[i]!.length;
  }
  if (from < frames.length) read(frames.length);
  return reads;
}

/**
 * Segmentation offload (src/wire/gso.ts), as a session on an async HDLC line has it:
 * the stack sends TCP super-segments and the framer cuts them. DIALTONE_BENCH_GSO=0 turns
 * it off (one packet per segment, as before it) for comparison.
 */
const GSO = process.env.DIALTONE_BENCH_GSO !== '0';

/** A packet from the stack framed onto `out` as the session frames it (super-segments cut by the framer). */
function frameInto(enc: HdlcEncoder, p: Buffer, out: Buffer[]): void {
  const mss = gsoSize(p);
  if (mss && enc.encodeSegments(0x0021, p, mss, out)) return;
  if (mss) for (const s of segmentGso(p, mss)) out.push(enc.encode(0x0021, s));
  else out.push(enc.encode(0x0021, p));
}

/**
 * The PPP peer's side of the in-memory link, optionally through HDLC framing. What
 * dialtone sends is queued as it comes (framed, when framing: that is dialtone's work) and
 * taken in by the peer once per event-loop turn, as line reads (lineReads); the peer's
 * packets are framed by the peer, reach dialtone as line reads too and are deframed by
 * dialtone's decoder, which hands them to the backend.
 */
class Link {
  private queued = false;
  private readonly timer: NodeJS.Timeout;
  private readonly encUp = new HdlcEncoder({ accm: 0 });
  private readonly decUp = new HdlcDecoder({});
  private readonly encDown = new HdlcEncoder({ accm: 0 });
  private readonly decDown = new HdlcDecoder({});
  /** Frames (or bare packets) dialtone sent, not yet taken in by the peer. */
  private down: Buffer[] = [];

  constructor(private readonly backend: NatBackend, private readonly client: ClientTcp, private readonly framing: boolean) {
    this.decUp.setRecvAccm(0);
    this.decDown.setRecvAccm(0);
    backend.attach((p) => {
      // The stack's packets are the caller's to keep (a copy only in bare mode would hide
      // a pooled buffer being reused too early).
      if (this.framing) frameInto(this.encDown, p, this.down);
      else this.down.push(p);
      this.flush();
    }, { gso: framing && GSO });
    this.timer = setInterval(() => {
      peerWork(() => client.tick(Date.now()));
      this.flush();
    }, 5);
  }

  flush(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const down = this.down;
      this.down = [];
      const up = peerWork(() => {
        const now = Date.now();
        if (this.framing) {
          for (const d of lineReads(down)) for (const f of this.decDown.push(d)) this.client.input(f.payload, now);
        } else {
          for (const d of down) this.client.input(d, now);
        }
        const ps = this.client.takePackets();
        return this.framing ? lineReads(ps.map((p) => this.encUp.encode(0x0021, p))) : ps;
      });
      for (const u of up) {
        if (this.framing) for (const f of this.decUp.push(u)) this.backend.deliver(f.payload);
        else this.backend.deliver(u);
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.backend.detach();
  }
}

/** The far end (bench/nat-far-end.ts) in its own process, started once. */
let far: { child: ChildProcess; port: number } | undefined;
async function farEnd(): Promise<{ child: ChildProcess; port: number }> {
  if (far) return far;
  const child = fork(fileURLToPath(new URL('./nat-far-end.js', import.meta.url)), [], { stdio: 'inherit' });
  const port = await new Promise<number>((r) => child.on('message', (m: { port?: number }) => m.port !== undefined && r(m.port)));
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  return (far = { child, port });
}

/** The far end's next message that carries `key`. */
function fromFarEnd(child: ChildProcess, key: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!m[key]) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
}

/** dialtone's NAT as the stack runs have it: TCP send and receive buffers of `buffers` octets. */
function natBackend(buffers: number): NatBackend {
  return new NatBackend({ client: CLIENT_ADDRESS, tcpSendBuffer: buffers, tcpRecvBuffer: buffers, tcpMinRto: 200 });
}

export async function viaStack(dir: 'up' | 'down', bytes: number, framing: boolean, buffers: number): Promise<Result> {
  const { child, port } = await farEnd();
  const accepted = fromFarEnd(child, 'accepted');
  const backend = natBackend(buffers);
  const client = natBenchClient(port);
  const link = new Link(backend, client, framing);
  client.connect(Date.now());
  link.flush();
  await accepted;
  while (!client.established) await new Promise((r) => setTimeout(r, 1));
  peerCpuUs = 0;
  const r = await measure(bytes, (done) => {
    if (dir === 'up') {
      void fromFarEnd(child, 'done').then(() => done());
      child.send({ sink: bytes });
      // The upload is the one random chunk queued over and over (a client's send queue
      // keeps the chunks; nothing is copied or touched before the segments are built).
      peerWork(() => {
        for (let left = bytes; left > 0; left -= CHUNK.length) client.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left), Date.now());
      });
      link.flush();
    } else {
      child.send({ pour: bytes });
      const poll = setInterval(() => {
        if (client.receivedBytes >= bytes) {
          clearInterval(poll);
          done();
        }
      }, 1);
    }
  });
  r.peerCpuMsPerMb = peerCpuUs / 1000 / (bytes / 1e6);
  if (process.env.NAT_BENCH_STATS) console.log(JSON.stringify({ tcp: backend.stats().tcp, client: { sent: client.segmentsSent } }));
  link.close();
  return r;
}

/**
 * The same path with the PPP peer where a real one is: in another process (the far end's,
 * bench/nat-far-end.ts), on the other end of a TCP connection that is dialtone's line, as an
 * emulator's or a modem bank's TCP line is. dialtone's process holds only dialtone: it reads
 * the line (64 KiB reads, frames back to back), deframes and hands the packets to the NAT;
 * the NAT's packets are framed and written to the line once per event-loop turn, the frames
 * lying back to back as one write (as the runtime's driver does: joinAdjacent). Its CPU is this whole process's; the MB/s is
 * what two processes on two cores move, neither waiting for the other's CPU.
 */
export async function viaLine(dir: 'up' | 'down', bytes: number, buffers: number): Promise<Result> {
  const { child } = await farEnd();
  const backend = natBackend(buffers);
  const enc = new HdlcEncoder({ accm: 0 });
  const dec = new HdlcDecoder({});
  dec.setRecvAccm(0);
  let line: net.Socket | undefined;
  let out: Buffer[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    const frames = joinAdjacent(out);
    out = [];
    if (!line || line.destroyed) return;
    line.cork();
    for (const f of frames) line.write(f);
    line.uncork();
  };
  backend.attach((p) => {
    frameInto(enc, p, out);
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  }, { gso: GSO });
  const { srv, port: linePort } = await server((s) => {
    line = s;
    s.on('data', (d: Buffer) => {
      for (const f of dec.push(d)) backend.deliver(f.payload);
    });
  });
  const established = fromFarEnd(child, 'established');
  child.send({ peer: linePort });
  await established;
  let farCpuUs = 0;
  const r = await measure(bytes, (done) => {
    void fromFarEnd(child, 'done').then((m) => {
      farCpuUs = Number(m.cpuUs ?? 0);
      done();
    });
    child.send(dir === 'up' ? { upload: bytes } : { download: bytes });
  });
  r.farCpuMsPerMb = farCpuUs / 1000 / (bytes / 1e6);
  child.send({ unpeer: true });
  backend.detach();
  line?.destroy();
  srv.close();
  return r;
}

/**
 * Measured runs per line, after one unmeasured run of the same kind: the figures are
 * steady state. Without that run a line carried V8 still compiling the path it takes on
 * its background threads, which process.cpuUsage() counts: 37-50 ms of TurboFan per
 * 48 MiB run even as the seventh stack run of the process (0.7-1.0 ms/MB), and a
 * path's first 48 MiB cost twice the CPU per MB of its fourth.
 */
const RUNS = QUICK ? 1 : 5;

/** dialtone's own CPU per MB in a result (the peer's work taken out). */
const own = (r: Result) => r.cpuMsPerMb - (r.peerCpuMsPerMb ?? 0);

/**
 * One unmeasured run of `f`, then `runs` measured: the one with the median CPU per MB, and
 * dialtone's range over them ("lo-hi" ms/MB).
 */
export async function medianRun(f: () => Promise<Result>, runs = RUNS): Promise<{ r: Result; range: string }> {
  await f();
  const rs: Result[] = [];
  for (let i = 0; i < runs; i++) rs.push(await f());
  rs.sort((a, b) => own(a) - own(b));
  return { r: rs[rs.length >> 1]!, range: `${own(rs[0]!).toFixed(2)}-${own(rs[rs.length - 1]!).toFixed(2)}` };
}

/** Runs one labelled measurement unless --only excludes it: the run with the median CPU per MB. */
async function run(label: string, f: () => Promise<Result>, ceiling?: Result): Promise<Result | undefined> {
  if (ONLY !== undefined && !label.includes(ONLY)) return undefined;
  const { r, range } = await medianRun(f);
  line(label, r, ceiling, RUNS > 1 ? range : undefined);
  return r;
}

/** Most pairs of framed runs settle() makes. */
const SETTLE_MAX = 12;
/** Pairs of TCP-line runs settle() makes after those. */
const LINE_SETTLE = 4;

/**
 * Runs the framed path both ways until V8's background threads take under a tenth of the
 * main thread's CPU per MB (or SETTLE_MAX pairs of runs): its optimizing compiler works
 * there, counted by process.cpuUsage(), and kept at it for ~7 runs of 48 MiB in a fresh
 * process (functions called once per read or per batch get hot late; sequence numbers
 * passing 2^31 deoptimize the TCP code once). What stays is the garbage collector's share.
 * Without the scheduler's per-thread count (not Linux), a fixed three pairs.
 */
export async function settle(): Promise<void> {
  let n = 0;
  let last: Result[] = [];
  while (n < SETTLE_MAX) {
    n++;
    last = [await viaStack('up', STACK_BYTES, true, 256 * 1024), await viaStack('down', STACK_BYTES, true, 256 * 1024)];
    if (last.some((r) => r.backgroundMsPerMb === undefined)) {
      if (n >= 3) break;
      continue;
    }
    if (last.every((r) => r.backgroundMsPerMb! < 0.1 * (r.cpuMsPerMb - r.backgroundMsPerMb!))) break;
  }
  const bg = last.map((r) => r.backgroundMsPerMb?.toFixed(2) ?? '?').join(' / ');
  // The TCP-line runs' far side is a process of its own, compiling the peer's path the first
  // time it runs it: in a fresh one the first four runs each way moved 47-110 MB/s, the
  // next 155-191. Its compiler is not seen from here, so a fixed number of runs.
  for (let i = 0; i < LINE_SETTLE; i++) {
    await viaLine('up', STACK_BYTES, 256 * 1024);
    await viaLine('down', STACK_BYTES, 256 * 1024);
  }
  console.log(`(warm-up: ${n} framed runs each way until V8's compiler is done, V8 threads then ${bg} ms/MB up / down; ${LINE_SETTLE} over the TCP line)`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`dialtone userspace NAT: TCP through NetStack + NatBackend to a loopback server, node ${process.version}`);
  console.log(`(stack runs: ${STACK_BYTES / 2 ** 20} MiB each; direct: ${DIRECT_BYTES / 2 ** 20} MiB; MB = 10^6 octets;`);
  console.log(` each line: one unmeasured run of its kind, then ${RUNS === 1 ? 'one measured run' : `the median of ${RUNS} (dialtone's range after it)`})`);
  loopback.up = await run('direct loopback TCP  client→host', () => direct('up', DIRECT_BYTES));
  loopback.down = await run('direct loopback TCP  host→client', () => direct('down', DIRECT_BYTES));
  if (ONLY === undefined || ONLY.length > 0) await settle();
  for (const buffers of [64 * 1024, 256 * 1024]) {
    const kb = `${buffers / 1024} KiB bufs`;
    await run(`stack, bare IP       client→host  ${kb}`, () => viaStack('up', STACK_BYTES, false, buffers), loopback.up);
    await run(`stack, bare IP       host→client  ${kb}`, () => viaStack('down', STACK_BYTES, false, buffers), loopback.down);
  }
  // 256 KiB is NetStack's default (tcpSendBuffer, tcpRecvBuffer); 64 KiB was, before issue 15.
  for (const buffers of [64 * 1024, 256 * 1024]) {
    const kb = `${buffers / 1024} KiB bufs`;
    await run(`stack + HDLC framing client→host  ${kb}`, () => viaStack('up', STACK_BYTES, true, buffers), loopback.up);
    await run(`stack + HDLC framing host→client  ${kb}`, () => viaStack('down', STACK_BYTES, true, buffers), loopback.down);
  }
  await run('over a TCP line, peer in its process  client→host', () => viaLine('up', STACK_BYTES, 256 * 1024), loopback.up);
  await run('over a TCP line, peer in its process  host→client', () => viaLine('down', STACK_BYTES, 256 * 1024), loopback.down);
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  far?.child.kill();
}

// bench/anchors imports the measurements; run as a script, this prints the table.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main().then(() => process.exit(0));
