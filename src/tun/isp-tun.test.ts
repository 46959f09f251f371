/**
 * `dialtone isp` with `network tun`, as root, in private network namespaces: a dial-in
 * client gets a routed address on its own pppN interface (no NAT), ip-up runs, and a host
 * on the server's LAN reaches the client through proxy ARP.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Netns, rootSkipReason, vethBetween } from '../native/testing/netns.js';
import { startPppd, waitForScript, type PppdInNs } from './testing/pppd-netns.js';
import { waitUntil, waitUntilAsync } from '../runtime/wait-until.js';

const skip = rootSkipReason() ?? (process.env.DIALTONE_SKIP_NETNS === '1' ? 'DIALTONE_SKIP_NETNS=1' : undefined);
/** A file the test's script has finished its one line in. */
const written = (f: string) => fs.existsSync(f) && fs.readFileSync(f, 'utf8').endsWith('\n');

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

test('isp network tun: the dial-in client gets a routed address on pppN, ip-up runs, the LAN reaches it; gone after hangup', { skip }, async () => {
  const lan = await Netns.create('ilan');
  const srv = await Netns.create('isrv');
  const cli = await Netns.create('icli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-isp-tun-'));
  let client: PppdInNs | undefined;
  let isp: ReturnType<Netns['spawn']> | undefined;
  try {
    await vethBetween(lan, 'eth0', srv, 'lan0');
    await lan.ip('addr add 10.68.0.10/24 dev eth0');
    await srv.ip('addr add 10.68.0.1/24 dev lan0');
    await vethBetween(srv, 'wire0', cli, 'wire0');
    await srv.ip('addr add 192.168.80.1/24 dev wire0');
    await cli.ip('addr add 192.168.80.2/24 dev wire0');
    fs.writeFileSync(path.join(dir, 'ip-up'), `#!/bin/sh\necho "$@" > "${dir}/ip-up.args"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'ip-down'), `#!/bin/sh\necho "$@" > "${dir}/ip-down.args"\n`, { mode: 0o755 });
    const conf = path.join(dir, 'isp.conf');
    fs.writeFileSync(
      conf,
      [
        'listen-ppp 192.168.80.1:7004',
        'listen-modem off',
        'listen-direct off',
        'network tun',
        'proxyarp yes',
        'gateway 10.68.0.1',
        'dns 10.68.0.53',
        'pool 10.68.0.20-10.68.0.30',
        'auth pap',
        'account demo dialtone',
        'ipv6-prefix off',
        `ip-up ${dir}/ip-up`,
        `ip-down ${dir}/ip-down`,
        '',
      ].join('\n'),
    );
    isp = srv.spawn(process.execPath, [bin, 'isp', '--config', conf]);
    let out = '';
    isp.stdout!.on('data', (b: Buffer) => (out += b));
    isp.stderr!.on('data', (b: Buffer) => (out += b));
    await waitUntil(() => /192\.168\.80\.1:7004|listening/i.test(out), 60_000, 'the isp to listen');

    client = startPppd(cli, ['tcp:192.168.80.1:7004', 'network', 'tun', 'noauth', 'user', 'demo', 'password', 'dialtone', 'noccp', 'noipv6', 'defaultroute']);
    await waitForScript(client, 'up', 'the client ip-up').catch((e: Error) => {
      throw new Error(`${e.message}\nisp:\n${out}`);
    });
    // The script's whole line, not just its file: the shell creates the file before echo writes.
    await waitUntil(() => written(path.join(dir, 'ip-up.args')), 60_000, 'the isp ip-up');
    const args = fs.readFileSync(path.join(dir, 'ip-up.args'), 'utf8').trim().split(' ');
    const [ifname, , , local, remote] = args;
    assert.match(ifname!, /^ppp\d+$/);
    assert.equal(local, '10.68.0.1');
    assert.match(remote!, /^10\.68\.0\.(2\d|30)$/);
    // A host route to the client through its interface; the client's address is its own.
    assert.match(await srv.ip(`route show ${remote}`), new RegExp(`${remote!.replace(/\./g, '\\.')} dev ${ifname}`));
    assert.match(await cli.ip('-4 addr show dev ppp0'), new RegExp(`inet ${remote!.replace(/\./g, '\\.')} peer 10\\.68\\.0\\.1/32`));
    await cli.exec('ping', ['-c', '1', '-W', '20', '10.68.0.1'], { timeoutMs: 60_000 });
    // Routed, not NATed: the LAN host sees and answers the client's own address.
    await lan.exec('ping', ['-c', '1', '-W', '20', remote!], { timeoutMs: 60_000 });
    await cli.exec('ping', ['-c', '1', '-W', '20', '10.68.0.10'], { timeoutMs: 60_000 });

    await client.stop();
    // The script's whole line, not just its file: the shell creates the file before echo writes.
    await waitUntil(() => written(path.join(dir, 'ip-down.args')), 60_000, 'the isp ip-down');
    await waitUntilAsync(async () => !(await srv.ip('link show')).includes(`${ifname}:`), 60_000, `${ifname} to be deleted`);
    assert.doesNotMatch(await srv.ip('link show'), new RegExp(`${ifname}:`));
    assert.equal((await srv.ip('neigh show proxy')).trim(), '');
  } finally {
    await client?.stop();
    if (isp && isp.exitCode === null) {
      isp.kill('SIGTERM');
      await new Promise((r) => isp!.once('exit', r));
    }
    for (const ns of [lan, srv, cli]) await ns.delete();
    for (const d of [dir, client?.dir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }
});
