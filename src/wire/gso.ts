/**
 * Segmentation offload (Linux's GSO/TSO): a TCP sender with a link that can segment hands
 * it one IPv4 segment carrying many MSS worth of data (a "super-segment", up to 64 KiB)
 * instead of one packet per MSS, and the link cuts it into the segments the sender would
 * have sent: the same octets, headers and checksums on the wire, but the per-segment work
 * between the stack and the line (building, checksumming, handing each packet down
 * through the session) done once. On a bulk download that per-segment work was most of
 * dialtone's CPU (docs/data-path.md).
 *
 * The packet carries its segment size beside it (Linux's skb_shinfo gso_size) in a weak
 * map: anything that does not ask for it sees an ordinary (oversized) packet, and a
 * packet nobody marked is never segmented. The native HDLC kernel segments while it frames
 * (src/wire/hdlc.ts encodeSegments); segmentGso() is the software path for links and
 * states it cannot serve (VJ, compression, encryption, FCS-32, no addon), and the
 * reference the kernel is tested against.
 *
 * A super-segment's TCP checksum field is not filled in (each segment gets its own), and
 * its IP identification is the first segment's: segment i carries id + i, as the stack
 * would have numbered them. FIN and PSH belong to the last segment.
 */
import { finish, pseudoSum, sum16 } from './checksum.js';
import { allocPacket, PROTO_TCP, TCP_FIN, TCP_PSH } from './packet.js';

const SIZES = new WeakMap<Uint8Array, number>();

/** `pkt` is a super-segment whose data goes in segments of `mss` octets. */
export function markGso(pkt: Uint8Array, mss: number): void {
  SIZES.set(pkt, mss);
}

/** The segment size of a super-segment; 0 for any other packet. */
export function gsoSize(pkt: Uint8Array): number {
  return SIZES.get(pkt) ?? 0;
}

/** IP and TCP header octets of an IPv4 TCP packet. */
export function tcpHeaderLength(pkt: Uint8Array): number {
  const iph = (pkt[0]! & 15) * 4;
  return iph + (pkt[iph + 12]! >> 4) * 4;
}

/** How many segments a super-segment of segment size `mss` makes. */
export function gsoSegments(pkt: Uint8Array, mss: number): number {
  return Math.max(1, Math.ceil((pkt.length - tcpHeaderLength(pkt)) / mss));
}

/** The octets the segments of a super-segment take together (each with its headers). */
export function gsoBytes(pkt: Uint8Array, mss: number): number {
  return pkt.length + (gsoSegments(pkt, mss) - 1) * tcpHeaderLength(pkt);
}

/** The segments of a super-segment, as the sender would have built them one by one. */
export function segmentGso(pkt: Buffer, mss: number): Buffer[] {
  const iph = (pkt[0]! & 15) * 4;
  const hl = tcpHeaderLength(pkt);
  const tcph = hl - iph;
  const plen = pkt.length - hl;
  const n = gsoSegments(pkt, mss);
  const id0 = (pkt[4]! << 8) | pkt[5]!;
  const seq0 = pkt.readUInt32BE(iph + 4);
  const flags = pkt[iph + 13]!;
  const src = pkt.readUInt32BE(12);
  const dst = pkt.readUInt32BE(16);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const off = i * mss;
    const len = Math.min(mss, plen - off);
    const s = allocPacket(hl + len);
    pkt.copy(s, 0, 0, hl);
    pkt.copy(s, hl, hl + off, hl + off + len);
    s.writeUInt16BE(hl + len, 2);
    s.writeUInt16BE((id0 + i) & 0xffff, 4);
    s.writeUInt16BE(0, 10);
    s.writeUInt16BE(finish(sum16(s, 0, iph)), 10);
    s.writeUInt32BE((seq0 + off) >>> 0, iph + 4);
    s[iph + 13] = i + 1 < n ? flags & ~(TCP_FIN | TCP_PSH) : flags;
    s.writeUInt16BE(0, iph + 16);
    s.writeUInt16BE(finish(sum16(s, iph, s.length, pseudoSum(src, dst, PROTO_TCP, tcph + len))), iph + 16);
    out.push(s);
  }
  return out;
}
