/**
 * IPv4, TCP, UDP and ICMP on the wire, smoltcp style: parse and check first, so that every
 * field of a returned view lies inside the packet; then build. Parsers never throw: a bad
 * packet yields a short reason string (the drop counter's name).
 */
import { finish, pseudoSum, sum16, verifies } from './checksum.js';
import { parseIp4 } from './ipv4.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

/** RFC 792 / RFC 1812 §5.2.7.1 destination-unreachable codes. */
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_ADMIN = 13;

export type DropReason = string;

// ------------------------------------------------------------------------------------------
// IPv4 (RFC 791)
// ------------------------------------------------------------------------------------------

export interface Ipv4 {
  /** The whole datagram, trimmed to its total length. */
  packet: Buffer;
  headerLength: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in octets. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
  payload: Buffer;
}

export function parseIpv4(buf: Buffer): Ipv4 | DropReason {
  if (buf.length < 20) return 'ipTruncated';
  const vihl = buf[0]!;
  if (vihl >> 4 !== 4) return 'ipVersion';
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < 20) return 'ipHeaderLength';
  const totalLength = (buf[2]! << 8) | buf[3]!;
  if (totalLength < headerLength || headerLength > buf.length) return 'ipHeaderLength';
  // A buffer shorter than the total length is a truncated datagram; octets beyond it
  // (link padding) are cut off.
  if (totalLength > buf.length) return 'ipTruncated';
  if (!verifies(sum16(buf, 0, headerLength))) return 'ipChecksum';
  const ff = (buf[6]! << 8) | buf[7]!;
  if (ff & 0x8000) return 'ipReservedFlag'; // RFC 791: bit 0 reserved, must be zero
  const packet = totalLength === buf.length ? buf : buf.subarray(0, totalLength);
  return new ParsedIpv4(packet, headerLength, totalLength, (buf[4]! << 8) | buf[5]!, ff, buf[8]!, buf[9]!, getU32(buf, 12), getU32(buf, 16));
}

/**
 * parseIpv4's result. The payload view is made when first asked for: TCP, every bulk
 * datagram, is parsed from the packet at an offset (parseTcp) and never needs it, and a
 * Buffer view costs as much as the rest of the parse.
 */
class ParsedIpv4 implements Ipv4 {
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffset: number;
  private view?: Buffer;

  constructor(
    readonly packet: Buffer,
    readonly headerLength: number,
    readonly totalLength: number,
    readonly id: number,
    ff: number,
    readonly ttl: number,
    readonly protocol: number,
    readonly src: number,
    readonly dst: number,
  ) {
    this.dontFragment = (ff & 0x4000) !== 0;
    this.moreFragments = (ff & 0x2000) !== 0;
    this.fragmentOffset = (ff & 0x1fff) * 8;
  }

  get payload(): Buffer {
    return (this.view ??= this.packet.subarray(this.headerLength));
  }
}

/** Writes a 20-octet IPv4 header (no options) at the start of `pkt` and its checksum. */
export function writeIpv4Header(pkt: Buffer, src: number, dst: number, protocol: number, id: number, ttl = 64, flagsFrag = 0): void {
  // Octet stores and the header's sum from its fields (RFC 1071): this runs once per
  // packet the stack sends, where Buffer's checked write helpers and a pass over the
  // written header showed in the profile.
  const len = pkt.length;
  id &= 0xffff;
  src >>>= 0;
  dst >>>= 0;
  pkt[0] = 0x45;
  pkt[1] = 0;
  pkt[2] = len >>> 8;
  pkt[3] = len;
  pkt[4] = id >>> 8;
  pkt[5] = id;
  pkt[6] = flagsFrag >>> 8;
  pkt[7] = flagsFrag;
  pkt[8] = ttl;
  pkt[9] = protocol;
  putU32(pkt, 12, src);
  putU32(pkt, 16, dst);
  const c = finish(0x4500 + len + id + flagsFrag + ((ttl << 8) | protocol) + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff));
  pkt[10] = c >>> 8;
  pkt[11] = c;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/**
 * `buf[start, end)` as a Buffer view. Buffer.from(arrayBuffer, offset, length) makes one in
 * ~60% of the time subarray() takes (Node 20, measured: subarray goes through the typed
 * array species machinery); it runs for every segment the stack receives or sends.
 */
