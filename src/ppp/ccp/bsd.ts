/**
 * BSD-Compress (RFC 1977): CCP option 21, LZW ("compress") with 9..15-bit codes, as
 * Linux and pppd's bsd-comp.c run it, which is what a peer's kernel will decode:
 *
 *  - a Compressed Datagram is a 2-octet sequence number, then codes written most
 *    significant bit first, the last byte padded with ones (RFC 1977 §2.2);
 *  - the string starts with the protocol's low octet (only protocols 0x21..0xf9 are
 *    compressed), the dictionary lives across packets, and codes widen from 9 bits as
 *    it fills ("as the decompressor will", also at packet ends);
 *  - every 10000 input bytes the compression ratio is checked; once the dictionary is
 *    full and the ratio got worse (or is below 1), the CLEAR code (256) ends the packet
 *    and both sides start a new dictionary (RFC 1977 §2.2, bsd_check);
 *  - a frame that does not get smaller goes as it is, but was added to the dictionary:
 *    the receiver adds it too (`incomp`), by running the compressor over it;
 *  - a sequence number out of step asks for a Reset-Request; codes that cannot be
 *    decoded take CCP down (pppd: DECOMP_FATALERROR).
 *
 * The dictionary is the classic open-addressing hash of (prefix code, suffix byte) with
 * double hashing; `cptr` maps a code back to its slot so the decompressor can walk a
 * string backwards and both sides can take over a slot when a code is reused.
 */
import { opt, type ConfigOption } from '../packet.js';
import type { CcpOptions } from './options.js';
import type { CompressionMethod, Compressor, DecompressResult, Decompressor, MethodNegotiation, Verdict } from './method.js';

export const CI_BSD_COMPRESS = 21;
const BSD_VERSION = 1;
export const BSD_MIN_BITS = 9;
export const BSD_MAX_BITS = 15;
const CLEAR = 256;
const FIRST = 257;
const LAST = 255;
const maxCode = (bits: number) => (1 << bits) - 1;
const BADCODEM1 = maxCode(BSD_MAX_BITS);
/** bsd_check: how often (input bytes) the ratio is looked at, and its fixed-point scale. */
const CHECK_GAP = 10000;
const RATIO_SCALE_LOG = 8;
const RATIO_SCALE = 1 << RATIO_SCALE_LOG;
const RATIO_MAX = 0x7fffffff >> RATIO_SCALE_LOG;
/** Bound on one decompressed frame (protocol octet + the largest Information field). */
const MAX_FRAME = 1 + 65535;

/** Hash table size and shift per code width (bsd-comp.c bsd_alloc): primes above 2^bits. */
function tableSize(bits: number): { hsize: number; hshift: number } {
  if (bits <= 12) return { hsize: 5003, hshift: 4 };
  if (bits === 13) return { hsize: 9001, hshift: 5 };
  if (bits === 14) return { hsize: 18013, hshift: 6 };
  return { hsize: 35023, hshift: 7 };
}

export function bsdHandles(protocol: number): boolean {
  return protocol >= 0x21 && protocol <= 0xf9;
}

/** One direction's LZW state (pppd struct bsd_db). */
class BsdDb {
  readonly hsize: number;
  readonly hshift: number;
  readonly maxmaxcode: number;
  /** Per hash slot: the (suffix << 16 | prefix) key, the code - 1 it holds. */
  readonly fcode: Uint32Array;
  readonly codem1: Uint16Array;
  /** Per code: the hash slot that holds it. */
  readonly cptr: Uint16Array;
  /** Per code: the length of its string (decompressor only). */
  readonly lens: Uint16Array | undefined;
  seqno = 0;
  nBits = BSD_MIN_BITS;
  maxEnt = FIRST - 1;
  inCount = 0;
  bytesOut = 0;
  ratio = 0;
  checkpoint = CHECK_GAP;
  clearCount = 0;

  constructor(readonly maxbits: number, decomp: boolean) {
    const t = tableSize(maxbits);
    this.hsize = t.hsize;
    this.hshift = t.hshift;
    this.maxmaxcode = maxCode(maxbits);
    this.fcode = new Uint32Array(this.hsize);
    this.codem1 = new Uint16Array(this.hsize).fill(BADCODEM1);
    this.cptr = new Uint16Array(this.hsize);
    if (decomp) this.lens = new Uint16Array(this.maxmaxcode + 1).fill(1, 0, LAST + 1);
    this.reset();
  }

