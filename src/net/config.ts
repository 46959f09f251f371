/**
 * The virtual network's shape and the stack's limits. Defaults follow slirp's network
 * (10.0.2.0/24, gateway .2, DNS .3, client .15) and the RFCs cited per field.
 */
import { parseIp6 } from '../wire/ipv6.js';
import { ip4 } from '../wire/packet.js';

export interface NetOptions {
  /** The virtual network, CIDR (slirp: 10.0.2.0/24). */
  network: string;
  /** The gateway: the PPP server's own address. TCP/UDP to it reach `gatewayHost`. */
  gateway: string;
  /** The virtual DNS server (UDP port 53 answered from the host's resolver). */
  dns: string;
  /** The client's address; when unset the first packet's source is taken. */
  client?: string;
  /**
   * IPv6 for clients that negotiate IPV6CP: the /64 ("fd12:3456:789a::/64") advertised in
   * Router Advertisements. The gateway is <prefix>::2 and the DNS server <prefix>::3, as
   * in the IPv4 network. Unset: no IPv6 (packets dropped).
   */
  ipv6Prefix?: string;
  /** Where connections to the gateway address go on the host (its loopback). */
  gatewayHost: string;
  /**
   * Names answered by the virtual DNS itself, to IPv4 addresses. Default:
   * host.dialtone.internal and gateway.dialtone.internal → the gateway (= the host's loopback).
   */
  aliases: Record<string, string>;
  /** Let the client reach addresses outside the virtual network (slirp `restrict=off`). */
  allowOutbound: boolean;
  /**
   * ICMP echo to addresses other than the virtual ones: Node has no unprivileged ICMP
   * sockets, so they cannot be relayed. 'drop' (default) answers nothing — the client sees
   * timeouts, as behind a firewall; 'unreachable' answers host-unreachable at once.
   */
  echoPolicy: 'drop' | 'unreachable';
  /** The link MTU towards the client (the PPP peer's MRU). */
  mtu: number;

  /** Per-connection octets from the host waiting to be acknowledged by the client. */
  tcpSendBuffer: number;
  /** Per-connection octets from the client not yet written into the host socket. */
  tcpRecvBuffer: number;
  /** Open TCP connections per session (TIME-WAIT ones not counted). */
  tcpMaxConnections: number;
  /** TCP connections in TIME-WAIT per session; the oldest is recycled beyond this. */
  tcpMaxTimeWait: number;
  /** Milliseconds allowed for the host connect(). */
  tcpConnectTimeout: number;
  /** TIME-WAIT length, ms: 2×MSL shortened (RFC 9293 §3.4.2 uses MSL = 2 min). */
  tcpTimeWait: number;
  /** An established connection idle this long (ms) is reset (RFC 5382 REQ-5: >= 2 h 4 min). */
  tcpIdleTimeout: number;
  /** RFC 6298 §2: initial RTO 1 s, minimum 1 s, maximum at least 60 s. */
  tcpInitialRto: number;
  tcpMinRto: number;
  tcpMaxRto: number;
  /** Retransmissions of one segment before the connection is reset (RFC 1122 §4.2.3.5 R2). */
  tcpMaxRetries: number;
  /** SYN / SYN-ACK retransmissions (RFC 1122 §4.2.3.5: R2 for SYN >= 3 min is advised; ours is shorter). */
  tcpMaxSynRetries: number;
  /** Delayed-ACK timer (RFC 1122 §4.2.3.2: under 0.5 s; ACK at least every second segment). */
  tcpDelayedAck: number;

  udpMaxFlows: number;
  /** RFC 4787 REQ-5: a UDP mapping lives at least 2 minutes without traffic. */
  udpIdleTimeout: number;
  /** Datagrams queued per flow while its host socket is being opened. */
  udpMaxQueued: number;

  dnsMaxPending: number;
  /** Milliseconds before a pending DNS query is answered SERVFAIL. */
  dnsTimeout: number;
  /** TTL of answers without one (aliases, dns.lookup results). */
  dnsTtl: number;

  /** Reassemble fragments (true) or drop them all (false, counted). */
  reassembly: boolean;
  reassemblyMaxBytes: number;
  reassemblyMaxDatagrams: number;
  /** RFC 1122 §3.3.2 wants a fixed timeout; 30 s, as Linux (ipfrag_time). */
  reassemblyTimeout: number;

  /** ICMP errors per second we send (RFC 1812 §4.3.2.8 rate limiting). */
  icmpErrorsPerSecond: number;

  /**
   * Octets buffered for host→client data across this session's connections; past it the
   * host sockets are paused until the client acknowledges (on top of the per-connection cap).
   */
  sessionBufferLimit: number;
  /** Limits shared by all sessions of a process. */
  shared?: SharedLimits;
  /** For deterministic tests: seeds initial sequence numbers and port choice. */
  seed?: number;
}

