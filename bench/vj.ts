/**
 * VJ TCP/IP header compression (RFC 1144, src/wire/vj.ts): packets per second through the
 * compressor and the decompressor, for three streams of 4096 TCP/IP datagrams:
 *  - bulk:  one connection's 1460-octet data segments (SPECIAL_D, 3-octet headers);
 *  - acks:  the other direction of that transfer, 40-octet pure ACKs (the common case on a
 *           dial-up download: the header is the whole packet);
 *  - mixed: 8 connections interleaved over 16 slots, data of 1..536 octets, ACK and
 *           window changes, some PSH (slot search, 4-octet headers with the slot id).
 * Each step compresses (or decompresses, from the compressor's output made once) the whole
 * stream with a fresh compressor (decompressor), so state starts with UNCOMPRESSED_TCP.
 *
 * The ceilings are measured in the same run, on the same packets:
 *  - copy:        Buffer.copy of each packet into one scratch buffer (memory bandwidth);
 *  - alloc+copy:  a new Buffer per packet, then the copy (what any codec that hands out a
 *                 fresh packet pays at least).
 *
 * Each figure is the best of --runs runs (default 3; the machine may be shared).
 *
 * Usage: node dist/bench/vj.js [--quick] [--runs N]
 *   --quick: about half a second per figure, for CI logs; no figure is asserted anywhere.
 */

import { randomBytes } from 'node:crypto';
import { VjCompressor, VjDecompressor, type VjOutput } from '../src/wire/vj.js';
import { buildTcp, TCP_ACK, TCP_PSH } from '../src/wire/packet.js';
import { benchSettings } from './settings.js';

const { quick: QUICK, runs: RUNS, warmupMs: WARMUP_MS, measureMs: MEASURE_MS } = benchSettings();
const N = 4096;

const CLIENT = 0x0a000202;
const SERVER = 0x0a000201;
const data = randomBytes(1460);

function bulk(): Buffer[] {
  return Array.from({ length: N }, (_, i) => buildTcp({
    src: SERVER, dst: CLIENT, srcPort: 80, dstPort: 40000, seq: 1 + i * 1460, ack: 1000, flags: TCP_ACK | (i % 8 === 7 ? TCP_PSH : 0),
    window: 65535, id: i, payload: data,
  }));
}

function acks(): Buffer[] {
  return Array.from({ length: N }, (_, i) => buildTcp({
    src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 80, seq: 1000, ack: 1 + (i + 1) * 2920, flags: TCP_ACK,
    window: 64240 - (i % 4) * 1460, id: 5000 + i,
  }));
}

function mixed(): Buffer[] {
  const conns = Array.from({ length: 8 }, (_, c) => ({ seq: c * 100_000, ack: c * 7, id: c * 1000, win: 8192 }));
  let x = 2463534242;
  const rnd = (n: number) => {
    // xorshift32: deterministic, so every run measures the same stream.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  return Array.from({ length: N }, () => {
    const c = rnd(8);
    const k = conns[c]!;
    const len = rnd(4) === 0 ? 0 : 1 + rnd(536);
    const p = buildTcp({
      src: CLIENT, dst: SERVER + c, srcPort: 40000 + c, dstPort: 80, seq: k.seq, ack: k.ack, flags: TCP_ACK | (rnd(3) === 0 ? TCP_PSH : 0),
      window: k.win, id: k.id, payload: data.subarray(0, len),
    });
    k.seq += len;
    k.ack += rnd(2) * rnd(1460);
    k.id++;
    if (rnd(8) === 0) k.win = (k.win + 512) & 0xffff;
    return p;
  });
}

interface Result {
  pps: number;
  mbPerSec: number;
}

/** Run `step` (which returns [packets, octets]) until the time is up. */
function timed(step: () => [number, number], ms: number): Result {
  const limit = BigInt(ms) * 1_000_000n;
  const t0 = process.hrtime.bigint();
  let pkts = 0;
  let bytes = 0;
  let el = 0n;
  do {
    const [p, b] = step();
    pkts += p;
    bytes += b;
    el = process.hrtime.bigint() - t0;
  } while (el < limit);
  const s = Number(el) / 1e9;
  return { pps: pkts / s, mbPerSec: bytes / 1e6 / s };
}

function best(step: () => [number, number]): Result {
  timed(step, WARMUP_MS);
  let b: Result = { pps: 0, mbPerSec: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = timed(step, MEASURE_MS);
    if (r.pps > b.pps) b = r;
  }
  return b;
}

let sink = 0;
const octets = (ps: Buffer[]) => ps.reduce((n, p) => n + p.length, 0);

function row(what: string, r: Result): void {
  console.log(`${what.padEnd(34)} ${(r.pps / 1e6).toFixed(3).padStart(8)} Mpkt/s ${r.mbPerSec.toFixed(1).padStart(9)} MB/s of IP`);
}

console.log(`VJ header compression (RFC 1144), ${N} packets per step, best of ${RUNS}${QUICK ? ' (quick)' : ''}`);
for (const [name, make] of [['bulk', bulk], ['acks', acks], ['mixed', mixed]] as const) {
  const pkts = make();
  const size = octets(pkts);
  const probe = new VjCompressor(15, true);
  const compressed: VjOutput[] = pkts.map((p) => probe.compress(p));
  const wire = compressed.reduce((n, o) => n + o.packet.length, 0);
  console.log(`-- ${name}: ${pkts.length} packets, ${size} octets of IP, ${wire} after VJ (${((wire / size) * 100).toFixed(1)}%; ${probe.counters.compressed} compressed, ${probe.counters.uncompressed} uncompressed)`);
  row('compress', best(() => {
    const c = new VjCompressor(15, true);
    for (const p of pkts) sink += c.compress(p).packet.length;
    return [pkts.length, size];
  }));
  row('decompress', best(() => {
    const d = new VjDecompressor(15);
    for (const o of compressed) {
      const ip = o.kind === 'compressed' ? d.compressed(o.packet) : o.kind === 'uncompressed' ? d.uncompressed(o.packet) : o.packet;
      sink += ip?.length ?? 0;
    }
    return [pkts.length, size];
  }));
  const scratch = Buffer.allocUnsafe(65536);
  row('ceiling: copy', best(() => {
    for (const p of pkts) sink += p.copy(scratch);
    return [pkts.length, size];
  }));
  row('ceiling: alloc+copy', best(() => {
    for (const p of pkts) {
      const b = Buffer.allocUnsafe(p.length);
      sink += p.copy(b);
    }
    return [pkts.length, size];
  }));
}
if (sink === 0.5) console.log(sink);
