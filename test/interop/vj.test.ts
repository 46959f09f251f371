// VJ TCP/IP header compression (RFC 1144) against real pppd 2.4.9 in user-mode-linux (its
// kernel's slhc does the other end), in both roles, through `dialtone pppd`:
//   a. dialtone is the PAP server, real pppd dials in: 10 MB each way, with VJ and again with
//      pppd's `novj`, to compare the bytes on the line;
//   b. dialtone is the client of a real pppd server: 10 MB each way, and tshark decodes our
//      capture of it.
// The files cross through `local-forward` to socat inside UML. Both ends' logs show
// <compress VJ 0f 01> acked both ways; pppstats inside UML shows the kernel's VJ counters; the
// files arrive intact (sha256).
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
import { startPppdPeer, umlAvailable, freePort, type PppdPeerResult } from '../harness/uml.js';

const skip = process.env.DIALTONE_SKIP_INTEROP === '1' ? 'DIALTONE_SKIP_INTEROP=1' : false;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = path.join(repo, 'bin/dialtone');
const MB10 = 10 * 1024 * 1024;
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function tshark(pcap: string, args: string[]): string {
  return execFileSync('tshark', ['-r', pcap, ...args], {
    encoding: 'utf8', env: { ...process.env, HOME: os.tmpdir() }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000, maxBuffer: 256 * 1024 * 1024,
  });
}

/**
 * PPP bytes on the link (protocol field and information, after VJ) from dialtone's own capture
 * (LINKTYPE_PPP_WITH_DIR: direction, FF 03, protocol, information).
 */
function linkBytesInCapture(pcap: string): { sent: number; received: number } {
  const b = fs.readFileSync(pcap);
  const out = { sent: 0, received: 0 };
  for (let at = 24; at + 16 <= b.length; ) {
    const len = b.readUInt32LE(at + 8);
    if (b[at + 16] === 0x01) out.sent += len - 3;
    else out.received += len - 3;
    at += 16 + len;
  }
  return out;
}

/** pppd's "Sent N bytes, received M bytes." (dialtone prints the same, counted alike). */
function linkBytes(log: string): { sent: number; received: number } | undefined {
  const m = /Sent (\d+) bytes, received (\d+) bytes\./.exec(log);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : undefined;
}

interface PppStats { inPack: number; vjCompIn: number; vjUncIn: number; vjErr: number; outPack: number; vjCompOut: number; vjUncOut: number; nonVj: number }

/** pppstats' line of totals: IN PACK VJCOMP VJUNC VJERR | OUT PACK VJCOMP VJUNC NON-VJ. */
function pppstats(out: string): PppStats | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\|\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(out);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return { inPack: n[1]!, vjCompIn: n[2]!, vjUncIn: n[3]!, vjErr: n[4]!, outPack: n[6]!, vjCompOut: n[7]!, vjUncOut: n[8]!, nonVj: n[9]! };
}

interface DialtoneRun { code: number | null; log: string; output: string; pcap: string; dir: string }

/** Runs `dialtone pppd ARGS` with its own ppp directory holding `files`; returns its log and pcap. */
async function dialtonePppd(args: string[], timeoutMs: number, files: Record<string, string>): Promise<DialtoneRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-vj-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  const logfile = path.join(dir, 'log');
  const pcap = path.join(dir, 'link.pcap');
  const child = spawn(process.execPath, [bin, 'pppd', ...args, 'nodetach', 'debug', 'logfile', logfile, 'pcap', pcap], {
    env: { ...process.env, DIALTONE_PPP_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, log: fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '', output, pcap, dir };
}

/** Tries until `use` says it is done (the far end, through the link, may not listen yet). */
async function untilDone(deadline: number, use: () => Promise<boolean>): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await use()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function download(port: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1');
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', () => undefined);
  });
}

function upload(port: number, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let ok = false;
    s.on('connect', () => s.end(body, () => (ok = true)));
    // The far end (socat -u) closes once it has everything; a refused connection closes at once.
    s.on('close', () => resolve(ok));
    s.on('error', () => undefined);
  });
}

interface Transfer {
  d: DialtoneRun;
  r: PppdPeerResult;
  why: string;
  /** PPP frames on the link (protocol field and information, after VJ), from dialtone's capture. */
  onLink: { sent: number; received: number };
  /** dialtone's "Sent N bytes, received M bytes.": IP before VJ, as pppd counts. */
  ours: { sent: number; received: number };
  stats: PppStats;
}

/**
 * Real pppd in UML with `pppdArgs`, `dialtone pppd` with `dialtoneArgs` connecting to its line;
 * once IP is up, 10 MB from UML to the host and 10 MB back through local-forwards to `uml`
 * (pppd's address), checked by sha256.
 */
