/**
 * Just enough IPv4 (RFC 791) and ICMP (RFC 792) to prove a link carries data: address
 * formatting, the Internet checksum, and answering an echo request, on the packet views of
 * packet.ts (which the userspace network stack uses too).
 */
import { finish, sum16 } from './checksum.js';
import { buildIcmp, parseIcmp, parseIpv4, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, PROTO_ICMP } from './packet.js';

export function ip4ToString(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Dotted quad to a u32; undefined unless it is exactly four decimal octets. */
export function parseIp4(s: string): number | undefined {
  // A scan rather than a regular expression and arrays: `dialtone isp` parses its gateway
  // and DNS addresses for every session it sets up.
  let addr = 0;
  let at = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && s.charCodeAt(at++) !== 0x2e) return undefined; // '.'
    let value = 0;
    let digits = 0;
    for (let c = s.charCodeAt(at); c >= 0x30 && c <= 0x39 && digits < 4; c = s.charCodeAt(++at), digits++) value = value * 10 + c - 0x30;
    if (digits === 0 || digits > 3 || value > 255) return undefined;
    addr = (addr << 8) | value;
  }
  return at === s.length ? addr >>> 0 : undefined;
}

/** RFC 1071: the checksum of a range (0 when a range that holds its checksum verifies). */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return finish(sum16(buf, start, end));
}

/**
 * If `pkt` is an ICMP echo request (RFC 792) addressed to `self`, the echo reply (same
 * identifier, sequence and data); otherwise undefined.
 */
export function icmpEchoReply(pkt: Buffer, self: number): Buffer | undefined {
  const ip = parseIpv4(pkt);
  if (typeof ip === 'string' || ip.dst !== self || ip.protocol !== PROTO_ICMP || ip.moreFragments || ip.fragmentOffset) return undefined;
  const icmp = parseIcmp(ip);
  if (typeof icmp === 'string' || icmp.type !== ICMP_ECHO_REQUEST || icmp.code !== 0) return undefined;
  return buildIcmp(ip.dst, ip.src, ICMP_ECHO_REPLY, 0, icmp.rest, icmp.body, ip.id);
}

/** Builds an ICMP echo request (for tests and `ping`-like probes). */
export function icmpEchoRequest(src: number, dst: number, id: number, seq: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  return buildIcmp(src, dst, ICMP_ECHO_REQUEST, 0, ((id & 0xffff) << 16 | (seq & 0xffff)) >>> 0, payload, 0);
}
