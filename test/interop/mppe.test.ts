// MPPE (RFC 3078, keys per RFC 3079) between dialtone and real pppd 2.4.9 inside
// user-mode-linux (Linux 6.1's ppp_mppe), through the `dialtone pppd` command line, with
// MS-CHAPv2 (the setup of mschap-eap.test.ts):
//   a. dialtone authenticates and requires MPPE-128, real pppd is the client;
//   b. real pppd authenticates and requires MPPE-128, dialtone is the client;
// each: both logs say "MPPE 128-bit stateless compression enabled", and 10 MB cross each
// way intact (sha256 compared), through dialtone's `local-forward` to socat inside UML;
// in a, tshark decodes dialtone's capture (`pcap FILE`): the CCP exchange with the MPPE
// option and the encrypted frames, nothing malformed;
//   c. stateful MPPE: real pppd with `mppe-stateful` (it allows stateful mode but only asks
//      for stateless) is led there by dialtone's `mppe-prefer-stateful` Nak; 2 MB each way;
//   d. dialtone requires MPPE, pppd does not offer it: the link fails with pppd's message;
//   e. as c, on a line with bit errors (a fault relay): lost frames, resynchronised both
//      ways with CCP Reset-Request and flushed packets, the data still intact.
//
// DIALTONE_SKIP_INTEROP=1 skips these tests; otherwise a missing UML fails them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenFaultRelay, type FaultSpec } from '../../src/runtime/fault-relay.js';
import { tsharkProblemFrames } from '../harness/tshark.js';
import { freePort, startPppdPeer, umlAvailable, type PppdPeerOptions, type PppdPeerResult } from '../harness/uml.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'bin/dialtone');

const SECRET = 'fred server s3cret *\n';
const RUN_MS = 240_000;
const GRACE_MS = 10_000;
const MB = 1024 * 1024;

interface DialtoneRun {
  code: number | null;
  log: string;
  output: string;
  killed: boolean;
}

/** `dialtone pppd tcp:127.0.0.1:PORT ARGS` with its own ppp directory holding `files`. */
function dialtonePppd(port: number, args: string[], files: Record<string, string>, peerDone: Promise<unknown>): Promise<DialtoneRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-mppe-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  const logfile = path.join(dir, 'log');
  const child = spawn(process.execPath, [bin, 'pppd', `tcp:127.0.0.1:${port}`, ...args, 'nodetach', 'debug', 'logfile', logfile], {
    env: { ...process.env, DIALTONE_PPP_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let killed = false;
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const kill = (): void => {
    killed = true;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, RUN_MS);
  let grace: NodeJS.Timeout | undefined;
  void peerDone.then(() => (grace = setTimeout(kill, GRACE_MS)));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ code, log: fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '', output, killed });
    }),
  );
}

function explain(d: DialtoneRun, r: PppdPeerResult): string {
  return (
    `--- dialtone (exit ${d.code}${d.killed ? ', killed' : ''}) log ---\n${d.log}--- dialtone output ---\n${d.output}\n` +
    `--- pppd (exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}${r.stopped ? ', stopped' : ''}, run dir ${r.runDir}) ---\n${r.log}` +
    `--- pppd after (rc ${r.afterRc}) ---\n${r.afterOutput}\n--- console (tail) ---\n${r.console.slice(-3000)}`
  );
}

const sha = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads everything from 127.0.0.1:port until the far end closes; retries (the forward
 * opens with the link, the listener inside UML a little later) until it gets data.
 */
async function download(port: number, deadline: number): Promise<Buffer> {
  while (Date.now() < deadline) {
    const got = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      const s = net.connect(port, '127.0.0.1');
      s.on('data', (d) => chunks.push(d));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', () => undefined);
    });
    if (got.length) return got;
    await sleep(500);
  }
  throw new Error(`download from port ${port}: nothing before the deadline`);
}

