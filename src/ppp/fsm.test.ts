import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fsm, State, STATE_NAMES, type FsmEvent, type FsmHandler } from './fsm.js';
import { Code, emitControl, parseControl } from './packet.js';
import { Timers } from './timers.js';

/**
 * RFC 1661 §4.1 as printed in the RFC (both halves). The test reads expectations from
 * this text and checks what the automaton *does* (packets out, upper-layer calls,
 * restart counter, timer), not its internal table.
 */
const RFC_TABLE = `
      |    0         1         2         3         4         5
Events| Initial   Starting  Closed    Stopped   Closing   Stopping
 Up   |    2     irc,scr/6     -         -         -         -
 Down |    -         -         0       tls/1       0         1
 Open |  tls/1       1     irc,scr/6     3r        5r        5r
 Close|    0       tlf/0       2         2         4         4
  TO+ |    -         -         -         -       str/4     str/5
  TO- |    -         -         -         -       tlf/2     tlf/3
 RCR+ |    -         -       sta/2 irc,scr,sca/8   4         5
 RCR- |    -         -       sta/2 irc,scr,scn/6   4         5
 RCA  |    -         -       sta/2     sta/3       4         5
 RCN  |    -         -       sta/2     sta/3       4         5
 RTR  |    -         -       sta/2     sta/3     sta/4     sta/5
 RTA  |    -         -         2         3       tlf/2     tlf/3
 RUC  |    -         -       scj/2     scj/3     scj/4     scj/5
 RXJ+ |    -         -         2         3         4         5
 RXJ- |    -         -       tlf/2     tlf/3     tlf/2     tlf/3
 RXR  |    -         -         2         3         4         5
      |    6         7         8           9
Events| Req-Sent  Ack-Rcvd  Ack-Sent    Opened
 Up   |    -         -         -           -
 Down |    1         1         1         tld/1
 Open |    6         7         8           9r
 Close|irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
  TO+ |  scr/6     scr/6     scr/8         -
  TO- |  tlf/3p    tlf/3p    tlf/3p        -
 RCR+ |  sca/8   sca,tlu/9   sca/8   tld,scr,sca/8
 RCR- |  scn/6     scn/7     scn/6   tld,scr,scn/6
 RCA  |  irc/7     scr/6x  irc,tlu/9   tld,scr/6x
 RCN  |irc,scr/6   scr/6x  irc,scr/8   tld,scr/6x
 RTR  |  sta/6     sta/6     sta/6   tld,zrc,sta/5
 RTA  |    6         6         8       tld,scr/6
 RUC  |  scj/6     scj/7     scj/8       scj/9
 RXJ+ |    6         6         8           9
 RXJ- |  tlf/3     tlf/3     tlf/3   tld,irc,str/5
 RXR  |    6         7         8         ser/9
`;

interface Expect {
  actions: string[];
  next: number;
}

function readRfcTable(): Map<string, Expect | undefined> {
  const cells = new Map<string, Expect | undefined>();
  let columns: number[] = [];
  for (const line of RFC_TABLE.split('\n')) {
    const [head, rest] = line.split('|');
    if (rest === undefined) continue;
    const words = rest.trim().split(/\s+/);
    if (head!.trim() === '') {
      columns = words.map(Number);
      continue;
    }
    if (head!.trim() === 'Events') continue;
    const ev = head!.trim();
    words.forEach((w, i) => {
      const key = `${columns[i]}:${ev}`;
      if (w === '-') return cells.set(key, undefined);
      const m = /^(?:(.*)\/)?(\d)[rpx]?$/.exec(w)!;
      cells.set(key, { actions: m[1] ? m[1].split(',') : [], next: Number(m[2]) });
    });
  }
  return cells;
}

const MAX_CONFIGURE = 10;
const MAX_TERMINATE = 2;

function harness() {
  const calls: string[] = [];
  const sent: { code: number; id: number; data: Buffer }[] = [];
  let reply: { code: 2 | 3 | 4; data: Buffer } = { code: Code.ConfAck, data: Buffer.from([1, 4, 5, 220]) };
  const handler: FsmHandler = {
    resetCi: () => calls.push('resetCi'),
    addCi: () => Buffer.from([5, 6, 1, 2, 3, 4]),
    ackCi: () => true,
    nakCi: () => true,
    rejCi: () => true,
    reqCi: () => reply,
    up: () => calls.push('tlu'),
    down: () => calls.push('tld'),
    starting: () => calls.push('tls'),
    finished: () => calls.push('tlf'),
    ser: (code) => calls.push(`ser:${code}`),
  };
  const timers = new Timers({ now: 0 });
  const logs: string[] = [];
  const fsm = new Fsm(
    { name: 'LCP', restartMs: 3000, maxConfigure: MAX_CONFIGURE, maxTerminate: MAX_TERMINATE, maxFailure: 5 },
    handler,
    { send: (p) => sent.push(parseControl(p)!), log: (_l, m) => logs.push(m) },
    timers,
  );
  return {
    fsm, calls, sent, timers, logs,
    setReply: (r: typeof reply) => (reply = r),
  };
}

