import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildTcpSegment, parseIpv4, parseTcp, TCP_ACK, TCP_FIN, TCP_PSH } from './packet.js';
import { gsoBytes, gsoSegments, gsoSize, markGso, segmentGso } from './gso.js';
import { HdlcDecoder, HdlcEncoder } from './hdlc.js';
import { hdlcKernel } from './hdlc-kernel.js';

const SRC = 0x0a000202;
const DST = 0x0a00020f;

/** A super-segment as the stack builds it, and the segments it would have sent instead. */
function both(plen: number, mss: number, flags: number, seq: number, id: number, fill: number) {
  const payload = Buffer.alloc(plen);
  for (let i = 0; i < plen; i++) payload[i] = (i * 131 + fill) & 0xff;
  const fields = { seq, ack: 0x01020304, flags, window: 4321 };
  const sup = buildTcpSegment(SRC, DST, 80, 41000, { ...fields, payload, gso: mss }, id);
  const n = Math.max(1, Math.ceil(plen / mss));
  const apart: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    apart.push(buildTcpSegment(SRC, DST, 80, 41000, {
      ...fields,
      seq: (seq + i * mss) >>> 0,
      flags: last ? flags : flags & ~(TCP_FIN | TCP_PSH),
      payload: payload.subarray(i * mss, Math.min(plen, (i + 1) * mss)),
    }, (id + i) & 0xffff));
  }
  return { sup, apart };
}

const shape = fc.record({
  plen: fc.integer({ min: 1, max: 65535 - 120 }),
  mss: fc.integer({ min: 64, max: 1460 }),
  flags: fc.constantFrom(TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN, TCP_ACK | TCP_PSH | TCP_FIN),
  seq: fc.nat({ max: 0xffffffff }),
  id: fc.nat({ max: 0xffff }),
  fill: fc.nat({ max: 255 }),
});

test('a super-segment cut in software is byte for byte the segments the stack would have built one by one', () => {
  fc.assert(fc.property(shape, ({ plen, mss, flags, seq, id, fill }) => {
    const { sup, apart } = both(plen, mss, flags, seq, id, fill);
    const cut = segmentGso(sup, mss);
    assert.equal(cut.length, apart.length);
    assert.equal(gsoSegments(sup, mss), apart.length);
    assert.equal(gsoBytes(sup, mss), apart.reduce((a, p) => a + p.length, 0));
    for (let i = 0; i < cut.length; i++) assert.deepEqual(cut[i], apart[i], `segment ${i} of ${cut.length}`);
    // And each one parses as a valid segment (checksums included).
    for (const p of cut) {
      const ip = parseIpv4(p);
      assert.notEqual(typeof ip, 'string');
      assert.notEqual(typeof parseTcp(ip as Exclude<typeof ip, string>), 'string');
    }
  }), { numRuns: 200 });
});

test('only a marked packet is a super-segment, and it carries its segment size', () => {
  const { sup } = both(5000, 1460, TCP_ACK, 1, 1, 0);
  assert.equal(gsoSize(sup), 0);
  markGso(sup, 1460);
  assert.equal(gsoSize(sup), 1460);
  assert.equal(gsoSize(Buffer.from(sup)), 0, 'a copy is an ordinary packet');
});

const native = hdlcKernel()?.frameGso !== undefined;

test('the native framer cuts a super-segment into exactly the frames of its segments, at any ACCM and header compression', { skip: native ? false : 'the native HDLC kernel is not built (npm run build:native)' }, () => {
  const link = fc.record({
    accm: fc.constantFrom(0, 0xffffffff, 0x000a0000, 0x7fffffff),
    acfc: fc.boolean(),
    pfc: fc.boolean(),
    // Octets 0x7d/0x7e, and others escaped, all through the payload: stuffing at every place.
    fill: fc.nat({ max: 255 }),
  });
  fc.assert(fc.property(shape, link, fc.nat({ max: 5 }), ({ plen, mss, flags, seq, id }, { accm, acfc, pfc, fill }, before) => {
    const enc = new HdlcEncoder({ accm, acfc, pfc });
    const { sup, apart } = both(plen, mss, flags, seq, id, fill);
    // Frames before it, so the shared slab fills at a different place each run.
    for (let i = 0; i < before; i++) enc.encode(0x0021, Buffer.alloc(1400 * i + 1, 0x7e));
    const out: Buffer[] = [];
    assert.equal(enc.encodeSegments(0x0021, sup, mss, out), true);
    const want = Buffer.concat(apart.map((p) => enc.encode(0x0021, p)));
    assert.deepEqual(Buffer.concat(out), want);
    // And a receiver takes them as those packets.
    const dec = new HdlcDecoder({});
    dec.setRecvAccm(accm);
    const got = out.flatMap((b) => dec.push(b)).map((f) => f.payload);
    assert.deepEqual(got, apart);
  }), { numRuns: 150 });
});

test('the framer declines what it cannot cut (FCS-32, LCP) and frames nothing', () => {
  const { sup } = both(3000, 1000, TCP_ACK, 1, 1, 0);
  const out: Buffer[] = [];
  assert.equal(new HdlcEncoder({ fcs32: true }).encodeSegments(0x0021, sup, 1000, out), false);
  assert.equal(new HdlcEncoder({}).encodeSegments(0xc021, sup, 1000, out), false);
  assert.deepEqual(out, []);
});
