/**
 * Just enough IPv4 (RFC 791) and ICMP (RFC 792) to prove a link carries data: address
 * formatting, the Internet checksum, and answering an echo request. The userspace
 * network stack builds on these.
 */

export function ip4ToString(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Dotted quad to a u32; undefined unless it is exactly four decimal octets. */
export function parseIp4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** RFC 1071 one's-complement sum of 16-bit words, folded and complemented. */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Header {
  headerLength: number;
  totalLength: number;
  protocol: number;
  ttl: number;
  src: number;
  dst: number;
  /** More-fragments set or a non-zero offset. */
  fragment: boolean;
}

/** Check first: returns a header whose fields are all within the packet, or undefined. */
export function parseIpv4(pkt: Buffer): Ipv4Header | undefined {
  if (pkt.length < 20 || pkt[0]! >> 4 !== 4) return undefined;
  const headerLength = (pkt[0]! & 0x0f) * 4;
  const totalLength = pkt.readUInt16BE(2);
  if (headerLength < 20 || totalLength < headerLength || totalLength > pkt.length) return undefined;
  if (internetChecksum(pkt, 0, headerLength) !== 0) return undefined;
  const flagsFrag = pkt.readUInt16BE(6);
  return {
    headerLength,
    totalLength,
    protocol: pkt[9]!,
    ttl: pkt[8]!,
    src: pkt.readUInt32BE(12),
    dst: pkt.readUInt32BE(16),
    fragment: (flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0,
  };
}

export const IPPROTO_ICMP = 1;

/**
 * If `pkt` is an ICMP echo request (RFC 792) addressed to `self`, the echo reply;
 * otherwise undefined.
 */
export function icmpEchoReply(pkt: Buffer, self: number): Buffer | undefined {
  const h = parseIpv4(pkt);
  if (!h || h.dst !== self || h.protocol !== IPPROTO_ICMP || h.fragment) return undefined;
  const icmpLen = h.totalLength - h.headerLength;
  if (icmpLen < 8 || pkt[h.headerLength] !== 8) return undefined;
  if (internetChecksum(pkt, h.headerLength, h.totalLength) !== 0) return undefined;
  const reply = Buffer.from(pkt.subarray(0, h.totalLength));
  reply.writeUInt32BE(h.dst, 12);
  reply.writeUInt32BE(h.src, 16);
  reply[8] = 64;
  reply.writeUInt16BE(0, 10);
  reply.writeUInt16BE(internetChecksum(reply, 0, h.headerLength), 10);
  reply[h.headerLength] = 0; // echo reply
  reply.writeUInt16BE(0, h.headerLength + 2);
  reply.writeUInt16BE(internetChecksum(reply, h.headerLength, h.totalLength), h.headerLength + 2);
  return reply;
}

/** Builds an ICMP echo request (for tests and `ping`-like probes). */
export function icmpEchoRequest(src: number, dst: number, id: number, seq: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const pkt = Buffer.alloc(28 + payload.length);
  pkt[0] = 0x45;
  pkt.writeUInt16BE(pkt.length, 2);
  pkt[8] = 64;
  pkt[9] = IPPROTO_ICMP;
  pkt.writeUInt32BE(src, 12);
  pkt.writeUInt32BE(dst, 16);
  pkt.writeUInt16BE(internetChecksum(pkt, 0, 20), 10);
  pkt[20] = 8;
  pkt.writeUInt16BE(id, 24);
  pkt.writeUInt16BE(seq, 26);
  pkt.set(payload, 28);
  pkt.writeUInt16BE(internetChecksum(pkt, 20, pkt.length), 22);
  return pkt;
}
