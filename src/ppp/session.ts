/**
 * One PPP link, sans-IO: bytes and time in; bytes, events and a next deadline out.
 *
 * The session is the phase logic of RFC 1661 §3 (Dead, Establish, Authenticate, Network,
 * Terminate) and pppd's exit status (auth.c: link_established, network_phase,
 * auth_peer_fail, ...). It owns LCP; every other protocol is an entry of the protocol
 * table (registry.ts, pppd's `protocols[]`) and frames reach the line through a lower
 * layer (link/, lwIP's link_callbacks): async HDLC by default. The caller owns the clock
 * and the line:
 *
 *   const s = new Session(options, now);
 *   s.start(now);
 *   line.on('data', (b) => { s.input(b, now()); flush(); });
 *   at s.nextDeadline(): s.tick(now()); flush();
 *   flush = () => { for (const b of s.takeOutput()) line.write(b); handle(s.takeEvents()); }
 */
import { pooledRandomBytes } from './random-pool.js';
import { State } from './fsm.js';
import { Lcp, DEFAULT_MRU, type LcpHost } from './lcp.js';
import { Timers } from './timers.js';
import { secretsEqual, type SecretMatch } from './secrets.js';
import { PROTO_IP, PROTO_IPV6, PROTO_LCP, PROTO_VJ_COMP, PROTO_VJ_UNCOMP, protocolLongName } from './protocols.js';
import type { VjCounters } from './ipcp.js';
import { EXIT } from './exit-codes.js';
import type { LogLevel } from './log.js';
import { DisabledProtocol, type Phase, type Protent, type SessionContext } from './protent.js';
import type { SessionEvent } from './events.js';
import type { SessionOptions } from './session-options.js';
import { allowedMethods, authRequired, wantedMethods, type AuthMethod, type AuthServices } from './auth/methods.js';
import type { AuthProtocol } from './auth/auth-protocol.js';
import type { AuthHost } from './auth/host.js';
import type { MppeKeys } from './auth/chap-digest.js';
import { AUTH_METHODS, PROTOCOLS, describePacket } from './registry.js';
import { LINK_DEFAULTS, type LinkLayer } from './link/link.js';
import { AsyncHdlcLink } from './link/async-hdlc.js';
import { gsoBytes, gsoSegments } from '../wire/gso.js';

export type { Phase } from './protent.js';
export type { SessionEvent } from './events.js';
export { defaultSessionOptions, type SessionOptions } from './session-options.js';

export interface Counters {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Frames dropped by the lower layer (bad FCS, runts, too long, ...). */
  framesDropped: number;
  /** Frames of a known protocol discarded because the phase does not allow them. */
  discardedByPhase: number;
  protocolRejectsSent: number;
  ipPacketsIn: number;
  ipPacketsOut: number;
  /** VJ header compression (RFC 1144) in each direction, when IPCP runs. */
  vj?: VjCounters;
}

/** IP datagrams, plain or VJ-compressed TCP (they count as IP traffic, e.g. for `idle`). */
const isIpData = (p: number) => p === PROTO_IP || p === PROTO_VJ_COMP || p === PROTO_VJ_UNCOMP;
/**
 * What Linux's ppp unit counts, and so pppd's "Sent N bytes, received M bytes." and ip-down's
 * BYTES_SENT/RCVD (SIOCGPPPSTATS): ppp_generic passes LCP, authentication (>= 0xc000) and
 * CCP fragments (0x80fb) to the channel uncounted; every other frame counts its information
 * field without the protocol field, before compression when sent, after decompression when
 * received (ppp_send_frame, ppp_receive_nonmp_frame).
 */
const countedByUnit = (p: number) => p < 0xc000 && p !== 0x80fb;

