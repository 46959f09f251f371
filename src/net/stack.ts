/**
 * NetStack: a userspace IPv4 network for one PPP client, sans-IO (smoltcp's shape, slirp's
 * job). Packets and time go in; packets for the client, host socket requests and a next
 * deadline come out. The IO adapter (src/io/nat-backend.ts) turns requests into sockets
 * and reports results back through the `tcp*`, `udp*` and `dns*` methods.
 *
 *   const net = new NetStack({ client: '10.0.2.15' }, now);
 *   net.input(packetFromPpp, now);
 *   for (const p of net.takePackets()) ppp.sendIp(p);
 *   for (const r of net.takeRequests()) adapter.perform(r);   // may call net.tcpData(...) later
 *   at net.nextDeadline(): net.tick(now)
 *
 * The virtual network (slirp's): the gateway address is the host itself — TCP and UDP
 * to it reach `gatewayHost` (127.0.0.1) — the DNS address answers UDP port 53 from the
 * host's resolver, and everything else outside the virtual network is NATed to the host's
 * sockets. Bad input is counted and dropped, never thrown.
 */
import { DEFAULT_OPTIONS, resolveOptions, type NetOptions, type ResolvedConfig } from './config.js';
import { buildDnsAnswer, buildDnsError, parseDnsQuery, QTYPE, RCODE, type DnsQuery, type DnsResult } from './dns.js';
import { buildIcmp, buildUdp, icmpQuote, ip4, isMulticastOrReserved, parseIcmp, parseTcp, parseUdp, PROTO_ICMP, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_RST, TCP_SYN, TCP_FIN, ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, UNREACH_ADMIN, UNREACH_HOST, UNREACH_NET, UNREACH_PORT, UNREACH_PROTOCOL, type Ipv4, type TcpSegment } from '../wire/packet.js';
import { ip4ToString } from '../wire/ipv4.js';
import type { ReassemblyCounters } from './reassembly.js';
import type { ConnectFailure, HostRequest } from './requests.js';
import { StackBase } from './stack-base.js';
import { connKey, seqGt, TcpConn, type Addr, type TcpCounters } from './tcp.js';
import { buildIcmpv6, buildTcp6, buildUdp6, ip6ToString, linkLocal, parseIcmpv6, parseIpv6, parseTcp6, parseUdp6, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_ROUTER_SOLICIT, NEXT_ICMPV6, NEXT_TCP, NEXT_UDP, type Ipv6 } from '../wire/ipv6.js';
import { ALL_NODES, buildRouterAdvert } from './ndp.js';

/** How a TCP segment of one IP version is answered: RST, routed, quoted in ICMP errors. */
interface TcpInput {
  rst(): void;
  route(): string | 'refuse' | undefined;
  quote?(): Buffer;
}

export interface UdpCounters {
  flows: number;
  opened: number;
  expired: number;
  datagramsFromClient: number;
  datagramsToClient: number;
  bytesFromClient: number;
  bytesToClient: number;
  limitDrops: number;
  refused: number;
}

export interface NetStats {
  ip: { packetsIn: number; bytesIn: number; packetsOut: number; bytesOut: number; fragmentsOut: number; drops: Record<string, number> };
  tcp: TcpCounters & { active: number; timeWait: number; opened: number; forwarded: number; refused: number; limitRefused: number; connectFailed: number };
  udp: UdpCounters;
  icmp: { echoReplies: number; echoDropped: number; errorsSent: number; errorsRateLimited: number; received: number };
  dns: { queries: number; answered: number; aliases: number; errors: number; timeouts: number; pending: number };
  frag: ReassemblyCounters & { pendingBytes: number; pendingDatagrams: number };
  memory: { buffered: number; reassembly: number; limit: number };
  /** IPv6, when a prefix is configured: the /64 advertised and what was sent. */
  ipv6?: { prefix: string; gateway: string; routerAdverts: number; solicitations: number; echoReplies: number };
}

interface UdpFlow {
  id: number;
  key: string;
  clientPort: number;
  /** The address and port the client talks to (replies come from them). */
  vAddr: Addr;
  /** IPv6 flows: the client's address they answer (IPv4 flows use the session's). */
  client6?: Buffer;
  vPort: number;
  lastActive: number;
  /** For udp forwards: the host peer and the forward's number. */
  forward?: { rule: number; host: string; port: number };
  /** The start of the client's last datagram, quoted in ICMP errors. */
  quote?: Buffer;
}

interface PendingDns {
  id: number;
  query: DnsQuery;
  clientAddr: Addr;
  clientPort: number;
  deadline: number;
}

/** The connection, timer and output plumbing it shares with ClientStack is in StackBase. */
export class NetStack extends StackBase<NetOptions, HostRequest> {
  readonly cfg: ResolvedConfig;
  private client?: number;

  // TCP
  /** The client's SYN of a connection waiting for its host connect (quoted in ICMP errors). */
  private readonly synQuote = new Map<number, Buffer>();
  private readonly tcpExtra = { opened: 0, forwarded: 0, refused: 0, limitRefused: 0, connectFailed: 0 };

