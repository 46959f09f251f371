import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { formatStatus } from '../isp/console/status-table.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
const run = promisify(execFile);

test('dialtone isp status prints a table of who is online and totals; --json prints the document with ISO 8601 times beside the epoch ones', { timeout: 60_000 }, async () => {
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, status: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), log: () => undefined });
  await isp.start();
  const link = new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
  await new Promise((r) => link.on('ip-up', r));
  const base = `http://127.0.0.1:${isp.addresses.status!.port}`;
  try {
    const table = (await run(process.execPath, [bin, 'isp', 'status', base])).stdout;
    const lines = table.split('\n');
    assert.match(lines[0]!, /^dialtone isp: 1 online \(max 64\), pool 1\/240 in use/);
    const head = lines.findIndex((l) => l.startsWith('ID'));
    assert.match(lines[head]!, /^ID\s+USER\s+ADDRESS\s+LINE\/ORIGIN\s+SPEED\s+UPTIME\s+IN\s+OUT\s+RATE IN\s+RATE OUT$/);
    assert.match(lines[head + 1]!, /^\s*1\s+demo\s+10\.0\.2\.15\s+tcp 127\.0\.0\.1:\d+\s+\d+:\d\d\s+\d+ B\s+\d+ B/);
    assert.match(table, /^totals: 1 session\(s\) since start, 0 refused;/m);

    const doc = JSON.parse((await run(process.execPath, [bin, 'isp', 'status', '--json', `${base}/status`])).stdout) as {
      time: number; timeIso: string; sessions: { startedAt: number; startedAtIso: string; upAt: number; upAtIso: string; counters: object }[];
    };
    const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    assert.match(doc.timeIso, ISO);
    assert.equal(new Date(doc.timeIso).getTime(), doc.time);
    const s = doc.sessions[0]!;
    // The epoch fields stay for programs that read them; the ISO ones are the same instants.
    assert.equal(typeof s.startedAt, 'number');
    assert.equal(s.startedAtIso, new Date(s.startedAt).toISOString());
    assert.equal(s.upAtIso, new Date(s.upAt).toISOString());
    assert.ok(s.counters);

    const bad = await run(process.execPath, [bin, 'isp', 'status', '--frobnicate']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
  } finally {
    link.close();
    await link.done;
    await isp.stop();
  }
});

test('the status table reads documents of older servers (no rates, no ISO times, no recent list)', () => {
  const text = formatStatus({ sessions: [{ id: 3, user: 'fred', address: '10.0.2.15', origin: 'modem line 1', upAt: 0, counters: { bytesIn: 2048, bytesOut: 10 } }], pool: { size: 10, inUse: 1 }, totals: { sessions: 3 }, time: 65_000 });
  assert.match(text, /^\s*3\s+fred\s+10\.0\.2\.15\s+modem line 1\s+1:05\s+2\.0 KiB\s+10 B$/m);
  assert.match(text, /totals: 3 session\(s\) since start, 0 refused/);
});
