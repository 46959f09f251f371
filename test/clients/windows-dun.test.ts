// A client that negotiates like Windows 2000 Dial-Up Networking, against the project's
// servers: the Session in process on a virtual clock, a real `dialtone pppd` process over
// TCP, and `dialtone isp` (IspServer) over TCP, with PAP, CHAP-MD5, MS-CHAP and MS-CHAPv2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, defaultSessionOptions, type SessionEvent, type SessionOptions } from '../../src/ppp/session.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { parseControl, emitControl, emitOptions, opt, u32 } from '../../src/ppp/packet.js';
import { describePacket } from '../../src/ppp/registry.js';
import { PROTO_CCP, PROTO_IPCP, PROTO_LCP } from '../../src/ppp/protocols.js';
import { parseIp4 } from '../../src/wire/ipv4.js';
import { seeded } from '../../src/ppp/testing/pair.js';
import { IspServer } from '../../src/isp/server.js';
import { defaultIspConfig, type IspConfig } from '../../src/isp/config.js';
import type { ChapDigest } from '../../src/ppp/auth/chap-digest.js';
import { msChapDigest, msChapV2Digest } from '../../src/ppp/auth/chap-ms.js';
import { CHAP_ALG, WindowsDunClient, driveSocket, type DunAuth, type DunEvent, type WindowsDunOptions } from './windows-dun.js';

const ip = (s: string) => parseIp4(s)!;
const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

/** The digests a test passes to the client for `method`. */
function digestsFor(method: DunAuth): Record<number, ChapDigest> {
  if (method === 'pap' || method === 'chap-md5') return {};
  return { [CHAP_ALG.mschap]: msChapDigest, [CHAP_ALG.mschapV2]: msChapV2Digest };
}

const METHODS: { method: DunAuth; server: Partial<SessionOptions>; pppd: string }[] = [
  { method: 'pap', server: { requirePap: true }, pppd: 'require-pap' },
  { method: 'chap-md5', server: { requireChap: true }, pppd: 'require-chap' },
  { method: 'mschap', server: { requireMschap: true }, pppd: 'require-mschap' },
  { method: 'mschap-v2', server: { requireMschapV2: true }, pppd: 'require-mschap-v2' },
];

// ---- in process, virtual clock ---------------------------------------------------------------

interface Server {
  s: Session;
  events: SessionEvent[];
  logs: string[];
  /** LCP/NCP/auth packets the server sent, decoded (from the tapped frames). */
  sent: { protocol: number; info: Buffer }[];
}

/**
 * Runs the client against a Session on a virtual clock (as src/ppp/testing/pair.ts's `run`),
 * until `stop` says so, both are quiet, or `untilMs` passes. Returns the client's events.
 */
function runVirtual(c: WindowsDunClient, srv: Server, opts: { stop?: (ev: DunEvent[]) => boolean; untilMs?: number } = {}): DunEvent[] {
  const events: DunEvent[] = [];
  let now = 0;
  srv.s.start(now);
  c.start(now);
  for (let steps = 0; steps < 100_000; steps++) {
    let moved = true;
    while (moved) {
      moved = false;
      for (const b of c.takeOutput()) {
        moved = true;
        srv.s.input(b, now);
      }
      for (const b of srv.s.takeOutput()) {
        moved = true;
        c.input(b, now);
      }
      events.push(...c.takeEvents());
      for (const ev of srv.s.takeEvents()) {
        srv.events.push(ev);
        if (ev.type === 'log') srv.logs.push(ev.msg);
        if (ev.type === 'frame' && ev.dir === 'out') srv.sent.push({ protocol: ev.protocol, info: ev.payload });
      }
    }
    if (opts.stop?.(events)) break;
    if (events.some((e) => e.type === 'dead') && srv.events.some((e) => e.type === 'dead')) break;
    const next = [c.nextDeadline(), srv.s.nextDeadline()].filter((x): x is number => x !== undefined);
    if (!next.length) break;
    now = Math.max(now, Math.min(...next));
    if (now > (opts.untilMs ?? 120_000)) break;
    c.tick(now);
    srv.s.tick(now);
  }
  return events;
}

