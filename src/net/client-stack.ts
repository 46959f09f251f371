/**
 * ClientStack: the userspace IPv4 stack in the CLIENT role of a PPP link, sans-IO. Our
 * address is the one IPCP gave us; we open TCP connections over the link (active opens
 * only), resolve names with DNS over UDP to the link's DNS servers, and splice each
 * connection to a local socket of the IO adapter (src/io/client-backend.ts: SOCKS5 and
 * local port forwards).
 *
 *   const net = new ClientStack({ local: '10.0.2.15', dns: ['10.0.2.3'] }, now);
 *   const q = net.resolve('example.com', now);          // → dns-resolved / dns-failed event
 *   const id = net.openTcp('93.184.216.34', 80, now);    // → tcp-connected / tcp-failed event
 *   net.input(packetFromPpp, now);
 *   for (const p of net.takePackets()) ppp.sendIp(p);
 *   for (const r of net.takeRequests()) adapter.perform(r);
 *   net.tcpData(id, bytesFromLocalSocket, now); net.tcpWritten(id, n, now); ...
 *   at net.nextDeadline(): net.tick(now)
 *
 * Why not NetStack (stack.ts): NetStack is a router/NAT for ONE peer address — it drops
 * packets whose source is not the PPP client, treats the client's address as a martian
 * destination, answers for the gateway/DNS addresses, turns every SYN into a host connect
 * and routes by the virtual network. In the client role every source on the Internet is
 * legitimate, the only destination is our own address, SYNs are refused and DNS is a client.
 * Making NetStack do both would put a role switch into most of its input paths, so this is
 * a separate, small stack that reuses the same TCP machine (tcp.ts: TcpConn through a
 * TcpEnv), the packet codecs (packet.ts), the DNS codec (dns.ts) and the reassembler; the
 * role-independent plumbing (timers, output, TIME-WAIT, ICMP rate limit) is StackBase's
 * (stack-base.ts), and this class fills in its hooks.
 *
 * In tcp.ts's vocabulary the "host" of a connection is the local socket (SOCKS client,
 * forwarded connection) and the "client"/peer is the remote server over PPP: so
 * `tcp-write` is remote data for the local socket, `tcpData` local data for the remote,
 * `tcp-pause`/`tcp-resume` flow-control the local socket, and the counters' bytesFromClient
 * / bytesToClient are octets received from / sent to the link (also given as
 * bytesReceived / bytesSent in stats()).
 *
 * Behaviour:
 *  - packets not addressed to our address are dropped (counted); martian sources too;
 *  - a SYN (or any segment) for no connection gets RST (RFC 9293 §3.10.7.1); UDP to a
 *    port without a query gets ICMP port unreachable, other protocols protocol
 *    unreachable (RFC 1122 §3.2.2.1, rate limited);
 *  - an ICMP destination unreachable / time exceeded about our SYN aborts the connect with
 *    the matching reason (as Linux does in SYN-SENT); about an established connection it
 *    is a soft error (RFC 1122 §4.2.3.9), counted and ignored;
 *  - DNS: A queries with a random ID from a random port (RFC 5452), answers matched on
 *    server address, port, ID and question; `dnsAttempts` tries of `dnsTimeout` ms each,
 *    rotating over the servers; a positive cache bounded by `dnsCacheSize` and the TTL
 *    (at most `dnsCacheMaxTtl` s); IPv4 literals need no query.
 */
import { buildDnsQuery, encodeName, parseDnsAnswer, QTYPE, RCODE } from './dns.js';
import { buildUdp, ip4, isMulticastOrReserved, parseIcmp, parseTcp, parseUdp, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_RST, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, UNREACH_HOST, UNREACH_NET, UNREACH_PORT, UNREACH_PROTOCOL, UNREACH_ADMIN, type Ipv4, type TcpSegment } from '../wire/packet.js';
import { ip4ToString } from '../wire/ipv4.js';
import { stripUndefined } from './config.js';
import type { ReassemblyCounters } from './reassembly.js';
import type { HostRequest } from './requests.js';
import { addrToString, count, StackBase } from './stack-base.js';
import { connKey, TcpConn, type TcpConfig, type TcpCounters } from './tcp.js';

