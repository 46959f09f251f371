/**
 * The isp's MPPE with RADIUS keys, on a virtual clock: an isp-side session as `dialtone isp`
 * makes it (mppe-policy.ts options, radius/access.ts verifier) against a dialtone client with
 * `require-mppe-128`, the verdict coming from a scripted RADIUS server that computes what
 * FreeRADIUS's mschap module returns (MS-CHAP2-Success, MS-MPPE-Send/Recv-Key, or
 * MS-CHAP-MPPE-Keys for v1, and MS-MPPE-Encryption-Policy/-Types). IP then crosses both ways
 * encrypted (no plaintext IP frame on the line) and intact, which only happens when each
 * direction's keys agree; swapped Send/Recv keys garble it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { end, ip, ipUp, deadStatus, type End } from '../ppp/testing/pair.js';
import { staticSecrets } from '../ppp/secrets.js';
import type { SessionOptions } from '../ppp/session-options.js';
import { radiusVerifier, NAS_PORT_TYPE } from '../radius/access.js';
import { attr, vendorSpecific, findAttribute, findVendorAttribute, RadiusCode, type RadiusAttribute } from '../radius/packet.js';
import { encryptMppeKey } from '../radius/crypto.js';
import { encryptMsChapMppeKeys } from '../radius/mschap-mppe-keys.js';
import type { RadiusRequest, RadiusResult } from '../radius/client.js';
import { generateAuthenticatorResponse, hashNtPasswordHash, msChapV2StartKeys, ntPasswordHash } from '../ppp/auth/mschap-crypto.js';
import { mppeLinkOptions, applyRadiusMppe, type IspMppe } from './mppe-policy.js';

const SECRET = Buffer.from('scripted-radius');
const RA = Buffer.alloc(16, 0x3c);
const PASSWORD = 'rubble-Rock5';
const MS = 311;
const PROTO_IP = 0x0021;
const PROTO_COMP = 0x00fd;

interface Script {
  /** Send the keys the wrong way round (a NAS that mixed up RFC 2548 §2.4.2/§2.4.3). */
  swap?: boolean;
  policy?: number;
  types?: number;
}

/** A RADIUS server that knows dino's password and answers as FreeRADIUS's mschap/pap modules. */
function scriptedRadius(s: Script): { ask: (r: RadiusRequest) => Promise<RadiusResult>; asked: number } {
  const out = { asked: 0, ask: async (req: RadiusRequest): Promise<RadiusResult> => {
    out.asked++;
    const p = { code: req.code, identifier: 0, authenticator: RA, attributes: req.attributes };
    const pw = Buffer.from(PASSWORD);
    const reply: RadiusAttribute[] = [];
    const v2 = findVendorAttribute(p, MS, 25);
    const v1 = findVendorAttribute(p, MS, 1);
    if (v2) {
      // RFC 2548 §2.3.2: Ident, Flags, Peer-Challenge(16), Reserved(8), NT-Response(24).
      const nt = v2.subarray(26, 50);
      const auth = generateAuthenticatorResponse(pw, nt, v2.subarray(2, 18), findVendorAttribute(p, MS, 11)!, findAttribute(p, 1)!.toString());
      reply.push(vendorSpecific(MS, 26, Buffer.concat([Buffer.from([v2[0]!]), Buffer.from(auth)])));
      const k = msChapV2StartKeys(pw, nt, true);
      const [send, recv] = s.swap ? [k.recv, k.send] : [k.send, k.recv];
      reply.push(vendorSpecific(MS, 16, encryptMppeKey(send, SECRET, RA, Buffer.from([0x81, 0x01]))));
      reply.push(vendorSpecific(MS, 17, encryptMppeKey(recv, SECRET, RA, Buffer.from([0x81, 0x02]))));
    } else if (v1) {
      reply.push(vendorSpecific(MS, 12, encryptMsChapMppeKeys(Buffer.alloc(8), hashNtPasswordHash(ntPasswordHash(pw)), SECRET, RA)));
    }
    const int = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    if (s.policy !== undefined) reply.push(vendorSpecific(MS, 7, int(s.policy)));
    if (s.types !== undefined) reply.push(vendorSpecific(MS, 8, int(s.types)));
    reply.push(attr.string(18, 'scripted'));
    return { ok: true, response: { code: RadiusCode.AccessAccept, identifier: 0, authenticator: Buffer.alloc(16), attributes: reply }, requestAuthenticator: RA, secret: SECRET, server: 0 };
  } };
  return out;
}