function server(o: Partial<SessionOptions>): Server {
  const s = new Session(
    defaultSessionOptions({
      name: 'server',
      randomBytes: seeded('server'),
      localAddr: ip('10.0.0.1'),
      remoteAddr: ip('10.0.0.2'),
      msDns: [ip('10.0.0.53'), ip('10.0.0.54')],
      secrets: staticSecrets([{ client: 'win', server: '*', secret: 'wilma' }]),
      debug: true,
      tapFrames: true,
      ...o,
    }),
    0,
  );
  return { s, events: [], logs: [], sent: [] };
}

function client(o: Partial<WindowsDunOptions> = {}): WindowsDunClient {
  return new WindowsDunClient({ user: 'win', password: 'wilma', seed: 'win2000', machine: 'OFFICE-PC', ...o }, 0);
}

const ipUp = (ev: DunEvent[]) => ev.find((e): e is Extract<DunEvent, { type: 'ip-up' }> => e.type === 'ip-up');
const lcpSent = (srv: Server, code: number) => srv.sent.filter((f) => f.protocol === PROTO_LCP && parseControl(f.info)?.code === code);

for (const { method, server: serverOpts } of METHODS) {
  test(`in process: Windows DUN with ${method} against Session reaches IP-up with address and DNS`, async (t) => {
    const digests = digestsFor(method);
    const srv = server(serverOpts);
    const c = client({ digests });
    const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) && srv.events.some((x) => x.type === 'ip-up'), untilMs: 60_000 });
    const up = ipUp(ev);
    assert.ok(up, `no ip-up\nclient:\n${c.logs.join('\n')}\nserver:\n${srv.logs.join('\n')}`);
    assert.equal(up.local, ip('10.0.0.2'));
    assert.equal(up.remote, ip('10.0.0.1'));
    assert.deepEqual(up.dns, [ip('10.0.0.53'), ip('10.0.0.54')]);
    assert.deepEqual(up.wins, [0, 0], 'no WINS: the server rejects 130 and 132');
    assert.deepEqual(ev.find((e) => e.type === 'auth-ok'), { type: 'auth-ok', method }, `server asked: ${srv.logs.find((l) => l.startsWith('sent [LCP ConfReq'))}`);
    assert.deepEqual(ev.find((e) => e.type === 'lcp-up' && e.auth), ev.find((e) => e.type === 'lcp-up'));
    assert.equal((ev.find((e) => e.type === 'lcp-up') as { auth?: string }).auth, method);
    assert.equal(srv.s.peerName, 'win');
    // Nothing waited for a retransmission: every packet was taken the first time.
    const confReqs = (proto: number, f: { protocol: number; info: Buffer }[]) => f.filter((x) => x.protocol === proto && parseControl(x.info)?.code === 1).length;
    assert.equal(confReqs(PROTO_IPCP, srv.sent), 1, srv.logs.join('\n'));
    assert.equal(confReqs(PROTO_LCP, srv.sent), 1, srv.logs.join('\n'));
  });
}