export interface ClientStackOptions extends TcpConfig {
  /** Our address on the link (IPCP's local address). */
  local: string;
  /** DNS servers (IPCP's, pppd usepeerdns), tried in order. */
  dns: string[];
  /** Open (not TIME-WAIT) connections. */
  tcpMaxConnections: number;
  tcpMaxTimeWait: number;
  /** Octets of local data waiting to be acknowledged by remote peers, all connections together; beyond it local sockets are paused. */
  bufferLimit: number;
  /** Milliseconds per DNS try. */
  dnsTimeout: number;
  /** Tries per name (each goes to the next server). */
  dnsAttempts: number;
  dnsMaxPending: number;
  dnsCacheSize: number;
  /** Seconds: cached answers live min(TTL, this). */
  dnsCacheMaxTtl: number;
  reassemblyMaxBytes: number;
  reassemblyMaxDatagrams: number;
  reassemblyTimeout: number;
  icmpErrorsPerSecond: number;
  /** For deterministic tests: seeds ISNs, ports and DNS ids. */
  seed?: number;
}

export const CLIENT_DEFAULTS: Readonly<Omit<ClientStackOptions, 'local' | 'dns' | 'seed'>> = Object.freeze({
  mtu: 1500,
  tcpSendBuffer: 64 * 1024,
  tcpRecvBuffer: 64 * 1024,
  tcpConnectTimeout: 20_000, // unused by active opens (SYN retries bound the connect)
  tcpTimeWait: 5_000,
  tcpIdleTimeout: 7_440_000,
  tcpInitialRto: 1_000,
  tcpMinRto: 200,
  tcpMaxRto: 60_000,
  tcpMaxRetries: 8,
  tcpMaxSynRetries: 5,
  tcpDelayedAck: 40,
  tcpMaxConnections: 256,
  tcpMaxTimeWait: 512,
  bufferLimit: 16 * 1024 * 1024,
  dnsTimeout: 2_000,
  dnsAttempts: 3,
  dnsMaxPending: 64,
  dnsCacheSize: 256,
  dnsCacheMaxTtl: 300,
  reassemblyMaxBytes: 192 * 1024,
  reassemblyMaxDatagrams: 16,
  reassemblyTimeout: 30_000,
  icmpErrorsPerSecond: 50,
});

/** Why an active open failed. */
export type ClientConnectFailure =
  | 'refused' | 'host-unreachable' | 'net-unreachable' | 'prohibited' | 'ttl-expired' | 'timeout' | 'limit' | 'link-down' | 'error';

export type DnsFailure = 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'no-server' | 'bad-name' | 'limit';

/** What the stack asks of its adapter (the `tcp-*` ones as in requests.ts, for the local socket). */
export type ClientRequest =
  | Extract<HostRequest, { type: 'tcp-write' | 'tcp-end' | 'tcp-pause' | 'tcp-resume' | 'tcp-abort' | 'tcp-release' }>
  /** The active open succeeded; `localPort` is our end (SOCKS BND.PORT). */
  | { type: 'tcp-connected'; id: number; localAddr: string; localPort: number }
  /** The active open failed: the local socket gets an error reply or a reset. */
  | { type: 'tcp-failed'; id: number; why: ClientConnectFailure }
  | { type: 'dns-resolved'; id: number; name: string; addresses: string[]; cached: boolean }
  | { type: 'dns-failed'; id: number; name: string; why: DnsFailure };

