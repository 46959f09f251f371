/**
 * The userspace IPv4 network (sans-IO). See README.md in this directory.
 */
export { NetStack, type NetStats, type UdpCounters } from './stack.js';
export { DEFAULT_OPTIONS, SharedLimits, parseForward, resolveOptions, type NetOptions, type PortForward, type ResolvedConfig } from './config.js';
export type { HostRequest, ConnectFailure } from './requests.js';
export { TcpConn, type TcpState, type TcpCounters } from './tcp.js';
export { Reassembler, type ReassemblyOptions, type ReassemblyCounters } from './reassembly.js';
export {
  buildDnsQuery, parseDnsAnswer, parseDnsQuery, buildDnsAnswer, QTYPE, RCODE,
  type DnsQuery, type DnsRecord, type DnsResult,
} from './dns.js';
export * as packet from '../wire/packet.js';
