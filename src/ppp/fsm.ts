/**
 * The RFC 1661 §4 option-negotiation automaton, once, for every control protocol.
 *
 * Like pppd's fsm.c it knows nothing about options: LCP and each NCP hand it an
 * FsmHandler (pppd's `struct fsm_callbacks`). The state-transition table below is the
 * RFC's §4.1 table cell for cell; the automaton executes the actions a cell lists, in
 * order, and moves to the cell's next state.
 */
import { Code, emitControl, parseControl } from './packet.js';
import type { Timer, Timers } from './timers.js';
import { printableText } from './log.js';

export enum State {
  Initial = 0,
  Starting = 1,
  Closed = 2,
  Stopped = 3,
  Closing = 4,
  Stopping = 5,
  ReqSent = 6,
  AckRcvd = 7,
  AckSent = 8,
  Opened = 9,
}

export const STATE_NAMES = ['Initial', 'Starting', 'Closed', 'Stopped', 'Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent', 'Opened'] as const;

export type FsmEvent =
  | 'Up' | 'Down' | 'Open' | 'Close' | 'TO+' | 'TO-'
  | 'RCR+' | 'RCR-' | 'RCA' | 'RCN' | 'RTR' | 'RTA' | 'RUC' | 'RXJ+' | 'RXJ-' | 'RXR';

export type FsmAction = 'tlu' | 'tld' | 'tls' | 'tlf' | 'irc' | 'zrc' | 'scr' | 'sca' | 'scn' | 'str' | 'sta' | 'scj' | 'ser';

interface Cell {
  actions: FsmAction[];
  next: State;
}

/**
 * RFC 1661 §4.1, states 0..9 left to right. '-' is an impossible event (§4.1: "should
 * not happen" — we log and ignore it). The footnotes: [p] passive (Stopped waits for
 * the peer), [r] restart (we do not restart: pppd's default), [x] crossed connection —
 * all three only qualify how an action is done, not which.
 */
