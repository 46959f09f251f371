/**
 * ClientBackend: the calling machine's side of a dial-out PPP link without root. The PPP
 * link has an address but no kernel interface, so the applications of this machine reach
 * it through a SOCKS5 proxy and local port forwards (ssh -L style) that this backend
 * serves: each accepted connection becomes a TCP connection opened by the userspace stack
 * (src/net/client-stack.ts) OVER the link, from the IPCP local address, and the two are
 * spliced with flow control both ways. Names (SOCKS DOMAINNAME, forward hosts) are resolved
 * over the link, by DNS over UDP to the DNS servers IPCP gave (pppd usepeerdns).
 *
 *   const backend = new ClientBackend({ socks: '127.0.0.1:1080', forwards: ['8080:example.com:80'] });
 *   const link = new PppLink(stream, { user, password, usePeerDns: true, backend });
 *   const { socks, forwards } = await backend.ready();   // bound once IP is up
 *   // curl --socks5-hostname 127.0.0.1:1080 http://example.com/   ·   curl http://127.0.0.1:8080/
 *
 * The driver calls attach(send, { local, remote, dns }) at ip-up: the listeners open then
 * and close at ip-down (detach), when every spliced connection is reset.
 *
 * SOCKS5 (src/io/socks.ts): CONNECT to IPv4 or a domain name; IPv6 answers "address type
 * not supported", BIND and UDP ASSOCIATE "command not supported"; no authentication, or
 * RFC 1929 username/password when `socksAuth` is set. Failures map to reply codes:
 * RST → 5 connection refused, ICMP net/host unreachable → 3/4, ICMP admin prohibited → 2,
 * ICMP time exceeded → 6, no answer to the SYNs (~1 min) → 4, name not resolved → 4,
 * connection limit or other errors → 1. A forwarded connection that fails is reset.
 *
 * Flow control: local data goes into the connection's send buffer (tcpSendBuffer, 64 KiB);
 * when it is full the local socket is paused until the remote peer acknowledges. Remote
 * data counts against the receive window (tcpRecvBuffer) until the local socket's write
 * callback reports it flushed, so a slow local reader closes the window over PPP.
 */
import net from 'node:net';
import type { IpUpInfo, NetworkBackend } from './driver.js';
import { ClientStack, type ClientConnectFailure, type ClientRequest, type ClientStackOptions, type ClientStats } from '../net/client-stack.js';
import { ip4ToString } from '../wire/ipv4.js';
import { REP, Socks5Server, replyText, type SocksTarget } from './socks.js';
import { StackDriver } from './stack-driver.js';
import { resetSocket } from './reset-socket.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface LocalForward {
  /** Where to listen (default 127.0.0.1). */
  bindHost: string;
  bindPort: number;
  /** The target over the link: an IPv4 address or a name resolved over the link. */
  host: string;
  port: number;
}

export interface ClientBackendOptions extends Partial<Omit<ClientStackOptions, 'local' | 'dns'>> {
  /**
   * The SOCKS5 listener, "[HOST:]PORT" (HOST defaults to 127.0.0.1); default
   * '127.0.0.1:1080'; false for none.
   */
  socks?: string | number | false;
  /** Require RFC 1929 username/password on the SOCKS proxy. */
  socksAuth?: { user: string; password: string };
  /** Local port forwards, ssh -L style: "LPORT:HOST:PORT" or "BIND:LPORT:HOST:PORT". */
  forwards?: (string | LocalForward)[];
  /** DNS servers to use instead of the ones IPCP gave. */
  dns?: string[];
  /** Our link address when the driver passes none (older drivers); normally from IPCP. */
  local?: string;
  /** Milliseconds a SOCKS client has to finish its greeting and request (default 30 s). */
  handshakeTimeout?: number;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  /** Diagnostics: listening addresses, failed connects, listen errors. */
  log?: (msg: string) => void;
}

export interface ClientBackendAddresses {
  socks?: net.AddressInfo;
  /** In the order of the `forwards` option; undefined where listening failed. */
  forwards: (net.AddressInfo | undefined)[];
}

