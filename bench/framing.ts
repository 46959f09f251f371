/**
 * HDLC framing throughput: encode and decode of 1500-byte random IP frames
 * (protocol 0x0021), for the default ACCM 0xffffffff (every control char
 * escaped: the worst realistic case, ~14% of random octets stuffed) and
 * ACCM 0 (what pppd normally negotiates), next to Buffer.copy of the same
 * payload bytes as a memory-bandwidth baseline.
 *
 * MB = 10^6 payload (information-field) octets.  Usage: node dist/bench/framing.js
 */

import { randomBytes } from 'node:crypto';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';

const FRAME = 1500;
const NFRAMES = 512;
const WARMUP_MS = 400;
const MEASURE_MS = 1500;
const CHUNK = 4096; // a typical tty read

const payloads = Array.from({ length: NFRAMES }, () => randomBytes(FRAME));

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
}

/** Run `step` (which returns payload octets processed) until the time is up. */
function measure(step: () => number): Result {
  const run = (ms: number) => {
    const limit = BigInt(ms) * 1_000_000n;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    let el = 0n;
    do {
      bytes += step();
      el = process.hrtime.bigint() - t0;
    } while (el < limit);
    const cpu = process.cpuUsage(cpu0);
    const sec = Number(el) / 1e9;
    const mb = bytes / 1e6;
    return { mbPerSec: mb / sec, cpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb };
  };
  run(WARMUP_MS);
  return run(MEASURE_MS);
}

function line(what: string, r: Result): void {
  console.log(
    `${what.padEnd(40)} ${r.mbPerSec.toFixed(1).padStart(8)} MB/s   cpu ${r.cpuMsPerMb.toFixed(3).padStart(7)} ms/MB`,
  );
}

let sink = 0; // keep results observable so nothing is optimised away

function benchEncode(accm: number): Result {
  const enc = new HdlcEncoder({ accm });
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      sink ^= enc.encode(0x0021, p).length;
      n += p.length;
    }
    return n;
  });
}

function benchDecode(accm: number): Result {
  const enc = new HdlcEncoder({ accm });
  const wire = Buffer.concat(payloads.map((p) => enc.encode(0x0021, p)));
  const chunks: Buffer[] = [];
  for (let i = 0; i < wire.length; i += CHUNK) chunks.push(wire.subarray(i, i + CHUNK));
  const dec = new HdlcDecoder({});
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

console.log(
  `dialtone HDLC framing: ${NFRAMES} x ${FRAME}-byte random frames, proto 0x0021, FCS-16, node ${process.version}`,
);
line('encode  ACCM 0xffffffff (default)', benchEncode(0xffffffff));
line('encode  ACCM 0x00000000 (negotiated)', benchEncode(0));
line('decode  ACCM 0xffffffff (default)', benchDecode(0xffffffff));
line('decode  ACCM 0x00000000 (negotiated)', benchDecode(0));
line('Buffer.copy of the same payloads', benchCopy());
if (sink === 0.5) console.log(sink);
