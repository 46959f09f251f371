/**
 * Accounting that loses nothing (issue 10 item 3). One Accounting per `dialtone isp` process
 * takes session events from the server and
 *  - appends the local JSON-lines record (`accounting FILE`, group commit: accounting-log.ts);
 *  - keeps each live session's interim state on disk (session-state.ts), so that after a crash
 *    the next start gives every session that was up its Stop (NAS-Reboot);
 *  - spools RADIUS accounting records (spool.ts) and delivers them in order to the
 *    `radius-acct` servers, with Acct-Delay-Time from the time spooled (RFC 2866 §5.2):
 *    Start, Interim-Update every `radius-acct-interim` seconds, Stop with
 *    Acct-Terminate-Cause from pppd's exit status, Accounting-On at start and Off at stop.
 *
 * Records go to the spool first (durable), then out; the spool is acknowledged when a server
 * answered with an Accounting-Response, so a dead server only delays records.
 */
import type { SessionStateStore, StoredSession } from '../isp/session-state.js';
import type { AccountingLog } from '../isp/accounting-log.js';
import type { SpoolStore, SpoolEntry, SpoolKind } from './spool.js';
import { terminateCause, type TerminateCauseName } from './terminate-cause.js';

/** Acct-Status-Type (RFC 2866 §5.1). */
export const ACCT_STATUS = { start: 1, stop: 2, interim: 3, on: 7, off: 8 } as const;

/** What the spool holds for one RADIUS accounting record (the attributes are made at send time). */
export interface AcctRecord {
  status: SpoolKind;
  /** Event time, epoch ms (Event-Timestamp; Acct-Delay-Time counts from the enqueue time). */
  time: number;
  sessionId?: string;
  multiSessionId?: string;
  user?: string;
  nasPort?: number;
  /** 'Async' (modem lines) or 'Virtual' (TCP). */
  nasPortType?: 'Async' | 'Virtual';
  callingStationId?: string;
  calledStationId?: string;
  connectInfo?: string;
  framedIp?: string;
  /** Class attributes from the Access-Accept, hex, echoed in order. */
  classes?: string[];
  sessionTime?: number;
  inputOctets?: number;
  outputOctets?: number;
  inputPackets?: number;
  outputPackets?: number;
  terminateCause?: TerminateCauseName;
}

/** Sends one record to the accounting servers: true once one answered with an Accounting-Response. */
export type AcctTransport = (record: AcctRecord, delaySeconds: number) => Promise<boolean>;

/** A live session as accounting sees it. */
export interface AcctSession {
  /** The server's session number (NAS-Port). */
  id: number;
  user?: string;
  origin: string;
  address?: string;
  upAt: number;
  modem: boolean;
  callingStationId?: string;
  calledStationId?: string;
  connectInfo?: string;
  /** Class attributes from the Access-Accept, echoed (RFC 2865 §5.25), hex. */
  classes?: string[];
  /** Seconds between Interim-Updates (Acct-Interim-Interval from the Access-Accept overrides the config; see radiusInterim). */
  interimInterval?: number;
  counters(): { bytesIn: number; bytesOut: number; framesIn: number; framesOut: number };
}

export interface AccountingOptions {
  log(msg: string): void;
  local?: AccountingLog;
  state?: SessionStateStore;
  spool?: SpoolStore<AcctRecord>;
  transport?: AcctTransport;
  /** Seconds between Interim-Updates; 0 = none (Acct-Interim-Interval of a session overrides it). */
  interim: number;
  /** Seconds between interim state writes when no Interim-Updates are sent (default 60). */
  stateEvery?: number;
  /** Epoch ms now (tests pass a virtual clock; the shell passes Date.now). */
  now(): number;
  /** Identifies this boot in Acct-Session-Id (so ids never repeat across restarts). */
  bootId: string;
  /** Records outstanding at once towards the servers (sent in spool order). */
  window?: number;
  /** Milliseconds to wait after a delivery failure before trying the head of the spool again. */
  retryMs?: number;
  setTimer(fn: () => void, ms: number): { clear(): void };
}

/**
 * Acct-Interim-Interval from RADIUS (Access-Accept, CoA) as pppd's radius plugin takes it:
 * RFC 2869 §5.16 says it SHOULD NOT be below 60 s, so a smaller non-zero value is raised to
 * 60; 0 means no Interim-Updates. (`radius-acct-interim` in isp.conf is the operator's own
 * choice and is taken as given, so tests can ask for seconds.)
 */
export function radiusInterim(seconds: number): number {
  return seconds > 0 && seconds < 60 ? 60 : Math.max(0, seconds);
}

interface Tracked {
  s: AcctSession;
  acctSessionId: string;
  timer?: { clear(): void };
  stopped: boolean;
}