export interface ClientBackendStats {
  up: boolean;
  stack?: ClientStats;
  socks?: {
    address?: string;
    accepted: number;
    active: number;
    handshakeFailed: number;
    connects: number;
    connected: number;
    failed: Record<string, number>;
  };
  forwards: { spec: string; address?: string; accepted: number; connected: number; failed: number }[];
  localSockets: number;
}

type LocalPhase = 'handshake' | 'resolving' | 'connecting' | 'open' | 'closed';

interface ForwardRec {
  spec: LocalForward;
  text: string;
  server?: net.Server;
  address?: net.AddressInfo;
  accepted: number;
  connected: number;
  failed: number;
}

interface Local {
  sock: net.Socket;
  kind: 'socks' | 'forward';
  phase: LocalPhase;
  socks?: Socks5Server;
  fwd?: ForwardRec;
  /** Where to (for logs) and the port to connect to. */
  target?: { host: string; port: number };
  /** More addresses of a resolved name, tried when a connect fails. */
  candidates: string[];
  id?: number;
  dnsId?: number;
  /** The stack asked to pause reading (its send buffer is full). */
  stackPaused: boolean;
  /** The local side sent FIN before the connection was open. */
  ended: boolean;
  /** Forward data that arrived before the connection was open. */
  early: Buffer[];
  /** The stack has forgotten the connection (released, aborted or failed). */
  released: boolean;
  timer?: NodeJS.Timeout;
}

const RETRY_NEXT_ADDRESS: ReadonlySet<ClientConnectFailure> = new Set(['refused', 'host-unreachable', 'net-unreachable', 'timeout']);

export class ClientBackend implements NetworkBackend {
  stack?: ClientStack;
  private readonly opts: ClientBackendOptions;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private readonly socksAt?: ListenAddress;
  private socksServer?: net.Server;
  private socksAddress?: net.AddressInfo;
  private readonly fwds: ForwardRec[];
  private send?: (packet: Buffer) => void;
  private readonly locals = new Set<Local>();
  private readonly byTcp = new Map<number, Local>();
  private readonly byDns = new Map<number, Local>();
  /** Pump and timer, while a link (a stack) is up. */
  private readonly driver = new StackDriver<ClientRequest>({
    stack: () => this.stack,
    now: () => this.now(),
    send: (p) => this.send?.(p),
    perform: (r) => this.perform(r),
  });
  private listening?: Promise<ClientBackendAddresses>;
  /** The counters of the last link, kept after ip-down. */
  private lastStats?: ClientStats;
  /** Counts attaches and detaches, so that a listen finishing late knows it is stale. */
  private generation = 0;
  private waiters: ((a: ClientBackendAddresses) => void)[] = [];
  private readonly socksCounters = { accepted: 0, handshakeFailed: 0, connects: 0, connected: 0, failed: {} as Record<string, number> };

  constructor(opts: ClientBackendOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    const socks = opts.socks === undefined ? '127.0.0.1:1080' : opts.socks;
    this.socksAt = socks === false ? undefined : parseListen(socks);
    this.fwds = (opts.forwards ?? []).map((f) => {
      const spec = typeof f === 'string' ? parseLocalForward(f) : f;
      return { spec, text: `${spec.bindHost}:${spec.bindPort}:${spec.host}:${spec.port}`, accepted: 0, connected: 0, failed: 0 };
    });
  }

  // ---- NetworkBackend ------------------------------------------------------------------

  attach(send: (packet: Buffer) => void, info?: IpUpInfo): void {
    if (this.stack) this.detach();
    const local = info?.local ? ip4ToString(info.local) : this.opts.local;
    if (!local) {
      this.log('client backend: no local address (the driver passed no ip-up info and no `local` option): not serving');
      return;
    }
    const dns = this.opts.dns ?? (info ? info.dns.filter((a) => a !== 0).map(ip4ToString) : []);
    const { socks: _s, socksAuth: _a, forwards: _f, dns: _d, local: _l, handshakeTimeout: _h, now: _n, log: _g, ...tuning } = this.opts;
    this.stack = new ClientStack({ ...tuning, local, dns }, this.now());
    // The session cuts super-segments itself (IpUpInfo.gso): uploads may offload.
    this.stack.setGso(info?.gso === true);
    this.generation++;
    this.send = send;
    if (!dns.length) this.log('client backend: no DNS server from the peer (usepeerdns?): names cannot be resolved');
    this.listening = this.listen();
    void this.listening.then((a) => {
      for (const w of this.waiters.splice(0)) w(a);
    });
    this.pump();
  }

