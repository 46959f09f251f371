/**
 * The native HDLC kernel's SIMD loops against its per-octet ones under
 * AddressSanitizer (native/test/hdlc_fuzz.c): every store stays inside the
 * room the kernel promises its callers, whatever the octets and ACCM.
 * Needs gcc with libasan (Debian build-essential); skipped without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('native HDLC kernel: SIMD and per-octet loops agree, with no out-of-bounds store (ASan)', (t) => {
  if (process.arch !== 'x64') return t.skip('the SIMD paths are x86-64 only');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdlc-asan-'));
  try {
    const exe = path.join(dir, 'hdlc_fuzz');
    const cc = spawnSync(
      'gcc',
      ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-o', exe,
        path.join(root, 'native', 'test', 'hdlc_fuzz.c'), '-lpthread'],
      { encoding: 'utf8' },
    );
    if (cc.error || cc.status !== 0) return t.skip(`gcc with -fsanitize=address unavailable: ${cc.error?.message ?? cc.stderr.slice(0, 200)}`);
    const run = spawnSync(exe, ['100000', String(Date.now() % 100000)], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /^ok 100000 cases/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
