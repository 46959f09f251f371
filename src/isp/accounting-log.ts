/**
 * The local accounting file (`accounting FILE`): one JSON line per event, appended with group
 * commit (group-commit.ts): the line reaches the file at once (in order, visible to readers),
 * and the fsync that makes it durable is shared by every record of its batch and runs off the
 * event loop. append() resolves only after that fsync: the guarantee the old
 * write-and-fsync-per-record code gave, without an fsync per record on the event loop.
 */
import { GroupCommitLog } from './group-commit.js';

export class AccountingLog {
  private readonly file: GroupCommitLog;

  constructor(path: string) {
    this.file = new GroupCommitLog(path, { eager: true, mode: 0o600 });
  }

  get counters() {
    return this.file.counters;
  }

  /** Appends `{time, ...record}`; resolves once it is on disk. */
  append(record: Record<string, unknown>, now: number): Promise<void> {
    return this.file.append(JSON.stringify({ time: new Date(now).toISOString(), ...record }));
  }

  drained(): Promise<void> {
    return this.file.drained();
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
