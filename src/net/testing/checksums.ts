/** Test aid: makes mutated packets pass the checksum checks, so fuzzing reaches past them. */
import { finish, pseudoSum, sum16 } from '../../wire/checksum.js';
import { PROTO_TCP, PROTO_UDP } from '../../wire/packet.js';

/** Recomputes the IP header checksum and, for whole TCP/UDP/ICMP datagrams, the transport one. */
export function fixChecksums(p: Buffer): Buffer {
  if (p.length < 20) return p;
  const hl = (p[0]! & 0x0f) * 4;
  if (hl < 20 || hl > p.length) return p;
  p.writeUInt16BE(0, 10);
  p.writeUInt16BE(finish(sum16(p, 0, hl)), 10);
  const total = Math.min(p.readUInt16BE(2), p.length);
  const frag = (p.readUInt16BE(6) & 0x3fff) !== 0;
  if (frag || total < hl) return p;
  const src = p.readUInt32BE(12);
  const dst = p.readUInt32BE(16);
  const len = total - hl;
  if (p[9] === PROTO_TCP && len >= 20) {
    p.writeUInt16BE(0, hl + 16);
    p.writeUInt16BE(finish(sum16(p, hl, total, pseudoSum(src, dst, PROTO_TCP, len))), hl + 16);
  } else if (p[9] === PROTO_UDP && len >= 8) {
    p.writeUInt16BE(0, hl + 6);
    p.writeUInt16BE(finish(sum16(p, hl, total, pseudoSum(src, dst, PROTO_UDP, len))), hl + 6);
  } else if (p[9] === 1 && len >= 4) {
    p.writeUInt16BE(0, hl + 2);
    p.writeUInt16BE(finish(sum16(p, hl, total)), hl + 2);
  }
  return p;
}
