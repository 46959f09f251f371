/**
 * The daemon's link policy, sans-IO: when to dial, when to end a link that is idle or has been
 * up too long, how long to hold off before dialling again and when to give up, and (with
 * `demand`) when the packets that waited for the link go out. Events and the time come in;
 * actions and the next deadline come out. The daemon runs it with the real clock from one
 * timer; tests run it with a virtual one.
 *
 * pppd 2.4.9: main.c main (the loop: need_holdoff, ++unsuccess, the dormant wait of `demand`,
 * the persist/maxfail check, demand_discard, the holdoff wait that a signal ends), auth.c
 * np_up / np_down (unsuccess = 0; the check_idle and connect_time_expired timeouts),
 * check_idle (the link is idle when no data packet went either way for idle seconds; it ends
 * the link with "Link inactive", status 12, and no holdoff), connect_time_expired (status 13),
 * tty.c (holdoff defaults to 0 when no connect script is given), demand.c (packets queue while
 * the link is down; demand_rexmit sends them once IP is up).
 *
 *   const p = new LinkPolicy(config);
 *   p.start(now);                       // then, as things happen:
 *   p.demandPacket(now) | p.linkUp(now) | p.ipUp(now) | p.ipPacket(now, 'in' | 'out')
 *   p.ipDown(now) | p.linkDown(now) | p.hangup(now) | p.quit(now)
 *   at p.nextDeadline(): p.tick(now);   // after each of these: p.takeActions()
 */
import { EXIT } from '../ppp/exit-codes.js';
import type { LogLevel } from '../ppp/log.js';

export interface LinkPolicyConfig {
  /** `persist`: dial again after a link ends (`demand` implies it). */
  persist: boolean;
  /** `demand`: dormant until a packet waits for the peer. */
  demand: boolean;
  /** `idle` seconds: end the link when no IP data packet went either way for that long (0 = never). */
  idle: number;
  /** `maxconnect` seconds: end the link that long after IP came up (0 = never). */
  maxconnect: number;
  /** `maxfail`: give up after that many unsuccessful attempts in a row (0 = never). */
  maxfail: number;
  /** `holdoff` seconds between links; undefined: pppd's default (see defaultHoldoff). */
  holdoff?: number;
  /** A `connect` script is given (it decides the default holdoff). */
  connectScript?: boolean;
  /** demand: how long after IP comes up the waiting packets go out (see DEMAND_SETTLE_MS). */
  demandSettleMs?: number;
}

/**
 * demand: how long after IPCP comes up the packets that waited go out. When our
 * Configure-Ack is the last IPCP packet, the peer's IPCP opens only as it reads it, and a
 * pppd peer then sets up its interface (ip-pre-up, NPMODE_PASS) before it passes IP: packets
 * right behind the Ack are dropped there. pppd's demand_rexmit sends at once and loses them.
 * The peer's first IP packet shows it is ready sooner.
 */
export const DEMAND_SETTLE_MS = 300;

/** tty.c: holdoff is 30 seconds, 0 when no connect script is given (unless `holdoff` is). */
export function defaultHoldoff(connectScript: boolean): number {
  return connectScript ? 30 : 0;
}

/**
 * Where the policy is (after pppd's phases): `initialize` before start; `dormant`, with
 * `demand`, waiting for a packet; `link` from the dial to the end of the link (pppd's
 * serialconn .. network); `running` while IP is up; `terminate` once the policy has ended the
 * link (idle, maxconnect); `holdoff` between links; `exit` once the daemon should stop.
 */
export type LinkPhase = 'initialize' | 'dormant' | 'link' | 'running' | 'terminate' | 'holdoff' | 'exit';

export type LinkPolicyAction =
  /** Start a link: open the line, run the scripts, run PPP. `demand`: the dial was a waiting packet's ("Starting link"). */
  | { type: 'dial'; demand: boolean }
  /** End the link: log `message` at `level`, then Terminate-Request with `reason`; exit status `status`. */
  | { type: 'terminate'; status: number; reason: string; level: LogLevel; message: string }
  /** demand: IP is up and the peer is ready: send the packets that waited (demand_rexmit). */
  | { type: 'flush-demand-queue' }
  /** demand: the link is over: drop the packets that waited for it (demand_discard). */
  | { type: 'discard-demand-queue' }
  /**
   * Leave the main loop (the exit status is the last link's): `nopersist` after a link without
   * `persist`, `quit` on a signal, `maxfail` after that many unsuccessful attempts in a row.
   */
  | { type: 'exit'; why: 'nopersist' | 'quit' | 'maxfail' };

