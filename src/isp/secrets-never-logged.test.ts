/**
 * Secrets are never logged: every authentication method (PAP, CHAP-MD5, MS-CHAP,
 * MS-CHAPv2, EAP-MD5), success and failure, with debug on and pcap on and off, through
 * (a) two in-memory sessions, (b) `dialtone pppd` processes with secrets files and
 * `debug logfile`, and (c) `dialtone isp` with its status JSON and accounting file. Every
 * log line, the status output, the accounting records and the log files are searched for
 * each secret and wrong password used: as text, hex and base64, as UTF-16LE (what
 * MS-CHAP hashes) and as the NT hash. Pcap files are searched too, except for PAP, whose
 * password is on the wire by design (RFC 1334).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticSecrets } from '../ppp/secrets.js';
import { EXIT } from '../ppp/exit-codes.js';
import { md4 } from '../ppp/auth/md4.js';
import { end, run, ip, ipUp, deadStatus } from '../ppp/testing/pair.js';
import { PppLink } from '../runtime/link.js';
import { waitUntil } from '../runtime/wait-until.js';
import type { SessionOptions } from '../ppp/session-options.js';
import { freePort } from '../runtime/free-port.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');

type Method = 'pap' | 'chap' | 'mschap' | 'mschap-v2' | 'eap';
const METHODS: { m: Method; opt: keyof SessionOptions; flag: string; secret: string; wrong: string }[] = [
  { m: 'pap', opt: 'requirePap', flag: 'require-pap', secret: 's3cr3t-PAP-xyzzy', wrong: 'wr0ng-PAP-plover' },
  { m: 'chap', opt: 'requireChap', flag: 'require-chap', secret: 's3cr3t-CHAP-plugh', wrong: 'wr0ng-CHAP-yoho' },
  { m: 'mschap', opt: 'requireMschap', flag: 'require-mschap', secret: 's3cr3t-MSCHAP-frotz', wrong: 'wr0ng-MSCHAP-blorb' },
  { m: 'mschap-v2', opt: 'requireMschapV2', flag: 'require-mschap-v2', secret: 's3cr3t-MSCHAPv2-gnusto', wrong: 'wr0ng-MSCHAPv2-rezrov' },
  { m: 'eap', opt: 'requireEap', flag: 'require-eap', secret: 's3cr3t-EAP-md5-frobozz', wrong: 'wr0ng-EAP-zorkmid' },
];
const ALL_SECRETS = METHODS.flatMap((x) => [x.secret, x.wrong]);

/** The forms a secret could leak in, as strings to look for in text (hex case-insensitively). */
function textForms(secret: string): { form: string; needle: string }[] {
  const utf8 = Buffer.from(secret, 'utf8');
  const utf16 = Buffer.from(secret, 'utf16le');
  const nt = md4(utf16);
  return [
    { form: 'text', needle: secret },
    { form: 'hex', needle: utf8.toString('hex') },
    { form: 'base64', needle: utf8.toString('base64') },
    { form: 'base64url', needle: utf8.toString('base64url') },
    { form: 'utf16le hex', needle: utf16.toString('hex') },
    { form: 'utf16le base64', needle: utf16.toString('base64') },
    { form: 'NT hash hex', needle: nt.toString('hex') },
    { form: 'NT hash base64', needle: nt.toString('base64') },
  ];
}

/** The forms a secret could leak in, as bytes to look for in binary output (pcap files, frames). */
function byteForms(secret: string): { form: string; needle: Buffer }[] {
  const utf16 = Buffer.from(secret, 'utf16le');
  return [
    { form: 'bytes', needle: Buffer.from(secret) },
    { form: 'utf16le bytes', needle: utf16 },
    { form: 'NT hash bytes', needle: md4(utf16) },
    ...textForms(secret).map((f) => ({ form: f.form, needle: Buffer.from(f.needle) })),
  ];
}

