/**
 * MPPE throughput (RFC 3078): encrypt and decrypt of 1500-byte random IP packets
 * (protocol 0x0021), 128-bit and 40-bit, stateless (a key change before every packet:
 * one SHA-1 and two RC4 key schedules, what real pppd negotiates) and stateful (one RC4
 * keystream, a key change every 256 packets), each also through HDLC framing
 * (ACCM 0, FCS-16), the way the bytes go down a serial line.
 *
 * Beside them, measured in the same run on the same payload bytes:
 *  - Buffer.copy of each payload (memory bandwidth, the floor of any copy);
 *  - plain HDLC framing (encode / decode), what the link costs without MPPE;
 *  - one MPPE key change alone (us per change), the per-packet overhead of stateless mode.
 *
 * Columns: MB/s of payload (MB = 10^6) per wall-clock second, and process CPU ms per MB
 * (user + system; the steadier figure on a shared machine). Best of --runs (default 3).
 *
 * Usage: node dist/bench/mppe.js [--quick] [--runs N]
 *   --quick: about half a second per figure, for CI logs; no figure is asserted anywhere.
 */

import { randomBytes } from 'node:crypto';
import { HdlcDecoder, HdlcEncoder } from '../src/wire/hdlc.js';
import { MppeDecryptor, MppeEncryptor, PROTO_COMP } from '../src/ppp/ccp/mppe.js';
import { MppeKeySchedule, type MppeStrength } from '../src/ppp/ccp/mppe-keys.js';
import { benchSettings, measure as measureRate, type Rate } from './settings.js';

const SETTINGS = benchSettings();
const { quick: QUICK, runs: RUNS, measureMs: MEASURE_MS } = SETTINGS;

const FRAME = 1500;
const NFRAMES = 256;
const CHUNK = 4096; // a typical tty read
const KEY = randomBytes(16);

const payloads = Array.from({ length: NFRAMES }, () => randomBytes(FRAME));

interface Result {
  mbPerSec: number;
  cpuMsPerMb: number;
}



function line(what: string, r: Result): void {
  console.log(`${what.padEnd(44)} ${r.mbPerSec.toFixed(1).padStart(9)} MB/s   cpu ${r.cpuMsPerMb.toFixed(3).padStart(8)} ms/MB`);
}

const measure = (step: () => number): Rate => measureRate(step, SETTINGS);

let sink = 0;

function benchCopy(): Result {
  const dst = Buffer.allocUnsafe(FRAME);
  return measure(() => {
    let n = 0;
    for (const p of payloads) n += p.copy(dst, 0);
    sink ^= dst[0]!;
    return n;
  });
}

function benchHdlcEncode(): Result {
  const enc = new HdlcEncoder({ accm: 0, fcs32: false });
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      sink ^= enc.encode(0x0021, p).length;
      n += p.length;
    }
    return n;
  });
}

function chunked(wire: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < wire.length; i += CHUNK) chunks.push(wire.subarray(i, i + CHUNK));
  return chunks;
}

function benchHdlcDecode(): Result {
  const enc = new HdlcEncoder({ accm: 0, fcs32: false });
  const chunks = chunked(Buffer.concat(payloads.map((p) => enc.encode(0x0021, p))));
  const dec = new HdlcDecoder({ fcs32: false });
  dec.setRecvAccm(0);
  return measure(() => {
    let n = 0;
    for (const c of chunks) for (const f of dec.push(c)) n += f.payload.length;
    return n;
  });
}

function benchEncrypt(bits: MppeStrength, stateful: boolean, framed: boolean): Result {
  const enc = new MppeEncryptor({ startKey: KEY, bits, stateful });
  const hdlc = new HdlcEncoder({ accm: 0, fcs32: false });
  return measure(() => {
    let n = 0;
    for (const p of payloads) {
      const m = enc.encrypt(0x0021, p);
      sink ^= framed ? hdlc.encode(PROTO_COMP, m).length : m.length;
      n += p.length;
    }
    return n;
  });
}

/**
 * Decrypting needs a fresh stream each step (the coherency count must move on), so the
 * encrypted packets are made ahead: enough for every step of a stateless run, in order.
 */
