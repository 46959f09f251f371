/**
 * PPP Deflate (RFC 1979): CCP option 26, and 24 for the draft pppd still offers
 * (`nodeflatedraft` stops it). The option's value: window size (log2, 9..15 as pppd uses:
 * 8 triggers a zlib bug, pppd ccp.c DEFLATE_MIN_WORKS) and method 8 in the first octet,
 * check method 0 (sequence number) in the second.
 *
 * A Compressed Datagram is a 2-octet sequence number, then the raw deflate data of the
 * frame's protocol (one octet when below 0x100, like PFC) and Information field, ended by
 * a sync flush whose empty stored block's 00 00 ff ff is left off (RFC 1979 §2.1; what
 * Linux's Z_PACKET_FLUSH produces). The receiver puts it back before inflating.
 *
 * As Linux ppp_deflate.c: a frame that does not get smaller is sent as it is (§2.2) but
 * stays in the compressor's history, so the receiver adds every uncompressed frame of a
 * protocol it handles to its own history (`incomp`); a sequence number out of step asks
 * for a Reset-Request, data zlib cannot inflate takes CCP down (pppd: DECOMP_FATALERROR).
 */
import { opt, type ConfigOption } from '../packet.js';
import type { CcpOptions } from './options.js';
import type { CompressionMethod, Compressor, DecompressResult, Decompressor, MethodNegotiation, Verdict } from './method.js';
import { SyncZlibStream, ZlibError } from './zlib-sync.js';

export const CI_DEFLATE = 26;
export const CI_DEFLATE_DRAFT = 24;
const METHOD_VAL = 8;
const CHK_SEQUENCE = 0;
export const DEFLATE_MIN_WORKS = 9;
export const DEFLATE_MAX_SIZE = 15;
/** The sync flush's empty stored block, stripped on the wire. */
const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** Bound on one decompressed frame: a 16-bit protocol and the largest MRU (RFC 1661). */
const MAX_FRAME = 2 + 65535;

const makeOpt = (size: number) => ((size - 8) << 4) | METHOD_VAL;
const sizeOf = (b: number) => (b >> 4) + 8;
const methodOf = (b: number) => b & 0x0f;

/** Linux ppp_deflate.c: the protocols Deflate handles (not CCP's own 0xfd/0xfb). */
export function deflateHandles(protocol: number): boolean {
  return protocol <= 0x3fff && protocol !== 0xfd && protocol !== 0xfb;
}

/** The protocol field as it goes into the history: one octet when the high one is 0. */
export function protocolPrefix(protocol: number): Buffer {
  return protocol > 0xff ? Buffer.from([protocol >> 8, protocol & 0xff]) : Buffer.from([protocol]);
}

/** Splits decompressed data into protocol and Information (RFC 1979 §2.1: an odd first octet is a one-octet protocol). */
export function splitProtocol(data: Buffer): { protocol: number; info: Buffer } | undefined {
  if (data.length === 0) return undefined;
  if (data[0]! & 1) return { protocol: data[0]!, info: data.subarray(1) };
  if (data.length < 2) return undefined;
  return { protocol: data.readUInt16BE(0), info: data.subarray(2) };
}

export class DeflateCompressor implements Compressor {
  private seq = 0;
  /** Made at the first packet: a zlib deflate stream is ~270 KB, and an idle link sends none. */
  private zs?: SyncZlibStream;

  constructor(readonly windowBits: number) {}

  private get z(): SyncZlibStream {
    return (this.zs ??= new SyncZlibStream('deflate', this.windowBits, MAX_FRAME + 1024));
  }

  compress(protocol: number, info: Buffer): Buffer | undefined {
    if (!deflateHandles(protocol)) return undefined;
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    const z = this.z.write(Buffer.concat([protocolPrefix(protocol), info]));
    // Z_SYNC_FLUSH always ends with the empty stored block.
    const body = z.subarray(0, z.length - SYNC_TAIL.length);
    // Linux z_compress: used only if the datagram is smaller than the frame was.
    if (body.length + 2 >= info.length) return undefined;
    const out = Buffer.allocUnsafe(2 + body.length);
    out.writeUInt16BE(seq, 0);
    body.copy(out, 2);
    return out;
  }

  reset(): void {
    this.seq = 0;
    this.zs?.reset();
  }

  close(): void {
    this.zs?.close();
  }
}

export class DeflateDecompressor implements Decompressor {
  private seq = 0;
  /** Made at the first packet (compressed or not), as the compressor's. */
  private zs?: SyncZlibStream;

  constructor(readonly windowBits: number) {}

  private get z(): SyncZlibStream {
    return (this.zs ??= new SyncZlibStream('inflate', this.windowBits, MAX_FRAME));
  }

  decompress(info: Buffer): DecompressResult {
    if (info.length < 2) return { ok: false, error: 'reset', reason: 'runt' };
    const seq = info.readUInt16BE(0);
    if (seq !== this.seq) return { ok: false, error: 'reset', reason: `bad seq # ${seq}, expected ${this.seq}` };
    this.seq = (this.seq + 1) & 0xffff;
    let data: Buffer;
    try {
      data = this.z.write(Buffer.concat([info.subarray(2), SYNC_TAIL]));
    } catch (err) {
      if (!(err instanceof ZlibError)) throw err;
      return { ok: false, error: 'fatal', reason: `inflate: ${err.message}` };
    }
    const frame = splitProtocol(data);
    if (!frame) return { ok: false, error: 'reset', reason: 'no protocol in decompressed data' };
    return { ok: true, frame };
  }

