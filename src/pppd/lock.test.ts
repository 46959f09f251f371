import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockDevice, unlockDevice, lockName, relockDevice, writePidFiles, removePidFiles } from './lock.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-lock-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function collect() {
  const logs: string[] = [];
  return { logs, log: (l: string, m: string) => logs.push(`${l}: ${m}`) };
}

/** A pid that is surely dead: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

test('lock names as pppd: after "dev/", slashes to underscores; else the last component', () => {
  assert.equal(lockName('/dev/ttyS0'), 'ttyS0');
  assert.equal(lockName('ttyS0'), 'ttyS0');
  assert.equal(lockName('/dev/pts/3'), 'pts_3');
  assert.equal(lockName('/tmp/x/modem'), 'modem');
});

test('LCK..ttyS0 holds the pid as "%10d\\n"; unlock removes it', () => {
  const { logs, log } = collect();
  const r = lockDevice('/dev/ttyS0', dir, 4242, log);
  assert.deepEqual(r, { ok: true, path: path.join(dir, 'LCK..ttyS0') });
  assert.equal(fs.readFileSync(path.join(dir, 'LCK..ttyS0'), 'latin1'), '      4242\n');
  assert.equal((fs.statSync(path.join(dir, 'LCK..ttyS0')).mode & 0o777).toString(8), '644');
  assert.deepEqual(logs, []);
  assert.ok(relockDevice(path.join(dir, 'LCK..ttyS0'), 77));
  assert.equal(fs.readFileSync(path.join(dir, 'LCK..ttyS0'), 'latin1'), '        77\n');
  unlockDevice(path.join(dir, 'LCK..ttyS0'));
  assert.equal(fs.existsSync(path.join(dir, 'LCK..ttyS0')), false);
  unlockDevice(path.join(dir, 'LCK..ttyS0')); // twice is fine
});

test('a live owner: "Device %s is locked by pid %d"; our own pid: already ours', () => {
  const { logs, log } = collect();
  const f = path.join(dir, 'LCK..ttyS1');
  fs.writeFileSync(f, `${String(process.ppid).padStart(10)}\n`);
  const r = lockDevice('ttyS1', dir, process.pid, log);
  assert.deepEqual(r, { ok: false, message: `Device ttyS1 is locked by pid ${process.ppid}` });
  assert.deepEqual(logs, [`notice: Device ttyS1 is locked by pid ${process.ppid}`]);
  fs.writeFileSync(f, `${String(process.pid).padStart(10)}\n`);
  assert.deepEqual(lockDevice('ttyS1', dir, process.pid, log), { ok: true, path: f });
  fs.unlinkSync(f);
});

test('a stale lock (dead pid, or pid 0/garbage) is removed: "Removed stale lock on %s (pid %d)"', () => {
  const { logs, log } = collect();
  const f = path.join(dir, 'LCK..pts_7');
  const dead = deadPid();
  fs.writeFileSync(f, `${String(dead).padStart(10)}\n`);
  assert.deepEqual(lockDevice('/dev/pts/7', dir, 999, log), { ok: true, path: f });
  assert.deepEqual(logs, [`notice: Removed stale lock on pts_7 (pid ${dead})`]);
  assert.equal(fs.readFileSync(f, 'latin1'), '       999\n');
  fs.writeFileSync(f, 'garbage\n');
  logs.length = 0;
  assert.equal(lockDevice('/dev/pts/7', dir, 999, log).ok, true);
  assert.deepEqual(logs, ['notice: Removed stale lock on pts_7 (pid 0)']);
  fs.writeFileSync(f, '');
  logs.length = 0;
  assert.deepEqual(lockDevice('/dev/pts/7', dir, 999, log), { ok: false, message: `Can't read pid from lock file ${f}` });
  assert.deepEqual(logs, [`error: Can't read pid from lock file ${f}`]);
});

test('no lock directory: "Can\'t create lock file %s: %m"', () => {
  const { log } = collect();
  const d = path.join(dir, 'missing');
  assert.deepEqual(lockDevice('ttyS0', d, 1, log), { ok: false, message: `Can't create lock file ${d}/LCK..ttyS0: No such file or directory` });
});

test('pid files: ppp0.pid holds the pid; ppp-NAME.pid the pid and the interface', () => {
  const files = writePidFiles(dir, 'ppp0', 'isp', 1234);
  assert.deepEqual(files, [path.join(dir, 'ppp0.pid'), path.join(dir, 'ppp-isp.pid')]);
  assert.equal(fs.readFileSync(files[0], 'utf8'), '1234\n');
  assert.equal(fs.readFileSync(files[1], 'utf8'), '1234\nppp0\n');
  assert.deepEqual(writePidFiles(dir, 'ppp1', undefined, 5), [path.join(dir, 'ppp1.pid')]);
  assert.equal(fs.readFileSync(writePidFiles(dir, '', 'early', 6)[0], 'utf8'), '6\n', 'before the interface is known');
  removePidFiles([...files, path.join(dir, 'ppp1.pid'), path.join(dir, 'ppp-early.pid'), path.join(dir, 'gone.pid')]);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.pid')), []);
  const { logs, log } = collect();
  assert.deepEqual(writePidFiles(path.join(dir, 'nodir'), 'ppp0', undefined, 1, log), []);
  assert.deepEqual(logs, [`error: Failed to create pid file ${path.join(dir, 'nodir', 'ppp0.pid')}: No such file or directory`]);
});