export function bufferView(buf: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
}

function getU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Memory for the packets the stacks build: slices of a shared 64 KiB slab, which costs
 * less per packet than Buffer.allocUnsafe's 8 KiB pool (its refill every five full-size
 * packets showed in the NAT profile). A slab lives while any packet cut from it does;
 * sent packets are short-lived (the link frames or writes them and lets go).
 */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
/**
 * slab's ArrayBuffer (allocUnsafeSlow: the whole of it), read once per slab: reading a
 * typed array's `.buffer` calls into V8's runtime (~45 ns), as much as the rest of a packet's
 * allocation here.
 */
let slabAb = slab.buffer;
let slabUsed = 0;
export function allocPacket(n: number): Buffer {
  if (n > SLAB / 4) return Buffer.allocUnsafe(n);
  if (slabUsed + n > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabAb = slab.buffer;
    slabUsed = 0;
  }
  const b = Buffer.from(slabAb, slabUsed, n);
  // 8-aligned starts keep later word-sized work on the packet aligned.
  slabUsed = (slabUsed + n + 7) & ~7;
  return b;
}

/**
 * Splits a datagram for a link MTU (RFC 791 §3.2 "fragmentation"): every fragment but the
 * last carries a multiple of 8 octets; options are not copied (ours have none).
 * Returns [] when DF forbids it.
 */
export function fragmentIpv4(pkt: Buffer, mtu: number): Buffer[] {
  if (pkt.length <= mtu) return [pkt];
  const hl = (pkt[0]! & 0x0f) * 4;
  const ff = pkt.readUInt16BE(6);
  if (ff & 0x4000) return [];
  const baseOffset = (ff & 0x1fff) * 8;
  const lastMf = (ff & 0x2000) !== 0;
  const per = Math.floor((mtu - 20) / 8) * 8;
  if (per <= 0) return [];
  const data = pkt.subarray(hl);
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += per) {
    const chunk = data.subarray(off, Math.min(off + per, data.length));
    const more = off + per < data.length || lastMf;
    const f = Buffer.allocUnsafe(20 + chunk.length);
    chunk.copy(f, 20);
    writeIpv4Header(f, pkt.readUInt32BE(12), pkt.readUInt32BE(16), pkt[9]!, pkt.readUInt16BE(4), pkt[8]!,
      (more ? 0x2000 : 0) | ((baseOffset + off) / 8));
    out.push(f);
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// TCP (RFC 9293 §3.1), options from RFC 9293 §3.2 and RFC 7323
// ------------------------------------------------------------------------------------------

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** MSS option, if present with the right length. */
  mss?: number;
  /** Window-scale shift, if present (already clamped to 14, RFC 7323 §2.3). */
  wscale?: number;
  sackPermitted: boolean;
  payload: Buffer;
}

export function parseTcp(ip: Ipv4): TcpSegment | DropReason {
  const { packet, headerLength: at } = ip;
  return parseTcpSegment(packet, pseudoSum(ip.src, ip.dst, PROTO_TCP, packet.length - at), at);
}

/**
 * A TCP segment: `pkt` from octet `o` to its end (a whole segment when `o` is 0), whose
 * pseudo-header sum (of either IP version) is `pseudo`.
 */
