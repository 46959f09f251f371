/**
 * The optimized HDLC encoder/decoder against a deliberately naive reference
 * encoder (octet at a time, bitwise CRCs, RFC 1662 rules spelled out), under
 * random frames, ACCMs, escape maps, header compression, FCS sizes and
 * chunkings of the received stream.  The frames are biased towards what the
 * fast paths special-case: runs long and short between 7D/7E, and octets that
 * are (or are not) in the ACCM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FCS16_TABLE, fcs16, fcs16Range, fcs32, crc32Portable } from './fcs.js';
import { HdlcDecoder, HdlcEncoder, type DecoderStats, type Frame, type TxConfig } from './hdlc.js';
import { IN, IN_MAX, OUT, hdlcKernelsAvailable, useHdlcKernel, type HdlcKernel } from './hdlc-kernel.js';
import { nativeError } from '../native/index.js';

type Which = HdlcKernel['name'] | false;
/** Every implementation here: the C kernel (addon built), the WebAssembly one, the portable JS loops. */
const KERNELS: Which[] = [...hdlcKernelsAvailable(), false];
const label = (k: Which) => (k === false ? 'JS loops' : `${k} kernel`);

function withKernel<T>(on: Which, f: () => T): T {
  useHdlcKernel(on);
  try {
    return f();
  } finally {
    useHdlcKernel(true);
  }
}

/** Bit-at-a-time CRC (RFC 1662 §C), independent of any table. */
function crcBitwise(data: Uint8Array, poly: number, init: number): number {
  let r = init >>> 0;
  for (const b of data) {
    r ^= b;
    for (let i = 0; i < 8; i++) r = r & 1 ? (r >>> 1) ^ poly : r >>> 1;
  }
  return r >>> 0;
}

/** RFC 1662 framing, the obvious way. */
function referenceEncode(cfg: TxConfig, protocol: number, payload: Uint8Array): Buffer {
  const lcp = protocol === 0xc021;
  const raw: number[] = [];
  if (lcp || !cfg.acfc) raw.push(0xff, 0x03);
  if (!lcp && cfg.pfc && protocol < 0xff && protocol & 1) raw.push(protocol);
  else raw.push(protocol >>> 8, protocol & 0xff);
  raw.push(...payload);
  if (cfg.fcs32) {
    const v = ~crcBitwise(Uint8Array.from(raw), 0xedb88320, 0xffffffff) >>> 0;
    raw.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  } else {
    const v = crcBitwise(Uint8Array.from(raw), 0x8408, 0xffff) ^ 0xffff;
    raw.push(v & 0xff, v >>> 8);
  }
  const mustEscape = (c: number) => {
    if (c === 0x7e || c === 0x7d) return true;
    if (c < 0x20 && (lcp || (cfg.accm >>> c) & 1)) return true;
    return c !== 0x5e && ((cfg.escape[c >> 3]! >> (c & 7)) & 1) === 1;
  };
  const out = [0x7e];
  for (const c of raw) {
    if (mustEscape(c)) out.push(0x7d, c ^ 0x20);
    else out.push(c);
  }
  out.push(0x7e);
  return Buffer.from(out);
}

const special = [0x7e, 0x7d, 0x5e, 0x5d, 0x00, 0x11, 0x13, 0x1f, 0x20, 0xff, 0x03];

/** Payloads of random octets, of special octets, and of long plain runs, mixed. */
const arbPayload = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }) },
      { weight: 2, arbitrary: fc.array(fc.constantFrom(...special), { maxLength: 8 }).map((a) => Uint8Array.from(a)) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.integer({ min: 0x80, max: 0xfc }), fc.integer({ min: 1, max: 600 }))
          .map(([b, n]) => new Uint8Array(n).fill(b)),
      },
    ),
    { maxLength: 12 },
  )
  .map((parts) => {
    const b = Buffer.concat(parts);
    return b.subarray(0, 3000);
  });

const arbProtocol = fc.oneof(
  fc.constantFrom(0x0021, 0x0057, 0x002d, 0x002f, 0x00fd, 0x8021, 0xc021, 0xc023, 0xc223, 0x0281),
  fc.integer({ min: 0, max: 0x7fff }).map((x) => ((x << 1) & 0xfe00) | ((x & 0x7f) << 1) | 1),
);

