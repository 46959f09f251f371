import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Spool } from './radius-spool-file.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-spool-'));

test('spool: records come back in order after reopening; acknowledged ones do not', async () => {
  const dir = tmp();
  const s = Spool.open<{ n: number }>(dir);
  for (let n = 1; n <= 5; n++) await s.enqueue({ n }, 'interim', 1000 * n);
  await s.ack(s.first(2)[1]!.seq);
  await s.close();
  const again = Spool.open<{ n: number }>(dir);
  assert.deepEqual(again.first(10).map((e) => e.record.n), [3, 4, 5]);
  assert.deepEqual(again.first(10).map((e) => e.enqueuedAt), [3000, 4000, 5000]);
  // New records get sequence numbers after the old ones: the order survives restarts.
  await again.enqueue({ n: 6 }, 'stop', 6000);
  assert.ok(again.first(10)[3]!.seq > again.first(10)[2]!.seq);
  await again.close();
});

test('spool: a torn last line (a crash mid-write) is skipped, the rest kept, later appends parse', async () => {
  const dir = tmp();
  const s = Spool.open<{ n: number }>(dir);
  await s.enqueue({ n: 1 }, 'start', 1);
  await s.close();
  fs.appendFileSync(path.join(dir, 'spool'), '{"q":2,"t":2,"k":"st');
  const again = Spool.open<{ n: number }>(dir);
  assert.equal(again.counters.tornLines, 1);
  await again.enqueue({ n: 3 }, 'stop', 3);
  await again.close();
  assert.deepEqual(Spool.open<{ n: number }>(dir).first(10).map((e) => e.record.n), [1, 3]);
});

test('spool: batches share fsyncs (group commit): 200 records, far fewer fsyncs', async () => {
  const s = Spool.open<{ n: number }>(tmp());
  await Promise.all(Array.from({ length: 200 }, (_, n) => s.enqueue({ n }, 'interim', n)));
  const st = s.status();
  assert.equal(st.records, 200);
  assert.ok(st.fsyncs < 100, `${st.fsyncs} fsyncs`);
  await s.close();
});

test('spool: compaction drops the acknowledged part of the file and keeps the rest', async () => {
  const dir = tmp();
  const s = Spool.open<{ pad: string; n: number }>(dir);
  const pad = 'x'.repeat(500);
  for (let n = 0; n < 400; n++) await s.enqueue({ pad, n }, 'interim', n);
  await s.ack(s.first(390)[389]!.seq);
  await s.drained();
  assert.ok(s.counters.compactions >= 1);
  assert.ok(fs.statSync(path.join(dir, 'spool')).size < 20 * 1024);
  await s.close();
  assert.deepEqual(Spool.open<{ n: number }>(dir).first(20).map((e) => e.record.n), [390, 391, 392, 393, 394, 395, 396, 397, 398, 399]);
});

test('spool: the bound drops Interim-Updates first, keeps Stops up to twice the bound, then refuses', async () => {
  const s = Spool.open<{ pad: string }>(tmp(), { maxBytes: 4096 });
  const pad = 'x'.repeat(900);
  let kept = 0;
  for (let i = 0; i < 4; i++) if ((await s.enqueue({ pad }, 'interim', i)) !== undefined) kept++;
  assert.equal(kept, 4);
  assert.equal(await s.enqueue({ pad }, 'interim', 5), undefined);
  assert.equal(s.counters.droppedInterim, 1);
  let stops = 0;
  for (let i = 0; i < 10; i++) if ((await s.enqueue({ pad }, 'stop', i)) !== undefined) stops++;
  assert.equal(stops, 4);
  assert.ok(s.counters.refused > 0);
  assert.ok(s.bytes <= 2 * 4096);
  await s.close();
});

test('spool: kill -9 of the writing process loses no record it reported spooled', { timeout: 60_000 }, async () => {
  const dir = tmp();
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import { Spool } from ${JSON.stringify(path.join(path.dirname(fileURLToPath(import.meta.url)), 'radius-spool-file.js'))};
    const s = Spool.open(${JSON.stringify(dir)});
    let n = 0;
    const more = () => { for (let i = 0; i < 20; i++) { const k = n++; s.enqueue({ k }, 'stop', k).then(() => process.stdout.write(k + '\\n')); } setImmediate(more); };
    more();
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const reported = new Set<number>();
  let buf = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) reported.add(Number(l));
      if (reported.size >= 2000 && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((r) => child.once('exit', r));
  const got = new Set(Spool.open<{ k: number }>(dir).first(1e9).map((e) => e.record.k));
  const missing = [...reported].filter((k) => !got.has(k));
  assert.deepEqual(missing, []);
});