export function parseTcpSegment(pkt: Buffer, pseudo: number, o = 0): TcpSegment | DropReason {
  const len = pkt.length - o;
  if (len < 20) return 'tcpTruncated';
  const dataOffset = (pkt[o + 12]! >> 4) * 4;
  if (dataOffset < 20 || dataOffset > len) return 'tcpHeaderLength';
  if (!verifies(sum16(pkt, o, pkt.length, pseudo))) return 'tcpChecksum';
  const seg: TcpSegment = {
    srcPort: (pkt[o]! << 8) | pkt[o + 1]!,
    dstPort: (pkt[o + 2]! << 8) | pkt[o + 3]!,
    seq: getU32(pkt, o + 4),
    ack: getU32(pkt, o + 8),
    flags: pkt[o + 13]!,
    window: (pkt[o + 14]! << 8) | pkt[o + 15]!,
    sackPermitted: false,
    payload: bufferView(pkt, o + dataOffset, pkt.length),
  };
  // RFC 9293 §3.2: an implementation must cope with any option, including illegal
  // lengths; a length that is < 2 or runs past the header makes the segment malformed.
  let i = 20;
  while (i < dataOffset) {
    const kind = pkt[o + i]!;
    if (kind === 0) break; // End of Option List
    if (kind === 1) { i++; continue; } // NOP
    if (i + 1 >= dataOffset) return 'tcpOptions';
    const optLen = pkt[o + i + 1]!;
    if (optLen < 2 || i + optLen > dataOffset) return 'tcpOptions';
    // Known options with a wrong length are ignored, as Linux does.
    if (kind === 2 && optLen === 4) seg.mss = (pkt[o + i + 2]! << 8) | pkt[o + i + 3]!;
    else if (kind === 3 && optLen === 3) seg.wscale = Math.min(pkt[o + i + 2]!, 14); // RFC 7323 §2.3
    else if (kind === 4 && optLen === 2) seg.sackPermitted = true;
    // 5 (SACK blocks) and 8 (timestamps) are parsed over and ignored: we never offer them
    // in our SYN or SYN-ACK, so a conforming peer does not send them (RFC 2018 §2, RFC 7323 §3.2).
    i += optLen;
  }
  return seg;
}

export interface TcpOut {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** SYN options. */
  mss?: number;
  wscale?: number;
  payload?: Uint8Array;
  /**
   * A super-segment's segment size (src/wire/gso.ts): its TCP checksum is left 0, each
   * segment gets its own when it is cut. 0 or unset: an ordinary segment.
   */
  gso?: number;
  id: number;
}

export function buildTcp(t: TcpOut): Buffer {
  return buildTcpSegment(t.src, t.dst, t.srcPort, t.dstPort, t, t.id);
}

/** What buildTcpSegment takes from a segment (a connection's own SegmentOut fits). */
export type TcpFields = Pick<TcpOut, 'seq' | 'ack' | 'flags' | 'window' | 'mss' | 'wscale' | 'payload' | 'gso'>;

/** buildTcp with the addressing apart: a connection's segments need no object of their own. */
export function buildTcpSegment(src: number, dst: number, srcPort: number, dstPort: number, t: TcpFields, id: number): Buffer {
  let optLen = 0;
  if (t.mss !== undefined) optLen += 4;
  if (t.wscale !== undefined) optLen += 4; // NOP + WS(3)
  const plen = t.payload?.length ?? 0;
  const tcpLen = 20 + optLen + plen;
  const pkt = allocPacket(20 + tcpLen);
  writeIpv4Header(pkt, src, dst, PROTO_TCP, id);
  const o = 20;
  const flags = t.flags;
  const window = t.window;
  pkt[o] = srcPort >>> 8;
  pkt[o + 1] = srcPort;
  pkt[o + 2] = dstPort >>> 8;
  pkt[o + 3] = dstPort;
  putU32(pkt, o + 4, t.seq >>> 0);
  putU32(pkt, o + 8, t.ack >>> 0);
  pkt[o + 12] = ((20 + optLen) / 4) << 4;
  pkt[o + 13] = flags;
  pkt[o + 14] = window >>> 8;
  pkt[o + 15] = window;
  putU32(pkt, o + 16, 0); // checksum, urgent pointer
  let i = o + 20;
  if (t.mss !== undefined) {
    pkt[i] = 2; pkt[i + 1] = 4; pkt[i + 2] = t.mss >>> 8; pkt[i + 3] = t.mss; i += 4;
  }
  if (t.wscale !== undefined) {
    pkt[i] = 1; pkt[i + 1] = 3; pkt[i + 2] = 3; pkt[i + 3] = t.wscale; i += 4;
  }
  // Header and payload summed apart (the payload starts at an even offset of the segment),
  // the payload as the caller's whole buffer: no view of the packet is made for it.
  if (t.gso) {
    if (t.payload && plen) pkt.set(t.payload, i);
    return pkt;
  }
  let sum = sum16(pkt, o, i, pseudoSum(src, dst, PROTO_TCP, tcpLen));
  if (t.payload && plen) {
    pkt.set(t.payload, i);
    sum = sum16(t.payload, 0, plen, sum);
  }
  const c = finish(sum);
  pkt[o + 16] = c >>> 8;
  pkt[o + 17] = c;
  return pkt;
}