export class LinkPolicy {
  private _phase: LinkPhase = 'initialize';
  private persist: boolean;
  private asked_to_quit = false;
  /** main.c unsuccess: attempts since IP was last up. */
  private _unsuccess = 0;
  /** main.c need_holdoff: cleared when the link ended for lack of activity. */
  private _needHoldoff = true;
  /** demand: packets wait in the daemon's queue. */
  private queued = false;
  private readonly holdoffMs: number;
  private readonly settleMs: number;
  private actions: LinkPolicyAction[] = [];

  private linkStart: number | undefined;
  private lastActivity = 0;
  private idleCheckAt: number | undefined;
  private maxconnectAt: number | undefined;
  private settleAt: number | undefined;
  private holdoffEnd: number | undefined;

  constructor(private readonly cfg: LinkPolicyConfig) {
    this.persist = cfg.persist || cfg.demand;
    this.holdoffMs = Math.max(0, cfg.holdoff ?? defaultHoldoff(!!cfg.connectScript)) * 1000;
    this.settleMs = cfg.demandSettleMs ?? DEMAND_SETTLE_MS;
  }

  get phase(): LinkPhase {
    return this._phase;
  }

  /** Unsuccessful attempts in a row so far (the one under way counts). */
  get unsuccess(): number {
    return this._unsuccess;
  }

  /** Whether a holdoff follows the current link (not after an idle timeout). */
  get needHoldoff(): boolean {
    return this._needHoldoff;
  }

  /** demand: whether IP is up but the waiting packets are held back still. */
  get settling(): boolean {
    return this.settleAt !== undefined;
  }

  /** Seconds since linkUp (pppd's connect time), 0 before it. */
  connectTime(now: number): number {
    return this.linkStart === undefined ? 0 : Math.floor((now - this.linkStart) / 1000);
  }

  // ---- events -------------------------------------------------------------------------------

  /** The daemon starts its main loop. */
  start(now: number): void {
    if (this._phase !== 'initialize') return;
    this.loopTop(now);
  }

  /** demand: a packet for the peer joined the queue. Dormant, it starts the link. */
  demandPacket(_now: number): void {
    if (!this.cfg.demand) return;
    this.queued = true;
    if (this._phase === 'dormant') this.dial(true);
  }

  /** The line is open and PPP starts on it ("Connect: ppp0 <--> ..."). */
  linkUp(now: number): void {
    this.linkStart = now;
  }

  /** IP is up (auth.c np_up): the attempt succeeded; idle, maxconnect and the demand settle start. */
  ipUp(now: number): void {
    if (this._phase !== 'link') return;
    this._phase = 'running';
    this._unsuccess = 0;
    this.lastActivity = now;
    if (this.cfg.idle > 0) this.idleCheckAt = now + this.cfg.idle * 1000;
    if (this.cfg.maxconnect > 0) this.maxconnectAt = now + this.cfg.maxconnect * 1000;
    // demand: what waits, and what comes meanwhile, goes out once the peer is ready.
    if (this.cfg.demand) this.settleAt = now + this.settleMs;
  }

  /**
   * An IP data packet went to the peer (`out`) or came from it (`in`): activity for `idle`
   * (control packets, LCP echoes among them, are not). The peer's first one ends the settle.
   */
  ipPacket(now: number, dir: 'in' | 'out'): void {
    if (this._phase !== 'running' && this._phase !== 'terminate') return;
    if (now > this.lastActivity) this.lastActivity = now;
    if (dir === 'in' && this.settleAt !== undefined) this.flush();
  }

  /** IP went down (auth.c np_down): its timers stop. */
  ipDown(_now: number): void {
    this.idleCheckAt = undefined;
    this.maxconnectAt = undefined;
    this.settleAt = undefined;
    if (this._phase === 'running') this._phase = 'link';
  }