export class Accounting {
  private readonly live = new Map<number, Tracked>();
  private failing = false;
  private retryTimer?: { clear(): void };
  private readonly inFlight = new Set<number>();
  /** Answered records not yet acknowledged in the spool (an earlier one is outstanding). */
  private readonly answered = new Set<number>();
  private readonly settledWaiters: Array<() => void> = [];
  private closed = false;
  readonly counters = { sent: 0, acknowledged: 0, failures: 0, recoveredStops: 0, spoolRefused: 0, localErrors: 0 };

  constructor(private readonly o: AccountingOptions) {}

  /** This boot's Acct-Session-Id for the server's session number `id`. */
  sessionIdOf(id: number): string {
    return `${this.o.bootId}-${id.toString(16).padStart(8, '0')}`;
  }

  /**
   * At start: Stops for the sessions a crash left (from their last interim state), then
   * Accounting-On (RFC 2866 §5.1: the NAS tells the server that it (re)started).
   */
  async begin(): Promise<void> {
    const left = this.o.state?.recover() ?? [];
    for (const st of left) {
      const r = st as StoredSession & AcctRecord & { local?: Record<string, unknown> };
      this.counters.recoveredStops++;
      this.o.log(`accounting: session ${r.acctSessionId} (${r.user ?? 'unknown user'}) was up when the server stopped; recording its Stop (NAS-Reboot)`);
      const rec: AcctRecord = { ...stripState(r), status: 'stop', time: this.o.now(), terminateCause: 'NAS-Reboot' };
      await Promise.all([
        this.writeLocal({ ...(r.local ?? {}), event: 'stop', status: 'NAS-Reboot', recovered: true, lastStateAt: r.time, seconds: r.sessionTime, bytesIn: r.inputOctets, bytesOut: r.outputOctets, framesIn: r.inputPackets, framesOut: r.outputPackets }),
        this.spool(rec),
      ]);
      await this.o.state!.remove(r.acctSessionId);
    }
    await this.spool({ status: 'on', time: this.o.now() });
    this.deliver();
  }

  /** The session's IP is up: Start (local and RADIUS), interim state, and its interim timer. */
  start(s: AcctSession, local: Record<string, unknown>): void {
    if (s.interimInterval !== undefined) s.interimInterval = radiusInterim(s.interimInterval);
    const t: Tracked = { s, acctSessionId: this.sessionIdOf(s.id), stopped: false };
    this.live.set(s.id, t);
    void this.writeLocal({ event: 'start', acctSessionId: t.acctSessionId, ...local });
    const rec = this.record(t, 'start');
    void this.spool(rec);
    this.saveState(t, local);
    this.armInterim(t, local);
  }

  /** The session ended with pppd exit status `status` (or an explicit cause: Admin-Reset for a Disconnect-Request). */
  stop(id: number, status: number, local: Record<string, unknown>, cause?: TerminateCauseName): Promise<void> {
    const t = this.live.get(id);
    const done: Promise<unknown>[] = [];
    if (!t) {
      done.push(this.writeLocal({ event: 'stop', ...local }));
      return Promise.all(done).then(() => undefined);
    }
    if (t.stopped) return Promise.resolve();
    t.stopped = true;
    t.timer?.clear();
    this.live.delete(id);
    const rec = { ...this.record(t, 'stop'), terminateCause: cause ?? terminateCause(status) };
    done.push(this.writeLocal({ event: 'stop', acctSessionId: t.acctSessionId, ...local, terminateCause: rec.terminateCause }));
    // The state goes only once the Stop is durable in the spool (or the local log): no window
    // in which a crash loses both.
    done.push(this.spool(rec).then(() => this.o.state?.remove(t.acctSessionId)));
    return Promise.all(done).then(() => undefined);
  }

  /** Acct-Interim-Interval from an Access-Accept (or CoA) for a live session. */
  setInterim(id: number, seconds: number, local: Record<string, unknown>): void {
    const t = this.live.get(id);
    if (!t) return;
    t.s.interimInterval = radiusInterim(seconds);
    t.timer?.clear();
    this.armInterim(t, local);
  }

  /** Acct-Session-Id of a live session (status, DAE matching). */
  acctSessionId(id: number): string | undefined {
    return this.live.get(id)?.acctSessionId;
  }

  /** Graceful stop: Accounting-Off, then waits (up to the caller's timeout) for delivery. */
  async end(): Promise<void> {
    await this.spool({ status: 'off', time: this.o.now() });
    this.deliver();
  }

  /** Everything spooled has been acknowledged (or there is no server). */
  get settled(): boolean {
    return !this.o.spool || !this.o.transport || this.o.spool.length === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.retryTimer?.clear();
    for (const t of this.live.values()) t.timer?.clear();
    await Promise.all([this.o.state?.drained(), this.o.local?.drained(), this.o.spool?.drained()]);
  }

  status() {
    return { ...this.counters, live: this.live.size, spool: this.o.spool?.status(), local: this.o.local?.counters };
  }