  deliver(packet: Buffer): void {
    if (!this.stack) return;
    this.stack.input(packet, this.now());
    this.pump();
  }

  detach(): void {
    const stack = this.stack;
    if (!stack) return;
    stack.close(this.now());
    this.pump(); // answers connects in progress, resets the spliced sockets
    this.lastStats = stack.stats();
    this.stack = undefined;
    this.generation++;
    this.send = undefined;
    this.listening = undefined;
    // Connects in progress were answered through the pump (tcp-failed / dns-failed); the
    // rest (handshakes, open connections) is reset.
    for (const l of [...this.locals]) if (l.phase !== 'closed') this.destroyLocal(l, true);
    this.byTcp.clear();
    this.byDns.clear();
    this.socksServer?.close();
    this.socksServer = undefined;
    this.socksAddress = undefined;
    for (const f of this.fwds) {
      f.server?.close();
      f.server = undefined;
      f.address = undefined;
    }
    this.driver.stop();
  }

  /** Stops serving (as at ip-down). */
  close(): void {
    this.detach();
  }

  // ---- status ----------------------------------------------------------------------------

  /** The bound listeners, once IP is up (waits for the next ip-up when down). */
  ready(): Promise<ClientBackendAddresses> {
    if (this.listening) return this.listening;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stats(): ClientBackendStats {
    let active = 0;
    for (const l of this.locals) if (l.kind === 'socks') active++;
    return {
      up: this.stack !== undefined,
      /** The stack's counters (the last link's after ip-down). */
      stack: this.stack?.stats() ?? this.lastStats,
      socks: this.socksAt
        ? {
            address: this.socksAddress ? `${this.socksAddress.address}:${this.socksAddress.port}` : undefined,
            ...this.socksCounters, failed: { ...this.socksCounters.failed }, active,
          }
        : undefined,
      forwards: this.fwds.map((f) => ({
        spec: f.text, address: f.address ? `${f.address.address}:${f.address.port}` : undefined,
        accepted: f.accepted, connected: f.connected, failed: f.failed,
      })),
      localSockets: this.locals.size,
    };
  }

  // ---- listeners ---------------------------------------------------------------------------

  private async listen(): Promise<ClientBackendAddresses> {
    const gen = this.generation;
    const stale = () => this.generation !== gen;
    const socks = this.socksAt
      ? listenOn(net.createServer({ allowHalfOpen: true }, (s) => this.acceptSocks(s)), this.socksAt).then(
          ({ server, address }) => {
            if (stale()) return void server.close();
            this.socksServer = server;
            this.socksAddress = address;
            this.log(`SOCKS5 proxy on ${address.address}:${address.port}`);
            return address;
          },
          (err: Error) => void this.log(`SOCKS5 proxy ${this.socksAt!.host}:${this.socksAt!.port}: ${err.message}`),
        )
      : Promise.resolve(undefined);
    const forwards = this.fwds.map((f) =>
      listenOn(net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.acceptForward(f, s)), { host: f.spec.bindHost, port: f.spec.bindPort }).then(
        ({ server, address }) => {
          if (stale()) return void server.close();
          f.server = server;
          f.address = address;
          this.log(`forward ${address.address}:${address.port} → ${f.spec.host}:${f.spec.port} over the link`);
          return address;
        },
        (err: Error) => void this.log(`forward ${f.text}: ${err.message}`),
      ));
    return { socks: (await socks) ?? undefined, forwards: (await Promise.all(forwards)).map((a) => a ?? undefined) };
  }