const RFC1661_TABLE: Record<FsmEvent, string[]> = {
  'Up':   ['2', 'irc,scr/6', '-', '-', '-', '-', '-', '-', '-', '-'],
  'Down': ['-', '-', '0', 'tls/1', '0', '1', '1', '1', '1', 'tld/1'],
  'Open': ['tls/1', '1', 'irc,scr/6', '3', '5', '5', '6', '7', '8', '9'],
  'Close': ['0', 'tlf/0', '2', '2', '4', '4', 'irc,str/4', 'irc,str/4', 'irc,str/4', 'tld,irc,str/4'],
  'TO+':  ['-', '-', '-', '-', 'str/4', 'str/5', 'scr/6', 'scr/6', 'scr/8', '-'],
  'TO-':  ['-', '-', '-', '-', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', '-'],
  'RCR+': ['-', '-', 'sta/2', 'irc,scr,sca/8', '4', '5', 'sca/8', 'sca,tlu/9', 'sca/8', 'tld,scr,sca/8'],
  'RCR-': ['-', '-', 'sta/2', 'irc,scr,scn/6', '4', '5', 'scn/6', 'scn/7', 'scn/6', 'tld,scr,scn/6'],
  'RCA':  ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc/7', 'scr/6', 'irc,tlu/9', 'tld,scr/6'],
  'RCN':  ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc,scr/6', 'scr/6', 'irc,scr/8', 'tld,scr/6'],
  'RTR':  ['-', '-', 'sta/2', 'sta/3', 'sta/4', 'sta/5', 'sta/6', 'sta/6', 'sta/6', 'tld,zrc,sta/5'],
  'RTA':  ['-', '-', '2', '3', 'tlf/2', 'tlf/3', '6', '6', '8', 'tld,scr/6'],
  'RUC':  ['-', '-', 'scj/2', 'scj/3', 'scj/4', 'scj/5', 'scj/6', 'scj/7', 'scj/8', 'scj/9'],
  'RXJ+': ['-', '-', '2', '3', '4', '5', '6', '6', '8', '9'],
  'RXJ-': ['-', '-', 'tlf/2', 'tlf/3', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', 'tld,irc,str/5'],
  'RXR':  ['-', '-', '2', '3', '4', '5', '6', '7', '8', 'ser/9'],
};

function parseCell(text: string): Cell | undefined {
  if (text === '-') return undefined;
  const slash = text.lastIndexOf('/');
  if (slash < 0) return { actions: [], next: Number(text) as State };
  return { actions: text.slice(0, slash).split(',') as FsmAction[], next: Number(text.slice(slash + 1)) as State };
}

const TABLE = Object.fromEntries(
  Object.entries(RFC1661_TABLE).map(([ev, cells]) => [ev, cells.map(parseCell)]),
) as Record<FsmEvent, (Cell | undefined)[]>;

/** The table's cell, exported for tests and tools that explain the automaton. */
export function transition(state: State, event: FsmEvent): Cell | undefined {
  return TABLE[event][state];
}

/** What a protocol tells the automaton about a received Configure-Request. */
export interface ReqCiResult {
  code: typeof Code.ConfAck | typeof Code.ConfNak | typeof Code.ConfRej;
  data: Buffer;
}

/** pppd's fsm_callbacks: the option handling a protocol plugs in. */
export interface FsmHandler {
  /** Our options go back to what we want (before a fresh negotiation). */
  resetCi(): void;
  /** The Data of our Configure-Request. */
  addCi(): Buffer;
  /** A Configure-Ack must repeat our request exactly (RFC 1661 §5.2). */
  ackCi(data: Buffer): boolean;
  /** Adjust our options to a Nak; false means the Nak is malformed and is discarded. */
  nakCi(data: Buffer, treatAsReject: boolean): boolean;
  rejCi(data: Buffer): boolean;
  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult;
  up(): void;
  down(): void;
  starting(): void;
  finished(): void;
  /** Codes beyond 1..7 (LCP's Protocol-Reject, Echo, Discard). Return false for "unknown code". */
  extCode?(code: number, id: number, data: Buffer): boolean;
  /** The `ser` action: RXR in Opened (LCP answers an Echo-Request). */
  ser?(code: number, id: number, data: Buffer): void;
}

export interface FsmConfig {
  /** "LCP", "IPCP": used in log lines exactly as pppd's PROTO_NAME. */
  name: string;
  restartMs: number;
  maxConfigure: number;
  maxTerminate: number;
  maxFailure: number;
  /** pppd `passive`: after TO- stay in Stopped, waiting for the peer (footnote [p]). */
  passive?: boolean;
  /** pppd `silent`: on Up, wait for the peer's Configure-Request before sending ours. */
  silent?: boolean;
}

export interface FsmHost {
  /** Sends a control packet of this protocol. */
  send(packet: Buffer): void;
  log(level: 'debug' | 'info' | 'notice' | 'warn' | 'error', msg: string): void;
}

/** Context of the packet that caused an event, for the actions that answer it. */
interface Received {
  id: number;
  raw?: Buffer;
  code?: number;
  data?: Buffer;
  reply?: ReqCiResult;
}

export class Fsm {
  state: State = State.Initial;
  /** Counters for packets discarded because they were malformed or out of place. */
  readonly stats = { badPackets: 0, staleIds: 0, unexpected: 0 };
  /** The reason text our next Terminate-Request carries. */
  termReason = '';
  private id = 0;
  private reqId = -1;
  private restartCount = 0;
  private nakLoops = 0;
  private rcvdNakLoops = 0;
  private seenAck = false;
  private retransmitting = false;
  private readonly timer: Timer;

  constructor(
    config: FsmConfig,
    private readonly handler: FsmHandler,
    private readonly host: FsmHost,
    timers: Timers,
  ) {
    // A literal of one shape for every FSM of every session: callers build theirs with a
    // spread, whose clone would keep a hidden class per session (issue 10 item 5).
    this.config = {
      name: config.name, restartMs: config.restartMs, maxConfigure: config.maxConfigure, maxTerminate: config.maxTerminate,
      maxFailure: config.maxFailure, passive: config.passive, silent: config.silent,
    };
    // The prototype's method and this FSM, not a closure per FSM.
    this.timer = timers.create(Fsm.prototype.timeout, this);
  }

  readonly config: FsmConfig;

  // Administrative and lower-layer events (RFC 1661 §4.3).
  lowerUp(): void {
    if (this.state === State.Starting && this.config.silent) {
      this.state = State.Stopped;
      return;
    }
    this.event('Up', { id: 0 });
  }

  lowerDown(): void {
    this.event('Down', { id: 0 });
  }

  open(): void {
    this.event('Open', { id: 0 });
  }

  close(reason: string): void {
    this.termReason = reason;
    this.event('Close', { id: 0 });
  }

  /** RXJ- caused from outside, e.g. LCP received a Protocol-Reject for this protocol. */
  protocolRejected(): void {
    this.event('RXJ-', { id: 0 });
  }

  /** A received packet of this protocol (the Information field). */
  input(raw: Buffer): void {
    const pkt = parseControl(raw);
    if (!pkt) {
      this.stats.badPackets++;
      return;
    }
    // §4.2: nothing is received before the lower layer is up.
    if (this.state === State.Initial || this.state === State.Starting) {
      this.stats.unexpected++;
      return;
    }
    const rx: Received = { id: pkt.id, raw: raw.subarray(0, pkt.data.length + 4), code: pkt.code, data: pkt.data };
    switch (pkt.code) {
      case Code.ConfReq:
        return this.receiveConfReq(rx);
      case Code.ConfAck:
        if (!this.currentReply(pkt.id)) return;
        if (!this.handler.ackCi(pkt.data)) {
          this.stats.badPackets++;
          this.host.log('debug', `${this.config.name}: received bad Ack!`);
          return;
        }
        this.seenAck = true;
        this.rcvdNakLoops = 0;
        return this.event('RCA', rx);
      case Code.ConfNak:
      case Code.ConfRej: {
        if (!this.currentReply(pkt.id)) return;
        const isNak = pkt.code === Code.ConfNak;
        this.rcvdNakLoops = isNak ? this.rcvdNakLoops + 1 : 0;
        const ok = isNak
          ? this.handler.nakCi(pkt.data, this.rcvdNakLoops >= this.config.maxFailure)
          : this.handler.rejCi(pkt.data);
        if (!ok) {
          this.stats.badPackets++;
          this.host.log('debug', `${this.config.name}: received bad ${isNak ? 'Nak' : 'Reject'}!`);
          return;
        }
        this.seenAck = true;
        return this.event('RCN', rx);
      }
      case Code.TermReq:
        if (this.state === State.Opened) {
          const why = pkt.data.length ? ` (${printableText(pkt.data)})` : '';
          this.host.log('info', `${this.config.name} terminated by peer${why}`);
        }
        return this.event('RTR', rx);
      case Code.TermAck:
        return this.event('RTA', rx);
      case Code.CodeRej: {
        // §5.6: rejecting one of the codes the automaton depends on is catastrophic.
        const rejected = pkt.data[0];
        this.host.log('warn', `${this.config.name}: Rcvd Code-Reject for code ${rejected ?? '?'}, id ${pkt.data[1] ?? '?'}`);
        const fatal = rejected !== undefined && rejected >= Code.ConfReq && rejected <= Code.CodeRej;
        return this.event(fatal ? 'RXJ-' : 'RXJ+', rx);
      }
      default:
        if (this.handler.extCode?.(pkt.code, pkt.id, pkt.data)) return;
        return this.event('RUC', rx);
    }
  }

  /** Echo/Discard and friends: the RXR event, with the packet for `ser`. */
  receiveRxr(code: number, id: number, data: Buffer): void {
    this.event('RXR', { id, code, data });
  }

  /** Sends a packet of one of this protocol's extension codes (LCP Echo, Protocol-Reject). */
  sendExtended(code: number, data: Buffer, id?: number): number {
    const useId = id ?? (this.id = (this.id + 1) & 0xff);
    this.host.send(emitControl(code, useId, data));
    return useId;
  }

  private currentReply(id: number): boolean {
    // pppd fsm_rconfack/fsm_rconfnakrej: a reply to anything but our latest request
    // (or a second reply to it) is stale and silently dropped.
    if (id !== this.reqId || this.seenAck) {
      this.stats.staleIds++;
      return false;
    }
    return true;
  }

  private receiveConfReq(rx: Received): void {
    // The actions RCR+ and RCR- share (e.g. "tld,scr" in Opened) come first, as in
    // pppd's fsm_rconfreq: our new request goes out before the peer's is judged, so that
    // reqCi sees our freshly reset options.
    const plus = transition(this.state, 'RCR+');
    const minus = transition(this.state, 'RCR-');
    if (!plus || !minus) return this.event('RCR+', rx);
    if (this.state === State.Closed || this.state === State.Closing || this.state === State.Stopping) {
      return this.event('RCR+', rx);
    }
    let shared = 0;
    while (shared < plus.actions.length && plus.actions[shared] === minus.actions[shared]) shared++;
    for (let i = 0; i < shared; i++) this.act(plus.actions[i]!, rx);
    rx.reply = this.handler.reqCi(rx.data!, this.nakLoops >= this.config.maxFailure);
    const ev: FsmEvent = rx.reply.code === Code.ConfAck ? 'RCR+' : 'RCR-';
    const cell = transition(this.state, ev);
    // Judging may have taken the layer below down (CCP: MPPE required but not agreed
    // closes LCP, pppd lcp_close from ccp_reqci): nothing is left to answer.
    if (!cell) return;
    this.apply(cell.actions, cell.next, rx, shared);
    if (rx.reply.code === Code.ConfAck) this.nakLoops = 0;
    else if (rx.reply.code === Code.ConfNak) this.nakLoops++;
  }

  /** Runs one event through the table (public so the table tests can drive every cell). */
  event(ev: FsmEvent, rx: Received = { id: 0 }): void {
    const cell = transition(this.state, ev);
    if (!cell) {
      this.stats.unexpected++;
      this.host.log('debug', `${this.config.name}: event ${ev} in state ${STATE_NAMES[this.state]} ignored`);
      return;
    }
    this.apply(cell.actions, cell.next, rx);
  }

  /** Runs `actions` from index `first` on (receiveConfReq has run the ones before). */
  private apply(actions: readonly FsmAction[], next: State, rx: Received, first = 0): void {
    // Set the state before tlu/tlf run, so the upper layer sees where we are; but the
    // actions that build requests must see the state we came from (pppd resets the
    // options only when a request starts a new negotiation).
    const from = this.state;
    for (let i = first; i < actions.length; i++) {
      const a = actions[i]!;
      if (a === 'tlu' || a === 'tlf' || a === 'tls') continue;
      this.act(a, rx, from, actions);
    }
    this.state = next;
    if (!hasTimer(next)) this.timer.stop();
    for (let i = first; i < actions.length; i++) {
      const a = actions[i]!;
      if (a === 'tlu' || a === 'tlf' || a === 'tls') this.act(a, rx, from, actions);
    }
  }

  private act(a: FsmAction, rx: Received, from: State = this.state, all: readonly FsmAction[] = []): void {
    switch (a) {
      case 'tlu':
        this.rcvdNakLoops = 0;
        return this.handler.up();
      case 'tld':
        return this.handler.down();
      case 'tls':
        return this.handler.starting();
      case 'tlf':
        return this.handler.finished();
      case 'irc':
        this.restartCount = all.includes('str') ? this.config.maxTerminate : this.config.maxConfigure;
        return;
      case 'zrc':
        // §4.6: zero the counter but run the timer once, so a Terminate-Ack can get out.
        this.restartCount = 0;
        this.timer.start(this.config.restartMs);
        return;
      case 'scr':
        return this.sendConfReq(from);
      case 'sca':
        this.host.send(emitControl(Code.ConfAck, rx.id, rx.reply?.data ?? rx.data ?? Buffer.alloc(0)));
        return;
      case 'scn':
        if (rx.reply) this.host.send(emitControl(rx.reply.code, rx.id, rx.reply.data));
        return;
      case 'str':
        this.restartCount--;
        this.host.send(emitControl(Code.TermReq, (this.id = (this.id + 1) & 0xff), Buffer.from(this.termReason, 'latin1')));
        this.timer.start(this.config.restartMs);
        return;
      case 'sta':
        this.host.send(emitControl(Code.TermAck, rx.id));
        return;
      case 'scj': {
        // §5.7: the rejected packet goes back whole, truncated to fit (we cap at 1500).
        const rejected = (rx.raw ?? Buffer.alloc(0)).subarray(0, 1496);
        this.host.send(emitControl(Code.CodeRej, (this.id = (this.id + 1) & 0xff), rejected));
        return;
      }
      case 'ser':
        if (rx.code !== undefined) this.handler.ser?.(rx.code, rx.id, rx.data ?? Buffer.alloc(0));
        return;
    }
  }

  private sendConfReq(from: State): void {
    const negotiating = from === State.ReqSent || from === State.AckRcvd || from === State.AckSent;
    if (!negotiating) {
      this.handler.resetCi();
      this.nakLoops = 0;
      this.rcvdNakLoops = 0;
    }
    if (!this.retransmitting) this.reqId = this.id = (this.id + 1) & 0xff;
    this.seenAck = false;
    this.host.send(emitControl(Code.ConfReq, this.reqId, this.handler.addCi()));
    this.restartCount--;
    this.timer.start(this.config.restartMs);
  }

  private timeout(): void {
    if (this.restartCount > 0) {
      // TO+: a retransmission keeps its Identifier (pppd fsm_sconfreq(f, 1)).
      this.retransmitting = true;
      try {
        this.event('TO+');
      } finally {
        this.retransmitting = false;
      }
      return;
    }
    if (this.state === State.ReqSent || this.state === State.AckRcvd || this.state === State.AckSent) {
      this.host.log('warn', `${this.config.name}: timeout sending Config-Requests`);
      if (this.config.passive) {
        // footnote [p]: a passive end stays in Stopped waiting for the peer, without tlf
        // (pppd fsm_timeout skips `finished` under OPT_PASSIVE).
        this.state = State.Stopped;
        return;
      }
    }
    this.event('TO-');
  }
}

function hasTimer(s: State): boolean {
  return s === State.Closing || s === State.Stopping || s === State.ReqSent || s === State.AckRcvd || s === State.AckSent;
}
