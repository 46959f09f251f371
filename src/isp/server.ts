/**
 * `dialtone isp`: an access server in one process. PPP sessions arrive as raw PPP over TCP
 * (one session per connection) or as calls on a modem bank answered by the getty dialog
 * (AutoPPP or a text login then `ppp`); each gets an address from the pool, DNS, the
 * configured authentication, and a network backend (the userspace NAT) for its traffic.
 * Sessions are counted, reported on a loopback status endpoint, and accounted.
 *
 * Until a caller authenticates it is in the admission pool (admission.ts): bounded in all and
 * per source, oldest evicted first, with a deadline and a byte cap; `max-sessions` and the
 * address pool are for authenticated sessions only (the address is handed to IPCP at
 * auth-up, before the peer can send IPCP).
 */
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import { PppLink } from '../runtime/link.js';
import type { IpUpInfo, Ipv6UpInfo, NetworkBackend } from '../runtime/driver.js';
import { ModemBank, type BankListener, type CallInfo } from '../runtime/modem-bank.js';
import { listenWebSocket, type WsListener } from '../runtime/ws-line.js';
import { PhoneBook } from '../modem/phonebook.js';
import { runDialog } from '../runtime/dialog-run.js';
import { parseLoginConfig } from '../getty/config.js';
import { ip4ToString, parseIp4 } from '../wire/ipv4.js';
import type { Secrets } from '../ppp/secrets.js';
import { AddressPool, type Pool } from './pool.js';
import { Admission } from './admission.js';
import { EXIT } from '../ppp/exit-codes.js';
import { ipv6PrefixOf, type IspConfig } from './config.js';
import { ip6ToString, parseIp6, withPrefix } from '../wire/ipv6.js';
import { IspMonitor } from './console/monitor.js';
import { ConsoleHttp } from './console/http.js';
import type { RatePoint } from './console/rate-sampler.js';
import { renderMetrics, type LiveLink } from './metrics.js';
import type { LinkCounts } from './console/monitor.js';
import { SlipLink, type SlipMode } from '../slip/link.js';
import { runSlip, type SlipRun } from '../slip/run.js';
import { slipBanner } from '../slip/banner.js';
import { newSlipLink } from '../slip/codec.js';
import { L2tpUdp } from '../runtime/l2tp-udp.js';
import { FrameLink } from '../ppp/link/frame-link.js';
import type { LinkLayer } from '../ppp/link/link.js';
import { IspAccounting, type IspAccountingHooks } from './accounting-setup.js';
import { terminateCause, type TerminateCauseName } from '../radius/terminate-cause.js';
import { SessionLimits, type Limits } from './session-limits.js';
import { RadiusUdpClient } from '../runtime/radius-udp.js';
import { radiusVerifier, NAS_PORT_TYPE, type RadiusGrant, type RadiusAskOptions } from '../radius/access.js';
import { mppeLinkOptions, applyRadiusMppe } from './mppe-policy.js';
import { radiusEapRelay } from '../radius/eap-relay.js';
import { DEFAULT_MRU } from '../ppp/lcp.js';
import { loadDictionary, standardDictionary } from '../radius/dictionary.js';
import os from 'node:os';
import { openEthernet, type EthernetPort } from '../pppoe/ethernet.js';
import { PppoeListener } from '../runtime/pppoe-listener.js';
import { pppoeLinkLayer, pppoeSessionOptions } from '../pppoe/ppp-options.js';
import { NamedPools } from './named-pools.js';
import { SessionShaper } from './session-shaper.js';
import { sessionMtu, grantedDns } from './radius-session.js';

export interface SessionInfo {
  id: number;
  origin: string;
  user?: string;
  address?: string;
  startedAt: number;
  upAt?: number;
  /** 'slip' / 'cslip' for SLIP sessions; PPP sessions leave it out. */
  protocol?: SlipMode;
  /** The /64 advertised to the client (IPv6), and its SLAAC address once IPV6CP is up. */
  ipv6Prefix?: string;
  ipv6Address?: string;
  /** What RADIUS granted (Class to echo, Acct-Interim-Interval, timeouts, Filter-Id). */
  radius?: RadiusGrant;
}

export interface BackendRequest {
  client: string;
  gateway: string;
  dns: string;
  sessionId: number;
  /** The link MTU towards the client when it is not PPP's 1500 (SLIP's slip-mtu). */
  mtu?: number;
}

export interface IspOptions {
  config: IspConfig;
  secrets: Secrets;
  /** Makes the network backend of one session (the userspace NAT). */
  backend?: (req: BackendRequest) => NetworkBackend & { stats?(): unknown; close?(): void };
  log(msg: string): void;
  /** The address pool, when it is not this process's own (a worker's share: workers-pool.ts). */
  pool?: Pool;
  /** Accounting and DAE hooks (tests inject a RADIUS transport; see accounting-setup.ts). */
  accounting?: IspAccountingHooks;
  /** Opens an interface for listen-pppoe (default: packet sockets; tests pass an in-memory port). */
  ethernet?: (ifname: string) => Promise<EthernetPort>;
  /** Named pools (Framed-Pool), when not this process's own (a worker's stripes: named-pools.ts). */
  namedPools?: NamedPools;
}

interface Live {
  info: SessionInfo;
  stream: Duplex;
  /** Undefined while the connection is held back by its source's failure delay. */
  link?: PppLink;
  backend?: ReturnType<NonNullable<IspOptions['backend']>>;
  /** Authenticated: counts against max-sessions and holds a pool address. */
  authenticated: boolean;
  /** The pool address (a number), once authenticated. */
  address?: number;
  accounted: boolean;
  /** The admission pool entry while not authenticated. */
  gate?: Gate;
  /** A SLIP session (no PPP link): its link and its run on the line. */
  slip?: { link: SlipLink; run: SlipRun };
  /** Why the server ended it, when the server did (a Disconnect-Request: Admin-Reset). */
  cause?: TerminateCauseName;
  /** Session-Timeout / Idle-Timeout / Filter-Id set by the AAA server (Access-Accept or CoA). */
  limits?: SessionLimits;
  /** A lower layer other than async HDLC (PPPoE's or L2TP's frames) and what it changes in LCP. */
  lower?: { link: LinkLayer; options?: { mru: number; accomp: boolean; pcomp: boolean } };
  /** The pool the address came from when it is a named pool (Framed-Pool). */
  addrPool?: Pool;
  /** The session's rate limit (Filter-Id → rate-limit), when rate-limits are configured. */
  shaper?: SessionShaper;
}

/**
 * The link's network backend: the session's own, made at promotion (until then IP cannot
 * flow anyway). Prototype methods over the session rather than five closures per session.
 */