async function transfer(pppdArgs: string[], files: Record<string, string>, dialtoneArgs: string[], uml: string, dialtoneFiles: Record<string, string> = {}): Promise<Transfer> {
  assert.ok(umlAvailable().ok, `user-mode-linux harness unavailable: ${umlAvailable().why}`);
  const body = crypto.randomBytes(MB10);
  const [downPort, upPort] = [await freePort(), await freePort()];
  const after = [
    'set -e',
    `head -c ${MB10} /dev/urandom > /tmp/down`,
    'echo "down $(sha256sum < /tmp/down)"',
    'socat -u OPEN:/tmp/down TCP-LISTEN:7001,reuseaddr &',
    'socat -u TCP-LISTEN:7002,reuseaddr CREATE:/tmp/up &',
    'wait',
    'echo "up $(sha256sum < /tmp/up)"',
    'pppstats ppp0',
    'sleep 1',
  ].join('\n');
  const peer = await startPppdPeer({ line: 'connect', pppdArgs, files, after, timeoutMs: 300_000 });
  await peer.ready;
  const deadline = Date.now() + 240_000;
  let got: Buffer = Buffer.alloc(0);
  const host = (async () => {
    const down = await untilDone(deadline, async () => (got = await download(downPort)).length === MB10);
    const up = down && (await untilDone(deadline, () => upload(upPort, body)));
    return { down, up };
  })();
  const forwards = ['local-forward', `127.0.0.1:${downPort}:${uml}:7001`, 'local-forward', `127.0.0.1:${upPort}:${uml}:7002`];
  const [d, r, h] = await Promise.all([dialtonePppd([`tcp:127.0.0.1:${peer.port}`, ...dialtoneArgs, ...forwards], 300_000, dialtoneFiles), peer.done, host]);
  const why = `--- dialtone (exit ${d.code}) ---\n${d.log.split('\n').slice(0, 60).join('\n')}${d.output}\n--- pppd (exit ${r.exitCode}) ---\n${r.log}\n--- after ---\n${r.afterOutput}`;
  assert.ok(h.down && h.up, `transfers done ${JSON.stringify(h)}\n${why}`);
  assert.equal(r.afterRc, 0, why);
  assert.match(r.afterOutput, new RegExp(`^down ${sha(got)}`, 'm'), `download intact\n${why}`);
  assert.match(r.afterOutput, new RegExp(`^up ${sha(body)}`, 'm'), `upload intact\n${why}`);
  const ours = linkBytes(d.log);
  const stats = pppstats(r.afterOutput);
  assert.ok(ours && stats, why);
  return { d, r, why, ours, onLink: linkBytesInCapture(d.pcap), stats };
}

const esc = (a: string) => a.replace(/\./g, '\\.');

/** <compress VJ 0f 01> asked and acked both ways, in both logs; the kernel's counters show VJ both ways. */
function assertVj(x: Transfer, dialtoneAddr: string, pppdAddr: string, pppdAsked: string): void {
  const { d, r, why, stats } = x;
  assert.match(r.log, new RegExp(`sent \\[IPCP ConfReq id=0x\\w+ <compress VJ 0f 01> <addr ${esc(pppdAsked)}>\\]`), why);
  assert.match(r.log, new RegExp(`rcvd \\[IPCP ConfAck id=0x\\w+ <compress VJ 0f 01> <addr ${esc(pppdAddr)}>\\]`), why);
  assert.match(r.log, new RegExp(`sent \\[IPCP ConfAck id=0x\\w+ <compress VJ 0f 01> <addr ${esc(dialtoneAddr)}>\\]`), why);
  assert.match(d.log, new RegExp(`rcvd \\[IPCP ConfAck id=0x\\w+ <compress VJ 0f 01> <addr ${esc(dialtoneAddr)}>\\]`), why);
  assert.match(d.log, /VJ header compression: send 16 slots, receive 16 slots/, why);
  assert.ok(stats.vjCompIn > 5000 && stats.vjCompOut > 5000 && stats.vjErr === 0, `pppstats: VJ both ways, no errors\n${r.afterOutput}`);
}

const PAP_SECRET = 'fred * wilma *\n';

test('a. dialtone pppd as PAP server, real pppd dials in: VJ both ways, 10 MB each way intact, fewer bytes on the link than with novj', { skip, timeout: 900_000 }, async (t) => {
  const runs: Transfer[] = [];
  for (const novj of [false, true]) {
    const x = await transfer(
      ['local', 'noauth', 'user', 'fred', 'noipdefault', 'noccp', 'noipv6', ...(novj ? ['novj'] : [])],
      { 'ppp/pap-secrets': PAP_SECRET },
      ['auth', 'require-pap', 'name', 'server', '10.0.0.1:10.0.0.2'],
      '10.0.0.2',
      { 'pap-secrets': PAP_SECRET },
    );
    fs.rmSync(x.d.dir, { recursive: true, force: true });
    runs.push(x);
    if (novj) {
      assert.match(x.r.log, /sent \[IPCP ConfReq id=0x\w+ <addr 0\.0\.0\.0>\]/, x.why);
      assert.match(x.r.log, /sent \[IPCP ConfRej id=0x\w+ <compress VJ 0f 01>\]/, x.why);
      assert.equal(x.stats.vjCompIn + x.stats.vjCompOut, 0, x.r.afterOutput);
    } else {
      assertVj(x, '10.0.0.1', '10.0.0.2', '0.0.0.0');
      t.diagnostic(`pppstats in UML: ${JSON.stringify(x.stats)}`);
    }
    t.diagnostic(`${novj ? 'novj' : 'VJ'}: dialtone sent ${x.onLink.sent} and received ${x.onLink.received} bytes of PPP frames`);
  }
  const [vj, plain] = runs as [Transfer, Transfer];
  const ratio = (a: number, b: number) => (a / b).toFixed(4);
  t.diagnostic(`PPP bytes on the link with VJ / without, same transfers: to pppd ${ratio(vj.onLink.sent, plain.onLink.sent)}, from pppd ${ratio(vj.onLink.received, plain.onLink.received)}, both ${ratio(vj.onLink.sent + vj.onLink.received, plain.onLink.sent + plain.onLink.received)}`);
  assert.ok(vj.onLink.sent < plain.onLink.sent && vj.onLink.received < plain.onLink.received, 'VJ saves bytes both ways');
});

