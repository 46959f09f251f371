/**
 * Two sessions on a virtual clock over a bad line: the fault model (src/runtime/fault.ts)
 * each way, seeded. LCP, authentication and IPCP must recover from corrupted, lost,
 * duplicated and reordered frames by retransmitting, and never hand up a corrupted IP packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { FaultModel, type FaultOptions } from '../runtime/fault.js';
import { staticSecrets } from './secrets.js';
import { end, ip, ipUp, deadStatus, type End } from './testing/pair.js';
import type { SessionOptions } from './session-options.js';

type Spec = Omit<FaultOptions, 'seed'>;

interface Line {
  ab: FaultModel;
  ba: FaultModel;
}

/** pair.ts's run(), with a FaultModel in each direction; returns the virtual time reached. */
function runFaulty(a: End, b: End, line: Line, opts: { untilMs?: number; stop?: () => boolean; onIdle?: (now: number) => void; from?: number } = {}): number {
  const until = opts.untilMs ?? 300_000;
  let now = opts.from ?? 0;
  if (opts.from === undefined) {
    a.s.start(now);
    b.s.start(now);
  }
  const drain = (e: End) => {
    for (const ev of e.s.takeEvents()) {
      e.events.push(ev);
      if (ev.type === 'log') e.logs.push(ev.msg);
    }
  };
  for (let steps = 0; steps < 1_000_000; steps++) {
    let moved = true;
    while (moved) {
      moved = false;
      opts.onIdle?.(now);
      for (const c of a.s.takeOutput()) line.ab.push(c, now);
      for (const c of b.s.takeOutput()) line.ba.push(c, now);
      for (const c of line.ab.take(now)) {
        moved = true;
        b.s.input(c, now);
      }
      for (const c of line.ba.take(now)) {
        moved = true;
        a.s.input(c, now);
      }
      drain(a);
      drain(b);
    }
    const dead = (e: End) => e.events.some((x) => x.type === 'dead');
    if ((dead(a) && dead(b)) || opts.stop?.()) break;
    const next = [a.s.nextDeadline(), b.s.nextDeadline(), line.ab.nextDeadline(), line.ba.nextDeadline()].filter((x): x is number => x !== undefined);
    if (!next.length) break;
    now = Math.max(now, Math.min(...next));
    if (now > until) break;
    a.s.tick(now);
    b.s.tick(now);
  }
  return now;
}

const secrets = staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]);

function sessions(server: Partial<SessionOptions> = {}, client: Partial<SessionOptions> = {}) {
  const a = end('server', { localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), secrets, requireChap: true, debug: true, ...server });
  const b = end('client', { user: 'fred', password: 'wilma', debug: true, ...client });
  return { a, b };
}

const line = (seed: string, spec: Spec): Line => ({ ab: new FaultModel({ seed: `${seed}:ab`, ...spec }), ba: new FaultModel({ seed: `${seed}:ba`, ...spec }) });
const count = (e: End, rx: RegExp) => e.logs.filter((l) => rx.test(l)).length;
/** Configure-Requests sent again with the same identifier (LCP, IPCP): the retransmissions. */
const retransmissions = (e: End) => {
  const seen = new Set<string>();
  let n = 0;
  for (const l of e.logs) {
    const m = /^sent \[(LCP|IPCP) ConfReq id=(0x[0-9a-f]+)/.exec(l);
    if (!m) continue;
    if (seen.has(m[1]! + m[2]!)) n++;
    seen.add(m[1]! + m[2]!);
  }
  return n;
};
const bothUp = (a: End, b: End) => () => (!!ipUp(a) && !!ipUp(b)) || deadStatus(a) !== undefined || deadStatus(b) !== undefined;

test('at 1e-4 bit-error rate, LCP, CHAP and IPCP come up for every seed', (t) => {
  let retx = 0;
  let corrupted = 0;
  let flipped = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const { a, b } = sessions();
    const l = line(`ber4-${seed}`, { bitErrorRate: 1e-4 });
    const ms = runFaulty(a, b, l, { stop: bothUp(a, b) });
    assert.ok(ipUp(a) && ipUp(b), `seed ${seed}: not up at ${ms} ms\n${a.logs.join('\n')}`);
    retx += retransmissions(a) + retransmissions(b);
    corrupted += l.ab.stats.piecesCorrupted + l.ba.stats.piecesCorrupted;
    flipped += l.ab.stats.bitsFlipped + l.ba.stats.bitsFlipped;
  }
  t.diagnostic(`20 seeds at BER 1e-4: ${flipped} bits flipped in ${corrupted} frames, ${retx} Configure-Request retransmissions`);
});

