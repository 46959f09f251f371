/**
 * The IO shell of `dialtone isp`'s accounting: makes the local log (`accounting FILE`), the
 * live-session state (in `accounting-spool DIR`, else FILE.sessions/), the RADIUS spool and
 * sender (`radius-acct`), and the RFC 5176 listener (`dae-listen`), from isp.conf, and gives
 * the server two calls: sessionUp / sessionDown.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { IspConfig } from './config.js';
import { AccountingLog } from './accounting-log.js';
import { SessionStateStore } from './session-state.js';
import { Spool } from '../runtime/radius-spool-file.js';
import { Accounting, type AcctRecord, type AcctSession, type AcctTransport } from '../radius/accounting.js';
import type { TerminateCauseName } from '../radius/terminate-cause.js';
import { acctTransport } from '../radius/acct-transport.js';
import { RadiusUdpClient } from '../runtime/radius-udp.js';
import { listenDae } from '../runtime/dae-udp.js';
import type { Limits } from './session-limits.js';

/** What tests (and the RADIUS client, once configured) plug in. */
export interface IspAccountingHooks {
  /** Replaces the RADIUS accounting transport made from `radius-acct`. */
  transport?: AcctTransport;
  /** Seconds between interim state writes when no Interim-Updates are sent. */
  stateEvery?: number;
  /** Milliseconds before a failed delivery is retried. */
  retryMs?: number;
}

/** What the DAE listener needs from the server. */
export interface SessionControl {
  liveSessions(): Array<{ id: number; user?: string; address?: string; acctSessionId?: string }>;
  adminReset(id: number, why: string): boolean;
  setLimits(id: number, l: Limits): boolean;
}

export class IspAccounting {
  private accounting?: Accounting;
  private local?: AccountingLog;
  private transport?: AcctTransport & { close?(): void };
  /** The RADIUS client towards the `radius-acct` servers (the same machinery as authentication's). */
  private client?: RadiusUdpClient;
  /** The DAE listener, once started (dae.ts). */
  dae?: { port: number; close(): Promise<void>; status(): unknown };

  constructor(private readonly config: IspConfig, private readonly log: (m: string) => void, readonly control: SessionControl, private readonly hooks: IspAccountingHooks = {}) {}

  async start(): Promise<void> {
    const c = this.config;
    if (c.daeListen) {
      this.dae = await listenDae(c.daeListen, { clients: c.daeClients, window: c.daeWindow, target: this.control, log: this.log });
      this.log(`dae: RFC 5176 Disconnect/CoA on ${c.daeListen.host}:${this.dae.port} for ${c.daeClients.length} client(s)`);
    }
    const radius = c.radiusAcct.length > 0 || this.hooks.transport !== undefined;
    if (!c.accounting && !radius && !c.accountingSpool) return;
    const stateDir = c.accountingSpool ?? (c.accounting ? `${c.accounting}.sessions` : undefined);
    this.local = c.accounting ? new AccountingLog(c.accounting) : undefined;
    if (this.hooks.transport) this.transport = this.hooks.transport;
    else if (c.radiusAcct.length) {
      // A per-server secret, else radius-secret (the RADIUS client's key, when it is set).
      const shared = (c as { radiusSecret?: string }).radiusSecret;
      const servers = c.radiusAcct.map((s) => ({ host: s.host, port: s.port, secret: s.secret ?? shared ?? '' }));
      if (servers.some((s) => !s.secret)) throw new Error('radius-acct: no secret (give one after the address, or radius-secret)');
      // radius-timeout / radius-retries apply to accounting as to authentication (as one
      // radiusclient.conf does for pppd's radius plugin).
      const client = new RadiusUdpClient({ servers: servers.map((s) => ({ host: s.host, port: s.port, secret: Buffer.from(s.secret) })), timeoutMs: c.radiusTimeout * 1000, retries: c.radiusRetries });
      this.client = client;
      const nas = { nasIdentifier: (c as { nasIdentifier?: string }).nasIdentifier, nasIpAddress: (c as { nasIpAddress?: string }).nasIpAddress };
      this.transport = Object.assign(acctTransport((req) => client.request(req), nas, this.log), { close: () => client.close() });
    }
    const spool = radius ? Spool.open<AcctRecord>(c.accountingSpool ?? path.join(stateDir ?? '.', 'radius-spool'), { maxBytes: c.accountingSpoolMax }) : undefined;
    if (spool?.length) this.log(`accounting: ${spool.length} record(s) spooled by an earlier run; delivering them first`);
    this.accounting = new Accounting({
      log: this.log,
      local: this.local,
      state: stateDir ? new SessionStateStore(stateDir, this.log) : undefined,
      spool,
      transport: this.transport,
      interim: c.radiusAcctInterim,
      stateEvery: this.hooks.stateEvery,
      retryMs: this.hooks.retryMs,
      now: () => Date.now(),
      bootId: `${Math.floor(Date.now() / 1000).toString(16)}${randomBytes(2).toString('hex')}`,
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return { clear: () => clearTimeout(t) };
      },
    });
    await this.accounting.begin();
  }

  /** Whether sessions are accounted at all (the server builds no records otherwise). */
  get active(): boolean {
    return this.accounting !== undefined;
  }

  sessionUp(s: AcctSession, local: Record<string, unknown>): void {
    if (this.accounting) this.accounting.start(s, local);
  }

  sessionDown(id: number, status: number, local: Record<string, unknown>, cause?: TerminateCauseName): void {
    if (this.accounting) void this.accounting.stop(id, status, local, cause);
  }

  acctSessionId(id: number): string | undefined {
    return this.accounting?.acctSessionId(id);
  }

  /** Acct-Interim-Interval for one session (from the Access-Accept, or a CoA). */
  setInterim(id: number, seconds: number, local: Record<string, unknown>): void {
    this.accounting?.setInterim(id, seconds, local);
  }

  /** Accounting-Off, delivery of the spool for up to `ms`, then everything on disk. */
  async stop(ms: number): Promise<void> {
    await this.dae?.close();
    const a = this.accounting;
    if (!a) return;
    await a.end();
    if (!a.settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([a.whenSettled(), new Promise((r) => (timer = setTimeout(r, Math.max(ms, 1000))))]);
      clearTimeout(timer);
      if (!a.settled) this.log(`accounting: ${a.status().spool?.records ?? 0} record(s) stay spooled for the next start`);
    }
    await a.close();
    this.transport?.close?.();
    await this.local?.close();
  }

  status() {
    return { accounting: this.accounting ? { ...this.accounting.status(), radius: this.client?.core.counters } : undefined, dae: this.dae?.status() };
  }
}