  private newLocal(sock: net.Socket, kind: 'socks' | 'forward'): Local {
    const l: Local = { sock, kind, phase: 'handshake', candidates: [], stackPaused: false, ended: false, early: [], released: false };
    this.locals.add(l);
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.localData(l, d));
    sock.on('end', () => this.localEnd(l));
    sock.on('error', () => { /* 'close' follows */ });
    sock.on('close', () => this.localClose(l));
    return l;
  }

  private acceptSocks(sock: net.Socket): void {
    if (!this.stack) return void sock.destroy();
    this.socksCounters.accepted++;
    const l = this.newLocal(sock, 'socks');
    l.socks = new Socks5Server({ auth: this.opts.socksAuth });
    l.timer = setTimeout(() => {
      if (l.phase !== 'handshake') return;
      this.socksCounters.handshakeFailed++;
      this.destroyLocal(l, false);
    }, this.opts.handshakeTimeout ?? 30_000);
    l.timer.unref();
  }

  private acceptForward(f: ForwardRec, sock: net.Socket): void {
    if (!this.stack) return void sock.destroy();
    f.accepted++;
    const l = this.newLocal(sock, 'forward');
    l.fwd = f;
    sock.pause();
    this.connectTarget(l, { type: /^\d{1,3}(\.\d{1,3}){3}$/.test(f.spec.host) ? 'ipv4' : 'domain', host: f.spec.host, port: f.spec.port });
  }

  // ---- local socket events -------------------------------------------------------------------

  private localData(l: Local, d: Buffer): void {
    if (l.phase === 'open') {
      if (l.id === undefined || l.released || !this.stack) return;
      this.stack.tcpData(l.id, d, this.now());
      this.pump();
      return;
    }
    if (l.phase === 'closed') return;
    if (l.kind === 'forward') {
      l.early.push(d);
      return;
    }
    for (const a of l.socks!.push(d)) {
      if ((l.phase as LocalPhase) === 'closed') break;
      if (a.type === 'write') l.sock.write(a.data);
      else if (a.type === 'close') {
        this.socksCounters.handshakeFailed++;
        this.log(`SOCKS client ${l.sock.remoteAddress}:${l.sock.remotePort}: ${a.reason}`);
        this.endLocal(l);
      } else {
        if (l.timer) clearTimeout(l.timer);
        l.timer = undefined;
        l.sock.pause();
        this.socksCounters.connects++;
        this.connectTarget(l, a.target);
      }
    }
  }

  private localEnd(l: Local): void {
    if (l.phase === 'open') {
      if (l.id !== undefined && !l.released && this.stack) {
        this.stack.tcpEnd(l.id, this.now());
        this.pump();
      }
      return;
    }
    if (l.phase === 'handshake') return this.endLocal(l); // gave up before asking
    l.ended = true;
  }

  private localClose(l: Local): void {
    this.locals.delete(l);
    if (l.timer) clearTimeout(l.timer);
    l.timer = undefined;
    l.phase = 'closed';
    if (l.dnsId !== undefined) this.byDns.delete(l.dnsId);
    if (l.id !== undefined && !l.released) {
      l.released = true;
      this.byTcp.delete(l.id);
      if (this.stack) {
        this.stack.tcpClosed(l.id, this.now());
        this.pump();
      }
    }
  }

  // ---- connecting ---------------------------------------------------------------------------

  private connectTarget(l: Local, t: SocksTarget): void {
    const stack = this.stack;
    if (!stack) return this.failLocal(l, REP.NETWORK_UNREACHABLE, 'the link is down');
    l.target = { host: t.host, port: t.port };
    if (t.type === 'ipv4') return this.openTo(l, t.host);
    l.phase = 'resolving';
    l.dnsId = stack.resolve(t.host, this.now());
    this.byDns.set(l.dnsId, l);
    this.pump();
  }

  private openTo(l: Local, addr: string): void {
    const stack = this.stack;
    if (!stack) return this.failLocal(l, REP.NETWORK_UNREACHABLE, 'the link is down');
    l.phase = 'connecting';
    l.id = stack.openTcp(addr, l.target!.port, this.now());
    l.released = false;
    this.byTcp.set(l.id, l);
    this.pump();
  }

  private connected(l: Local, r: Extract<ClientRequest, { type: 'tcp-connected' }>): void {
    const stack = this.stack!;
    l.phase = 'open';
    if (l.kind === 'socks') {
      this.socksCounters.connected++;
      l.sock.write(l.socks!.reply(REP.SUCCEEDED, { addr: r.localAddr, port: r.localPort }));
      const rest = l.socks!.takeRest();
      if (rest.length) stack.tcpData(r.id, rest, this.now());
    } else {
      l.fwd!.connected++;
      for (const d of l.early.splice(0)) stack.tcpData(r.id, d, this.now());
    }
    if (l.ended) stack.tcpEnd(r.id, this.now());
    if (!l.stackPaused) l.sock.resume();
  }

  private failed(l: Local, why: ClientConnectFailure): void {
    l.id = undefined;
    const next = l.candidates.shift();
    if (next !== undefined && RETRY_NEXT_ADDRESS.has(why)) return this.openTo(l, next);
    const rep = socksReply(why);
    this.failLocal(l, rep, `${l.target?.host}:${l.target?.port}: ${why}`);
  }

  /** The connect failed: a SOCKS error reply, or a reset for a forward. */
  private failLocal(l: Local, rep: number, reason: string): void {
    if (l.kind === 'socks') return this.socksFail(l, rep, reason);
    l.fwd!.failed++;
    this.log(`forward ${l.fwd!.text}: ${reason}`);
    this.destroyLocal(l, true);
  }

  private socksFail(l: Local, rep: number, reason: string): void {
    const key = replyText(rep);
    this.socksCounters.failed[key] = (this.socksCounters.failed[key] ?? 0) + 1;
    this.log(`SOCKS CONNECT ${reason} (reply ${rep}: ${key})`);
    if (l.socks?.state === 'connecting' && !l.sock.destroyed) l.sock.write(l.socks.reply(rep));
    this.endLocal(l);
  }

  private pump(): void {
    this.driver.pump();
  }

  private perform(r: ClientRequest): void {
    switch (r.type) {
      case 'dns-resolved': {
        const l = this.byDns.get(r.id);
        if (!l) return;
        this.byDns.delete(r.id);
        l.dnsId = undefined;
        if (l.phase !== 'resolving') return;
        l.candidates = r.addresses.slice(1);
        return this.openTo(l, r.addresses[0]!);
      }
      case 'dns-failed': {
        const l = this.byDns.get(r.id);
        if (!l) return;
        this.byDns.delete(r.id);
        l.dnsId = undefined;
        if (l.phase !== 'resolving') return;
        return this.failLocal(l, REP.HOST_UNREACHABLE, `${r.name}: name not resolved (${r.why})`);
      }
      case 'tcp-connected': {
        const l = this.byTcp.get(r.id);
        if (l && l.phase === 'connecting') this.connected(l, r);
        return;
      }
      case 'tcp-failed': {
        const l = this.byTcp.get(r.id);
        if (!l) return;
        this.byTcp.delete(r.id);
        l.released = true;
        if (l.phase === 'connecting') this.failed(l, r.why);
        return;
      }
      case 'tcp-write': {
        const l = this.byTcp.get(r.id);
        if (!l || l.sock.destroyed) return;
        const n = r.data.length;
        l.sock.write(r.data, (err) => {
          if (err || l.released || !this.stack) return;
          this.stack.tcpWritten(r.id, n, this.now());
          this.pump();
        });
        return;
      }
      case 'tcp-end': {
        const l = this.byTcp.get(r.id);
        if (l && !l.sock.destroyed) l.sock.end();
        return;
      }
      case 'tcp-pause': {
        const l = this.byTcp.get(r.id);
        if (!l) return;
        l.stackPaused = true;
        l.sock.pause();
        return;
      }
      case 'tcp-resume': {
        const l = this.byTcp.get(r.id);
        if (!l) return;
        l.stackPaused = false;
        if (l.phase === 'open') l.sock.resume();
        return;
      }
      case 'tcp-abort': {
        const l = this.byTcp.get(r.id);
        if (!l) return;
        this.byTcp.delete(r.id);
        l.released = true;
        this.destroyLocal(l, true);
        return;
      }
      case 'tcp-release': {
        const l = this.byTcp.get(r.id);
        if (!l) return;
        this.byTcp.delete(r.id);
        l.released = true;
        // Both directions are finished: the socket closes once its writes are flushed.
        if (!l.sock.destroyed) l.sock.end();
        return;
      }
    }
  }

  // ---- closing local sockets ------------------------------------------------------------------

  /** FIN after pending writes; destroyed if the other side does not close soon. */
  private endLocal(l: Local): void {
    l.phase = 'closed';
    if (l.timer) clearTimeout(l.timer);
    l.timer = setTimeout(() => l.sock.destroy(), 5_000);
    l.timer.unref();
    if (!l.sock.destroyed) l.sock.end();
  }

  private destroyLocal(l: Local, reset: boolean): void {
    l.phase = 'closed';
    if (reset) resetSocket(l.sock);
    else l.sock.destroy();
  }
}