export const DEFAULT_OPTIONS: Readonly<NetOptions> = Object.freeze({
  network: '10.0.2.0/24',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
  client: undefined,
  gatewayHost: '127.0.0.1',
  /** Filled in by resolveOptions: host.dialtone.internal and gateway.dialtone.internal → the gateway. */
  aliases: {},
  allowOutbound: true,
  echoPolicy: 'drop',
  mtu: 1500,

  tcpSendBuffer: 256 * 1024,
  tcpRecvBuffer: 256 * 1024,
  tcpMaxConnections: 64,
  tcpMaxTimeWait: 256,
  tcpConnectTimeout: 20_000,
  tcpTimeWait: 5_000,
  tcpIdleTimeout: 7_440_000,
  tcpInitialRto: 1_000,
  tcpMinRto: 1_000,
  tcpMaxRto: 60_000,
  tcpMaxRetries: 8,
  tcpMaxSynRetries: 5,
  tcpDelayedAck: 100,

  udpMaxFlows: 64,
  udpIdleTimeout: 120_000,
  udpMaxQueued: 16,

  dnsMaxPending: 32,
  dnsTimeout: 10_000,
  dnsTtl: 60,

  reassembly: true,
  reassemblyMaxBytes: 192 * 1024,
  reassemblyMaxDatagrams: 16,
  reassemblyTimeout: 30_000,

  icmpErrorsPerSecond: 50,
  sessionBufferLimit: 2 * 1024 * 1024,
  shared: undefined,
  seed: undefined,
});

/**
 * Counts shared by every session's stack in a process (plain numbers; sans-IO). A session
 * takes a slot when it opens a connection or flow and gives it back when it ends.
 */
export class SharedLimits {
  tcp = 0;
  udp = 0;
  /** Octets buffered by all sessions (send buffers, reassembly). */
  buffered = 0;
  constructor(
    readonly maxTcp = 1024,
    readonly maxUdp = 2048,
    readonly maxBuffered = 64 * 1024 * 1024,
  ) {}
}

export interface ResolvedConfig {
  opts: NetOptions;
  netAddr: number;
  netMask: number;
  gateway: number;
  dns: number;
  client?: number;
  broadcast: number;
  aliases: Map<string, number>;
  /** IPv6 (ipv6Prefix): the prefix's first 8 octets, the gateway (::2) and DNS (::3) addresses. */
  v6?: { prefix: Buffer; gateway: Buffer; dns: Buffer };
}

/** "fd12:3456:789a::/64" to its first 8 octets; a /64 only (SLAAC needs one, RFC 4862 §5.5.3). */
export function parsePrefix64(text: string): Buffer {
  const m = /^([0-9a-fA-F:.]+)\/64$/.exec(text);
  const a = m ? parseIp6(m[1]!) : undefined;
  if (!a || !a.subarray(8).equals(Buffer.alloc(8))) throw new TypeError(`bad IPv6 prefix ${text} (want a /64 such as fd12:3456:789a::/64)`);
  return a.subarray(0, 8);
}

export function resolveOptions(partial: Partial<NetOptions>): ResolvedConfig {
  const opts: NetOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(partial) };
  opts.aliases = partial.aliases
    ? { ...partial.aliases }
    : { 'host.dialtone.internal': opts.gateway, 'gateway.dialtone.internal': opts.gateway };
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(opts.network);
  if (!m || Number(m[2]) > 30) throw new TypeError(`bad network ${opts.network}`);
  const bits = Number(m[2]);
  const netMask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const netAddr = (ip4(m[1]!) & netMask) >>> 0;
  if (opts.mtu < 576 || opts.mtu > 65535) throw new RangeError('mtu must be 576..65535');
  const aliases = new Map<string, number>();
  for (const [k, v] of Object.entries(opts.aliases)) aliases.set(k.toLowerCase().replace(/\.$/, ''), ip4(v));
  return {
    opts,
    netAddr,
    netMask,
    gateway: ip4(opts.gateway),
    dns: ip4(opts.dns),
    client: opts.client !== undefined ? ip4(opts.client) : undefined,
    broadcast: (netAddr | ~netMask) >>> 0,
    aliases,
    ...(opts.ipv6Prefix ? { v6: v6Addresses(parsePrefix64(opts.ipv6Prefix)) } : {}),
  };
}

/** Drops the keys whose value is undefined, so that spreading over defaults keeps the defaults (also ClientStack's). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export interface PortForward {
  proto: 'tcp' | 'udp';
  /** Host address to listen on (default 127.0.0.1). */
  hostAddr: string;
  hostPort: number;
  clientPort: number;
}

/**
 * Parses slirp-like forward specs: "tcp 5022:22", "udp:5353:53", "tcp 0.0.0.0:8080:80".
 * The host side binds to 127.0.0.1 unless an address is given.
 */
export function parseForward(spec: string): PortForward {
  const m = /^(tcp|udp)[\s:]+(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})$/i.exec(spec.trim());
  if (!m) throw new TypeError(`bad forward "${spec}" (want "tcp HOSTPORT:CLIENTPORT")`);
  const hostPort = Number(m[3]);
  const clientPort = Number(m[4]);
  if (hostPort > 65535 || clientPort < 1 || clientPort > 65535) throw new RangeError(`bad port in "${spec}"`);
  if (m[2]) ip4(m[2]);
  return { proto: m[1]!.toLowerCase() as 'tcp' | 'udp', hostAddr: m[2] ?? '127.0.0.1', hostPort, clientPort };
}

function v6Addresses(prefix: Buffer): { prefix: Buffer; gateway: Buffer; dns: Buffer } {
  const at = (n: number) => {
    const a = Buffer.alloc(16);
    prefix.copy(a, 0, 0, 8);
    a[15] = n;
    return a;
  };
  return { prefix: Buffer.from(prefix), gateway: at(2), dns: at(3) };
}