/** ACCMs: 0 and all-ones (the usual two), a few bits (fast scanned path), anything. */
const arbAccm = fc.oneof(
  fc.constant(0),
  fc.constant(0xffffffff),
  fc.constant(0x000a0000),
  fc.array(fc.nat(31), { maxLength: 2 }).map((bits) => bits.reduce((a, b) => (a | (1 << b)) >>> 0, 0)),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** Escape maps: empty (mostly), a couple of octets, or random. */
const arbEscape = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Uint8Array(32)) },
  {
    weight: 2,
    arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }).map((cs) => {
      const m = new Uint8Array(32);
      for (const c of cs) m[c >> 3]! |= 1 << (c & 7);
      return m;
    }),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
);

const arbTx: fc.Arbitrary<TxConfig> = fc.record({
  accm: arbAccm,
  escape: arbEscape,
  acfc: fc.boolean(),
  pfc: fc.boolean(),
  fcs32: fc.boolean(),
});

function decodeAll(dec: HdlcDecoder, data: Uint8Array, cuts: number[]): Frame[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Frame[] = [];
  let prev = 0;
  for (const c of [...at, data.length]) {
    // Half the pieces as plain Uint8Arrays, so both input kinds are covered.
    const piece = data.subarray(prev, c);
    out.push(...dec.push(c & 1 ? Uint8Array.from(piece) : piece));
    prev = c;
  }
  return out;
}

test('FCS: sliced FCS-16 and table CRC-32 agree with the bitwise definitions', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), fc.nat(200), fc.nat(0xffff), (d, a, b, init) => {
      const s = Math.min(a, b) % (d.length + 1);
      const e = Math.max(a, b) % (d.length + 1);
      const lo = Math.min(s, e);
      const hi = Math.max(s, e);
      assert.equal(fcs16Range(d, lo, hi, init), crcBitwise(d.subarray(lo, hi), 0x8408, init));
      assert.equal(fcs16(d), crcBitwise(d, 0x8408, 0xffff));
      assert.equal(fcs32(d), crcBitwise(d, 0xedb88320, 0xffffffff));
      assert.equal(crc32Portable(d), ~crcBitwise(d, 0xedb88320, 0xffffffff) >>> 0);
    }),
  );
  assert.equal(FCS16_TABLE.length, 256);
});

for (const kernel of KERNELS) {
  test(`property: the optimized encoder is byte-identical to the reference encoder (${label(kernel)})`, () =>
    withKernel(kernel, () => {
      fc.assert(
        fc.property(arbTx, fc.array(fc.tuple(arbProtocol, arbPayload), { minLength: 1, maxLength: 4 }), (tx, frames) => {
          const enc = new HdlcEncoder(tx);
          for (const [protocol, payload] of frames) {
            // Plain Uint8Array payloads too (the API takes any Uint8Array).
            const got = enc.encode(protocol, payload);
            assert.ok(Buffer.isBuffer(got));
            assert.deepEqual(got, referenceEncode(tx, protocol, payload));
            assert.deepEqual(enc.encode(protocol, Uint8Array.from(payload)), got);
          }
        }),
        { numRuns: 400 },
      );
    }),
  );
}

test('ACCM 0 frames (the native kernel stuffs and runs the FCS in one pass there) match the reference at every length and with 7D/7E at every 16-octet boundary', () => {
  const tx: TxConfig = { accm: 0, escape: new Uint8Array(32), acfc: false, pfc: true, fcs32: false };
  for (const kernel of KERNELS) {
    withKernel(kernel, () => {
      const enc = new HdlcEncoder(tx);
      const dec = new HdlcDecoder({});
      dec.setRecvAccm(0);
      const base = Uint8Array.from({ length: 1500 }, (_, i) => (i * 151 + 7) % 251);
      // Every length over the one-pass loop's edges (64-octet steps, 16-octet blocks, the tail).
      for (let n = 0; n <= 400; n++) {
        const p = base.subarray(0, n);
        const got = enc.encode(0x0021, p);
        assert.deepEqual(got, referenceEncode(tx, 0x0021, p), `${label(kernel)} length ${n}`);
        const back = dec.push(got);
        assert.equal(back.length, 1);
        assert.deepEqual(back[0]!.payload, Buffer.from(p));
      }
      // Octets to escape first, last and either side of each 16-octet boundary of a full frame.
      for (const special of [0x7d, 0x7e]) {
        for (let at = 0; at < 1500; at += at % 16 === 0 ? 15 : 1) {
          const p = Uint8Array.from(base);
          p[at] = special;
          p[1499 - at] = special ^ 3; // 7E or 7D again, from the other end
          const got = enc.encode(0x0021, p);
          assert.deepEqual(got, referenceEncode(tx, 0x0021, p), `${label(kernel)} ${special.toString(16)} at ${at}`);
          assert.deepEqual(dec.push(got)[0]!.payload, Buffer.from(p));
        }
      }
    });
  }
});

