/** What a Session reports to whoever drives it (takeEvents). */
import type { LogLevel } from './log.js';
import type { Phase } from './protent.js';
import type { MppeKeys } from './auth/chap-digest.js';

export type SessionEvent =
  | { type: 'log'; level: LogLevel; msg: string }
  | { type: 'phase'; phase: Phase }
  /** The peer authenticated; `protocol` is the method's id ("pap", "chap-md5", "mschap-v2", "eap"...). */
  | { type: 'auth-up'; peerName: string; protocol: string; keys?: MppeKeys }
  /** We authenticated ourselves to the peer. */
  | { type: 'auth-self'; protocol: string; keys?: MppeKeys }
  | { type: 'ip-up'; local: number; remote: number; dns: [number, number] }
  | { type: 'ip-down' }
  /** An IP packet from the peer that is not for the link itself: for the network backend. */
  | { type: 'ip'; packet: Buffer }
  /** IPV6CP is up: the interface identifiers (8 octets each) of our and the peer's link-local address. */
  | { type: 'ipv6-up'; local: Buffer; remote: Buffer }
  | { type: 'ipv6-down' }
  /** An IPv6 packet from the peer that is not for the link itself. */
  | { type: 'ipv6'; packet: Buffer }
  | { type: 'frame'; dir: 'in' | 'out'; protocol: number; payload: Buffer; time: number }
  /** The link is over; `status` is pppd's exit status for it. */
  | { type: 'dead'; status: number };
