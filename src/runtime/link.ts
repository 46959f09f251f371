/**
 * PppLink: a PPP client or server over any Node duplex stream, for programs that embed
 * dialtone. It is `drive()` with events and friendlier options (addresses as strings).
 *
 *   const link = new PppLink(socket, { user: 'fred', password: 'wilma', usePeerDns: true });
 *   link.on('ip-up', (ip) => console.log(ip.local, ip.dns));
 *   const status = await link.done;   // pppd's exit status
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Session, defaultSessionOptions, type SessionEvent, type SessionOptions } from '../ppp/session.js';
import { EXIT } from '../ppp/exit-codes.js';
import { ip4ToString, parseIp4 } from '../wire/ipv4.js';
import { ip6ToString, linkLocal } from '../wire/ipv6.js';
import { drive, type Driven, type NetworkBackend } from './driver.js';
import { turnClock } from './turn-clock.js';
import type { LogLevel } from '../ppp/log.js';
import type { LinkLayer } from '../ppp/link/link.js';

type Addr = number | string;

export interface LinkOptions extends Partial<Omit<SessionOptions, 'localAddr' | 'remoteAddr' | 'msDns' | 'msWins'>> {
  localAddr?: Addr;
  remoteAddr?: Addr;
  /** DNS servers handed to the peer (pppd ms-dns): one or two. */
  msDns?: Addr[];
  msWins?: Addr[];
  backend?: NetworkBackend;
  /** The lower layer (default async HDLC): a frame link for PPPoE or L2TP. */
  linkLayer?: LinkLayer;
}

export interface IpUp {
  local: string;
  remote: string;
  dns: string[];
}

/** LinkOptions that are not SessionOptions, or are SessionOptions only once converted. */
const LINK_ONLY: ReadonlySet<string> = new Set<keyof LinkOptions>(['localAddr', 'remoteAddr', 'msDns', 'msWins', 'backend', 'linkLayer', 'verifyCredentials', 'relayEap']);

function addr(a: Addr | undefined): number {
  if (a === undefined) return 0;
  if (typeof a === 'number') return a;
  const n = parseIp4(a);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${a}`);
  return n;
}

function pair(list: Addr[] | undefined): [number, number] {
  const [a, b] = (list ?? []).map(addr);
  return [a ?? 0, b ?? a ?? 0];
}

/** IPV6CP is up: the link-local addresses (RFC 5952 text) and the interface identifiers. */
export interface Ipv6Up {
  local: string;
  remote: string;
  localId: Buffer;
  remoteId: Buffer;
}

export interface PppLinkEvents {
  log: [level: LogLevel, msg: string];
  'ip-up': [ip: IpUp];
  'ip-down': [];
  'auth-up': [peerName: string];
  ip: [packet: Buffer];
  'ipv6-up': [ip: Ipv6Up];
  'ipv6-down': [];
  ipv6: [packet: Buffer];
  dead: [status: number];
}

export class PppLink extends EventEmitter<PppLinkEvents> {
  readonly session: Session;
  /** Resolves with pppd's exit status (0 after a link that came up and ended normally). */
  readonly done: Promise<number>;
  private readonly driven: Driven;
  /** The session's clock, the driver's too: read once per event-loop turn (turn-clock.ts). */
  private readonly now = turnClock();

  constructor(stream: Duplex, options: LinkOptions = {}) {
    super();
    const { localAddr, remoteAddr, msDns, msWins, backend, linkLayer, verifyCredentials, relayEap } = options;
    // The session's options straight from the caller's, without a rest copy and a spread of
    // it: at an ISP, two clones of ~20 options per session setup were a visible share of its CPU.
    const o = defaultSessionOptions(options as Partial<SessionOptions>, (k) => !LINK_ONLY.has(k));
    // An external verdict (RADIUS) arrives outside any input or timer: send what it queued.
    if (verifyCredentials) o.verifyCredentials = (req, answer) => verifyCredentials(req, (v) => { answer(v); this.driven?.flush(); });
    if (relayEap) {
      o.relayEap = (identity: string) => {
        const x = relayEap(identity);
        return { forward: (r: Buffer, answer: Parameters<typeof x.forward>[1]) => x.forward(r, (a) => { answer(a); this.driven?.flush(); }), close: () => x.close() };
      };
    }
    o.localAddr = addr(localAddr);
    o.remoteAddr = addr(remoteAddr);
    o.msDns = pair(msDns);
    o.msWins = pair(msWins);
    this.session = new Session(o, Date.now(), linkLayer);
    this.driven = drive(this.session, { name: 'stream', stream, close: () => stream.destroy() }, {
      backend,
      now: this.now,
      onEvent: (ev) => this.forward(ev),
    });
    this.done = this.driven.done;
  }

  /** Ends the link with a Terminate-Request (pppd on SIGTERM). */
  close(reason = 'User request'): void {
    this.driven.close(reason, EXIT.USER_REQUEST);
  }

  /** Sends an IP packet to the peer; false unless IP is up. */
  sendIp(packet: Buffer): boolean {
    const sent = this.session.sendIp(packet, this.now());
    this.driven.flush();
    return sent;
  }

  /** Sends an IPv6 packet to the peer; false unless IPV6CP is up. */
  sendIpv6(packet: Buffer): boolean {
    const sent = this.session.sendIpv6(packet, this.now());
    this.driven.flush();
    return sent;
  }

  private forward(ev: SessionEvent): void {
    switch (ev.type) {
      case 'log': return void this.emit('log', ev.level, ev.msg);
      case 'ip-up': return void this.emit('ip-up', { local: ip4ToString(ev.local), remote: ip4ToString(ev.remote), dns: ev.dns.filter(Boolean).map(ip4ToString) });
      case 'ip-down': return void this.emit('ip-down');
      case 'auth-up': return void this.emit('auth-up', ev.peerName);
      case 'ip': return void this.emit('ip', ev.packet);
      case 'ipv6-up': return void this.emit('ipv6-up', { local: ip6ToString(linkLocal(ev.local)), remote: ip6ToString(linkLocal(ev.remote)), localId: ev.local, remoteId: ev.remote });
      case 'ipv6-down': return void this.emit('ipv6-down');
      case 'ipv6': return void this.emit('ipv6', ev.packet);
      case 'dead': return void this.emit('dead', ev.status);
    }
  }
}
