/**
 * Just enough IPv6 (RFC 8200) and ICMPv6 (RFC 4443) for a PPP link: the fixed header,
 * address text (RFC 4291 §2.2 in, RFC 5952 out), the upper-layer checksum over the
 * pseudo-header (RFC 8200 §8.1), and answering an echo request. Parsers never throw: a bad
 * packet yields a short reason string, as in packet.ts.
 */
import { finish, sum16, verifies } from './checksum.js';
import { buildTcp, parseTcpSegment, parseUdpDatagram, type TcpOut, type TcpSegment, type UdpDatagram } from './packet.js';

export const IPV6_HEADER = 40;
export const NEXT_TCP = 6;
export const NEXT_UDP = 17;
export const NEXT_ICMPV6 = 58;

export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_ROUTER_SOLICIT = 133;
export const ICMPV6_ROUTER_ADVERT = 134;
export const ICMPV6_NEIGHBOR_SOLICIT = 135;

export interface Ipv6 {
  /** The whole packet, trimmed to 40 + payload length. */
  packet: Buffer;
  trafficClass: number;
  flowLabel: number;
  nextHeader: number;
  hopLimit: number;
  /** 16 octets each (views into the packet). */
  src: Buffer;
  dst: Buffer;
  payload: Buffer;
}

export function parseIpv6(buf: Buffer): Ipv6 | string {
  if (buf.length < IPV6_HEADER) return 'ip6Truncated';
  if (buf[0]! >> 4 !== 6) return 'ip6Version';
  const len = buf.readUInt16BE(4);
  // Jumbograms (payload length 0 + Hop-by-Hop option, RFC 2675) cannot cross a PPP link.
  if (IPV6_HEADER + len > buf.length) return 'ip6Truncated';
  const packet = buf.subarray(0, IPV6_HEADER + len);
  const w = buf.readUInt32BE(0);
  return {
    packet,
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    nextHeader: buf[6]!,
    hopLimit: buf[7]!,
    src: packet.subarray(8, 24),
    dst: packet.subarray(24, 40),
    payload: packet.subarray(IPV6_HEADER),
  };
}

/** RFC 8200 §8.1: the pseudo-header (addresses, upper-layer length, next header) as an unfolded sum. */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return sum16(src, 0, 16) + sum16(dst, 0, 16) + Math.floor(length / 65536) + (length & 0xffff) + nextHeader;
}

/** True when an upper-layer message (its checksum field included) verifies against the pseudo-header. */
export function upperVerifies(ip: Ipv6): boolean {
  return verifies(sum16(ip.payload, 0, ip.payload.length, pseudoSum6(ip.src, ip.dst, ip.nextHeader, ip.payload.length)));
}

/** An IPv6 packet; the upper-layer checksum at `checksumAt` (offset in `payload`) is filled in when given. */
export function buildIpv6(src: Uint8Array, dst: Uint8Array, nextHeader: number, payload: Uint8Array, hopLimit = 64, checksumAt?: number): Buffer {
  const p = Buffer.alloc(IPV6_HEADER + payload.length);
  p.writeUInt32BE(0x60000000, 0);
  p.writeUInt16BE(payload.length, 4);
  p[6] = nextHeader;
  p[7] = hopLimit;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, IPV6_HEADER);
  if (checksumAt !== undefined) {
    const at = IPV6_HEADER + checksumAt;
    p.writeUInt16BE(0, at);
    let c = finish(sum16(p, IPV6_HEADER, p.length, pseudoSum6(src, dst, nextHeader, payload.length)));
    // RFC 768 / RFC 8200 §8.1: a UDP checksum of zero is sent as all ones.
    if (c === 0 && nextHeader === NEXT_UDP) c = 0xffff;
    p.writeUInt16BE(c, at);
  }
  return p;
}

/** An ICMPv6 message (RFC 4443 §2.1: type, code, checksum, body) in an IPv6 packet. */
export function buildIcmpv6(src: Uint8Array, dst: Uint8Array, type: number, code: number, body: Uint8Array, hopLimit = 64): Buffer {
  const m = Buffer.alloc(4 + body.length);
  m[0] = type;
  m[1] = code;
  m.set(body, 4);
  return buildIpv6(src, dst, NEXT_ICMPV6, m, hopLimit, 2);
}

export interface Icmpv6 {
  type: number;
  code: number;
  /** After type, code and checksum. */
  body: Buffer;
}

/** An ICMPv6 message carried directly (no extension headers) whose checksum verifies. */
export function parseIcmpv6(ip: Ipv6): Icmpv6 | string {
  if (ip.nextHeader !== NEXT_ICMPV6) return 'icmp6NotIcmp';
  if (ip.payload.length < 4) return 'icmp6Truncated';
  if (!upperVerifies(ip)) return 'icmp6Checksum';
  return { type: ip.payload[0]!, code: ip.payload[1]!, body: ip.payload.subarray(4) };
}

