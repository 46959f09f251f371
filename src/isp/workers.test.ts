import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PppLink } from '../runtime/link.js';
import { freePort } from '../runtime/free-port.js';
import { waitUntilAsync as until } from '../runtime/wait-until.js';


const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

interface Status {
  sessions: { address: string }[];
  pool: { inUse: number; size: number };
  workers: { index: number; pid: number; sessions: number; unanswered?: boolean }[];
}

test('workers 2: one pool and one status for both processes; a killed worker\'s addresses return and it is replaced', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-workers-'));
  const [port, statusPort] = [await freePort(), await freePort()];
  fs.writeFileSync(path.join(dir, 'isp.conf'), `listen-ppp 127.0.0.1:${port}\nstatus 127.0.0.1:${statusPort}\nworkers 2\npool 10.0.2.15-10.0.2.54\naccount demo dialtone\nipv6-prefix off\nlcp-echo-interval 0\n`);
  const child = spawn(process.execPath, [bin, 'isp', '--config', path.join(dir, 'isp.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  // Noticed at once if the server dies early, instead of an await nothing can settle.
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const status = async (): Promise<Status | undefined> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as Status;
    } catch {
      return undefined;
    }
  };
  const links: PppLink[] = [];
  try {
    let st: Status | undefined;
    await until(async () => (st = await status())?.workers.filter((w) => !w.unanswered).length === 2 || child.exitCode !== null, 60_000, 'two workers');
    assert.equal(child.exitCode, null, `the isp exited early:\n${stderr}`);
    const ups: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      const link = new PppLink(net.connect(port, '127.0.0.1'), { user: 'demo', password: 'dialtone' });
      links.push(link);
      ups.push(new Promise((resolve, reject) => (link.once('ip-up', resolve), void link.done.then((st) => reject(new Error(`link ended with status ${st}`))))));
    }
    await Promise.all(ups);
    // A client's ip-up can come before its worker has answered the next /status poll.
    await until(async () => (st = await status())?.sessions.length === 6 && st?.pool.inUse === 6, 30_000, 'six sessions in the status');
    assert.ok(st);
    assert.equal(st.sessions.length, 6);
    assert.equal(new Set(st.sessions.map((s) => s.address)).size, 6, 'distinct addresses from the one pool');
    assert.equal(st.pool.inUse, 6);
    assert.equal(st.pool.size, 40);
    const victim = st.workers.find((w) => w.sessions > 0)!;
    const survivors = 6 - victim.sessions;
    const oldPid = victim.pid;
    process.kill(oldPid, 'SIGKILL');
    let last: Status | undefined;
    await until(async () => {
      const s = (last = await status());
      return !!s && s.workers.length === 2 && s.workers.every((w) => !w.unanswered && w.pid !== oldPid) && s.pool.inUse === survivors;
    }, 60_000, 'the worker replaced and its addresses back').catch((e: Error) => {
      throw new Error(`${e.message}; ${survivors} sessions survive; last status: ${JSON.stringify({ workers: last?.workers, pool: last?.pool, sessions: last?.sessions.length })}\n${stderr}`);
    });
  } finally {
    for (const l of links) l.close();
    await Promise.all(links.map((l) => l.done));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
