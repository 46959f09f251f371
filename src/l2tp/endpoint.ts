/**
 * An L2TP endpoint (sans-IO): all tunnels of one UDP socket. Datagrams in (with the peer's
 * address as an opaque string), datagrams, events and a next deadline out. It demultiplexes
 * by our Tunnel ID (§3.1), makes a tunnel for each new SCCRQ when it answers (LNS), opens
 * tunnels and calls when asked (LAC), and counts and drops whatever is malformed.
 *
 *   const ep = new L2tpEndpoint({ hostName: 'lns', acceptTunnels: true }, now);
 *   ep.input(datagram, '192.0.2.1:1701', now);
 *   for (const { peer, bytes } of ep.takeOutput()) socket.send(bytes, peer);
 *   for (const ev of ep.takeEvents()) ...;           // tunnel-up, session-up, data, ...
 *   timer.arm(ep.nextDeadline());                      // then ep.tick(now)
 */
import { randomBytes } from 'node:crypto';
import { decodeHeader, type HeaderError } from './header.js';
import { A, AvpSet, M, decodeAvps, type AvpError } from './avp.js';
import { DEFAULT_TIMING, type ChannelTiming } from './control-channel.js';
import { Tunnel, type CallInfo, type ControlMessage, type TunnelConfig, type TunnelEvent } from './tunnel.js';

export interface EndpointOptions {
  hostName: string;
  vendorName?: string;
  secret?: string | Buffer;
  hideAvps?: boolean;
  /** Answer SCCRQs (an LNS). A LAC only talks to the tunnels it opened. */
  acceptTunnels?: boolean;
  maxTunnels?: number;
  maxSessionsPerTunnel?: number;
  receiveWindow?: number;
  timing?: Partial<ChannelTiming>;
  helloMs?: number;
  lingerMs?: number;
  /** Largest control messages queued per tunnel beyond the peer's window. */
  maxQueued?: number;
  /** Randomness (tunnel/session ids, challenges, random vectors); tests pass a seeded one. */
  random?: (n: number) => Buffer;
}

export type EndpointEvent = TunnelEvent & { peer?: string };

export type DropReason = HeaderError | AvpError | 'unknown-tunnel' | 'no-message-type' | 'not-sccrq' | 'sccrq-no-tunnel-id' | 'tunnel-limit' | 'bad-first-avp';

export interface EndpointCounters {
  datagramsIn: number;
  datagramsOut: number;
  dropped: Partial<Record<DropReason, number>>;
  tunnelsOpened: number;
}

export class L2tpEndpoint {
  private readonly tunnels = new Map<number, Tunnel>();
  /** Tunnels by the peer's address and its Assigned Tunnel ID: a retransmitted SCCRQ finds its tunnel. */
  private readonly byPeer = new Map<string, Tunnel>();
  private output: { peer: string; bytes: Buffer }[] = [];
  private events: EndpointEvent[] = [];
  private readonly cfg: TunnelConfig;
  readonly counters: EndpointCounters = { datagramsIn: 0, datagramsOut: 0, dropped: {}, tunnelsOpened: 0 };

  constructor(private readonly opts: EndpointOptions) {
    const secret = opts.secret === undefined ? undefined : Buffer.isBuffer(opts.secret) ? opts.secret : Buffer.from(opts.secret, 'latin1');
    this.cfg = {
      hostName: opts.hostName,
      vendorName: opts.vendorName ?? 'dialtone',
      ...(secret && secret.length ? { secret } : {}),
      hideAvps: opts.hideAvps ?? false,
      receiveWindow: opts.receiveWindow ?? 8,
      timing: { ...DEFAULT_TIMING, ...opts.timing },
      helloMs: opts.helloMs ?? 60_000,
      lingerMs: opts.lingerMs ?? 31_000,
      maxSessions: opts.maxSessionsPerTunnel ?? 64,
      maxQueued: opts.maxQueued ?? 32,
      random: opts.random ?? randomBytes,
    };
  }

  get tunnelCount(): number {
    return this.tunnels.size;
  }

  /** Every tunnel is closed, or closing with its StopCCN acknowledged. */
  quiet(): boolean {
    for (const t of this.tunnels.values()) if (t.state !== 'closed' && !(t.state === 'closing' && t.channel.idle)) return false;
    return true;
  }

  tunnelIds(): number[] {
    return [...this.tunnels.keys()];
  }

  tunnel(id: number): Tunnel | undefined {
    return this.tunnels.get(id);
  }

  /** LAC: opens a tunnel to `peer` (SCCRQ goes out); the id of the new tunnel. */
  openTunnel(peer: string, now: number): number | undefined {
    if (this.tunnels.size >= (this.opts.maxTunnels ?? 64)) return undefined;
    const t = this.makeTunnel(peer, true, now);
    this.flushTunnel(t);
    return t.localId;
  }