/** SOCKS reply code for a failed connect. */
export function socksReply(why: ClientConnectFailure): number {
  switch (why) {
    case 'refused': return REP.CONNECTION_REFUSED;
    case 'host-unreachable': return REP.HOST_UNREACHABLE;
    case 'net-unreachable': case 'link-down': return REP.NETWORK_UNREACHABLE;
    case 'prohibited': return REP.NOT_ALLOWED;
    case 'ttl-expired': return REP.TTL_EXPIRED;
    case 'timeout': return REP.HOST_UNREACHABLE;
    default: return REP.GENERAL_FAILURE;
  }
}

/** "[HOST:]PORT" (HOST may be [v6]; '*' means all addresses); the default host is 127.0.0.1. */
export function parseListen(spec: string | number, defaultHost = '127.0.0.1'): ListenAddress {
  const s = String(spec).trim();
  const m = /^(?:\[([^\]]+)\]:|([^:]*):)?(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new TypeError(`bad listen address "${s}" (want [HOST:]PORT)`);
  let host = m[1] ?? m[2] ?? '';
  if (host === '') host = defaultHost;
  if (host === '*') host = '0.0.0.0';
  return { host, port };
}

/**
 * ssh -L's "[BIND:]LPORT:HOST:PORT" (HOST an IPv4 address or a name to resolve over the
 * link; BIND defaults to 127.0.0.1, '*' for all addresses).
 */
