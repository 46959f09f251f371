/**
 * Interim state of live sessions on disk, so that a crash (kill -9, power loss) does not leave
 * a session unaccounted: each session that is up has `DIR/sessions/ID.json`, rewritten
 * atomically (temp file, fsync, rename, off the event loop) when it starts and at every
 * interim, and removed once its Stop is recorded. At the next start, every file left is a
 * session that was up when the process died: it gets its Stop from the last state written
 * (Acct-Terminate-Cause NAS-Reboot, as accel-ppp does after a restart).
 *
 * Bounded: one small file per live session (max-sessions bounds them); writes of one session
 * never overlap (a newer state waits for the one in flight and replaces any queued one).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface StoredSession {
  /** Acct-Session-Id: unique across restarts. */
  acctSessionId: string;
  [k: string]: unknown;
}

export class SessionStateStore {
  private readonly dir: string;
  /** Per session: the write in flight and the newest state waiting behind it. */
  private readonly writing = new Map<string, { next?: StoredSession | null; done: Promise<void> }>();
  readonly counters = { writes: 0, errors: 0 };

  constructor(dir: string, private readonly log: (m: string) => void = () => undefined) {
    this.dir = path.join(dir, 'sessions');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Sessions a previous process left (start-up only: synchronous). Damaged files are skipped and named. */
  recover(): StoredSession[] {
    const out: StoredSession[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const s = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredSession;
        if (typeof s.acctSessionId === 'string') out.push(s);
      } catch (e) {
        this.log(`accounting: session state ${name} unreadable (${(e as Error).message}); skipped`);
      }
    }
    return out;
  }

  /** Saves a session's state (resolves once on disk). */
  save(s: StoredSession): Promise<void> {
    return this.queue(s.acctSessionId, s);
  }

  /** Forgets a session (its Stop is recorded). */
  remove(acctSessionId: string): Promise<void> {
    return this.queue(acctSessionId, null);
  }

  private queue(id: string, state: StoredSession | null): Promise<void> {
    const cur = this.writing.get(id);
    if (cur) {
      // Only the newest state matters: replace whatever waits behind the write in flight.
      const had = 'next' in cur;
      cur.next = state;
      if (!had) cur.done = cur.done.then(() => this.flushNext(id));
      return cur.done;
    }
    const entry: { next?: StoredSession | null; done: Promise<void> } = { done: Promise.resolve() };
    this.writing.set(id, entry);
    entry.next = state;
    entry.done = this.flushNext(id);
    return entry.done;
  }

  private async flushNext(id: string): Promise<void> {
    const entry = this.writing.get(id);
    if (!entry || !('next' in entry)) return;
    const state = entry.next!;
    delete entry.next;
    const file = path.join(this.dir, `${safe(id)}.json`);
    try {
      if (state === null) {
        await fs.promises.rm(file, { force: true });
      } else {
        const tmp = `${file}.tmp`;
        const h = await fs.promises.open(tmp, 'w', 0o600);
        try {
          await h.writeFile(JSON.stringify(state));
          await h.sync();
        } finally {
          await h.close();
        }
        await fs.promises.rename(tmp, file);
      }
      this.counters.writes++;
    } catch (e) {
      this.counters.errors++;
      this.log(`accounting: session state ${id}: ${(e as Error).message}`);
    } finally {
      if (!('next' in entry) && this.writing.get(id) === entry) this.writing.delete(id);
    }
  }

  /** Every state write so far is done. */
  async drained(): Promise<void> {
    while (this.writing.size) await Promise.all([...this.writing.values()].map((e) => e.done));
  }
}

/** Session ids are ours (hex and '-'), but a file name must never climb out of the directory. */
function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
