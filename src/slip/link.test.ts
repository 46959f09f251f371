import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcp, TCP_ACK, PROTO_TCP } from '../wire/packet.js';
import { icmpEchoRequest, parseIp4 } from '../wire/ipv4.js';
import { SlipDecoder, slipEncode } from '../wire/slip.js';
import { newSlipLink } from './codec.js';

const A = parseIp4('10.0.2.15')!;
const B = parseIp4('10.0.2.2')!;

/** A TCP data segment of one connection, as a bulk transfer sends them. */
function segment(i: number): Buffer {
  return buildTcp({ src: A, dst: B, srcPort: 1025, dstPort: 80, seq: 1000 + i * 100, ack: 5000, flags: TCP_ACK, window: 8192, payload: Buffer.alloc(100, i), id: 100 + i });
}

/** The frames' first bytes on the line. */
function firstBytes(wire: Buffer[]): number[] {
  const d = new SlipDecoder();
  return wire.flatMap((w) => d.push(w)).map((f) => f[0]!);
}

test('SLIP carries IP packets both ways unchanged and counts line octets and packets', () => {
  const a = newSlipLink('slip', 1006);
  const b = newSlipLink('slip', 1006);
  const ping = icmpEchoRequest(A, B, 1, 1, Buffer.from([0xc0, 0xdb]));
  const wire = a.output(ping)!;
  assert.deepEqual(b.input(wire), [ping]);
  assert.equal(a.counters.bytesOut, wire.length);
  assert.equal(b.counters.bytesIn, wire.length);
  assert.equal(b.counters.packetsIn, 1);
});

test('CSLIP (RFC 1144 §5): first TCP packet goes as UNCOMPRESSED_TCP (0x7X), the next ones as COMPRESSED_TCP (0x80 set), non-TCP as plain IP', () => {
  const a = newSlipLink('cslip', 1006);
  const b = newSlipLink('cslip', 1006);
  const sent = [segment(0), segment(1), segment(2), icmpEchoRequest(A, B, 1, 1)];
  const wire = sent.map((p) => a.output(p)!);
  const types = firstBytes(wire);
  assert.equal(types[0]! & 0xf0, 0x70);
  assert.ok(types[1]! & 0x80 && types[2]! & 0x80);
  assert.equal(types[3], 0x45);
  // The receiver rebuilds every packet exactly (the UNCOMPRESSED_TCP's byte 0 back to 0x45, protocol 6).
  const got = wire.flatMap((w) => b.input(w));
  assert.deepEqual(got, sent);
  assert.equal(got[0]![9], PROTO_TCP);
  assert.equal(a.counters.vjCompressedOut, 2);
  assert.equal(b.counters.vjCompressedIn, 2);
  // Compressed headers are small: 100 bytes of data in well under 140 octets on the line.
  assert.ok(wire[2]!.length < 115, `compressed frame of ${wire[2]!.length} octets`);
});

test('CSLIP: a damaged frame makes the receiver toss compressed packets until a slot is named again (RFC 1144 §4.1)', () => {
  const a = newSlipLink('cslip', 1006);
  const b = newSlipLink('cslip', 1006);
  b.input(a.output(segment(0))!);
  const lost = a.output(segment(1))!;
  // The frame is cut by an ESC END (abort) on the line: the receiver sees an error, not the packet.
  b.input(Buffer.concat([lost.subarray(0, 10), Buffer.from([0xdb, 0xc0])]));
  assert.equal(b.counters.framing.aborted, 1);
  // The next compressed packet is a delta against a state the receiver no longer trusts: dropped.
  assert.deepEqual(b.input(a.output(segment(2))!), []);
});

test('frames that are neither IPv4 nor CSLIP types are dropped and counted; oversize output is not sent', () => {
  const b = newSlipLink('slip', 1006);
  assert.deepEqual(b.input(slipEncode(Buffer.from('off.\r\n'))), []);
  assert.deepEqual(b.input(slipEncode(Buffer.alloc(40, 0x60))), []);
  assert.equal(b.counters.badType, 2);
  // Plain SLIP takes no CSLIP types.
  assert.deepEqual(b.input(slipEncode(Buffer.alloc(40, 0x75))), []);
  assert.equal(b.counters.badType, 3);
  const a = newSlipLink('slip', 1006);
  assert.equal(a.output(Buffer.alloc(1007, 0x45)), undefined);
  assert.equal(a.counters.tooBigOut, 1);
});

test("a modem's NO CARRIER on the line (a modem bank's line after the caller hung up) marks the carrier lost; IP never does", () => {
  const a = newSlipLink('slip', 1006);
  const b = newSlipLink('slip', 1006);
  b.input(a.output(icmpEchoRequest(A, B, 1, 1, Buffer.from('\r\nNO CARRIER\r\n')))!);
  assert.equal(b.carrierLost, false);
  b.input(Buffer.from('\r\nNO CARR'));
  assert.equal(b.carrierLost, false);
  b.input(Buffer.from('IER\r\n'));
  assert.equal(b.carrierLost, true);
});
