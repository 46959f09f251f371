import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePacket } from './registry.js';
import { PROTO_CCP, PROTO_IPCP, PROTO_LCP } from './protocols.js';

const pkt = (hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex');

test('LCP options Windows DUN sends are printed with pppd names: callback, mrru, endpoint', () => {
  // Windows 2000's ConfReq (as real pppd logged it), endpoint shortened to 4 octets.
  const opts = '0206 00000000 0506 6fc929a3 0702 0802 0d03 06 1104 064e 1308 01 2a48cab400';
  const body = pkt(opts);
  const info = Buffer.concat([pkt(`01 01 ${(body.length + 4).toString(16).padStart(4, '0')}`), body]);
  assert.equal(
    describePacket(PROTO_LCP, info),
    '[LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x6fc929a3> <pcomp> <accomp> <callback CBCP> <mrru 1614> <endpoint [local:2a.48.ca.b4.00]>]',
  );
});

test('LCP Identification and Time-Remaining print as pppd does', () => {
  const ident = Buffer.concat([pkt('0c 03 0012 6fc929a3'), Buffer.from('MSRASV5.00')]);
  assert.equal(describePacket(PROTO_LCP, ident), '[LCP Ident id=0x3 magic=0x6fc929a3 "MSRASV5.00"]');
  assert.equal(describePacket(PROTO_LCP, pkt('0d 04 000c 00000001 00000e10')), '[LCP TimeRem id=0x4 magic=0x1 seconds=3600]');
});

test('unknown options are printed in hex as pppd does; endpoint classes IP and MAC', () => {
  assert.equal(describePacket(PROTO_LCP, pkt('01 02 0009 1705 aabbcc')), '[LCP ConfReq id=0x2 < 17 05 aa bb cc>]');
  assert.equal(describePacket(PROTO_LCP, pkt('01 02 000b 1307 02 0a000001')), '[LCP ConfReq id=0x2 <endpoint [IP:10.0.0.1]>]');
  assert.equal(describePacket(PROTO_LCP, pkt('01 02 000d 1309 03 0011223344ff')), '[LCP ConfReq id=0x2 <endpoint [MAC:00:11:22:33:44:ff]>]');
});

test('IPCP ConfReq of a Windows client and CCP with MPPE, Deflate and BSD-Compress', () => {
  const ipcp = pkt('01 06 0022 0306 00000000 8106 00000000 8206 00000000 8306 00000000 8406 00000000');
  assert.equal(describePacket(PROTO_IPCP, ipcp), '[IPCP ConfReq id=0x6 <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-wins 0.0.0.0> <ms-dns2 0.0.0.0> <ms-wins 0.0.0.0>]');
  assert.equal(describePacket(PROTO_IPCP, pkt('01 01 000a 0206 002d 0f01')), '[IPCP ConfReq id=0x1 <compress VJ 0f 01>]');
  assert.equal(describePacket(PROTO_CCP, pkt('01 05 000a 1206 01000001')), '[CCP ConfReq id=0x5 <mppe +H -M -S -L -D +C>]');
  assert.equal(describePacket(PROTO_CCP, pkt('01 01 000f 1a04 7800 1804 7800 1503 2f')), '[CCP ConfReq id=0x1 <deflate 15> <deflate(old#) 15> <bsd v1 15>]');
});
