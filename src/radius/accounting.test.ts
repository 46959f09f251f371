import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Accounting, type AcctRecord } from './accounting.js';
import { Spool } from '../runtime/radius-spool-file.js';
import { SpoolQueue, type SpoolStore } from './spool.js';
import { SessionStateStore } from '../isp/session-state.js';
import { acctAttributes, A } from './acct-packet.js';
import { terminateCause } from './terminate-cause.js';
import { EXIT } from '../ppp/exit-codes.js';

/** A virtual clock with timers that fire only when the test advances it. */
function clock() {
  let now = 1_000_000;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    setTimer(fn: () => void, ms: number) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { clear: () => (t.live = false) };
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        next.live = false;
        next.fn();
        await new Promise((r) => setImmediate(r));
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

test('accounting: a server that is down gets the records later, in order, with Acct-Delay-Time counted from the event', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-acctcore-'));
  const c = clock();
  let up = false;
  const got: Array<{ r: AcctRecord; delay: number }> = [];
  const acct = new Accounting({
    log: () => undefined, spool: Spool.open<AcctRecord>(dir), interim: 0, now: c.now, bootId: 'b', retryMs: 10_000, setTimer: c.setTimer,
    transport: async (r, delay) => {
      if (!up) return false;
      got.push({ r, delay });
      return true;
    },
  });
  await acct.begin();
  const counters = { bytesIn: 5_000_000_000, bytesOut: 10, framesIn: 3, framesOut: 4 };
  acct.start({ id: 1, user: 'u', origin: 'tcp', upAt: c.now(), modem: false, counters: () => counters }, {});
  await settle();
  await c.advance(30_000);
  await acct.stop(1, EXIT.HANGUP, {});
  await settle();
  await c.advance(60_000);
  up = true;
  await c.advance(10_000);
  await settle();
  assert.deepEqual(got.map((g) => g.r.status), ['on', 'start', 'stop']);
  // Accounting-On and Start happened at t0, the Stop 30 s later; delivered at t0+100 s.
  assert.deepEqual(got.map((g) => g.delay), [100, 100, 70]);
  const stop = got[2]!.r;
  assert.equal(stop.terminateCause, 'Lost-Carrier');
  assert.equal(stop.sessionTime, 30);
  const attrs = acctAttributes(stop, 70, {});
  const int = (t: number) => attrs.find((a) => a.type === t)!.value.readUInt32BE(0);
  assert.equal(int(A.AcctInputGigawords), 1);
  assert.equal(int(A.AcctInputOctets), 5_000_000_000 - 2 ** 32);
  assert.equal(int(A.AcctDelayTime), 70);
  assert.equal(int(A.AcctTerminateCause), 2);
  await acct.close();
});

test('accounting: sessions left in the state directory by a crash get their Stop (NAS-Reboot) before Accounting-On', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-acctcore-'));
  const c = clock();
  const store = new SessionStateStore(dir);
  const first = new Accounting({ log: () => undefined, state: store, interim: 0, now: c.now, bootId: 'a', setTimer: c.setTimer });
  await first.begin();
  first.start({ id: 7, user: 'x', origin: 'tcp', upAt: c.now(), modem: true, counters: () => ({ bytesIn: 1, bytesOut: 2, framesIn: 3, framesOut: 4 }) }, {});
  await store.drained();
  // (crash: no stop, no close)
  const got: AcctRecord[] = [];
  const second = new Accounting({ log: () => undefined, state: new SessionStateStore(dir), spool: Spool.open<AcctRecord>(path.join(dir, 'spool')), transport: async (r) => (got.push(r), true), interim: 0, now: c.now, bootId: 'b', setTimer: c.setTimer });
  await second.begin();
  await settle();
  assert.deepEqual(got.map((r) => [r.status, r.terminateCause, r.sessionId, r.user, r.nasPortType]), [['stop', 'NAS-Reboot', 'a-00000007', 'x', 'Async'], ['on', undefined, undefined, undefined, undefined]]);
  assert.equal(second.status().recoveredStops, 1);
  await second.close();
});

test('Acct-Terminate-Cause from pppd exit status, as pppd radius plugin maps it', () => {
  assert.equal(terminateCause(EXIT.USER_REQUEST), 'User-Request');
  assert.equal(terminateCause(EXIT.HANGUP), 'Lost-Carrier');
  assert.equal(terminateCause(EXIT.PEER_DEAD), 'Lost-Carrier');
  assert.equal(terminateCause(EXIT.IDLE_TIMEOUT), 'Idle-Timeout');
  assert.equal(terminateCause(EXIT.CONNECT_TIME), 'Session-Timeout');
  assert.equal(terminateCause(EXIT.NEGOTIATION_FAILED), 'Service-Unavailable');
  assert.equal(terminateCause(EXIT.FATAL_ERROR), 'NAS-Error');
});

test('accounting: an Acct-Interim-Interval from RADIUS below 60 s is raised to 60 (as pppd\'s radius plugin); isp.conf\'s 2 s is taken as given', async () => {
  const c = clock();
  const got: AcctRecord[] = [];
  const acct = new Accounting({ log: () => undefined, spool: memorySpool(), interim: 2, now: c.now, bootId: 'b', setTimer: c.setTimer, transport: async (r) => (got.push(r), true) });
  await acct.begin();
  const counters = () => ({ bytesIn: 1, bytesOut: 1, framesIn: 1, framesOut: 1 });
  acct.start({ id: 1, origin: 'tcp', upAt: c.now(), modem: false, interimInterval: 5, counters }, {});
  acct.start({ id: 2, origin: 'tcp', upAt: c.now(), modem: false, counters }, {});
  for (let i = 0; i < 130; i++) await c.advance(1000);
  await settle();
  const interims = (n: number) => got.filter((r) => r.status === 'interim' && r.nasPort === n).map((r) => r.sessionTime);
  assert.deepEqual(interims(1), [60, 120]);
  assert.equal(interims(2).length, 65);
  // A CoA's 0 stops them; its 10 is raised to 60 too.
  acct.setInterim(2, 10, {});
  for (let i = 0; i < 61; i++) await c.advance(1000);
  await settle();
  assert.equal(interims(2).length, 66);
  await acct.close();
});

/** The spool's queue without a file (the sans-IO part), for tests on the virtual clock alone. */
function memorySpool(): SpoolStore<AcctRecord> {
  const q = new SpoolQueue<AcctRecord>();
  return {
    get length() { return q.length; },
    get bytes() { return q.bytes; },
    enqueue: async (r, k, now) => q.enqueue(r, k, now)?.seq,
    first: (n) => q.first(n),
    ack: async (seq) => void q.ack(seq),
    drained: async () => undefined,
    status: () => q.status(),
  };
}
