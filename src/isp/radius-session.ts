/**
 * What an Access-Accept's Framed-MTU and MS-*-DNS-Server change in a session, as pure
 * functions of the grant (server.ts applies them at auth-up).
 */
import { parseIp4 } from '../wire/ipv4.js';
import type { RadiusGrant } from '../radius/access.js';

/** PPP's default MRU (RFC 1661 §6.1), what the NAT uses when nothing says otherwise. */
const PPP_MTU = 1500;
/** The smallest datagram every IPv4 host must take (RFC 791), and the NAT stack's floor. */
const MIN_MTU = 576;

/**
 * RFC 2865 §5.12 Framed-MTU: "the Maximum Transmission Unit to be configured for the user,
 * when it is not negotiated by some other means". LCP has been negotiated by the time the
 * Access-Accept comes (authentication follows LCP), so, as accel-ppp sets the MTU of the
 * session's interface, the session's IP MTU towards the client becomes the smaller of the
 * link's and Framed-MTU: the NAT fragments larger IPv4 packets and its TCP announces an
 * MSS of MTU - 40, so the client's TCP sends no larger segments either. Undefined: no change.
 */
export function sessionMtu(framedMtu: number | undefined, linkMtu: number | undefined, log: (m: string) => void): number | undefined {
  if (framedMtu === undefined) return undefined;
  const link = linkMtu ?? PPP_MTU;
  if (framedMtu >= link) return undefined;
  const mtu = Math.max(MIN_MTU, framedMtu);
  log(`Framed-MTU ${framedMtu}: session MTU ${mtu}${mtu !== framedMtu ? ` (raised to IPv4's ${MIN_MTU})` : ''}`);
  return mtu;
}

/**
 * RFC 2548 §2.7.4/§2.7.5 MS-Primary-DNS-Server / MS-Secondary-DNS-Server: the DNS addresses
 * IPCP gives this client (RFC 1877 options 129/131) instead of isp.conf's `dns`, as pppd's
 * radius plugin and accel-ppp do. Undefined when the Access-Accept had neither.
 */
export function grantedDns(g: RadiusGrant | undefined): [number, number] | undefined {
  const d = (g?.dns ?? []).map((a) => parseIp4(a)).filter((a): a is number => a !== undefined && a !== 0);
  if (!d.length) return undefined;
  return [d[0]!, d[1] ?? 0];
}
