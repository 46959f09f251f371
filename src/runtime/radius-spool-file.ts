/**
 * The accounting spool's file (the IO shell of ../radius/spool.ts, which has the queue, the
 * line format and the bound): one append-only file of JSON lines, `DIR/spool`.
 *
 * enqueue() resolves only once the record is on disk (group commit, one fsync per batch:
 * ../isp/group-commit.ts), so a record the caller was told is spooled survives kill -9 and
 * power loss. On open, a torn last line (the crash hit mid-write) is ignored and the file is
 * ended with a newline so later appends parse; records after the last ack are delivered again.
 *
 * Compaction: when the acknowledged part exceeds half the file (and 64 KiB), the file is
 * rewritten with only the unacknowledged records (atomic rename).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GroupCommitLog } from '../isp/group-commit.js';
import { SpoolQueue, type SpoolEntry, type SpoolKind, type SpoolStore } from '../radius/spool.js';

export type { SpoolEntry, SpoolKind } from '../radius/spool.js';

export interface SpoolOptions {
  maxBytes?: number;
}

export class Spool<T = unknown> implements SpoolStore<T> {
  private readonly q: SpoolQueue<T>;
  private compacting = false;
  private readonly log: GroupCommitLog;

  private constructor(readonly dir: string, opts: SpoolOptions) {
    this.q = new SpoolQueue<T>(opts.maxBytes);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, 'spool');
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.q.load(text);
    // A torn tail would glue itself to the next append: start the file clean.
    if (text && !text.endsWith('\n')) fs.appendFileSync(file, '\n');
    this.log = new GroupCommitLog(file, { maxPendingBytes: 2 * this.q.maxBytes + 1024 * 1024 });
  }

  /** Opens (or creates) the spool in `dir`, recovering what a crash left. Start-up only: reads synchronously. */
  static open<T = unknown>(dir: string, opts: SpoolOptions = {}): Spool<T> {
    return new Spool<T>(dir, opts);
  }

  get maxBytes(): number {
    return this.q.maxBytes;
  }

  get counters() {
    return this.q.counters;
  }

  /** Records not yet acknowledged. */
  get length(): number {
    return this.q.length;
  }

  /** Bytes of unacknowledged records. */
  get bytes(): number {
    return this.q.bytes;
  }

  /** Spools a record; resolves with its sequence number once it is on disk, or undefined when the bound dropped it. */
  async enqueue(record: T, kind: SpoolKind, now: number): Promise<number | undefined> {
    const taken = this.q.enqueue(record, kind, now);
    if (!taken) return undefined;
    await this.log.append(taken.line);
    return taken.seq;
  }

  peek(): SpoolEntry<T> | undefined {
    return this.q.peek();
  }

  first(n: number): SpoolEntry<T>[] {
    return this.q.first(n);
  }

  /** Acknowledges `seq` and every record before it. Resolves when the ack is on disk. */
  async ack(seq: number): Promise<void> {
    const line = this.q.ack(seq);
    if (line === undefined) return;
    const written = this.log.append(line);
    if (!this.compacting && this.q.compactionDue) await this.compact();
    await written;
  }

  /** Rewrites the file with only the unacknowledged records. */
  async compact(): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    try {
      await this.log.rewrite(this.q.liveLines());
      this.q.compacted();
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
    return { ...this.q.status(), fsyncs: this.log.counters.fsyncs };
  }
}
