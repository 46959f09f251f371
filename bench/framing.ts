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
 *  - MB/s: payload (information-field) octets per wall-clock second, MB = 10^6;
 *  - cpu ms/MB: process CPU time (user + system, all threads, so GC helpers
 *    count) per MB -- on a shared machine this is the steadier figure;
 *  - alloc B/MB: bytes allocated per MB moved.  Method: the same step is run
 *    in windows of ~0.4 MB; around each window v8.GCProfiler tells whether any
 *    GC ran, and process.memoryUsage() gives heapUsed (JS objects: Buffer
 *    views, Frame objects, arrays) + arrayBuffers (backing stores, e.g. Node's
 *    8 KiB Buffer pool slabs).  Windows with a GC are discarded (the delta
 *    would be net of what was freed); the median delta of the rest, minus that
 *    of an empty window (memoryUsage's own garbage), is scaled to 1 MB.
 *
 * Each figure is the best of --runs runs (default 3; the machine may be shared).
 *
 * Usage: node dist/bench/framing.js [--quick] [--runs N]
 *   --quick: about half a second per figure (3 x 120 ms after 150 ms of
 *            warm-up), for CI logs; no figure is asserted anywhere.
 */

import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import * as zlib from 'node:zlib';
import { fcs16 } from '../src/wire/fcs.js';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { benchSettings, measure as measureRate, type Rate } from './settings.js';

const SETTINGS = benchSettings();
const { quick: QUICK, runs: RUNS, measureMs: MEASURE_MS } = SETTINGS;

const FRAME = 1500;
const NFRAMES = 256; // 384 KB of payload: one step, and one allocation window
const CHUNK = 4096; // a typical tty read

const payloads = Array.from({ length: NFRAMES }, () => randomBytes(FRAME));

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
  allocPerMb?: number;
}


function allocated(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median bytes allocated by one call of `step` among windows without a GC. */
function allocPerStep(step: () => number): { bytes: number; moved: number } | undefined {
  const deltas: number[] = [];
  let moved = 0;
  for (let w = 0; w < 40 && deltas.length < 9; w++) {
    const prof = new v8.GCProfiler();
    prof.start();
    const a0 = allocated();
    moved = step();
    const a1 = allocated();
    const gcs = prof.stop().statistics.length;
    if (gcs === 0) deltas.push(a1 - a0);
  }
  return deltas.length ? { bytes: median(deltas), moved } : undefined;
}

const emptyAlloc = allocPerStep(() => 0)?.bytes ?? 0;


function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '(GC in every window)';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n.toFixed(0)} B`;
}

function line(what: string, r: Result): void {
  console.log(
    `${what.padEnd(38)} ${r.mbPerSec.toFixed(1).padStart(9)} MB/s   cpu ${r.cpuMsPerMb.toFixed(3).padStart(7)} ms/MB   alloc ${fmtBytes(r.allocPerMb).padStart(9)}/MB`,
  );
}

const measure = (step: () => number): Rate => measureRate(step, SETTINGS);

let sink = 0; // keep results observable so nothing is optimised away

function benchEncode(accm: number, fcs32: boolean): Result {
  const enc = new HdlcEncoder({ accm, fcs32 });
  return measure(() => {
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
  const r = measure(() => {
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

console.log(
  `dialtone HDLC framing: ${FRAME}-byte random frames, proto 0x0021, node ${process.version}, ` +
    `${QUICK ? 'quick, ' : ''}best of ${RUNS} x ${MEASURE_MS} ms per figure`,
);
console.log('-- ceilings (same payload bytes, same run)');
line('Buffer.copy', benchCopy());
line('zlib.crc32', benchCrc32());
line('fcs16 (JS, sliced)', benchFcs16());
for (const fcs32 of [false, true]) {
  const f = fcs32 ? 'FCS-32' : 'FCS-16';
  console.log(`-- ${f}`);
  line(`encode  ACCM 0x00000000  ${f}`, benchEncode(0, fcs32));
  line(`encode  ACCM 0xffffffff  ${f}`, benchEncode(0xffffffff, fcs32));
  line(`decode  ACCM 0x00000000  ${f}`, benchDecode(0, fcs32));
  line(`decode  ACCM 0xffffffff  ${f}`, benchDecode(0xffffffff, fcs32));
}
if (sink === 0.5) console.log(sink);