for (const kernel of KERNELS) {
  test(`property: encode → decode round-trips under random configs and chunkings (${label(kernel)})`, () =>
    withKernel(kernel, () => {
      fc.assert(
        fc.property(
          arbTx,
          fc.array(fc.tuple(arbProtocol, arbPayload), { minLength: 1, maxLength: 5 }),
          fc.array(fc.nat(20000), { maxLength: 40 }),
          fc.boolean(),
          (tx, frames, cuts, sameAccm) => {
            // The receiver deletes unescaped control characters in ITS ACCM --
            // and, like ppp_async, also those that are the second octet of an
            // escape.  So a receive map may only hold characters the sender never
            // produces as "7D c": drop from it any c whose c ^ 0x20 the sender's
            // escape map stuffs (which the reference encoder would also stuff).
            let raccm = sameAccm ? tx.accm : 0;
            for (let c = 0; c < 0x20; c++) {
              const d = c ^ 0x20;
              if ((tx.escape[d >> 3]! >> (d & 7)) & 1 && d !== 0x5e) raccm &= ~(1 << c);
            }
            raccm >>>= 0;
            const enc = new HdlcEncoder(tx);
            const wire = Buffer.concat(frames.map(([p, f]) => enc.encode(p, f)));
            const dec = new HdlcDecoder({ fcs32: tx.fcs32, mru: 3000 });
            dec.setRecvAccm(raccm);
            const got = decodeAll(dec, wire, cuts);
            assert.deepEqual(
              got.map((f) => [f.protocol, Buffer.from(f.payload).toString('hex')]),
              frames.map(([p, f]) => [p, Buffer.from(f).toString('hex')]),
            );
            // Payloads are independent of the decoder's buffers.
            for (const f of got) assert.ok(Buffer.isBuffer(f.payload));
            assert.equal(dec.stats.framesOk, frames.length);
            assert.equal(dec.stats.bytesIn, wire.length);
          },
        ),
        { numRuns: 400 },
      );
    }),
  );
}

test('decoder: frames longer than the MRU are counted, wherever the chunk boundaries fall', () => {
  const long = new Uint8Array(1600).fill(0x41);
  const ok = new Uint8Array(1500).fill(0x7e);
  for (const raccm of [0, 0xffffffff]) {
    const enc = new HdlcEncoder({ accm: raccm });
    const wire = Buffer.concat([enc.encode(0x21, long), enc.encode(0x21, ok), enc.encode(0x21, long)]);
    for (const step of [1, 7, 100, 1499, 4096, wire.length]) {
      const dec = new HdlcDecoder({});
      dec.setRecvAccm(raccm);
      const got: Frame[] = [];
      for (let i = 0; i < wire.length; i += step) got.push(...dec.push(wire.subarray(i, i + step)));
      assert.equal(got.length, 1, `step ${step}`);
      assert.deepEqual(got[0]!.payload, Buffer.from(ok));
      assert.equal(dec.stats.tooLong, 2);
    }
  }
});

test('FCS-32 of an empty view without a backing store (zlib.crc32 returns 0 for a NULL pointer)', () => {
  const empty = Buffer.concat([]).subarray(0);
  assert.equal(fcs32(empty), 0xffffffff);
  const enc = new HdlcEncoder({ fcs32: true, accm: 0 });
  const dec = new HdlcDecoder({ fcs32: true });
  dec.setRecvAccm(0);
  const got = dec.push(enc.encode(0x0021, empty));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.payload.length, 0);
});

