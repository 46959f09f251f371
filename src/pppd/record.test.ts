// `dialtone pppd ... record FILE` against dialtone isp: Debian's pppdump(8) reads the file,
// and `pppdump -p` decodes the LCP, authentication and IPCP exchange with good FCSs.
// Skipped where the ppp package's pppdump is not installed (scripts/setup installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig } from '../isp/config.js';
import { staticSecrets } from '../ppp/secrets.js';
import { waitUntil } from '../runtime/wait-until.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
const PPPDUMP = '/usr/sbin/pppdump';
const skip = fs.existsSync(PPPDUMP) ? false : `${PPPDUMP} not installed (Debian package ppp)`;

test('record FILE: real pppdump reads the link and pppdump -p decodes LCP, the authentication and IPCP', { skip, timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-record-'));
  const server = new IspServer({
    config: { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, accounting: path.join(dir, 'acct'), lcpEchoInterval: 0 },
    secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]),
    log: () => undefined,
  });
  await server.start();
  const file = path.join(dir, 'link.record');
  fs.mkdirSync(path.join(dir, 'ppp'));
  const child = spawn(process.execPath, [BIN, 'pppd', `tcp:127.0.0.1:${server.addresses.ppp!.port}`, 'noauth', 'user', 'demo', 'password', 'dialtone', 'nodetach', 'record', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DIALTONE_PPP_DIR: path.join(dir, 'ppp'), HOME: dir },
  });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d));
  child.stderr.on('data', (d: Buffer) => (log += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    await waitUntil(() => /local {2}IP address/.test(log) || child.exitCode !== null, 30_000, 'IP-up');
    assert.match(log, /local {2}IP address 10\.0\.2\.15/, log);
  } finally {
    child.kill('SIGTERM');
    await exited;
    await server.stop();
  }
  assert.doesNotMatch(log, /not supported yet: record/);
  const raw = spawnSync(PPPDUMP, [file], { encoding: 'latin1' });
  assert.equal(raw.status, 0, raw.stderr);
  assert.match(raw.stdout, /^start \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/m);
  assert.match(raw.stdout, /^sent "~/m, 'raw line bytes, HDLC flags included');
  assert.match(raw.stdout, /^rcvd "~/m);
  const p = spawnSync(PPPDUMP, ['-p', file], { encoding: 'latin1' });
  assert.equal(p.status, 0, p.stderr);
  const out = p.stdout;
  assert.doesNotMatch(out, /bad fcs|fcs error|bad escape/i, out);
  // LCP (c021) Configure-Request/-Ack both ways, the server's EAP (c227) or CHAP (c223), IPCP (8021) Configure-Request/-Ack
  // both ways, and our Terminate-Request at SIGTERM.
  for (const [dir2, bytes] of [
    ['sent', 'ff 03 c0 21 01'], ['rcvd', 'ff 03 c0 21 01'], ['sent', 'ff 03 c0 21 02'], ['rcvd', 'ff 03 c0 21 02'],
    ['rcvd', 'c2 2[37] 01'], ['sent', 'c2 2[37] 02'], ['rcvd', 'c2 2[37] 03'],
    ['sent', '80 21 01'], ['rcvd', '80 21 01'], ['sent', '80 21 02'], ['rcvd', '80 21 02'],
    ['sent', 'ff 03 c0 21 05'],
  ]) assert.match(out, new RegExp(`^${dir2} {2}${bytes} `, 'm'), `${dir2} ${bytes} in:\n${out}`);
  assert.match(out, /^end send$/m);
});