  /** bsd_clear: a new dictionary (old slots are invalid because their codes are >= maxEnt). */
  clear(): void {
    this.clearCount++;
    this.maxEnt = FIRST - 1;
    this.nBits = BSD_MIN_BITS;
    this.ratio = 0;
    this.bytesOut = 0;
    this.inCount = 0;
    this.checkpoint = CHECK_GAP;
  }

  /** bsd_reset (Reset-Ack, CCP up). */
  reset(): void {
    this.seqno = 0;
    this.clear();
    this.clearCount = 0;
  }

  /** bsd_check: true when the dictionary was just cleared (the compressor sends CLEAR). */
  check(): boolean {
    if (this.inCount < this.checkpoint) return false;
    // Age the ratio by limiting the size of the counts.
    if (this.inCount >= RATIO_MAX || this.bytesOut >= RATIO_MAX) {
      this.inCount -= Math.floor(this.inCount / 4);
      this.bytesOut -= Math.floor(this.bytesOut / 4);
    }
    this.checkpoint = this.inCount + CHECK_GAP;
    if (this.maxEnt >= this.maxmaxcode) {
      // Only when full: clear if the ratio got worse or incompressible data poisoned it.
      let newRatio = this.inCount * RATIO_SCALE;
      if (this.bytesOut !== 0) newRatio = Math.floor(newRatio / this.bytesOut);
      if (newRatio < this.ratio || newRatio < 1 * RATIO_SCALE) {
        this.clear();
        return true;
      }
      this.ratio = newRatio;
    }
    return false;
  }

  /**
   * Looks (ent, c) up. Returns the code found (> 0), or the negative of (slot + 1) of the
   * free slot where the pair would go.
   */
  lookup(ent: number, c: number): number {
    const key = ((c << 16) + ent) >>> 0;
    let hval = ((c << this.hshift) ^ ent) >>> 0;
    if (this.codem1[hval]! >= this.maxEnt) return -(hval + 1);
    if (this.fcode[hval] === key) return this.codem1[hval]! + 1;
    // Continue probing until a match or an invalid entry.
    const disp = hval === 0 ? 1 : hval;
    for (;;) {
      hval += disp;
      if (hval >= this.hsize) hval -= this.hsize;
      if (this.codem1[hval]! >= this.maxEnt) return -(hval + 1);
      if (this.fcode[hval] === key) return this.codem1[hval]! + 1;
    }
  }

  /** Gives the next code to (prefix, c) in slot `hval`, taking it from whoever held it. */
  install(hval: number, prefix: number, c: number): void {
    const code = this.maxEnt + 1;
    const old = this.cptr[code]!;
    if (this.codem1[old] === this.maxEnt) this.codem1[old] = BADCODEM1;
    this.cptr[code] = hval;
    this.codem1[hval] = this.maxEnt;
    this.fcode[hval] = ((c << 16) + prefix) >>> 0;
    this.maxEnt = code;
  }

  /**
   * Runs the compressor's dictionary over one frame; `emit` gets each code (and the
   * width it is written in). Returns the input length counted (protocol octet included).
   */
  walk(protocol: number, info: Buffer, emit: (code: number, bits: number) => void): void {
    let ent = protocol;
    for (let i = 0; i < info.length; i++) {
      const c = info[i]!;
      const found = this.lookup(ent, c);
      if (found > 0) {
        ent = found;
        continue;
      }
      emit(ent, this.nBits);
      if (this.maxEnt < this.maxmaxcode) {
        // Widen the codes if needed, then take the next one.
        if (this.maxEnt >= maxCode(this.nBits)) this.nBits++;
        const prefixLen = this.lens ? this.lens[ent]! : 0;
        this.install(-found - 1, ent, c);
        if (this.lens) this.lens[this.maxEnt] = prefixLen + 1;
      }
      ent = c;
    }
    emit(ent, this.nBits);
  }

  /** After a frame: widen "as the decompressor will" (both sides at the packet boundary). */
  widenAtEnd(maxEntBefore: number, nBitsBefore: number): void {
    if (maxEntBefore >= maxCode(nBitsBefore) && maxEntBefore < this.maxmaxcode) this.nBits++;
  }
}

export class BsdCompressor implements Compressor {
  private readonly db: BsdDb;

  constructor(bits: number) {
    this.db = new BsdDb(bits, false);
  }