  // UDP
  private readonly udpByKey = new Map<string, UdpFlow>();
  private readonly udpById = new Map<number, UdpFlow>();
  /** UDP forward flows by the gateway port the client replies to. */
  private readonly udpByGatewayPort = new Map<number, UdpFlow>();
  private readonly udpCounters: UdpCounters = { flows: 0, opened: 0, expired: 0, datagramsFromClient: 0, datagramsToClient: 0, bytesFromClient: 0, bytesToClient: 0, limitDrops: 0, refused: 0 };

  // DNS
  private readonly dnsPending = new Map<number, PendingDns>();
  private readonly dnsCounters = { queries: 0, answered: 0, aliases: 0, errors: 0, timeouts: 0 };

  // IPv6
  /** Our link-local address while IPV6CP is up (the source of Router Advertisements). */
  private router6?: Buffer;
  private readonly v6Counters = { routerAdverts: 0, solicitations: 0, echoReplies: 0 };

  // ICMP
  protected readonly icmpCounters = { echoReplies: 0, echoDropped: 0, errorsSent: 0, errorsRateLimited: 0, received: 0 };

  constructor(options: Partial<NetOptions> = {}, now = 0) {
    const cfg = resolveOptions(options);
    super(cfg.opts, now);
    this.cfg = cfg;
    this.client = cfg.client;
  }

  /** The client's address (configured or learned from its first packet). */
  get clientAddress(): string | undefined {
    return this.client === undefined ? undefined : ip4ToString(this.client);
  }

  // ========================================================================================
  // StackBase hooks: input, timers, close
  // ========================================================================================

  protected override screen(ip: Ipv4): string | undefined {
    // Source checks: the client's own address only (RFC 1812 §5.3.7 martian filtering).
    if (isMulticastOrReserved(ip.src) || ip.src === 0 || ip.src >>> 24 === 127) return 'martianSource';
    if (this.client === undefined) this.client = ip.src;
    else if (ip.src !== this.client) return 'wrongSource';
    // Destinations we never forward: broadcast and multicast (silently: RFC 1122 §3.2.2
    // forbids ICMP errors about them), "this network" and loopback.
    if (isMulticastOrReserved(ip.dst) || ip.dst === this.cfg.broadcast) return 'broadcast';
    if (ip.dst >>> 24 === 0 || ip.dst >>> 24 === 127 || ip.dst === this.client) return 'martianDestination';
    return undefined;
  }

  protected override reassemblyEnabled(): boolean {
    return this.opts.reassembly;
  }