test('in process: LCP: the server rejects exactly callback and MRRU, keeps the endpoint; prints them as pppd', () => {
  const srv = server({ requirePap: true });
  const c = client();
  const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) });
  assert.ok(ipUp(ev), c.logs.join('\n'));

  // The client's first request, byte for byte what Windows 2000 sends.
  const first = c.frames.find((f) => f.dir === 'out' && f.protocol === PROTO_LCP)!;
  const req = parseControl(first.info)!;
  assert.equal(req.code, 1);
  const types = [...iterOptions(req.data)].map((o) => o.type);
  assert.deepEqual(types, [2, 5, 7, 8, 13, 17, 19]);
  const endpoint = [...iterOptions(req.data)].find((o) => o.type === 19)!.value;
  assert.equal(endpoint.length, 21);
  assert.equal(endpoint[0], 1, 'class 1: locally assigned');

  // Server debug: pppd's printing, endpoint as epdisc_to_str (class 1: local: then hex octets joined by '.').
  const epText = `local:${[...endpoint.subarray(1)].map((b) => b.toString(16).padStart(2, '0')).join('.')}`;
  const rcvd = srv.logs.find((l) => l.startsWith('rcvd [LCP ConfReq id=0x1 '))!;
  assert.ok(rcvd, srv.logs.join('\n'));
  assert.match(rcvd, /^rcvd \[LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x[0-9a-f]+> <pcomp> <accomp> <callback CBCP> <mrru 1614> <endpoint \[local:([0-9a-f]{2}\.){19}[0-9a-f]{2}\]>\]$/);
  assert.ok(rcvd.endsWith(`<endpoint [${epText}]>]`), rcvd);

  // The Configure-Reject: callback and MRRU, not the endpoint (pppd 2.4.9 keeps it).
  const rejs = lcpSent(srv, 4);
  assert.equal(rejs.length, 1, srv.logs.join('\n'));
  assert.deepEqual([...iterOptions(parseControl(rejs[0]!.info)!.data)].map((o) => o.type), [13, 17]);
  assert.ok(srv.logs.some((l) => /^sent \[LCP ConfRej id=0x1 <callback CBCP> <mrru 1614>\]$/.test(l)), srv.logs.join('\n'));
  assert.deepEqual(c.lcp.rejectedByPeer, [13, 17]);

  // The retry: the same request without them, and the server acks it.
  const second = c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_LCP && parseControl(f.info)!.code === 1)[1]!;
  assert.deepEqual([...iterOptions(parseControl(second.info)!.data)].map((o) => o.type), [2, 5, 7, 8, 19]);
  assert.ok(srv.logs.some((l) => /^sent \[LCP ConfAck id=0x2 <asyncmap 0x0> <magic 0x[0-9a-f]+> <pcomp> <accomp> <endpoint \[local:/.test(l)), srv.logs.join('\n'));
});

test('in process: Ident packets are taken (identRcvd), never Code-Rejected', () => {
  const srv = server({ requireChap: true });
  const c = client();
  const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) });
  assert.ok(ipUp(ev), c.logs.join('\n'));
  const idents = c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_LCP && parseControl(f.info)!.code === 12);
  assert.equal(idents.length, 2);
  assert.equal(srv.s.lcp.stats.identRcvd, 2);
  assert.equal(lcpSent(srv, 7).length, 0, 'no Code-Reject');
  const magic = c.lcp.go.magic!;
  assert.ok(srv.logs.includes(`rcvd [LCP Ident id=0x${parseControl(idents[0]!.info)!.id.toString(16)} magic=0x${magic.toString(16)} "MSRASV5.00"]`), srv.logs.join('\n'));
  assert.ok(srv.logs.some((l) => /^rcvd \[LCP Ident id=0x[0-9a-f]+ magic=0x[0-9a-f]+ "MSRAS-0-OFFICE-PC"\]$/.test(l)));
});

test('in process: the server runs CCP and rejects MPPE (it offers Deflate/BSD-Compress); the client carries on without compression', () => {
  const srv = server({ requirePap: true });
  const c = client();
  const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) });
  assert.ok(ipUp(ev), c.logs.join('\n'));
  const ccpReq = c.frames.find((f) => f.dir === 'out' && f.protocol === PROTO_CCP)!;
  assert.equal(describePacket(PROTO_CCP, ccpReq.info), '[CCP ConfReq id=0x1 <mppe +H -M -S -L -D +C>]');
  assert.deepEqual(ccpReq.info.subarray(4), Buffer.from([18, 6, 1, 0, 0, 1]));
  assert.equal(lcpSent(srv, 8).length, 0, 'no Protocol-Reject: the server runs CCP');
  assert.ok(srv.logs.includes('sent [CCP ConfRej id=0x1 <mppe +H -M -S -L -D +C>]'), srv.logs.join('\n'));
  assert.deepEqual(ev.find((e) => e.type === 'ccp-down'), { type: 'ccp-down', reason: 'server rejected MPPE' });
  // The client's IPCP: exactly Windows's request first, then the Reject of WINS, the Naks, the Ack.
  const ipcpOut = c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_IPCP).map((f) => describePacket(PROTO_IPCP, f.info));
  assert.equal(ipcpOut[0], '[IPCP ConfReq id=0x1 <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-wins 0.0.0.0> <ms-dns2 0.0.0.0> <ms-wins 0.0.0.0>]');
  assert.ok(srv.logs.includes('sent [IPCP ConfRej id=0x1 <ms-wins 0.0.0.0> <ms-wins 0.0.0.0>]'), srv.logs.join('\n'));
  assert.ok(srv.logs.includes('sent [IPCP ConfNak id=0x2 <addr 10.0.0.2> <ms-dns1 10.0.0.53> <ms-dns2 10.0.0.54>]'), srv.logs.join('\n'));
  assert.ok(srv.logs.includes('sent [IPCP ConfAck id=0x3 <addr 10.0.0.2> <ms-dns1 10.0.0.53> <ms-dns2 10.0.0.54>]'), srv.logs.join('\n'));
});