/** Observed actions, in the RFC's vocabulary, from what the automaton did. */
function observed(h: ReturnType<typeof harness>): string[] {
  const out: string[] = [];
  for (const c of h.calls) {
    if (c === 'tlu' || c === 'tld' || c === 'tls' || c === 'tlf') out.push(c);
    if (c.startsWith('ser')) out.push('ser');
  }
  for (const p of h.sent) {
    out.push(({ 1: 'scr', 2: 'sca', 3: 'scn', 4: 'scn', 5: 'str', 6: 'sta', 7: 'scj' } as Record<number, string>)[p.code] ?? `code${p.code}`);
  }
  return out;
}

function drive(h: ReturnType<typeof harness>, ev: FsmEvent): void {
  const { fsm } = h;
  const seedReqId = 7;
  switch (ev) {
    case 'Up': return fsm.lowerUp();
    case 'Down': return fsm.lowerDown();
    case 'Open': return fsm.open();
    case 'Close': return fsm.close('test');
    case 'TO+':
    case 'TO-':
      // Arm the restart timer with 1 (TO+) or 0 (TO-) retransmissions left, then let time pass.
      (fsm as unknown as { restartCount: number }).restartCount = ev === 'TO+' ? 1 : 0;
      forceTimer(h);
      return h.timers.fire(h.timers.clock.now + 3000);
    case 'RCR+':
      h.setReply({ code: Code.ConfAck, data: Buffer.from([1, 4, 5, 220]) });
      return fsm.input(emitControl(Code.ConfReq, 0x42, Buffer.from([1, 4, 5, 220])));
    case 'RCR-':
      h.setReply({ code: Code.ConfNak, data: Buffer.from([1, 4, 5, 220]) });
      return fsm.input(emitControl(Code.ConfReq, 0x42, Buffer.from([1, 4, 5, 220])));
    case 'RCA':
      setReqId(h, seedReqId);
      return fsm.input(emitControl(Code.ConfAck, seedReqId, Buffer.from([5, 6, 1, 2, 3, 4])));
    case 'RCN':
      setReqId(h, seedReqId);
      return fsm.input(emitControl(Code.ConfNak, seedReqId, Buffer.from([5, 6, 9, 9, 9, 9])));
    case 'RTR': return fsm.input(emitControl(Code.TermReq, 0x43));
    case 'RTA': return fsm.input(emitControl(Code.TermAck, 0x44));
    case 'RUC': return fsm.input(emitControl(0x55, 0x45, Buffer.from('x')));
    case 'RXJ+': return fsm.input(emitControl(Code.CodeRej, 0x46, emitControl(0x55, 1)));
    case 'RXJ-': return fsm.input(emitControl(Code.CodeRej, 0x46, emitControl(Code.ConfReq, 1)));
    case 'RXR': return fsm.receiveRxr(Code.EchoReq, 0x47, Buffer.from([0, 0, 0, 0]));
  }
}

function setReqId(h: ReturnType<typeof harness>, id: number): void {
  const f = h.fsm as unknown as { reqId: number; seenAck: boolean };
  f.reqId = id;
  f.seenAck = false;
}

function forceTimer(h: ReturnType<typeof harness>): void {
  const f = h.fsm as unknown as { timer: { start(ms: number): void } };
  f.timer.start(3000);
}

const EVENTS: FsmEvent[] = ['Up', 'Down', 'Open', 'Close', 'TO+', 'TO-', 'RCR+', 'RCR-', 'RCA', 'RCN', 'RTR', 'RTA', 'RUC', 'RXJ+', 'RXJ-', 'RXR'];
const table = readRfcTable();

test('the RFC table text covers 10 states x 16 events', () => {
  assert.equal(table.size, 160);
});