  protected override deliver(ip: Ipv4, now: number): void {
    const local = ip.dst === this.cfg.gateway || ip.dst === this.cfg.dns;
    // TTL: we forward to everything but our own addresses, as a router does (RFC 1812 §5.3.1).
    if (!local && ip.ttl <= 1) {
      this.icmpError(ip, ICMP_TIME_EXCEEDED, 0, this.cfg.gateway);
      return this.drop('ttlExceeded');
    }
    switch (ip.protocol) {
      case PROTO_TCP: return this.inputTcp(ip, now);
      case PROTO_UDP: return this.inputUdp(ip, now);
      case PROTO_ICMP: return this.inputIcmp(ip);
      default:
        // RFC 1122 §3.2.2.1: protocol unreachable, from the address the client tried.
        this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_PROTOCOL, ip.dst);
        return this.drop('unknownProtocol');
    }
  }

  protected override reassemblyExpired(q: Buffer): void {
    // RFC 792: Time Exceeded, code 1, only when the first fragment arrived; from the
    // destination, whose reassembly we do.
    const h = looseIpv4(q);
    if (h) this.icmpError(h, ICMP_TIME_EXCEEDED, 1, h.dst);
  }

  protected override tickOthers(now: number): void {
    for (const f of [...this.udpById.values()]) {
      if (f.lastActive + this.opts.udpIdleTimeout <= now) {
        this.udpCounters.expired++;
        this.closeFlow(f);
      }
    }
    for (const p of [...this.dnsPending.values()]) {
      if (p.deadline <= now) {
        this.dnsCounters.timeouts++;
        this.dnsPending.delete(p.id);
        this.dnsReply(p.query, p.clientAddr, p.clientPort, { rcode: RCODE.SERVFAIL, records: [] });
      }
    }
  }

  protected override considerOthers(consider: (t: number | undefined) => void): void {
    for (const f of this.udpById.values()) consider(f.lastActive + this.opts.udpIdleTimeout);
    for (const p of this.dnsPending.values()) consider(p.deadline);
  }

  /** The session ended (close()): every host socket is to be reset and every flow closed. */
  protected override closingConn(c: TcpConn): void {
    if (c.state !== 'TIME_WAIT' && c.state !== 'CLOSED') this.requests.push({ type: 'tcp-abort', id: c.id });
  }

  protected override closeOthers(): void {
    for (const f of [...this.udpById.values()]) this.closeFlow(f);
    this.dnsPending.clear();
  }

  // ========================================================================================
  // Reports from the adapter
  // ========================================================================================

  tcpConnected(id: number, now: number): void {
    this.advance(now);
    this.synQuote.delete(id);
    this.tcpById.get(id)?.hostConnected(now);
  }

  /** The host connect failed: RST for a refusal, ICMP unreachable for routing errors. */
  tcpConnectFailed(id: number, why: ConnectFailure, now: number): void {
    this.advance(now);
    const c = this.tcpById.get(id);
    const quote = this.synQuote.get(id);
    this.synQuote.delete(id);
    if (!c || c.state !== 'CONNECTING') return;
    this.tcpExtra.connectFailed++;
    const q = quote ? looseIpv4(quote) : undefined;
    if ((why === 'host-unreachable' || why === 'net-unreachable') && q) {
      this.icmpError(q, ICMP_DEST_UNREACH, why === 'host-unreachable' ? UNREACH_HOST : UNREACH_NET, this.cfg.gateway);
      c.drop(now);
    } else {
      this.tcpExtra.refused++;
      c.reset(now, false);
    }
  }

  /** The host socket closed (after an error, a reset, or normally after both ends). */
  tcpClosed(id: number, now: number): void {
    this.advance(now);
    const c = this.tcpById.get(id);
    if (!c) return;
    if (c.state === 'CONNECTING') return this.tcpConnectFailed(id, 'error', now);
    c.hostGone(now);
  }

  /**
   * Active open towards the PPP peer (a port forward; later the client role): a SYN from
   * `from` (default the gateway, an ephemeral port) to `to` (default the client). Returns
   * the connection id, or undefined when a limit or a missing client address forbids it.
   */
  openTcp(dstPort: number, now: number, o: { to?: string; from?: string; fromPort?: number } = {}): number | undefined {
    this.advance(now);
    const dst = o.to !== undefined ? ip4(o.to) : this.client;
    if (dst === undefined || this.closedForGood) return undefined;
    const src = o.from !== undefined ? ip4(o.from) : this.cfg.gateway;
    const srcPort = o.fromPort ?? this.ephemeralPort((p) => this.tcpByKey.has(connKey(dst, dstPort, src, p)));
    if (srcPort === undefined || !this.takeTcpSlot()) return undefined;
    const id = this.nextId++;
    const ep = { localAddr: src, localPort: srcPort, remoteAddr: dst, remotePort: dstPort };
    const key = connKey(dst, dstPort, src, srcPort);
    const existing = this.tcpByKey.get(key);
    if (existing) existing.drop(now);
    const c = new TcpConn(this.env, id, ep, this.iss(key, now), now, 'active');
    this.register(c);
    this.tcpExtra.forwarded++;
    return id;
  }

  udpReceived(id: number, data: Buffer, now: number): void {
    this.advance(now);
    const f = this.udpById.get(id);
    if (!f || f.forward) return;
    f.lastActive = now;
    this.udpToClient(f, data);
  }

  /** The host socket reported an error; 'refused' (ICMP port unreachable on the host) is relayed. */
  udpError(id: number, why: 'refused' | 'error', now: number): void {
    this.advance(now);
    const f = this.udpById.get(id);
    if (!f) return;
    if (why === 'refused' && f.quote && typeof f.vAddr === 'number') {
      this.udpCounters.refused++;
      const q = looseIpv4(f.quote);
      if (q) this.icmpError(q, ICMP_DEST_UNREACH, UNREACH_PORT, f.vAddr);
    }
    if (why === 'error') this.closeFlow(f);
  }

  /** A datagram arrived at forward `rule`'s host socket from host:port, for the client's `clientPort`. */
  udpForwardIn(rule: number, clientPort: number, host: string, port: number, data: Buffer, now: number): void {
    this.advance(now);
    if (this.client === undefined || this.closedForGood) return;
    const key = `f${rule}|${host}|${port}`;
    let f = this.udpByKey.get(key);
    if (!f) {
      if (!this.takeUdpSlot()) {
        this.udpCounters.limitDrops++;
        return;
      }
      const gp = this.ephemeralPort((p) => this.udpByGatewayPort.has(p));
      if (gp === undefined) return this.releaseUdpSlot();
      f = { id: this.nextId++, key, clientPort, vAddr: this.cfg.gateway, vPort: gp, lastActive: now, forward: { rule, host, port } };
      this.udpByKey.set(key, f);
      this.udpById.set(f.id, f);
      this.udpByGatewayPort.set(gp, f);
      this.udpCounters.opened++;
    }
    f.lastActive = now;
    this.udpToClient(f, data);
  }

  dnsAnswered(id: number, result: DnsResult, now: number): void {
    this.advance(now);
    const p = this.dnsPending.get(id);
    if (!p) return;
    this.dnsPending.delete(id);
    this.dnsReply(p.query, p.clientAddr, p.clientPort, result);
  }

  // ========================================================================================
  // Status
  // ========================================================================================

  stats(): NetStats {
    return {
      ip: { ...this.ipCounters, fragmentsOut: this.fragmentsOut, drops: { ...this.drops } },
      tcp: { ...this.tcpCounters, ...this.tcpExtra, active: this.tcpSlots.size, timeWait: this.timeWaitCount() },
      udp: { ...this.udpCounters, flows: this.udpById.size },
      icmp: { ...this.icmpCounters },
      dns: { ...this.dnsCounters, pending: this.dnsPending.size },
      frag: { ...this.reasm.counters, pendingBytes: this.reasm.bytes, pendingDatagrams: this.reasm.datagrams },
      memory: { buffered: this.buffered, reassembly: this.reasm.bytes, limit: this.memoryBound() },
      ...(this.cfg.v6 ? { ipv6: { prefix: `${ip6ToString(Buffer.concat([this.cfg.v6.prefix, Buffer.alloc(8)]))}/64`, gateway: ip6ToString(this.cfg.v6.gateway), ...this.v6Counters } } : {}),
    };
  }

  /** Octets the stack itself holds now: send queues, out-of-order data, fragments. */
  memoryInUse(): number {
    let n = this.reasm.bytes;
    for (const c of this.tcpById.values()) n += c.memory;
    return n;
  }

  /**
   * The most the stack can hold: per connection a send buffer (plus one host read that
   * arrives after the pause request, at most 64 KiB in Node) and a receive window's worth
   * of out-of-order data, and the reassembly buffer.
   */
  memoryBound(): number {
    const o = this.opts;
    return o.tcpMaxConnections * (o.tcpSendBuffer + 65536 + o.tcpRecvBuffer) + o.reassemblyMaxBytes;
  }

  // ========================================================================================
  // TCP
  // ========================================================================================

  private inputTcp(ip: Ipv4, now: number): void {
    const seg = parseTcp(ip);
    if (typeof seg === 'string') return this.drop(seg);
    // The connection's segments (nearly all of them) go straight to it: the closures for
    // the no-connection case are made only for that case (no garbage per segment).
    const c = this.tcpConnOf(seg, ip.src, ip.dst, now);
    if (c) return c.segment(seg, now);
    this.tcpNoConn(seg, ip.src, ip.dst, now, {
      rst: () => this.sendRst(ip, seg),
      route: () => this.route(ip, PROTO_TCP),
      quote: () => Buffer.from(icmpQuote(ip.packet)),
    });
  }

  /** The connection a segment from the client (either IP version) belongs to, if any. */
  private tcpConnOf(seg: TcpSegment, src: Addr, dst: Addr, now: number): TcpConn | undefined {
    // A bulk transfer's segments all belong to the connection of the one before: found
    // without building its key string (garbage per segment otherwise).
    const last = this.lastTcp;
    const ep = last?.ep;
    let c = ep && typeof src === 'number' && ep.remoteAddr === src && ep.localAddr === dst &&
      ep.remotePort === seg.srcPort && ep.localPort === seg.dstPort && this.tcpByKey.get(last!.key) === last ? last : undefined;
    c ??= this.tcpByKey.get(connKey(src, seg.srcPort, dst, seg.dstPort));
    this.lastTcp = c;
    if (c && c.state === 'TIME_WAIT' && seg.flags & TCP_SYN && !(seg.flags & TCP_ACK) && seqGt(seg.seq, c.rcvNxt)) {
      // A new incarnation may reuse the pair if its ISN is past the old one's
      // (RFC 9293 §3.10.7.4 note; RFC 6191).
      c.drop(now);
      return undefined;
    }
    return c;
  }

  /** The connection tcpConnOf found last (only a hint: checked against tcpByKey before use). */
  private lastTcp: TcpConn | undefined;

  /** A segment no connection takes (tcpConnOf gave none): a new one (passive open), or RST. */
  private tcpNoConn(seg: TcpSegment, src: Addr, dst: Addr, now: number, how: TcpInput): void {
    const key = connKey(src, seg.srcPort, dst, seg.dstPort);
    if (seg.flags & TCP_RST) return this.drop('tcpNoConnection');
    if (!(seg.flags & TCP_SYN) || seg.flags & (TCP_ACK | TCP_FIN)) {
      // No connection: RST (RFC 9293 §3.10.7.1), as a closed port would.
      this.drop('tcpNoConnection');
      return how.rst();
    }
    this.passiveOpen(seg, src, dst, key, now, how);
  }

  private passiveOpen(seg: TcpSegment, src: Addr, dst: Addr, key: string, now: number, how: TcpInput): void {
    const target = how.route();
    if (target === undefined) return;
    if (target === 'refuse') {
      this.tcpExtra.refused++;
      return how.rst();
    }
    if (!this.takeTcpSlot()) {
      this.tcpExtra.limitRefused++;
      return how.rst();
    }
    const id = this.nextId++;
    const ep = { localAddr: dst, localPort: seg.dstPort, remoteAddr: src, remotePort: seg.srcPort };
    const c = new TcpConn(this.env, id, ep, this.iss(key, now), now, 'passive', seg);
    this.register(c);
    const quote = how.quote?.();
    if (quote) this.synQuote.set(id, quote);
    this.tcpExtra.opened++;
    this.requests.push({ type: 'tcp-connect', id, host: target, port: seg.dstPort });
  }

  private register(c: TcpConn): void {
    this.tcpByKey.set(c.key, c);
    this.tcpById.set(c.id, c);
    this.tcpSlots.add(c);
  }

  private takeTcpSlot(): boolean {
    const shared = this.opts.shared;
    if (this.tcpSlots.size >= this.opts.tcpMaxConnections) return false;
    if (shared && shared.tcp >= shared.maxTcp) return false;
    if (shared) shared.tcp++;
    return true;
  }

  /** Gives back the shared (all sessions) slot too. */
  protected override releaseTcpSlot(c: TcpConn): void {
    if (this.tcpSlots.delete(c) && this.opts.shared) this.opts.shared.tcp--;
  }

  protected override connClosed(c: TcpConn): void {
    super.connClosed(c);
    this.synQuote.delete(c.id);
  }

  protected override connRequest(r: HostRequest): void {
    this.requests.push(r);
  }

  protected override addBuffered(d: number): void {
    super.addBuffered(d);
    if (this.opts.shared) this.opts.shared.buffered += d;
  }

  protected override overBudget(): boolean {
    const shared = this.opts.shared;
    return this.buffered >= this.opts.sessionBufferLimit || (shared !== undefined && shared.buffered >= shared.maxBuffered);
  }

  // ========================================================================================
  // UDP and the virtual DNS
  // ========================================================================================

  private inputUdp(ip: Ipv4, now: number): void {
    const d = parseUdp(ip);
    if (typeof d === 'string') return this.drop(d);
    this.udpCounters.datagramsFromClient++;
    this.udpCounters.bytesFromClient += d.payload.length;
    if (ip.dst === this.cfg.dns) {
      if (d.dstPort === 53) return this.dnsQuery(ip.src, d.srcPort, d.payload, now);
      this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_PORT, ip.dst);
      return this.drop('udpNoService');
    }
    if (ip.dst === this.cfg.gateway) {
      const fwd = this.udpByGatewayPort.get(d.dstPort);
      if (fwd && fwd.forward && fwd.clientPort === d.srcPort) {
        fwd.lastActive = now;
        this.requests.push({ type: 'udp-forward-reply', forward: fwd.forward.rule, host: fwd.forward.host, port: fwd.forward.port, data: d.payload });
        return;
      }
    }
    const target = this.route(ip, PROTO_UDP);
    if (target === undefined) return;
    if (target === 'refuse') {
      this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_PORT, ip.dst);
      return this.drop('udpNoService');
    }
    const key = `${d.srcPort}>${ip.dst}:${d.dstPort}`;
    let f = this.udpByKey.get(key);
    if (!f) {
      if (!this.takeUdpSlot()) {
        this.udpCounters.limitDrops++;
        return this.drop('udpLimit');
      }
      f = { id: this.nextId++, key, clientPort: d.srcPort, vAddr: ip.dst, vPort: d.dstPort, lastActive: now };
      this.udpByKey.set(key, f);
      this.udpById.set(f.id, f);
      this.udpCounters.opened++;
      this.requests.push({ type: 'udp-open', id: f.id, host: target, port: d.dstPort });
    }
    f.lastActive = now;
    f.quote = Buffer.from(ip.packet.subarray(0, ip.headerLength + 8));
    this.requests.push({ type: 'udp-send', id: f.id, data: d.payload });
  }

  private takeUdpSlot(): boolean {
    const shared = this.opts.shared;
    if (this.udpById.size >= this.opts.udpMaxFlows) return false;
    if (shared && shared.udp >= shared.maxUdp) return false;
    if (shared) shared.udp++;
    return true;
  }

  private releaseUdpSlot(): void {
    if (this.opts.shared) this.opts.shared.udp--;
  }

  private closeFlow(f: UdpFlow): void {
    if (!this.udpById.delete(f.id)) return;
    this.udpByKey.delete(f.key);
    if (f.forward) this.udpByGatewayPort.delete(f.vPort);
    else this.requests.push({ type: 'udp-close', id: f.id });
    this.releaseUdpSlot();
  }

  private udpToClient(f: UdpFlow, data: Buffer): void {
    if (typeof f.vAddr !== 'number') {
      if (!f.client6) return;
      this.udpCounters.datagramsToClient++;
      this.udpCounters.bytesToClient += data.length;
      return this.emitPacket(buildUdp6(f.vAddr, f.client6, f.vPort, f.clientPort, data));
    }
    if (this.client === undefined) return;
    this.udpCounters.datagramsToClient++;
    this.udpCounters.bytesToClient += data.length;
    this.emitPacket(buildUdp(f.vAddr, this.client, f.vPort, f.clientPort, data, this.nextIpId()));
  }

  private dnsQuery(src: Addr, srcPort: number, msg: Buffer, now: number): void {
    this.dnsCounters.queries++;
    const parsed = parseDnsQuery(msg);
    if (!parsed) return this.drop('dnsMalformed');
    if (!parsed.ok) {
      this.dnsCounters.errors++;
      return this.sendDns(src, srcPort, buildDnsError(parsed.id, parsed.rcode, parsed.recursionDesired, parsed.question));
    }
    const q = parsed.query;
    if (q.qclass !== 1) return this.dnsReply(q, src, srcPort, { rcode: RCODE.REFUSED, records: [] });
    // Names of the virtual network, answered here.
    const alias = this.cfg.aliases.get(q.name);
    if (alias !== undefined) {
      this.dnsCounters.aliases++;
      const v6 = this.cfg.v6 && alias === this.cfg.gateway ? ip6ToString(this.cfg.v6.gateway) : undefined;
      const records = q.qtype === QTYPE.A || q.qtype === QTYPE.ANY
        ? [{ type: 'A' as const, address: ip4ToString(alias) }]
        : q.qtype === QTYPE.AAAA && v6 ? [{ type: 'AAAA' as const, address: v6 }] : [];
      return this.dnsReply(q, src, srcPort, { rcode: RCODE.NOERROR, records });
    }
    if (q.qtype === QTYPE.ANY) return this.dnsReply(q, src, srcPort, { rcode: RCODE.NOTIMP, records: [] }); // RFC 8482
    if (this.dnsPending.size >= this.opts.dnsMaxPending) {
      return this.dnsReply(q, src, srcPort, { rcode: RCODE.SERVFAIL, records: [] });
    }
    const id = this.nextId++;
    this.dnsPending.set(id, { id, query: q, clientAddr: src, clientPort: srcPort, deadline: now + this.opts.dnsTimeout });
    this.requests.push({ type: 'dns-query', id, name: q.name, qtype: q.qtype });
  }

  private dnsReply(q: DnsQuery, clientAddr: Addr, clientPort: number, res: DnsResult): void {
    if (res.rcode === RCODE.NOERROR) this.dnsCounters.answered++;
    else this.dnsCounters.errors++;
    const maxSize = q.ednsSize !== undefined ? Math.min(q.ednsSize, 4096) : 512;
    const msg = buildDnsAnswer(q, res, { defaultTtl: this.opts.dnsTtl, maxSize, edns: q.ednsSize !== undefined, ednsSize: 4096 });
    this.sendDns(clientAddr, clientPort, msg);
  }

  private sendDns(clientAddr: Addr, clientPort: number, msg: Buffer): void {
    this.udpCounters.datagramsToClient++;
    this.udpCounters.bytesToClient += msg.length;
    if (typeof clientAddr !== 'number') {
      if (this.cfg.v6) this.emitPacket(buildUdp6(this.cfg.v6.dns, clientAddr, 53, clientPort, msg));
      return;
    }
    this.emitPacket(buildUdp(this.cfg.dns, clientAddr, 53, clientPort, msg, this.nextIpId()));
  }

  // ========================================================================================
  // ICMP
  // ========================================================================================

  private inputIcmp(ip: Ipv4): void {
    const m = parseIcmp(ip);
    if (typeof m === 'string') return this.drop(m);
    this.icmpCounters.received++;
    if (m.type !== ICMP_ECHO_REQUEST) return; // errors from the client about our packets: counted, ignored
    if (ip.dst === this.cfg.gateway || ip.dst === this.cfg.dns) {
      this.icmpCounters.echoReplies++;
      this.emitPacket(buildIcmp(ip.dst, ip.src, ICMP_ECHO_REPLY, 0, m.rest, m.body, this.nextIpId()));
      return;
    }
    // Outside addresses cannot be pinged without raw/ICMP sockets (see NetOptions.echoPolicy).
    this.icmpCounters.echoDropped++;
    if (this.inVirtualNet(ip.dst)) return this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_HOST, this.cfg.gateway);
    if (this.opts.echoPolicy === 'unreachable') this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_HOST, this.cfg.gateway);
  }

  /**
   * An ICMP error about `ip`, unless RFC 1122 §3.2.2 forbids one: never about an ICMP error,
   * a non-first fragment, or a broadcast/multicast; rate-limited (RFC 1812 §4.3.2.8).
   */
  private icmpError(ip: Ipv4, type: number, code: number, from: number): void {
    if (ip.protocol === PROTO_ICMP) {
      const t = ip.payload[0];
      if (t === undefined || (t !== ICMP_ECHO_REQUEST && t !== 13 && t !== 15 && t !== 17)) return;
    }
    if (ip.fragmentOffset !== 0) return;
    if (isMulticastOrReserved(ip.dst) || ip.dst === this.cfg.broadcast) return;
    this.emitIcmpError(ip, type, code, from);
  }

  // ========================================================================================
  // IPv6 (RFC 8200) for a client that negotiated IPV6CP: router advertisements, echo, and
  // TCP/UDP terminated here like IPv4's, on host sockets of either family
  // ========================================================================================

  /** IPV6CP is up: our link-local address is fe80::<localId>. Sends an unsolicited RA (RFC 4861 §6.2.4). */
  ipv6Up(localId: Buffer, now: number): void {
    this.advance(now);
    if (!this.cfg.v6 || this.closedForGood) return;
    this.router6 = linkLocal(localId);
    this.sendRa();
  }

  ipv6Down(now: number): void {
    this.advance(now);
    this.router6 = undefined;
  }

  /** A packet from the PPP peer, IPv4 or IPv6 (by its version field). */
  override input(buf: Buffer, now: number): void {
    if (buf.length > 0 && buf[0]! >> 4 === 6) return this.input6(buf, now);
    super.input(buf, now);
  }

  private input6(buf: Buffer, now: number): void {
    this.advance(now);
    if (this.closedForGood) return;
    this.ipCounters.packetsIn++;
    this.ipCounters.bytesIn += buf.length;
    const v6 = this.cfg.v6;
    if (!v6) return this.drop('ipVersion'); // no prefix configured: IPv6 is a version we do not speak
    const ip = parseIpv6(buf);
    if (typeof ip === 'string') return this.drop(ip);
    const srcLinkLocal = isLinkLocal(ip.src);
    if (ip.dst[0] === 0xff) {
      // Multicast: a Router Solicitation (RFC 4861 §6.2.6) is answered; Neighbor
      // Discovery and MLD chatter (DAD, reports) means nothing on a PPP link: dropped.
      if (ip.nextHeader === NEXT_ICMPV6 && ip.hopLimit === 255) {
        const m = parseIcmpv6(ip);
        if (typeof m !== 'string' && m.type === ICMPV6_ROUTER_SOLICIT && m.code === 0) {
          this.v6Counters.solicitations++;
          return this.sendRa();
        }
      }
      return this.drop('ip6Multicast');
    }
    // Source checks: the client's link-local address or one in its prefix.
    if (!srcLinkLocal && !ip.src.subarray(0, 8).equals(v6.prefix)) return this.drop('ip6WrongSource');
    if (isLinkLocal(ip.dst) && !(this.router6 && ip.dst.equals(this.router6))) return this.drop('ip6LinkLocal');
    switch (ip.nextHeader) {
      case NEXT_TCP: return this.inputTcp6(ip, now);
      case NEXT_UDP: return this.inputUdp6(ip, now);
      case NEXT_ICMPV6: return this.inputIcmp6(ip);
      default: return this.drop('ip6NextHeader'); // extension headers are not followed
    }
  }

  private sendRa(): void {
    const v6 = this.cfg.v6;
    if (!v6 || !this.router6) return;
    this.v6Counters.routerAdverts++;
    this.emitPacket(buildRouterAdvert({ src: this.router6, dst: ALL_NODES, prefix: v6.prefix, dns: v6.dns, mtu: this.opts.mtu }));
  }

  private inputIcmp6(ip: Ipv6): void {
    const m = parseIcmpv6(ip);
    if (typeof m === 'string') return this.drop(m);
    this.icmpCounters.received++;
    if (m.type === ICMPV6_ROUTER_SOLICIT && ip.hopLimit === 255) {
      this.v6Counters.solicitations++;
      return this.sendRa();
    }
    if (m.type !== ICMPV6_ECHO_REQUEST) return; // errors and ND from the client: counted, ignored
    const v6 = this.cfg.v6!;
    if (ip.dst.equals(v6.gateway) || ip.dst.equals(v6.dns) || (this.router6 && ip.dst.equals(this.router6))) {
      this.icmpCounters.echoReplies++;
      this.v6Counters.echoReplies++;
      return this.emitPacket(buildIcmpv6(ip.dst, ip.src, ICMPV6_ECHO_REPLY, 0, m.body));
    }
    // As for IPv4: no ICMP sockets on the host, so outside addresses cannot be pinged.
    this.icmpCounters.echoDropped++;
  }

  private inputTcp6(ip: Ipv6, now: number): void {
    const seg = parseTcp6(ip);
    if (typeof seg === 'string') return this.drop(seg);
    // Copies: the connection keeps its addresses beyond this packet.
    const src = Buffer.from(ip.src);
    const dst = Buffer.from(ip.dst);
    const c = this.tcpConnOf(seg, src, dst, now);
    if (c) return c.segment(seg, now);
    this.tcpNoConn(seg, src, dst, now, { rst: () => this.sendRst6(src, dst, seg), route: () => this.route6(dst, 'tcpNoRoute') });
  }

  /** RFC 9293 §3.10.7.1 over IPv6 (never about a RST). */
  private sendRst6(src: Buffer, dst: Buffer, seg: TcpSegment): void {
    if (seg.flags & TCP_RST) return;
    this.tcpCounters.resetsSent++;
    const base = { src: dst, dst: src, srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0 };
    if (seg.flags & TCP_ACK) return this.emitPacket(buildTcp6({ ...base, seq: seg.ack, ack: 0, flags: TCP_RST }));
    const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    this.emitPacket(buildTcp6({ ...base, seq: 0, ack: (seg.seq + len) >>> 0, flags: TCP_RST | TCP_ACK }));
  }

  private inputUdp6(ip: Ipv6, now: number): void {
    const d = parseUdp6(ip);
    if (typeof d === 'string') return this.drop(d);
    this.udpCounters.datagramsFromClient++;
    this.udpCounters.bytesFromClient += d.payload.length;
    const v6 = this.cfg.v6!;
    const src = Buffer.from(ip.src);
    if (ip.dst.equals(v6.dns)) {
      if (d.dstPort === 53) return this.dnsQuery(src, d.srcPort, d.payload, now);
      return this.drop('udpNoService');
    }
    const dst = Buffer.from(ip.dst);
    const target = this.route6(dst, 'udpNoRoute');
    if (target === undefined) return;
    if (target === 'refuse') return this.drop('udpNoService');
    const key = `6|${src.toString('hex')}|${d.srcPort}>${dst.toString('hex')}:${d.dstPort}`;
    let f = this.udpByKey.get(key);
    if (!f) {
      if (!this.takeUdpSlot()) {
        this.udpCounters.limitDrops++;
        return this.drop('udpLimit');
      }
      f = { id: this.nextId++, key, clientPort: d.srcPort, vAddr: dst, vPort: d.dstPort, lastActive: now, client6: src };
      this.udpByKey.set(key, f);
      this.udpById.set(f.id, f);
      this.udpCounters.opened++;
      this.requests.push({ type: 'udp-open', id: f.id, host: target, port: d.dstPort });
    }
    f.lastActive = now;
    this.requests.push({ type: 'udp-send', id: f.id, data: d.payload });
  }

  /** Where IPv6 traffic to `dst` goes on the host (see route): the gateway is the host's loopback. */
  private route6(dst: Buffer, noRoute: string): string | 'refuse' | undefined {
    const v6 = this.cfg.v6!;
    if (dst.equals(v6.gateway) || (this.router6 && dst.equals(this.router6))) return this.opts.gatewayHost;
    if (dst.equals(v6.dns)) return 'refuse';
    if (dst.subarray(0, 8).equals(v6.prefix) || isLinkLocal(dst)) {
      this.drop(noRoute); // no other hosts on the link
      return undefined;
    }
    if (!this.opts.allowOutbound) {
      this.drop('prohibited');
      return 'refuse';
    }
    return ip6ToString(dst);
  }

  // ========================================================================================
  // Routing and output
  // ========================================================================================

  private inVirtualNet(a: number): boolean {
    return ((a & this.cfg.netMask) >>> 0) === this.cfg.netAddr;
  }

  /**
   * Where a connection or flow to ip.dst goes on the host: an address string, 'refuse'
   * (RST / port unreachable), or undefined when an ICMP error was sent instead.
   */
  private route(ip: Ipv4, proto: number): string | 'refuse' | undefined {
    if (ip.dst === this.cfg.gateway) return this.opts.gatewayHost;
    if (ip.dst === this.cfg.dns) return 'refuse'; // only UDP 53 is served there
    if (this.inVirtualNet(ip.dst)) {
      // No other hosts live in the virtual network.
      this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_HOST, this.cfg.gateway);
      this.drop(proto === PROTO_TCP ? 'tcpNoRoute' : 'udpNoRoute');
      return undefined;
    }
    if (!this.opts.allowOutbound) {
      // RFC 1812 §5.2.7.1: communication administratively prohibited.
      this.icmpError(ip, ICMP_DEST_UNREACH, UNREACH_ADMIN, this.cfg.gateway);
      this.drop('prohibited');
      return undefined;
    }
    return ip4ToString(ip.dst);
  }
}

/** fe80::/10 (RFC 4291 §2.5.6). */
function isLinkLocal(a: Buffer): boolean {
  return a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;
}

/** The fields of a datagram's start kept for quoting in an ICMP error (no length checks). */
function looseIpv4(q: Buffer): Ipv4 | undefined {
  if (q.length < 20) return undefined;
  const hl = (q[0]! & 0x0f) * 4;
  if (hl < 20 || hl > q.length) return undefined;
  const ff = q.readUInt16BE(6);
  return {
    packet: q, headerLength: hl, totalLength: q.readUInt16BE(2), id: q.readUInt16BE(4),
    dontFragment: (ff & 0x4000) !== 0, moreFragments: (ff & 0x2000) !== 0, fragmentOffset: (ff & 0x1fff) * 8,
    ttl: q[8]!, protocol: q[9]!, src: q.readUInt32BE(12), dst: q.readUInt32BE(16), payload: q.subarray(hl),
  };
}

export { DEFAULT_OPTIONS };
