/**
 * PPP in HDLC-like framing on an asynchronous line (RFC 1662): the serial, TCP, pty and
 * modem lines. The octet-level work is in src/wire/hdlc.ts; this adapts it to LinkLayer.
 */
import { HdlcDecoder, HdlcEncoder, eightBitCleanDiagnosis, framesDropped } from '../../wire/hdlc.js';
import { LINK_DEFAULTS, type LinkConfig, type LinkLayer, type LinkStats } from './link.js';

export interface AsyncHdlcOptions {
  /** Largest frame we accept (at least 1500, RFC 1661 §6.1's default MRU). */
  mru: number;
  /** pppd `escape`: 256-bit map of octets always escaped on transmit. */
  escape?: Uint8Array;
}

export class AsyncHdlcLink implements LinkLayer {
  readonly kind = 'async-hdlc';
  readonly byteStream = true;
  readonly stats: LinkStats = { dropped: 0 };
  private readonly encoder = new HdlcEncoder();
  private readonly decoder: HdlcDecoder;
  private bytesIn = 0;
  /** LCP is open (configure() had its results): whole reads are decoded at once. */
  private whole = false;
  /** The decoder's drop count at each frame of a whole read (HdlcDecoder.dropsAt). */
  private readonly dropsAt: number[] = [];

  constructor(opts: AsyncHdlcOptions) {
    if (opts.escape) this.encoder.setConfig({ escape: opts.escape });
    this.decoder = new HdlcDecoder({ mru: opts.mru });
  }

  input(chunk: Buffer, onFrame: (protocol: number, info: Buffer) => void, more: () => boolean): void {
    this.bytesIn += chunk.length;
    if (this.whole) return this.inputWhole(chunk, onFrame, more);
    // One frame at a time (see LinkLayer.input): cut the read after each flag.
    for (let start = 0; start < chunk.length && more(); ) {
      const flag = chunk.indexOf(0x7e, start);
      const end = flag < 0 ? chunk.length : flag + 1;
      // Most reads end with their only frame's closing flag: no view needed then.
      const frames = this.decoder.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
      // Counted before the frames behind a bad one are delivered: VJ tosses in order.
      this.countDropped();
      for (const f of frames) {
        if (!more()) break;
        onFrame(f.protocol, f.payload);
      }
      start = end;
    }
    this.countDropped();
  }

  /**
   * Once LCP is open, a read is decoded in one go: cut at every flag it cost a decoder call
   * per frame, about as much again as the decoding (~1.5 µs a full frame). Each drop is still
   * counted where it fell among the frames. A frame that changes the framing now (LCP going
   * down or renegotiating) no longer applies to the frames behind it in the same read, as
   * with Linux's ppp_async, which decodes what the tty brings before pppd sets the new
   * ACCM; those frames are discarded anyway until LCP opens again (RFC 1661 §3.4), and the
   * negotiation itself is read frame by frame.
   */
  private inputWhole(chunk: Buffer, onFrame: (protocol: number, info: Buffer) => void, more: () => boolean): void {
    const at = this.dropsAt;
    at.length = 0;
    const frames = this.decoder.push(chunk);
    for (let k = 0; k < frames.length && more(); k++) {
      this.stats.dropped = at[k]!;
      onFrame(frames[k]!.protocol, frames[k]!.payload);
    }
    this.countDropped();
  }

  private countDropped(): void {
    this.stats.dropped = framesDropped(this.decoder.stats);
  }

  encode(protocol: number, info: Buffer): Buffer {
    return this.encoder.encode(protocol, info);
  }

  encodeSegments(protocol: number, packet: Buffer, mss: number, out: Buffer[]): boolean {
    return this.encoder.encodeSegments(protocol, packet, mss, out);
  }

  configure(c: LinkConfig): void {
    this.encoder.setConfig({ accm: c.txAccm, pfc: c.pfc, acfc: c.acfc });
    this.decoder.setRecvAccm(c.rxAccm);
    // LINK_DEFAULTS itself is what LCP going down configures (LinkLayer.configure).
    this.whole = c !== LINK_DEFAULTS;
    this.decoder.dropsAt = this.whole ? this.dropsAt : undefined;
  }

  diagnosis(): string[] {
    return this.bytesIn > 0 ? eightBitCleanDiagnosis(this.decoder.bit7()) : [];
  }

  get decoderStats() {
    return this.decoder.stats;
  }
}
