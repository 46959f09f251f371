import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Session, defaultSessionOptions, type SessionEvent, type SessionOptions } from './session.js';
import { end, run, ip, ipUp, deadStatus, seeded, type End } from './testing/pair.js';
import { staticSecrets } from './secrets.js';
import { EXIT } from './exit-codes.js';
import { HdlcEncoder, HdlcDecoder } from '../wire/hdlc.js';
import { icmpEchoRequest, parseIp4 } from '../wire/ipv4.js';
import { emitControl } from './packet.js';
import { buildTcpSegment, TCP_ACK, TCP_PSH } from '../wire/packet.js';
import { markGso, segmentGso } from '../wire/gso.js';
import { hdlcKernel } from '../wire/hdlc-kernel.js';

function server(o: Partial<SessionOptions> = {}): End {
  return end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), msDns: [ip('10.0.0.53'), ip('10.0.0.54')], ...o });
}

function client(o: Partial<SessionOptions> = {}): End {
  return end('client', { usePeerDns: true, ...o });
}

test('two sessions without authentication reach IP-up with the assigned address and DNS', () => {
  const a = server();
  const b = client();
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.deepEqual(ipUp(b), { type: 'ip-up', local: ip('10.0.0.2'), remote: ip('10.0.0.1'), dns: [ip('10.0.0.53'), ip('10.0.0.54')] });
  assert.equal(ipUp(a)?.remote, ip('10.0.0.2'));
  assert.ok(b.logs.includes('local  IP address 10.0.0.2'));
  assert.ok(b.logs.includes('remote IP address 10.0.0.1'));
  assert.ok(b.logs.includes('primary   DNS address 10.0.0.53'));
  assert.ok(b.logs.includes('secondary DNS address 10.0.0.54'));
  assert.equal(a.s.phase, 'Network');
});

test('data flows once IP is up: dialtone answers ICMP echo to its own address', () => {
  const a = server();
  const b = client();
  let sent = false;
  run(a, b, {
    onIdle: (now) => {
      if (ipUp(b) && !sent) {
        sent = true;
        b.s.sendIp(icmpEchoRequest(ip('10.0.0.2'), ip('10.0.0.1'), 7, 1, Buffer.from('dialtone')), now);
      }
    },
    stop: () => b.events.some((e) => e.type === 'ip'),
  });
  const reply = b.events.find((e): e is Extract<SessionEvent, { type: 'ip' }> => e.type === 'ip')!.packet;
  assert.equal(reply[20], 0, 'ICMP echo reply');
  assert.equal(reply.readUInt32BE(12), ip('10.0.0.1'));
  assert.equal(reply.subarray(28).toString(), 'dialtone');
  assert.equal(a.s.counters.ipPacketsIn, 1);
});

test('PAP: the peer authenticates and both reach IP-up', () => {
  const a = server({ requirePap: true, secrets: staticSecrets([{ client: 'fred', server: 'server', secret: 'wilma' }]) });
  const b = client({ user: 'fred', password: 'wilma' });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(ipUp(a) && ipUp(b));
  assert.ok(a.logs.includes('PAP peer authentication succeeded for fred'));
  assert.ok(b.logs.includes('PAP authentication succeeded'));
  assert.equal(a.s.peerName, 'fred');
  assert.ok(a.events.some((e) => e.type === 'auth-up' && e.peerName === 'fred'));
});

test('CHAP: the peer authenticates with MD5 and both reach IP-up', () => {
  const a = server({ requireChap: true, secrets: staticSecrets([{ client: 'fred', server: 'server', secret: 'wilma' }]) });
  const b = client({ user: 'fred', secrets: staticSecrets([{ client: 'fred', server: 'server', secret: 'wilma' }]) });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(ipUp(a) && ipUp(b));
  assert.ok(b.logs.includes('CHAP authentication succeeded'));
  assert.ok(b.logs.includes('CHAP authentication succeeded: Access granted'));
});

