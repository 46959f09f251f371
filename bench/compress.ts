/**
 * CCP compression throughput: Deflate (RFC 1979, window 15, node:zlib on a persistent
 * stream) and BSD-Compress (RFC 1977, 15-bit codes, LZW in TypeScript), compressing and
 * decompressing 1500-byte IP frames, next to the plain framing figure (async HDLC encode +
 * decode of the same frames, ACCM 0, FCS-16) measured in the same run.
 *
 * Payloads: "text" is this project's TypeScript sources cut into frames (what a line
 * carries when it matters: compressible); "random" is incompressible (the method must
 * notice and send the frame as it is, after putting it in its history).
 *
 * Each step runs a whole sequence of frames through a fresh compressor (or decompressor
 * fed the compressor's output in order, as the peer would see it), so the history
 * behaves as on a link. Columns: MB/s of uncompressed payload per wall-clock second
 * (MB = 10^6); cpu ms/MB (user + system, all threads): the steadier figure on a shared
 * machine; for compression, the line bytes per payload byte (ratio).
 *
 * Each figure is the best of --runs runs (default 3).
 *
 * Usage: node dist/bench/compress.js [--quick] [--runs N]
 *   --quick: about a third of a second per figure, for CI logs; nothing is asserted.
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { DeflateCompressor, DeflateDecompressor } from '../src/ppp/ccp/deflate.js';
import { BsdCompressor, BsdDecompressor } from '../src/ppp/ccp/bsd.js';
import type { Compressor, Decompressor } from '../src/ppp/ccp/method.js';
import { benchSettings, measure as measureRate, type Rate } from './settings.js';

const SETTINGS = benchSettings();
const { quick: QUICK, runs: RUNS, measureMs: MEASURE_MS } = SETTINGS;

const FRAME = 1500;
const NFRAMES = 128; // 192 KB of payload per step

function textFrames(): Buffer[] {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
  const parts: Buffer[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) parts.push(fs.readFileSync(p));
    }
  };
  walk(root);
  const all = Buffer.concat(parts);
  return Array.from({ length: NFRAMES }, (_, i) => Buffer.from(all.subarray((i * FRAME) % (all.length - FRAME), ((i * FRAME) % (all.length - FRAME)) + FRAME)));
}

const payloads = { text: textFrames(), random: Array.from({ length: NFRAMES }, () => randomBytes(FRAME)) };

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
  ratio?: number;
}



const measure = (step: () => number): Rate => measureRate(step, SETTINGS);

let sink = 0; // keep results observable

function line(what: string, r: Result): void {
  const ratio = r.ratio !== undefined ? `   line/payload ${r.ratio.toFixed(3)}` : '';
  console.log(`${what.padEnd(40)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s   cpu ${r.cpuMsPerMb.toFixed(2).padStart(8)} ms/MB${ratio}`);
}

function benchFraming(): Result {
  const enc = new HdlcEncoder({ accm: 0, fcs32: false });
  const dec = new HdlcDecoder({ fcs32: false });
  dec.setRecvAccm(0);
  return measure(() => {
    let n = 0;
    for (const p of payloads.random) {
      for (const f of dec.push(enc.encode(0x0021, p))) n += f.payload.length;
    }
    return n;
  });
}

/** Runs every frame through a fresh compressor; returns the payload bytes and what went on the line. */
function compressAll(make: () => Compressor, frames: Buffer[]): { n: number; wire: number; out: (Buffer | undefined)[] } {
  const c = make();
  let n = 0;
  let wire = 0;
  const out: (Buffer | undefined)[] = [];
  for (const p of frames) {
    const z = c.compress(0x0021, p);
    out.push(z);
    n += p.length;
    wire += (z ?? p).length;
  }
  c.close?.();
  return { n, wire, out };
}

function benchCompress(make: () => Compressor, frames: Buffer[]): Result {
  const once = compressAll(make, frames);
  const r = measure(() => {
    const x = compressAll(make, frames);
    sink ^= x.wire;
    return x.n;
  });
  return { ...r, ratio: once.wire / once.n };
}

function benchDecompress(makeC: () => Compressor, makeD: () => Decompressor, frames: Buffer[]): Result {
  const { out } = compressAll(makeC, frames);
  return measure(() => {
    const d = makeD();
    let n = 0;
    for (let i = 0; i < frames.length; i++) {
      const z = out[i];
      if (!z) {
        d.incomp?.(0x0021, frames[i]!);
        n += frames[i]!.length;
        continue;
      }
      const r = d.decompress(z);
      if (!r.ok) throw new Error(`decompression failed in the bench: ${r.reason}`);
      n += r.frame.info.length;
    }
    d.close?.();
    return n;
  });
}

console.log(`CCP compression, ${NFRAMES} frames of ${FRAME} bytes per step, best of ${RUNS}${QUICK ? ' (quick)' : ''}`);
line('plain framing: HDLC encode+decode', benchFraming());
const METHODS = [
  { name: 'Deflate 15', c: () => new DeflateCompressor(15), d: () => new DeflateDecompressor(15) },
  { name: 'BSD-Compress 15', c: () => new BsdCompressor(15), d: () => new BsdDecompressor(15) },
];
for (const m of METHODS) {
  line(`${m.name} compress text`, benchCompress(m.c, payloads.text));
  line(`${m.name} decompress text`, benchDecompress(m.c, m.d, payloads.text));
  line(`${m.name} compress random`, benchCompress(m.c, payloads.random));
  line(`${m.name} decompress random (incomp)`, benchDecompress(m.c, m.d, payloads.random));
}
if (sink === 0.5) console.log(sink);
