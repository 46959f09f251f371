// Issue 12's SLIP proof: a real Linux SLIP client inside user-mode-linux dials the modem bank
// of `dialtone isp` with real chat (ATDT, login, password, then `slip` or `cslip` at the
// prompt), takes its address and the server's from the banner (chat's REPORT), attaches the
// line with slattach (-p slip / -p cslip; the kernel's slip and slhc modules), sets up sl0
// with ip, pings the gateway and downloads 1 MB from an HTTP server on the host's 127.0.0.1
// through the NAT, compared by sha256. The ISP's accounting records the session. The same
// client also dials a `dialtone getty` line on a `dialtone modem` bank, whose SLIP goes into
// the getty's own userspace NAT.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; a missing UML or slattach fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { startPppdPeer, umlAvailable } from '../harness/uml.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig } from '../../src/isp/config.js';
import { natBackendFactory } from '../../src/isp/backend.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { waitUntil } from '../../src/runtime/wait-until.js';
import { ModemBank } from '../../src/runtime/modem-bank.js';
import { PhoneBook } from '../../src/modem/phonebook.js';
import { serveLine } from '../../src/runtime/getty.js';
import { MGETTY_DEFAULTS, parseLoginConfig } from '../../src/getty/config.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;

/** chat's script: the modem, the login, the SLIP command, the banner's lines reported. */
function chatScript(mode: 'slip' | 'cslip', phone: string): string {
  return [
    "ABORT 'NO CARRIER'",
    'ABORT BUSY',
    "ABORT 'Login incorrect'",
    "REPORT 'Your IP address is'",
    "REPORT 'Server address is'",
    "'' ATZ",
    `OK ATDT${phone}`,
    "CONNECT ''",
    'login: fred',
    'Password: wilma',
    `'$ ' ${mode}`,
    "'DNS address is' ''",
    "'compression is' ''",
    '',
  ].join('\n');
}

/** Runs inside UML with /dev/ttyS0 to itself: chat, slattach, ip, ping, wget. */
function job(mode: 'slip' | 'cslip', webPort: number): string {
  return `set -e
modprobe slip
# One descriptor holds the line open from chat to slattach: the last close of UML's ttyS0
# would close the host PTY, and socat (and the call) with it.
exec 3<>/dev/ttyS0
stty -F /dev/ttyS0 raw -echo clocal 38400
chat -v -s -r /tmp/report -t 30 -f /etc/chatscripts/dialtone-${mode} <&3 >&3
cat /tmp/report
IP=$(sed -n 's/.*Your IP address is \\([0-9.]*\\),.*/\\1/p' /tmp/report | head -n 1)
GW=$(sed -n 's/.*Server address is \\([0-9.]*\\).*/\\1/p' /tmp/report | head -n 1)
echo "address=$IP gateway=$GW"
slattach -p ${mode} -s 38400 -L /dev/ttyS0 &
SL=$!
for i in $(seq 100); do ip link show sl0 >/dev/null 2>&1 && break; sleep 0.1; done
ip addr add "$IP" peer "$GW" dev sl0
ip link set sl0 mtu 1006 up
ip route add default dev sl0
ip addr show sl0
ping -c 2 -W 5 "$GW"
T0=$(date +%s.%N)
wget -q -O /tmp/file "http://$GW:${webPort}/file"
T1=$(date +%s.%N)
echo "download took $(awk "BEGIN { print $T1 - $T0 }") s"
sha256sum /tmp/file
# slattach gets 5 s to go after SIGTERM, then SIGKILL: a bare \`wait\` once held a CI run's UML
# until the harness's 400 s deadline, after the download had arrived intact.
kill $SL
for i in $(seq 50); do kill -0 $SL 2>/dev/null || break; sleep 0.1; done
kill -9 $SL 2>/dev/null || true
exec 3>&-
`;
}

/** A 1 MB file on the host's 127.0.0.1 and its sha256. */
async function webServer() {
  const body = crypto.randomBytes(1024 * 1024);
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  const web = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  return { body, sum, web, port: (web.address() as net.AddressInfo).port };
}

/** Boots UML with the SLIP job against the modem bank on `port`; checks what every SLIP run must show. */
async function dialFromUml(mode: 'slip' | 'cslip', port: number, phone: string, webPort: number, sum: string, logs: string[], lineGone?: () => Promise<unknown>) {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  assert.ok(fs.existsSync('/usr/sbin/slattach'), 'slattach missing (Debian package net-tools; scripts/setup installs it)');
  const peer = await startPppdPeer({
    line: 'listen',
    port,
    pppdArgs: [],
    files: { [`chatscripts/dialtone-${mode}`]: chatScript(mode, phone) },
    job: job(mode, webPort),
    timeoutMs: Number(process.env.DIALTONE_SLIP_UML_TIMEOUT_MS ?? 400_000),
  });
  const r = await peer.done;
  // The server's account of the session (its counters) is part of the story when it fails.
  if (lineGone) await Promise.race([lineGone(), new Promise((res) => setTimeout(res, 20_000))]);
  const why = `--- job (rc ${r.afterRc}) ---\n${r.afterOutput}\n--- init ---\n${r.initLog}\n--- server ---\n${logs.join('\n')}`;
  assert.equal(r.afterRc, 0, why);
  assert.match(r.afterOutput, new RegExp(`Entering ${mode.toUpperCase()} mode`), why);
  assert.match(r.afterOutput, /Your IP address is 10\.0\.2\.15, MTU is 1006 bytes/, why);
  assert.match(r.afterOutput, /address=10\.0\.2\.15 gateway=10\.0\.2\.2/, why);
  assert.match(r.afterOutput, /2 received/, why);
  assert.ok(r.afterOutput.includes(sum), `download intact\n${why}`);
  return { why, took: /download took ([\d.]+) s/.exec(r.afterOutput)?.[1] };
}

