/**
 * pppd's `record` file format, which pppdump(8) reads (pppd/tty.c record_write and the
 * charshunt's start marker; pppdump/pppdump.c): a byte stream of records
 *
 *   7  T3 T2 T1 T0       start: the time in seconds since the epoch (big-endian)
 *   1  N1 N0  bytes...   bytes sent on the line (N: big-endian 16-bit count)
 *   2  N1 N0  bytes...   bytes received from the line
 *   3                    end of the sent direction
 *   4                    end of the received direction
 *   5  D3 D2 D1 D0       time passed since the previous record, in tenths of a second
 *   6  D                 the same when it fits a byte (1..255)
 *
 * The bytes are the raw line bytes (HDLC framing, escapes and all). Sans-IO: time in
 * (milliseconds), file bytes out.
 */
export const PPPDUMP = { SENT: 1, RECEIVED: 2, END_SENT: 3, END_RECEIVED: 4, DELTA32: 5, DELTA8: 6, START: 7 } as const;

/** The largest data record (the count is 16 bits); longer chunks are split. */
const MAX_CHUNK = 0xffff;

export class PppdumpWriter {
  /** The last time written, in tenths of a second since the epoch. */
  private last = 0;

  /** The start record. pppd then counts tenths from the whole second it wrote. */
  start(nowMs: number): Buffer {
    const sec = Math.floor(nowMs / 1000);
    this.last = sec * 10;
    const b = Buffer.alloc(5);
    b[0] = PPPDUMP.START;
    b.writeUInt32BE(sec >>> 0, 1);
    return b;
  }

  data(dir: 'sent' | 'received', bytes: Uint8Array, nowMs: number): Buffer {
    const parts: Buffer[] = [this.delta(nowMs)];
    for (let off = 0; off < bytes.length; off += MAX_CHUNK) {
      const chunk = bytes.subarray(off, off + MAX_CHUNK);
      const head = Buffer.alloc(3);
      head[0] = dir === 'sent' ? PPPDUMP.SENT : PPPDUMP.RECEIVED;
      head.writeUInt16BE(chunk.length, 1);
      parts.push(head, Buffer.from(chunk));
    }
    return Buffer.concat(parts);
  }

  end(dir: 'sent' | 'received', nowMs: number): Buffer {
    return Buffer.concat([this.delta(nowMs), Buffer.from([dir === 'sent' ? PPPDUMP.END_SENT : PPPDUMP.END_RECEIVED])]);
  }

  /** A time record when at least a tenth of a second has passed (record_write). */
  private delta(nowMs: number): Buffer {
    const now = Math.floor(nowMs / 100);
    const diff = now - this.last;
    if (diff <= 0) return Buffer.alloc(0);
    this.last = now;
    if (diff > 255) {
      const b = Buffer.alloc(5);
      b[0] = PPPDUMP.DELTA32;
      b.writeUInt32BE(Math.min(diff, 0xffffffff), 1);
      return b;
    }
    return Buffer.from([PPPDUMP.DELTA8, diff]);
  }
}