test('in process: with ms-wins the server answers 130/132 with Naks and the client takes them', () => {
  const srv = server({ requirePap: true, msWins: [ip('10.0.0.60'), ip('10.0.0.61')] });
  const c = client();
  const up = ipUp(runVirtual(c, srv, { stop: (e) => !!ipUp(e) }));
  assert.ok(up, c.logs.join('\n'));
  assert.deepEqual(up.wins, [ip('10.0.0.60'), ip('10.0.0.61')]);
});

test('in process: Windows 95 VJ request <compress VJ 0f 01> is rejected by the server and dropped', () => {
  const srv = server({ requirePap: true });
  const c = client({ vj: true });
  const up = ipUp(runVirtual(c, srv, { stop: (e) => !!ipUp(e) }));
  assert.ok(up, c.logs.join('\n'));
  const first = c.frames.find((f) => f.dir === 'out' && f.protocol === PROTO_IPCP)!;
  assert.match(describePacket(PROTO_IPCP, first.info), /^\[IPCP ConfReq id=0x1 <compress VJ 0f 01> <addr 0\.0\.0\.0>/);
  assert.ok(srv.logs.includes('sent [IPCP ConfRej id=0x1 <compress VJ 0f 01> <ms-wins 0.0.0.0> <ms-wins 0.0.0.0>]'), srv.logs.join('\n'));
  assert.deepEqual(c.ipcp.rejectedByPeer, [2, 130, 132]);
  assert.equal(up.local, ip('10.0.0.2'));
});

test('in process: the client Naks an auth protocol it does not allow with its preference', () => {
  // The server asks CHAP-MD5 first (pppd order) when `auth` allows both; the client only takes PAP.
  const srv = server({ auth: true });
  const c = client({ auth: ['pap'] });
  const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) });
  assert.ok(ipUp(ev), c.logs.join('\n'));
  assert.ok(c.logs.some((l) => l === 'sent [LCP ConfNak id=0x1 <auth pap>]'), c.logs.join('\n'));
  assert.deepEqual(ev.find((e) => e.type === 'auth-ok'), { type: 'auth-ok', method: 'pap' });
});

test('in process: a wrong password: auth-fail, then the link ends', () => {
  const srv = server({ requireChap: true });
  const c = client({ password: 'nope' });
  const ev = runVirtual(c, srv);
  assert.deepEqual(ev.find((e) => e.type === 'auth-fail'), { type: 'auth-fail', method: 'chap-md5' });
  assert.ok(ev.some((e) => e.type === 'dead'));
  assert.ok(!ipUp(ev));
});

