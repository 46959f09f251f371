import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PppLink } from '../runtime/link.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

function conf(dir: string, extra = '') {
  return `listen-ppp 127.0.0.1:0\nlisten-modem off\nstatus off\nauth chap\naccount demo dialtone\nlcp-echo-interval 0\naccounting ${path.join(dir, 'acct.jsonl')}\n${extra}`;
}

async function startCli(extra = '') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-cli-'));
  const file = path.join(dir, 'isp.conf');
  fs.writeFileSync(file, conf(dir, extra));
  const child = spawn(process.execPath, [bin, 'isp', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve) => child.stdout!.on('data', () => /raw PPP on/.test(out) && resolve()));
  const port = Number(/raw PPP on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
  /** Resolves when stderr matches. */
  const stderrMatch = (re: RegExp) => new Promise<void>((resolve) => {
    const check = () => (re.test(err) ? resolve() : waiters.push(check));
    check();
  });
  return { dir, file, child: child as ChildProcess, port, exited, stderrMatch, err: () => err };
}

function dial(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  const link = new PppLink(sock, { user: 'demo', password: 'dialtone', usePeerDns: true });
  const up = new Promise<{ local: string; dns: string[] }>((resolve) => link.on('ip-up', resolve));
  return { sock, link, up };
}

test('dialtone isp: SIGHUP reloads (a bad file is refused with file:line), SIGTERM terminates every link and accounts it', { timeout: 90_000 }, async () => {
  const s = await startCli();
  const a = dial(s.port);
  assert.deepEqual((await a.up).dns, ['10.0.2.3', '10.0.2.3']);
  fs.writeFileSync(s.file, `${conf(s.dir)}\nmax-sessions many\n`);
  s.child.kill('SIGHUP');
  await s.stderrMatch(/SIGHUP: .*isp\.conf:9: max-sessions: not a number.*keeping the running configuration/);
  fs.writeFileSync(s.file, conf(s.dir, 'dns 10.0.2.4\n'));
  s.child.kill('SIGHUP');
  await s.stderrMatch(/SIGHUP: reloaded/);
  const b = dial(s.port);
  assert.deepEqual((await b.up).dns, ['10.0.2.4', '10.0.2.4']);
  s.child.kill('SIGTERM');
  // Both links end by the server's Terminate-Request (pppd: status 0 after a link was up... or 5/16).
  await Promise.all([a.link.done, b.link.done]);
  assert.equal(await s.exited, 0);
  const records = fs.readFileSync(path.join(s.dir, 'acct.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string });
  assert.equal(records.filter((r) => r.event === 'start').length, 2);
  assert.equal(records.filter((r) => r.event === 'stop').length, 2);
  assert.match(s.err(), /SIGTERM: shutting down/);
});

test('dialtone isp: a second signal exits at once while the first waits for a peer that never answers', { timeout: 90_000 }, async () => {
  const s = await startCli('stop-timeout 600\n');
  const a = dial(s.port);
  await a.up;
  a.sock.pause(); // the Terminate-Request is never read, so never acknowledged
  s.child.kill('SIGTERM');
  await s.stderrMatch(/SIGTERM: shutting down/);
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 143);
  assert.match(s.err(), /SIGTERM again: exiting now/);
  a.sock.destroy();
});

test('dialtone isp: SIGTERM as soon as the start\'s accounting is out still stops gracefully (Accounting-Off spooled, exit 0)', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-cli-'));
  const file = path.join(dir, 'isp.conf');
  // A RADIUS accounting server that never answers: the records stay in the spool, to be read.
  const silent = (await import('node:dgram')).createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  fs.writeFileSync(file, conf(dir, `radius-acct 127.0.0.1:${silent.address().port} s3cret\naccounting-spool ${dir}\nstop-timeout 1\n`));
  const spool = path.join(dir, 'spool');
  const read = () => (fs.existsSync(spool) ? fs.readFileSync(spool, 'utf8') : '');
  // The signal goes the moment Accounting-On is spooled (the start goes on opening listeners).
  const watcher = fs.watch(dir);
  const child = spawn(process.execPath, [bin, 'isp', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve) => {
    const check = () => /"status":"on"/.test(read()) && (watcher.off('change', check), resolve());
    watcher.on('change', check);
    check();
  });
  child.kill('SIGTERM');
  const code = await exited;
  watcher.close();
  silent.close();
  assert.equal(code, 0, `exit ${code}, ${child.signalCode ?? 'no signal'}\n${err}`);
  assert.match(read(), /"status":"off"/, 'Accounting-Off spooled');
  assert.match(err, /SIGTERM: shutting down/);
});
