/**
 * One SLIP or CSLIP link, sans-IO: line bytes in → IP packets for the network; IP packets
 * from the network → line bytes. Counts what it carries and what it drops.
 *
 * CSLIP (RFC 1144 §5 and Linux drivers/net/slip/slip.c) tells the packet type by the high
 * bits of a frame's first byte, where plain IPv4 has its version nibble 4 (0x45...):
 *   0x80 set       compressed TCP (the VJ change mask byte, whose 0x80 bit is otherwise free)
 *   0x70..0x7f     uncompressed TCP: a full IP/TCP packet whose IP protocol field carries the
 *                  connection slot; the first byte is restored with `& 0x4f`
 *   anything else  IP as is
 * The VJ codec (RFC 1144) is given from outside, so that this file only knows the framing.
 */
import { SlipDecoder, slipEncode, SLIP_DEFAULT_MTU, type SlipCounters } from '../wire/slip.js';

/** RFC 1144 §5: TYPE_UNCOMPRESSED_TCP and TYPE_COMPRESSED_TCP as they appear in byte 0. */
export const SL_TYPE_UNCOMPRESSED_TCP = 0x70;
export const SL_TYPE_COMPRESSED_TCP = 0x80;

export type SlipMode = 'slip' | 'cslip';

/** What the link needs of a Van Jacobson codec (src/wire/vj.ts). */
export interface HeaderCompressor {
  compress(ip: Buffer): { kind: 'ip' | 'uncompressed' | 'compressed'; packet: Buffer };
}
export interface HeaderDecompressor {
  /** An UNCOMPRESSED_TCP packet (protocol field = slot, first byte already 0x4X): the IP packet, or undefined (dropped). */
  uncompressed(packet: Buffer): Buffer | undefined;
  /** A COMPRESSED_TCP packet: the rebuilt IP packet, or undefined (dropped, and the decompressor tossing). */
  compressed(packet: Buffer): Buffer | undefined;
  /** The line lost or damaged a frame: drop COMPRESSED_TCP until a slot is named (RFC 1144 §4.1). */
  toss(): void;
}

export interface SlipLinkOptions {
  mode: SlipMode;
  /** The interface MTU: the longest frame taken or sent (RFC 1055's Berkeley 1006). */
  mtu?: number;
  /** Required for CSLIP. */
  vj?: { compressor: HeaderCompressor; decompressor: HeaderDecompressor };
}

export interface SlipLinkCounters {
  packetsIn: number;
  packetsOut: number;
  /** Line octets, as PPP sessions count them. */
  bytesIn: number;
  bytesOut: number;
  /** Frames that are not IPv4 (nor CSLIP types), dropped. */
  badType: number;
  /** VJ packets the decompressor refused. */
  vjErrors: number;
  vjCompressedIn: number;
  vjCompressedOut: number;
  /** Packets from the network longer than the MTU, dropped. */
  tooBigOut: number;
  framing: SlipCounters;
}

/**
 * A modem's carrier-loss result code (V1 verbose form, "\r\nNO CARRIER\r\n"): on a line
 * that reaches the modem as a byte stream (a TCP line of a modem bank) it is the only sign
 * that the call is gone. No IP or CSLIP packet starts with CR, so a frame starting with it
 * is unambiguous.
 */
const NO_CARRIER = Buffer.from('\r\nNO CARRIER', 'latin1');

export class SlipLink {
  /** The modem said NO CARRIER on the line: the call is over. */
  carrierLost = false;
  readonly mode: SlipMode;
  readonly mtu: number;
  private readonly decoder: SlipDecoder;
  private readonly vj?: SlipLinkOptions['vj'];
  readonly counters: SlipLinkCounters;

  constructor(opts: SlipLinkOptions) {
    this.mode = opts.mode;
    this.mtu = opts.mtu ?? SLIP_DEFAULT_MTU;
    this.decoder = new SlipDecoder(this.mtu);
    if (opts.mode === 'cslip' && !opts.vj) throw new Error('CSLIP needs a VJ codec');
    this.vj = opts.vj;
    this.counters = {
      packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, badType: 0, vjErrors: 0,
      vjCompressedIn: 0, vjCompressedOut: 0, tooBigOut: 0, framing: this.decoder.counters,
    };
  }

  /** Bytes from the line; the IP packets they carried. */
  input(bytes: Uint8Array): Buffer[] {
    this.counters.bytesIn += bytes.length;
    const out: Buffer[] = [];
    const f = this.decoder.counters;
    const errorsBefore = f.oversize + f.aborted + f.badEscapes;
    const frames = this.decoder.push(bytes);
    // A damaged frame may have been a compressed one: the decompressor's state is suspect
    // until the sender names a slot again (RFC 1144 §4.1; slhc_toss in Linux sl_bump's error path).
    if (this.vj && f.oversize + f.aborted + f.badEscapes !== errorsBefore) this.vj.decompressor.toss();
    if (startsWithNoCarrier(this.decoder.pending(NO_CARRIER.length)) || frames.some(startsWithNoCarrier)) this.carrierLost = true;
    for (const frame of frames) {
      const ip = this.unframe(frame);
      if (ip) {
        this.counters.packetsIn++;
        out.push(ip);
      }
    }
    return out;
  }

  /** An IP packet for the caller; its line bytes (undefined when dropped). */
  output(ip: Buffer): Buffer | undefined {
    if (ip.length > this.mtu || ip.length < 20) {
      this.counters.tooBigOut++;
      return undefined;
    }
    let packet = ip;
    if (this.vj) {
      const c = this.vj.compressor.compress(ip);
      packet = Buffer.from(c.packet);
      // RFC 1144 §5 / slhc_compress(): the type goes into the high bits of byte 0.
      if (c.kind === 'compressed') {
        packet[0] = packet[0]! | SL_TYPE_COMPRESSED_TCP;
        this.counters.vjCompressedOut++;
      } else if (c.kind === 'uncompressed') packet[0] = packet[0]! | SL_TYPE_UNCOMPRESSED_TCP;
    }
    const bytes = slipEncode(packet);
    this.counters.packetsOut++;
    this.counters.bytesOut += bytes.length;
    return bytes;
  }

  private unframe(frame: Buffer): Buffer | undefined {
    const b0 = frame[0]!;
    if (this.vj) {
      if (b0 & SL_TYPE_COMPRESSED_TCP) {
        const ip = this.vj.decompressor.compressed(frame);
        if (!ip) this.counters.vjErrors++;
        else this.counters.vjCompressedIn++;
        return ip;
      }
      if (b0 >= SL_TYPE_UNCOMPRESSED_TCP) {
        // Linux sl_bump: rbuff[0] &= 0x4f, then slhc_remember().
        const copy = Buffer.from(frame);
        copy[0] = b0 & 0x4f;
        const ip = this.vj.decompressor.uncompressed(copy);
        if (!ip) this.counters.vjErrors++;
        return ip;
      }
    }
    // Plain IPv4 (version 4, header length at least 5 words); anything else is noise.
    if (b0 >> 4 !== 4 || (b0 & 0x0f) < 5 || frame.length < 20) {
      this.counters.badType++;
      return undefined;
    }
    return frame;
  }
}

function startsWithNoCarrier(b: Uint8Array): boolean {
  return b.length >= NO_CARRIER.length && NO_CARRIER.equals(b.subarray(0, NO_CARRIER.length));
}