  compress(protocol: number, info: Buffer): Buffer | undefined {
    if (!bsdHandles(protocol)) return undefined;
    const db = this.db;
    const seq = db.seqno;
    db.seqno = (db.seqno + 1) & 0xffff;
    // At most one code (<= 15 bits) per input byte, plus the protocol's, CLEAR and padding.
    const out = Buffer.allocUnsafe(2 + 2 * (info.length + 3));
    let olen = 2;
    let accm = 0;
    let bitno = 32;
    // bsd_compress OUTPUT(): codes MSB first through a 32-bit accumulator, whole bytes out.
    const output = (code: number, bits: number) => {
      bitno -= bits;
      accm = (accm | (code << bitno)) >>> 0;
      do {
        out[olen++] = accm >>> 24;
        accm = (accm << 8) >>> 0;
        bitno += 8;
      } while (bitno <= 24);
    };
    db.walk(protocol, info, output);
    db.bytesOut += olen - 2;
    db.inCount += info.length + 1;
    if (bitno < 32) db.bytesOut++; // count complete bytes
    // The widths as they were before a possible clear: CLEAR goes out in the current one.
    const maxEnt = db.maxEnt;
    const nBits = db.nBits;
    if (db.check()) output(CLEAR, nBits);
    // Pad the dribble bits of the last code with ones (no useless all-ones byte).
    if (bitno !== 32) out[olen++] = ((accm | (0xff << (bitno - 8))) >>> 24) & 0xff;
    if (db.maxEnt === maxEnt) db.widenAtEnd(maxEnt, nBits);
    // bsd_compress: used only when no longer than the frame was (codes + 2 <= info).
    if (olen > info.length) return undefined;
    out.writeUInt16BE(seq, 0);
    return out.subarray(0, olen);
  }

  reset(): void {
    this.db.reset();
  }
}

export class BsdDecompressor implements Decompressor {
  private readonly db: BsdDb;

  /** Where a frame is decoded (explen never passes maxFrame). */
  private readonly scratch: Buffer;

  constructor(bits: number, private readonly maxFrame = MAX_FRAME) {
    this.db = new BsdDb(bits, true);
    this.scratch = Buffer.alloc(maxFrame);
  }

  decompress(info: Buffer): DecompressResult {
    const db = this.db;
    const lens = db.lens!;
    if (info.length <= 2) return { ok: false, error: 'reset', reason: 'runt' };
    const seq = info.readUInt16BE(0);
    const expected = db.seqno;
    db.seqno = (db.seqno + 1) & 0xffff;
    if (seq !== expected) return { ok: false, error: 'reset', reason: `bad sequence # ${seq}, expected ${expected}` };
    const fatal = (reason: string): DecompressResult => ({ ok: false, error: 'fatal', reason });
    const out = this.scratch;
    let w = 0;
    let maxEnt = db.maxEnt;
    let nBits = db.nBits;
    let tgtbitno = 32 - nBits;
    let accm = 0;
    let bitno = 32;
    let oldcode = CLEAR;
    let explen = 0;
    const ilen = info.length - 2;
    let cleared = false;
    for (let i = 2; i < info.length; i++) {
      // Accumulate bytes until there is a complete code.
      bitno -= 8;
      accm = (accm | (info[i]! << bitno)) >>> 0;
      if (tgtbitno < bitno) continue;
      const incode = accm >>> tgtbitno;
      accm = (accm << nBits) >>> 0;
      bitno += nBits;
      if (incode === CLEAR) {
        // The dictionary may only be cleared at the end of a packet.
        if (i + 1 < info.length) return fatal('bad CLEAR');
        db.clear();
        cleared = true;
        break;
      }
      if (incode > maxEnt + 2 || incode > db.maxmaxcode || (incode > maxEnt && oldcode === CLEAR)) {
        return fatal(`bad code ${incode} (max_ent ${maxEnt})`);
      }
      // The KwKwK case: a code defined by this very step.
      let finchar: number;
      let extra: number;
      if (incode > maxEnt) {
        finchar = oldcode;
        extra = 1;
      } else {
        finchar = incode;
        extra = 0;
      }
      let codelen = lens[finchar]!;
      explen += codelen + extra;
      if (explen > this.maxFrame) return fatal('decompressed frame too long');
      // Write the string backwards from its last byte (explen, checked above, bounds w).
      w += codelen;
      let p = w;
      while (finchar > LAST) {
        const slot = db.cptr[finchar]!;
        if (--codelen <= 0) return fatal(`code ${incode} too long`);
        if (db.codem1[slot] !== finchar - 1) return fatal(`code ${incode} not in the dictionary`);
        const key = db.fcode[slot]!;
        out[--p] = (key >>> 16) & 0xff;
        finchar = key & 0xffff;
      }
      out[--p] = finchar;
      if (extra) out[w++] = finchar;
      // Not the first code of the packet and room left: the next code, with the hash
      // table kept right for `incomp`.
      if (oldcode !== CLEAR && maxEnt < db.maxmaxcode) {
        db.install(this.freeSlot(oldcode, finchar), oldcode, finchar);
        maxEnt = db.maxEnt;
        lens[maxEnt] = lens[oldcode]! + 1;
        if (maxEnt >= maxCode(nBits) && maxEnt < db.maxmaxcode) {
          db.nBits = ++nBits;
          tgtbitno = 32 - nBits;
        }
      }
      oldcode = incode;
    }
    // Keep the checkpoint right so that incompressible packets clear the dictionary at
    // the right times.
    if (!cleared) {
      db.bytesOut += ilen;
      db.inCount += explen;
      db.check();
    }
    if (w === 0) return { ok: false, error: 'reset', reason: 'empty' };
    const data = Buffer.from(out.subarray(0, w));
    return { ok: true, frame: { protocol: data[0]!, info: data.subarray(1) } };
  }