export interface ClientStats {
  local: string;
  dnsServers: string[];
  ip: { packetsIn: number; bytesIn: number; packetsOut: number; bytesOut: number; drops: Record<string, number> };
  tcp: TcpCounters & {
    active: number; timeWait: number; opened: number; established: number; failed: Record<string, number>;
    softErrors: number; resetsToStrays: number; bytesReceived: number; bytesSent: number;
  };
  udp: { datagramsIn: number; unmatched: number };
  icmp: { received: number; errorsSent: number; errorsRateLimited: number };
  dns: { lookups: number; queriesSent: number; answered: number; cached: number; failed: Record<string, number>; mismatched: number; pending: number; cacheEntries: number };
  frag: ReassemblyCounters & { pendingBytes: number };
  memory: { buffered: number; limit: number };
}

interface ConnMeta {
  established: boolean;
  /** The local socket is gone: no event when the connection ends. */
  appGone: boolean;
  /** Set just before an input that may end a connect, to name the failure. */
  why?: ClientConnectFailure;
}

interface Lookup {
  id: number;
  name: string;
  port: number;
  txid: number;
  question: Buffer;
  query: Buffer;
  attempt: number;
  server: number;
  deadline: number;
}

/** The connection, timer and output plumbing it shares with NetStack is in StackBase. */
export class ClientStack extends StackBase<ClientStackOptions, ClientRequest> {
  readonly local: number;
  private readonly servers: number[];

  private readonly meta = new Map<number, ConnMeta>();
  private readonly tcpExtra = { opened: 0, established: 0, softErrors: 0, resetsToStrays: 0 };
  private readonly failed: Record<string, number> = {};

  private readonly lookups = new Map<number, Lookup>();
  private readonly lookupByPort = new Map<number, Lookup>();
  private readonly cache = new Map<string, { addresses: string[]; expires: number }>();
  private readonly dnsCounters = { lookups: 0, queriesSent: 0, answered: 0, cached: 0, mismatched: 0 };
  private readonly dnsFailed: Record<string, number> = {};

  private readonly udpCounters = { datagramsIn: 0, unmatched: 0 };
  protected readonly icmpCounters = { received: 0, errorsSent: 0, errorsRateLimited: 0 };

  constructor(options: Partial<ClientStackOptions> & { local: string }, now = 0) {
    const opts = { ...CLIENT_DEFAULTS, dns: [], ...stripUndefined(options) } as ClientStackOptions;
    if (opts.mtu < 576 || opts.mtu > 65535) throw new RangeError('mtu must be 576..65535');
    // Checked before super(): a bad mtu or address throws in the same order as before.
    const local = ip4(opts.local);
    const servers = [...new Set(opts.dns.map(ip4))].filter((a) => a !== 0);
    super(opts, now);
    this.local = local;
    this.servers = servers;
  }

  /** The DNS servers in use (dotted quads). */
  get dnsServers(): string[] {
    return this.servers.map(ip4ToString);
  }

  // ========================================================================================
  // StackBase hooks: input, timers, close
  // ========================================================================================

  protected override screen(ip: Ipv4): string | undefined {
    if (ip.dst !== this.local) return 'wrongDestination';
    if (isMulticastOrReserved(ip.src) || ip.src === 0 || ip.src >>> 24 === 127 || ip.src === this.local) return 'martianSource';
    return undefined;
  }

