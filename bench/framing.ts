/**
 * HDLC framing throughput: encode and decode of 1500-byte random IP frames
 * (protocol 0x0021), for ACCM 0 (what pppd normally negotiates: only 7D/7E
 * stuffed, ~0.8% of random octets) and the default ACCM 0xffffffff (every
 * control character escaped too: the worst realistic case, ~14% of random
 * octets stuffed), each with FCS-16 and FCS-32.
 *
 * The ceilings are measured in the same run, on the same payload bytes:
 *  - Buffer.copy of each payload (memory bandwidth, the floor of any copy);
 *  - zlib.crc32 over each payload (the native FCS-32 the framer calls);
 *  - fcs16() over each payload (the JS sliced FCS-16 the framer calls).
 *
 * Columns:
 *  - MB/s: payload (information-field) octets per wall-clock second, MB = 10^6,
 *    over the best whole run;
 *  - peak: the fastest single step (256 frames, 384 kB): on a shared machine
 *    a step often runs unpreempted, so this is near the one-core figure;
 *  - cpu ms/MB: process CPU time (user + system, all threads, so GC helpers
 *    count) per MB; 1.000 ms/MB is 1 GB/s of one core;
 *  - xcopy / xcrc: the figure as a fraction of the Buffer.copy and zlib.crc32
 *    ceilings measured in this run (peak against peak);
 *  - alloc heap / bufs, per MB moved: bytes of JS heap objects (Buffer views,
 *    Frame objects, arrays) and of ArrayBuffer backing stores (the slabs that
 *    frames are built in: the output itself, which the caller keeps).
 *    Method: `--expose-gc` is turned on at startup (v8.setFlagsFromString),
 *    and each window (one step) starts right after two full gc()s; around it
 *    process.memoryUsage() gives heapUsed and arrayBuffers, and a
 *    v8.GCProfiler adds back what any GC inside the window freed (used heap
 *    before minus after), so no window is discarded.  The median of 9
 *    windows, minus that of an empty window (the probes' own garbage), is
 *    scaled to 1 MB.
 *
 * Each figure is the best of --runs runs (default 3; the machine may be shared).
 *
 * Usage: node dist/bench/framing.js [--quick] [--runs N]
 *   --quick: about half a second per figure (3 x 120 ms after 150 ms of
 *            warm-up), for CI logs; no figure is asserted anywhere.
 */

import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as zlib from 'node:zlib';
import { fcs16 } from '../src/wire/fcs.js';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { IN, hdlcKernelsAvailable, useHdlcKernel, type HdlcKernel } from '../src/wire/hdlc-kernel.js';
import { nativeError } from '../src/native/index.js';
import { benchSettings, measure as measureRate, type Rate } from './settings.js';

const SETTINGS = benchSettings();
const { quick: QUICK, runs: RUNS, measureMs: MEASURE_MS } = SETTINGS;

const FRAME = 1500;
const NFRAMES = 256; // 384 KB of payload: one step, and one allocation window
const CHUNK = 4096; // a typical tty read

const payloads = Array.from({ length: NFRAMES }, () => randomBytes(FRAME));

interface Result extends Rate {
  alloc?: Alloc;
}

interface Alloc {
  heap: number;
  bufs: number;
}

// Allocation windows start from a collected heap (see the header).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median bytes (heap, array buffers) allocated by one call of `step`, and what it moved. */
function allocPerStep(step: () => number): { heap: number; bufs: number; moved: number } {
  const heap: number[] = [];
  const bufs: number[] = [];
  let moved = 0;
  for (let w = 0; w < 9; w++) {
    gc();
    gc(); // the second one finishes freeing the first one's ArrayBuffers (swept concurrently)
    const prof = new v8.GCProfiler();
    prof.start();
    const m0 = process.memoryUsage();
    moved = step();
    const m1 = process.memoryUsage();
    let freed = 0;
    for (const g of prof.stop().statistics) {
      freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
    }
    heap.push(m1.heapUsed - m0.heapUsed + freed);
    bufs.push(m1.arrayBuffers - m0.arrayBuffers);
  }
  return { heap: median(heap), bufs: median(bufs), moved };
}

const empty = allocPerStep(() => 0);

function allocPerMb(step: () => number): Alloc {
  const a = allocPerStep(step);
  const mb = a.moved / 1e6;
  return { heap: Math.max(0, a.heap - empty.heap) / mb, bufs: Math.max(0, a.bufs - empty.bufs) / mb };
}

