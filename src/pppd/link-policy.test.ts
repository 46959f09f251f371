// The daemon's link policy on a virtual clock: idle (data packets only, both ways),
// maxconnect, holdoff (30 s, 0 without a connect script), maxfail, the demand settle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkPolicy, defaultHoldoff, type LinkPolicyAction, type LinkPolicyConfig } from './link-policy.js';
import { EXIT } from '../ppp/exit-codes.js';

const BASE: LinkPolicyConfig = { persist: false, demand: false, idle: 0, maxconnect: 0, maxfail: 10 };

/** A policy and a virtual clock: `at(ms)` moves time on, ticking at every deadline on the way. */
function harness(cfg: Partial<LinkPolicyConfig>) {
  const p = new LinkPolicy({ ...BASE, ...cfg });
  let now = 0;
  const actions: LinkPolicyAction[] = [];
  const take = () => {
    const a = p.takeActions();
    actions.push(...a);
    return a;
  };
  return {
    p,
    actions,
    take,
    get now() {
      return now;
    },
    /** Moves the clock to `t`, ticking at each deadline up to it; returns what the policy did. */
    at(t: number): LinkPolicyAction[] {
      const out: LinkPolicyAction[] = [];
      for (;;) {
        const d = p.nextDeadline();
        if (d === undefined || d > t) break;
        now = Math.max(now, d);
        p.tick(now);
        out.push(...take());
      }
      now = t;
      return out;
    },
    /** The link comes up and IP with it, now. */
    up() {
      p.linkUp(now);
      p.ipUp(now);
      return take();
    },
  };
}

const types = (a: LinkPolicyAction[]) => a.map((x) => x.type);

test('without persist: one dial, and the loop ends when the link does', () => {
  const h = harness({});
  h.p.start(0);
  assert.deepEqual(h.take(), [{ type: 'dial', demand: false }]);
  assert.equal(h.p.phase, 'link');
  assert.equal(h.p.nextDeadline(), undefined, 'nothing waits on time');
  h.up();
  h.at(5000);
  h.p.linkDown(5000);
  assert.deepEqual(h.take(), [{ type: 'exit', why: 'nopersist' }]);
  assert.equal(h.p.phase, 'exit');
});

test('idle: the link ends idle seconds after the last IP data packet, either way; status 12; no holdoff after it', () => {
  const h = harness({ idle: 10, persist: true, holdoff: 5 });
  h.p.start(0);
  h.take();
  h.at(1000);
  h.up(); // IP up at 1 s: the first check is at 11 s
  assert.equal(h.p.nextDeadline(), 11_000);
  h.at(4000);
  h.p.ipPacket(4000, 'out'); // we send at 4 s
  h.at(8000);
  h.p.ipPacket(8000, 'in'); // the peer sends at 8 s
  assert.deepEqual(h.at(17_999), [], 'the check at 11 s finds 3 s idle and looks again at 18 s');
  assert.equal(h.p.nextDeadline(), 18_000);
  assert.equal(h.p.phase, 'running');
  assert.equal(h.p.needHoldoff, true);
  const a = h.at(18_000);
  assert.deepEqual(a, [{ type: 'terminate', status: EXIT.IDLE_TIMEOUT, reason: 'Link inactive', level: 'notice', message: 'Terminating connection due to lack of activity.' }]);
  assert.equal(h.p.phase, 'terminate');
  assert.equal(h.p.needHoldoff, false, 'main.c: no holdoff after an idle timeout');
  assert.equal(h.p.nextDeadline(), undefined);
  // The link goes down: with persist it is dialled again at once, the holdoff skipped.
  h.at(18_100);
  h.p.ipDown(18_100);
  h.p.linkDown(18_200);
  assert.deepEqual(h.take(), [{ type: 'dial', demand: false }]);
  assert.equal(h.p.needHoldoff, true, 'the next link has its holdoff again');
});

test('idle: only ipPacket is activity (the daemon reports IP data packets, never control packets); idle 0: no check', () => {
  // The daemon reports only IP data packets (the session's IP counters); LCP echoes and the
  // like never reach the policy, so a link with nothing but echoes goes idle on time.
  const h = harness({ idle: 2 });
  h.p.start(0);
  h.take();
  h.up();
  assert.deepEqual(types(h.at(2000)), ['terminate']);
  const h2 = harness({ idle: 0 });
  h2.p.start(0);
  h2.take();
  h2.up();
  assert.equal(h2.p.nextDeadline(), undefined);
  assert.deepEqual(h2.at(3_600_000), []);
});