class LiveBackend implements NetworkBackend {
  constructor(private readonly live: Live) {}
  deliver(packet: Buffer): void {
    this.live.backend?.deliver(packet);
  }
  attach(send: (packet: Buffer) => void, info?: IpUpInfo): void {
    this.live.backend?.attach(send, info);
  }
  detach(): void {
    this.live.backend?.detach();
  }
  ipv6Up(send: (packet: Buffer) => void, info: Ipv6UpInfo): void {
    this.live.backend?.ipv6Up?.(send, info);
  }
  ipv6Down(): void {
    this.live.backend?.ipv6Down?.();
  }
}

interface Gate {
  /**
   * Starts counting bytes against max-unauthenticated-bytes (once something reads the stream);
   * `framed` (a PPP link's "has a valid frame arrived"): also closes after UNFRAMED_BYTES without one.
   */
  count(framed?: () => boolean): void;
  /** Leaves the admission pool; false if it had left already (evicted, timed out, closed). */
  leave(): boolean;
}

/** What may change on SIGHUP: new sessions get it. */
export interface IspReload {
  config: IspConfig;
  secrets: Secrets;
  backend?: IspOptions['backend'];
}

export class IspServer {
  private pool: Pool;
  private namedPools: NamedPools;
  private config: IspConfig;
  private secrets: Secrets;
  private backendFactory: IspOptions['backend'];
  private readonly sessions = new Map<number, Live>();
  private authenticatedCount = 0;
  private nextId = 1;
  private stopping = false;
  private pppServer?: net.Server;
  private slipServer?: net.Server;
  private statusServer?: http.Server;
  private bank?: ModemBank;
  private directServer?: net.Server;
  private directWs?: WsListener;
  /** Direct-connect callers still connected (closed at stop, as the bank drops its lines). */
  private readonly directStreams = new Set<Duplex>();
  private console?: ConsoleHttp;
  /** The RADIUS authentication client when `radius-auth` is configured. */
  radius?: RadiusUdpClient;
  /** PPPoE access concentrators (listen-pppoe), one per interface. */
  readonly pppoe: PppoeListener[] = [];
  /** What the web console and /metrics show beyond the live sessions (bounded records). */
  readonly monitor = new IspMonitor();
  readonly admission: Admission;
  readonly totals = { sessions: 0, refused: 0, bytesIn: 0, bytesOut: 0, reloads: 0 };
  readonly addresses: {
    ppp?: net.AddressInfo;
    modem?: net.AddressInfo;
    modemIp232?: net.AddressInfo;
    modemWs?: net.AddressInfo;
    slip?: net.AddressInfo;
    direct?: net.AddressInfo;
    directWs?: net.AddressInfo;
    status?: net.AddressInfo;
    l2tp?: { address: string; port: number };
  } = {};
  private l2tp?: L2tpUdp;

  constructor(private readonly opts: IspOptions) {
    // The console shows the last log lines: every line goes through the monitor too.
    this.opts = { ...opts, log: (m) => (this.monitor.log(Date.now(), m), opts.log(m)) };
    this.config = opts.config;
    this.secrets = opts.secrets;
    this.backendFactory = opts.backend;
    this.pool = opts.pool ?? AddressPool.parse(opts.config.pool);
    this.namedPools = opts.namedPools ?? new NamedPools(opts.config.namedPools);
    this.admission = new Admission(admissionLimits(opts.config));
    this.acct = new IspAccounting(opts.config, this.opts.log, this, opts.accounting);
  }

  /** Local accounting, interim state, RADIUS accounting and the DAE listener (accounting-setup.ts). */
  readonly acct: IspAccounting;