/** Connects until the UML side says "ready", then sends `body` and half-closes. */
async function upload(port: number, body: Buffer, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let ready = false;
      s.on('data', (d) => {
        if (!ready && d.toString().includes('ready')) {
          ready = true;
          s.end(body);
        }
      });
      s.on('close', () => resolve(ready));
      s.on('error', () => undefined);
    });
    if (ok) return;
    await sleep(500);
  }
  throw new Error(`upload to port ${port}: no listener before the deadline`);
}

/** Inside UML: serve a random file on 7000, take one on 7001, print both sums. */
function umlTransfers(size: number): string {
  return [
    'set -e',
    `head -c ${size} /dev/urandom > /tmp/down`,
    'echo "down $(sha256sum /tmp/down | cut -d" " -f1)"',
    'socat -u OPEN:/tmp/down TCP-LISTEN:7000,reuseaddr &',
    'D=$!',
    `socat TCP-LISTEN:7001,reuseaddr SYSTEM:'echo ready; cat > /tmp/up' &`,
    'U=$!',
    'wait $D',
    'wait $U',
    // socat has exited once the file is in its socket, not once it has crossed the line: on
    // a lossy line the kernel may still be retransmitting. Wait until the host has it all
    // (the connection leaves established/fin-wait-1) before the script ends and pppd stops.
    `for i in $(seq 600); do [ -z "$(ss -Htn state established state fin-wait-1 state closing '( sport = :7000 )')" ] && break; sleep 0.1; done`,
    'echo "up $(sha256sum /tmp/up | cut -d" " -f1) $(stat -c %s /tmp/up)"',
    'cat /proc/net/dev | grep ppp0 || true',
  ].join('\n');
}

interface Case {
  pppdArgs: string[];
  dialtoneArgs: string[];
  size?: number;
  /** pppd's address on the link (where the forwards go). */
  pppdAddr?: string;
  /** Put the line through a fault relay (e.g. bit errors: every hit frame is lost). */
  faults?: FaultSpec;
  /** Have dialtone capture the link (`pcap FILE`); the run returns the file's path. */
  pcap?: boolean;
}

/** Real pppd in UML on a line socat listens on; dialtone connects; transfers both ways. */
async function run(c: Case) {
  const avail = umlAvailable();
  assert.ok(avail.ok, `user-mode-linux harness unavailable: ${avail.why}`);
  const [downPort, upPort] = [await freePort(), await freePort()];
  const size = c.size ?? 0;
  const peer: Omit<PppdPeerOptions, 'line'> = {
    pppdArgs: c.pppdArgs,
    files: { 'ppp/chap-secrets': SECRET },
    ...(size ? { after: umlTransfers(size) } : { waitExit: true }),
  };
  const p = await startPppdPeer({ ...peer, line: 'connect', timeoutMs: RUN_MS });
  const body = crypto.randomBytes(size);
  try {
    await p.ready;
    const relay = c.faults ? await listenFaultRelay({ target: { port: p.port }, faults: () => ({ seed: 'mppe', both: c.faults }) }) : undefined;
    const linePort = relay ? relay.address.port : p.port;
    const to = c.pppdAddr ?? '10.0.0.2';
    const forwards = size ? ['local-forward', `${downPort}:${to}:7000`, 'local-forward', `${upPort}:${to}:7001`] : [];
    const pcap = c.pcap ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-mppe-pcap-')), 'link.pcap') : undefined;
    const capture = pcap ? ['pcap', pcap] : [];
    const dRun = dialtonePppd(linePort, [...c.dialtoneArgs, ...forwards, ...capture], { 'chap-secrets': SECRET }, p.done);
    void dRun.then((d) => setTimeout(() => void p.stop(), d.code === 2 ? 0 : GRACE_MS).unref());
    let down: Buffer | undefined;
    let transferError: unknown;
    if (size) {
      const deadline = Date.now() + RUN_MS - 30_000;
      try {
        [down] = await Promise.all([download(downPort, deadline), upload(upPort, body, deadline)]);
      } catch (err) {
        transferError = err;
      }
    }
    const [d, r] = await Promise.all([dRun, p.done]);
    await relay?.close();
    const lineStats = relay?.relays.map((x) => x.stats());
    return { d, r, down, body, transferError, lineStats, pcap };
  } finally {
    await p.stop();
  }
}