test('b. dialtone pppd as client of a real pppd server: VJ both ways, 10 MB each way intact, tshark decodes the capture cleanly', { skip, timeout: 600_000 }, async (t) => {
  const x = await transfer(['local', 'noauth', 'name', 'isp', '10.0.0.1:10.0.0.2', 'noccp', 'noipv6'], {}, ['noauth'], '10.0.0.1');
  const { d, r, ours, onLink } = x;
  try {
    assertVj(x, '10.0.0.2', '10.0.0.1', '10.0.0.1');
    t.diagnostic(`pppstats in UML: ${JSON.stringify(x.stats)}`);
    // pppd's figures count IP before VJ compression and after decompression (ppp_generic
    // keeps its statistics on that side of slhc); dialtone's line counts the same way, so the
    // two agree crosswise; the capture has the PPP frames as they crossed the line.
    const theirs = linkBytes(r.log)!;
    t.diagnostic(`IP bytes as pppd counts them (uncompressed): sent ${theirs.sent}, received ${theirs.received}; dialtone's line: sent ${ours.sent}, received ${ours.received}; PPP bytes on the link: sent ${onLink.sent}, received ${onLink.received}; VJ saved ${(100 * (1 - onLink.received / theirs.sent)).toFixed(2)}% toward dialtone and ${(100 * (1 - onLink.sent / theirs.received)).toFixed(2)}% toward pppd`);
    assert.deepEqual({ sent: ours.sent, received: ours.received }, { sent: theirs.received, received: theirs.sent }, `dialtone's "Sent/received" equals pppd's crosswise\n${x.why}`);
    // tshark decodes both kinds of VJ packet, from both sides, with nothing malformed. TCP
    // sequence analysis is off: tshark 4.0 rebuilds SPECIAL_D packets (RFC 1144's bulk-data
    // encoding, which Linux's slhc sends too) 20 octets ahead, then warns about segments
    // "not captured"; its rebuilt TCP checksum is wrong where slhc's and ours are right.
    // (Resets are left out: the host's first connections arrive before socat listens in UML,
    // and pppd's kernel refuses them, in plain IP.) Only the protocols on this link are
    // dissected, without TCP reassembly: tshark's heuristic dissectors take the random payload
    // for Thrift and others, and reassembly trips over its own SPECIAL_D sequence numbers.
    const opts = ['--disable-protocol', 'ALL', '--enable-protocol', 'frame,ppp,lcp,ipcp,pap,chap,ccp,ipv6cp,vjc,ip,tcp,udp,icmp,data', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE'];
    // `!thrift`: tshark 4.0 still runs Thrift's heuristic on random TCP payload now and then.
    const problems = tshark(d.pcap, [...opts, '-Y', '(_ws.malformed || _ws.expert.severity >= warning) && !(tcp.flags.reset == 1 && ppp.protocol == 0x0021) && !thrift']);
    assert.equal(problems, '', `tshark problems:\n${problems.slice(0, 2000)}\n${tshark(d.pcap, [...opts, '-q', '-z', 'expert,warn']).slice(0, 2000)}`);
    const kinds = tshark(d.pcap, [...opts, '-Y', 'vjc', '-T', 'fields', '-e', 'frame.p2p_dir', '-e', 'ppp.protocol', '-e', 'tcp.srcport']);
    const count = (dir: string, proto: string) => kinds.split('\n').filter((l) => l.startsWith(`${dir}\t${proto}\t`)).length;
    for (const dir of ['0', '1']) {
      assert.ok(count(dir, '0x002d') > 5000, `tshark: VJ compressed TCP decoded, direction ${dir}`);
      assert.ok(count(dir, '0x002f') >= 1, `tshark: VJ uncompressed TCP decoded, direction ${dir}`);
    }
    assert.ok(!kinds.split('\n').some((l) => /^\d\t0x002[df]\t$/.test(l)), 'every VJ packet decoded to TCP');
  } finally {
    fs.rmSync(d.dir, { recursive: true, force: true });
  }
});