test('maxconnect: the link ends maxconnect seconds after IP came up, traffic or not; status 13', () => {
  const h = harness({ maxconnect: 60, idle: 30 });
  h.p.start(0);
  h.take();
  h.at(500);
  h.up();
  for (let t = 10_000; t < 60_500; t += 10_000) {
    assert.deepEqual(h.at(t), []);
    h.p.ipPacket(t, 'in');
  }
  assert.deepEqual(h.at(60_499), []);
  assert.deepEqual(h.at(60_500), [{ type: 'terminate', status: EXIT.CONNECT_TIME, reason: 'Connect time expired', level: 'info', message: 'Connect time expired' }]);
  assert.equal(h.p.needHoldoff, true, 'maxconnect keeps the holdoff');
  assert.equal(h.p.nextDeadline(), undefined, 'idle does not end it a second time');
});

test('idle and maxconnect stop with IP (np_down)', () => {
  const h = harness({ maxconnect: 5, idle: 5 });
  h.p.start(0);
  h.take();
  h.up();
  h.at(1000);
  h.p.ipDown(1000);
  assert.equal(h.p.nextDeadline(), undefined);
  assert.deepEqual(h.at(10_000), []);
  assert.equal(h.p.connectTime(10_000), 10, 'connect time counts from linkUp');
});

test('holdoff: 30 s by default, 0 without a connect script (unless given)', () => {
  assert.equal(defaultHoldoff(true), 30);
  assert.equal(defaultHoldoff(false), 0);
  // A connect script, holdoff not given: 30 s between links.
  const h = harness({ persist: true, connectScript: true });
  h.p.start(0);
  h.take();
  h.p.linkDown(1000); // the attempt failed
  assert.deepEqual(h.take(), []);
  assert.equal(h.p.phase, 'holdoff');
  assert.equal(h.p.nextDeadline(), 31_000);
  assert.deepEqual(h.at(30_999), []);
  assert.deepEqual(h.at(31_000), [{ type: 'dial', demand: false }]);
  // No connect script: straight back.
  const h0 = harness({ persist: true });
  h0.p.start(0);
  h0.take();
  h0.p.linkDown(1000);
  assert.deepEqual(h0.take(), [{ type: 'dial', demand: false }]);
  // No connect script, holdoff given: that.
  const h5 = harness({ persist: true, holdoff: 5 });
  h5.p.start(0);
  h5.take();
  h5.p.linkDown(1000);
  assert.equal(h5.p.nextDeadline(), 6000);
});

test('holdoff: SIGHUP ends it at once (kill_link); SIGTERM ends the loop', () => {
  const h = harness({ persist: true, holdoff: 30 });
  h.p.start(0);
  h.take();
  h.p.linkDown(0);
  h.at(1000);
  h.p.hangup(1000);
  assert.deepEqual(h.take(), [{ type: 'dial', demand: false }]);
  assert.equal(h.p.nextDeadline(), undefined);
  h.p.linkDown(2000);
  assert.equal(h.p.phase, 'holdoff');
  h.p.quit(3000);
  assert.deepEqual(h.take(), [{ type: 'exit', why: 'quit' }]);
  assert.equal(h.p.nextDeadline(), undefined);
  // A hangup while the link runs is the daemon's to act on: the policy goes on to the holdoff.
  const h2 = harness({ persist: true, holdoff: 1 });
  h2.p.start(0);
  h2.take();
  h2.up();
  h2.p.hangup(10);
  assert.deepEqual(h2.take(), []);
  h2.p.linkDown(20);
  assert.equal(h2.p.nextDeadline(), 1020);
  // A quit while the link runs ends the loop when the link is down.
  const h3 = harness({ persist: true });
  h3.p.start(0);
  h3.take();
  h3.up();
  h3.p.quit(10);
  assert.deepEqual(h3.take(), []);
  h3.p.linkDown(20);
  assert.deepEqual(h3.take(), [{ type: 'exit', why: 'quit' }]);
});