// ------------------------------------------------------------------------------------------
// UDP (RFC 768)
// ------------------------------------------------------------------------------------------

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export function parseUdp(ip: Ipv4): UdpDatagram | DropReason {
  return parseUdpDatagram(ip.payload, (len) => pseudoSum(ip.src, ip.dst, PROTO_UDP, len), true);
}

/** A UDP datagram `b`; `pseudo(len)` is the pseudo-header sum; `zeroOk`: IPv4's "no checksum". */
export function parseUdpDatagram(b: Buffer, pseudo: (len: number) => number, zeroOk: boolean): UdpDatagram | DropReason {
  if (b.length < 8) return 'udpTruncated';
  const len = (b[4]! << 8) | b[5]!;
  if (len < 8 || len > b.length) return 'udpLength';
  const cks = (b[6]! << 8) | b[7]!;
  // RFC 768: a zero checksum means the sender computed none; RFC 8200 §8.1: not over IPv6.
  if (cks === 0 && !zeroOk) return 'udpChecksum';
  if (cks !== 0 && !verifies(sum16(b, 0, len, pseudo(len)))) return 'udpChecksum';
  return { srcPort: (b[0]! << 8) | b[1]!, dstPort: (b[2]! << 8) | b[3]!, payload: b.subarray(8, len) };
}

/** A whole UDP datagram in one IPv4 packet (fragment it afterwards if it is too big). */
export function buildUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array, id: number): Buffer {
  const udpLen = 8 + payload.length;
  const pkt = Buffer.allocUnsafe(20 + udpLen);
  writeIpv4Header(pkt, src, dst, PROTO_UDP, id);
  pkt.writeUInt16BE(srcPort, 20);
  pkt.writeUInt16BE(dstPort, 22);
  pkt.writeUInt16BE(udpLen, 24);
  pkt.writeUInt16BE(0, 26);
  pkt.set(payload, 28);
  const c = finish(sum16(pkt, 20, pkt.length, pseudoSum(src, dst, PROTO_UDP, udpLen)));
  pkt.writeUInt16BE(c === 0 ? 0xffff : c, 26); // RFC 768: a computed zero is sent as all ones
  return pkt;
}

// ------------------------------------------------------------------------------------------
// ICMP (RFC 792)
// ------------------------------------------------------------------------------------------

export interface Icmp {
  type: number;
  code: number;
  /** The 4 octets after the checksum (identifier/sequence for echo). */
  rest: number;
  body: Buffer;
  message: Buffer;
}

export function parseIcmp(ip: Ipv4): Icmp | DropReason {
  const b = ip.payload;
  if (b.length < 8) return 'icmpTruncated';
  if (!verifies(sum16(b, 0, b.length))) return 'icmpChecksum';
  return { type: b[0]!, code: b[1]!, rest: b.readUInt32BE(4), body: b.subarray(8), message: b };
}

export function buildIcmp(src: number, dst: number, type: number, code: number, rest: number, body: Uint8Array, id: number): Buffer {
  const pkt = Buffer.allocUnsafe(28 + body.length);
  writeIpv4Header(pkt, src, dst, PROTO_ICMP, id);
  pkt[20] = type;
  pkt[21] = code;
  pkt.writeUInt16BE(0, 22);
  pkt.writeUInt32BE(rest >>> 0, 24);
  pkt.set(body, 28);
  pkt.writeUInt16BE(finish(sum16(pkt, 20, pkt.length)), 22);
  return pkt;
}

/**
 * The part of an offending datagram quoted in an ICMP error: its header and as much data
 * as keeps the error within 576 octets (RFC 1812 §4.3.2.3; RFC 792 asks for at least 8).
 */
export function icmpQuote(original: Buffer): Buffer {
  return original.subarray(0, Math.min(original.length, 576 - 28));
}

// ------------------------------------------------------------------------------------------
// Addresses
// ------------------------------------------------------------------------------------------

/** parseIp4 for addresses the program itself wrote (configuration already checked). */
export function ip4(s: string): number {
  const a = parseIp4(s);
  if (a === undefined) throw new TypeError(`not an IPv4 address: ${s}`);
  return a;
}

/** Multicast (224/4), class E and limited broadcast (240/4), RFC 1122 §3.2.1.3. */
export function isMulticastOrReserved(a: number): boolean {
  return (a >>> 28) >= 0xe;
}
