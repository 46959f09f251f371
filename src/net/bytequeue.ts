/**
 * A FIFO of octets kept as the chunks they arrived in: append at the tail, read any range
 * (a retransmission reads from the middle), drop from the head as data is acknowledged.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /**
   * chunks[i].buffer, read when it is queued: peek() makes a view per segment sent, and
   * `.buffer` is a call into V8's runtime (~45 ns) each time it is read.
   */
  private abs: ArrayBufferLike[] = [];
  /** Octets of chunks[0] already dropped. */
  private headOffset = 0;
  private len = 0;

  get length(): number {
    return this.len;
  }

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.abs.push(b.buffer);
    this.len += b.length;
  }

  /** Octets [offset, offset + n) as one buffer (a view when they lie in one chunk). */
  read(offset: number, n: number): Buffer {
    n = Math.max(0, Math.min(n, this.len - offset));
    if (n === 0) return Buffer.alloc(0);
    let pos = offset + this.headOffset;
    let i = 0;
    while (pos >= this.chunks[i]!.length) {
      pos -= this.chunks[i]!.length;
      i++;
    }
    const c = this.chunks[i]!;
    if (pos + n <= c.length) return c.subarray(pos, pos + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const src = this.chunks[i]!;
      const take = Math.min(src.length - pos, n - filled);
      src.copy(out, filled, pos, pos + take);
      filled += take;
      pos = 0;
      i++;
    }
    return out;
  }

  /**
   * Octets [offset, offset + n) for building a segment from: a plain Uint8Array view when
   * they lie in one chunk (a Buffer view costs 3-4x as much to make, and the segment
   * builder copies the octets out at once), else a copy. Not for keeping or handing out.
   */
  peek(offset: number, n: number): Uint8Array {
    n = Math.max(0, Math.min(n, this.len - offset));
    let pos = offset + this.headOffset;
    let i = 0;
    while (i < this.chunks.length && pos >= this.chunks[i]!.length) {
      pos -= this.chunks[i]!.length;
      i++;
    }
    const c = this.chunks[i];
    if (c && pos + n <= c.length) return new Uint8Array(this.abs[i]!, c.byteOffset + pos, n);
    return this.read(offset, n);
  }

  /** Forgets the first n octets. */
  drop(n: number): void {
    n = Math.min(n, this.len);
    this.len -= n;
    let left = n + this.headOffset;
    let i = 0;
    while (i < this.chunks.length && left >= this.chunks[i]!.length) {
      left -= this.chunks[i]!.length;
      i++;
    }
    if (i > 0) {
      this.chunks.splice(0, i);
      this.abs.splice(0, i);
    }
    this.headOffset = this.chunks.length ? left : 0;
  }

  clear(): void {
    this.chunks = [];
    this.abs = [];
    this.headOffset = 0;
    this.len = 0;
  }
}