/** Fails naming where, which secret and which form; `checked` counts the haystacks. */
function assertNoSecrets(where: string, hay: string | Buffer, secrets: string[] = ALL_SECRETS): void {
  if (typeof hay === 'string') {
    const lower = hay.toLowerCase();
    for (const s of secrets) {
      for (const { form, needle } of textForms(s)) {
        const found = form.includes('hex') ? lower.includes(needle.toLowerCase()) : hay.includes(needle);
        assert.ok(!found, `${where}: secret ${s} appears (${form})`);
      }
    }
    return;
  }
  for (const s of secrets) {
    for (const { form, needle } of byteForms(s)) assert.ok(!hay.includes(needle), `${where}: secret ${s} appears in bytes (${form})`);
  }
}

const secretsBut = (_m: 'pap') => ALL_SECRETS.filter((s) => !s.includes('PAP-'));

test('the search finds a secret in every form it looks for', () => {
  const s = 's3cr3t-CHAP-plugh';
  for (const { form, needle } of textForms(s)) {
    assert.throws(() => assertNoSecrets('control', `log line ${form.includes('hex') ? needle.toUpperCase() : needle} end`), new RegExp(`\\(${form.replace(/[()]/g, '.')}\\)|appears`));
  }
  for (const { needle } of byteForms(s)) assert.throws(() => assertNoSecrets('control', Buffer.concat([Buffer.from([0, 1]), needle])));
  assert.doesNotThrow(() => assertNoSecrets('control', 'sent [CHAP Response id=0x1 <0ceb6f>, name = "fred"]'));
});

// ---------------------------------------------------------------------------------------
// (a) two in-memory sessions
// ---------------------------------------------------------------------------------------

test('(a) in-memory sessions: no secret in any event, log or captured frame, for every method, success and failure, debug on, pcap tap on and off', () => {
  let checked = 0;
  for (const x of METHODS) {
    for (const ok of [true, false]) {
      for (const tap of [false, true]) {
        const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets: staticSecrets([{ client: 'fred', server: '*', secret: x.secret }]), [x.opt]: true, debug: true, tapFrames: tap });
        const b = end('client', { user: 'fred', password: ok ? x.secret : x.wrong, debug: true, tapFrames: tap });
        run(a, b, { stop: () => (!!ipUp(a) && !!ipUp(b)) || deadStatus(a) !== undefined });
        const what = `${x.m} ${ok ? 'success' : 'failure'}${tap ? ' +pcap' : ''}`;
        if (ok) assert.ok(ipUp(a) && ipUp(b), `${what}:\n${a.logs.join('\n')}`);
        else assert.equal(deadStatus(a), EXIT.PEER_AUTH_FAILED, `${what}:\n${a.logs.join('\n')}`);
        assert.ok(a.logs.length > 5 && b.logs.length > 5, 'debug logging is on');
        for (const e of [a, b]) {
          const { s, events } = e;
          const text = JSON.stringify(events.map((ev) => (ev.type === 'frame' || ev.type === 'ip' ? { ...ev, payload: undefined, packet: undefined } : ev)));
          assertNoSecrets(`${what}: ${s.options.name}'s events`, text);
          // Frames are what a pcap file records: PAP's password is on the wire by design.
          const frames = events.flatMap((ev) => (ev.type === 'frame' ? [ev.payload] : []));
          if (tap) assert.ok(frames.length > 0);
          for (const f of frames) assertNoSecrets(`${what}: ${s.options.name}'s frames`, f, x.m === 'pap' ? secretsBut('pap') : ALL_SECRETS);
          // The control: PAP's password is in the frames, so the search does find secrets.
          // (The client's frames; the server's tap copies what it received, see the test below.)
          if (tap && x.m === 'pap' && e === b) assert.ok(frames.some((f) => f.includes(Buffer.from(ok ? x.secret : x.wrong))));
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 40);
});

test('a PAP server\'s capture of the Authenticate-Request shows the password as it was on the wire', () => {
  const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'pw' }]), requirePap: true, tapFrames: true });
  const b = end('client', { user: 'fred', password: 'pw', tapFrames: true });
  run(a, b, { stop: () => (!!ipUp(a) && !!ipUp(b)) || deadStatus(a) !== undefined });
  const papIn = a.events.find((ev) => ev.type === 'frame' && ev.dir === 'in' && ev.protocol === 0xc023);
  assert.ok(papIn && papIn.type === 'frame');
  assert.equal(papIn.payload.toString('hex'), '0101000c0466726564027077'); // id 1, user "fred", password "pw"
});