export function parseLocalForward(spec: string): LocalForward {
  const parts = spec.trim().split(':');
  if (parts.length !== 3 && parts.length !== 4) throw new TypeError(`bad local forward "${spec}" (want [BIND:]LPORT:HOST:PORT)`);
  const [bind, lport, host, port] = parts.length === 4 ? parts : ['', ...parts];
  const num = (v: string | undefined, min: number) => {
    const n = /^\d{1,5}$/.test(v ?? '') ? Number(v) : NaN;
    if (!(n >= min && n <= 65535)) throw new TypeError(`bad port "${v}" in local forward "${spec}"`);
    return n;
  };
  if (!host || !/^[A-Za-z0-9_.-]+$/.test(host)) throw new TypeError(`bad host "${host}" in local forward "${spec}"`);
  return { bindHost: bind === '' || bind === undefined ? '127.0.0.1' : bind === '*' ? '0.0.0.0' : bind, bindPort: num(lport, 0), host, port: num(port, 1) };
}

/**
 * For `dialtone pppd`'s `socks [HOST:]PORT` and `local-forward LPORT:HOST:PORT` options:
 * a ClientBackend with a SOCKS proxy only when `socks` is given. Throws TypeError on a bad
 * spec (an option error).
 */
export function clientBackendFromOptions(o: { socks?: string; forwards: string[] }, extra: Omit<ClientBackendOptions, 'socks' | 'forwards'> = {}): ClientBackend {
  return new ClientBackend({ ...extra, socks: o.socks ?? false, forwards: o.forwards });
}

function listenOn(server: net.Server, at: ListenAddress): Promise<{ server: net.Server; address: net.AddressInfo }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      server.on('error', () => {});
      resolve({ server, address: server.address() as net.AddressInfo });
    });
  });
}
