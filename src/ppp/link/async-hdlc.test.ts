import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AsyncHdlcLink } from './async-hdlc.js';
import { LINK_DEFAULTS } from './link.js';
import { HdlcEncoder } from '../../wire/hdlc.js';

/** What a link delivers from `chunks`: each frame with the drop count it was delivered under. */
function deliveries(link: AsyncHdlcLink, chunks: Buffer[], stopAfter = Infinity) {
  const out: { protocol: number; info: string; dropped: number }[] = [];
  for (const c of chunks) {
    link.input(c, (protocol, info) => out.push({ protocol, info: info.toString('hex'), dropped: link.stats.dropped }), () => out.length < stopAfter);
  }
  return { out, dropped: link.stats.dropped };
}

const enc = new HdlcEncoder();
/** A good frame, one with a broken FCS, an aborted one (7D 7E), or line noise between frames. */
const piece = fc.oneof(
  fc.record({ kind: fc.constant('good' as const), protocol: fc.constantFrom(0x0021, 0x002d, 0x002f, 0x8021), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({ kind: fc.constant('badFcs' as const), protocol: fc.constant(0x0021), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({ kind: fc.constant('abort' as const), protocol: fc.constant(0x0021), data: fc.uint8Array({ minLength: 1, maxLength: 50 }) }),
  fc.record({ kind: fc.constant('noise' as const), protocol: fc.constant(0), data: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function wire(p: { kind: 'good' | 'badFcs' | 'abort' | 'noise'; protocol: number; data: Uint8Array }): Buffer {
  if (p.kind === 'noise') return Buffer.from(p.data.map((x) => (x === 0x7e ? 0x00 : x)));
  const f = Buffer.from(enc.encode(p.protocol, Buffer.from(p.data)));
  // An FCS octet flipped (now and then that makes an abort or a flag instead: still a drop,
  // and the same octets go to both links).
  if (p.kind === 'badFcs') f[f.length - 2] ^= 0x01;
  if (p.kind === 'abort') return Buffer.concat([f.subarray(0, f.length - 3), Buffer.from([0x7d, 0x7e])]);
  return f;
}

test('once LCP is open a read is decoded whole, delivering the same frames, each under the drop count frame-by-frame reading gives it', () => {
  fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), fc.array(fc.nat({ max: 400 }), { maxLength: 8 }), (pieces, cuts) => {
    const bytes = Buffer.concat([Buffer.from([0x7e]), ...pieces.map(wire), Buffer.from([0x7e])]);
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let prev = 0;
    for (const c of [...at, bytes.length]) {
      if (c > prev) chunks.push(bytes.subarray(prev, c));
      prev = c;
    }
    // The same receive ACCM both ways: LINK_DEFAULTS itself (LCP down: frame by frame), and
    // its values as negotiated results (LCP open: whole reads).
    const byFrame = new AsyncHdlcLink({ mru: 1500 });
    byFrame.configure(LINK_DEFAULTS);
    const whole = new AsyncHdlcLink({ mru: 1500 });
    whole.configure({ ...LINK_DEFAULTS });
    assert.deepEqual(deliveries(whole, chunks), deliveries(byFrame, chunks));
  }), { numRuns: 300 });
});

test('a drop inside a whole read is counted where it fell: the frames before it see the old count', () => {
  const link = new AsyncHdlcLink({ mru: 1500 });
  link.configure({ ...LINK_DEFAULTS, rxAccm: 0 });
  const good = (n: number) => Buffer.from(enc.encode(0x0021, Buffer.alloc(40, n)));
  const bad = good(9);
  bad[bad.length - 2] ^= 0x01;
  const got = deliveries(link, [Buffer.concat([good(1), good(2), bad, good(3)])]);
  assert.deepEqual(got.out.map((d) => d.dropped), [0, 0, 1]);
  assert.equal(got.dropped, 1);
});

test('a whole read stops delivering when the session says the link is gone', () => {
  const link = new AsyncHdlcLink({ mru: 1500 });
  link.configure({ ...LINK_DEFAULTS, rxAccm: 0 });
  const frames = [1, 2, 3, 4].map((n) => Buffer.from(enc.encode(0x0021, Buffer.alloc(40, n))));
  assert.equal(deliveries(link, [Buffer.concat(frames)], 2).out.length, 2);
});