// ---------------------------------------------------------------------------------------
// (b) dialtone pppd processes
// ---------------------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
  log: string;
}

function pppd(dir: string, args: string[]): Proc {
  const log = path.join(dir, 'log');
  const env = { ...process.env, DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, DIALTONE_LOCK_DIR: dir, HOME: dir };
  const child = spawn(process.execPath, [bin, 'pppd', ...args, 'debug', 'nodetach', 'logfile', log], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<number | null>((r) => child.on('close', (code) => {
    clearTimeout(killer);
    r(code);
  }));
  return { child, out: () => out, exit, log };
}

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

async function waitLog(p: Proc, rx: RegExp): Promise<boolean> {
  await waitUntil(() => rx.test(read(p.log)) || p.child.exitCode !== null, 120_000, `${rx} in ${p.log}`).catch(() => undefined);
  return rx.test(read(p.log));
}

/** One server and one client; the client's secret from its chap-secrets/pap-secrets file or `password`. */
async function pppdPair(x: (typeof METHODS)[number], ok: boolean, pcap: boolean, passwordOnCommandLine: boolean) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `dialtone-secrets-${x.m}-`));
  const sdir = path.join(root, 'server');
  const cdir = path.join(root, 'client');
  fs.mkdirSync(sdir);
  fs.mkdirSync(cdir);
  const file = x.m === 'pap' ? 'pap-secrets' : 'chap-secrets';
  fs.writeFileSync(path.join(sdir, file), `# the server's secrets\nfred server "${x.secret}" *\n`, { mode: 0o600 });
  const clientSecret = ok ? x.secret : x.wrong;
  if (!passwordOnCommandLine) fs.writeFileSync(path.join(cdir, file), `fred server "${clientSecret}"\n`, { mode: 0o600 });
  const port = await freePort();
  const server = pppd(sdir, [`tcp-listen:127.0.0.1:${port}`, 'auth', x.flag, 'name', 'server', '10.0.0.1:10.0.0.2', ...(pcap ? ['pcap', path.join(sdir, 'link.pcap')] : [])]);
  await waitLog(server, /Waiting for a connection/);
  const client = pppd(cdir, [`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'remotename', 'server', 'connect-delay', '0', ...(passwordOnCommandLine ? ['password', clientSecret] : []), ...(pcap ? ['pcap', path.join(cdir, 'link.pcap')] : [])]);
  if (ok) {
    const up = (await waitLog(server, /local {2}IP address/)) && (await waitLog(client, /local {2}IP address/));
    client.child.kill('SIGTERM');
    await client.exit;
    server.child.kill('SIGTERM');
    await server.exit;
    assert.ok(up, `${x.m}: not up\nserver:\n${read(server.log)}\nclient:\n${read(client.log)}`);
  } else {
    const [sc, cc] = await Promise.all([server.exit, client.exit]);
    assert.equal(sc, EXIT.PEER_AUTH_FAILED, `${x.m} server:\n${read(server.log)}`);
    assert.equal(cc, EXIT.AUTH_TOPEER_FAILED, `${x.m} client:\n${read(client.log)}`);
  }
  return { root, server, client, sdir, cdir };
}

test('(b) dialtone pppd processes: no secret in debug logfiles or output, for every method, success and failure, pcap on and off', { timeout: 600_000 }, async (t) => {
  for (const x of METHODS) {
    // Two pairs at a time: success (pcap on, client secret from its secrets file) and
    // failure (pcap off, wrong password on the command line); then the other way round.
    for (const variant of [0, 1]) {
      const runs = await Promise.all([true, false].map((ok) => pppdPair(x, ok, ok === (variant === 0), ok !== (variant === 0))));
      for (const r of runs) {
        for (const p of [r.server, r.client]) {
          const log = read(p.log);
          assert.match(log, /sent \[LCP ConfReq/, 'debug logging is on');
          assert.match(log, x.m === 'pap' ? /\[PAP AuthReq|\[PAP Auth/ : x.m === 'eap' ? /\[EAP/ : /\[CHAP/);
          assertNoSecrets(`${x.m} ${p.log}`, log);
          assertNoSecrets(`${x.m} ${p.log} stdout/stderr`, p.out());
        }
        for (const d of [r.sdir, r.cdir]) {
          for (const f of fs.readdirSync(d)) {
            const full = path.join(d, f);
            if (/secrets$/.test(f) || !fs.statSync(full).isFile()) continue;
            if (f.endsWith('.pcap')) {
              const bytes = fs.readFileSync(full);
              assert.ok(bytes.length > 24, `${full} has packets`);
              assertNoSecrets(`${x.m} ${full}`, bytes, x.m === 'pap' ? secretsBut('pap') : ALL_SECRETS);
              // The control: a PAP capture holds the password, so the search does find secrets.
              if (x.m === 'pap' && d === r.cdir) assert.ok(bytes.includes(Buffer.from(x.secret)) || bytes.includes(Buffer.from(x.wrong)), `${full} holds the PAP password`);
            } else {
              assertNoSecrets(`${x.m} ${full}`, fs.readFileSync(full, 'utf8'));
            }
          }
        }
        fs.rmSync(r.root, { recursive: true, force: true });
      }
    }
    t.diagnostic(`${x.m}: 4 pairs (success/failure × pcap on/off × secrets file/command line) clean`);
  }
});

// ---------------------------------------------------------------------------------------
// (c) dialtone isp
// ---------------------------------------------------------------------------------------

function startIsp(dir: string, auth: 'pap' | 'any', extra = ''): Promise<{ child: ChildProcess; out: () => string; ppp: number; status: number; exit: Promise<number | null> }> {
  const conf = path.join(dir, 'isp.conf');
  fs.writeFileSync(conf, [
    'listen-ppp 127.0.0.1:0', 'listen-modem off', 'status 127.0.0.1:0', `auth ${auth}`, `secrets-dir ${dir}`,
    `accounting ${path.join(dir, 'accounting.jsonl')}`, 'lcp-echo-interval 0', 'debug yes', extra, '',
  ].join('\n'));
  const child = spawn(process.execPath, [bin, 'isp', '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('close', r));
  return new Promise((resolve, reject) => {
    const check = () => {
      const p = /raw PPP on 127\.0\.0\.1:(\d+)/.exec(out);
      const s = /status: http:\/\/127\.0\.0\.1:(\d+)\/status/.exec(out);
      if (p && s) {
        child.stdout!.off('data', check);
        resolve({ child, out: () => out, ppp: Number(p[1]), status: Number(s[1]), exit });
      }
    };
    child.stdout!.on('data', check);
    child.on('close', () => reject(new Error(`dialtone isp exited:\n${out}`)));
  });
}

/** A PppLink client; resolves with its exit status once the link is up and closed, or failed. */
async function dialIsp(port: number, user: string, password: string, o: Partial<SessionOptions>, statusPort: number, statuses: string[]): Promise<number> {
  const link = new PppLink(net.connect(port, '127.0.0.1'), { user, password, debug: true, ...o });
  const logs: string[] = [];
  link.on('log', (_l, m) => logs.push(m));
  const up = await new Promise<boolean>((resolve) => {
    link.on('ip-up', () => resolve(true));
    void link.done.then(() => resolve(false));
  });
  if (up) {
    const res = await fetch(`http://127.0.0.1:${statusPort}/status`);
    statuses.push(await res.text());
    link.close();
  }
  const status = await link.done;
  assertNoSecrets(`client ${user} log`, logs.join('\n'));
  return status;
}

