// dialtone's PPPoE client (`dialtone pppd plugin rp-pppoe.so nic-TAP`) against Debian's
// pppoe-server (rp-pppoe, kernel mode, spawning real pppd 2.4.9) inside user-mode-linux,
// UML's eth0 on a TAP device in a private network namespace: discovery, PAP, IP-up, and a
// PADT when dialtone pppd is stopped.
//
// Root only (network namespace, TAP, AF_PACKET): skipped otherwise, and with
// DIALTONE_SKIP_INTEROP=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { Netns, rootSkipReason } from '../../src/native/testing/netns.js';
import { startPppd, waitForScript } from '../../src/tun/testing/pppd-netns.js';
import { waitUntil } from '../../src/runtime/wait-until.js';

const why = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : rootSkipReason() ?? (umlAvailable().ok ? undefined : umlAvailable().why);
const skip = why ?? (fs.existsSync('/usr/sbin/pppoe-server') ? false : '/usr/sbin/pppoe-server missing (Debian pppoe)');

test('dialtone pppd plugin rp-pppoe.so reaches IP-up against Debian pppoe-server in UML, and its PADT ends the server\'s session', { skip, timeout: 240_000 }, async () => {
  const ns = await Netns.create('pppoes');
  let stopPppd: (() => Promise<unknown>) | undefined;
  try {
    await ns.ip('tuntap add dev tapdt mode tap');
    await ns.ip('link set tapdt up');
    const job = [
      'R="$DT_RUN"',
      'modprobe pppoe',
      'ip link set eth0 up',
      `printf 'require-pap\\nlcp-echo-interval 0\\nnoipv6\\nnoccp\\ndebug\\nlogfile %s/server-pppd.log\\n' "$R" > /etc/ppp/pppoe-server-options`,
      'pppoe-server -F -k -I eth0 -L 10.9.0.1 -R 10.9.0.10 -N 4 -S internet -C uml-ac >"$R/server.out" 2>&1 &',
      'SP=$!',
      'sleep 0.5',
      ': >"$R/ready"',
      'for i in $(seq 1 1500); do [ -e "$R/stop" ] && break; sleep 0.1; done',
      'sleep 1',
      'kill $SP',
      'echo server-done',
    ].join('\n');
    const peer = await startPppdPeer({ line: 'connect', pppdArgs: [], job, files: { 'ppp/pap-secrets': 'fred * wilma *\n' }, kernelArgs: ['eth0=tuntap,tapdt'], netns: ns.name, timeoutMs: 200_000 });
    let ended = false;
    void peer.done.then(() => (ended = true));
    await waitUntil(() => ended || fs.existsSync(path.join(peer.runDir, 'ready')), 120_000, 'pppoe-server started in UML');
    const pppd = startPppd(ns, ['plugin', 'rp-pppoe.so', 'nic-tapdt', 'rp_pppoe_service', 'internet', 'rp_pppoe_ac', 'uml-ac', 'user', 'fred', 'password', 'wilma', 'noauth', 'noipdefault', 'noccp', 'noipv6', 'debug']);
    stopPppd = () => pppd.stop();
    const serverLog = () => {
      const f = (n: string) => (fs.existsSync(path.join(peer.runDir, n)) ? fs.readFileSync(path.join(peer.runDir, n), 'utf8') : '');
      return `--- server pppd ---\n${f('server-pppd.log')}\n--- pppoe-server ---\n${f('server.out')}`;
    };
    try {
      await waitForScript(pppd, 'up', 'dialtone pppd ip-up');
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${serverLog()}`);
    }
    const log = pppd.log();
    const ctx = `--- dialtone pppd ---\n${log}\n${serverLog()}`;
    assert.match(log, /PPP session is \d+/, ctx);
    assert.match(log, /local {2}IP address 10\.9\.0\.10/, ctx);
    assert.match(log, /remote IP address 10\.9\.0\.1/, ctx);
    await pppd.stop();
    stopPppd = undefined;
    await waitUntil(() => /Connection terminated|Modem hangup|PADT/.test(serverLog()), 30_000, `server session ended\n${serverLog()}`);
    fs.writeFileSync(path.join(peer.runDir, 'stop'), '');
    const r = await peer.done;
    assert.match(r.afterOutput, /server-done/, `${ctx}\n${r.console.slice(-2000)}`);
    assert.match(serverLog(), /remote IP address 10\.9\.0\.10/, serverLog());
  } finally {
    await stopPppd?.();
    await ns.delete();
  }
});
