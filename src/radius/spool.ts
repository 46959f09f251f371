/**
 * The accounting spool: a durable, ordered queue on disk for records the accounting server
 * has not acknowledged yet (RFC 2866 §2: the NAS keeps a record until it gets its
 * Accounting-Response). One append-only file of JSON lines, `DIR/spool`:
 *
 *   {"q":SEQ,"t":ENQUEUED_MS,"k":"interim","r":RECORD}   a record (k: start/interim/stop/on/off)
 *   {"a":SEQ}                                              everything up to SEQ is acknowledged
 *
 * Delivery is in order (peek() is the oldest unacknowledged record); ack(seq) acknowledges
 * it and everything before. enqueue() resolves only once the record is on disk (group commit,
 * one fsync per batch: ../isp/group-commit.ts), so a record the caller was told is spooled
 * survives kill -9 and power loss. On open, a torn last line (the crash hit mid-write) is
 * ignored; records after the last ack are delivered again (at-least-once: RADIUS servers
 * tell a duplicate by Acct-Session-Id + Acct-Status-Type + Event-Timestamp/Acct-Delay-Time).
 * Each record keeps its enqueue time, so Acct-Delay-Time (RFC 2866 §5.2) can be computed.
 *
 * Compaction: when the acknowledged part exceeds half the file (and 64 KiB), the file is
 * rewritten with only the unacknowledged records (atomic rename).
 *
 * Bound (the documented policy, examples/isp.conf `accounting-spool`): at most `maxBytes` of
 * unacknowledged records. When full, new Interim-Updates are dropped and counted (they carry
 * cumulative counters: the next interim or the Stop supersedes them); Start, Stop and
 * Accounting-On/Off are still taken up to twice the bound, after which they are refused,
 * counted and logged by the caller: the disk is never filled by a dead server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GroupCommitLog } from '../isp/group-commit.js';

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

export interface SpoolOptions {
  maxBytes?: number;
}

export class Spool<T = unknown> {
  private readonly entries: SpoolEntry<T>[] = [];
  private head = 0;
  private nextSeq = 1;
  private liveBytes = 0;
  private ackedBytes = 0;
  private compacting = false;
  readonly maxBytes: number;
  readonly counters = { enqueued: 0, acked: 0, droppedInterim: 0, refused: 0, recovered: 0, tornLines: 0, compactions: 0 };
  private readonly log: GroupCommitLog;

  private constructor(readonly dir: string, opts: SpoolOptions) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'spool');
    this.load(file);
    this.log = new GroupCommitLog(file, { maxPendingBytes: 2 * this.maxBytes + 1024 * 1024 });
  }

  /** Opens (or creates) the spool in `dir`, recovering what a crash left. Start-up only: reads synchronously. */
  static open<T = unknown>(dir: string, opts: SpoolOptions = {}): Spool<T> {
    return new Spool<T>(dir, opts);
  }

  private load(file: string): void {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    let acked = 0;
    const all: SpoolEntry<T>[] = [];
    let end = 0;
    for (const line of text.split('\n')) {
      const start = end;
      end += line.length + 1;
      if (!line) continue;
      let v: { q?: number; t?: number; k?: SpoolKind; r?: T; a?: number };
      try {
        v = JSON.parse(line) as typeof v;
      } catch {
        // Only the last line can be torn by a crash; anything else is damage: skip and count.
        this.counters.tornLines++;
        void start;
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
    // A torn tail would glue itself to the next append: start the file clean.
    if (text && !text.endsWith('\n')) fs.appendFileSync(file, '\n');
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

  /**
   * Spools a record; resolves with its sequence number once it is on disk, or undefined when
   * the bound dropped it (see the policy above).
   */
  async enqueue(record: T, kind: SpoolKind, now: number): Promise<number | undefined> {
    const seq = this.nextSeq;
    const line = JSON.stringify({ q: seq, t: now, k: kind, r: record });
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
    await this.log.append(line);
    return seq;
  }

  /** The oldest unacknowledged record (the one to send next). */
  peek(): SpoolEntry<T> | undefined {
    return this.entries[this.head];
  }

  /** Up to `n` oldest unacknowledged records, in order. */
  first(n: number): SpoolEntry<T>[] {
    return this.entries.slice(this.head, this.head + n);
  }

  /** Acknowledges `seq` and every record before it. Resolves when the ack is on disk. */
  async ack(seq: number): Promise<void> {
    let n = 0;
    while (this.head < this.entries.length && this.entries[this.head]!.seq <= seq) {
      const e = this.entries[this.head++]!;
      this.liveBytes -= e.bytes;
      this.ackedBytes += e.bytes;
      n++;
    }
    if (!n) return;
    this.counters.acked += n;
    // Drop the consumed prefix of the array now and then (amortised O(1)).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    const line = JSON.stringify({ a: seq });
    this.ackedBytes += line.length + 1;
    const written = this.log.append(line);
    if (!this.compacting && this.ackedBytes > 64 * 1024 && this.ackedBytes > this.liveBytes) await this.compact();
    await written;
  }

  /** Rewrites the file with only the unacknowledged records. */
  async compact(): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    try {
      const live = this.entries.slice(this.head);
      await this.log.rewrite(live.map((e) => JSON.stringify({ q: e.seq, t: e.enqueuedAt, k: e.kind, r: e.record })));
      this.ackedBytes = 0;
      this.counters.compactions++;
    } finally {
      this.compacting = false;
    }
  }

  /** Everything spooled so far is on disk. */
  drained(): Promise<void> {
    return this.log.drained();
  }

  close(): Promise<void> {
    return this.log.close();
  }

  status() {
    return { records: this.length, bytes: this.liveBytes, maxBytes: this.maxBytes, ...this.counters, fsyncs: this.log.counters.fsyncs };
  }
}
