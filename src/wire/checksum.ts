/**
 * The Internet checksum (RFC 1071) in pieces, so that a pseudo-header, a header and a
 * payload can be summed separately and folded once.
 *
 * `sum16` returns an unfolded sum of big-endian 16-bit words; sums may be added together
 * as long as every range starts at an even offset of the checksummed whole (RFC 1071 §2:
 * the sum is commutative and associative over aligned words). Numbers stay exact up to
 * 2^53, far beyond the 65535-octet IPv4 limit.
 *
 * Every TCP segment's payload is summed once each way (verified on input, computed on
 * output), so this is on the data path's per-octet bill: long ranges are copied into a
 * small WebAssembly module (assembled here by ./wasm-asm.ts) and summed sixteen octets
 * per SIMD add, about four times what the best plain-JS loop (32-bit loads) managed on
 * the bench machine, copy included.
 */
import { Fn, I32, V128, assemble } from './wasm-asm.js';
import {
  I32X4_ADD,
  I32X4_EXTADD_PAIRWISE_I16X8_U,
  I32X4_EXTRACT_LANE,
  I32X4_SPLAT,
  I32_ADD,
  I32_GE_U,
  V128_LOAD,
  V128_STORE,
} from './wasm-ops.js';

/** Ranges shorter than this are summed in JS (the copy and call would cost more). */
const WASM_MIN = 128;
/** Where the octets to sum are copied in the module's memory (16-aligned). */
const IN = 64;
/** Most octets one call sums: bounds the lanes (see sumFn) and the memory. */
const CHUNK = 65536;
/** Octets outside the range that may be copied along with it (see sum16). */
const EXCESS = 128;

export function sum16(buf: Uint8Array, start: number, end: number, initial = 0): number {
  const n = end - start;
  if (n < WASM_MIN) return sum16Octets(buf, start, end, initial);
  const k = kernel();
  if (n <= CHUNK && buf.length - n <= EXCESS) {
    // Most of the buffer (a segment after its headers): copy all of it rather than make a
    // view of the range, which costs more than copying a few header octets.
    k.mem.set(buf, IN);
    return initial + swapFolded(k.sum(IN + start, n));
  }
  let sum = initial;
  // Chunks are even in length, so each begins at an even offset of the range (RFC 1071).
  for (let at = start; at < end; at += CHUNK) {
    const len = Math.min(CHUNK, end - at);
    k.mem.set(new Uint8Array(buf.buffer, buf.byteOffset + at, len), IN);
    sum += swapFolded(k.sum(IN, len));
  }
  return sum;
}

/**
 * RFC 1071 §2(B): the module sums little-endian words; swapping the folded sum's octets
 * gives the big-endian one.
 */
function swapFolded(leSum: number): number {
  const le = fold(leSum >>> 0);
  return ((le & 0xff) << 8) | (le >>> 8);
}

interface Kernel {
  mem: Uint8Array;
  sum(p: number, n: number): number;
}
let made: Kernel | undefined;
function kernel(): Kernel {
  if (made) return made;
  const pages = Math.ceil((IN + CHUNK + EXCESS + 64) / 65536);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(assemble(pages, { sum: sumFn() })));
  const mem = new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer);
  return (made = { mem, sum: inst.exports.sum as (p: number, n: number) => number });
}

/**
 * sum(p, n) -> the sum of mem[p .. p + n) as little-endian 16-bit words (p may be odd:
 * words pair octets from p on), in 32 bits (read it unsigned), zero-padded to 64 octets.
 * Each 64-octet step adds at most 4 * 65535 to each lane of two accumulators: n <= CHUNK
 * keeps every lane, and their total, below 2^32.
 */
function sumFn(): Fn {
  const f = new Fn({ p: I32, n: I32 }, [I32]);
  f.local('end', I32).local('a', V128).local('b', V128);
  f.get('p').get('n').op(I32_ADD).set('end');
  f.i32(0).simd(I32X4_SPLAT).set('a');
  f.i32(0).simd(I32X4_SPLAT).set('b');
  // The padding (over the copy's scratch octets): the last step may read up to 63 octets past the end.
  for (let o = 0; o < 64; o += 16) f.get('end').get('a').simdMem(V128_STORE, 0, o);
  const add = (acc: 'a' | 'b', off: number) => f.get(acc).get('p').simdMem(V128_LOAD, 0, off).simd(I32X4_EXTADD_PAIRWISE_I16X8_U).simd(I32X4_ADD).set(acc);
  f.block('done', () =>
    f.loop('step', () => {
      f.get('p').get('end').op(I32_GE_U).brIf('done');
      add('a', 0);
      add('b', 16);
      add('a', 32);
      add('b', 48);
      f.get('p').i32(64).op(I32_ADD).set('p');
      f.br('step');
    }),
  );
  f.get('a').get('b').simd(I32X4_ADD).set('a');
  f.get('a').simd(I32X4_EXTRACT_LANE).op(0);
  for (let l = 1; l < 4; l++) f.get('a').simd(I32X4_EXTRACT_LANE).op(l).op(I32_ADD);
  return f;
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
