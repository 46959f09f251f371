/**
 * pppd's protocol table (main.c `struct protent`): every protocol the session runs is one
 * module exporting one `ProtocolModule`, listed once in registry.ts. The session keeps
 * only the phase logic (RFC 1661 §3) and hands each packet to the table entry for its
 * protocol number; a protocol that is absent or disabled gets a Protocol-Reject.
 */
import type { Timers } from './timers.js';
import type { LogLevel } from './log.js';
import type { SessionOptions } from './session-options.js';
import type { SecretMatch } from './secrets.js';
import type { SessionEvent } from './events.js';
import type { AuthMethod } from './auth/methods.js';
import type { MppeKeys } from './auth/chap-digest.js';

/** RFC 1661 §3.2: Dead, Establish, Authenticate, Network, Terminate. */
export type Phase = 'Dead' | 'Establish' | 'Authenticate' | 'Network' | 'Terminate';

/** What the session lends every protocol. */
export interface SessionContext {
  readonly options: SessionOptions;
  readonly timers: Timers;
  /** `unitBytes`: the length Linux's ppp unit would count for it (an IP packet before VJ). */
  send(protocol: number, info: Buffer, unitBytes?: number): void;
  /**
   * A TCP super-segment (src/wire/gso.ts) sent as its segments, framed by the link in one
   * go; false when the link or the session's state (compression, frame taps) cannot, and
   * nothing was sent: the caller segments in software.
   */
  sendSegments?(protocol: number, packet: Buffer, mss: number): boolean;
  /** An IP packet rebuilt from VJ of this length: counted as the kernel counts after slhc. */
  countUnitIn(bytes: number): void;
  log(level: LogLevel, msg: string): void;
  random(n: number): Buffer;
  emit(ev: SessionEvent): void;
  /** The secrets entry the peer authenticated with (its address list, suggested address). */
  readonly peerSecret: SecretMatch | undefined;
  /** An authentication exchange ended (pppd auth_peer_success/fail, auth_withpeer_success/fail). */
  authResult(role: 'peer' | 'self', method: AuthMethod, ok: boolean, peerName?: string): void;
  /** A secret was chosen for the peer (kept for IPCP's address checks). */
  setPeerSecret(match: SecretMatch | undefined): void;
  /** A network protocol came up or went down (pppd np_up / np_down / np_finished). */
  ncpUp(p: Protent): void;
  ncpDown(p: Protent): void;
  ncpFinished(p: Protent): void;
  /** The NCP needs the link closed (e.g. IPCP could not agree on addresses). */
  closeLink(reason: string): void;
  /** MS-CHAP keys (RFC 3079) once authentication produced them (for MPPE). */
  readonly mppeKeys: MppeKeys | undefined;
  /** pppd continue_networks: open the NCPs a `holdsNetworks` protocol held back. */
  continueNetworks(): void;
}

/** One protocol's entry in the table, created per session. */
export interface Protent {
  /** pppd's PROTO_NAME, "IPCP", "PAP"... */
  readonly name: string;
  /** The control protocol number (0xc023 PAP, 0x8021 IPCP...). */
  readonly protocol: number;
  /** Data protocols it carries (IPCP: 0x0021 IP). */
  readonly dataProtocols?: readonly number[];
  /**
   * The phases in which its packets are taken (pppd main.c: only LCP, LQR and
   * authentication before the Network phase); elsewhere they are discarded.
   */
  readonly phases: readonly Phase[];
  /** False when options turn it off (pppd enabled_flag): its packets get a Protocol-Reject. */
  readonly enabled: boolean;
  /**
   * Kind of protocol, for the phase logic: NCPs open in the Network phase; 'ccp' opens
   * there too, first, but is no network protocol (pppd: no np_up, not counted to keep the
   * link up).
   */
  readonly kind: 'auth' | 'ncp' | 'ccp';
  input(info: Buffer): void;
  dataInput?(protocol: number, info: Buffer): void;
  /** The link layer is up / down (LCP opened or closed): pppd lowerup/lowerdown. */
  lowerUp?(): void;
  lowerDown?(): void;
  /** Administrative open / close (pppd open/close). */
  open?(): void;
  close?(reason: string): void;
  /** The peer sent a Protocol-Reject for us (RFC 1661 §5.7). */
  protocolRejected(): void;
  /** The lower layer dropped a received frame (bad FCS, abort): VJ's toss (RFC 1144 §4.1). */
  linkError?(): void;
  /** An NCP that is Opened (for the "No network protocols running" rule). */
  readonly isOpen?: boolean;
  /**
   * pppd start_networks: while true after `open`, the NCPs wait for `continueNetworks`
   * (MPPE required: nothing may flow before CCP is up).
   */
  readonly holdsNetworks?: boolean;
  /**
   * Linux ppp_generic's compressor slot (CCP): every frame but LCP passes through
   * `filterOut` before the line and `filterIn` before the protocol demux; either may
   * return another frame (compressed / decompressed) or undefined to drop it.
   */
  filterOut?(protocol: number, info: Buffer): { protocol: number; info: Buffer } | undefined;
  filterIn?(protocol: number, info: Buffer): { protocol: number; info: Buffer } | undefined;
  /**
   * Whether filterOut would now change or drop a frame of `protocol` (a compressor runs, or
   * compression is required): when it would not, frames may be built without passing
   * through it (a TCP super-segment's, src/wire/gso.ts).
   */
  filtersOut?(protocol: number): boolean;
}

/** A registry line: how to make the entry for one session, and how to print its packets. */
export interface ProtocolModule {
  readonly name: string;
  readonly protocol: number;
  create(ctx: SessionContext): Protent;
  /**
   * Whether the options turn the protocol on at all (pppd enabled_flag). When false the
   * session holds a `DisabledProtocol` instead of `create`'s entry: an ISP session with
   * IPv6 off carries no IPV6CP automaton it can never run (issue 10 item 5).
   */
  enabled?(options: SessionOptions): boolean;
  /** The entry's kind, for its DisabledProtocol stand-in. */
  readonly kind?: Protent['kind'];
  /** pppd's printpkt: the text after `sent [`/`rcvd [` up to `]`, e.g. `IPCP ConfReq id=0x1 <addr 0.0.0.0>`. */
  print(info: Buffer): string;
}

const NO_PHASES: readonly Phase[] = [];
/**
 * The phase lists of the table's entries, one copy each for every session: a literal in
 * each entry's class made an array per protocol per session (issue 10 item 5).
 */
export const NETWORK_PHASE: readonly Phase[] = Object.freeze(['Network']);
export const AUTH_PHASES: readonly Phase[] = Object.freeze(['Authenticate', 'Network']);

/** A protocol the options turned off: its packets get a Protocol-Reject (RFC 1661 §5.7), nothing else. */
export class DisabledProtocol implements Protent {
  readonly enabled = false;
  readonly phases = NO_PHASES;

  constructor(
    readonly name: string,
    readonly protocol: number,
    readonly kind: Protent['kind'],
  ) {}

  input(): void {}

  protocolRejected(): void {}
}