test('CHAP re-challenge every chap-interval keeps the link up', () => {
  const a = server({ requireChap: true, chapInterval: 10, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'x' }]) });
  const b = client({ user: 'fred', password: 'x' });
  run(a, b, { untilMs: 45_000 });
  assert.ok(ipUp(a) && ipUp(b));
  assert.equal(deadStatus(a), undefined);
  assert.ok(a.s.counters.framesOut >= 4 + 4, 'several challenges were sent');
});

for (const proto of ['PAP', 'CHAP'] as const) {
  test(`${proto}: a wrong secret fails on both sides with pppd's messages and exit codes 11 / 19`, () => {
    const require = proto === 'PAP' ? { requirePap: true } : { requireChap: true };
    const a = server({ ...require, secrets: staticSecrets([{ client: 'fred', server: 'server', secret: 'right' }]) });
    const b = client({ user: 'fred', password: 'wrong' });
    run(a, b);
    assert.equal(deadStatus(a), EXIT.PEER_AUTH_FAILED);
    assert.equal(deadStatus(b), EXIT.AUTH_TOPEER_FAILED);
    assert.ok(b.logs.includes(`${proto} authentication failed`));
    assert.ok(a.logs.includes(proto === 'PAP' ? 'PAP peer authentication failed for fred' : 'Peer fred failed CHAP authentication'));
    assert.ok(!ipUp(a) && !ipUp(b));
  });
}

test('a peer that refuses to authenticate: "peer refused to authenticate" and exit 11', () => {
  const a = server({ auth: true, secrets: staticSecrets([{ client: '*', server: '*', secret: 'x' }]) });
  const b = client({ refusePap: true, refuseChap: true });
  run(a, b);
  assert.ok(a.logs.includes('peer refused to authenticate: terminating link'));
  assert.equal(deadStatus(a), EXIT.PEER_AUTH_FAILED);
});

test('a server asking for EAP and CHAP falls back to PAP when the client Naks them (auth allows all)', () => {
  const a = server({ auth: true, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'pw' }]) });
  const b = client({ user: 'fred', password: 'pw', refuseEap: true, refuseChap: true, refuseMschap: true, refuseMschapV2: true });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(a.logs.includes('PAP peer authentication succeeded for fred'));
});

test('a silent peer: "LCP: timeout sending Config-Requests" after max-configure, exit 10', () => {
  const a = server();
  const t = run(a, undefined);
  assert.ok(a.logs.includes('LCP: timeout sending Config-Requests'));
  assert.equal(deadStatus(a), EXIT.NEGOTIATION_FAILED);
  assert.equal(t, 30_000, '10 requests, 3 s apart');
});

test('a looped-back line is detected: "Serial line is looped back.", exit 17', () => {
  const a = server();
  run(a, undefined, { loopA: true });
  assert.ok(a.logs.includes('Serial line is looped back.'));
  assert.equal(deadStatus(a), EXIT.LOOPBACK);
});

test('a peer that stops answering echo-requests is detected: exit 15', () => {
  const a = server({ lcpEchoInterval: 5, lcpEchoFailure: 3 });
  const b = client();
  let cutAt: number | undefined;
  run(a, b, {
    cut: (now) => {
      if (cutAt === undefined && ipUp(a)) cutAt = now;
      return cutAt !== undefined && now > cutAt ? 'both' : undefined;
    },
    stop: () => deadStatus(a) !== undefined,
  });
  assert.ok(a.logs.includes('No response to 3 echo-requests'));
  assert.ok(a.logs.includes('Serial link appears to be disconnected.'));
  assert.equal(deadStatus(a), EXIT.PEER_DEAD);
});