test('maxfail: gives up after maxfail unsuccessful attempts in a row; IP up starts the count again; 0 never', () => {
  const h = harness({ persist: true, maxfail: 3, holdoff: 2 });
  h.p.start(0);
  assert.deepEqual(types(h.take()), ['dial']);
  assert.equal(h.p.unsuccess, 1);
  h.p.linkDown(0);
  assert.deepEqual(types(h.at(2000)), ['dial']);
  assert.equal(h.p.unsuccess, 2);
  h.up(); // success: the count starts again
  assert.equal(h.p.unsuccess, 0);
  h.p.ipDown(3000);
  h.p.linkDown(3000);
  assert.deepEqual(types(h.at(5000)), ['dial']);
  h.p.linkDown(5000);
  assert.deepEqual(types(h.at(7000)), ['dial']);
  h.p.linkDown(7000);
  assert.deepEqual(types(h.at(9000)), ['dial']);
  assert.equal(h.p.unsuccess, 3);
  h.p.linkDown(9000);
  assert.deepEqual(h.take(), [{ type: 'exit', why: 'maxfail' }]);
  assert.equal(h.p.nextDeadline(), undefined);

  const forever = harness({ persist: true, maxfail: 0 });
  forever.p.start(0);
  forever.take();
  for (let i = 0; i < 100; i++) {
    forever.p.linkDown(i);
    assert.deepEqual(types(forever.take()), ['dial']);
  }
});

test('demand: dormant until a packet waits; the settle holds what waits 300 ms after IP comes up', () => {
  const h = harness({ demand: true, idle: 5 });
  h.p.start(0);
  assert.deepEqual(h.take(), []);
  assert.equal(h.p.phase, 'dormant');
  assert.equal(h.p.nextDeadline(), undefined, 'dormant: nothing happens by itself');
  assert.deepEqual(h.at(3_600_000), []);
  h.p.demandPacket(h.now);
  assert.deepEqual(h.take(), [{ type: 'dial', demand: true }]);
  h.p.demandPacket(h.now + 10); // more wait while the link comes up
  assert.deepEqual(h.take(), []);
  h.at(h.now + 2000);
  const up = h.now;
  h.up();
  assert.equal(h.p.settling, true);
  assert.equal(h.p.nextDeadline(), up + 300);
  assert.deepEqual(h.at(up + 299), []);
  assert.deepEqual(h.at(up + 300), [{ type: 'flush-demand-queue' }]);
  assert.equal(h.p.settling, false);
  // Our own packets going out do not end a settle; the flush is once.
  h.p.ipPacket(up + 400, 'out');
  assert.deepEqual(h.take(), []);
});

test('demand: the peer\'s first IP packet ends the settle early; idle then goes dormant again, queue dropped', () => {
  const h = harness({ demand: true, idle: 5, holdoff: 30 });
  h.p.start(0);
  h.p.demandPacket(0);
  h.take();
  h.at(1000);
  h.up();
  h.p.ipPacket(1050, 'out');
  assert.deepEqual(h.take(), [], 'not ours');
  h.p.ipPacket(1100, 'in');
  assert.deepEqual(h.take(), [{ type: 'flush-demand-queue' }]);
  assert.equal(h.p.settling, false);
  assert.deepEqual(h.at(1300), [], 'no second flush at the settle time');
  assert.deepEqual(types(h.at(6100)), ['terminate']);
  h.p.ipDown(6200);
  h.p.linkDown(6300);
  // demand implies persist: the packets that waited are dropped, no holdoff after idle, dormant.
  assert.deepEqual(h.take(), [{ type: 'discard-demand-queue' }]);
  assert.equal(h.p.phase, 'dormant');
  assert.equal(h.p.nextDeadline(), undefined);
  // A packet that arrives during a holdoff dials at its end.
  h.p.demandPacket(7000);
  assert.deepEqual(h.take(), [{ type: 'dial', demand: true }]);
  h.p.linkDown(8000); // failed attempt: holdoff 30 s
  assert.deepEqual(h.take(), [{ type: 'discard-demand-queue' }]);
  assert.equal(h.p.phase, 'holdoff');
  h.p.demandPacket(9000);
  assert.deepEqual(h.take(), []);
  assert.deepEqual(h.at(38_000), [{ type: 'dial', demand: true }]);
  // SIGTERM while dormant ends the loop.
  h.p.linkDown(39_000);
  h.take();
  h.at(69_000);
  assert.equal(h.p.phase, 'dormant');
  h.p.quit(70_000);
  assert.deepEqual(h.take(), [{ type: 'exit', why: 'quit' }]);
});

test('demand: IP going down during the settle sends nothing', () => {
  const h = harness({ demand: true });
  h.p.start(0);
  h.p.demandPacket(0);
  h.take();
  h.up();
  h.p.ipDown(100);
  assert.deepEqual(h.at(1000), []);
});