test('at 1e-3 bit-error rate (every few frames corrupted) links come up by retransmitting, or end cleanly', (t) => {
  let retx = 0;
  let dropped = 0;
  const failed: string[] = [];
  for (let seed = 1; seed <= 10; seed++) {
    const { a, b } = sessions();
    const l = line(`ber3-${seed}`, { bitErrorRate: 1e-3 });
    // Run on past ip-up: a link that cannot come up must end, not hang.
    runFaulty(a, b, l, { stop: () => (!!ipUp(a) && !!ipUp(b)) || (deadStatus(a) !== undefined && deadStatus(b) !== undefined) });
    retx += retransmissions(a) + retransmissions(b);
    dropped += a.s.counters.framesDropped + b.s.counters.framesDropped;
    if (ipUp(a) && ipUp(b)) continue;
    assert.ok(deadStatus(a) !== undefined && deadStatus(b) !== undefined, `seed ${seed}: neither up nor dead\n${a.logs.join('\n')}`);
    // A lost CHAP Success leaves the peer waiting in the authentication phase (as pppd's
    // chap-new.c does: the peer has no timer, the authenticator does not repeat Success
    // unless it gets the Response again); IPCP times out and LCP terminates.
    failed.push(`seed ${seed}: ${a.logs.filter((x) => /timeout|terminated/i.test(x)).join('; ')} (status ${deadStatus(a)}/${deadStatus(b)})`);
  }
  assert.ok(failed.length <= 3, failed.join('\n'));
  assert.ok(retx > 0, 'some Configure-Requests were retransmitted');
  assert.ok(dropped > 0, 'some frames failed the FCS');
  t.diagnostic(`10 seeds at BER 1e-3: ${dropped} frames dropped (bad FCS), ${retx} Configure-Request retransmissions, ${10 - failed.length} up`);
  for (const f of failed) t.diagnostic(f);
});

test('a hostile line (loss, duplication, reordering, jitter, byte-at-a-time, noise): every auth method comes up (or the link ends cleanly)', (t) => {
  const spec: Spec = { bitErrorRate: 1e-4, dropRate: 0.002, duplicateRate: 0.002, reorderRate: 0.002, reorderDelayMs: 40, latencyMs: 20, jitterMs: 5, byteAtATime: true };
  const methods: Partial<SessionOptions>[] = [{ requirePap: true, requireChap: false }, {}, { requireChap: false, requireMschap: true }, { requireChap: false, requireMschapV2: true }, { requireChap: false, requireEap: true }];
  let retx = 0;
  let up = 0;
  for (const [i, m] of methods.entries()) {
    for (let seed = 1; seed <= 4; seed++) {
      const { a, b } = sessions(m);
      const l = line(`hostile-${i}-${seed}`, spec);
      runFaulty(a, b, l, { stop: () => (!!ipUp(a) && !!ipUp(b)) || (deadStatus(a) !== undefined && deadStatus(b) !== undefined) });
      retx += retransmissions(a) + retransmissions(b);
      if (ipUp(a) && ipUp(b)) up++;
      else {
        assert.ok(deadStatus(a) !== undefined && deadStatus(b) !== undefined, `method ${i} seed ${seed}: neither up nor dead\n${a.logs.join('\n')}`);
        t.diagnostic(`method ${i} seed ${seed} ended ${deadStatus(a)}/${deadStatus(b)}: ${a.logs.filter((x) => /timeout|terminated|failed/i.test(x)).join('; ')}`);
      }
    }
  }
  assert.ok(up >= 16, `${up} of 20 up`);
  t.diagnostic(`20 links on a hostile line: ${up} up, ${retx} Configure-Request retransmissions`);
});

test('IP packets over a noisy line arrive intact or not at all (the FCS drops corrupted frames)', (t) => {
  for (const seed of [1, 2, 3]) {
    // Uncompressed: this is about the FCS (ccp/ccp.test.ts has Deflate on a noisy line,
    // where every lost or duplicated frame also costs a CCP reset).
    const { a, b } = sessions({ noccp: true }, { noccp: true });
    const l = line(`ip-${seed}`, { bitErrorRate: 1e-4, duplicateRate: 0.01 });
    const upAt = runFaulty(a, b, l, { stop: bothUp(a, b) });
    assert.ok(ipUp(a) && ipUp(b));
    const sent = new Set<string>();
    let n = 0;
    const before = b.events.length;
    runFaulty(a, b, l, {
      from: upAt,
      untilMs: upAt + 10_000,
      stop: () => n >= 300,
      onIdle: (now) => {
        if (n >= 300) return;
        // A minimal IPv4 header (src 10.0.0.1, dst 10.0.0.2) and random payload.
        const payload = crypto.createHash('sha256').update(`${seed}:${n++}`).digest();
        const p = Buffer.concat([Buffer.from([0x45, 0, 0, 20 + 32 * 4, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]), payload, payload, payload, payload]);
        sent.add(p.toString('hex'));
        a.s.sendIp(p, now);
      },
    });
    const got = b.events.slice(before).filter((e): e is Extract<typeof e, { type: 'ip' }> => e.type === 'ip').map((e) => e.packet.toString('hex'));
    assert.ok(got.length > 250, `${got.length} of 300 arrived`);
    for (const p of got) assert.ok(sent.has(p), 'a corrupted packet was delivered');
    t.diagnostic(`seed ${seed}: ${got.length} of 300 packets delivered (duplicates included), ${b.s.counters.framesDropped} frames dropped, ${l.ab.stats.piecesCorrupted} corrupted`);
  }
});