for (let s = 0; s <= 9; s++) {
  for (const ev of EVENTS) {
    const expect = table.get(`${s}:${ev}`);
    const label = `${STATE_NAMES[s]} x ${ev} -> ${expect ? `${expect.actions.join(',') || '(none)'}/${expect.next}` : 'impossible'}`;
    test(`RFC 1661 §4.1 cell: ${label}`, () => {
      const h = harness();
      h.fsm.state = s as State;
      (h.fsm as unknown as { restartCount: number }).restartCount = 5;
      if (!expect) {
        // "-": the event cannot occur here; the automaton ignores it and counts it.
        // TO± in a state without a timer cannot even be produced: skip the drive.
        const before = h.fsm.stats.unexpected + h.fsm.stats.staleIds;
        if (ev === 'TO+' || ev === 'TO-') {
          h.fsm.event(ev);
        } else {
          drive(h, ev);
        }
        assert.equal(h.fsm.state, s, 'state unchanged');
        assert.deepEqual(observed(h), [], 'no actions');
        assert.ok(h.fsm.stats.unexpected + h.fsm.stats.staleIds > before, 'counted');
        return;
      }
      drive(h, ev);
      assert.equal(h.fsm.state, expect.next, `next state ${STATE_NAMES[expect.next]}`);
      const visible = expect.actions.filter((a) => a !== 'irc' && a !== 'zrc');
      assert.deepEqual(observed(h).sort(), [...visible].sort(), 'actions');
      const restarts = (h.fsm as unknown as { restartCount: number }).restartCount;
      const timerRunning = (h.fsm as unknown as { timer: { running: boolean } }).timer.running;
      // irc, then one send that uses up one count.
      if (expect.actions.includes('irc')) {
        const max = expect.actions.includes('str') ? MAX_TERMINATE : MAX_CONFIGURE;
        const sends = expect.actions.filter((a) => a === 'scr' || a === 'str').length;
        assert.equal(restarts, max - sends, 'irc sets the restart counter');
      }
      if (expect.actions.includes('zrc')) {
        assert.equal(restarts, 0, 'zrc zeroes the counter');
        assert.ok(timerRunning, 'zrc starts the timer');
      }
      // The restart timer runs exactly in the states that wait for an answer (§4.2).
      const waits = [State.Closing, State.Stopping, State.ReqSent, State.AckRcvd, State.AckSent].includes(expect.next);
      if (expect.actions.includes('scr') || expect.actions.includes('str') || expect.actions.includes('zrc')) {
        assert.ok(timerRunning, 'timer started by the send');
      }
      if (!waits) assert.ok(!timerRunning, 'no timer outside the waiting states');
    });
  }
}

test('sta answers with the Identifier of the Terminate-Request', () => {
  const h = harness();
  h.fsm.state = State.Opened;
  h.fsm.input(emitControl(Code.TermReq, 0x99, Buffer.from('bye')));
  const ack = h.sent.find((p) => p.code === Code.TermAck)!;
  assert.equal(ack.id, 0x99);
  assert.ok(h.logs.includes('LCP terminated by peer (bye)'));
});

test('a silent peer: Max-Configure requests three seconds apart, then the pppd timeout line and tlf', () => {
  const h = harness();
  h.fsm.open();
  h.fsm.lowerUp();
  for (let t = 3000; t <= 40_000; t += 3000) h.timers.fire(t);
  const reqs = h.sent.filter((p) => p.code === Code.ConfReq);
  assert.equal(reqs.length, MAX_CONFIGURE);
  assert.ok(reqs.every((p) => p.id === reqs[0]!.id), 'retransmissions keep their Identifier');
  assert.equal(h.fsm.state, State.Stopped);
  assert.ok(h.logs.includes('LCP: timeout sending Config-Requests'));
  assert.deepEqual(h.calls.filter((c) => c === 'tlf'), ['tlf']);
});

test('a stale Configure-Ack (wrong Identifier) is discarded and counted', () => {
  const h = harness();
  h.fsm.open();
  h.fsm.lowerUp();
  const id = h.sent[0]!.id;
  h.fsm.input(emitControl(Code.ConfAck, (id + 1) & 0xff, Buffer.from([5, 6, 1, 2, 3, 4])));
  assert.equal(h.fsm.state, State.ReqSent);
  assert.equal(h.fsm.stats.staleIds, 1);
});

test('a malformed packet (Length beyond the data) is discarded and counted', () => {
  const h = harness();
  h.fsm.open();
  h.fsm.lowerUp();
  h.fsm.input(Buffer.from([1, 1, 0, 40, 1, 2]));
  h.fsm.input(Buffer.from([1]));
  assert.equal(h.fsm.stats.badPackets, 2);
  assert.equal(h.fsm.state, State.ReqSent);
});

test('passive: after TO- the automaton waits in Stopped without finishing', () => {
  const h = harness();
  (h.fsm.config as { passive?: boolean }).passive = true;
  h.fsm.open();
  h.fsm.lowerUp();
  for (let t = 3000; t <= 40_000; t += 3000) h.timers.fire(t);
  assert.equal(h.fsm.state, State.Stopped);
  assert.deepEqual(h.calls.filter((c) => c === 'tlf'), []);
  // ...and still answers a peer that starts later.
  h.fsm.input(emitControl(Code.ConfReq, 9, Buffer.from([1, 4, 5, 220])));
  assert.equal(h.fsm.state, State.AckSent);
});
