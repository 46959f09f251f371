/**
 * 50,000 idle sessions in one process (issue 10) need each to be small: 2,000 CHAP + IPCP
 * sessions over in-memory links, the userspace NAT behind each, and the heap they hold
 * (server and client side both live here) stays under a bound per session. Memory, not
 * time: bench/scale.ts measures speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { IspServer } from './server.js';
import { defaultIspConfig } from './config.js';
import { natBackendFactory } from './backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { Mux, type MuxItem } from './testing/mux-link.js';
import { waitUntil } from '../runtime/wait-until.js';

const N = 500;
/** Server and client side of one idle session together: ~58 KB measured (bench/scale.ts: the server side alone ~29 KB); before the lazy allocation, about 490 KB. */
const BOUND = 96 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

test(`${N} idle sessions (CHAP, IPCP, NAT) hold under ${BOUND / 1024} KiB of heap each, both ends together`, { timeout: 600_000 }, async () => {
  const config = {
    ...defaultIspConfig(), subnet: '100.64.0.0/16', gateway: '100.64.0.1', dns: '100.64.0.2', pool: '100.64.1.0-100.64.255.254',
    auth: 'chap' as const, maxSessions: N + 1, maxUnauthenticated: N + 1, maxUnauthenticatedPerSource: N + 1, ipv6Prefix: 'off', authTimeout: 3600,
  };
  const server = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  let client!: Mux;
  const side = new Mux({ postMessage: (m: unknown) => setImmediate(() => client.receive(m as MuxItem[])) }, (id, s) => server.accept(s, `mem ${id}`, 'mem'));
  client = new Mux({ postMessage: (m: unknown) => setImmediate(() => side.receive(m as MuxItem[])) });
  // One session first, so that code compiled on first use is not counted per session.
  const links: PppLink[] = [];
  let up = 0;
  const dial = (i: number) => {
    const link = new PppLink(client.open(i), { user: 'demo', password: 'dialtone' });
    link.once('ip-up', () => up++);
    links.push(link);
  };
  dial(0);
  await waitUntil(() => up === 1, 60_000, 'the first session');
  gc();
  const before = process.memoryUsage();
  // 100 at a time, as callers arrive.
  for (let i = 1; i <= N; i++) {
    dial(i);
    if (i % 100 === 0) await waitUntil(() => up === i + 1, 300_000, `${i} sessions`);
  }
  await waitUntil(() => up === N + 1, 300_000, 'all sessions up');
  gc();
  const after = process.memoryUsage();
  const perSession = (after.heapUsed - before.heapUsed + after.external - before.external) / N;
  assert.equal(server.liveCount, N + 1);
  assert.ok(perSession < BOUND, `${Math.round(perSession)} bytes per idle session (both ends), bound ${BOUND}`);
  for (const l of links) l.close();
  await server.stop(0);
});
