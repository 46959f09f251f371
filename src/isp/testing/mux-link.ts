/**
 * In-memory links between two threads (bench/scale.ts) or within one (tests): many duplex streams multiplexed
 * over one MessagePort, writes batched per turn of the event loop. The server's isolate
 * then holds only the server's side of every session, so its heap per session is the
 * server's cost, while the load generator runs on the other core.
 */
import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

/** [id, bytes] for data; [id, null] for the end of that stream. */
export type MuxItem = [number, Uint8Array | null];

export class Mux {
  private readonly streams = new Map<number, Duplex>();
  private outbox: MuxItem[] = [];
  private scheduled = false;

  constructor(private readonly port: MessagePort | { postMessage(m: unknown): void }, private readonly onOpen?: (id: number, s: Duplex) => void) {}

  /** Items from the other side. */
  receive(items: MuxItem[]): void {
    for (const [id, data] of items) {
      let s = this.streams.get(id);
      if (!s) {
        if (data === null) continue;
        s = this.open(id);
        this.onOpen?.(id, s);
      }
      if (data === null) {
        this.streams.delete(id);
        s.push(null);
        s.destroy();
      } else {
        s.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      }
    }
  }

  open(id: number): Duplex {
    const s = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.send([id, chunk]);
        cb();
      },
      destroy: (err, cb) => {
        if (this.streams.delete(id)) this.send([id, null]);
        cb(err);
      },
    });
    this.streams.set(id, s);
    return s;
  }

  get size(): number {
    return this.streams.size;
  }

  private send(item: MuxItem): void {
    this.outbox.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.outbox;
      this.outbox = [];
      this.port.postMessage(batch);
    });
  }
}