  private armInterim(t: Tracked, local: Record<string, unknown>): void {
    const interim = t.s.interimInterval ?? this.o.interim;
    // Without Interim-Updates the state on disk is still refreshed (what a crash's Stop reports).
    const every = interim > 0 ? interim : this.o.state ? this.o.stateEvery ?? 60 : 0;
    if (every <= 0) return;
    // RFC 2869 §5.16 advises no less than 60 s between Interim-Updates: RADIUS's value is held
    // to that (radiusInterim); isp.conf's and tests' may be less.
    t.timer = this.o.setTimer(() => {
      if (t.stopped || this.closed) return;
      if (interim > 0) void this.spool(this.record(t, 'interim'));
      this.saveState(t, local);
      this.armInterim(t, local);
    }, every * 1000);
  }

  private record(t: Tracked, status: SpoolKind): AcctRecord {
    const s = t.s;
    const k = s.counters();
    const now = this.o.now();
    return {
      status,
      time: now,
      sessionId: t.acctSessionId,
      multiSessionId: t.acctSessionId,
      user: s.user,
      nasPort: s.id,
      nasPortType: s.modem ? 'Async' : 'Virtual',
      callingStationId: s.callingStationId,
      calledStationId: s.calledStationId,
      connectInfo: s.connectInfo,
      framedIp: s.address,
      classes: s.classes,
      ...(status === 'start' ? {} : {
        sessionTime: Math.max(0, Math.round((now - s.upAt) / 1000)),
        inputOctets: k.bytesIn,
        outputOctets: k.bytesOut,
        inputPackets: k.framesIn,
        outputPackets: k.framesOut,
      }),
    };
  }

  private saveState(t: Tracked, local: Record<string, unknown>): void {
    if (!this.o.state) return;
    const r = this.record(t, 'interim');
    void this.o.state.save({ ...r, acctSessionId: t.acctSessionId, local: { ...local, acctSessionId: t.acctSessionId } });
  }

  private async writeLocal(rec: Record<string, unknown>): Promise<void> {
    if (!this.o.local) return;
    try {
      await this.o.local.append(rec, this.o.now());
    } catch (e) {
      this.counters.localErrors++;
      this.o.log(`accounting: ${(e as Error).message}`);
    }
  }

  private async spool(rec: AcctRecord): Promise<void> {
    if (!this.o.spool) return;
    const seq = await this.o.spool.enqueue(rec, rec.status, rec.time);
    if (seq === undefined) {
      this.counters.spoolRefused++;
      this.o.log(`accounting: spool full (${this.o.spool.bytes} bytes): ${rec.status} record for ${rec.sessionId ?? 'the NAS'} not spooled`);
      return;
    }
    this.deliver();
  }

  /**
   * Sends from the head of the spool, up to `window` records outstanding, acknowledging the
   * spool in order (only the prefix of records all answered). A failure (every server timed
   * out) stops sending; after `retryMs` the head is tried again, so records go out in order
   * when the server returns.
   */
  private deliver(): void {
    const spool = this.o.spool;
    const send = this.o.transport;
    if (!spool || !send || this.closed || this.retryTimer || this.failing) return;
    const window = this.o.window ?? 16;
    for (const e of spool.first(window)) {
      if (this.inFlight.size >= window) break;
      if (this.inFlight.has(e.seq) || this.answered.has(e.seq)) continue;
      this.inFlight.add(e.seq);
      this.counters.sent++;
      void this.sendOne(send, e).then((ok) => {
        this.inFlight.delete(e.seq);
        if (ok) {
          this.counters.acknowledged++;
          this.answered.add(e.seq);
          let last: number | undefined;
          for (const x of spool.first(window)) {
            if (!this.answered.has(x.seq)) break;
            this.answered.delete(x.seq);
            last = x.seq;
          }
          if (last !== undefined) void spool.ack(last);
        } else if (!this.failing) {
          this.failing = true;
          this.counters.failures++;
        }
        if (this.failing) {
          if (this.inFlight.size) return;
          this.failing = false;
          if (this.closed) return;
          this.retryTimer = this.o.setTimer(() => {
            this.retryTimer = undefined;
            this.deliver();
          }, this.o.retryMs ?? 5000);
          return;
        }
        this.deliver();
        if (spool.length === 0) for (const r of this.settledWaiters.splice(0)) r();
      });
    }
  }

  /** Resolves when the spool is empty (everything acknowledged); the caller bounds the wait. */
  whenSettled(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((r) => this.settledWaiters.push(r));
  }

  private async sendOne(send: AcctTransport, e: SpoolEntry<AcctRecord>): Promise<boolean> {
    try {
      return await send(e.record, Math.max(0, Math.floor((this.o.now() - e.enqueuedAt) / 1000)));
    } catch (err) {
      this.o.log(`accounting: ${(err as Error).message}`);
      return false;
    }
  }
}

function stripState(r: StoredSession & AcctRecord & { local?: unknown }): AcctRecord {
  const { acctSessionId: _a, local: _l, ...rest } = r;
  void _a;
  void _l;
  return rest as AcctRecord;
}
