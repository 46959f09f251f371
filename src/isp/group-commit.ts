/**
 * An append-only file with group commit: lines are appended in batches and each batch is
 * made durable with ONE fsync, run in libuv's thread pool (fs.promises), never on the event
 * loop. append() resolves only once the fsync that covers its line has returned, so "written"
 * means on disk, as the old write-and-fsync-per-record code promised, at a fraction of the
 * cost when records come in bursts (2,000 session setups a second are 2,000 starts).
 *
 * `eager`: the line is handed to the kernel (write(2) into the page cache, microseconds) at
 * once, so readers of the file (tail -f, tests, log shippers) see it in order without delay;
 * only the fsync is batched. Without it the write is batched too (the spool, which also
 * rewrites the file when it compacts and must hold appends meanwhile).
 *
 * Bounded: at most `maxPendingBytes` wait for their batch; beyond that append() rejects (the
 * disk is not keeping up; callers count and log it, see spool.ts / accounting-log.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface GroupCommitOptions {
  eager?: boolean;
  maxPendingBytes?: number;
  /** File mode when created (accounting holds user names: 0600). */
  mode?: number;
}

export class GroupCommitError extends Error {}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

interface RewriteJob {
  lines: string[];
  covered: Waiter[];
  done: Waiter;
}

export class GroupCommitLog {
  private fd: number;
  /** Lines not yet written (non-eager mode, or held during a rewrite). */
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Waiters whose line is written (or pending) but not yet covered by an fsync. */
  private waiters: Waiter[] = [];
  private running = false;
  private rewrites: RewriteJob[] = [];
  private closed = false;
  private failure?: Error;
  private idle: Array<() => void> = [];
  readonly counters = { appended: 0, batches: 0, fsyncs: 0, refused: 0, rewrites: 0 };
  private readonly maxPending: number;

  constructor(readonly file: string, private readonly opts: GroupCommitOptions = {}) {
    this.fd = fs.openSync(file, 'a', opts.mode ?? 0o600);
    this.maxPending = opts.maxPendingBytes ?? 64 * 1024 * 1024;
  }

  /** Size of the file on disk plus what waits to be written. */
  get size(): number {
    return fs.fstatSync(this.fd).size + this.pendingBytes;
  }

  /** Appends one line (a '\n' is added); resolves once it is on disk. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new GroupCommitError(`${this.file}: closed`));
    if (this.failure) return Promise.reject(this.failure);
    const text = `${line}\n`;
    if (this.pendingBytes + text.length > this.maxPending) {
      this.counters.refused++;
      return Promise.reject(new GroupCommitError(`${this.file}: ${this.pendingBytes} bytes wait for the disk already`));
    }
    this.counters.appended++;
    if (this.opts.eager && !this.rewrites.length) {
      fs.writeSync(this.fd, text);
    } else {
      this.pending.push(text);
      this.pendingBytes += text.length;
    }
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return p;
  }

  /**
   * Replaces the file's content by `lines` atomically (temp file, fsync, rename, fsync of the
   * directory): a crash leaves either the old or the new file. `lines` must hold everything
   * appended so far that is still wanted (the caller's snapshot, taken now): lines appended
   * before this call and not yet written are dropped (they are in the snapshot) and their
   * append() resolves once the new file is on disk. Later appends land after the new content.
   */
  rewrite(lines: string[]): Promise<void> {
    const covered = this.waiters.splice(0);
    this.pending = [];
    this.pendingBytes = 0;
    return new Promise<void>((resolve, reject) => {
      this.rewrites.push({ lines, covered, done: { resolve, reject } });
      this.kick();
    });
  }

  private async doRewrite(job: RewriteJob): Promise<void> {
    try {
      const tmp = `${this.file}.tmp`;
      const h = await fs.promises.open(tmp, 'w', this.opts.mode ?? 0o600);
      try {
        await h.writeFile(job.lines.map((l) => `${l}\n`).join(''));
        await h.sync();
      } finally {
        await h.close();
      }
      await fs.promises.rename(tmp, this.file);
      await syncDir(path.dirname(this.file));
      const old = this.fd;
      this.fd = fs.openSync(this.file, 'a', this.opts.mode ?? 0o600);
      fs.close(old, () => undefined);
      this.counters.rewrites++;
      for (const w of job.covered) w.resolve();
      job.done.resolve();
    } catch (e) {
      this.failure = e as Error;
      for (const w of job.covered) w.reject(e as Error);
      job.done.reject(e as Error);
    }
  }

  /** Resolves when everything appended so far is on disk. */
  drained(): Promise<void> {
    if (!this.running && !this.rewrites.length && !this.waiters.length && !this.pending.length) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private kick(): void {
    if (this.running) return;
    const job = this.rewrites.shift();
    if (!job && !this.waiters.length && !this.pending.length) {
      for (const r of this.idle.splice(0)) r();
      return;
    }
    this.running = true;
    void (job ? this.doRewrite(job) : this.batch()).finally(() => {
      this.running = false;
      this.kick();
    });
  }

  /** One batch: everything appended so far, one write, one fsync. */
  private async batch(): Promise<void> {
    const waiters = this.waiters.splice(0);
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      if (text) await write(this.fd, Buffer.from(text));
      await new Promise<void>((resolve, reject) => fs.fsync(this.fd, (e) => (e ? reject(e) : resolve())));
      this.counters.batches++;
      this.counters.fsyncs++;
      for (const w of waiters) w.resolve();
    } catch (e) {
      // A disk that fails an fsync cannot be trusted with later records either (fsyncgate):
      // every later append fails too, loudly.
      this.failure = e as Error;
      for (const w of waiters) w.reject(e as Error);
    }
  }
}

function write(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number) => {
      fs.write(fd, buf, off, buf.length - off, null, (e, n) => {
        if (e) return reject(e);
        if (off + n < buf.length) step(off + n);
        else resolve();
      });
    };
    step(0);
  });
}

/** After a rename, the directory entry itself must reach the disk (POSIX: fsync the directory). */
export async function syncDir(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, 'r');
  try {
    await h.sync();
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the rename is as durable as they allow.
  } finally {
    await h.close();
  }
}
