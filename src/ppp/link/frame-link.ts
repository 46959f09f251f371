/**
 * A frame-oriented lower layer: each input is one whole PPP frame, each output one frame,
 * with no HDLC flags, escaping or FCS. It is what PPPoE (RFC 2516 §7: the PPP payload
 * starts with the Protocol field) and L2TP (RFC 2661 §2: Address and Control may be
 * present) carry, and what an in-memory test link needs.
 */
import type { LinkConfig, LinkLayer, LinkStats } from './link.js';

export interface FrameLinkOptions {
  /** Put FF 03 in front of each frame (L2TP sends it; PPPoE does not). */
  addressControl?: boolean;
  /** Largest Information field accepted. */
  mru?: number;
}

export class FrameLink implements LinkLayer {
  readonly kind = 'frames';
  readonly stats: LinkStats = { dropped: 0 };
  private pfc = false;

  constructor(private readonly opts: FrameLinkOptions = {}) {}

  input(frame: Buffer, onFrame: (protocol: number, info: Buffer) => void, more: () => boolean): void {
    if (!more()) return;
    let at = 0;
    // Address and Control are optional on input (RFC 1661 §6.6 ACFC; L2TP may omit them).
    if (frame.length >= 2 && frame[0] === 0xff && frame[1] === 0x03) at = 2;
    // RFC 1661 §2: a Protocol field's first octet is even, its last odd; one odd octet is
    // a compressed (PFC) field.
    const first = frame[at];
    if (first === undefined) return void this.stats.dropped++;
    let protocol: number;
    if (first & 1) {
      protocol = first;
      at += 1;
    } else {
      const second = frame[at + 1];
      if (second === undefined || !(second & 1)) return void this.stats.dropped++;
      protocol = (first << 8) | second;
      at += 2;
    }
    const info = frame.subarray(at);
    if (this.opts.mru !== undefined && info.length > this.opts.mru + 64) return void this.stats.dropped++;
    onFrame(protocol, Buffer.from(info));
  }

  encode(protocol: number, info: Buffer): Buffer {
    const short = this.pfc && protocol < 0x100;
    const head = (this.opts.addressControl ? 2 : 0) + (short ? 1 : 2);
    const out = Buffer.allocUnsafe(head + info.length);
    let at = 0;
    if (this.opts.addressControl) {
      out[at++] = 0xff;
      out[at++] = 0x03;
    }
    if (short) out[at++] = protocol;
    else {
      out.writeUInt16BE(protocol, at);
      at += 2;
    }
    info.copy(out, at);
    return out;
  }

  configure(c: LinkConfig): void {
    // ACCM has no meaning without async framing; ACFC is the encapsulation's choice.
    this.pfc = c.pfc;
  }

  diagnosis(): string[] {
    return [];
  }
}
