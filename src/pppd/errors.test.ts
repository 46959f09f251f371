// The error situations users meet, each with pppd's message and exit status, through the
// `dialtone pppd` command: a bad options file, an unknown option, an unreadable secrets
// file, a secrets file readable by others, a lock held by a live process, a stale lock.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { stopAll, pppDir, command, inProcess, freePort, waitFor } from './harness.test.js';

afterEach(stopAll);

const isRoot = process.getuid?.() === 0;
/** Root reads every file: the unreadable-file tests run the command as nobody then. */
const asUser = isRoot ? { uid: 65534, gid: 65534 } : {};

function unreadable(file: string): void {
  fs.chmodSync(file, isRoot ? 0o600 : 0o000); // root-owned 600: nobody cannot read it
}

function openToUser(dir: string): void {
  fs.chmodSync(dir, 0o755);
}

test('a bad options file: pppd\'s message naming the file, dialtone\'s line number, exit 2', async () => {
  const dir = pppDir({ options: '# site options\nlock\nfrobnicate\n', 'peers/isp': 'user fred\n\nmru\n', 'peers/num': 'mru lots\n' });
  let r = await command(['tcp:127.0.0.1:9', 'nodetach'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.equal(r.err, `dialtone pppd: In file ${dir}/options: unrecognized option 'frobnicate'\ndialtone pppd: (line 3 of ${dir}/options)\n`);
  fs.writeFileSync(path.join(dir, 'options'), 'lock\n');
  r = await command(['call', 'isp'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.equal(r.err, `dialtone pppd: In file ${dir}/peers/isp: too few parameters for option 'mru'\ndialtone pppd: (line 3 of ${dir}/peers/isp)\n`);
  r = await command(['call', 'num'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.equal(r.err, `dialtone pppd: invalid numeric parameter 'lots' for mru option\ndialtone pppd: (line 1 of ${dir}/peers/num)\n`);
  r = await command(['call', 'nope'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.equal(r.err, `dialtone pppd: Can't open options file ${dir}/peers/nope: No such file or directory\n`);
  r = await command(['call', '../options'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.equal(r.err, 'dialtone pppd: call option value may not contain .. or start with /\n');
});

test('an unknown option on the command line: pppd\'s message, the usage, exit 2', async () => {
  const dir = pppDir();
  const r = await command(['tcp:127.0.0.1:9', 'frobnicate'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 2);
  assert.match(r.err, /^dialtone pppd: unrecognized option 'frobnicate'\ndialtone pppd version .* \(pppd 2\.4\.9 compatible\)\nUsage: dialtone pppd \[ options \]/);
  const r2 = await command(['tcp:127.0.0.1:9', 'name'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r2.code, 2);
  assert.equal(r2.err, 'dialtone pppd: too few parameters for option name\n');
});

test('an unreadable secrets file: with `auth` pppd refuses to start (exit 1); a client cannot answer CHAP (exit 19)', async () => {
  const dir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  unreadable(path.join(dir, 'chap-secrets'));
  openToUser(dir);
  const r = await command(['tcp-listen:127.0.0.1:9', 'auth', 'require-chap', 'name', 'server', 'nodetach'], { DIALTONE_PPP_DIR: dir, HOME: dir }, 30_000, asUser).done;
  assert.equal(r.code, 1, r.err + r.out);
  assert.equal(r.err, "dialtone pppd: The remote system is required to authenticate itself\ndialtone pppd: but I couldn't find any suitable secret (password) for it to use to do so.\n");

  // A PAP server with `login` starts (the system decides), and meets the file at check time
  // (auth.c check_passwd): "Can't open PAP password file", Login incorrect, exit 11.
  const port = await freePort();
  const sdir = pppDir({ 'pap-secrets': '* * "" *\n' });
  unreadable(path.join(sdir, 'pap-secrets'));
  openToUser(sdir);
  const run = fs.mkdtempSync(path.join(path.dirname(sdir), 'dialtone-run-'));
  fs.chmodSync(run, 0o777);
  const s = command([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-pap', 'login', '10.0.0.1:10.0.0.2', 'nodetach'], { DIALTONE_PPP_DIR: sdir, DIALTONE_RUN_DIR: run, HOME: sdir }, 30_000, asUser);
  await waitFor(s.out, /Waiting for a connection/, 30_000, 'the server listening');
  const c = inProcess([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'flintstone', 'connect-delay', '0'], pppDir());
  assert.equal(await c.done, 19);
  assert.match(c.log(), /Remote message: Login incorrect/);
  const sr = await s.done;
  assert.equal(sr.code, 11, sr.out + sr.err);
  assert.match(sr.out, new RegExp(`Can't open PAP password file ${sdir}/pap-secrets: Permission denied\nPAP peer authentication failed for fred\n`));

  // A client whose chap-secrets it cannot read has no CHAP secret (auth.c auth_reset ->
  // have_chap_secret), so it refuses CHAP and the server ends the link, as with pppd.
  const port2 = await freePort();
  const s2 = inProcess([`tcp-listen:127.0.0.1:${port2}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2'], pppDir({ 'chap-secrets': 'fred server wilma *\n' }));
  await waitFor(s2.log, /Waiting for a connection/);
  const cdir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  unreadable(path.join(cdir, 'chap-secrets'));
  openToUser(cdir);
  const c2 = await command([`tcp:127.0.0.1:${port2}`, 'noauth', 'user', 'fred', 'remotename', 'server', 'nodetach', 'connect-delay', '0'], { DIALTONE_PPP_DIR: cdir, DIALTONE_RUN_DIR: run, HOME: cdir }, 30_000, asUser).done;
  assert.match(c2.out, /LCP terminated by peer \(peer refused to authenticate\)/);
  assert.equal(await s2.done, 11);
  assert.match(s2.log(), /peer refused to authenticate: terminating link/);
});

test('a secrets file readable by others: pppd\'s warning, and the daemon goes on', async () => {
  const dir = pppDir({ 'pap-secrets': 'fred * wilma *\n' });
  fs.chmodSync(path.join(dir, 'pap-secrets'), 0o644);
  const log = path.join(dir, 'log');
  const port = await freePort();
  const d = command([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-pap', 'nodetach', 'logfile', log], { DIALTONE_PPP_DIR: dir, HOME: dir });
  const text = await waitFor(() => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''), /Waiting for a connection/);
  assert.match(text, new RegExp(`Warning - secret file ${dir}/pap-secrets has world and/or group access`));
  d.kill('SIGTERM');
  assert.equal((await d.done).code, 5);
});

test('a lock held by a live process: "Device null is locked by pid N", exit 6', async () => {
  const dir = pppDir();
  fs.writeFileSync(path.join(dir, 'LCK..null'), `${String(process.pid).padStart(10)}\n`);
  const r = await command(['/dev/null', '38400', 'lock', 'local', 'nodetach'], { DIALTONE_PPP_DIR: dir, DIALTONE_LOCK_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 6, r.out + r.err);
  assert.match(r.out, new RegExp(`Device null is locked by pid ${process.pid}\\n`));
  assert.ok(fs.existsSync(path.join(dir, 'LCK..null')), 'someone else\'s lock stays');
});

test('a stale lock: "Removed stale lock on ttyV0 (pid N)", then the link runs and the lock is ours until exit', async (t) => {
  if (!fs.existsSync('/usr/bin/socat')) return t.skip('socat not installed');
  // A pseudo-terminal (socat) standing for the serial port, its far end a dialtone server on TCP.
  const port = await freePort();
  const sdir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const s = inProcess([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2'], sdir);
  await waitFor(s.log, /Waiting for a connection/);
  const dir = pppDir();
  const tty = path.join(dir, 'ttyV0');
  const socat = spawn('socat', [`PTY,link=${tty},raw,echo=0`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await waitFor(() => (fs.existsSync(tty) ? 'y' : ''), /y/, 5000);
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    fs.writeFileSync(path.join(dir, 'LCK..ttyV0'), `${String(dead).padStart(10)}\n`);
    const log = path.join(dir, 'log');
    const d = command([tty, '115200', 'lock', 'local', 'noauth', 'user', 'fred', 'password', 'wilma', 'nodetach', 'logfile', log], { DIALTONE_PPP_DIR: dir, DIALTONE_LOCK_DIR: dir, HOME: dir });
    const text = await waitFor(() => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''), /local {2}IP address 10\.0\.0\.2/);
    assert.match(text, new RegExp(`Removed stale lock on ttyV0 \\(pid ${dead}\\)`));
    assert.match(text, new RegExp(`Connect: ppp0 <--> ${tty}`));
    assert.equal(fs.readFileSync(path.join(dir, 'LCK..ttyV0'), 'utf8'), `${String(d.pid).padStart(10)}\n`);
    d.kill('SIGTERM');
    assert.equal((await d.done).code, 5);
    assert.equal(fs.existsSync(path.join(dir, 'LCK..ttyV0')), false, 'the lock goes with the daemon');
  } finally {
    socat.kill();
  }
});