function benchDecrypt(bits: MppeStrength, stateful: boolean, framed: boolean): Result {
  const enc = new MppeEncryptor({ startKey: KEY, bits, stateful });
  const batches: Buffer[][] = [];
  const hdlc = new HdlcEncoder({ accm: 0, fcs32: false });
  // 16 batches (4096 packets, one count cycle), replayed: the count wraps exactly, so the
  // decryptor's keys stay in step with the stream it sees again.
  for (let b = 0; b < 16; b++) batches.push(payloads.map((p) => enc.encrypt(0x0021, p)));
  const wires = batches.map((ms) => chunked(Buffer.concat(ms.map((m) => hdlc.encode(PROTO_COMP, m)))));
  let dec = new MppeDecryptor({ startKey: KEY, bits, stateful });
  // MPPE adds 4 octets (pppd lowers the interface MTU by MPPE_PAD for it); the bench keeps
  // the same 1500-byte payloads as the plain figures and lets the decoder take 1504.
  const hdlcDec = new HdlcDecoder({ fcs32: false, mru: FRAME + 4 });
  hdlcDec.setRecvAccm(0);
  let b = 0;
  let bad = 0;
  const r = measure(() => {
    if (b === 0) dec = new MppeDecryptor({ startKey: KEY, bits, stateful }); // replay from count 0
    let n = 0;
    if (framed) {
      for (const c of wires[b]!) {
        for (const f of hdlcDec.push(c)) {
          const d = dec.decrypt(f.payload);
          if (d.ok) n += d.info.length;
          else bad++;
        }
      }
    } else {
      for (const m of batches[b]!) {
        const d = dec.decrypt(m);
        if (d.ok) n += d.info.length;
        else bad++;
      }
    }
    b = (b + 1) % batches.length;
    return n;
  });
  if (bad) throw new Error(`${bad} packets failed to decrypt during the bench`);
  if (framed && hdlcDec.stats.framesOk === 0) throw new Error(`no frames decoded: ${JSON.stringify(hdlcDec.stats)}`);
  return r;
}

function keyChangeMicros(bits: MppeStrength): number {
  const k = new MppeKeySchedule(KEY, bits);
  let best = Infinity;
  for (let r = 0; r < RUNS + 1; r++) {
    const n = QUICK ? 2000 : 20000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) k.change();
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    if (r > 0) best = Math.min(best, us); // the first run warms up
  }
  return best;
}

console.log(
  `dialtone MPPE: ${FRAME}-byte random packets, proto 0x0021, node ${process.version}, ` +
    `${QUICK ? 'quick, ' : ''}best of ${RUNS} x ${MEASURE_MS} ms per figure`,
);
console.log('-- ceilings and plain framing (same payload bytes, same run)');
line('Buffer.copy', benchCopy());
line('HDLC encode (ACCM 0, FCS-16), no MPPE', benchHdlcEncode());
line('HDLC decode (ACCM 0, FCS-16), no MPPE', benchHdlcDecode());
console.log('-- MPPE alone');
for (const bits of [128, 40] as const) {
  for (const stateful of [false, true]) {
    const mode = `${bits}-bit ${stateful ? 'stateful ' : 'stateless'}`;
    line(`encrypt ${mode}`, benchEncrypt(bits, stateful, false));
    line(`decrypt ${mode}`, benchDecrypt(bits, stateful, false));
  }
}
console.log('-- MPPE + HDLC framing (what a serial line costs)');
for (const stateful of [false, true]) {
  const mode = `128-bit ${stateful ? 'stateful ' : 'stateless'}`;
  line(`encrypt + encode ${mode}`, benchEncrypt(128, stateful, true));
  line(`decode + decrypt ${mode}`, benchDecrypt(128, stateful, true));
}
console.log(`-- one key change (SHA-1 + 2 RC4 key schedules): 128-bit ${keyChangeMicros(128).toFixed(2)} us, 40-bit ${keyChangeMicros(40).toFixed(2)} us`);
if (sink === 0.5) console.log(''); // keep `sink` observable