  async start(): Promise<void> {
    const c = this.config;
    // Stops for the sessions a crash left, Accounting-On, and the DAE listener, before any caller.
    await this.acct.start();
    if (c.radiusAuth.length) {
      // A bad dictionary stops the start with its file:line.
      if (c.radiusDictionary) loadDictionary(standardDictionary(), c.radiusDictionary, (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } });
      const secret = Buffer.from(c.radiusSecret ?? '', 'utf8');
      this.radius = new RadiusUdpClient({ servers: c.radiusAuth.map((s) => ({ ...s, secret })), timeoutMs: c.radiusTimeout * 1000, retries: c.radiusRetries });
    }
    if (c.listenPpp) {
      // noDelay as a server option: set as the connection is accepted (no JS call per socket).
      this.pppServer = net.createServer({ noDelay: true }, (sock) => {
        this.serve(sock, `tcp ${sock.remoteAddress}:${sock.remotePort}`, sock.remoteAddress ?? 'unknown');
      });
      this.addresses.ppp = await listen(this.pppServer, c.listenPpp);
    }
    if (c.listenSlip) {
      const mode = c.listenSlip.mode;
      this.slipServer = net.createServer((sock) => {
        sock.setNoDelay(true);
        // No login on this port: the caller is who can reach it (loopback by default).
        this.serveSlip(sock, `slip ${sock.remoteAddress}:${sock.remotePort}`, mode);
      });
      this.addresses.slip = await listen(this.slipServer, c.listenSlip);
    }
    // The modem bank's listeners: telnet/raw, tcpser's ip232, WebSocket; one bank of lines.
    const bankListeners: Array<[keyof IspServer['addresses'], BankListener]> = [];
    if (c.listenModem) bankListeners.push(['modem', { ...c.listenModem, framing: 'auto' }]);
    if (c.listenModemIp232) bankListeners.push(['modemIp232', { ...c.listenModemIp232, framing: 'ip232' }]);
    if (c.listenModemWs) bankListeners.push(['modemWs', { ...c.listenModemWs, framing: 'raw', websocket: true }]);
    if (bankListeners.length) {
      this.bank = new ModemBank({
        listeners: bankListeners.map(([, l]) => l),
        lines: c.modemLines,
        speed: c.modemSpeed,
        commandIdleMs: c.modemIdleTimeout * 1000,
        maxLinesPerSource: c.modemLinesPerSource,
        phoneBook: PhoneBook.parse(`${c.phone} handler:isp\n`),
        log: c.debug ? (m) => this.opts.log(`modem: ${m}`) : undefined,
      });
      this.bank.registerHandler('isp', (call, info) => void this.answer(call, `modem line ${info.line}`, info));
      await this.bank.listen();
      bankListeners.forEach(([name], i) => (this.addresses[name] = this.bank!.addresses[i]));
    }
    // Direct connect: the caller's softmodem has dialled already; answer as a modem would.
    const direct = (stream: Duplex, peer: string, source: string) => {
      this.directStreams.add(stream);
      stream.once('close', () => this.directStreams.delete(stream));
      void this.answer(stream, `direct ${peer}`, undefined, source);
    };
    if (c.listenDirect) {
      this.directServer = net.createServer((sock) => {
        sock.setNoDelay(true);
        direct(sock, `${sock.remoteAddress}:${sock.remotePort}`, sock.remoteAddress ?? 'unknown');
      });
      this.addresses.direct = await listen(this.directServer, c.listenDirect);
    }
    if (c.listenDirectWs) {
      this.directWs = await listenWebSocket(c.listenDirectWs, (stream, peer) => direct(stream, peer, peer.replace(/^ws (.*):\d+$/, '$1')), 'direct-connect line');
      this.addresses.directWs = this.directWs.address;
    }
    if (c.listenL2tp) {
      // L2TP (RFC 2661): each incoming call on a tunnel is a PPP session on a FrameLink.
      this.l2tp = await L2tpUdp.listen({
        ...c.listenL2tp, hostName: c.l2tpHostname, acceptTunnels: true, maxTunnels: c.maxUnauthenticated, maxSessionsPerTunnel: c.maxSessions,
        ...(c.l2tpSecret !== undefined ? { secret: c.l2tpSecret } : {}),
        log: (m) => this.opts.log(m),
      });
      this.l2tp.on('call', (call) => {
        const source = call.peer.replace(/:\d+$/, '');
        this.serve(call.stream, `l2tp ${call.peer} (${call.peerHostName || '?'}) tunnel ${call.tunnel} session ${call.session}`, source, undefined, undefined, { link: new FrameLink({ addressControl: true }) });
      });
      this.addresses.l2tp = this.l2tp.address;
    }
    for (const ifname of c.listenPppoe) await this.listenPppoe(ifname);
    if (c.status) {
      // /status (JSON), the web console, /events, /metrics: src/isp/console/http.ts.
      const web = new ConsoleHttp({
        source: { status: () => this.status(), metrics: () => this.metrics(), disconnect: (id) => this.disconnect(id), sample: (now) => this.sample(now), history: () => this.monitor.sampler.history() },
        token: c.consoleToken,
      });
      this.console = web;
      this.statusServer = http.createServer((req, res) => web.handle(req, res));
      this.addresses.status = await listen(this.statusServer, c.status);
      web.start();
    }
  }

  /**
   * SIGHUP: new sessions get `next` (limits, authentication, accounts, pool, backend); live
   * sessions keep what they started with. Listening addresses stay (they need a restart).
   */
  reload(next: IspReload): string[] {
    const notes: string[] = [];
    const old = this.config;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (!same(old.listenPpp, next.config.listenPpp) || !same(old.listenModem, next.config.listenModem) || !same(old.status, next.config.status)
      || !same(old.listenSlip, next.config.listenSlip)
      || old.modemLines !== next.config.modemLines || old.phone !== next.config.phone
      || old.modemIdleTimeout !== next.config.modemIdleTimeout || old.modemLinesPerSource !== next.config.modemLinesPerSource
      || !same([old.listenModemIp232, old.listenModemWs, old.listenDirect, old.listenDirectWs], [next.config.listenModemIp232, next.config.listenModemWs, next.config.listenDirect, next.config.listenDirectWs])) {
      notes.push('listen-* and status addresses, modem-lines, modem-idle-timeout, modem-lines-per-source and phone changes take effect at the next start');
    }
    if (next.config.pool !== old.pool && !this.opts.pool) {
      const pool = AddressPool.parse(next.config.pool);
      // Addresses of live sessions stay taken in the new pool (where it covers them).
      for (const s of this.sessions.values()) if (s.address !== undefined && !s.addrPool) pool.take(s.address);
      this.pool = pool;
    }
    if (JSON.stringify(next.config.namedPools) !== JSON.stringify(old.namedPools) && !this.opts.namedPools) {
      // Addresses of live sessions stay taken in the new pool of that name, where it covers them.
      const pools = new NamedPools(next.config.namedPools);
      for (const s of this.sessions.values()) {
        const p = s.addrPool && s.info.radius?.framedPool !== undefined ? pools.get(s.info.radius.framedPool) : undefined;
        if (!p || s.address === undefined) continue;
        const got = p.take(s.address);
        if (got === s.address) s.addrPool = p;
        else if (got !== undefined) p.give(got);
      }
      this.namedPools = pools;
    }
    this.config = {
      ...next.config, listenPpp: old.listenPpp, listenModem: old.listenModem, status: old.status,
      listenModemIp232: old.listenModemIp232, listenModemWs: old.listenModemWs, listenDirect: old.listenDirect, listenDirectWs: old.listenDirectWs, listenSlip: old.listenSlip,
      listenPppoe: old.listenPppoe,
    };
    this.secrets = next.secrets;
    if (next.backend) this.backendFactory = next.backend;
    this.admission.limits = admissionLimits(next.config);
    this.totals.reloads++;
    return notes;
  }

  /**
   * Graceful stop: no new callers; every authenticated link is ended with LCP Terminate-Request
   * (unauthenticated connections are hung up); after `stop-timeout` seconds the rest are
   * hung up. Every authenticated session gets its accounting record.
   */
  async stop(timeoutMs = this.config.stopTimeout * 1000): Promise<void> {
    this.stopping = true;
    const closing = [
      this.pppServer && new Promise((r) => this.pppServer!.close(r)),
      this.slipServer && new Promise((r) => this.slipServer!.close(r)),
      this.statusServer && new Promise((r) => this.statusServer!.close(r)),
      this.directServer && new Promise((r) => this.directServer!.close(r)),
      this.directWs?.close(),
    ];
    this.console?.stop();
    this.statusServer?.closeAllConnections();
    const lives = [...this.sessions.values()];
    for (const s of lives) {
      if (s.authenticated && s.link) s.link.close('Server shutting down');
      else if (s.slip) s.slip.run.close('server shutting down');
      else this.hangUp(s);
    }
    const allDone = Promise.all(lives.map((s) => s.link?.done ?? s.slip?.run.done));
    if (!(await within(allDone, timeoutMs))) {
      for (const s of this.sessions.values()) this.hangUp(s);
      await within(allDone, 2000);
    }
    // PPPoE: a PADT for whatever is left, then the packet sockets close.
    for (const l of this.pppoe) l.close('server stopping');
    // Whatever did not report its end (a stuck line) is still accounted.
    for (const s of lives) if (s.authenticated && !s.accounted) this.accountStop(s, EXIT.HANGUP);
    for (const d of this.directStreams) d.destroy();
    this.radius?.close();
    await Promise.all([...closing, this.bank?.close(), this.l2tp?.close()]);
    // Accounting-Off, delivery of what is spooled (bounded by stop-timeout), every record on disk.
    await this.acct.stop(timeoutMs);
  }

  /**
   * A raw-PPP caller on any duplex stream, as if it had connected to listen-ppp (the scale
   * benchmark's in-memory links; a worker's connections). `source` is what admission counts.
   */
  accept(stream: Duplex, origin: string, source: string): void {
    this.serve(stream, origin, source);
  }

  /** Links and held connections, authenticated or not. */
  get liveCount(): number {
    return this.sessions.size;
  }

  /**
   * The status document (/status, `dialtone isp status --json`, the console). Times are
   * epoch milliseconds as they always were, and ISO 8601 in the *Iso fields beside them;
   * rates are bytes per second over the last sample.
   */
  status() {
    const live = [...this.sessions.values()];
    const now = Date.now();
    return {
      time: now,
      timeIso: iso(now),
      sessions: live.filter((s) => s.authenticated && (s.link || s.slip)).map((s) => {
        const call = this.monitor.call(s.info.id);
        const rate = this.monitor.sampler.rate(s.info.id);
        return {
          ...s.info,
          startedAtIso: iso(s.info.startedAt),
          ...(s.info.upAt !== undefined ? { upAtIso: iso(s.info.upAt) } : {}),
          ...(call ? { line: call.line, number: call.number, speed: call.speed } : {}),
          // A SLIP line carries IP from its first byte: it is always in PPP's Network phase.
          phase: s.link ? s.link.session.phase : 'Network',
          counters: s.link ? s.link.session.counters : { ...s.slip!.link.counters, ...linkCounts(s)! },
          rateIn: rate.in,
          rateOut: rate.out,
          network: s.backend?.stats?.(),
          ...(s.shaper?.current !== undefined ? { rateLimit: { name: s.shaper.current, ...s.shaper.counters() } } : {}),
        };
      }),
      pool: { size: this.pool.size, inUse: this.pool.inUse },
      ...(this.config.namedPools.length ? { namedPools: this.namedPools.status() } : {}),
      maxSessions: this.config.maxSessions,
      authenticated: this.authenticatedCount,
      connections: this.sessions.size,
      admission: this.admission.status(),
      totals: this.totals,
      ...this.acct.status(),
      ...(this.bank ? { modemLines: this.modemLines(), modemBank: { ...this.bank.counters } } : {}),
      ...(this.pppoe.length ? { pppoe: this.pppoe.map((l) => ({ interface: l.port.name, sessions: l.ac.sessionCount, counters: { ...l.counters } })) } : {}),
      recent: this.monitor.recent().map((r) => ({ ...r, startedAtIso: iso(r.startedAt), endedAtIso: iso(r.endedAt) })),
      log: this.monitor.lastLog(50).map((l) => ({ ...l, timeIso: iso(l.time) })),
    };
  }

  /** The modem bank's lines as the console shows them. */
  modemLines(): { line: number; state: string; caller?: string; number?: string; speed?: number; session?: number }[] {
    if (!this.bank) return [];
    const onLine = new Map<number, number>();
    for (const s of this.sessions.values()) {
      const line = this.monitor.call(s.info.id)?.line;
      if (line !== undefined) onLine.set(line, s.info.id);
    }
    return this.bank.status().map((l) => {
      const dialog = this.monitor.inDialog(l.line);
      const state = !l.attached ? 'free'
        : dialog ? 'getty'
        : l.phase === 'online' || l.phase === 'online-command' ? 'connected'
        : l.call === 'ringing' || l.phase === 'answering' ? 'ringing'
        : l.phase === 'dialing' ? 'dialling'
        : 'idle';
      const session = dialog?.id ?? onLine.get(l.line);
      return { line: l.line, state, caller: l.caller, number: l.number, speed: l.speed, ...(session !== undefined ? { session } : {}) };
    });
  }

  /** Prometheus text exposition (src/isp/metrics.ts). */
  metrics(): string {
    const links: LiveLink[] = [];
    for (const s of this.sessions.values()) {
      const counters = linkCounts(s);
      if (counters) links.push({ phase: s.link?.session.phase ?? 'Network', counters, nat: s.backend?.stats?.() });
    }
    return renderMetrics({
      links, monitor: this.monitor, totals: this.totals, pool: { size: this.pool.size, inUse: this.pool.inUse },
      maxSessions: this.config.maxSessions, unauthenticated: this.sessions.size - this.authenticatedCount, lines: this.modemLines(),
    });
  }

  /** One throughput sample of the live links (the console's clock calls it). */
  sample(now: number): RatePoint {
    return this.monitor.sampler.sample(now, authenticatedCounts(this.sessions.values()));
  }

  /** The console's disconnect: LCP Terminate-Request, as pppd on SIGTERM; false if no such session. */
  disconnect(id: number): boolean {
    const live = this.sessions.get(id);
    if (!live) return false;
    this.opts.log(`[${id}] disconnected from the console`);
    this.monitor.disconnecting(id);
    if (live.link && live.authenticated) live.link.close('Disconnected by administrator');
    else this.hangUp(live);
    return true;
  }

  /**
   * A modem call (or a direct-connect caller): the getty dialog first (AutoPPP or a text
   * login), then PPP. The bank does not tell which TCP client placed a call: the bank is one
   * source; a direct caller is its address.
   */
  private async answer(call: Duplex, origin: string, info?: CallInfo, source = 'modem-bank'): Promise<void> {
    const id = this.nextId++;
    const answeredAt = Date.now();
    if (info) this.monitor.callAnswered(id, { line: info.line, number: info.number, speed: info.speed }, answeredAt);
    // The dialog is in the admission pool too, with the getty's own 60 s login time.
    const gate = this.gate(id, source, call, origin, 60_000);
    gate.count();
    const login = parseLoginConfig('/AutoPPP/ - a_ppp /usr/sbin/pppd\n* - - /bin/login @\n', 'built-in').value;
    const end = await runDialog(
      call,
      { issue: '\r\ndialtone ISP\r\n\r\n', prompt: 'login: ', login, loginTime: 60, loginPpp: false },
      {
        checkPassword: async (user, password) => {
          const now = Date.now();
          if (this.admission.users.wait(user, now) > 0) {
            this.admission.counters.throttledUsers++;
            return false;
          }
          const ok = this.secrets.verifyPap?.(user, password, 'isp') !== undefined;
          if (ok) this.monitor.authenticated(Date.now() - answeredAt);
          if (ok) this.admission.authSucceeded(user);
          else this.admission.authFailed(user, source, now);
          return ok;
        },
        log: (m) => this.opts.log(`${origin}: ${m}`),
      },
    );
    const stillAdmitted = gate.leave();
    this.monitor.dialogEnded(id);
    if (end.kind === 'hangup' || !stillAdmitted || this.stopping) {
      this.monitor.callGone(id);
      call.end();
      call.destroy();
      return;
    }
    // `slip` / `cslip` after the text login: the login was the authentication.
    if (end.kind === 'slip') return this.serveSlip(call, origin, end.mode, end.user, id);
    // A user who logged in as text is already authenticated (the HOWTO's shell account).
    this.serve(call, origin, source, end.user, id);
    if (!this.sessions.has(id)) this.monitor.callGone(id); // refused: no session to end later
  }

  /**
   * Puts a not-yet-authenticated stream in the admission pool with a deadline and a byte cap.
   * leave() takes it out (false if it was evicted, timed out or closed meanwhile).
   */
  private gate(id: number, source: string, stream: Duplex, origin: string, deadlineMs: number, onClose?: (why: string) => void): Gate {
    const log = (m: string) => this.opts.log(`[${id}] ${m}`);
    const close = (why: string) => {
      if (this.config.debug || !why.startsWith('evicted')) log(`closing ${origin} before authentication: ${why}`);
      clearTimeout(timer);
      stream.off('data', count);
      if (onClose) onClose(why);
      else stream.destroy();
    };
    this.admission.admit({ id, source, evict: (why) => close(why) });
    const timer = setTimeout(() => {
      if (!this.admission.release(id)) return;
      this.admission.counters.timedOut++;
      close(`not authenticated within ${Math.round(deadlineMs / 1000)} s`);
    }, deadlineMs);
    let bytes = 0;
    const cap = this.config.maxUnauthenticatedBytes;
    let framed: (() => boolean) | undefined;
    const count = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > cap) {
        if (!this.admission.release(id)) return;
        this.admission.counters.overBytes++;
        return close(`more than ${cap} bytes before authentication`);
      }
      // Garbage costs a byte-by-byte HDLC scan: a caller whose first UNFRAMED_BYTES hold no
      // frame with a good FCS is no PPP peer (runs after the link's own 'data' listener).
      if (framed && bytes > UNFRAMED_BYTES) {
        if (framed()) framed = undefined;
        else if (this.admission.release(id)) {
          this.admission.counters.unframed++;
          close(`${bytes} bytes without a valid PPP frame`);
        }
      }
    };
    const gone = () => {
      clearTimeout(timer);
      this.admission.release(id);
    };
    stream.once('close', gone);
    return {
      /** Starts counting bytes (call when something reads the stream). */
      count: (f) => {
        framed = f;
        stream.on('data', count);
      },
      leave: () => {
        clearTimeout(timer);
        stream.off('data', count);
        stream.off('close', gone);
        return this.admission.release(id);
      },
    };
  }

  private serve(stream: Duplex, origin: string, source: string, preAuthenticated?: string, givenId?: number, lower?: Live['lower']): void {
    const c = this.config;
    const id = givenId ?? this.nextId++;
    const log = (m: string) => this.opts.log(`[${id}] ${m}`);
    if (this.stopping) {
      stream.destroy();
      return;
    }
    const info: SessionInfo = { id, origin, user: preAuthenticated, startedAt: Date.now() };
    const live: Live = { info, stream, authenticated: false, accounted: false, lower };
    // A text-login caller has authenticated already; with `auth none` nobody ever will (no
    // auth-up comes), so the caller takes its slot and address at connect, as pppd `noauth`.
    if (preAuthenticated !== undefined || c.auth === 'none') {
      if (!this.promote(live, log)) {
        stream.destroy();
        return;
      }
      this.begin(live, c, log, preAuthenticated, source);
      return;
    }
    // Not authenticated yet: the admission pool, the deadline, the byte cap.
    const gate = this.gate(id, source, stream, origin, c.authTimeout * 1000, (why) => {
      // Evicted, timed out or over the byte cap: hang up at once (no Terminate handshake).
      void why;
      this.hangUp(live);
    });
    live.gate = gate;
    this.sessions.set(id, live);
    this.totals.sessions++;
    // A source in its failure delay waits before PPP starts (its pool slot is evictable).
    const hold = this.admission.sources.wait(source, Date.now());
    if (hold > 0) {
      this.admission.counters.throttledSources++;
      log(`${origin}: holding ${hold} ms after failed authentications from ${source}`);
      const held = () => {
        clearTimeout(t);
        this.sessions.delete(id);
      };
      const t = setTimeout(() => {
        stream.off('close', held);
        if (stream.destroyed || this.stopping || !this.admission.has(id)) return held();
        this.begin(live, c, log, undefined, source);
      }, hold);
      stream.once('close', held);
      return;
    }
    this.begin(live, c, log, undefined, source);
  }

  /** Authenticated: a max-sessions slot and an address, or false (refused). */
  private promote(live: Live, log: (m: string) => void): boolean {
    const c = this.config;
    live.gate?.leave();
    if (live.gate) this.admission.counters.promoted++;
    // RADIUS Framed-IP-Address: exactly that address (from the pool's range), or refused.
    const fixed = live.info.radius?.framedIp && live.info.radius.framedIp !== 'pool' ? parseIp4(live.info.radius.framedIp) : undefined;
    // RFC 2869 §5.18 Framed-Pool: that named pool, or refused if there is none (as accel-ppp).
    const poolName = live.info.radius?.framedPool;
    const pool = poolName !== undefined ? this.namedPools.get(poolName) : this.pool;
    if (!pool) {
      this.totals.refused++;
      log(`refusing ${live.info.origin}: Framed-Pool ${JSON.stringify(poolName)} is not a pool-name in isp.conf`);
      return false;
    }
    if (pool !== this.pool) live.addrPool = pool;
    let address = this.authenticatedCount < c.maxSessions ? pool.take(fixed) : undefined;
    if (fixed !== undefined && address !== undefined && address !== fixed) {
      pool.give(address);
      address = undefined;
      this.totals.refused++;
      log(`refusing ${live.info.origin}: Framed-IP-Address ${live.info.radius!.framedIp} is not free in the pool`);
      return false;
    }
    if (address === undefined) {
      this.totals.refused++;
      log(`refusing ${live.info.origin}: ${this.authenticatedCount >= c.maxSessions ? 'max-sessions reached' : poolName !== undefined ? `pool ${poolName} exhausted` : 'address pool exhausted'}`);
      return false;
    }
    live.authenticated = true;
    live.address = address;
    live.info.address = ip4ToString(address);
    this.authenticatedCount++;
    return true;
  }

  private begin(live: Live, c: IspConfig, log: (m: string) => void, preAuthenticated?: string, source?: string): void {
    const { info, stream } = live;
    const id = info.id;
    const auth = preAuthenticated !== undefined ? 'none' : c.auth;
    // The peer's name as it tried to authenticate, and refusal while that user is in its delay.
    let attempted: string | undefined;
    let failed = false;
    const base = this.secrets;
    const throttled = (user: string) => {
      attempted = user;
      if (this.admission.users.wait(user, Date.now()) <= 0) return false;
      this.admission.counters.throttledUsers++;
      return true;
    };
    const secrets: Secrets = {
      // An attempt while the user is in its delay fails exactly like a wrong password.
      lookup: (kind, client, server) => (throttled(client) ? undefined : base.lookup(kind, client, server)),
      hasSecretsFor: base.hasSecretsFor && ((kind, client) => base.hasSecretsFor!(kind, client)),
      verifyPap: base.verifyPap && ((user, password, server) => (throttled(user) ? undefined : base.verifyPap!(user, password, server))),
    };
    const radius = this.radius;
    const viaRadius = radius && auth !== 'none';
    // What both RADIUS paths (PAP/CHAP/MS-CHAP verification, EAP relay) share; made only
    // for a session that asks RADIUS (closures per session setup are its allocation).
    const aaa = (): RadiusAskOptions => {
      const call = this.monitor.call(id);
      return {
        ask: (r) => radius!.request(r),
        nas: { nasIdentifier: c.nasIdentifier, nasIpAddress: c.nasIpAddress },
        call: () => ({
          nasPort: call ? call.line : id,
          nasPortType: call ? NAS_PORT_TYPE.Async : NAS_PORT_TYPE.Virtual,
          callingStationId: call ? undefined : source,
          calledStationId: call?.number,
          connectInfo: call ? String(call.speed) : undefined,
        }),
        admit: (user) => !throttled(user),
        granted: (g) => {
          info.radius = g;
          const m = applyRadiusMppe(link.session.options, c.mppe ?? 'no', g);
          if (m) log(m);
        },
        log,
      };
    };
    const link = new PppLink(stream, {
      ...(live.lower ? { linkLayer: live.lower.link, ...live.lower.options } : {}),
      name: 'isp',
      ...(viaRadius ? {
        verifyCredentials: radiusVerifier(aaa()),
        // `auth eap`: EAP pass-through to the RADIUS servers (RFC 3579, src/radius/eap-relay.ts).
        // Framed-MTU is the peer's MRU, so the server's EAP-TLS fragments fit it (RFC 3579 §2.4).
        ...(auth === 'eap' ? { relayEap: radiusEapRelay({ ...aaa(), linkMtu: (): number => link.session.lcp.his.mru ?? DEFAULT_MRU }) } : {}),
        // EAP is not carried to RADIUS yet: `auth any` offers the CHAP digests and PAP.
        ...(auth === 'any' ? { requirePap: true, requireChap: true, requireMschap: true, requireMschapV2: true } : {}),
      } : {}),
      localAddr: c.gateway,
      // Assigned at auth-up (promotion); a text-login caller has it already.
      remoteAddr: live.address,
      msDns: [c.dns],
      ...(viaRadius && auth === 'any' ? {} : { requirePap: auth === 'pap', requireChap: auth === 'chap', requireEap: auth === 'eap', auth: auth === 'any' }),
      secrets,
      lcpEchoInterval: c.lcpEchoInterval,
      lcpEchoFailure: c.lcpEchoFailure,
      noipv6: ipv6PrefixOf(c) === undefined,
      debug: c.debug,
      ...mppeLinkOptions(c.mppe ?? 'no', !!viaRadius),
      backend: new LiveBackend(live),
    });
    live.link = link;
    this.sessions.set(id, live);
    // Counted here when no admission gate counted it (text login, `auth none`).
    if (auth === 'none') this.totals.sessions++;
    live.gate?.count(() => link.session.counters.framesIn > 0);
    log(`${info.origin}: session started${live.address !== undefined ? `, address ${info.address}` : ''}`);
    link.on('log', (level, msg) => {
      if (level !== 'debug' || c.debug) log(msg);
      if (!failed && source !== undefined && link.session.status === EXIT.PEER_AUTH_FAILED && attempted !== undefined) {
        failed = true;
        this.admission.authFailed(attempted, source, Date.now());
      }
    });
    link.on('auth-up', (name) => {
      info.user = name;
      this.monitor.authenticated(Date.now() - info.startedAt);
      if (live.authenticated) return;
      if (!this.promote(live, log)) {
        link.close(this.authenticatedCount >= c.maxSessions ? 'Too many sessions' : 'No address available');
        return;
      }
      this.admission.authSucceeded(name);
      // RFC 2865 §5.27 Session-Timeout: the most seconds of service (pppd radius: maxconnect);
      // §5.28 Idle-Timeout; Filter-Id. session-limits.ts ends the session with the right
      // Acct-Terminate-Cause, and a CoA-Request may change them later (dae.ts).
      const g = info.radius;
      if (g && (g.sessionTimeout || g.idleTimeout || g.filterId)) this.setLimits(id, { sessionTimeout: g.sessionTimeout, idleTimeout: g.idleTimeout, filterId: g.filterId });
      // Before the peer hears Success it cannot have sent IPCP: the address is in time.
      const ipcp = link.session.protocols.find((p) => p.name === 'IPCP') as unknown as { ipcp?: { policy: { remoteAddr: number; dns: [number, number] } } } | undefined;
      if (ipcp?.ipcp) ipcp.ipcp.policy.remoteAddr = live.address!;
      // RFC 2548 §2.7.4/2.7.5 MS-Primary/Secondary-DNS-Server replace ms-dns (RFC 1877) for this session.
      const dns = grantedDns(info.radius);
      if (dns && ipcp?.ipcp) ipcp.ipcp.policy.dns = dns;
      this.attachBackend(live, c);
    });
    if (live.authenticated) this.attachBackend(live, c);
    link.on('ipv6-up', (ip6) => {
      const prefix = ipv6PrefixOf(c);
      if (!prefix) return;
      info.ipv6Prefix = prefix;
      // RFC 4862 §5.5.3: the client forms <prefix>:<its interface identifier>.
      info.ipv6Address = ip6ToString(withPrefix(parseIp6(prefix.replace(/\/64$/, ''))!, ip6.remoteId));
    });
    // pppd's radius plugin sends the Stop at ip-down with the exit status as of then: a peer's
    // Terminate-Request leaves it EXIT_OK (User-Request) even when the line drops before LCP
    // has finished; a hang-up sets EXIT_HANGUP first (Lost-Carrier).
    link.on('ip-down', () => {
      if (live.authenticated && live.cause === undefined) live.cause = terminateCause(link.session.status);
    });
    link.on('ip-up', (ip) => {
      if (ip.remote !== info.address) {
        log(`peer took ${ip.remote}, not its address ${info.address}: terminating`);
        link.close('Address mismatch');
        return;
      }
      info.upAt = Date.now();
      this.monitor.ipUp();
      this.accountStart(live);
    });
    void link.done.then((status) => {
      live.gate?.leave();
      const counters = link.session.counters;
      this.totals.bytesIn += counters.bytesIn;
      this.totals.bytesOut += counters.bytesOut;
      this.monitor.ended(info, status, counters, natCounts(live.backend?.stats?.()), Date.now(), live.authenticated || status === EXIT.PEER_AUTH_FAILED);
      if (!failed && source !== undefined && status === EXIT.PEER_AUTH_FAILED && attempted !== undefined) {
        failed = true;
        this.admission.authFailed(attempted, source, Date.now());
      }
      if (live.authenticated) {
        this.accountStop(live, status);
        live.backend?.close?.();
        this.authenticatedCount--;
        (live.addrPool ?? this.pool).give(live.address!);
        log(`session ended (exit status ${status})`);
      } else if (c.debug) {
        log(`connection ended before authentication (exit status ${status})`);
      }
      this.sessions.delete(id);
    });
  }

  /** The network backend, once the session holds its address. */
  private attachBackend(live: Live, c: IspConfig): void {
    const prefix6 = ipv6PrefixOf(c);
    if (prefix6) live.info.ipv6Prefix = prefix6;
    // RFC 2865 §5.12 Framed-MTU: the session's MTU towards the client (radius-session.ts).
    const mtu = sessionMtu(live.info.radius?.framedMtu, live.lower?.options?.mru, (m) => this.opts.log(`[${live.info.id}] ${m}`));
    const backend = this.backendFactory?.({ client: live.info.address!, gateway: c.gateway, dns: c.dns, sessionId: live.info.id, ...(mtu ? { mtu } : {}) });
    if (backend && c.rateLimits.length) {
      // Filter-Id → rate-limit: the shaper sits between PPP and the backend (session-shaper.ts).
      live.shaper = new SessionShaper();
      live.backend = live.shaper.wrap(backend);
      this.applyFilter(live);
    } else if (backend) {
      live.backend = backend;
    }
  }

  /** The session's Filter-Id (Access-Accept or CoA) picks its rate-limit; unknown: unshaped, logged. */
  private applyFilter(live: Live): void {
    if (!live.shaper) return;
    const id = live.limits?.current.filterId;
    const r = id !== undefined ? this.config.rateLimits.find((x) => x.name === id) : undefined;
    if (id !== undefined && !r) this.opts.log(`[${live.info.id}] Filter-Id ${JSON.stringify(id)} is not a rate-limit in isp.conf: no rate limit`);
    if ((r?.name) === live.shaper.current) return;
    live.shaper.set(r);
    if (r) this.opts.log(`[${live.info.id}] rate-limit ${r.name}: ${r.downKbit} kbit/s down, ${r.upKbit} kbit/s up`);
  }

  /**
   * A SLIP or CSLIP session: an address from the pool (max-sessions and the pool as for PPP),
   * the banner, then IP over SLIP into the session's own NAT until the line goes.
   */
  private serveSlip(stream: Duplex, origin: string, mode: SlipMode, user?: string, givenId?: number): void {
    const c = this.config;
    const id = givenId ?? this.nextId++;
    const log = (m: string) => this.opts.log(`[${id}] ${m}`);
    if (this.stopping) {
      stream.destroy();
      return;
    }
    const info: SessionInfo = { id, origin, user, startedAt: Date.now(), protocol: mode };
    const live: Live = { info, stream, authenticated: false, accounted: false };
    if (!this.promote(live, log)) {
      stream.end(`\r\n${this.authenticatedCount >= c.maxSessions ? 'Too many sessions' : 'No address available'}; try again later.\r\n`);
      setTimeout(() => stream.destroy(), 500).unref();
      return;
    }
    this.sessions.set(id, live);
    this.totals.sessions++;
    const link = newSlipLink(mode, c.slipMtu);
    stream.write(slipBanner({ mode, address: info.address!, gateway: c.gateway, dns: c.dns, mtu: c.slipMtu }));
    const backend = this.backendFactory?.({ client: info.address!, gateway: c.gateway, dns: c.dns, sessionId: id, mtu: c.slipMtu });
    if (backend) live.backend = backend;
    const run = runSlip(stream, link, backend ?? { deliver: () => undefined, attach: () => undefined, detach: () => undefined }, {
      local: parseIp4(c.gateway)!, remote: live.address!, dns: parseIp4(c.dns)!,
    });
    live.slip = { link, run };
    info.upAt = Date.now();
    log(`${origin}: ${mode.toUpperCase()} session${user ? ` for ${user}` : ''}, address ${info.address}, MTU ${c.slipMtu}`);
    this.accountStart(live);
    void run.done.then((why) => {
      stream.destroy();
      this.totals.bytesIn += link.counters.bytesIn;
      this.totals.bytesOut += link.counters.bytesOut;
      this.monitor.ended(info, EXIT.HANGUP, linkCounts(live)!, natCounts(backend?.stats?.()), Date.now(), true);
      this.accountStop(live, EXIT.HANGUP);
      backend?.close?.();
      this.authenticatedCount--;
      this.pool.give(live.address!);
      this.sessions.delete(id);
      const k = link.counters;
      log(`${mode.toUpperCase()} session ended: ${why}; ${k.packetsIn} packets in, ${k.packetsOut} out, vj ${k.vjCompressedIn} in, ${k.vjCompressedOut} out, ${k.badType + k.vjErrors + k.framing.oversize + k.framing.aborted + k.framing.badEscapes} bad`);
    });
  }

  /**
   * `listen-pppoe IFACE`: an access concentrator on the interface. Each PPPoE session is a
   * line like a TCP connection (admission, authentication, pool, accounting, max-sessions),
   * with the client's MAC as its source; PPP runs on a frame link with MRU 1492.
   */
  private async listenPppoe(ifname: string): Promise<void> {
    const c = this.config;
    const port = await (this.opts.ethernet ?? openEthernet)(ifname);
    const listener = new PppoeListener(port, {
      acName: c.pppoeAcName ?? os.hostname(),
      services: c.pppoeServices,
      // Sessions in discovery or before authentication are bounded by the admission pool;
      // the AC's own table is bounded by what the server could ever hold.
      maxSessions: c.maxSessions + c.maxUnauthenticated,
      debug: c.debug,
      log: (m) => this.opts.log(m),
      onSession: (stream, s) => {
        this.serve(stream, `pppoe ${ifname} ${s.peer} session ${s.sessionId}`, `pppoe ${s.peer}`, undefined, undefined, {
          link: pppoeLinkLayer(s.mtu), options: pppoeSessionOptions(s.mtu),
        });
      },
    });
    this.pppoe.push(listener);
    this.opts.log(`PPPoE access concentrator on ${ifname} (${[...port.mac].map((x) => x.toString(16).padStart(2, '0')).join(':')}), AC-Name ${c.pppoeAcName ?? os.hostname()}`);
  }

  private hangUp(live: Live): void {
    live.gate?.leave();
    live.stream.destroy();
  }

  private accountStart(live: Live): void {
    if (!this.acct.active) return;
    const call = this.monitor.call(live.info.id);
    this.acct.sessionUp({
      id: live.info.id,
      user: live.info.user,
      origin: live.info.origin,
      address: live.info.address,
      upAt: live.info.upAt ?? Date.now(),
      modem: call !== undefined,
      callingStationId: /^(?:tcp|direct|slip) (.*):\d+$/.exec(live.info.origin)?.[1],
      calledStationId: call ? call.number : undefined,
      connectInfo: call?.speed !== undefined ? String(call.speed) : undefined,
      // RFC 2865 §5.25 Class echoed; RFC 2869 §5.16 Acct-Interim-Interval from the Access-Accept.
      classes: live.info.radius?.classes.map((b) => b.toString('hex')),
      interimInterval: live.info.radius?.acctInterimInterval,
      counters: () => linkCounts(live) ?? { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0 },
    }, { ...live.info, radius: undefined });
  }

  private accountStop(live: Live, status: number): void {
    if (live.accounted) return;
    live.accounted = true;
    if (!this.acct.active) return;
    const counters = linkCounts(live);
    const info = live.info;
    this.acct.sessionDown(info.id, status, {
      ...info, radius: undefined, status, endedAt: Date.now(),
      seconds: info.upAt ? Math.round((Date.now() - info.upAt) / 1000) : 0,
      bytesIn: counters?.bytesIn ?? 0, bytesOut: counters?.bytesOut ?? 0, framesIn: counters?.framesIn ?? 0, framesOut: counters?.framesOut ?? 0,
    }, live.cause);
  }

  /** Live authenticated sessions, for the DAE listener (Disconnect/CoA matching). */
  liveSessions(): Array<{ id: number; user?: string; address?: string; acctSessionId?: string }> {
    const out = [];
    for (const s of this.sessions.values()) {
      if (s.authenticated && (s.link || s.slip)) out.push({ id: s.info.id, user: s.info.user, address: s.info.address, acctSessionId: this.acct.acctSessionId(s.info.id) });
    }
    return out;
  }

  /**
   * Session-Timeout / Idle-Timeout / Filter-Id of a live session (a CoA-Request, RFC 5176
   * §3.1); false if there is no such authenticated session. Timeouts count from now.
   */
  setLimits(id: number, l: Limits): boolean {
    const live = this.sessions.get(id);
    if (!live || !live.authenticated || !(live.link || live.slip)) return false;
    if (!live.limits) {
      live.limits = new SessionLimits({
        ipPackets: () => {
          const k = linkCounts(live);
          return k ? k.ipPacketsIn + k.ipPacketsOut : 0;
        },
        end: (cause, why) => {
          live.cause = cause;
          this.opts.log(`[${id}] ${why}`);
          if (live.link) live.link.close(why);
          else if (live.slip) live.slip.run.close(why);
        },
      });
      const limits = live.limits;
      void (live.link?.done ?? live.slip?.run.done)?.then(() => limits.clear());
    }
    live.limits.set(l);
    Object.assign(live.info, { limits: { ...live.limits.current } });
    if (l.filterId !== undefined) this.applyFilter(live);
    return true;
  }

  /** A Disconnect-Request's end of a session: LCP Terminate, accounted as Admin-Reset (RFC 2866 §5.10). */
  adminReset(id: number, why: string): boolean {
    const live = this.sessions.get(id);
    if (!live || !live.authenticated) return false;
    live.cause = 'Admin-Reset';
    this.opts.log(`[${id}] ${why}`);
    this.monitor.disconnecting(id);
    if (live.link) live.link.close(why);
    else if (live.slip) live.slip.run.close(why);
    else this.hangUp(live);
    return true;
  }
}