export class Session {
  phase: Phase = 'Dead';
  /** pppd's `status`: the exit code the link would end with now. */
  status: number = EXIT.NEGOTIATION_FAILED;
  readonly counters: Counters = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, framesDropped: 0,
    discardedByPhase: 0, protocolRejectsSent: 0, ipPacketsIn: 0, ipPacketsOut: 0,
  };
  /** The name the peer authenticated as. */
  peerName: string | undefined;
  /** Bytes of PPP frames since the first network protocol came up (pppd's link stats). */
  readonly linkStats = { bytesIn: 0, bytesOut: 0, upSince: 0 };
  /** MPPE keys from MS-CHAP, once authentication produced them (RFC 3079). */
  mppeKeys: MppeKeys | undefined;

  readonly lcp: Lcp;
  /** The protocol table of this session: one entry per registry line. */
  readonly protocols: readonly Protent[];
  readonly link: LinkLayer;
  private readonly timers: Timers;
  private readonly random: (n: number) => Buffer;
  private output: Buffer[] = [];
  private events: SessionEvent[] = [];
  private pendingAuth = { peer: false, self: false };
  private peerSecret: SecretMatch | undefined;
  private ncpsUp = 0;
  private networkWasUp = false;
  /** pppd num_np_open: NCPs opened in the Network phase and not finished yet. */
  private readonly ncpsOpen = new Set<Protent>();
  /** The protocol that compresses frames both ways (CCP), if enabled. */
  private readonly filter: Protent | undefined;
  private dead = false;
  private lcpGoingDown = false;
  private linkErrorsSeen = 0;
  /** The lower layer's callbacks, made once per session rather than once per read. */
  private readonly onFrame = (protocol: number, info: Buffer) => this.receiveFrame(protocol, info);
  private readonly alive = () => !this.dead;

  constructor(readonly options: SessionOptions, now: number, link?: LinkLayer) {
    this.timers = new Timers({ now });
    this.random = options.randomBytes ?? pooledRandomBytes;
    const o = options;
    this.link = link ?? new AsyncHdlcLink({ mru: Math.max(o.mru, DEFAULT_MRU), escape: o.escape });
    const haveSecret = (kind: 'pap' | 'chap') => o.password !== undefined || !!o.secrets?.hasSecretsFor?.(kind, this.userName);
    this.lcp = new Lcp(
      {
        mru: o.mru,
        asyncmap: o.asyncmap,
        magic: o.magic,
        pcomp: o.pcomp,
        accomp: o.accomp,
        authPeer: wantedMethods(AUTH_METHODS, o),
        authSelf: allowedMethods(AUTH_METHODS, o, haveSecret),
        endpoint: !o.noendpoint,
        echoInterval: o.lcpEchoInterval,
        echoFailure: o.lcpEchoFailure,
        loopbackFail: o.loopbackFail,
      },
      {
        restartMs: o.lcpRestart * 1000,
        maxConfigure: o.lcpMaxConfigure,
        maxTerminate: o.lcpMaxTerminate,
        maxFailure: o.lcpMaxFailure,
        passive: o.passive,
        silent: o.silent,
      },
      new Session.LcpHostOf(this),
      this.timers,
    );
    const ctx = new Session.ContextOf(this);
    this.protocols = PROTOCOLS.map((m) => (m.enabled && m.kind && !m.enabled(o) ? new DisabledProtocol(m.name, m.protocol, m.kind) : m.create(ctx)));
    const vj = this.ipNcp?.vjCounters;
    if (vj) this.counters.vj = vj;
    this.filter = this.protocols.find((p) => p.enabled && p.filterOut && p.filterIn);
  }

  /** The IP link once IPCP is up. */
  get ip() {
    return this.ipNcp?.result;
  }

  private get ipNcp() {
    return this.protocols.find((p) => p.dataProtocols?.includes(PROTO_IP)) as (Protent & { result?: { local: number; remote: number; dns: [number, number] }; sendData(proto: number, p: Buffer): boolean; vjCounters?: VjCounters }) | undefined;
  }

  private get userName(): string {
    return this.options.user ?? this.options.name;
  }

  // ---- inputs ---------------------------------------------------------------------------

  /** Opens the link: pppd's lcp_open + lcp_lowerup once the line is connected. */
  start(now: number): void {
    this.advance(now);
    this.status = EXIT.NEGOTIATION_FAILED;
    this.dead = false;
    this.setPhase('Establish');
    this.lcp.fsm.open();
    this.lcp.fsm.lowerUp();
  }

  /** Bytes from the line (for a frame-oriented lower layer: one frame). */
  input(bytes: Uint8Array, now: number): void {
    this.advance(now);
    this.counters.bytesIn += bytes.length;
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.link.input(chunk, this.onFrame, this.alive);
    this.noteLinkErrors();
    this.counters.framesDropped = this.link.stats.dropped;
  }

  /** Time passes: fire whatever is due. */
  tick(now: number): void {
    this.advance(now);
  }

  /** Timers with a deadline now (bounded: each protocol holds at most a few). */
  get armedTimers(): number {
    return this.timers.armed.size;
  }

  /** When the caller should call tick() next, or undefined if nothing is pending. */
  nextDeadline(): number | undefined {
    return this.timers.next();
  }

  /** An administrative close (pppd lcp_close): Terminate-Request with `reason`. */
  close(reason: string, now: number, status?: number): void {
    this.advance(now);
    if (status !== undefined) this.status = status;
    this.closeLcp(reason);
    if (this.lcp.fsm.state === State.Initial || this.lcp.fsm.state === State.Closed) this.linkTerminated();
  }

  /**
   * An administrative close of one protocol (pppd's ipcp_close and the like): its
   * Terminate-Request; when no network protocol is left, LCP closes too (np_finished).
   */
  closeProtocol(name: string, reason: string, now: number): void {
    this.advance(now);
    this.protocols.find((p) => p.name === name)?.close?.(reason);
  }

  /** The line is gone (hangup, EOF): no more packets either way. */
  lowerDown(now: number, status?: number): void {
    this.advance(now);
    if (status !== undefined) this.status = status;
    this.lcp.fsm.lowerDown();
    this.linkTerminated();
  }

  /** An IP packet from the network backend, for the peer. Dropped unless IP is up. */
  sendIp(packet: Buffer, now: number): boolean {
    this.advance(now);
    return this.ipNcp?.sendData(PROTO_IP, packet) ?? false;
  }

  /** An IPv6 packet from the network backend, for the peer. Dropped unless IPV6CP is up. */
  sendIpv6(packet: Buffer, now: number): boolean {
    this.advance(now);
    const ncp = this.protocols.find((p) => p.dataProtocols?.includes(PROTO_IPV6)) as (Protent & { sendData(proto: number, p: Buffer): boolean }) | undefined;
    return ncp?.sendData(PROTO_IPV6, packet) ?? false;
  }

  takeOutput(): Buffer[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  takeEvents(): SessionEvent[] {
    const ev = this.events;
    this.events = [];
    return ev;
  }

  // ---- internals ------------------------------------------------------------------------

  private advance(now: number): void {
    this.timers.fire(now);
  }

  private log(level: LogLevel, msg: string): void {
    this.events.push({ type: 'log', level, msg });
  }

  private setPhase(phase: Phase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.events.push({ type: 'phase', phase });
  }

  /**
   * What LCP sees of the session. A class over the session rather than an object literal of
   * nine closures: one small object per session, its methods on the prototype (issue 10
   * item 5: an idle ISP session must stay small). Declared inside Session for its privates.
   */
  private static readonly LcpHostOf = class implements LcpHost {
    constructor(private readonly s: Session) {}
    send(p: Buffer): void {
      this.s.sendFrame(PROTO_LCP, p);
    }
    log(level: LogLevel, msg: string): void {
      this.s.log(level, msg);
    }
    random32(): number {
      return this.s.random(4).readUInt32BE(0);
    }
    up(): void {
      this.s.linkEstablished();
    }
    down(): void {
      this.s.linkDown();
    }
    starting(): void {}
    finished(): void {
      this.s.linkTerminated();
    }
    protocolRejected(proto: number): void {
      this.s.protocolRejected(proto);
    }
    linkFailure(kind: 'loopback' | 'peer-dead'): void {
      this.s.status = kind === 'loopback' ? EXIT.LOOPBACK : EXIT.PEER_DEAD;
      this.s.closeLcp(kind === 'loopback' ? 'Loopback detected' : 'Peer not responding');
    }
  };

  /** What the protocol table sees of the session: as LcpHostOf, prototype methods, no closures. */
  private static readonly ContextOf = class implements SessionContext {
    constructor(private readonly s: Session) {}
    get options(): SessionOptions {
      return this.s.options;
    }
    get timers(): Timers {
      return this.s.timers;
    }
    send(protocol: number, info: Buffer, unitBytes?: number): void {
      this.s.sendFrame(protocol, info, unitBytes);
    }
    sendSegments(protocol: number, packet: Buffer, mss: number): boolean {
      return this.s.sendSegments(protocol, packet, mss);
    }
    countUnitIn(bytes: number): void {
      if (this.s.ncpsUp) this.s.linkStats.bytesIn += bytes;
    }
    log(level: LogLevel, msg: string): void {
      this.s.log(level, msg);
    }
    random(n: number): Buffer {
      return this.s.random(n);
    }
    emit(ev: SessionEvent): void {
      this.s.events.push(ev);
    }
    get peerSecret(): SecretMatch | undefined {
      return this.s.peerSecret;
    }
    setPeerSecret(m: SecretMatch | undefined): void {
      this.s.peerSecret = m;
    }
    authResult(role: 'peer' | 'self', method: AuthMethod, ok: boolean, name?: string): void {
      if (role === 'peer') this.s.peerAuthDone(method, ok, name);
      else this.s.selfAuthDone(method, ok);
    }
    ncpUp(p: Protent): void {
      this.s.ncpsOpen.add(p);
      this.s.ncpUp();
    }
    ncpDown(): void {
      this.s.ncpsUp = Math.max(0, this.s.ncpsUp - 1);
    }
    ncpFinished(p: Protent): void {
      // pppd np_finished: with no network protocol left, the link has no purpose. Not
      // while LCP itself is going down: that close has its own reason. One NCP finishing
      // (IPV6CP Protocol-Rejected) leaves the link to another still negotiating (IPCP).
      const s = this.s;
      s.ncpsOpen.delete(p);
      const anyOpen = s.ncpsOpen.size > 0 || s.protocols.some((q) => q.kind === 'ncp' && q.isOpen);
      if (!anyOpen && s.lcp.opened && !s.lcpGoingDown) s.closeLcp('No network protocols running');
    }
    closeLink(reason: string): void {
      this.s.closeLcp(reason);
    }
    get mppeKeys(): MppeKeys | undefined {
      return this.s.mppeKeys;
    }
    continueNetworks(): void {
      this.s.continueNetworks();
    }
  };

  private closeLcp(reason: string): void {
    // pppd lcp_close: the Terminate phase, unless nothing is up yet.
    if (this.phase !== 'Dead') this.setPhase('Terminate');
    const st = this.lcp.fsm.state;
    if (st === State.Stopped && (this.options.passive || this.options.silent)) {
      this.lcp.fsm.state = State.Closed;
      this.linkTerminated();
      return;
    }
    this.lcp.fsm.close(reason);
  }

  /** `unitBytes`: what Linux's ppp unit counts for it (an IP packet's length before VJ). */
  private sendFrame(protocol: number, info: Buffer, unitBytes = info.length): void {
    if (this.options.debug && protocol >= 0x8000) this.log('debug', `sent ${describePacket(protocol, info)}`);
    if (isIpData(protocol)) this.counters.ipPacketsOut++;
    if (this.ncpsUp && countedByUnit(protocol)) this.linkStats.bytesOut += unitBytes;
    if (this.filter && protocol !== PROTO_LCP) {
      const f = this.filter.filterOut!(protocol, info);
      if (!f) return;
      ({ protocol, info } = f);
    }
    const frame = this.link.encode(protocol, info);
    this.output.push(frame);
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    if (this.options.tapFrames) this.events.push({ type: 'frame', dir: 'out', protocol, payload: info, time: this.timers.clock.now });
  }

  /**
   * A TCP super-segment as its segments' frames, built by the link in one go (src/wire/gso.ts),
   * counted as sendFrame() would count each. Not when a compressor would see the frames, a
   * tap wants each, or the link cannot segment: false, and the caller segments in software.
   */
  private sendSegments(protocol: number, packet: Buffer, mss: number): boolean {
    if (this.options.tapFrames || !this.link.encodeSegments) return false;
    if (this.filter && this.filter.filtersOut?.(protocol) !== false) return false;
    const first = this.output.length;
    if (!this.link.encodeSegments(protocol, packet, mss, this.output)) return false;
    const n = gsoSegments(packet, mss);
    this.counters.ipPacketsOut += n;
    if (this.ncpsUp && countedByUnit(protocol)) this.linkStats.bytesOut += gsoBytes(packet, mss);
    this.counters.framesOut += n;
    for (let i = first; i < this.output.length; i++) this.counters.bytesOut += this.output[i]!.length;
    return true;
  }

  /** pppd main.c get_input: the phase rules, then the table. */
  private receiveFrame(protocol: number, info: Buffer): void {
    this.noteLinkErrors();
    this.counters.framesIn++;
    // A copy: protocols may wipe what they were handed (PAP clears the password it read).
    if (this.options.tapFrames) this.events.push({ type: 'frame', dir: 'in', protocol, payload: Buffer.from(info), time: this.timers.clock.now });
    if (this.options.debug && protocol >= 0x8000) this.log('debug', `rcvd ${describePacket(protocol, info)}`);

    if (protocol === PROTO_LCP) return this.lcp.fsm.input(info);
    // RFC 1661 §3.4: until LCP is Opened, everything else is silently discarded.
    if (!this.lcp.opened) {
      this.counters.discardedByPhase++;
      return;
    }
    if (this.filter) {
      const f = this.filter.filterIn!(protocol, info);
      if (!f) return;
      ({ protocol, info } = f);
    }
    // VJ packets are counted by IPCP once rebuilt (countUnitIn), as the kernel after slhc.
    if (this.ncpsUp && countedByUnit(protocol) && protocol !== PROTO_VJ_COMP && protocol !== PROTO_VJ_UNCOMP) this.linkStats.bytesIn += info.length;
    const entry = this.protocols.find((p) => p.protocol === protocol || p.dataProtocols?.includes(protocol));
    const known = entry?.enabled;
    // pppd: until the Network phase only LCP, LQR and authentication are taken; other
    // packets are discarded, known or not. Afterwards what nobody runs is rejected.
    if (entry && known && !entry.phases.includes(this.phase)) {
      this.counters.discardedByPhase++;
      return;
    }
    if (!known) {
      if (this.phase !== 'Network') {
        this.counters.discardedByPhase++;
        return;
      }
      // RFC 1661 §5.7.
      this.counters.protocolRejectsSent++;
      this.lcp.protocolReject(protocol, info, this.lcp.his.mru ?? DEFAULT_MRU);
      return;
    }
    if (protocol === entry.protocol) return entry.input(info);
    // Data travels only while its NCP is Opened (pppd hands it to the kernel only then).
    if (!entry.isOpen) {
      this.counters.discardedByPhase++;
      return;
    }
    if (isIpData(protocol)) this.counters.ipPacketsIn++;
    entry.dataInput?.(protocol, info);
  }

  /** Frames the lower layer dropped since the last look are told to the protocols, in order. */
  private noteLinkErrors(): void {
    const dropped = this.link.stats.dropped;
    if (dropped === this.linkErrorsSeen) return;
    this.linkErrorsSeen = dropped;
    for (const p of this.protocols) p.linkError?.();
  }

  /** LCP is up: pppd's link_established. */
  private linkEstablished(): void {
    const lcp = this.lcp;
    // The negotiated framing (RFC 1662 §7): what the peer asked of us applies to what we send.
    this.link.configure({
      txAccm: lcp.his.asyncmap ?? 0xffffffff,
      rxAccm: lcp.go.asyncmap ?? 0xffffffff,
      pfc: lcp.his.pcomp,
      acfc: lcp.his.accomp,
    });
    // Required but not agreed (or nothing we could ask for): never fail open.
    if (authRequired(this.options) && !lcp.go.auth) {
      this.log('warn', 'peer refused to authenticate: terminating link');
      this.status = EXIT.PEER_AUTH_FAILED;
      this.closeLcp('peer refused to authenticate');
      return;
    }
    // pppd: tell every other protocol that the link is up.
    for (const p of this.protocols) if (p.enabled) p.lowerUp?.();
    this.pendingAuth = { peer: !!lcp.go.auth, self: !!lcp.his.auth };
    this.mppeKeys = undefined; // a new link authenticates afresh (pppd mppe_keys_set = 0)
    if (!this.pendingAuth.peer && !this.pendingAuth.self) return this.networkPhase();
    this.setPhase('Authenticate');
    if (lcp.go.auth) this.startAuth('peer', lcp.go.auth);
    if (lcp.his.auth) this.startAuth('self', lcp.his.auth);
  }

  private authProtocol(method: AuthMethod): AuthProtocol {
    return this.protocols.find((p) => p.protocol === method.protocol) as AuthProtocol;
  }

  private startAuth(role: 'peer' | 'self', method: AuthMethod): void {
    this.authProtocol(method).start(role, method, (host) => new Session.AuthServicesOf(this, method, host));
  }

  /** What an authentication role sees of the session: as LcpHostOf, prototype methods, no closures. */
  private static readonly AuthServicesOf = class implements AuthServices {
    constructor(
      private readonly s: Session,
      private readonly method: AuthMethod,
      readonly host: AuthHost,
    ) {}
    get options(): SessionOptions {
      return this.s.options;
    }
    get userName(): string {
      return this.s.userName;
    }
    peerSecret(peer: string): Buffer | undefined {
      const o = this.s.options;
      const match = o.secrets?.lookup(this.method.secrets, peer, o.name);
      this.s.peerSecret = match;
      return match ? Buffer.from(match.secret, 'latin1') : undefined;
    }
    checkPap(user: string, password: Buffer): SecretMatch | undefined {
      const o = this.s.options;
      let match: SecretMatch | undefined;
      if (o.checkPap) {
        match = o.checkPap(user, password) ? (o.secrets?.lookup('pap', user, o.name) ?? { secret: '' }) : undefined;
      } else if (o.secrets?.verifyPap) {
        match = o.secrets.verifyPap(user, password.toString('latin1'), o.name);
      } else {
        const m = o.secrets?.lookup('pap', user, o.name);
        match = m && secretsEqual(m.secret, password.toString('latin1')) ? m : undefined;
      }
      if (match) this.s.peerSecret = match;
      return match;
    }
    selfSecret(kind: 'pap' | 'chap', server: string | undefined): string | undefined {
      const o = this.s.options;
      return o.password ?? o.secrets?.lookup(kind, this.s.userName, server)?.secret;
    }
  };

  private peerAuthDone(method: AuthMethod, ok: boolean, name?: string): void {
    if (!ok) {
      // pppd auth_peer_fail.
      this.status = EXIT.PEER_AUTH_FAILED;
      this.closeLcp('Authentication failed');
      return;
    }
    if (!this.pendingAuth.peer) return; // a re-challenge succeeded again
    this.pendingAuth.peer = false;
    this.peerName = name;
    const keys = this.authProtocol(method).keys('peer');
    if (keys) this.mppeKeys = this.mppeKeys ? { ...keys, bothWays: true } : keys;
    this.events.push({ type: 'auth-up', peerName: name ?? '', protocol: method.id, keys });
    if (!this.pendingAuth.self) this.networkPhase();
  }

  private selfAuthDone(method: AuthMethod, ok: boolean): void {
    if (!ok) {
      // pppd auth_withpeer_fail.
      this.status = EXIT.AUTH_TOPEER_FAILED;
      this.closeLcp('Failed to authenticate ourselves to peer');
      return;
    }
    if (!this.pendingAuth.self) return;
    // pppd auth_withpeer_success.
    this.log('notice', `${method.logName} authentication succeeded`);
    this.pendingAuth.self = false;
    const keys = this.authProtocol(method).keys('self');
    if (keys) this.mppeKeys = this.mppeKeys ? { ...keys, bothWays: true } : keys;
    this.events.push({ type: 'auth-self', protocol: method.id, keys });
    if (!this.pendingAuth.peer) this.networkPhase();
  }

  /** pppd network_phase / start_networks: open every enabled NCP. */
  private networkPhase(): void {
    this.setPhase('Network');
    // pppd start_networks: CCP first; MPPE required holds the NCPs until CCP is up.
    const ccps = this.protocols.filter((p) => p.kind === 'ccp' && p.enabled);
    for (const p of ccps) p.open?.();
    if (ccps.some((p) => p.holdsNetworks)) return;
    this.continueNetworks();
  }

  /** pppd continue_networks: open every enabled NCP. */
  private continueNetworks(): void {
    if (this.phase !== 'Network') return;
    const ncps = this.protocols.filter((p) => p.kind === 'ncp' && p.enabled);
    if (!ncps.length) {
      this.log('error', 'No network protocols running');
      this.closeLcp('No network protocols running');
      return;
    }
    for (const p of ncps) this.ncpsOpen.add(p);
    for (const p of ncps) p.open?.();
  }

  /** pppd np_up: the first network protocol up makes the link a success. */
  private ncpUp(): void {
    if (this.ncpsUp++ > 0) return;
    this.status = EXIT.OK;
    this.linkStats.bytesIn = 0;
    this.linkStats.bytesOut = 0;
    this.linkStats.upSince = this.timers.clock.now;
    this.networkWasUp = true;
  }

  private linkDown(): void {
    // pppd lcp_down -> link_down: authentication and NCPs go down with the link.
    this.lcpGoingDown = true;
    try {
      for (const p of this.protocols) {
        if (!p.enabled) continue;
        p.lowerDown?.();
        if (p.kind === 'ncp' || p.kind === 'ccp') p.close?.('LCP down');
      }
    } finally {
      this.lcpGoingDown = false;
    }
    this.ncpsOpen.clear();
    this.link.configure(LINK_DEFAULTS);
    if (this.phase !== 'Terminate' && this.phase !== 'Dead') this.setPhase('Establish');
  }

  private protocolRejected(proto: number): void {
    const name = protocolLongName(proto);
    if (proto === PROTO_LCP) {
      this.log('error', 'Received Protocol-Reject for LCP!');
      return;
    }
    const entry = this.protocols.find((p) => p.protocol === proto && p.enabled);
    if (entry) {
      if (entry.kind !== 'auth') this.log('debug', `Protocol-Reject for '${name ?? entry.name}' (0x${proto.toString(16)}) received`);
      entry.protocolRejected();
      return;
    }
    this.log('warn', name ? `Protocol-Reject for unsupported protocol '${name}' (0x${proto.toString(16)})` : `Protocol-Reject for unsupported protocol 0x${proto.toString(16)}`);
  }

  /** LCP finished: pppd's link_terminated. */
  private linkTerminated(): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.protocols) if (p.kind === 'auth') p.lowerDown?.();
    this.log('notice', 'Connection terminated.');
    // pppd prints the link statistics only when a network protocol came up (link_stats_valid);
    // a virtual clock may read 0 at that moment, so the flag, not the time, says so.
    if (this.networkWasUp || this.status === EXIT.OK) {
      const seconds = (this.timers.clock.now - this.linkStats.upSince) / 1000;
      const tenths = Math.floor((seconds + 5) / 6);
      this.log('info', `Connect time ${Math.floor(tenths / 10)}.${tenths % 10} minutes.`);
      this.log('info', `Sent ${this.linkStats.bytesOut} bytes, received ${this.linkStats.bytesIn} bytes.`);
    }
    if (this.status === EXIT.NEGOTIATION_FAILED) {
      for (const line of this.link.diagnosis()) this.log('warn', line);
    }
    this.setPhase('Dead');
    this.events.push({ type: 'dead', status: this.status });
  }
}