function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n.toFixed(0)} B`;
}

let copyPeak = 0;
let crcPeak = 0;

function line(what: string, r: Result): void {
  const peak = r.peakMbPerSec ?? 0;
  const of = (c: number) => (c > 0 ? (peak / c).toFixed(3) : '-').padStart(6);
  console.log(
    `${what.padEnd(30)} ${r.mbPerSec.toFixed(0).padStart(6)} MB/s  peak ${peak.toFixed(0).padStart(6)} MB/s` +
      `  cpu ${r.cpuMsPerMb.toFixed(3).padStart(6)} ms/MB  xcopy ${of(copyPeak)}  xcrc ${of(crcPeak)}` +
      `  alloc/MB heap ${fmtBytes(r.alloc?.heap).padStart(8)} bufs ${fmtBytes(r.alloc?.bufs).padStart(8)}`,
  );
}

const measure = (step: () => number): Rate => measureRate(step, SETTINGS);

let sink = 0; // keep results observable so nothing is optimised away

function withAlloc(step: () => number): Result {
  const r: Result = measure(step);
  r.alloc = allocPerMb(step);
  return r;
}

function benchEncode(accm: number, fcs32: boolean): Result {
  const enc = new HdlcEncoder({ accm, fcs32 });
  return withAlloc(() => {
    let n = 0;
    for (const p of payloads) {
      sink ^= enc.encode(0x0021, p).length;
      n += p.length;
    }
    return n;
  });
}

function benchDecode(accm: number, fcs32: boolean): Result {
  const enc = new HdlcEncoder({ accm, fcs32 });
  const wire = Buffer.concat(payloads.map((p) => enc.encode(0x0021, p)));
  const chunks: Buffer[] = [];
  for (let i = 0; i < wire.length; i += CHUNK) chunks.push(wire.subarray(i, i + CHUNK));
  const dec = new HdlcDecoder({ fcs32 });
  dec.setRecvAccm(accm); // what we would have asked the peer for
  const r = withAlloc(() => {
    let n = 0;
    for (const c of chunks) for (const f of dec.push(c)) n += f.payload.length;
    return n;
  });
  const s = dec.stats;
  if (s.badFcs + s.runts + s.tooLong + s.aborts + s.badProtocol + s.badAddress !== 0) {
    throw new Error(`decode errors during bench: ${JSON.stringify(s)}`);
  }
  return r;
}

function benchCopy(): Result {
  const dst = Buffer.allocUnsafe(FRAME);
  return measure(() => {
    let n = 0;
    for (const p of payloads) n += p.copy(dst, 0);
    sink ^= dst[0]!;
    return n;
  });
}

function benchCrc32(): Result {
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      sink ^= zlib.crc32(p);
      n += p.length;
    }
    return n;
  });
}

function benchFcs16(): Result {
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      sink ^= fcs16(p);
      n += p.length;
    }
    return n;
  });
}

function benchFcs16Kernel(which: HdlcKernel['name']): Result {
  const k = useHdlcKernel(which);
  useHdlcKernel(true);
  if (k === undefined) return { mbPerSec: 0, cpuMsPerMb: 0 };
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      k.u8.set(p, IN);
      sink ^= k.fcs16(IN, p.length, 0xffff);
      n += p.length;
    }
    return n;
  });
}

console.log(
  `dialtone HDLC framing: ${FRAME}-byte random frames, proto 0x0021, node ${process.version}, ` +
    `${QUICK ? 'quick, ' : ''}best of ${RUNS} x ${MEASURE_MS} ms per figure`,
);
console.log('-- ceilings (same payload bytes, same run)');
const copy = benchCopy();
const crc = benchCrc32();
copyPeak = copy.peakMbPerSec ?? 0;
crcPeak = crc.peakMbPerSec ?? 0;
line('Buffer.copy', copy);
line('zlib.crc32', crc);
line('fcs16() (JS, sliced)', benchFcs16());
const kernels = hdlcKernelsAvailable();
for (const k of kernels) line(`FCS-16 kernel (${k})`, benchFcs16Kernel(k));
const inUse = useHdlcKernel(true)?.name ?? 'none: JS loops';
const why = kernels.includes('native') ? '' : ` (native: ${nativeError() ?? 'no hdlcKernel in this addon build'})`;
console.log(`-- the framer's kernel: ${inUse}${why}`);

function section(fcs32: boolean, title: string): void {
  const f = fcs32 ? 'FCS-32' : 'FCS-16';
  console.log(`-- ${f}${title}`);
  line(`encode ACCM 0x00000000 ${f}`, benchEncode(0, fcs32));
  line(`encode ACCM 0xffffffff ${f}`, benchEncode(0xffffffff, fcs32));
  line(`decode ACCM 0x00000000 ${f}`, benchDecode(0, fcs32));
  line(`decode ACCM 0xffffffff ${f}`, benchDecode(0xffffffff, fcs32));
}
section(false, '');
section(true, '');
if (inUse === 'native' && kernels.includes('wasm')) {
  // The portable path, for comparison (what runs where the addon is not built).
  useHdlcKernel('wasm');
  section(false, ', WebAssembly kernel');
  useHdlcKernel(true);
}
if (sink === 0.5) console.log(sink);