test('(c) dialtone isp: no secret in its output, status JSON or accounting, for every method, success and failure', { timeout: 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-secrets-isp-'));
  // One user per method, each with its own secret, in both secrets files.
  const users = METHODS.map((x) => ({ ...x, user: `user-${x.m}` }));
  const lines = users.map((u) => `${u.user} * "${u.secret}" *`).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'pap-secrets'), lines, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'chap-secrets'), lines, { mode: 0o600 });
  const statuses: string[] = [];
  // auth any: the server asks for EAP first; clients refusing methods steer it (pppd's order).
  const steer: Record<Method, Partial<SessionOptions>> = {
    pap: {},
    eap: {},
    chap: { refuseEap: true },
    'mschap-v2': { refuseEap: true, refuseChap: true },
    mschap: { refuseEap: true, refuseChap: true, refuseMschapV2: true },
  };
  const anyIsp = await startIsp(dir, 'any');
  const papDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-secrets-isp-pap-'));
  fs.copyFileSync(path.join(dir, 'pap-secrets'), path.join(papDir, 'pap-secrets'));
  fs.copyFileSync(path.join(dir, 'chap-secrets'), path.join(papDir, 'chap-secrets'));
  const papIsp = await startIsp(papDir, 'pap');
  try {
    const results: string[] = [];
    for (const u of users) {
      const isp = u.m === 'pap' ? papIsp : anyIsp;
      const good = await dialIsp(isp.ppp, u.user, u.secret, steer[u.m], isp.status, statuses);
      const bad = await dialIsp(isp.ppp, u.user, u.wrong, steer[u.m], isp.status, statuses);
      results.push(`${u.m}: ${good}/${bad}`);
      assert.equal(good, EXIT.USER_REQUEST, `${u.m} with the right secret`);
      assert.equal(bad, EXIT.AUTH_TOPEER_FAILED, `${u.m} with a wrong secret`);
    }
    // Every method was really used.
    const anyOut = anyIsp.out();
    for (const m of ['EAP', 'CHAP']) assert.match(anyOut, new RegExp(`\\[${m} `), `isp debug log shows ${m}`);
    for (const rx of [/<auth chap MD5>/, /<auth chap MS-v2>/, /<auth chap MS>/, /<auth eap>/]) assert.match(anyOut, rx);
    assert.match(papIsp.out(), /\[PAP /);
    t.diagnostic(results.join(', '));
  } finally {
    for (const isp of [anyIsp, papIsp]) {
      isp.child.kill('SIGTERM');
      await isp.exit;
    }
  }
  assert.equal(statuses.length, 5);
  for (const s of statuses) {
    assert.ok(JSON.parse(s).sessions.length >= 1);
    assertNoSecrets('status JSON', s);
  }
  for (const [name, isp, d] of [['any', anyIsp, dir], ['pap', papIsp, papDir]] as const) {
    assertNoSecrets(`dialtone isp (${name}) output`, isp.out());
    const acct = fs.readFileSync(path.join(d, 'accounting.jsonl'), 'utf8');
    assert.ok(acct.split('\n').filter(Boolean).length >= 2);
    assertNoSecrets(`accounting (${name})`, acct);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(papDir, { recursive: true, force: true });
});

