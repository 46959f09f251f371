import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinAdjacent } from './join-adjacent.js';
import { HdlcDecoder, HdlcEncoder } from './hdlc.js';

test('views back to back in one buffer become one view of exactly their octets', () => {
  const mem = Buffer.from('abcdefghijklmnop');
  const out = joinAdjacent([mem.subarray(0, 3), mem.subarray(3, 4), mem.subarray(4, 9), mem.subarray(10, 12), mem.subarray(12, 16)]);
  assert.deepEqual(out.map((b) => b.toString()), ['abcdefghi', 'klmnop']);
  assert.equal(out[0]!.buffer, mem.buffer, 'a view, not a copy');
});

test('buffers that only look adjacent (same offsets, different memory) stay apart', () => {
  const a = Buffer.from(new ArrayBuffer(8), 0, 4).fill(1);
  const b = Buffer.from(new ArrayBuffer(8), 4, 4).fill(2);
  const out = joinAdjacent([a, b]);
  assert.equal(out.length, 2);
  assert.equal(out[0], a);
  assert.equal(out[1], b);
});

test('order is kept, and a lone buffer or a run of one is handed on as it is', () => {
  const mem = Buffer.from('0123456789');
  const x = mem.subarray(5, 7);
  assert.deepEqual(joinAdjacent([x]), [x]);
  const y = mem.subarray(5, 7);
  const out = joinAdjacent([y, mem.subarray(0, 2), mem.subarray(2, 4)]);
  assert.deepEqual(out.map((b) => b.toString()), ['56', '0123']);
  assert.equal(out[0], y, "a run of one is the caller's own buffer");
  assert.deepEqual(joinAdjacent([]), []);
});

test('HDLC frames encoded one after another join into runs that decode to the same frames', () => {
  const enc = new HdlcEncoder({ accm: 0 });
  const payloads = [0, 1, 40, 127, 128, 129, 600, 1500].map((n, i) => Buffer.alloc(n, 0x7d ^ i));
  const frames = payloads.map((p) => enc.encode(0x0021, p));
  const runs = joinAdjacent(frames);
  // One run, or two where the process-wide slab filled up on the way.
  assert.ok(runs.length <= 2, `frames of one flush lie back to back (${runs.length} runs of ${frames.length})`);
  assert.deepEqual(Buffer.concat(runs), Buffer.concat(frames));
  const dec = new HdlcDecoder({});
  dec.setRecvAccm(0);
  const got = runs.flatMap((r) => dec.push(r)).map((f) => Buffer.from(f.payload));
  assert.deepEqual(got, payloads);
});
