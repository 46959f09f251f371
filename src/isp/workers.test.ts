import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PppLink } from '../runtime/link.js';

/** waitUntil for an asynchronous condition (polled). */
async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

interface Status {
  sessions: { address: string }[];
  pool: { inUse: number; size: number };
  workers: { index: number; pid: number; sessions: number; unanswered?: boolean }[];
}

test('workers 2: one pool and one status for both processes; a killed worker\'s addresses return and it is replaced', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-workers-'));
  const free = async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const p = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return p;
  };
  const [port, statusPort] = [await free(), await free()];
  fs.writeFileSync(path.join(dir, 'isp.conf'), `listen-ppp 127.0.0.1:${port}\nstatus 127.0.0.1:${statusPort}\nworkers 2\npool 10.0.2.15-10.0.2.54\naccount demo dialtone\nipv6-prefix off\nlcp-echo-interval 0\n`);
  const child = spawn(process.execPath, [bin, 'isp', '--config', path.join(dir, 'isp.conf')], { stdio: ['ignore', 'ignore', 'ignore'] });
  const status = async (): Promise<Status | undefined> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as Status;
    } catch {
      return undefined;
    }
  };
  try {
    let st: Status | undefined;
    await until(async () => (st = await status())?.workers.filter((w) => !w.unanswered).length === 2, 60_000, 'two workers');
    const links: PppLink[] = [];
    const ups: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      const link = new PppLink(net.connect(port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
      links.push(link);
      ups.push(new Promise((resolve, reject) => (link.once('ip-up', resolve), void link.done.then((st) => reject(new Error(`link ended with status ${st}`))))));
    }
    await Promise.all(ups);
    st = (await status())!;
    assert.equal(st.sessions.length, 6);
    assert.equal(new Set(st.sessions.map((s) => s.address)).size, 6, 'distinct addresses from the one pool');
    assert.equal(st.pool.inUse, 6);
    assert.equal(st.pool.size, 40);
    const victim = st.workers.find((w) => w.sessions > 0)!;
    const survivors = 6 - victim.sessions;
    const oldPid = victim.pid;
    process.kill(oldPid, 'SIGKILL');
    await until(async () => {
      const s = await status();
      return !!s && s.workers.length === 2 && s.workers.every((w) => !w.unanswered && w.pid !== oldPid) && s.pool.inUse === survivors;
    }, 60_000, 'the worker replaced and its addresses back');
    for (const l of links) l.close();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
