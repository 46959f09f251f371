import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccountingLog } from './accounting-log.js';

test('accounting log: records are visible at once, in order, and resolve after a shared fsync', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-acct-')), 'a.jsonl');
  const log = new AccountingLog(file);
  const writes = Array.from({ length: 500 }, (_, n) => log.append({ event: 'start', n }, 0));
  // Visible before the fsync (eager write), in order.
  const now = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  assert.deepEqual(now, Array.from({ length: 500 }, (_, n) => n));
  await Promise.all(writes);
  assert.ok(log.counters.fsyncs < 50, `${log.counters.fsyncs} fsyncs for 500 records`);
  assert.equal(log.counters.appended, 500);
  await log.close();
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
});
