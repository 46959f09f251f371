/**
 * SLIP framing (RFC 1055), sans-IO: packets in, line bytes out, and back.
 *
 * A frame is the packet with END (0xC0) and ESC (0xDB) escaped as ESC ESC_END (0xDB 0xDC) and
 * ESC ESC_ESC (0xDB 0xDD), followed by END. RFC 1055 ("SEND_PACKET") also sends an END
 * before each packet, so that line noise received since the last packet ends up in a frame
 * of its own that the receiver discards, as Linux slip.c's slip_esc() does.
 *
 * The receiver is bounded: a frame longer than the MTU is dropped up to its END and
 * counted (RFC 1055 has no maximum; 1006 is the Berkeley one), as Linux counts
 * rx_over_errors. Protocol violations (ESC followed by something other than ESC_END or
 * ESC_ESC) are counted; the byte is kept, as the RFC's sample RECV_PACKET keeps it, which is
 * also Linux's behaviour. ESC followed by END aborts the frame (it cannot have been meant).
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** RFC 1055: "the Berkeley UNIX SLIP drivers use a maximum packet size of 1006 bytes". */
export const SLIP_DEFAULT_MTU = 1006;

/** The frame for one packet: END, the escaped packet, END. */
export function slipEncode(packet: Uint8Array): Buffer {
  let extra = 0;
  for (const b of packet) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = Buffer.allocUnsafe(packet.length + extra + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of packet) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else out[o++] = b;
  }
  out[o++] = SLIP_END;
  return out;
}

export interface SlipCounters {
  /** Frames delivered. */
  frames: number;
  /** Octets of delivered frames (after unescaping). */
  octets: number;
  /** Frames longer than the MTU, dropped. */
  oversize: number;
  /** ESC followed by a byte other than ESC_END / ESC_ESC (the byte was kept). */
  badEscapes: number;
  /** Frames ended by ESC END, dropped. */
  aborted: number;
}

export class SlipDecoder {
  readonly counters: SlipCounters = { frames: 0, octets: 0, oversize: 0, badEscapes: 0, aborted: 0 };
  private readonly buf: Uint8Array;
  private len = 0;
  private escaped = false;
  /** The frame in progress went over the MTU: skip to its END. */
  private overflow = false;

  /** `mtu`: the longest frame accepted (after unescaping). */
  constructor(readonly mtu: number = SLIP_DEFAULT_MTU) {
    if (!Number.isInteger(mtu) || mtu < 1 || mtu > 65535) throw new RangeError(`bad SLIP MTU ${mtu}`);
    this.buf = new Uint8Array(mtu);
  }

  /** The start of the frame in progress (at most `n` bytes), e.g. to recognise a modem's text. */
  pending(n: number): Uint8Array {
    return this.buf.subarray(0, Math.min(n, this.len));
  }

  /** Line bytes in; the frames they completed out (empty frames between two ENDs are not frames). */
  push(bytes: Uint8Array): Buffer[] {
    const frames: Buffer[] = [];
    for (const b of bytes) {
      if (b === SLIP_END) {
        if (this.overflow) this.counters.oversize++;
        else if (this.escaped) this.counters.aborted++;
        else if (this.len > 0) {
          frames.push(Buffer.from(this.buf.subarray(0, this.len)));
          this.counters.frames++;
          this.counters.octets += this.len;
        }
        this.len = 0;
        this.escaped = false;
        this.overflow = false;
        continue;
      }
      if (this.overflow) continue;
      let c = b;
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) c = SLIP_END;
        else if (b === SLIP_ESC_ESC) c = SLIP_ESC;
        else this.counters.badEscapes++;
      } else if (b === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len >= this.mtu) {
        this.overflow = true;
        continue;
      }
      this.buf[this.len++] = c;
    }
    return frames;
  }
}