  /** The link is dead (pppd's PHASE_DEAD): give up, hold off, or dial again. */
  linkDown(now: number): void {
    if (this._phase !== 'link' && this._phase !== 'running' && this._phase !== 'terminate') return;
    this.ipDown(now);
    this.linkStart = undefined;
    const maxfail = this.cfg.maxfail > 0 && this._unsuccess >= this.cfg.maxfail;
    if (!this.persist || this.asked_to_quit || maxfail) {
      this.exit(this.asked_to_quit ? 'quit' : !this.persist ? 'nopersist' : 'maxfail');
      return;
    }
    if (this.cfg.demand) this.discard();
    const t = this._needHoldoff ? this.holdoffMs : 0;
    if (t > 0) {
      this._phase = 'holdoff';
      this.holdoffEnd = now + t;
      return;
    }
    this.loopTop(now);
  }

  /** SIGHUP (pppd's kill_link): the daemon ends the link itself; a holdoff ends at once. */
  hangup(now: number): void {
    if (this._phase === 'holdoff') this.endHoldoff(now);
  }

  /** SIGINT/SIGTERM (asked_to_quit, persist off): the daemon ends the link; the loop ends after it. */
  quit(_now: number): void {
    this.asked_to_quit = true;
    this.persist = false;
    if (this._phase === 'dormant' || this._phase === 'holdoff' || this._phase === 'initialize') {
      this.holdoffEnd = undefined;
      this.exit('quit');
    }
  }

  // ---- time ---------------------------------------------------------------------------------

  tick(now: number): void {
    if (this.settleAt !== undefined && now >= this.settleAt) this.flush();
    if (this.maxconnectAt !== undefined && now >= this.maxconnectAt) {
      // auth.c connect_time_expired
      this.terminate({ type: 'terminate', status: EXIT.CONNECT_TIME, reason: 'Connect time expired', level: 'info', message: 'Connect time expired' });
    }
    if (this.idleCheckAt !== undefined && now >= this.idleCheckAt) {
      // auth.c check_idle: idle since the last data packet either way.
      const left = this.lastActivity + this.cfg.idle * 1000 - now;
      if (left <= 0) {
        this._needHoldoff = false;
        this.terminate({
          type: 'terminate',
          status: EXIT.IDLE_TIMEOUT,
          reason: 'Link inactive',
          level: 'notice',
          message: 'Terminating connection due to lack of activity.',
        });
      } else {
        this.idleCheckAt = now + left;
      }
    }
    if (this.holdoffEnd !== undefined && now >= this.holdoffEnd) this.endHoldoff(now);
  }

  /** When tick() is due next; undefined when nothing waits on time. */
  nextDeadline(): number | undefined {
    let at: number | undefined;
    for (const t of [this.settleAt, this.idleCheckAt, this.maxconnectAt, this.holdoffEnd]) {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    }
    return at;
  }

  /** What the daemon should do now, in order. */
  takeActions(): LinkPolicyAction[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }

  // ---- inside -------------------------------------------------------------------------------

  /** The top of main.c's loop. */
  private loopTop(_now: number): void {
    this._needHoldoff = true;
    this._unsuccess++;
    if (this.cfg.demand) {
      // Don't do anything until we see some activity.
      this._phase = 'dormant';
      if (this.queued) this.dial(true);
      return;
    }
    this.dial(false);
  }

  private dial(demand: boolean): void {
    this._phase = 'link';
    this.actions.push({ type: 'dial', demand });
  }

  private endHoldoff(now: number): void {
    this.holdoffEnd = undefined;
    if (!this.persist) return this.exit('quit');
    this.loopTop(now);
  }

  private terminate(a: LinkPolicyAction & { type: 'terminate' }): void {
    // The link is going: no second reason to end it.
    this.idleCheckAt = undefined;
    this.maxconnectAt = undefined;
    this._phase = 'terminate';
    this.actions.push(a);
  }

  private flush(): void {
    this.settleAt = undefined;
    this.queued = false;
    this.actions.push({ type: 'flush-demand-queue' });
  }

  private discard(): void {
    this.queued = false;
    this.actions.push({ type: 'discard-demand-queue' });
  }

  private exit(why: 'nopersist' | 'quit' | 'maxfail'): void {
    this._phase = 'exit';
    this.actions.push({ type: 'exit', why });
  }
}