  /** bsd_decompress's probe for a free slot (the pair's first slot is taken by another). */
  private freeSlot(prefix: number, c: number): number {
    const db = this.db;
    let hval = ((c << db.hshift) ^ prefix) >>> 0;
    if (db.codem1[hval]! < db.maxEnt) {
      const disp = hval === 0 ? 1 : hval;
      do {
        hval += disp;
        if (hval >= db.hsize) hval -= db.hsize;
      } while (db.codem1[hval]! < db.maxEnt);
    }
    return hval;
  }

  incomp(protocol: number, info: Buffer): void {
    if (!bsdHandles(protocol)) return;
    const db = this.db;
    db.seqno = (db.seqno + 1) & 0xffff;
    // bsd_incomp: pretend to compress it, counting the bits.
    let bitno = 7;
    db.walk(protocol, info, (_code, bits) => (bitno += bits));
    const maxEnt = db.maxEnt;
    const nBits = db.nBits;
    db.bytesOut += Math.floor(bitno / 8);
    db.inCount += info.length + 1;
    db.check();
    if (db.maxEnt === maxEnt) db.widenAtEnd(maxEnt, nBits);
  }

  reset(): void {
    this.db.reset();
  }
}

interface BsdGo {
  on: boolean;
  bits: number;
}

class BsdNegotiation implements MethodNegotiation {
  readonly types = [CI_BSD_COMPRESS] as const;
  private go!: BsdGo;

  constructor(private readonly o: CcpOptions) {
    this.reset();
  }

  reset(): void {
    this.go = { on: this.o.bsdWant > 0, bits: this.o.bsdWant };
  }

  request(): ConfigOption[] {
    if (!this.go.on || this.go.bits < BSD_MIN_BITS) return [];
    return [opt(CI_BSD_COMPRESS, [(BSD_VERSION << 5) | this.go.bits])];
  }

  nak(o: ConfigOption): void {
    if (!this.go.on || o.value.length !== 1) return;
    const v = o.value[0]!;
    if (v >> 5 !== BSD_VERSION) this.go.on = false;
    else if ((v & 0x1f) < this.go.bits) this.go.bits = v & 0x1f;
  }

  reject(o: ConfigOption): boolean {
    if (o.value.length !== 1 || o.value[0] !== ((BSD_VERSION << 5) | this.go.bits)) return false;
    this.go.on = false;
    return true;
  }

  judge(o: ConfigOption, _first: boolean, dontNak: boolean): Verdict {
    const allow = this.o.bsdAllow;
    if (allow <= 0 || o.value.length !== 1) return { verdict: 'rej' };
    const v = o.value[0]!;
    const nb = v & 0x1f;
    if (v >> 5 !== BSD_VERSION || nb > allow || nb < BSD_MIN_BITS) {
      return dontNak ? { verdict: 'rej' } : { verdict: 'nak', value: Buffer.from([(BSD_VERSION << 5) | allow]) };
    }
    return { verdict: 'ack' };
  }

  describe(o: ConfigOption, other?: ConfigOption): string {
    const bits = (o.value[0] ?? 0) & 0x1f;
    const otherBits = other ? (other.value[0] ?? 0) & 0x1f : bits;
    return otherBits !== bits ? `BSD-Compress (${bits}/${otherBits})` : `BSD-Compress (${bits})`;
  }

  compressor(his: ConfigOption): Compressor {
    return new BsdCompressor(his.value[0]! & 0x1f);
  }

  decompressor(ours: ConfigOption): Decompressor {
    return new BsdDecompressor(ours.value[0]! & 0x1f);
  }
}

export const bsdMethod: CompressionMethod = {
  id: 'bsd',
  create: (ctx) => new BsdNegotiation(ctx.options),
};