// The text login is checked like PAP (pap-secrets / account lines).
const secrets = { ...staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), verifyPap: (u: string, p: string) => (u === 'fred' && p === 'wilma' ? { secret: p } : undefined) };

for (const mode of ['slip', 'cslip'] as const) {
  test(`real Linux ${mode.toUpperCase()} in UML on dialtone isp: chat dials the modem bank, logs in, \`${mode}\`, slattach -p ${mode}; ping and 1 MB intact; accounted`, { skip, timeout: 420_000 }, async (t) => {
    const { body, sum, web, port: webPort } = await webServer();
    const accounting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-slip-')), 'acct.jsonl');
    const config = { ...defaultIspConfig(), listenModem: { host: '127.0.0.1', port: 0 }, phone: '5551000',
      // The bank paces the line at the CONNECT speed: ISDN's 128000 bit/s (12.8 KB/s).
      modemSpeed: 128000, accounting, lcpEchoInterval: 0 };
    const logs: string[] = [];
    const isp = new IspServer({ config, secrets, backend: natBackendFactory(config, (m) => logs.push(m)), log: (m) => logs.push(m) });
    await isp.start();
    try {
      const { why, took } = await dialFromUml(mode, isp.addresses.modem!.port, '5551000', webPort, sum, logs);
      // The line goes with UML: the session ends and is accounted.
      await waitUntil(() => isp.liveCount === 0, 60_000, `the session to end\n${why}`);
      const records = fs.readFileSync(accounting, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(records.map((x) => [x.event, x.protocol, x.user]), [['start', mode, 'fred'], ['stop', mode, 'fred']], why);
      assert.ok((records[1]!.bytesOut as number) > body.length, why);
      const end = logs.find((l) => /SLIP session ended/.test(l)) ?? '';
      if (mode === 'cslip') {
        // Linux compressed its TCP headers and we ours (the session's end line counts them).
        const m = /vj (\d+) in, (\d+) out/.exec(end);
        assert.ok(m && Number(m[1]) > 0 && Number(m[2]) > 0, `VJ used both ways: ${end}\n${why}`);
      }
      t.diagnostic(`1 MB in ${took} s; ${end}`);
    } finally {
      await isp.stop(2000);
      web.close();
    }
  });
}

test('real Linux CSLIP in UML through `dialtone modem` and `dialtone getty`: chat dials the getty line, logs in, `cslip`; ping and 1 MB intact', { skip, timeout: 420_000 }, async (t) => {
  const { sum, web, port: webPort } = await webServer();
  // `dialtone modem`'s bank with the getty on line 1, as `dialtone getty tcp:HOST:PORT` runs. Paced
  // like a modem: UML's serial input stalls for good under an unpaced burst of 100+ KB (SLIP
  // has no flow control; a real serial line never delivers faster than its speed).
  const bank = new ModemBank({ host: '127.0.0.1', port: 0, lines: 2, speed: 128000, ringIntervalMs: 200, phoneBook: PhoneBook.parse('') });
  const addr = await bank.listen();
  const logs: string[] = [];
  const served = serveLine({
    line: { kind: 'tcp', host: '127.0.0.1', port: addr.port },
    port: 'ttyS0',
    config: { ...MGETTY_DEFAULTS, rings: 1 },
    login: parseLoginConfig('* - - /bin/login @\n', 'login.config').value,
    pppDir: os.tmpdir(),
    log: (m) => logs.push(m),
    calls: 1,
    checkPassword: async (u, p) => secrets.verifyPap(u, p) !== undefined,
  });
  try {
    await waitUntil(() => logs.includes('waiting for a call'), 60_000, 'the getty to take its line');
    const { why, took } = await dialFromUml('cslip', addr.port, '1', webPort, sum, logs, () => served);
    await served;
    const end = logs.find((l) => /CSLIP ended/.test(l)) ?? '';
    // The caller hung up: the modem on the getty's line said NO CARRIER, which ends SLIP there.
    assert.match(end, /NO CARRIER/, why);
    const m = /vj (\d+) in, (\d+) out/.exec(end);
    assert.ok(m && Number(m[1]) > 0 && Number(m[2]) > 0, `VJ used both ways: ${end}\n${why}`);
    t.diagnostic(`1 MB in ${took} s; ${end}`);
  } finally {
    await bank.close();
    web.close();
  }
});
