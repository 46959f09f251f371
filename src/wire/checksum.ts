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
  const at = buf.byteOffset + start;
  // Long ranges that start at an even address are summed four octets per load (below);
  // anything else (headers, odd placements) octet by octet.
  if (!LITTLE_ENDIAN || end - start < 64 || (at & 1) !== 0) return sum16Octets(buf, start, end, initial);
  let i = start;
  let sum = initial;
  if (at & 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
    i += 2;
  }
  const words = words32(buf.buffer as ArrayBuffer);
  let w = (buf.byteOffset + i) >>> 2;
  const last = w + ((end - i) >>> 2);
  // RFC 1071 §2(B),(C): the sum may be taken in 32-bit little-endian words (byte order
  // independence, parallel summation) and folded and byte-swapped afterwards. A double
  // holds the sum of 2^21 such words exactly: far more than one IPv4 datagram.
  let le = 0;
  for (; w + 3 < last; w += 4) le += words[w]! + words[w + 1]! + words[w + 2]! + words[w + 3]!;
  for (; w < last; w++) le += words[w]!;
  le = fold(le);
  sum += ((le & 0xff) << 8) | (le >>> 8);
  i = end - ((end - i) & 3);
  return sum16Octets(buf, i, end, sum);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** A word view of the last memory summed (packets of one slab or pool share it). */
let wordsOf: ArrayBuffer | undefined;
let wordsView = new Uint32Array(0);
function words32(ab: ArrayBuffer): Uint32Array {
  if (ab !== wordsOf) {
    wordsOf = ab;
    wordsView = new Uint32Array(ab, 0, ab.byteLength >>> 2);
  }
  return wordsView;
}

/** sum16, one octet pair at a time. */
function sum16Octets(buf: Uint8Array, start: number, end: number, initial: number): number {
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