test('echo keepalive on a healthy link: requests answered, link stays up', () => {
  const a = server({ lcpEchoInterval: 2, lcpEchoFailure: 2 });
  const b = client();
  run(a, b, { untilMs: 30_000 });
  assert.ok(a.s.lcp.stats.echoRequestsSent >= 10);
  assert.equal(a.s.lcp.stats.echoRepliesRcvd, a.s.lcp.stats.echoRequestsSent);
  assert.equal(deadStatus(a), undefined);
});

test('clean Terminate: close() sends Terminate-Request, both sides end, counters count both ways', () => {
  const a = server();
  const b = client();
  let closed = false;
  run(a, b, {
    onIdle: (now) => {
      if (ipUp(a) && ipUp(b) && !closed) {
        closed = true;
        b.s.close('User request', now, EXIT.USER_REQUEST);
      }
    },
  });
  assert.equal(deadStatus(b), EXIT.USER_REQUEST);
  assert.equal(deadStatus(a), EXIT.OK);
  assert.ok(a.logs.includes('LCP terminated by peer (User request)'), a.logs.join('\n'));
  assert.ok(a.logs.includes('Connection terminated.'));
  assert.ok(b.events.some((e) => e.type === 'ip-down'));
  for (const e of [a, b]) {
    const c = e.s.counters;
    assert.ok(c.bytesIn > 0 && c.bytesOut > 0 && c.framesIn > 0 && c.framesOut > 0);
  }
});

test('debug prints control packets the way pppd does', () => {
  const a = server({ debug: true, magic: false });
  const b = client({ magic: false });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(a.logs.includes('sent [LCP ConfReq id=0x1 <asyncmap 0x0> <pcomp> <accomp>]'), a.logs.join('\n'));
  assert.ok(a.logs.some((l) => /^rcvd \[IPCP ConfReq id=0x\w+ <compress VJ 0f 01> <addr 0\.0\.0\.0> <ms-dns1 0\.0\.0\.0> <ms-dns2 0\.0\.0\.0>\]$/.test(l)));
  assert.ok(a.logs.some((l) => /^sent \[IPCP ConfNak id=0x\w+ <addr 10\.0\.0\.2> <ms-dns1 10\.0\.0\.53> <ms-dns2 10\.0\.0\.54>\]$/.test(l)));
});

/** Raw frames from a hand-driven peer, for packets a real session never sends. */
function rawPeer() {
  const enc = new HdlcEncoder();
  const dec = new HdlcDecoder();
  return { frame: (proto: number, info: Buffer) => enc.encode(proto, info), read: (b: Buffer[]) => b.flatMap((x) => dec.push(x)) };
}

test('unknown protocols in the Network phase get a Protocol-Reject; unknown LCP codes a Code-Reject', () => {
  const a = server();
  const b = client();
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  const peer = rawPeer();
  a.s.input(peer.frame(0x8029, emitControl(1, 1, Buffer.from([1, 10, 0, 0, 0, 0, 0, 0, 0, 1]))), 60_000);
  a.s.input(peer.frame(0xc021, emitControl(0x55, 9, Buffer.from('?'))), 60_000);
  const frames = peer.read(a.s.takeOutput());
  const protRej = frames.find((f) => f.protocol === 0xc021 && f.payload[0] === 8)!;
  assert.equal(protRej.payload.readUInt16BE(4), 0x8029);
  const codeRej = frames.find((f) => f.protocol === 0xc021 && f.payload[0] === 7)!;
  assert.equal(codeRej.payload[4], 0x55);
  assert.equal(a.s.counters.protocolRejectsSent, 1);
});

test('frames with a bad FCS are dropped and counted, the link carries on', () => {
  const a = server();
  const b = client();
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  const bad = rawPeer().frame(0xc021, emitControl(9, 1, Buffer.alloc(4)));
  bad[bad.length - 3] ^= 0xff;
  a.s.input(bad, 60_000);
  assert.equal(a.s.counters.framesDropped, 1);
  assert.equal(a.s.phase, 'Network');
});