function assertTransfers(res: Awaited<ReturnType<typeof run>>, why: string): void {
  assert.equal(res.transferError, undefined, `${String(res.transferError)}\n${why}`);
  const downSum = /^down ([0-9a-f]{64})$/m.exec(res.r.afterOutput)?.[1];
  const upSum = /^up ([0-9a-f]{64}) (\d+)$/m.exec(res.r.afterOutput);
  assert.ok(downSum && upSum, `UML did not report its sums\n${why}`);
  assert.equal(sha(res.down!), downSum, `download (UML -> dialtone, ${res.down!.length} bytes) intact\n${why}`);
  assert.equal(upSum[1], sha(res.body), `upload (dialtone -> UML, ${upSum[2]} bytes) intact\n${why}`);
}

const PPPD_CLIENT = ['local', 'noauth', 'name', 'fred', 'user', 'fred', 'noipdefault', 'noipv6'];
const PPPD_SERVER = ['local', 'auth', 'require-mschap-v2', 'name', 'server', '10.0.0.1:10.0.0.2', 'noipv6'];
const DIALTONE_SERVER = ['auth', 'require-mschap-v2', 'name', 'server', '10.0.0.1:10.0.0.2'];
const DIALTONE_CLIENT = ['noauth', 'user', 'fred', 'remotename', 'server'];
const STATELESS = /^MPPE 128-bit stateless compression enabled$/m;

/** `tshark -r pcap -Y filter`, one line per frame. */
function tsharkLines(pcap: string, filter: string, fields: string[] = []): string[] {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', filter, ...(fields.length ? ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])] : [])], {
    encoding: 'utf8',
    env: { ...process.env, HOME: os.tmpdir() },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 256 * 1024 * 1024,
  });
  return out.split('\n').filter((l) => l.trim());
}

test('a. dialtone server requires MPPE-128 (MS-CHAPv2), real pppd client: stateless, 10 MB each way intact', { skip, timeout: RUN_MS + 60_000 }, async () => {
  const res = await run({ pppdArgs: [...PPPD_CLIENT, 'require-mppe-128'], dialtoneArgs: [...DIALTONE_SERVER, 'require-mppe-128'], size: 10 * MB, pcap: true });
  const why = explain(res.d, res.r);
  assert.match(res.r.log, STATELESS, why);
  assert.match(res.d.log, STATELESS, why);
  assertTransfers(res, why);
  // tshark on dialtone's capture. CCP (0x80fd) carries the MPPE option (RFC 3078 2.1: type
  // 18, "Microsoft PPE/PPC"; S = 128-bit, H = stateless) in both directions' Configure-Request
  // and Ack (p2p_dir 0 sent, 1 received); every IP datagram after it is MPPE-encrypted
  // (protocol 0x00fd, RFC 1962 "Compressed Datagram"), which tshark cannot decrypt and shows
  // as data: there is no plain IP (0x0021) at all. So the whole capture is judged (LCP, CHAP,
  // IPCP, the IPV6CP Protocol-Reject, CCP, encrypted frames): tshark sees no TCP to complain of.
  const pcap = res.pcap!;
  const problems = tsharkProblemFrames(pcap);
  assert.equal(problems, '', `tshark: malformed or warning entries in the capture\n${problems.slice(0, 2000)}`);
  const mppeOpts = tsharkLines(pcap, 'ccp.opt.type == 18', ['frame.p2p_dir', 'ppp.code', 'ccp.opt.supported_bits.s', 'ccp.opt.supported_bits.h']);
  for (const dir of ['0', '1'])
    for (const code of ['1', '2'])
      assert.ok(
        mppeOpts.some((l) => /^(\S+)\t(\S+)\t(\S+)\t(\S+)$/.exec(l)?.slice(1).join(' ') === `${dir} ${code} 1 1`),
        `tshark: CCP ${code === '1' ? 'Configure-Request' : 'Configure-Ack'} with MPPE-128 stateless, p2p_dir ${dir}\n${mppeOpts.join('\n')}`,
      );
  // comp_data: tshark's "PPP Comp" dissector, which shows each as "Compressed data".
  const encrypted = tsharkLines(pcap, 'ppp.protocol == 0x00fd && comp_data', ['frame.p2p_dir']);
  for (const dir of ['0', '1'])
    assert.ok(encrypted.filter((l) => l === dir).length > 5000, `tshark: encrypted datagrams (0x00fd) in direction ${dir}: ${encrypted.filter((l) => l === dir).length}`);
  assert.equal(tsharkLines(pcap, 'ppp.protocol == 0x0021').length, 0, 'tshark: no plain IP datagram on an MPPE link');
  fs.rmSync(path.dirname(pcap), { recursive: true, force: true });
});

