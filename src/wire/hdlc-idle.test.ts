/**
 * 50,000 idle sessions in one process (issue 10 item 5): an idle link's HDLC framing holds
 * no slab of its own. Frames are built and destuffed in slabs shared by every link; only a
 * frame still arriving (split over reads) is kept per link, and frames handed out are
 * never overwritten by another link's traffic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HdlcDecoder, HdlcEncoder } from './hdlc.js';

const LCP = 0xc021;
const IP = 0x0021;
const echo = (n: number) => Buffer.from([9, n, 0, 8, 1, 2, 3, n]);

test('two links build their frames in one shared slab (no slab per encoder)', () => {
  const a = new HdlcEncoder({ accm: 0 });
  const b = new HdlcEncoder({ accm: 0 });
  const fa = a.encode(LCP, echo(1));
  const fb = b.encode(LCP, echo(2));
  assert.equal(fa.buffer, fb.buffer);
  const d = new HdlcDecoder();
  assert.deepEqual(d.push(Buffer.concat([fa, fb])).map((f) => f.payload), [echo(1), echo(2)]);
});

test('a decoder fed whole frames keeps no slab; a frame split over reads is kept until it ends', () => {
  const enc = new HdlcEncoder();
  const d = new HdlcDecoder();
  assert.equal(d.ownSlabBytes, 0);
  const whole = Buffer.concat([enc.encode(LCP, echo(1)), enc.encode(IP, Buffer.alloc(40, 0x45))]);
  assert.equal(d.push(whole).length, 2);
  assert.equal(d.ownSlabBytes, 0, 'idle after whole frames: nothing of its own');
  const f = enc.encode(LCP, echo(3));
  assert.deepEqual(d.push(f.subarray(0, 6)), []);
  assert.ok(d.ownSlabBytes > 0, 'the half frame is kept by this link');
  const rest = d.push(f.subarray(6));
  assert.deepEqual(rest.map((x) => x.payload), [echo(3)]);
  assert.equal(d.ownSlabBytes, 0);
});

test('frames delivered to one link survive other links decoding after it; octet-by-octet reads work', () => {
  const enc = new HdlcEncoder();
  const d1 = new HdlcDecoder();
  const d2 = new HdlcDecoder();
  const kept = d1.push(enc.encode(LCP, echo(7)))[0]!.payload;
  const half = enc.encode(IP, Buffer.alloc(300, 0x7e));
  d1.push(half.subarray(0, 100));
  for (let i = 0; i < 50; i++) assert.equal(d2.push(enc.encode(IP, Buffer.alloc(200, i))).length, 1);
  assert.deepEqual(kept, echo(7));
  assert.deepEqual(d1.push(half.subarray(100)).map((x) => x.payload), [Buffer.alloc(300, 0x7e)]);
  const slow = enc.encode(IP, Buffer.from('octet by octet, as a slow modem reads'));
  const got = [];
  for (const b of slow) got.push(...d2.push(Buffer.from([b])));
  assert.deepEqual(got.map((x) => x.payload.toString()), ['octet by octet, as a slow modem reads']);
  assert.equal(d2.ownSlabBytes, 0);
});
