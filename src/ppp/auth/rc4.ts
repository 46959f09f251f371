/**
 * RC4 (the "alleged RC4" of RFC 6229 §1), for MPPE (RFC 3078 §3, RFC 3079).
 * Hand-written because Node's OpenSSL 3 default provider no longer has RC4.
 * The state persists across `process` calls: MPPE in stateful mode keeps one
 * keystream running over many packets (RFC 3078 §4).
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  /** Key scheduling (KSA) with a 1..256-octet key. */
  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new RangeError('RC4 key must be 1..256 octets');
    this.rekey(key);
  }

  /** Restarts the keystream with a new key (MPPE re-initialises RC4 on every key change, RFC 3078 §7). */
  rekey(key: Uint8Array): void {
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.length]!) & 0xff;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
    this.i = 0;
    this.j = 0;
  }

  /**
   * XORs `input` with the next input.length keystream octets into `output`
   * (a new Buffer unless given; pass `input` itself to work in place).
   */
  process(input: Uint8Array, output: Uint8Array = Buffer.alloc(input.length)): Buffer {
    if (output.length < input.length) throw new RangeError('RC4 output shorter than input');
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let n = 0; n < input.length; n++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      output[n] = input[n]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return Buffer.isBuffer(output) ? output : Buffer.from(output.buffer, output.byteOffset, output.length);
  }

  /** Wipes the state (the state reveals the key's keystream). */
  destroy(): void {
    this.s.fill(0);
    this.i = this.j = 0;
  }
}

/** One-shot RC4 of `data` under `key`. */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  const r = new Rc4(key);
  const out = r.process(data);
  r.destroy();
  return out;
}
