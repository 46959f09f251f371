/**
 * Buffers that lie back to back in one ArrayBuffer, joined into one view per run. The HDLC
 * encoder builds the frames of a flush one after another in its slab (src/wire/hdlc.ts), so
 * a byte-stream line can take them as one write: Node's stream handles every chunk of a
 * gathered (corked) write on its own, ~0.5 µs a chunk on the bench machine, 0.3-0.4 ms of
 * CPU per MB of 1500-octet frames (bench/nat's line runs). Only for byte streams: a joined
 * view no longer shows where one buffer ended (a PPPoE or L2TP stream takes a frame a write).
 * Always correct where it applies: a joined view holds exactly the octets of its run, in order.
 */
export function joinAdjacent(bufs: Buffer[]): Buffer[] {
  if (bufs.length < 2) return bufs;
  const out: Buffer[] = [];
  let first = bufs[0]!;
  let end = first.byteOffset + first.length;
  // first.buffer, read only once a candidate lines up (`.buffer` is a call into V8's runtime).
  let ab: ArrayBufferLike | undefined;
  let joined = false;
  const close = () => out.push(joined ? Buffer.from(ab!, first.byteOffset, end - first.byteOffset) : first);
  for (let i = 1; i < bufs.length; i++) {
    const b = bufs[i]!;
    if (b.byteOffset === end && b.buffer === (ab ??= first.buffer)) {
      end += b.length;
      joined = true;
      continue;
    }
    close();
    first = b;
    end = b.byteOffset + b.length;
    ab = undefined;
    joined = false;
  }
  close();
  return out;
}