/**
 * If `pkt` is an ICMPv6 echo request (RFC 4443 §4.1) to `self`, the echo reply (§4.2: same
 * identifier, sequence and data, from `self`); otherwise undefined.
 */
export function icmpv6EchoReply(pkt: Buffer, self: Uint8Array): Buffer | undefined {
  const ip = parseIpv6(pkt);
  if (typeof ip === 'string' || !ip.dst.equals(self)) return undefined;
  const m = parseIcmpv6(ip);
  if (typeof m === 'string' || m.type !== ICMPV6_ECHO_REQUEST || m.code !== 0) return undefined;
  return buildIcmpv6(self, ip.src, ICMPV6_ECHO_REPLY, 0, m.body);
}

/** An ICMPv6 echo request (for tests and ping-like probes). */
export function icmpv6EchoRequest(src: Uint8Array, dst: Uint8Array, id: number, seq: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(4 + data.length);
  body.writeUInt16BE(id & 0xffff, 0);
  body.writeUInt16BE(seq & 0xffff, 2);
  body.set(data, 4);
  return buildIcmpv6(src, dst, ICMPV6_ECHO_REQUEST, 0, body);
}

/** fe80::/64 + an interface identifier (RFC 4291 §2.5.6, RFC 5072 §5). */
export function linkLocal(ifaceId: Uint8Array): Buffer {
  const a = Buffer.alloc(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(ifaceId.subarray(0, 8), 8);
  return a;
}

/** A /64 prefix (its first 8 octets) + an interface identifier. */
export function withPrefix(prefix: Uint8Array, ifaceId: Uint8Array): Buffer {
  const a = Buffer.alloc(16);
  a.set(prefix.subarray(0, 8), 0);
  a.set(ifaceId.subarray(0, 8), 8);
  return a;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`. */
export function ip6ToString(a: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i]! << 8) | a[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** RFC 4291 §2.2 text (including a trailing dotted quad) to 16 octets; undefined if malformed. */
export function parseIp6(s: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return undefined;
  let text = s;
  if (text.includes('.')) {
    // A trailing dotted quad (::ffff:192.0.2.1) stands for the last two groups.
    const colon = text.lastIndexOf(':');
    const quad = text.slice(colon + 1).split('.');
    if (colon < 0 || quad.length !== 4 || quad.some((q) => !/^\d{1,3}$/.test(q) || Number(q) > 255)) return undefined;
    const n = quad.map(Number);
    text = `${text.slice(0, colon + 1)}${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some((x) => !/^[0-9a-fA-F]{1,4}$/.test(x))) return undefined;
  const n = head.length + rest.length;
  if (halves.length === 2 ? n > 7 : n !== 8) return undefined;
  const words = [...head.map((x) => parseInt(x, 16)), ...Array(8 - n).fill(0), ...rest.map((x) => parseInt(x, 16))];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/**
 * One text per address, so addresses compare as strings: IPv4 as is, an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2, how a dual-stack socket sees IPv4 peers) as its
 * IPv4 address, other IPv6 in RFC 5952 form; anything else unchanged.
 */
export function canonicalIp(s: string): string {
  const a = s.includes(':') ? parseIp6(s) : undefined;
  if (!a) return s;
  const mapped = a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff;
  return mapped ? `${a[12]}.${a[13]}.${a[14]}.${a[15]}` : ip6ToString(a);
}

/** A TCP segment over IPv6: the header buildTcp writes, checksummed over the IPv6 pseudo-header. */
export function buildTcp6(t: Omit<TcpOut, 'src' | 'dst' | 'id'> & { src: Uint8Array; dst: Uint8Array }): Buffer {
  const v4 = buildTcp({ ...t, src: 0, dst: 0, id: 0 });
  return buildIpv6(t.src, t.dst, NEXT_TCP, v4.subarray(20), 64, 16);
}

export function buildUdp6(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Buffer {
  const u = Buffer.alloc(8 + payload.length);
  u.writeUInt16BE(srcPort, 0);
  u.writeUInt16BE(dstPort, 2);
  u.writeUInt16BE(u.length, 4);
  u.set(payload, 8);
  return buildIpv6(src, dst, NEXT_UDP, u, 64, 6);
}

export function parseTcp6(ip: Ipv6): TcpSegment | string {
  return parseTcpSegment(ip.payload, pseudoSum6(ip.src, ip.dst, NEXT_TCP, ip.payload.length));
}

export function parseUdp6(ip: Ipv6): UdpDatagram | string {
  return parseUdpDatagram(ip.payload, (len) => pseudoSum6(ip.src, ip.dst, NEXT_UDP, len), false);
}
