import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from '../runtime/free-port.js';
import { waitFor as waitForText } from './harness.test.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

function pppDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-cli-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t, { mode: 0o600 });
  return dir;
}

function run(args: string[], dir: string): { done: Promise<{ code: number | null; out: string }>; kill(sig: NodeJS.Signals): void } {
  const child = spawn(process.execPath, [bin, 'pppd', ...args], { env: { ...process.env, DIALTONE_PPP_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return {
    done: new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); })),
    kill: (sig) => child.kill(sig),
  };
}

/** Waits until `file` matches `re` (harness.test.ts waitFor on the file's text). */
const waitFor = (file: string, re: RegExp, ms = 60_000): Promise<string> =>
  waitForText(() => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''), re, ms, `in ${file}`);

test('dialtone pppd: tcp-listen server and tcp client reach IP-up with CHAP; SIGTERM ends with exit 5', async () => {
  const port = await freePort();
  const dir = pppDir({ 'chap-secrets': 'fred server wilma *\n' });
  const slog = path.join(dir, 'server.log');
  const clog = path.join(dir, 'client.log');
  const server = run([`tcp-listen:127.0.0.1:${port}`, 'auth', 'require-chap', 'name', 'server', '10.0.0.1:10.0.0.2', 'ms-dns', '10.0.0.53', 'nodetach', 'logfile', slog], dir);
  await waitFor(slog, /Waiting for a connection/);
  const client = run([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'wilma', 'usepeerdns', 'nodetach', 'logfile', clog], dir);
  const text = await waitFor(clog, /primary {3}DNS address 10\.0\.0\.53/);
  assert.match(text, /CHAP authentication succeeded/);
  assert.match(text, /local {2}IP address 10\.0\.0\.2/);
  client.kill('SIGTERM');
  const [c, s] = await Promise.all([client.done, server.done]);
  assert.equal(c.code, 5, c.out);
  assert.match(fs.readFileSync(clog, 'utf8'), /Terminating on signal 15/);
  assert.match(fs.readFileSync(slog, 'utf8'), /LCP terminated by peer \(User request\)/);
  assert.ok(s.code === 0 || s.code === 16, `server exit ${s.code}`);
});

test('dialtone pppd: a pty command running `dialtone pppd -` (stdio) as the peer', async () => {
  const dir = pppDir({ 'pap-secrets': 'fred * wilma *\n' });
  const log = path.join(dir, 'client.log');
  const peer = `${process.execPath} ${bin} pppd - auth require-pap name isp 10.0.0.1:10.0.0.2 nodetach logfile ${path.join(dir, 'server.log')}`;
  const client = run(['pty', peer, 'user', 'fred', 'password', 'wilma', 'nodetach', 'logfile', log], dir);
  const text = await waitFor(log, /remote IP address 10\.0\.0\.1/);
  assert.match(text, /PAP authentication succeeded/);
  assert.match(text, /Connect: ppp0 <--> pty:/);
  client.kill('SIGINT');
  const c = await client.done;
  assert.equal(c.code, 5);
  assert.match(fs.readFileSync(log, 'utf8'), /Interrupt received: terminating link/);
});

test('dialtone pppd: an unknown option exits 2 with pppd\'s message', async () => {
  const r = await run(['frobnicate'], pppDir({})).done;
  assert.equal(r.code, 2);
  assert.match(r.out, /unrecognized option 'frobnicate'/);
});

test('dialtone pppd: nobody answering ends in "LCP: timeout sending Config-Requests", exit 10', async () => {
  const port = await freePort();
  const silent = net.createServer((s) => s.on('data', () => undefined));
  await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
  const dir = pppDir({});
  const log = path.join(dir, 'log');
  const r = await run([`tcp:127.0.0.1:${port}`, 'lcp-restart', '1', 'lcp-max-configure', '3', 'nodetach', 'logfile', log], dir).done;
  silent.close();
  assert.equal(r.code, 10);
  assert.match(fs.readFileSync(log, 'utf8'), /LCP: timeout sending Config-Requests/);
});

// The secrets-permission warning, and the other error situations: see errors.test.ts.
