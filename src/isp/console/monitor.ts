/**
 * What the console and /metrics show beyond the live sessions: the server tells the monitor
 * what happens (log lines, modem calls and their getty dialog, authentication, IP up,
 * session ends) and the monitor keeps bounded records of it: the last log lines, the recent
 * sessions with how they ended, counters by exit status, the counters of sessions gone, an
 * authentication latency histogram, and the throughput sampler. Sans-IO: every call takes
 * the time from the caller.
 */
import { Histogram } from '../metrics-histogram.js';
import { RateSampler } from './rate-sampler.js';
import { exitStatusWords } from './exit-status.js';

/** The last log lines kept, and the longest line kept (longer ones are cut). */
export const LOG_LINES = 200;
export const LOG_LINE_MAX = 400;
/** Ended sessions kept for the console's "recent sessions". */
export const RECENT_SESSIONS = 50;
/**
 * Modem calls remembered (line, number, speed) by session id: more than any bank has lines
 * (256); the oldest is forgotten first should a call's end ever go unreported.
 */
export const CALLS_KEPT = 1024;
/** Authentication latency buckets, seconds. */
export const AUTH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export interface CallNote {
  line: number;
  number: string;
  speed: number;
}

export interface LogLine {
  time: number;
  message: string;
}

export interface EndedSession {
  id: number;
  user?: string;
  address?: string;
  origin: string;
  speed?: number;
  startedAt: number;
  upAt?: number;
  endedAt: number;
  status: number;
  /** The exit status in words, and who ended it when it was the console. */
  reason: string;
  bytesIn: number;
  bytesOut: number;
}

/** Counters of one session as the monitor keeps them once it has gone. */
export interface LinkCounts {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  ipPacketsIn: number;
  ipPacketsOut: number;
  framesDropped: number;
}

/** The NAT counters a gone session leaves to the process totals (from NatBackend.stats()). */
export interface NatCounts {
  tcpOpened: number;
  udpOpened: number;
  drops: Record<string, number>;
}

export class IspMonitor {
  readonly sampler: RateSampler;
  readonly authLatency = new Histogram(AUTH_BUCKETS);
  /** Sessions that reached IP up (pppd's "local IP address" line). */
  setups = 0;
  /** Ended links by exit status, all of them and those that never reached IP up. */
  readonly ends = new Map<number, number>();
  readonly failures = new Map<number, number>();
  /** Sums over the links that have ended. */
  readonly gone: LinkCounts = { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, ipPacketsIn: 0, ipPacketsOut: 0, framesDropped: 0 };
  readonly goneNat: NatCounts = { tcpOpened: 0, udpOpened: 0, drops: {} };
  /** Sessions disconnected from the console. */
  disconnects = 0;
  private readonly logs: LogLine[] = [];
  private readonly recentList: EndedSession[] = [];
  private readonly calls = new Map<number, CallNote>();
  /** Bank lines whose call is in the getty dialog, by line. */
  private readonly dialogs = new Map<number, { id: number; since: number }>();
  private readonly disconnected = new Set<number>();

  constructor(historyPoints = 300) {
    this.sampler = new RateSampler(historyPoints);
  }

  log(now: number, message: string): void {
    this.logs.push({ time: now, message: message.length > LOG_LINE_MAX ? `${message.slice(0, LOG_LINE_MAX)}...` : message });
    // Trimmed in batches (amortized): a splice per line moved 200 entries at every line.
    if (this.logs.length >= 2 * LOG_LINES) this.logs.splice(0, this.logs.length - LOG_LINES);
  }

  lastLog(n = LOG_LINES): LogLine[] {
    const k = Math.min(n, LOG_LINES, this.logs.length);
    return k > 0 ? this.logs.slice(-k) : [];
  }

  /** A modem call answered for session `id`; its getty dialog starts. */
  callAnswered(id: number, call: CallNote, now: number): void {
    this.calls.set(id, call);
    if (this.calls.size > CALLS_KEPT) this.calls.delete(this.calls.keys().next().value!);
    this.dialogs.set(call.line, { id, since: now });
  }

  /** The getty dialog of session `id` is over (PPP starts, or the caller went). */
  dialogEnded(id: number): void {
    const line = this.calls.get(id)?.line;
    if (line !== undefined && this.dialogs.get(line)?.id === id) this.dialogs.delete(line);
  }

  /** A call that never became a session (hung up in the dialog). */
  callGone(id: number): void {
    this.dialogEnded(id);
    this.calls.delete(id);
  }

  call(id: number): CallNote | undefined {
    return this.calls.get(id);
  }

  inDialog(line: number): { id: number; since: number } | undefined {
    return this.dialogs.get(line);
  }

  authenticated(latencyMs: number): void {
    this.authLatency.observe(Math.max(0, latencyMs) / 1000);
  }

  ipUp(): void {
    this.setups++;
  }

  /** The console asked to end session `id`: its record says so. */
  disconnecting(id: number): void {
    this.disconnected.add(id);
    this.disconnects++;
  }

  /**
   * A link ended with pppd's exit `status`. `listed`: it goes in the recent sessions (the
   * server lists sessions that authenticated, and failed authentications, not a flood of
   * connections that never got that far; those are counted all the same).
   */
  ended(
    s: { id: number; user?: string; address?: string; origin: string; startedAt: number; upAt?: number },
    status: number,
    counts: LinkCounts,
    nat: NatCounts | undefined,
    now: number,
    listed = true,
  ): void {
    this.ends.set(status, (this.ends.get(status) ?? 0) + 1);
    if (s.upAt === undefined) this.failures.set(status, (this.failures.get(status) ?? 0) + 1);
    for (const k of Object.keys(this.gone) as (keyof LinkCounts)[]) this.gone[k] += counts[k];
    if (nat) {
      this.goneNat.tcpOpened += nat.tcpOpened;
      this.goneNat.udpOpened += nat.udpOpened;
      for (const [why, n] of Object.entries(nat.drops)) this.goneNat.drops[why] = (this.goneNat.drops[why] ?? 0) + n;
    }
    const byConsole = this.disconnected.delete(s.id);
    const call = this.calls.get(s.id);
    this.callGone(s.id);
    if (!listed) return;
    this.recentList.push({
      id: s.id, user: s.user, address: s.address, origin: s.origin, speed: call?.speed,
      startedAt: s.startedAt, upAt: s.upAt, endedAt: now, status,
      reason: byConsole ? `${exitStatusWords(status)} (disconnected from the console)` : exitStatusWords(status),
      bytesIn: counts.bytesIn, bytesOut: counts.bytesOut,
    });
    if (this.recentList.length > RECENT_SESSIONS) this.recentList.splice(0, this.recentList.length - RECENT_SESSIONS);
  }

  /** Ended sessions, newest first. */
  recent(): EndedSession[] {
    return [...this.recentList].reverse();
  }
}