test('the native kernel is the one in use whenever the addon is built', () => {
  if (nativeError() !== undefined) return; // no compiler here: the WebAssembly kernel is the default
  assert.deepEqual(hdlcKernelsAvailable(), ['native', 'wasm']);
  assert.equal(useHdlcKernel(true)?.name, 'native');
});

for (const which of hdlcKernelsAvailable()) {
  test(`FCS-16 ${which} kernel agrees with the bitwise definition at any offset and length`, () => {
    const k = withKernel(which, () => useHdlcKernel(which))!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(15), fc.nat(0xffff), (d, off, init) => {
        k.u8.set(d, IN + off);
        assert.equal(k.fcs16(IN + off, d.length, init), crcBitwise(d, 0x8408, init));
      }),
      { numRuns: 500 },
    );
  });
}

test('native kernel: offsets outside its memory throw instead of reading or writing there', () => {
  if (!hdlcKernelsAvailable().includes('native')) return;
  const k = withKernel('native', () => useHdlcKernel('native'))!;
  const size = k.u8.length;
  assert.throws(() => k.fcs16(size - 4, 8, 0), RangeError);
  assert.throws(() => k.stuff(IN, IN_MAX, size - IN_MAX, 0, 1), RangeError); // needs 2n of room
  assert.throws(() => k.destuff(size, 1, OUT, 0, 0), RangeError);
  assert.throws(() => k.fcs16(-1, 1, 0), RangeError);
  assert.equal(k.fcs16(size - 8, 8, 0xffff), crcBitwise(k.u8.subarray(size - 8), 0x8408, 0xffff));
});

interface RefResult {
  frames: [number, string][];
  stats: Omit<DecoderStats, 'bytesIn' | 'garbageBytes'>;
}

/**
 * RFC 1662 receive side octet by octet, with ppp_async's conventions spelled
 * out: hunt for the first flag; 7D 7E aborts; unescaped octets in the receive
 * ACCM are deleted (a pending escape stays pending); 7D 7D is data 5D;
 * nothing beyond the size limit is kept.
 */
function referenceDecode(input: Uint8Array, raccm: number, mru: number, fcs32: boolean): RefResult {
  const stats = { framesOk: 0, badFcs: 0, runts: 0, tooLong: 0, aborts: 0, badProtocol: 0, badAddress: 0 };
  const frames: [number, string][] = [];
  const fcsLen = fcs32 ? 4 : 2;
  const maxInfo = Math.max(mru, 1500);
  const cap = maxInfo + 4 + fcsLen;
  let hunting = true;
  let buf: number[] = [];
  let overflow = false;
  let escaped = false;
  const finish = () => {
    if (overflow) return void stats.tooLong++;
    if (buf.length < fcsLen + 1) return void stats.runts++;
    const raw = Uint8Array.from(buf);
    const ok = fcs32
      ? crcBitwise(raw, 0xedb88320, 0xffffffff) === 0xdebb20e3
      : crcBitwise(raw, 0x8408, 0xffff) === 0xf0b8;
    if (!ok) return void stats.badFcs++;
    const end = buf.length - fcsLen;
    let p = 0;
    if (buf[0] === 0xff) {
      if (end < 2 || buf[1] !== 0x03) return void stats.badAddress++;
      p = 2;
    }
    if (p >= end) return void stats.runts++;
    let protocol = buf[p]!;
    if (protocol & 1) p += 1;
    else {
      if (p + 1 >= end) return void stats.runts++;
      protocol = (protocol << 8) | buf[p + 1]!;
      p += 2;
    }
    if ((protocol & 1) === 0 || (protocol & 0x100) !== 0) return void stats.badProtocol++;
    if (end - p > maxInfo) return void stats.tooLong++;
    stats.framesOk++;
    frames.push([protocol, Buffer.from(raw.subarray(p, end)).toString('hex')]);
  };
  for (const b of input) {
    if (hunting) {
      if (b === 0x7e) hunting = false;
      continue;
    }
    if (b === 0x7e) {
      if (escaped) stats.aborts++;
      else if (buf.length > 0 || overflow) finish();
      buf = [];
      overflow = false;
      escaped = false;
      continue;
    }
    if (b < 0x20 && (raccm >>> b) & 1) continue;
    if (b === 0x7d && !escaped) {
      escaped = true;
      continue;
    }
    const v = escaped ? b ^ 0x20 : b;
    escaped = false;
    if (buf.length < cap) buf.push(v);
    else overflow = true;
  }
  return { frames, stats };
}