test('client alone: CCP Configure-Reject and Nak end CCP gracefully, IPCP goes on', () => {
  // A scripted server: acks LCP, no auth, rejects (or naks) MPPE, assigns addresses.
  for (const answer of ['rej', 'nak'] as const) {
    const c = client();
    c.start(0);
    const out = () => c.takeOutput().map((b) => b);
    const frames = () => c.frames.filter((f) => f.dir === 'out');
    out();
    const lcpReq = parseControl(frames().at(-1)!.info)!;
    // Server: Ack theirs, send ours (magic only).
    const feed = (proto: number, pkt: Buffer) => c.input(c.link.encode(proto, pkt), 0);
    // Use a fresh encoder-free path: the client's own link encodes with default ACCM, fine for input.
    feed(PROTO_LCP, emitControl(2, lcpReq.id, lcpReq.data));
    feed(PROTO_LCP, emitControl(1, 1, emitOptions([opt(5, u32(0x12345678))])));
    const ccp = c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_CCP).at(-1)!;
    const ccpReq = parseControl(ccp.info)!;
    feed(PROTO_CCP, emitControl(answer === 'rej' ? 4 : 3, ccpReq.id, answer === 'rej' ? ccpReq.data : emitOptions([opt(18, [0, 0, 0, 0x40])])));
    const ev = c.takeEvents();
    assert.ok(ev.some((e) => e.type === 'ccp-down'), `${answer}: ${c.logs.join('\n')}`);
    // CCP closes (Terminate-Request); the server's Terminate-Ack leaves it Closed.
    const term = parseControl(c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_CCP).at(-1)!.info)!;
    assert.equal(term.code, 5, answer);
    feed(PROTO_CCP, emitControl(6, term.id));
    assert.equal(c.ccpFsm.state, 2 /* Closed */, answer);
    // IPCP is still negotiating, and finishes.
    const ipcpReq = parseControl(c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_IPCP).at(-1)!.info)!;
    feed(PROTO_IPCP, emitControl(4, ipcpReq.id, emitOptions([opt(130, u32(0)), opt(132, u32(0))])));
    const ipcp2 = parseControl(c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_IPCP).at(-1)!.info)!;
    feed(PROTO_IPCP, emitControl(3, ipcp2.id, emitOptions([opt(3, u32(ip('192.168.7.9'))), opt(129, u32(ip('1.1.1.1'))), opt(131, u32(ip('8.8.8.8')))])));
    const ipcp3 = parseControl(c.frames.filter((f) => f.dir === 'out' && f.protocol === PROTO_IPCP).at(-1)!.info)!;
    feed(PROTO_IPCP, emitControl(2, ipcp3.id, ipcp3.data));
    feed(PROTO_IPCP, emitControl(1, 1, emitOptions([opt(3, u32(ip('192.168.7.1')))])));
    const up = ipUp(c.takeEvents());
    assert.deepEqual(up, { type: 'ip-up', local: ip('192.168.7.9'), remote: ip('192.168.7.1'), dns: [ip('1.1.1.1'), ip('8.8.8.8')], wins: [0, 0] });
  }
});

test('in process: LCP echo from the server (lcp-echo-interval 1) is answered; the link stays up', () => {
  const srv = server({ requirePap: true, lcpEchoInterval: 1, lcpEchoFailure: 2 });
  const c = client();
  const ev = runVirtual(c, srv, { untilMs: 10_000 });
  assert.ok(ipUp(ev), c.logs.join('\n'));
  assert.ok(!ev.some((e) => e.type === 'dead'), c.logs.join('\n'));
  assert.ok(srv.s.lcp.stats.echoRepliesRcvd >= 8, `echo replies: ${srv.s.lcp.stats.echoRepliesRcvd}`);
});

// pppd's require-mschap(-v2)/require-eap imply `auth`: a server that requires them never
// lets an unauthenticated peer on (a bug found by this client, when the methods were not
// yet registered: the session failed open).
for (const o of [{ requireMschap: true }, { requireMschapV2: true }, { requireEap: true }] as Partial<SessionOptions>[]) {
  test(`in process: a server with ${Object.keys(o)[0]} never brings IP up for an unauthenticated peer`, () => {
    const srv = server(o);
    const c = client({ password: 'not-the-secret', auth: ['pap', 'chap-md5'] });
    const ev = runVirtual(c, srv, { stop: (e) => !!ipUp(e) || e.some((x) => x.type === 'dead'), untilMs: 30_000 });
    const serverLcpReq = srv.logs.find((l) => l.startsWith('sent [LCP ConfReq'));
    assert.ok(!ipUp(ev), `IP came up without authentication; server asked: ${serverLcpReq}`);
    assert.ok(!srv.events.some((e) => e.type === 'ip-up'));
  });
}

