/**
 * `record FILE`: the line's raw bytes both ways in pppdump's format (src/wire/pppdump.ts),
 * appended to FILE as pppd's charshunt does (each link starts with a start record).
 * Writes are queued on one append stream; a write error is logged once and recording stops
 * (pppd: "Error writing record file"), the link goes on.
 */
import fs from 'node:fs';
import { PppdumpWriter } from '../wire/pppdump.js';

export interface RecordFile {
  /** A link starts: the start record with the wall-clock time. */
  start(): void;
  data(dir: 'sent' | 'received', bytes: Buffer): void;
  end(dir: 'sent' | 'received'): void;
  close(): Promise<void>;
}

export function openRecordFile(file: string, log: (msg: string) => void, now: () => number = Date.now): RecordFile {
  const writer = new PppdumpWriter();
  let failed = false;
  const out = fs.createWriteStream(file, { flags: 'a', mode: 0o600 });
  out.on('error', (err) => {
    if (!failed) log(`Error writing record file: ${err.message}`);
    failed = true;
  });
  const put = (b: Buffer) => {
    if (!failed && b.length) out.write(b);
  };
  return {
    start: () => put(writer.start(now())),
    data: (dir, bytes) => put(writer.data(dir, bytes, now())),
    end: (dir) => put(writer.end(dir, now())),
    close: () => new Promise((resolve) => (failed ? resolve() : out.end(resolve))),
  };
}
