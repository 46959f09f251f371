/**
 * MD4 (RFC 1320), for MS-CHAP's NtPasswordHash (RFC 2433 §A.3, RFC 2759 §8.3).
 *
 * Hand-written because Node's OpenSSL 3 default provider has no MD4
 * (`createHash('md4')` throws "unsupported" without --openssl-legacy-provider),
 * and dialtone must not depend on the legacy provider.
 */

/** RFC 1320 §3.4: F, G, H are the round functions; all arithmetic is mod 2^32. */
const rotl = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

/** One 64-octet block (RFC 1320 §3.4 "Process Message in 16-Word Blocks"). */
function block(state: Uint32Array, x: Uint32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  const F = (p: number, q: number, r: number): number => (p & q) | (~p & r);
  const G = (p: number, q: number, r: number): number => (p & q) | (p & r) | (q & r);
  const H = (p: number, q: number, r: number): number => p ^ q ^ r;

  // Round 1: [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s
  for (const k of [0, 4, 8, 12]) {
    a = rotl((a + F(b, c, d) + x[k]!) | 0, 3);
    d = rotl((d + F(a, b, c) + x[k + 1]!) | 0, 7);
    c = rotl((c + F(d, a, b) + x[k + 2]!) | 0, 11);
    b = rotl((b + F(c, d, a) + x[k + 3]!) | 0, 19);
  }
  // Round 2: a = (a + G(b,c,d) + X[k] + 5A827999) <<< s, k walking the columns
  for (const k of [0, 1, 2, 3]) {
    a = rotl((a + G(b, c, d) + x[k]! + 0x5a827999) | 0, 3);
    d = rotl((d + G(a, b, c) + x[k + 4]! + 0x5a827999) | 0, 5);
    c = rotl((c + G(d, a, b) + x[k + 8]! + 0x5a827999) | 0, 9);
    b = rotl((b + G(c, d, a) + x[k + 12]! + 0x5a827999) | 0, 13);
  }
  // Round 3: a = (a + H(b,c,d) + X[k] + 6ED9EBA1) <<< s, k in bit-reversed order
  for (const k of [0, 2, 1, 3]) {
    a = rotl((a + H(b, c, d) + x[k]! + 0x6ed9eba1) | 0, 3);
    d = rotl((d + H(a, b, c) + x[k + 8]! + 0x6ed9eba1) | 0, 9);
    c = rotl((c + H(d, a, b) + x[k + 4]! + 0x6ed9eba1) | 0, 11);
    b = rotl((b + H(c, d, a) + x[k + 12]! + 0x6ed9eba1) | 0, 15);
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
}

/** The 16-octet MD4 digest of `data`. */
export function md4(data: Uint8Array): Buffer {
  // RFC 1320 §3.1–3.2: pad with 0x80 then zeros to 56 mod 64, then the bit length
  // as a 64-bit little-endian integer.
  const padded = Buffer.alloc((((data.length + 8) >> 6) + 1) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const bits = data.length * 8;
  padded.writeUInt32LE(bits >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x1_0000_0000), padded.length - 4);

  // RFC 1320 §3.3: the initial buffer (words A..D, low-order octets first).
  const state = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  const x = new Uint32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    block(state, x);
  }
  x.fill(0);
  padded.fill(0); // the input is often a password
  const out = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(state[i]!, i * 4);
  return out;
}