function* iterOptions(d: Buffer) {
  for (let i = 0; i + 2 <= d.length && d[i + 1]! >= 2; i += d[i + 1]!) yield { type: d[i]!, value: d.subarray(i + 2, i + d[i + 1]!) };
}

// ---- real processes and sockets ------------------------------------------------------------

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Resolves when `re` matches the text `read()` returns; checks on every chunk of child output. */
function waitForText(read: () => string, re: RegExp, child: ReturnType<typeof spawn>, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(read());
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${re}:\n${read()}`));
    }, ms);
    const onExit = () => {
      check();
      cleanup();
      reject(new Error(`pppd exited before ${re}:\n${read()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', onExit);
    check();
  });
}

async function withPppd(method: (typeof METHODS)[number], t: { skip(msg: string): void; diagnostic(msg: string): void }) {
  const digests = digestsFor(method.method);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-windows-dun-'));
  const secret = 'win server wilma *\n';
  fs.writeFileSync(path.join(dir, 'pap-secrets'), secret, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'chap-secrets'), secret, { mode: 0o600 });
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'pppd', `tcp-listen:127.0.0.1:${port}`, 'auth', method.pppd, 'name', 'server', '10.0.0.1:10.0.0.2', 'ms-dns', '10.0.0.53', 'nodetach', 'debug'], {
    env: { ...process.env, DIALTONE_PPP_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let sock: net.Socket | undefined;
  try {
    // "Waiting for a connection" is logged before the socket listens; "Listening on" after.
    await waitForText(() => out, /Listening on 127\.0\.0\.1:\d+/, child, 15_000);
    sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => sock!.once('connect', r).once('error', j));
    sock.setNoDelay(true);
    const c = client({ digests, auth: [method.method] });
    const d = driveSocket(c, sock);
    const t0 = Date.now();
    d.start();
    const up = await d.waitFor('ip-up', 20_000);
    t.diagnostic(`connected to ip-up in ${Date.now() - t0} ms`);
    assert.equal(up.local, ip('10.0.0.2'));
    assert.equal(up.remote, ip('10.0.0.1'));
    assert.deepEqual(up.dns, [ip('10.0.0.53'), ip('10.0.0.53')], 'pppd hands the one ms-dns out as both');
    assert.deepEqual((await d.waitFor('auth-ok')).method, method.method);
    assert.deepEqual((await d.waitFor('ccp-down')).reason, 'server rejected MPPE');
    // The server's own account of the exchange, in pppd's words.
    await waitForText(() => out, /remote IP address 10\.0\.0\.2/, child, 10_000);
    assert.match(out, /rcvd \[LCP ConfReq id=0x1 <asyncmap 0x0> <magic 0x[0-9a-f]+> <pcomp> <accomp> <callback CBCP> <mrru 1614> <endpoint \[local:([0-9a-f]{2}\.){19}[0-9a-f]{2}\]>\]/);
    assert.match(out, /sent \[LCP ConfRej id=0x1 <callback CBCP> <mrru 1614>\]/);
    assert.match(out, /rcvd \[LCP Ident id=0x[0-9a-f]+ magic=0x[0-9a-f]+ "MSRASV5\.00"\]/);
    assert.doesNotMatch(out, /CodeRej/);
    // Hang up like Windows: LCP Terminate-Request; pppd says goodbye and exits.
    d.close();
    await d.waitFor('dead', 15_000);
    t.diagnostic(`hung up after ${Date.now() - t0} ms`);
    return { out, client: c };
  } finally {
    sock?.destroy();
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const m of METHODS) {
  test(`dialtone pppd (a real process, tcp-listen) with ${m.pppd}: Windows DUN reaches IP-up`, { timeout: 60_000 }, async (t) => {
    await withPppd(m, t);
  });
}

// ---- dialtone isp ---------------------------------------------------------------------------

const ISP_METHODS: { method: DunAuth; auth: IspConfig['auth'] }[] = [
  { method: 'pap', auth: 'pap' },
  { method: 'chap-md5', auth: 'chap' },
  // `auth any` asks for every method the server has (pppd's order); the client Naks towards MS-CHAP.
  { method: 'mschap', auth: 'any' },
  { method: 'mschap-v2', auth: 'any' },
];

for (const { method, auth } of ISP_METHODS) {
  test(`dialtone isp (auth ${auth}): Windows DUN with ${method} gets a pool address and DNS 10.0.2.3`, { timeout: 60_000 }, async (t) => {
    const digests = digestsFor(method);
    const config: IspConfig = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0, auth };
    const logs: string[] = [];
    const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'win', server: '*', secret: 'wilma' }]), log: (m) => logs.push(m) });
    await isp.start();
    const sock = net.connect(isp.addresses.ppp!.port, '127.0.0.1');
    try {
      await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
      const c = client({ digests, auth: [method] });
      const d = driveSocket(c, sock);
      d.start();
      const up = await d.waitFor('ip-up', 20_000);
      assert.ok(up.local >= ip('10.0.2.15') && up.local <= ip('10.0.2.254'), `pool address, got ${up.local}`);
      assert.equal(up.remote, ip('10.0.2.2'));
      assert.deepEqual(up.dns, [ip('10.0.2.3'), ip('10.0.2.3')], 'one dns: handed out as primary and secondary');
      assert.equal((await d.waitFor('auth-ok')).method, method);
      const sessions = (isp.status() as { sessions: { user?: string }[] }).sessions;
      assert.equal(sessions[0]?.user, 'win', logs.join('\n'));
      d.close();
      await d.waitFor('dead', 15_000);
    } finally {
      sock.destroy();
      await isp.stop();
    }
  });
}

