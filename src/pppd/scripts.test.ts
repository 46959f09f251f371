import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScript, scriptEnv, ipScriptArgs, authScriptArgs, writeResolvConf, removeResolvConf, type LinkInfo } from './scripts.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-scripts-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const info: LinkInfo = {
  ifname: 'ppp0', device: '/dev/ttyS0', speed: 38400, local: '10.0.0.2', remote: '10.0.0.1',
  user: 'alice', usePeerDns: true, dns1: '10.0.0.53', dns2: '10.0.0.54',
};

test('ip-up arguments: interface tty speed local remote [ipparam]', () => {
  assert.deepEqual(ipScriptArgs(info), ['ppp0', '/dev/ttyS0', '38400', '10.0.0.2', '10.0.0.1']);
  assert.deepEqual(ipScriptArgs({ ...info, ipparam: 'isp' }), ['ppp0', '/dev/ttyS0', '38400', '10.0.0.2', '10.0.0.1', 'isp']);
  assert.deepEqual(ipScriptArgs({ ...info, ipparam: '' }).length, 6, 'an empty ipparam is still an argument');
  assert.deepEqual(ipScriptArgs({ ifname: 'ppp1', device: '', speed: 0, usePeerDns: false }), ['ppp1', '', '0', '0.0.0.0', '0.0.0.0']);
});

test('auth-up arguments: interface peer-name user-name tty speed (no ipparam in pppd 2.4.9)', () => {
  assert.deepEqual(authScriptArgs({ ...info, peerName: 'fred', ipparam: 'x' }), ['ppp0', 'fred', 'alice', '/dev/ttyS0', '38400']);
  assert.equal(authScriptArgs({ ifname: 'ppp0', device: 'd', speed: 1, usePeerDns: false })[2], os.userInfo().username);
});

test('the environment: only what pppd sets, no PATH', () => {
  const env = scriptEnv({ ...info, peerName: 'fred', linkname: 'isp', callFile: 'isp', ipparam: 'p' });
  assert.deepEqual(env, {
    ORIG_UID: String(process.getuid!()), CALL_FILE: 'isp', PPPLOGNAME: 'alice', DEVICE: '/dev/ttyS0', PPPD_PID: String(process.pid),
    LINKNAME: 'isp', IFNAME: 'ppp0', UNIT: '0', SPEED: '38400', PEERNAME: 'fred', IPLOCAL: '10.0.0.2', IPREMOTE: '10.0.0.1',
    DNS1: '10.0.0.53', DNS2: '10.0.0.54', USEPEERDNS: '1',
  });
  assert.equal('PATH' in env, false);
  const down = scriptEnv({ ...info, ifname: 'ppp3', usePeerDns: false, connectTime: 742.9, bytesSent: 1234, bytesRcvd: 5678 });
  assert.equal(down.USEPEERDNS, undefined, 'USEPEERDNS only with usepeerdns');
  assert.equal(down.DNS1, '10.0.0.53', 'DNS1 whether or not usepeerdns');
  assert.equal(down.UNIT, '3');
  assert.deepEqual([down.CONNECT_TIME, down.BYTES_SENT, down.BYTES_RCVD], ['742', '1234', '5678']);
  const bare = scriptEnv({ ifname: 'ppp0', device: '', speed: 0, usePeerDns: true });
  assert.deepEqual(Object.keys(bare), ['ORIG_UID', 'PPPLOGNAME', 'PPPD_PID', 'IFNAME', 'UNIT', 'SPEED']);
  assert.equal(scriptEnv({ ...info, extra: { FOO: 'bar' } }).FOO, 'bar', '`set` options layered on top');
});

function script(name: string, body: string, mode = 0o755): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, body, { mode });
  fs.chmodSync(f, mode);
  return f;
}

test('runScript: argv, exactly the given environment, /dev/null stdio, cwd /, umask 077', async () => {
  const out = path.join(dir, 'out');
  const f = script('ip-up', `#!/bin/sh\nfds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\n{ echo "0=$0"; echo "args=$*"; echo "cwd=$(pwd)"; echo "umask=$(umask)"; echo "$fds"; /usr/bin/env; } > ${out}\nexit 3\n`);
  const logs: string[] = [];
  const status = await runScript(f, ipScriptArgs(info), { IFNAME: 'ppp0', X: 'y z' }, (l, m) => logs.push(`${l}: ${m}`));
  assert.equal(status, 3);
  const text = fs.readFileSync(out, 'utf8').split('\n');
  assert.equal(text[0], `0=${f}`);
  assert.equal(text[1], 'args=ppp0 /dev/ttyS0 38400 10.0.0.2 10.0.0.1');
  assert.equal(text[2], 'cwd=/');
  assert.equal(text[3], 'umask=0077');
  assert.deepEqual(text.slice(4, 7), ['/dev/null', '/dev/null', '/dev/null']);
  // The script's own shell adds PWD; nothing else but what we gave.
  assert.deepEqual(text.slice(7).filter((l) => l && !l.startsWith('PWD=')).sort(), ['IFNAME=ppp0', 'X=y z']);
  assert.match(logs[0], new RegExp(`^debug: Script ${f} started \\(pid \\d+\\)$`));
  assert.match(logs[1], new RegExp(`^debug: Script ${f} finished \\(pid \\d+\\), status = 0x3$`));
});

test('runScript: a missing script is skipped silently; a non-executable one is a warning', async () => {
  const logs: string[] = [];
  const log = (l: string, m: string) => logs.push(`${l}: ${m}`);
  assert.equal(await runScript(path.join(dir, 'nope'), [], {}, log), undefined);
  assert.deepEqual(logs, []);
  const f = script('noexec', '#!/bin/sh\nexit 0\n', 0o644);
  assert.equal(await runScript(f, [], {}, log), undefined);
  assert.deepEqual(logs, [`warn: Can't execute ${f}: Invalid argument`]);
  assert.equal(await runScript(dir, [], {}, log), undefined, 'a directory is not a script');
});

test('runScript: a script killed by a signal resolves null with pppd\'s warning', async () => {
  const f = script('killed', '#!/bin/sh\nkill -TERM $$\n');
  const logs: string[] = [];
  assert.equal(await runScript(f, [], {}, (l, m) => logs.push(`${l}: ${m}`)), null);
  assert.match(logs.at(-1)!, new RegExp(`^warn: Child process ${f} \\(pid \\d+\\) terminated with signal 15$`));
});

test('resolv.conf: "nameserver X" lines; left in place on down, as pppd 2.4.9 does', () => {
  const f = path.join(dir, 'resolv.conf');
  writeResolvConf(f, '10.0.0.53', '10.0.0.54');
  assert.equal(fs.readFileSync(f, 'utf8'), 'nameserver 10.0.0.53\nnameserver 10.0.0.54\n');
  writeResolvConf(f, undefined, '10.0.0.54');
  assert.equal(fs.readFileSync(f, 'utf8'), 'nameserver 10.0.0.54\n', 'overwritten, not appended');
  removeResolvConf(f);
  assert.equal(fs.existsSync(f), true);
  const logs: string[] = [];
  writeResolvConf(path.join(dir, 'no/such/dir'), '1.2.3.4', undefined, (l, m) => logs.push(`${l}: ${m}`));
  assert.deepEqual(logs, [`error: Failed to create ${path.join(dir, 'no/such/dir')}: No such file or directory`]);
  assert.throws(() => writeResolvConf(path.join(dir, 'no/such/dir'), '1.2.3.4'), /^Error: Failed to create .*: No such file or directory$/);
});