test('arbitrary bytes and arbitrary control packets never throw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.record({ proto: fc.constantFrom(0xc021, 0x8021, 0xc023, 0xc223, 0x0021, 0x8057), code: fc.integer({ min: 0, max: 14 }), id: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 40 }) }),
      ), { maxLength: 40 }),
      (items) => {
        const a = server({ requireChap: true, secrets: staticSecrets([{ client: '*', server: '*', secret: 'x' }]) });
        a.s.start(0);
        const enc = new HdlcEncoder();
        let now = 0;
        for (const it of items) {
          now += 500;
          if (it instanceof Uint8Array) a.s.input(it, now);
          else a.s.input(enc.encode(it.proto, emitControl(it.code, it.id, Buffer.from(it.data))), now);
          a.s.tick(now);
          a.s.takeOutput();
          a.s.takeEvents();
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("secrets are chosen by pppd's rules: the server looks up (peer's name, our name), the client (user, remotename)", () => {
  const lookups: string[] = [];
  const recording = (secret: string) => ({
    lookup: (kind: 'pap' | 'chap', client: string, server: string | undefined) => {
      lookups.push(`${kind} ${client} ${server ?? '*'}`);
      return { secret };
    },
    hasSecretsFor: () => true,
  });
  const a = server({ name: 'gateway', requireChap: true, secrets: recording('pw') });
  const b = client({ name: 'laptop', user: 'fred', remoteName: 'isp', secrets: recording('pw') });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  assert.ok(ipUp(a) && ipUp(b));
  assert.deepEqual(lookups, ['chap fred isp', 'chap fred gateway']);
});

test('a Configure-Ack and the next frame in one read: the second is decoded with the negotiated ACCM', () => {
  const a = server({ requireChap: true, secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'x' }]) });
  const b = client({ user: 'fred', password: 'x' });
  let now = 0;
  a.s.start(now);
  b.s.start(now);
  // Deliver everything each side has queued as ONE chunk, as a TCP read would.
  for (let round = 0; round < 50 && !(ipUp(a) && ipUp(b)); round++) {
    // The server reads our frames in reverse (our Ack of its request before our request),
    // so its Configure-Ack and first Challenge leave back to back, as seen with real pppd.
    const fromA = Buffer.concat(a.s.takeOutput());
    if (fromA.length) b.s.input(fromA, now);
    const fromB = Buffer.concat(b.s.takeOutput().reverse());
    if (fromB.length) a.s.input(fromB, now);
    for (const e of [a, b]) for (const ev of e.s.takeEvents()) e.events.push(ev);
    if (!fromA.length && !fromB.length) a.s.tick((now += 100));
  }
  assert.ok(ipUp(a) && ipUp(b));
  assert.equal(now, 0, 'no retransmission was needed');
  assert.equal(a.s.counters.framesDropped + b.s.counters.framesDropped, 0);
});

// Issue 10 item 5: an idle ISP session must stay small.
test('a protocol the options turn off holds no automaton, and its packets are still Protocol-Rejected', () => {
  const a = server({ noipv6: true });
  const b = client({ noipv6: false });
  run(a, b, { stop: () => !!ipUp(a) && !!ipUp(b) });
  const v6 = a.s.protocols.find((p) => p.name === 'IPV6CP')!;
  assert.equal(v6.enabled, false);
  assert.ok(!('ipv6cp' in v6), 'a disabled IPV6CP is a stand-in, not the full protocol');
  // The client's IPV6CP Configure-Request was refused with a Protocol-Reject, as before.
  assert.ok(a.s.counters.protocolRejectsSent >= 1);
});

test("session options hold only the caller's settings; pppd's defaults are shared by all sessions", () => {
  const o = defaultSessionOptions({ name: 'isp', mru: 1400 });
  assert.deepEqual(Object.keys(o).sort(), ['mru', 'name']);
  assert.equal(o.mru, 1400);
  assert.equal(o.lcpEchoFailure, defaultSessionOptions().lcpEchoFailure);
  assert.equal(Object.getPrototypeOf(o), Object.getPrototypeOf(defaultSessionOptions()));
});

