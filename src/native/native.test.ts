import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mallocHoldWanted, nativeError, openPacket, openTun } from './index.js';
import { rootSkipReason, runInNewNetns } from './testing/netns.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('without the addon the API says why instead of crashing', async () => {
  const why = nativeError();
  if (why === undefined) {
    assert.equal(typeof openTun, 'function');
    return;
  }
  assert.match(why, /native addon/);
  assert.throws(() => openTun({}), { code: 'ENATIVE' });
  assert.throws(() => openPacket('eth0', 0x8863), { code: 'ENATIVE' });
});

test("the C heap's freed memory is held for framing slabs unless the user tunes glibc's malloc", () => {
  assert.equal(mallocHoldWanted({}), true);
  assert.equal(mallocHoldWanted({ DIALTONE_MALLOC_HOLD: '1' }), true);
  assert.equal(mallocHoldWanted({ DIALTONE_MALLOC_HOLD: '0' }), false);
  assert.equal(mallocHoldWanted({ MALLOC_TRIM_THRESHOLD_: '131072' }), false);
  assert.equal(mallocHoldWanted({ MALLOC_MMAP_THRESHOLD_: '131072' }), false);
  assert.equal(mallocHoldWanted({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' }), false);
  assert.equal(mallocHoldWanted({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }), true);
});

test('TUN, TAP and AF_PACKET devices move packets without blocking, in a private netns', async (t) => {
  const skip = rootSkipReason();
  if (skip) return t.skip(skip);
  const out = JSON.parse(await runInNewNetns(process.execPath, [path.join(here, 'testing', 'native-probe.js')])) as Record<string, unknown>;
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.tunName, 'dtun0');
  assert.deepEqual(out.tunRead, { proto: 17, dst: '10.77.0.2', payload: 'to-tun' });
  assert.equal(out.tunWrite, 'from-tun');
  assert.equal(out.tunGoneAfterClose, true);
  assert.equal(out.tapLink, true);
  assert.equal(out.packetMac, true);
  assert.equal(out.packetMtu, 1500);
  assert.equal(out.packetIfindex, true);
  assert.equal(out.packetFrame, true);
  assert.equal(out.packetBurst, 50);
});

test('a bad interface name is an error with an errno code, not a crash', async (t) => {
  const skip = rootSkipReason();
  if (skip) return t.skip(skip);
  assert.throws(() => openTun({ name: 'x'.repeat(16) }), /too long/);
  assert.throws(() => openPacket('no-such-if0', 0x8863), { code: 'ENODEV' });
});
