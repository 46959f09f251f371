import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SlipDecoder, slipEncode, SLIP_DEFAULT_MTU } from './slip.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RFC 1055: END and ESC in the packet are escaped, the frame starts and ends with END', () => {
  assert.deepEqual(slipEncode(hex('01 c0 02 db 03')), hex('c0 01 db dc 02 db dd 03 c0'));
  assert.deepEqual(slipEncode(new Uint8Array(0)), hex('c0 c0'));
});

test('decoding unescapes and delivers one frame per END; empty frames between ENDs are skipped', () => {
  const d = new SlipDecoder();
  assert.deepEqual(d.push(hex('c0 c0 01 db dc 02 db dd 03 c0 c0 c0 04 c0')), [hex('01 c0 02 db 03'), hex('04')]);
  assert.equal(d.counters.frames, 2);
  assert.equal(d.counters.octets, 6);
});

test('a frame split across reads, even between ESC and its code, is one frame', () => {
  const d = new SlipDecoder();
  assert.deepEqual(d.push(hex('c0 01 db')), []);
  assert.deepEqual(d.push(hex('dc 02')), []);
  assert.deepEqual(d.push(hex('c0')), [hex('01 c0 02')]);
});

test('line noise before the leading END is delivered as its own frame and not mixed into the packet', () => {
  const d = new SlipDecoder();
  const frames = d.push(Buffer.concat([Buffer.from('NO CARRIER\r\n'), slipEncode(hex('45 00'))]));
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[1], hex('45 00'));
});

test('a frame longer than the MTU is dropped up to its END and counted; the next one arrives', () => {
  const d = new SlipDecoder(8);
  assert.deepEqual(d.push(slipEncode(new Uint8Array(9).fill(1))), []);
  assert.equal(d.counters.oversize, 1);
  assert.deepEqual(d.push(slipEncode(new Uint8Array(8).fill(2))), [Buffer.alloc(8, 2)]);
  assert.equal(d.counters.frames, 1);
});

test('ESC followed by another byte is counted and the byte kept (RFC 1055 RECV_PACKET); ESC END aborts', () => {
  const d = new SlipDecoder();
  assert.deepEqual(d.push(hex('c0 01 db 41 02 c0')), [hex('01 41 02')]);
  assert.equal(d.counters.badEscapes, 1);
  assert.deepEqual(d.push(hex('01 02 db c0 03 c0')), [hex('03')]);
  assert.equal(d.counters.aborted, 1);
});

test('the MTU must be a frame size', () => {
  assert.throws(() => new SlipDecoder(0), RangeError);
  assert.throws(() => new SlipDecoder(70000), RangeError);
});

test('property: encode then decode is the identity for any packets up to the MTU, however the bytes are split', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: SLIP_DEFAULT_MTU }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
      (packets, cuts) => {
        const wire = Buffer.concat(packets.map(slipEncode));
        const d = new SlipDecoder();
        const got: Buffer[] = [];
        for (let i = 0, k = 0; i < wire.length; k++) {
          const n = cuts[k % cuts.length]!;
          got.push(...d.push(wire.subarray(i, i + n)));
          i += n;
        }
        assert.deepEqual(got, packets.map((p) => Buffer.from(p)));
        assert.equal(d.counters.badEscapes + d.counters.oversize + d.counters.aborted, 0);
      },
    ),
  );
});

test('property: arbitrary line bytes never throw and never yield a frame over the MTU', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
      const d = new SlipDecoder(64);
      for (const f of d.push(bytes)) assert.ok(f.length >= 1 && f.length <= 64);
    }),
  );
});