test('dialtone isp --config (examples/isp.conf, auth any): Windows DUN with its default preferences gets in with CHAP-MD5', { timeout: 60_000 }, async (t) => {
  // The shipped example, with the listeners moved to free ports and the side files to a temp dir.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-windows-isp-'));
  const example = fs.readFileSync(path.resolve(path.dirname(bin), '../examples/isp.conf'), 'utf8');
  const conf = example
    .replace(/^listen-ppp .*$/m, 'listen-ppp 127.0.0.1:0')
    .replace(/^listen-modem .*$/m, 'listen-modem off')
    .replace(/^status .*$/m, 'status off')
    .replace(/^lcp-echo-interval .*$/m, 'lcp-echo-interval 0')
    .replace(/^accounting .*$/m, `accounting ${path.join(dir, 'accounting.jsonl')}`);
  assert.match(conf, /^auth any$/m);
  fs.writeFileSync(path.join(dir, 'isp.conf'), conf);
  const child = spawn(process.execPath, [bin, 'isp', '--config', path.join(dir, 'isp.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const sock = new net.Socket();
  try {
    const port = Number((await waitForText(() => out, /raw PPP on 127\.0\.0\.1:(\d+)/, child, 15_000))[1]);
    sock.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
    // Windows' defaults: MS-CHAPv2, MS-CHAP, CHAP-MD5, PAP; without the MS digests it offers the last two.
    const digests = (digestsFor('mschap-v2')) ?? {};
    const c = new WindowsDunClient({ user: 'demo', password: 'dialtone', seed: 'win98', vj: true, digests }, 0);
    const d = driveSocket(c, sock);
    d.start();
    const up = await d.waitFor('ip-up', 20_000);
    const auth = await d.waitFor('auth-ok');
    t.diagnostic(`authenticated with ${auth.method}`);
    assert.equal(auth.method, Object.keys(digests).length ? 'mschap-v2' : 'chap-md5');
    assert.ok(up.local >= ip('10.0.2.15') && up.local <= ip('10.0.2.254'));
    assert.deepEqual(up.dns, [ip('10.0.2.3'), ip('10.0.2.3')]);
    d.close();
    await d.waitFor('dead', 15_000);
  } finally {
    sock.destroy();
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
