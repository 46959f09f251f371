import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { DeflateCompressor, DeflateDecompressor, splitProtocol } from './deflate.js';
import { SyncZlibStream } from './zlib-sync.js';

const text = (i: number) => Buffer.from(`packet ${i}: ` + 'the quick brown fox jumps over the lazy dog; '.repeat(12));

test('the synchronous zlib stream keeps its history: the same packet again costs a few bytes', () => {
  const z = new SyncZlibStream('deflate', 15, 1 << 20);
  const first = z.write(text(0));
  const again = z.write(text(0));
  assert.ok(again.length < 20 && again.length < first.length / 4, `${first.length} then ${again.length}`);
  // Each packet ends with the sync flush's empty stored block.
  assert.equal(first.subarray(-4).toString('hex'), '0000ffff');
  // And a one-shot inflate of both together gives both back: a standard raw deflate stream.
  const both = zlib.inflateRawSync(Buffer.concat([first, again]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.ok(both.equals(Buffer.concat([text(0), text(0)])));
  z.close();
});

test('Deflate: sequence numbers from 0, the 00 00 ff ff tail left off, protocol below 0x100 as one octet', () => {
  const c = new DeflateCompressor(15);
  const a = c.compress(0x21, text(1))!;
  const b = c.compress(0x21, text(2))!;
  assert.equal(a.readUInt16BE(0), 0);
  assert.equal(b.readUInt16BE(0), 1);
  assert.notEqual(a.subarray(-4).toString('hex'), '0000ffff');
  const plain = zlib.inflateRawSync(Buffer.concat([a.subarray(2), Buffer.from('0000ffff', 'hex')]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.equal(plain[0], 0x21, 'the protocol as one octet (RFC 1979 §2.1)');
  assert.ok(plain.subarray(1).equals(text(1)));
  assert.equal(c.compress(0xc021, text(3)), undefined, "LCP is not Deflate's");
  assert.equal(c.compress(0xfd, text(3)), undefined, 'nor a Compressed Datagram');
});

test('Deflate: one- and two-octet protocols come back as they were', () => {
  const c = new DeflateCompressor(12);
  const d = new DeflateDecompressor(12);
  for (const proto of [0x21, 0x57, 0x2d, 0x0201, 0x3e01]) {
    const r = d.decompress(c.compress(proto, text(proto))!);
    assert.ok(r.ok);
    assert.equal(r.frame.protocol, proto);
    assert.ok(r.frame.info.equals(text(proto)));
  }
  assert.deepEqual(splitProtocol(Buffer.from([0x00])), undefined, 'an even first octet needs a second');
});

test('Deflate: an incompressible frame is sent as is but stays in the history; the receiver adds it (incomp)', () => {
  const c = new DeflateCompressor(15);
  const d = new DeflateDecompressor(15);
  const tiny = Buffer.from([1, 2, 3]);
  assert.equal(c.compress(0x21, tiny), undefined);
  d.incomp(0x21, tiny);
  const r = d.decompress(c.compress(0x21, text(5))!);
  assert.ok(r.ok && r.frame.info.equals(text(5)));
  // Without incomp the sequence number shows the gap.
  const d2 = new DeflateDecompressor(15);
  const c2 = new DeflateCompressor(15);
  c2.compress(0x21, tiny);
  const bad = d2.decompress(c2.compress(0x21, text(5))!);
  assert.ok(!bad.ok && bad.error === 'reset' && /bad seq # 1, expected 0/.test(bad.reason));
});

test('Deflate: garbage with the right sequence number is a fatal error, never data; a zip bomb stops at the bound', () => {
  const d = new DeflateDecompressor(15);
  const r = d.decompress(Buffer.from('0000ffffffffffffff', 'hex'));
  assert.ok(!r.ok && r.error === 'fatal');
  const d2 = new DeflateDecompressor(15);
  const bomb = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const r2 = d2.decompress(Buffer.concat([Buffer.from([0, 0]), bomb.subarray(0, -4)]));
  assert.ok(!r2.ok && r2.error === 'fatal', 'a megabyte out of one datagram');
});

test('Deflate: after a reset both sides start from sequence 0 and an empty history', () => {
  const c = new DeflateCompressor(15);
  const d = new DeflateDecompressor(15);
  for (let i = 0; i < 5; i++) c.compress(0x21, text(i));
  c.reset();
  d.reset();
  const z = c.compress(0x21, text(9))!;
  assert.equal(z.readUInt16BE(0), 0);
  const r = d.decompress(z);
  assert.ok(r.ok && r.frame.info.equals(text(9)));
});
