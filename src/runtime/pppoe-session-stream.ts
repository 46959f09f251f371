/**
 * One PPPoE session as a Node duplex of whole PPP frames: each write is one frame for the
 * session, each 'data' one frame from it. The PPP driver (src/runtime/driver.ts) writes one
 * frame per write and reads with a frame link (ppp-options.ts), so it runs unchanged on it.
 * Ending it (destroy) ends the session with a PADT; a PADT from the peer ends the stream.
 */
import { Duplex } from 'node:stream';

/** Frames queued towards the PPP reader before it keeps up: beyond this, dropped (as a NIC ring). */
const MAX_QUEUED = 256;

export class SessionStream extends Duplex {
  dropped = 0;
  private ended = false;

  constructor(private readonly sendFrame: (frame: Buffer) => void, private readonly onClose: () => void) {
    super({ readableObjectMode: true, allowHalfOpen: false });
  }

  /** A PPP frame from the session. */
  deliver(frame: Buffer): void {
    if (this.ended) return;
    if (this.readableLength >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.push(frame);
  }

  /** The session ended under us (PADT, the server stopping). */
  hangup(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
    this.destroy();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.ended) this.sendFrame(chunk);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.ended = true;
    this.onClose();
    cb(err);
  }
}
