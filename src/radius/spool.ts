/**
 * The accounting spool's logic, sans-IO: an ordered queue of records the accounting server
 * has not acknowledged yet (RFC 2866 §2: the NAS keeps a record until it gets its
 * Accounting-Response), its line format and its bound. The file behind it (append, fsync,
 * compaction, recovery on open) is the IO shell, ../runtime/radius-spool-file.ts.
 *
 * Format, JSON lines:
 *
 *   {"q":SEQ,"t":ENQUEUED_MS,"k":"interim","r":RECORD}   a record (k: start/interim/stop/on/off)
 *   {"a":SEQ}                                              everything up to SEQ is acknowledged
 *
 * Delivery is in order (peek() is the oldest unacknowledged record); ack(seq) acknowledges it
 * and everything before. Reading back, a torn line (a crash mid-write) is skipped and
 * counted; records after the last ack are delivered again (at-least-once: RADIUS servers tell
 * a duplicate by Acct-Session-Id + Acct-Status-Type + Event-Timestamp/Acct-Delay-Time). Each
 * record keeps its enqueue time, so Acct-Delay-Time (RFC 2866 §5.2) can be computed.
 *
 * Bound (the documented policy, examples/isp.conf `accounting-spool`): at most `maxBytes` of
 * unacknowledged records. When full, new Interim-Updates are dropped and counted (they carry
 * cumulative counters: the next interim or the Stop supersedes them); Start, Stop and
 * Accounting-On/Off are still taken up to twice the bound, after which they are refused,
 * counted and logged by the caller: the disk is never filled by a dead server.
 */

export type SpoolKind = 'start' | 'interim' | 'stop' | 'on' | 'off';

export interface SpoolEntry<T> {
  seq: number;
  /** Epoch ms when the record was enqueued (the event's time, for Acct-Delay-Time). */
  enqueuedAt: number;
  kind: SpoolKind;
  record: T;
  /** Bytes of its line, for the bound. */
  bytes: number;
}

/** What Accounting needs of a spool (the file one in the isp, the same in tests). */
export interface SpoolStore<T> {
  readonly length: number;
  readonly bytes: number;
  enqueue(record: T, kind: SpoolKind, now: number): Promise<number | undefined>;
  first(n: number): SpoolEntry<T>[];
  ack(seq: number): Promise<void>;
  drained(): Promise<void>;
  status(): { records: number; bytes: number; enqueued: number } & Record<string, unknown>;
}

export function recordLine<T>(e: Pick<SpoolEntry<T>, 'seq' | 'enqueuedAt' | 'kind' | 'record'>): string {
  return JSON.stringify({ q: e.seq, t: e.enqueuedAt, k: e.kind, r: e.record });
}

export function ackLine(seq: number): string {
  return JSON.stringify({ a: seq });
}

export class SpoolQueue<T> {
  private readonly entries: SpoolEntry<T>[] = [];
  private head = 0;
  private nextSeq = 1;
  private liveBytes = 0;
  /** Bytes of the file that are acknowledged records and acks (what compaction frees). */
  ackedBytes = 0;
  readonly counters = { enqueued: 0, acked: 0, droppedInterim: 0, refused: 0, recovered: 0, tornLines: 0, compactions: 0 };

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  /** Takes back what a file held (start-up): the records after the last ack, in order. */
  load(text: string): void {
    let acked = 0;
    const all: SpoolEntry<T>[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      let v: { q?: number; t?: number; k?: SpoolKind; r?: T; a?: number };
      try {
        v = JSON.parse(line) as typeof v;
      } catch {
        // Only the last line can be torn by a crash; anything else is damage: skip and count.
        this.counters.tornLines++;
        continue;
      }
      if (typeof v.a === 'number') acked = Math.max(acked, v.a);
      else if (typeof v.q === 'number' && typeof v.t === 'number' && v.k) all.push({ seq: v.q, enqueuedAt: v.t, kind: v.k, record: v.r as T, bytes: line.length + 1 });
      if (typeof v.q === 'number') this.nextSeq = Math.max(this.nextSeq, v.q + 1);
      if (typeof v.a === 'number') this.nextSeq = Math.max(this.nextSeq, v.a + 1);
    }
    for (const e of all) {
      if (e.seq <= acked) continue;
      this.entries.push(e);
      this.liveBytes += e.bytes;
    }
    this.counters.recovered = this.entries.length;
    this.ackedBytes = Buffer.byteLength(text) - this.liveBytes;
  }

  /** Records not yet acknowledged. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Bytes of unacknowledged records. */
  get bytes(): number {
    return this.liveBytes;
  }

  /** Queues a record: its sequence number and the line to write, or undefined when the bound drops it. */
  enqueue(record: T, kind: SpoolKind, now: number): { seq: number; line: string } | undefined {
    const seq = this.nextSeq;
    const line = recordLine({ seq, enqueuedAt: now, kind, record });
    const bytes = Buffer.byteLength(line) + 1;
    if (this.liveBytes + bytes > this.maxBytes) {
      if (kind === 'interim') {
        this.counters.droppedInterim++;
        return undefined;
      }
      if (this.liveBytes + bytes > 2 * this.maxBytes) {
        this.counters.refused++;
        return undefined;
      }
    }
    this.nextSeq++;
    this.entries.push({ seq, enqueuedAt: now, kind, record, bytes });
    this.liveBytes += bytes;
    this.counters.enqueued++;
    return { seq, line };
  }

  /** The oldest unacknowledged record (the one to send next). */
  peek(): SpoolEntry<T> | undefined {
    return this.entries[this.head];
  }

  /** Up to `n` oldest unacknowledged records, in order. */
  first(n: number): SpoolEntry<T>[] {
    return this.entries.slice(this.head, this.head + n);
  }

  /** Acknowledges `seq` and every record before it: the ack line to write, or undefined if nothing changed. */
  ack(seq: number): string | undefined {
    let n = 0;
    while (this.head < this.entries.length && this.entries[this.head]!.seq <= seq) {
      const e = this.entries[this.head++]!;
      this.liveBytes -= e.bytes;
      this.ackedBytes += e.bytes;
      n++;
    }
    if (!n) return undefined;
    this.counters.acked += n;
    // Drop the consumed prefix of the array now and then (amortised O(1)).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    const line = ackLine(seq);
    this.ackedBytes += line.length + 1;
    return line;
  }

  /** Compaction is due: the acknowledged part exceeds the live part (and 64 KiB). */
  get compactionDue(): boolean {
    return this.ackedBytes > 64 * 1024 && this.ackedBytes > this.liveBytes;
  }

  /** The lines of a compacted file: only the unacknowledged records. */
  liveLines(): string[] {
    return this.entries.slice(this.head).map((e) => recordLine(e));
  }

  compacted(): void {
    this.ackedBytes = 0;
    this.counters.compactions++;
  }

  status() {
    return { records: this.length, bytes: this.liveBytes, maxBytes: this.maxBytes, ...this.counters };
  }
}
