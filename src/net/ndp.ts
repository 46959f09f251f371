/**
 * The router side of IPv6 Neighbor Discovery that a PPP link needs (RFC 4861 §4.2, §6.2):
 * Router Advertisements carrying one /64 for stateless autoconfiguration (RFC 4862) and
 * the DNS server (RFC 8106 RDNSS). PPP has no link-layer addresses, so there is no Source
 * Link-Layer Address option and no Neighbor Solicitation to answer for unicast.
 */
import { buildIcmpv6, ICMPV6_ROUTER_ADVERT } from '../wire/ipv6.js';

/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const ALL_NODES = Buffer.from('ff020000000000000000000000000001', 'hex');

export interface RouterAdvert {
  /** Our link-local address (RFC 4861 §6.1.2: an RA from any other source is discarded). */
  src: Buffer;
  dst: Buffer;
  /** The /64 prefix (first 8 octets used). */
  prefix: Buffer;
  /** The recursive DNS server (RFC 8106 §5.1), if any. */
  dns?: Buffer;
  /** Link MTU option (RFC 4861 §4.6.4). */
  mtu?: number;
  /** Seconds; 1800 is AdvDefaultLifetime for the default MaxRtrAdvInterval of 600 s (§6.2.1). */
  routerLifetime?: number;
  validLifetime?: number;
  preferredLifetime?: number;
  dnsLifetime?: number;
}

export function buildRouterAdvert(ra: RouterAdvert): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head[0] = 64; // Cur Hop Limit
  head[1] = 0; // M=0, O=0: addresses by SLAAC, the DNS server in the RA itself
  head.writeUInt16BE(ra.routerLifetime ?? 1800, 2);
  parts.push(head); // Reachable Time and Retrans Timer 0: unspecified
  // Prefix Information (§4.6.2): on-link (L) and autonomous (A).
  const pi = Buffer.alloc(32);
  pi[0] = 3;
  pi[1] = 4;
  pi[2] = 64;
  pi[3] = 0xc0;
  pi.writeUInt32BE(ra.validLifetime ?? 86400, 4);
  pi.writeUInt32BE(ra.preferredLifetime ?? 14400, 8);
  ra.prefix.copy(pi, 16, 0, 8);
  parts.push(pi);
  if (ra.mtu !== undefined) {
    const m = Buffer.alloc(8);
    m[0] = 5;
    m[1] = 1;
    m.writeUInt32BE(ra.mtu, 4);
    parts.push(m);
  }
  if (ra.dns) {
    // RDNSS (RFC 8106 §5.1): Length 3 for one address; lifetime at least MaxRtrAdvInterval.
    const d = Buffer.alloc(24);
    d[0] = 25;
    d[1] = 3;
    d.writeUInt32BE(ra.dnsLifetime ?? 1800, 4);
    ra.dns.copy(d, 8);
    parts.push(d);
  }
  // RFC 4861 §4.2: Hop Limit 255, so receivers know it was not forwarded.
  return buildIcmpv6(ra.src, ra.dst, ICMPV6_ROUTER_ADVERT, 0, Buffer.concat(parts), 255);
}

/** RFC 4193 §3.2: fdXX:XXXX:XXXX:<subnet>::/64 from a 40-bit global id (10 hex digits). */
export function ulaPrefix(globalId: string, subnet = 0): Buffer {
  if (!/^[0-9a-f]{10}$/i.test(globalId)) throw new TypeError(`bad ULA global id ${globalId} (10 hex digits)`);
  const p = Buffer.alloc(8);
  p[0] = 0xfd;
  Buffer.from(globalId, 'hex').copy(p, 1);
  p.writeUInt16BE(subnet & 0xffff, 6);
  return p;
}
