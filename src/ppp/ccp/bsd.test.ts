import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BsdCompressor, BsdDecompressor } from './bsd.js';

/** Deterministic bytes: `kind` 'text' repeats words, 'random' is a hash stream. */
function data(kind: 'text' | 'random', seed: number, n: number): Buffer {
  if (kind === 'random') {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, i);
    return out;
  }
  const words = ['the', 'modem', 'dials', 'and', 'carrier', 'comes', 'up', 'at', '33600', 'bps', 'with', 'LAPM', 'V.42bis', '\n'];
  let s = '';
  let x = seed;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += words[x % words.length] + ' ';
  }
  return Buffer.from(s.slice(0, n));
}

/** Sends frames through a compressor into a decompressor as a link would: compressed or as is (incomp). */
function roundTrip(bits: number, frames: Buffer[]) {
  const c = new BsdCompressor(bits);
  const d = new BsdDecompressor(bits);
  let wire = 0;
  let plain = 0;
  let incompressible = 0;
  for (const [i, f] of frames.entries()) {
    plain += f.length;
    const z = c.compress(0x21, f);
    if (!z) {
      incompressible++;
      wire += f.length;
      d.incomp(0x21, f);
      continue;
    }
    wire += z.length;
    const r = d.decompress(z);
    assert.ok(r.ok, `frame ${i}: ${!r.ok && r.reason}`);
    assert.equal(r.frame.protocol, 0x21);
    assert.ok(r.frame.info.equals(f), `frame ${i} differs`);
  }
  return { wire, plain, incompressible };
}

test('BSD-Compress round-trips text at every code width 9..15, smaller on the wire', () => {
  for (let bits = 9; bits <= 15; bits++) {
    const frames = Array.from({ length: 300 }, (_, i) => data('text', i, 200 + ((i * 37) % 1300)));
    const { wire, plain } = roundTrip(bits, frames);
    assert.ok(wire < plain * 0.7, `bits ${bits}: ${wire}/${plain}`);
  }
});

test('BSD-Compress: random frames go as they are and stay in both dictionaries; text after them still decodes (CLEAR on a poisoned dictionary)', () => {
  const frames: Buffer[] = [];
  for (let i = 0; i < 400; i++) frames.push(i % 3 === 0 ? data('random', i, 1400) : data('text', i, 1400));
  for (let i = 0; i < 200; i++) frames.push(data('text', 1000 + i, 1400));
  const r = roundTrip(12, frames);
  assert.ok(r.incompressible > 100, `${r.incompressible} incompressible`);
});

test('BSD-Compress: a datagram out of sequence asks for a reset; after both reset, frames decode again', () => {
  const c = new BsdCompressor(15);
  const d = new BsdDecompressor(15);
  const a = c.compress(0x21, data('text', 1, 500))!;
  c.compress(0x21, data('text', 2, 500)); // lost on the line
  const b = c.compress(0x21, data('text', 3, 500))!;
  assert.ok(d.decompress(a).ok);
  const bad = d.decompress(b);
  assert.ok(!bad.ok && bad.error === 'reset');
  c.reset();
  d.reset();
  const f = data('text', 4, 500);
  const r = d.decompress(c.compress(0x21, f)!);
  assert.ok(r.ok && r.frame.info.equals(f));
});

test('BSD-Compress: garbage codes are a fatal error, never a corrupt frame', () => {
  const d = new BsdDecompressor(15);
  for (let i = 0; i < 50; i++) {
    const junk = Buffer.concat([Buffer.from([0, i]), data('random', i, 40)]);
    const dd = new BsdDecompressor(15);
    const r = dd.decompress(junk.subarray(0));
    if (i === 0) assert.ok(!r.ok || r.frame.info.length >= 0);
    if (r.ok) assert.ok(r.frame.info.length <= 65535);
  }
  assert.ok(!d.decompress(Buffer.from([0, 0])).ok, 'runt');
});