  protected override deliver(ip: Ipv4, now: number): void {
    switch (ip.protocol) {
      case PROTO_TCP: return this.inputTcp(ip, now);
      case PROTO_UDP: return this.inputUdp(ip, now);
      case PROTO_ICMP: return this.inputIcmp(ip, now);
      default:
        this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_PROTOCOL);
        return this.drop('unknownProtocol');
    }
  }

  protected override tickOthers(now: number): void {
    for (const q of [...this.lookups.values()]) if (q.deadline <= now) this.retryLookup(q, now);
  }

  protected override considerOthers(consider: (t: number | undefined) => void): void {
    for (const q of this.lookups.values()) consider(q.deadline);
  }

  /**
   * The link went down (close()): every connection ends (tcp-abort for an open one,
   * tcp-failed "link-down" for a connect in progress); lookups fail with "no-server".
   */
  protected override closingConn(c: TcpConn): void {
    const m = this.meta.get(c.id);
    if (m && !m.appGone) {
      if (!m.established) {
        count(this.failed, 'link-down');
        this.requests.push({ type: 'tcp-failed', id: c.id, why: 'link-down' });
      } else if (c.state !== 'TIME_WAIT' && c.state !== 'CLOSED') {
        this.requests.push({ type: 'tcp-abort', id: c.id });
      }
    }
    if (m) m.appGone = true;
  }

  protected override closeOthers(): void {
    for (const q of this.lookups.values()) {
      count(this.dnsFailed, 'no-server');
      this.requests.push({ type: 'dns-failed', id: q.id, name: q.name, why: 'no-server' });
    }
    this.lookups.clear();
    this.lookupByPort.clear();
  }

  // ========================================================================================
  // Active opens and the local socket's reports
  // ========================================================================================

  /**
   * Opens a TCP connection over the link to `dst`:`port` (a dotted quad or its number). The
   * answer comes as a `tcp-connected` or `tcp-failed` request with the returned id.
   */
  openTcp(dst: string | number, port: number, now: number): number {
    this.advance(now);
    const id = this.nextId++;
    const fail = (why: ClientConnectFailure) => {
      count(this.failed, why);
      this.requests.push({ type: 'tcp-failed', id, why });
      return id;
    };
    let addr: number;
    try {
      addr = typeof dst === 'number' ? dst >>> 0 : ip4(dst);
    } catch {
      return fail('error');
    }
    if (this.closedForGood) return fail('error');
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('error');
    // Nothing over the link can be "this network", loopback, multicast or broadcast.
    if (addr >>> 24 === 0 || addr >>> 24 === 127 || isMulticastOrReserved(addr)) return fail('net-unreachable');
    if (addr === this.local) return fail('refused');
    if (this.tcpSlots.size >= this.opts.tcpMaxConnections) return fail('limit');
    const srcPort = this.ephemeralPort((p) => this.tcpByKey.has(connKey(addr, port, this.local, p)));
    if (srcPort === undefined) return fail('limit');
    const key = connKey(addr, port, this.local, srcPort);
    this.meta.set(id, { established: false, appGone: false });
    const c = new TcpConn(this.env, id, { localAddr: this.local, localPort: srcPort, remoteAddr: addr, remotePort: port }, this.iss(key, now), now, 'active');
    this.tcpByKey.set(key, c);
    this.tcpById.set(id, c);
    this.tcpSlots.add(c);
    this.tcpExtra.opened++;
    return id;
  }

  /** The local socket closed (normally after both directions ended, or on an error: then RST). */
  tcpClosed(id: number, now: number): void {
    this.advance(now);
    const m = this.meta.get(id);
    if (m) m.appGone = true;
    this.tcpById.get(id)?.hostGone(now);
  }

  // ========================================================================================
  // DNS
  // ========================================================================================

  /**
   * Resolves `name` to IPv4 addresses over the link; the answer comes as a `dns-resolved`
   * or `dns-failed` request with the returned id (possibly at once: literals, the cache).
   */
  resolve(name: string, now: number): number {
    this.advance(now);
    const id = this.nextId++;
    this.dnsCounters.lookups++;
    const n = name.toLowerCase().replace(/\.$/, '');
    const fail = (why: DnsFailure) => {
      count(this.dnsFailed, why);
      this.requests.push({ type: 'dns-failed', id, name: n, why });
      return id;
    };
    if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(n)) {
      try {
        ip4(n);
      } catch {
        return fail('bad-name');
      }
      this.requests.push({ type: 'dns-resolved', id, name: n, addresses: [n], cached: false });
      return id;
    }
    const hit = this.cache.get(n);
    if (hit && hit.expires > now) {
      this.dnsCounters.cached++;
      this.requests.push({ type: 'dns-resolved', id, name: n, addresses: [...hit.addresses], cached: true });
      return id;
    }
    if (hit) this.cache.delete(n);
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(n) || !encodeName(n)) return fail('bad-name');
    if (this.closedForGood) return fail('no-server');
    if (!this.servers.length) return fail('no-server');
    if (this.lookups.size >= this.opts.dnsMaxPending) return fail('limit');
    const port = this.ephemeralPort((p) => this.lookupByPort.has(p));
    if (port === undefined) return fail('limit');
    const txid = this.random() & 0xffff;
    const query = buildDnsQuery(txid, n, QTYPE.A);
    const q: Lookup = { id, name: n, port, txid, query, question: query.subarray(12), attempt: 0, server: 0, deadline: now + this.opts.dnsTimeout };
    this.lookups.set(id, q);
    this.lookupByPort.set(port, q);
    this.sendQuery(q);
    return id;
  }

  private sendQuery(q: Lookup): void {
    this.dnsCounters.queriesSent++;
    const server = this.servers[q.server % this.servers.length]!;
    this.emitPacket(buildUdp(this.local, server, q.port, 53, q.query, this.nextIpId()));
  }

  /** The next try (to the next server), or failure when the tries are used up. */
  private retryLookup(q: Lookup, now: number, why: DnsFailure = 'timeout'): void {
    q.attempt++;
    if (q.attempt >= Math.max(this.opts.dnsAttempts, 1)) return this.finishLookup(q, { why });
    q.server++;
    q.deadline = now + this.opts.dnsTimeout;
    this.sendQuery(q);
  }

  private finishLookup(q: Lookup, r: { addresses: string[] } | { why: DnsFailure }): void {
    this.lookups.delete(q.id);
    this.lookupByPort.delete(q.port);
    if ('why' in r) {
      count(this.dnsFailed, r.why);
      this.requests.push({ type: 'dns-failed', id: q.id, name: q.name, why: r.why });
    } else {
      this.dnsCounters.answered++;
      this.requests.push({ type: 'dns-resolved', id: q.id, name: q.name, addresses: r.addresses, cached: false });
    }
  }

  private dnsAnswer(q: Lookup, ip: Ipv4, msg: Buffer, now: number): void {
    const server = this.servers[q.server % this.servers.length];
    // RFC 5452 §9.1: the answer must come from where the query went, match its ID and
    // repeat its question.
    if (ip.src !== server || msg.length < 12 || msg.readUInt16BE(0) !== q.txid || !sameQuestion(msg, q.question)) {
      this.dnsCounters.mismatched++;
      return this.drop('dnsMismatch');
    }
    const a = parseDnsAnswer(msg);
    if (!a) {
      this.dnsCounters.mismatched++;
      return this.drop('dnsMalformed');
    }
    if (a.rcode === RCODE.NXDOMAIN) return this.finishLookup(q, { why: 'nxdomain' });
    if (a.rcode !== RCODE.NOERROR) {
      // SERVFAIL, REFUSED, NOTIMP: another server may do better.
      const why: DnsFailure = a.rcode === RCODE.REFUSED ? 'refused' : 'servfail';
      if (this.servers.length > 1 && q.attempt + 1 < this.opts.dnsAttempts) return this.retryLookup(q, now, why);
      return this.finishLookup(q, { why });
    }
    const addresses: string[] = [];
    let ttl = this.opts.dnsCacheMaxTtl;
    for (const rr of a.answers) {
      if (rr.type !== QTYPE.A || rr.data.length !== 4) continue;
      addresses.push(ip4ToString(rr.data.readUInt32BE(0)));
      ttl = Math.min(ttl, rr.ttl);
    }
    // A truncated answer (TC) is used for what it holds: there is no TCP fallback.
    if (!addresses.length) return this.finishLookup(q, { why: a.truncated ? 'servfail' : 'nodata' });
    if (ttl > 0 && this.opts.dnsCacheSize > 0) {
      while (this.cache.size >= this.opts.dnsCacheSize) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(q.name, { addresses, expires: now + ttl * 1000 });
    }
    this.finishLookup(q, { addresses: [...addresses] });
  }

  // ========================================================================================
  // Status
  // ========================================================================================

  stats(): ClientStats {
    const timeWait = this.timeWaitCount();
    return {
      local: ip4ToString(this.local),
      dnsServers: this.dnsServers,
      ip: { ...this.ipCounters, drops: { ...this.drops } },
      tcp: {
        ...this.tcpCounters, ...this.tcpExtra, active: this.tcpSlots.size, timeWait, failed: { ...this.failed },
        bytesReceived: this.tcpCounters.bytesFromClient, bytesSent: this.tcpCounters.bytesToClient,
      },
      udp: { ...this.udpCounters },
      icmp: { ...this.icmpCounters },
      dns: { ...this.dnsCounters, failed: { ...this.dnsFailed }, pending: this.lookups.size, cacheEntries: this.cache.size },
      frag: { ...this.reasm.counters, pendingBytes: this.reasm.bytes },
      memory: { buffered: this.buffered, limit: this.opts.bufferLimit },
    };
  }

  // ========================================================================================
  // TCP plumbing
  // ========================================================================================

  private inputTcp(ip: Ipv4, now: number): void {
    const seg = parseTcp(ip);
    if (typeof seg === 'string') return this.drop(seg);
    const c = this.tcpByKey.get(connKey(ip.src, seg.srcPort, ip.dst, seg.dstPort));
    if (!c) {
      // We listen nowhere: RST (RFC 9293 §3.10.7.1), never about a RST.
      this.drop('tcpNoConnection');
      return this.sendRst(ip, seg);
    }
    const m = this.meta.get(c.id);
    const connecting = c.state === 'SYN_SENT';
    if (connecting && m && seg.flags & TCP_RST) m.why = 'refused';
    c.segment(seg, now);
    if (m) m.why = undefined;
    if (connecting) this.noteEstablished(c);
  }

  /** Reports a connection that left SYN-SENT for a synchronized state, once. */
  private noteEstablished(c: TcpConn): void {
    const m = this.meta.get(c.id);
    if (!m || m.established || c.state === 'SYN_SENT' || c.state === 'CLOSED') return;
    m.established = true;
    this.tcpExtra.established++;
    if (!m.appGone) this.requests.push({ type: 'tcp-connected', id: c.id, localAddr: addrToString(c.ep.localAddr), localPort: c.ep.localPort });
  }

  /** Requests from a connection: established first; aborts of a failed connect become tcp-failed. */
  protected override connRequest(r: HostRequest): void {
    if (!('id' in r)) return;
    const c = this.tcpById.get(r.id);
    if (c) this.noteEstablished(c);
    const m = this.meta.get(r.id);
    if (m?.appGone) return;
    if (r.type === 'tcp-abort' && m && !m.established) return; // connClosed reports the failure
    if (r.type === 'tcp-write' || r.type === 'tcp-end' || r.type === 'tcp-pause' || r.type === 'tcp-resume' || r.type === 'tcp-abort' || r.type === 'tcp-release') {
      this.requests.push(r);
    }
  }

  protected override overBudget(): boolean {
    return this.buffered >= this.opts.bufferLimit;
  }

  protected override connTimeWait(c: TcpConn): void {
    // Before the base bounds TIME-WAIT (which may drop `c` itself): no event for it any more.
    this.meta.delete(c.id);
    super.connTimeWait(c);
  }

  protected override connClosed(c: TcpConn): void {
    super.connClosed(c);
    const m = this.meta.get(c.id);
    this.meta.delete(c.id);
    if (m && !m.established && !m.appGone && !this.closedForGood) {
      const why = m.why ?? 'timeout';
      count(this.failed, why);
      this.requests.push({ type: 'tcp-failed', id: c.id, why });
    }
  }

  /** Counts RSTs to stray segments apart (the base counts every RST sent). */
  protected override sendRst(ip: Ipv4, seg: TcpSegment): void {
    if (!(seg.flags & TCP_RST)) this.tcpExtra.resetsToStrays++;
    super.sendRst(ip, seg);
  }

  // ========================================================================================
  // UDP and ICMP
  // ========================================================================================

  private inputUdp(ip: Ipv4, now: number): void {
    const d = parseUdp(ip);
    if (typeof d === 'string') return this.drop(d);
    this.udpCounters.datagramsIn++;
    const q = this.lookupByPort.get(d.dstPort);
    if (q && d.srcPort === 53) return this.dnsAnswer(q, ip, d.payload, now);
    this.udpCounters.unmatched++;
    // A late answer to a finished query lands here too: port unreachable, as a closed socket.
    this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_PORT);
    this.drop('udpNoListener');
  }

  private inputIcmp(ip: Ipv4, now: number): void {
    const m = parseIcmp(ip);
    if (typeof m === 'string') return this.drop(m);
    this.icmpCounters.received++;
    if (m.type !== ICMP_DEST_UNREACH && m.type !== ICMP_TIME_EXCEEDED) return; // echo is the PPP session's; others ignored
    // The quoted datagram: its IP header and at least 8 octets (RFC 792).
    const q = m.body;
    if (q.length < 28 || q[0]! >> 4 !== 4) return this.drop('icmpQuote');
    const hl = (q[0]! & 0x0f) * 4;
    if (hl < 20 || q.length < hl + 8) return this.drop('icmpQuote');
    if (q.readUInt32BE(12) !== this.local) return this.drop('icmpQuote');
    const proto = q[9]!;
    const dst = q.readUInt32BE(16);
    const srcPort = q.readUInt16BE(hl);
    const dstPort = q.readUInt16BE(hl + 2);
    if (proto === PROTO_TCP) {
      const c = this.tcpByKey.get(connKey(dst, dstPort, this.local, srcPort));
      if (!c) return;
      // RFC 5927 §4.1-like check: the quoted sequence number must be one we have in flight.
      const seq = q.readUInt32BE(hl + 4);
      if (c.state !== 'SYN_SENT' || seq !== c.sndUna) {
        this.tcpExtra.softErrors++;
        return;
      }
      const meta = this.meta.get(c.id);
      if (meta) meta.why = icmpReason(m.type, m.code);
      if (meta?.why === undefined) { // fragmentation needed and the like: not a reason to give up
        this.tcpExtra.softErrors++;
        return;
      }
      c.reset(now, true);
      return;
    }
    if (proto === PROTO_UDP) {
      const l = this.lookupByPort.get(srcPort);
      if (l && dstPort === 53 && dst === this.servers[l.server % this.servers.length] && m.type === ICMP_DEST_UNREACH) {
        // This server does not serve: try the next one now.
        this.retryLookup(l, now, m.code === UNREACH_PORT ? 'refused' : 'timeout');
      }
    }
  }

  /** An ICMP error about `ip` (never about ICMP errors, rate limited, RFC 1122 §3.2.2). */
  private icmpError(ip: Ipv4, type: number, code: number): void {
    if (ip.protocol === PROTO_ICMP) return;
    this.emitIcmpError(ip, type, code, this.local);
  }

}

/** What an ICMP error about our SYN means for the connect; undefined when it is no reason to stop. */
function icmpReason(type: number, code: number): ClientConnectFailure | undefined {
  if (type === ICMP_TIME_EXCEEDED) return 'ttl-expired';
  switch (code) {
    case UNREACH_NET: case 6: case 11: return 'net-unreachable';
    case UNREACH_HOST: case 7: case 12: return 'host-unreachable';
    case UNREACH_PROTOCOL: case UNREACH_PORT: return 'refused';
    case 9: case 10: case UNREACH_ADMIN: return 'prohibited';
    case 4: return undefined; // fragmentation needed: PMTU, not unreachability
    default: return 'host-unreachable';
  }
}

/** The answer repeats our question (names compared without regard to ASCII case). */
function sameQuestion(msg: Buffer, question: Buffer): boolean {
  if (msg.readUInt16BE(4) !== 1 || msg.length < 12 + question.length) return false;
  for (let i = 0; i < question.length; i++) {
    let a = msg[12 + i]!;
    let b = question[i]!;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}
