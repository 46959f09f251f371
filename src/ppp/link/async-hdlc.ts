/**
 * PPP in HDLC-like framing on an asynchronous line (RFC 1662): the serial, TCP, pty and
 * modem lines. The octet-level work is in src/wire/hdlc.ts; this adapts it to LinkLayer.
 */
import { HdlcDecoder, HdlcEncoder, eightBitCleanDiagnosis } from '../../wire/hdlc.js';
import type { LinkConfig, LinkLayer, LinkStats } from './link.js';

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

  constructor(opts: AsyncHdlcOptions) {
    if (opts.escape) this.encoder.setConfig({ escape: opts.escape });
    this.decoder = new HdlcDecoder({ mru: opts.mru });
  }

  input(chunk: Buffer, onFrame: (protocol: number, info: Buffer) => void, more: () => boolean): void {
    this.bytesIn += chunk.length;
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

  private countDropped(): void {
    const s = this.decoder.stats;
    this.stats.dropped = s.badFcs + s.runts + s.tooLong + s.aborts + s.badProtocol + s.badAddress;
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
  }

  diagnosis(): string[] {
    return this.bytesIn > 0 ? eightBitCleanDiagnosis(this.decoder.bit7()) : [];
  }

  get decoderStats() {
    return this.decoder.stats;
  }
}