/** A live session's counters in one shape, whether it is PPP or SLIP (a SLIP packet is one frame of IP). */
function linkCounts(live: Live): LinkCounts | undefined {
  if (live.link) return live.link.session.counters;
  const k = live.slip?.link.counters;
  if (!k) return undefined;
  const dropped = k.badType + k.vjErrors + k.framing.oversize + k.framing.aborted;
  return { bytesIn: k.bytesIn, bytesOut: k.bytesOut, framesIn: k.packetsIn, framesOut: k.packetsOut, ipPacketsIn: k.packetsIn, ipPacketsOut: k.packetsOut, framesDropped: dropped };
}

/** The byte counters of the authenticated sessions, as the rate sampler takes them (no Map built per sample). */
function* authenticatedCounts(sessions: Iterable<Live>): Generator<[number, LinkCounts]> {
  for (const s of sessions) {
    const k = s.authenticated ? linkCounts(s) : undefined;
    if (k) yield [s.info.id, k];
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What a session's NAT leaves to the process totals (NatBackend.stats(), when it is one). */
function natCounts(stats: unknown) {
  const s = stats as { tcp?: { opened?: number }; udp?: { opened?: number }; ip?: { drops?: Record<string, number> } } | undefined;
  if (!s) return undefined;
  return { tcpOpened: s.tcp?.opened ?? 0, udpOpened: s.udp?.opened ?? 0, drops: s.ip?.drops ?? {} };
}

/**
 * Bytes an unauthenticated PPP caller may send without one valid frame: an LCP
 * Configure-Request is under 100 bytes escaped, and a retransmitting peer sends one every 3 s.
 */
const UNFRAMED_BYTES = 4096;

function admissionLimits(c: IspConfig) {
  return {
    maxUnauthenticated: c.maxUnauthenticated,
    maxUnauthenticatedPerSource: c.maxUnauthenticatedPerSource,
    failDelayMs: c.authFailDelay * 1000,
    failDelayMaxMs: c.authFailDelayMax * 1000,
  };
}

/** Whether `p` settled within `ms`. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function listen(server: net.Server | http.Server, at: { host: string; port: number }): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server.address() as net.AddressInfo);
    });
  });
}
