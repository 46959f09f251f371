// Detaching as pppd does, without fork(): the command returns once the daemon has detached
// (at once, or with `updetach` once IP is up); the daemon goes on, found by its pid file.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stopAll, pppDir, command, inProcess, freePort, waitFor } from './harness.test.js';
import { waitUntil } from '../runtime/wait-until.js';

afterEach(stopAll);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 60_000): Promise<void> {
  await waitUntil(() => !alive(pid), ms, `pid ${pid} to exit`);
}

test('without nodetach the command returns 0 at once; the daemon runs on, its pid in ppp0.pid', async () => {
  const port = await freePort();
  const dir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const log = path.join(dir, 'log');
  const readLog = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  const r = await command([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2', 'logfile', log], { DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 0);
  assert.equal(r.out, '', 'nothing on the terminal: the daemon logs to its logfile');
  // It returned without waiting for the link: nobody has dialled in yet, and the daemon runs on.
  await waitFor(readLog, /Waiting for a connection/);
  const c = inProcess([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'connect-delay', '0'], pppDir());
  await waitFor(c.log, /local {2}IP address/);
  const pid = Number(await waitFor(() => (fs.existsSync(path.join(dir, 'ppp0.pid')) ? fs.readFileSync(path.join(dir, 'ppp0.pid'), 'utf8') : ''), /^\d+\n$/));
  assert.ok(alive(pid));
  assert.match(readLog(), /started by/);
  // The PPP-HOWTO's ppp-off: kill -INT `cat /var/run/ppp0.pid`.
  process.kill(pid, 'SIGINT');
  await gone(pid);
  assert.match(readLog(), /Interrupt received: terminating link[^]*Exit\.\n$/);
  await c.done;
});

test('updetach: the log reaches the terminal until IP is up, then the command returns 0', async () => {
  const port = await freePort();
  const sdir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const s = inProcess([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2'], sdir);
  await waitFor(s.log, /Waiting for a connection/);
  const dir = pppDir();
  const r = await command([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'noipv6', 'updetach', 'connect-delay', '0'], { DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Connect: ppp0 <--> tcp:127\.0\.0\.1:\d+\n[^]*local {2}IP address 10\.0\.0\.2\nremote IP address 10\.0\.0\.1\n/);
  const pid = Number(fs.readFileSync(path.join(dir, 'ppp0.pid'), 'utf8'));
  assert.ok(alive(pid), 'the daemon keeps the link');
  assert.doesNotMatch(s.log(), /Connection terminated/);
  process.kill(pid, 'SIGTERM');
  await gone(pid);
  assert.match(await waitFor(s.log, /LCP terminated by peer \(User request\)/), /LCP terminated by peer/);
  await s.done;
});

test('updetach and a link that never comes up: the command exits with the daemon\'s status', async () => {
  const port = await freePort(); // nobody listens
  const dir = pppDir();
  const r = await command([`tcp:127.0.0.1:${port}`, 'updetach'], { DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 7);
  assert.match(r.out, /Failed to open tcp:127\.0\.0\.1:\d+: Connection refused/);
});