/** Received streams: encoded frames mixed with noise, aborts, stray escapes, flags and XON/XOFF. */
const arbStream = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(arbProtocol, arbPayload).map(([p, d]) => ({ frame: [p, d] as const })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((noise) => ({ noise })) },
      {
        weight: 2,
        arbitrary: fc
          .array(fc.constantFrom(0x7e, 0x7d, 0x11, 0x13, 0x00, 0x5d, 0x5e), { minLength: 1, maxLength: 4 })
          .map((a) => ({ noise: Uint8Array.from(a) })),
      },
    ),
    { maxLength: 10 },
  );

for (const kernel of KERNELS) {
  test(`property: the decoder equals the reference decoder on any stream and chunking (${label(kernel)})`, () =>
    withKernel(kernel, () => {
      fc.assert(
        fc.property(
          arbTx,
          arbAccm,
          fc.constantFrom(296, 1500, 2000),
          arbStream,
          fc.array(fc.nat(20000), { maxLength: 40 }),
          (tx, raccm, mru, parts, cuts) => {
            const enc = new HdlcEncoder(tx);
            const wire = Buffer.concat(
              parts.map((x) => ('frame' in x ? enc.encode(x.frame[0], x.frame[1]) : Buffer.from(x.noise))),
            );
            const dec = new HdlcDecoder({ fcs32: tx.fcs32, mru });
            dec.setRecvAccm(raccm);
            const got = decodeAll(dec, wire, cuts);
            const want = referenceDecode(wire, raccm >>> 0, mru, tx.fcs32);
            assert.deepEqual(
              got.map((f) => [f.protocol, Buffer.from(f.payload).toString('hex')]),
              want.frames,
            );
            const { bytesIn, garbageBytes, ...st } = dec.stats;
            assert.deepEqual(st, want.stats);
            assert.equal(bytesIn, wire.length);
            assert.ok(garbageBytes <= wire.length);
          },
        ),
        { numRuns: 400 },
      );
    }));
}

test('decoder: a huge read of garbage before the first flag, then frames', () => {
  for (const kernel of KERNELS) {
    withKernel(kernel, () => {
      const enc = new HdlcEncoder({ accm: 0 });
      const frame = enc.encode(0x0021, new Uint8Array(1400).fill(0x42));
      const garbage = new Uint8Array(300_000).fill(0x41);
      const dec = new HdlcDecoder({});
      dec.setRecvAccm(0);
      const got = dec.push(Buffer.concat([garbage, frame, frame]));
      assert.equal(got.length, 2);
      assert.equal(dec.stats.garbageBytes, garbage.length);
    });
  }
});

test('decoder: one read closing hundreds of frames, aborts and too-long ones among them', () => {
  // More frames than one native deframe() call records (64): every one still counted.
  const enc = new HdlcEncoder({ accm: 0 });
  const parts: Buffer[] = [];
  for (let j = 0; j < 300; j++) {
    if (j % 50 === 7) parts.push(Buffer.from([0x7e, 0x01, 0x02, 0x7d, 0x7e])); // aborted
    else if (j % 50 === 9) parts.push(enc.encode(0x0021, new Uint8Array(1600).fill(j))); // over the MRU
    else parts.push(enc.encode(0x0021, Uint8Array.of(j & 0xff, 0x7e, 0x7d)));
  }
  const wire = Buffer.concat(parts);
  const results = KERNELS.map((kernel) =>
    withKernel(kernel, () => {
      const dec = new HdlcDecoder({});
      dec.setRecvAccm(0);
      const got = dec.push(wire).map((f) => Buffer.from(f.payload).toString('hex'));
      return { got, stats: { ...dec.stats } };
    }),
  );
  assert.equal(results[0]!.got.length, 300 - 12);
  assert.equal(results[0]!.stats.aborts, 6);
  assert.equal(results[0]!.stats.tooLong, 6);
  for (const r of results) assert.deepEqual(r, results[0]);
});
