/**
 * The Internet checksum (RFC 1071) in pieces, so that a pseudo-header, a header and a
 * payload can be summed separately and folded once.
 *
 * `sum16` returns an unfolded sum of big-endian 16-bit words; sums may be added together
 * as long as every range starts at an even offset of the checksummed whole (RFC 1071 §2:
 * the sum is commutative and associative over aligned words). Numbers stay exact up to
 * 2^53, far beyond the 65535-octet IPv4 limit.
 */

export function sum16(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i + 7 < even; i += 8) {
    sum += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!) +
      ((buf[i + 4]! << 8) | buf[i + 5]!) + ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  for (; i < even; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (even < end) sum += buf[even]! << 8; // RFC 1071: an odd last octet is padded with zero
  return sum;
}

/** Folds a sum to 16 bits (end-around carry). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

/** The value to put in a checksum field: the complement of the folded sum. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** The TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 768) as an unfolded sum. */
export function pseudoSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** True when a received range (checksum field included) verifies. */
export function verifies(sum: number): boolean {
  return fold(sum) === 0xffff;
}