test('(c) dialtone isp: the password of an `account` line is not printed at start-up',
  { timeout: 60_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-secrets-isp-acct-'));
    const isp = await startIsp(dir, 'any', 'account alice s3cr3t-ACCOUNT-xyzzy');
    isp.child.kill('SIGTERM');
    await isp.exit;
    fs.rmSync(dir, { recursive: true, force: true });
    assertNoSecrets('dialtone isp output with an account line', isp.out(), ['s3cr3t-ACCOUNT-xyzzy']);
  });

// ---------------------------------------------------------------------------------------
// (d) dialtone isp authenticating through RADIUS (src/radius): neither the passwords nor the
// RADIUS shared secret appear in its debug log or status, success and failure.
// ---------------------------------------------------------------------------------------

test('(d) dialtone isp with RADIUS: no password and no RADIUS secret in its debug log or status, PAP and CHAP, success and failure', { timeout: 120_000 }, async () => {
  const { default: dgram } = await import('node:dgram');
  const { IspServer } = await import('./server.js');
  const { defaultIspConfig } = await import('./config.js');
  const { decodePacket, encodePacket, findAttribute, RadiusCode } = await import('../radius/packet.js');
  const { revealUserPassword, signResponse } = await import('../radius/crypto.js');
  const { chapMd5 } = await import('../ppp/auth/chap-md5.js');
  const radiusSecret = 's3cr3t-RADIUS-shared-quendor';
  const users = new Map([['user-pap', METHODS[0]!.secret], ['user-chap', METHODS[1]!.secret]]);
  // A minimal RADIUS server: PAP and CHAP-MD5 against `users`.
  const srv = dgram.createSocket('udp4');
  srv.on('message', (m, rinfo) => {
    const d = decodePacket(m);
    if (!d.ok) return;
    const key = Buffer.from(radiusSecret);
    const user = findAttribute(d.packet, 1)?.toString() ?? '';
    const want = users.get(user);
    let ok = false;
    const hidden = findAttribute(d.packet, 2);
    const chap = findAttribute(d.packet, 3);
    if (want && hidden) ok = revealUserPassword(hidden, key, d.packet.authenticator)?.toString() === want;
    if (want && chap) ok = chapMd5(chap[0]!, Buffer.from(want), findAttribute(d.packet, 60)!).equals(chap.subarray(1));
    const res = encodePacket({ code: ok ? RadiusCode.AccessAccept : RadiusCode.AccessReject, identifier: d.packet.identifier, authenticator: Buffer.alloc(16), attributes: [] });
    srv.send(signResponse(res, d.packet.authenticator, key), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
  const logs: string[] = [];
  const statuses: string[] = [];
  try {
    for (const [auth, user, steer] of [['pap', 'user-pap', {}], ['chap', 'user-chap', { refuseEap: true }]] as const) {
      const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, status: { host: '127.0.0.1', port: 0 }, auth, debug: true, authFailDelay: 0,
        radiusAuth: [{ host: '127.0.0.1', port: srv.address().port }], radiusSecret };
      const isp = new IspServer({ config, secrets: staticSecrets([]), log: (m) => logs.push(m) });
      await isp.start();
      try {
        const secret = users.get(user)!;
        const wrong = METHODS.find((x) => x.secret === secret)!.wrong;
        assert.equal(await dialIsp(isp.addresses.ppp!.port, user, secret, steer, isp.addresses.status!.port, statuses), EXIT.USER_REQUEST, logs.join('\n'));
        assert.equal(await dialIsp(isp.addresses.ppp!.port, user, wrong, steer, isp.addresses.status!.port, statuses), EXIT.AUTH_TOPEER_FAILED, logs.join('\n'));
      } finally {
        await isp.stop();
      }
    }
  } finally {
    srv.close();
  }
  assert.ok(logs.some((l) => /RADIUS: Access-Accept/.test(l)) && logs.some((l) => /RADIUS: Access-Reject/.test(l)), logs.join('\n'));
  assertNoSecrets('dialtone isp (RADIUS) log', logs.join('\n'), [...ALL_SECRETS, radiusSecret]);
  for (const s of statuses) assertNoSecrets('status JSON (RADIUS)', s, [...ALL_SECRETS, radiusSecret]);
});
