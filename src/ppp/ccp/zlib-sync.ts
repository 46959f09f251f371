/**
 * A persistent raw-deflate or raw-inflate stream driven synchronously, one packet at a
 * time: what PPP Deflate (RFC 1979) needs, and what node:zlib's public API does not offer.
 *
 * Why this shape (measured and checked with Node 20):
 *  - `zlib.deflateRawSync` / `inflateRawSync` are one-shot: a fresh stream per call, so
 *    no history. The peer's compressor refers back into every earlier packet, so a
 *    per-message inflate cannot decode it.
 *  - Passing the history as `dictionary` on every call does give a correct stream, but
 *    re-initialises zlib and re-hashes up to 32 KB per packet: 1.3 ms per 1400-byte
 *    packet here against 23 µs for a persistent stream (57 times slower), and it needs
 *    the history copied and trimmed by hand.
 *  - A stream object's `_processChunk(chunk, flush)` without callback is synchronous, but
 *    it is the engine of the one-shot functions: it closes the stream after one call.
 *  - The async stream API (`write` + `flush(Z_SYNC_FLUSH, cb)`) keeps state but answers
 *    on the thread pool, after the sans-IO core has had to return.
 *  - What works: the stream object's native handle, `writeSync(flush, in, inOff, inLen,
 *    out, outOff, outLen)`, which is exactly the call node's own `*Sync` functions make
 *    (lib/zlib.js processChunkSync), without the close. It reports the space left in
 *    `_writeState` ([availOut, availIn]) and errors through `handle.onerror`. These are
 *    node internals, so they are checked when a stream is made and their absence is a
 *    clear error, not a silent misbehaviour (a test proves the history is kept).
 */
import zlib from 'node:zlib';

/** The native handle's face that node's processChunkSync uses. */
interface NativeZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

/** Thrown when zlib reports an error or the output would pass the bound. */
export class ZlibError extends Error {}

const CHUNK = 16 * 1024;

export class SyncZlibStream {
  private readonly handle: NativeZlibHandle;
  private readonly state: Uint32Array;
  private error: string | undefined;
  private closed = false;
  private readonly scratch = Buffer.allocUnsafe(CHUNK);

  /**
   * `maxOutput` bounds what one write may produce (a decompressor fed a "zip bomb" stops
   * there with a ZlibError).
   */
  constructor(kind: 'deflate' | 'inflate', windowBits: number, private readonly maxOutput: number) {
    const stream = kind === 'deflate' ? zlib.createDeflateRaw({ windowBits, memLevel: 8 }) : zlib.createInflateRaw({ windowBits });
    // node internals (see above); typed here once, checked below.
    const internals = stream as unknown as { _handle?: NativeZlibHandle; _writeState?: Uint32Array };
    const handle = internals._handle;
    const state = internals._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) {
      throw new Error('node:zlib internals changed: no synchronous stream handle for PPP Deflate');
    }
    this.handle = handle;
    this.state = state;
    this.handle.onerror = (message) => {
      this.error = message;
    };
  }

  /** Feeds `input` with `flush` (Z_SYNC_FLUSH for a packet) and returns everything produced. */
  write(input: Buffer, flush: number = zlib.constants.Z_SYNC_FLUSH): Buffer {
    if (this.closed) throw new ZlibError('stream closed');
    const parts: Buffer[] = [];
    let total = 0;
    let inOff = 0;
    let inLen = input.length;
    for (;;) {
      // One scratch buffer per stream; what zlib produced is copied out of it.
      const out = this.scratch;
      this.error = undefined;
      this.handle.writeSync(flush, input, inOff, inLen, out, 0, CHUNK);
      if (this.error !== undefined) throw new ZlibError(this.error);
      const availOut = this.state[0]!;
      const availIn = this.state[1]!;
      const have = CHUNK - availOut;
      if (have > 0) {
        parts.push(Buffer.from(out.subarray(0, have)));
        total += have;
        if (total > this.maxOutput) throw new ZlibError(`output exceeds ${this.maxOutput} bytes`);
      }
      inOff += inLen - availIn;
      inLen = availIn;
      // A full output buffer means zlib may have more to say; otherwise it is done.
      if (availOut !== 0) {
        // inflate stops early at the end of a final block: input left over is an error.
        if (inLen !== 0) throw new ZlibError(`${inLen} bytes of input left over`);
        break;
      }
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  /** deflateReset / inflateReset: empty history. */
  reset(): void {
    if (this.closed) return;
    this.error = undefined;
    this.handle.reset();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }
}