  incomp(protocol: number, info: Buffer): void {
    if (!deflateHandles(protocol)) return;
    this.seq = (this.seq + 1) & 0xffff;
    // Linux's inflateIncomp copies the bytes into the window; standard zlib has no such
    // call, but a stored block (RFC 1951 §3.2.4) of the same bytes has that effect.
    const data = Buffer.concat([protocolPrefix(protocol), info]);
    try {
      for (let at = 0; at < data.length; at += 0xffff) {
        const part = data.subarray(at, at + 0xffff);
        const hdr = Buffer.from([0x00, part.length & 0xff, part.length >> 8, ~part.length & 0xff, (~part.length >> 8) & 0xff]);
        this.z.write(Buffer.concat([hdr, part]));
      }
    } catch (err) {
      if (!(err instanceof ZlibError)) throw err;
      // pppd z_incomp: nothing to do; the next datagram will show whether sync was lost.
    }
  }

  reset(): void {
    this.seq = 0;
    this.zs?.reset();
  }

  close(): void {
    this.zs?.close();
  }
}

interface DeflateGo {
  deflate: boolean;
  size: number;
  correct: boolean;
  draft: boolean;
}

class DeflateNegotiation implements MethodNegotiation {
  readonly types = [CI_DEFLATE, CI_DEFLATE_DRAFT] as const;
  private go!: DeflateGo;

  constructor(private readonly o: CcpOptions) {
    this.reset();
  }

  reset(): void {
    // pppd ccp_resetci: go = want.
    this.go = { deflate: this.o.deflateWant > 0, size: this.o.deflateWant, correct: true, draft: this.o.deflateDraft };
  }

  request(): ConfigOption[] {
    const g = this.go;
    if (!g.deflate || g.size < DEFLATE_MIN_WORKS) return [];
    const value = [makeOpt(g.size), CHK_SEQUENCE];
    // pppd ccp_addci: 26 then 24, both with the same size.
    const out = [opt(g.correct ? CI_DEFLATE : CI_DEFLATE_DRAFT, value)];
    if (g.correct && g.draft) out.push(opt(CI_DEFLATE_DRAFT, value));
    return out;
  }

  nak(o: ConfigOption): void {
    const g = this.go;
    // pppd ccp_nakci: only the option we list first is looked at.
    if (!g.deflate || o.type !== (g.correct ? CI_DEFLATE : CI_DEFLATE_DRAFT) || o.value.length !== 2) return;
    const [b0, b1] = [o.value[0]!, o.value[1]!];
    if (methodOf(b0) !== METHOD_VAL || sizeOf(b0) < DEFLATE_MIN_WORKS || b1 !== CHK_SEQUENCE) g.deflate = false;
    else if (sizeOf(b0) < g.size) g.size = sizeOf(b0);
  }

  reject(o: ConfigOption): boolean {
    const g = this.go;
    if (o.value.length !== 2 || o.value[0] !== makeOpt(g.size) || o.value[1] !== CHK_SEQUENCE) return false;
    if (o.type === CI_DEFLATE) g.correct = false;
    else g.draft = false;
    if (!g.correct && !g.draft) g.deflate = false;
    return true;
  }

  judge(o: ConfigOption, _first: boolean, dontNak: boolean): Verdict {
    const allow = this.o.deflateAllow;
    if (allow <= 0 || o.value.length !== 2 || (o.type === CI_DEFLATE_DRAFT && !this.o.deflateDraft)) return { verdict: 'rej' };
    const [b0, b1] = [o.value[0]!, o.value[1]!];
    const nb = sizeOf(b0);
    if (methodOf(b0) !== METHOD_VAL || b1 !== CHK_SEQUENCE || nb > allow || nb < DEFLATE_MIN_WORKS) {
      // pppd ccp_reqci: suggest our largest window.
      return dontNak ? { verdict: 'rej' } : { verdict: 'nak', value: Buffer.from([makeOpt(allow), CHK_SEQUENCE]) };
    }
    return { verdict: 'ack' };
  }

  describe(o: ConfigOption, other?: ConfigOption): string {
    const size = sizeOf(o.value[0] ?? 0);
    const draft = o.type === CI_DEFLATE_DRAFT ? '(old#)' : '';
    const otherSize = other ? sizeOf(other.value[0] ?? 0) : size;
    return otherSize !== size ? `Deflate${draft} (${size}/${otherSize})` : `Deflate${draft} (${size})`;
  }

  compressor(his: ConfigOption): Compressor {
    return new DeflateCompressor(sizeOf(his.value[0]!));
  }

  decompressor(ours: ConfigOption): Decompressor {
    return new DeflateDecompressor(sizeOf(ours.value[0]!));
  }
}

export const deflateMethod: CompressionMethod = {
  id: 'deflate',
  create: (ctx) => new DeflateNegotiation(ctx.options),
};