const AUTH = {
  v2: { auth: true, requireChap: false, requireMschapV2: true },
  v1: { auth: true, requireChap: false, requireMschap: true },
  pap: { auth: true, requirePap: true },
} satisfies Record<string, Partial<SessionOptions>>;

/** The isp's session for one caller, as server.ts builds it (NAT aside). */
function ispEnd(mode: IspMppe, auth: keyof typeof AUTH, script: Script): { isp: End; logs: string[] } {
  const radius = scriptedRadius(script);
  const logs: string[] = [];
  let isp: End | undefined = undefined;
  isp = end('isp', {
    localAddr: ip('10.0.2.2'), remoteAddr: ip('10.0.2.15'), secrets: staticSecrets([]), debug: true, tapFrames: true,
    ...AUTH[auth],
    ...mppeLinkOptions(mode, true),
    verifyCredentials: radiusVerifier({
      ask: radius.ask,
      nas: { nasIdentifier: 'dialtone' },
      call: () => ({ nasPort: 1, nasPortType: NAS_PORT_TYPE.Virtual }),
      granted: (g) => {
        const m = applyRadiusMppe(isp!.s.options, mode, g);
        if (m) logs.push(m);
      },
      log: (m) => logs.push(m),
    }),
  });
  return { isp, logs };
}

/**
 * Runs both sessions on a virtual clock until `stop`; between steps it lets promises settle
 * (the scripted RADIUS answer is one) before time moves on.
 */
async function runAsync(a: End, b: End, stop: () => boolean, untilMs = 120_000): Promise<number> {
  let now = 0;
  a.s.start(now);
  b.s.start(now);
  const pump = (): boolean => {
    let any = false;
    for (let moved = true; moved; ) {
      moved = false;
      for (const c of a.s.takeOutput()) { moved = true; b.s.input(c, now); }
      for (const c of b.s.takeOutput()) { moved = true; a.s.input(c, now); }
      for (const e of [a, b]) {
        for (const ev of e.s.takeEvents()) {
          e.events.push(ev);
          if (ev.type === 'log') e.logs.push(ev.msg);
        }
      }
      any ||= moved;
    }
    return any;
  };
  for (let steps = 0; steps < 100_000; steps++) {
    pump();
    await new Promise((r) => setImmediate(r));
    if (pump()) continue;
    if (stop() || (deadStatus(a) !== undefined && deadStatus(b) !== undefined)) break;
    const next = [a.s.nextDeadline(), b.s.nextDeadline()].filter((x): x is number => x !== undefined);
    if (!next.length) break;
    now = Math.min(...next);
    if (now > untilMs) break;
    a.s.tick(now);
    b.s.tick(now);
  }
  return now;
}

function ipPacket(i: number, src: string, dst: string): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(120, 2);
  h[8] = 64;
  h[9] = 17;
  h.writeUInt32BE(ip(src), 12);
  h.writeUInt32BE(ip(dst), 16);
  return Buffer.concat([h, Buffer.alloc(100, i)]);
}

/** Sends `n` packets from `from` to `to` at virtual time `now`; returns those `to` delivered. */
function carry(from: End, to: End, packets: Buffer[], now: number): Buffer[] {
  const got: Buffer[] = [];
  for (const p of packets) {
    from.s.sendIp(p, now);
    for (let moved = true; moved; ) {
      moved = false;
      for (const c of from.s.takeOutput()) { moved = true; to.s.input(c, now); }
      for (const c of to.s.takeOutput()) { moved = true; from.s.input(c, now); }
    }
    for (const e of [from, to]) {
      for (const ev of e.s.takeEvents()) {
        e.events.push(ev);
        if (ev.type === 'log') e.logs.push(ev.msg);
        if (ev.type === 'ip' && e === to) got.push(ev.packet);
      }
    }
  }
  return got;
}

async function dial(mode: IspMppe, auth: keyof typeof AUTH, script: Script, client: Partial<SessionOptions>) {
  const { isp, logs } = ispEnd(mode, auth, script);
  const caller = end('caller', { user: 'dino', password: PASSWORD, debug: true, ...client });
  const now = await runAsync(isp, caller, () => (!!ipUp(isp) && !!ipUp(caller)) || deadStatus(isp) !== undefined || deadStatus(caller) !== undefined);
  const why = () => `--- isp ---\n${isp.logs.join('\n')}\n--- radius ---\n${logs.join('\n')}\n--- caller ---\n${caller.logs.join('\n')}`;
  return { isp, caller, logs, now, why };
}