  /** LAC: places an incoming call on a tunnel (ICRQ once the tunnel is up). */
  openSession(tunnel: number, now: number, info: Partial<CallInfo> = {}): number | undefined {
    const t = this.tunnels.get(tunnel);
    const id = t?.openCall(now, info);
    if (t) this.flushTunnel(t);
    return id;
  }

  /** A PPP frame (address/control FF 03 first) on an established session. */
  sendFrame(tunnel: number, session: number, frame: Buffer): boolean {
    return this.tunnels.get(tunnel)?.sendFrame(session, frame) ?? false;
  }

  closeSession(tunnel: number, session: number, now: number, result?: number, message?: string): void {
    const t = this.tunnels.get(tunnel);
    if (!t) return;
    t.closeCall(session, now, result, message);
    this.flushTunnel(t);
  }

  closeTunnel(tunnel: number, now: number, result?: number, message?: string): void {
    const t = this.tunnels.get(tunnel);
    if (!t) return;
    t.close(now, result, message);
    this.flushTunnel(t);
  }

  /** Every tunnel ends (StopCCN), e.g. at shutdown. */
  closeAll(now: number, message = 'shutting down'): void {
    for (const id of [...this.tunnels.keys()]) this.closeTunnel(id, now, 6, message);
  }

  input(datagram: Buffer, peer: string, now: number): void {
    this.counters.datagramsIn++;
    const p = decodeHeader(datagram);
    if (typeof p === 'string') return this.drop(p);
    const { header, payload } = p;
    if (!header.control) {
      const t = this.tunnels.get(header.tunnelId);
      if (!t || t.peer !== peer) return this.drop('unknown-tunnel');
      t.data(header.sessionId, Buffer.from(payload), now);
      return;
    }
    let message: ControlMessage | undefined;
    if (payload.length) {
      const avps = decodeAvps(payload, this.cfg.secret);
      if (typeof avps === 'string') return this.drop(avps);
      const first = avps[0];
      // §3.2: the Message Type AVP MUST be the first AVP of a control message.
      if (!first || first.vendor !== 0 || first.type !== A.MessageType || first.value.length < 2) return this.drop('bad-first-avp');
      message = { type: first.value.readUInt16BE(0), mandatory: first.mandatory, avps: new AvpSet(avps) };
    }
    let t = header.tunnelId ? this.tunnels.get(header.tunnelId) : undefined;
    if (header.tunnelId && (!t || t.peer !== peer)) return this.drop('unknown-tunnel');
    if (!t) {
      // Tunnel ID 0: only an SCCRQ (§3.1), when we answer them.
      if (!message || message.type !== M.SCCRQ || !this.opts.acceptTunnels) return this.drop('not-sccrq');
      const peerTunnel = message.avps.u16(A.AssignedTunnelId);
      if (!peerTunnel) return this.drop('sccrq-no-tunnel-id');
      t = this.byPeer.get(`${peer}#${peerTunnel}`);
      if (!t) {
        if (this.tunnels.size >= (this.opts.maxTunnels ?? 64)) return this.drop('tunnel-limit');
        t = this.makeTunnel(peer, false, now);
        this.byPeer.set(`${peer}#${peerTunnel}`, t);
      }
    }
    t.heard(now);
    const delivered = t.channel.receive(header.ns ?? 0, header.nr ?? 0, header.sessionId, message, now);
    for (const d of delivered) {
      if (d.message.type === M.SCCRQ) {
        if (t.initiator || t.channel.peerTunnelId) continue;
        t.acceptSccrq(d.message, now);
      } else {
        t.handle(d.sessionId, d.message, now);
      }
    }
    this.flushTunnel(t);
  }

  tick(now: number): void {
    for (const t of [...this.tunnels.values()]) {
      t.tick(now);
      this.flushTunnel(t);
      if (t.gone(now)) this.forget(t);
    }
  }

  nextDeadline(): number | undefined {
    let at: number | undefined;
    for (const t of this.tunnels.values()) {
      const d = t.nextDeadline();
      if (d !== undefined && (at === undefined || d < at)) at = d;
    }
    return at;
  }

  takeOutput(): { peer: string; bytes: Buffer }[] {
    const o = this.output;
    this.output = [];
    return o;
  }

  takeEvents(): EndpointEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  private makeTunnel(peer: string, initiator: boolean, now: number): Tunnel {
    let id: number;
    do id = this.cfg.random(2).readUInt16BE(0);
    while (id === 0 || this.tunnels.has(id));
    this.counters.tunnelsOpened++;
    const t = new Tunnel(id, peer, initiator, this.cfg, (ev) => this.events.push({ ...ev, peer }), (bytes) => {
      this.counters.datagramsOut++;
      this.output.push({ peer, bytes });
    }, now);
    this.tunnels.set(id, t);
    return t;
  }

  private flushTunnel(t: Tunnel): void {
    t.flush();
  }

  private forget(t: Tunnel): void {
    this.tunnels.delete(t.localId);
    for (const [k, v] of this.byPeer) if (v === t) this.byPeer.delete(k);
  }

  private drop(reason: DropReason): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }
}