test('b. real pppd server requires MPPE-128 (MS-CHAPv2), dialtone client: stateless, 10 MB each way intact', { skip, timeout: RUN_MS + 60_000 }, async () => {
  const res = await run({ pppdArgs: [...PPPD_SERVER, 'require-mppe-128'], dialtoneArgs: [...DIALTONE_CLIENT, 'require-mppe-128'], size: 10 * MB, pppdAddr: '10.0.0.1' });
  const why = explain(res.d, res.r);
  assert.match(res.r.log, STATELESS, why);
  assert.match(res.d.log, STATELESS, why);
  assertTransfers(res, why);
});

test('c. stateful MPPE: dialtone (mppe-prefer-stateful) leads real pppd (mppe-stateful) there; 2 MB each way intact', { skip, timeout: RUN_MS + 60_000 }, async () => {
  const res = await run({
    pppdArgs: [...PPPD_CLIENT, 'require-mppe-128', 'mppe-stateful'],
    dialtoneArgs: [...DIALTONE_SERVER, 'require-mppe-128', 'mppe-stateful', 'mppe-prefer-stateful'],
    size: 2 * MB,
  });
  const why = explain(res.d, res.r);
  assert.match(res.r.log, /^MPPE 128-bit stateful compression enabled$/m, why);
  assert.match(res.d.log, /^MPPE 128-bit stateful compression enabled$/m, why);
  assertTransfers(res, why);
});

test('e. stateful MPPE on a noisy line (bit errors lose frames): both sides resynchronise through CCP Reset-Request, 2 MB each way intact', { skip, timeout: RUN_MS + 60_000 }, async () => {
  const res = await run({
    pppdArgs: [...PPPD_CLIENT, 'require-mppe-128', 'mppe-stateful'],
    dialtoneArgs: [...DIALTONE_SERVER, 'require-mppe-128', 'mppe-stateful', 'mppe-prefer-stateful'],
    size: 2 * MB,
    faults: { bitErrorRate: 1e-6 },
  });
  const why = `${explain(res.d, res.r)}\n--- line ---\n${JSON.stringify(res.lineStats)}`;
  assert.match(res.d.log, /^MPPE 128-bit stateful compression enabled$/m, why);
  assertTransfers(res, why);
  // Linux's ppp_mppe found gaps and pppd asked dialtone for a reset, and the other way round.
  assert.match(res.r.log, /^sent \[CCP ResetReq id=0x\w+\]$/m, why);
  assert.match(res.d.log, /^rcvd \[CCP ResetReq id=0x\w+\]$/m, why);
  assert.match(res.d.log, /^sent \[CCP ResetReq id=0x\w+\]$/m, why);
  assert.match(res.r.log, /^rcvd \[CCP ResetReq id=0x\w+\]$/m, why);
});

test('d. dialtone requires MPPE, real pppd does not offer it: "MPPE required but peer negotiation failed", the link ends', { skip, timeout: RUN_MS + 60_000 }, async () => {
  const res = await run({ pppdArgs: PPPD_CLIENT, dialtoneArgs: [...DIALTONE_SERVER, 'require-mppe'] });
  const why = explain(res.d, res.r);
  assert.match(res.d.log, /^MPPE required but peer (negotiation failed|refused)$/m, why);
  assert.match(res.r.log, /^LCP terminated by peer \(MPPE required but peer (negotiation failed|refused)\)$/m, why);
  assert.doesNotMatch(res.r.log, /^local {2}IP address/m, why);
});