/** IP both ways; what arrived intact, and whether any IP frame went over the line in the clear. */
function exchange(isp: End, caller: End, now: number): { up: number; down: number; plaintext: number; encrypted: number } {
  const mark = isp.events.length;
  const upPkts = Array.from({ length: 20 }, (_, i) => ipPacket(i, '10.0.2.15', '192.0.2.9'));
  const downPkts = Array.from({ length: 20 }, (_, i) => ipPacket(100 + i, '192.0.2.9', '10.0.2.15'));
  const up = carry(caller, isp, upPkts, now + 1000).filter((p, i) => p.equals(upPkts[i]!)).length;
  const down = carry(isp, caller, downPkts, now + 2000).filter((p, i) => p.equals(downPkts[i]!)).length;
  const frames = isp.events.slice(mark).filter((e) => e.type === 'frame') as { protocol: number }[];
  return { up, down, plaintext: frames.filter((f) => f.protocol === PROTO_IP).length, encrypted: frames.filter((f) => f.protocol === PROTO_COMP).length };
}

const MPPE_UP = 'MPPE 128-bit stateless compression enabled';

test('MS-CHAPv2 via RADIUS, `mppe require`: MPPE 128 stateless with the server\'s Send/Recv keys, IP encrypted and intact both ways', async () => {
  const { isp, caller, now, why } = await dial('require', 'v2', { policy: 1, types: 6 }, { mppe128: true });
  assert.ok(ipUp(isp) && ipUp(caller), why());
  assert.ok(isp.logs.includes(MPPE_UP) && caller.logs.includes(MPPE_UP), why());
  const x = exchange(isp, caller, now);
  assert.deepEqual(x, { up: 20, down: 20, plaintext: 0, encrypted: 40 }, why());
});

test('swapped MS-MPPE-Send/Recv-Key: MPPE comes up but nothing decrypts right (the direction matters)', async () => {
  const { isp, caller, now, why } = await dial('require', 'v2', { swap: true }, { mppe128: true });
  assert.ok(isp.logs.includes(MPPE_UP), why());
  const x = exchange(isp, caller, now);
  assert.equal(x.up, 0, why());
  assert.equal(x.down, 0, why());
});

test('MS-CHAP v1 via RADIUS under `mppe no`, Encryption-Policy 2 (required): MPPE from MS-CHAP-MPPE-Keys, IP intact both ways', async () => {
  const { isp, caller, logs, now, why } = await dial('no', 'v1', { policy: 2, types: 4 }, { mppe128: true });
  assert.ok(ipUp(isp) && ipUp(caller), why());
  assert.ok(logs.some((l) => /MS-MPPE-Encryption-Policy requires MPPE 128-bit/.test(l)), why());
  assert.ok(isp.logs.includes(MPPE_UP) && caller.logs.includes(MPPE_UP), why());
  assert.deepEqual(exchange(isp, caller, now), { up: 20, down: 20, plaintext: 0, encrypted: 40 }, why());
});

test('`mppe optional`: a PAP caller (no keys) comes up without MPPE; `mppe no` with policy 1 leaves MPPE off', async () => {
  const pap = await dial('optional', 'pap', {}, {});
  assert.ok(ipUp(pap.isp) && ipUp(pap.caller), pap.why());
  assert.ok(!pap.isp.logs.some((l) => /MPPE/.test(l)), pap.why());
  const x = exchange(pap.isp, pap.caller, pap.now);
  assert.deepEqual([x.up, x.down], [20, 20], pap.why());
  const off = await dial('no', 'v2', { policy: 1, types: 6 }, { noccp: true });
  assert.ok(ipUp(off.isp) && ipUp(off.caller), off.why());
  assert.ok(!off.isp.logs.includes(MPPE_UP), off.why());
});

test('`mppe require` with a PAP caller ends the link with pppd\'s message (no keys to encrypt with)', async () => {
  const { isp, why } = await dial('require', 'pap', {}, {});
  assert.equal(ipUp(isp), undefined, why());
  assert.ok(isp.logs.some((l) => l.includes('MPPE required, but MS-CHAP[v2] nor EAP-TLS auth are performed.')), why());
});