test('"Sent N bytes, received M bytes." counts as pppd (the kernel ppp unit): IP payloads without protocol field, no LCP echoes', () => {
  const quiet = { noccp: true, noipv6: true, lcpEchoInterval: 2, lcpEchoFailure: 3 };
  const a = server(quiet);
  const b = client(quiet);
  const ping = (n: number, now: number) => b.s.sendIp(icmpEchoRequest(ip('10.0.0.2'), ip('10.0.0.1'), 7, n, Buffer.alloc(100, n)), now);
  let sent = 0;
  let closed = false;
  run(a, b, {
    onIdle: (now) => {
      if (!ipUp(b) || closed) return;
      if (sent < 3) ping(++sent, now);
      else if (now > 20_000 && b.events.filter((e) => e.type === 'ip').length === 3) {
        closed = true;
        b.s.close('User request', now, EXIT.USER_REQUEST);
      }
    },
  });
  assert.ok(a.s.lcp.stats.echoRequestsSent >= 5, 'LCP echoes went both ways while IP was up');
  // 3 echo requests out and 3 replies in, 128 octets each (IP 20 + ICMP 8 + 100).
  assert.ok(b.logs.includes('Sent 384 bytes, received 384 bytes.'), b.logs.join('\n'));
  assert.ok(a.logs.includes('Sent 384 bytes, received 384 bytes.'), a.logs.join('\n'));
});

test('a TCP super-segment leaves as the frames of its segments, framed whole or cut for VJ and compression, and is counted as them', () => {
  for (const { vj, noccp } of [{ vj: false, noccp: true }, { vj: true, noccp: true }, { vj: false, noccp: false }]) {
    const a = server({ vj, noccp });
    const b = client({ vj, noccp });
    const payload = Buffer.alloc(20_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 29) & 0xff;
    const sup = buildTcpSegment(ip('10.0.0.1'), ip('10.0.0.2'), 80, 41000, { seq: 1000, ack: 1, flags: TCP_ACK | TCP_PSH, window: 500, payload, gso: 1460 }, 77);
    markGso(sup, 1460);
    const segments = segmentGso(sup, 1460);
    let framed = 0;
    const encodeSegments = a.s.link.encodeSegments!.bind(a.s.link);
    Object.assign(a.s.link, {
      encodeSegments: (...args: Parameters<typeof encodeSegments>) => {
        const ok = encodeSegments(...args);
        if (ok) framed++;
        return ok;
      },
    });
    let before: { ip: number; frames: number } | undefined;
    run(a, b, {
      onIdle: (now) => {
        if (before || !ipUp(a) || !ipUp(b)) return;
        before = { ip: a.s.counters.ipPacketsOut, frames: a.s.counters.framesOut };
        assert.equal(a.s.sendIp(sup, now), true);
      },
      stop: () => b.events.filter((e) => e.type === 'ip').length >= segments.length,
    });
    const got = b.events.filter((e): e is Extract<SessionEvent, { type: 'ip' }> => e.type === 'ip').map((e) => e.packet);
    assert.deepEqual(got, segments, vj ? 'VJ: compressed and rebuilt segment by segment' : noccp ? 'framed by the link' : 'compressed by CCP segment by segment');
    assert.equal(a.s.counters.ipPacketsOut - before!.ip, segments.length);
    assert.equal(a.s.counters.framesOut - before!.frames, segments.length);
    assert.equal(a.s.counters.vj!.tx.compressed > 0, vj, vj ? 'VJ compressed them' : 'no VJ');
    // Without VJ or compression the link framed the super-segment whole (where the native
    // framer is built).
    assert.equal(framed, !vj && noccp && hdlcKernel()?.frameGso ? 1 : 0);
  }
});
