/**
 * One PPP link, sans-IO: bytes and time in; bytes, events and a next deadline out.
 *
 * It walks RFC 1661 §3's phases (Dead, Establish, Authenticate, Network, Terminate),
 * demultiplexes frames to LCP, PAP, CHAP and IPCP (pppd's protent table, main.c), and
 * keeps pppd's exit status as the link goes (auth.c: link_established, network_phase,
 * auth_peer_fail, ...). The caller owns the clock and the line:
 *
 *   const s = new Session(options, now);
 *   s.start(now);
 *   line.on('data', (b) => { s.input(b, now()); flush(); });
 *   at s.nextDeadline(): s.tick(now()); flush();
 *   flush = () => { for (const b of s.takeOutput()) line.write(b); handle(s.takeEvents()); }
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { HdlcDecoder, HdlcEncoder, eightBitCleanDiagnosis } from '../wire/hdlc.js';
import { icmpEchoReply } from '../wire/ipv4.js';
import { State } from './fsm.js';
import { Lcp, DEFAULT_MRU, type AuthProto } from './lcp.js';
import { Ipcp, type IpcpResult } from './ipcp.js';
import { PapClient, PapServer } from './auth/pap.js';
import { ChapClient, ChapServer } from './auth/chap.js';
import { Timers } from './timers.js';
import { describePacket } from './print.js';
import type { AuthHost } from './auth/host.js';
import type { LogLevel } from './log.js';
import { secretsEqual, type SecretMatch, type Secrets } from './secrets.js';
import { PROTO_CHAP, PROTO_IP, PROTO_IPCP, PROTO_LCP, PROTO_PAP, protocolLongName } from './protocols.js';
import { EXIT } from './exit-codes.js';

export type Phase = 'Dead' | 'Establish' | 'Authenticate' | 'Network' | 'Terminate';

export interface SessionOptions {
  /** Our name (pppd `name`; default the host name, chosen by the caller). */
  name: string;
  /** The name we authenticate as (pppd `user`; default `name`). */
  user?: string;
  /** pppd `password`: our secret for PAP or CHAP, instead of the secrets files. */
  password?: string;
  /** pppd `remotename`. */
  remoteName?: string;
  secrets?: Secrets;
  /** Overrides how a PAP server judges a user/password pair (pppd `login` uses the system). */
  checkPap?(user: string, password: Buffer): boolean;

  /** Require the peer to authenticate (pppd `auth`; require-pap / require-chap narrow it). */
  auth: boolean;
  requirePap: boolean;
  requireChap: boolean;
  refusePap: boolean;
  refuseChap: boolean;
  /** pppd require-mschap / require-mschap-v2 / require-eap (each narrows `auth` like require-pap). */
  requireMschap: boolean;
  requireMschapV2: boolean;
  requireEap: boolean;
  refuseMschap: boolean;
  refuseMschapV2: boolean;
  refuseEap: boolean;
  /** pppd chapms-strip-domain. */
  chapmsStripDomain: boolean;

  mru: number;
  asyncmap: number;
  /**
   * pppd `escape`: 256-bit map of extra octets we always escape when sending
   * (bit for octet c is `escape[c >> 3] & (1 << (c & 7))`, as HdlcEncoder's TxConfig.escape).
   */
  escape?: Uint8Array;
  accomp: boolean;
  pcomp: boolean;
  magic: boolean;
  passive: boolean;
  silent: boolean;
  lcpEchoInterval: number;
  lcpEchoFailure: number;
  lcpRestart: number;
  lcpMaxConfigure: number;
  lcpMaxTerminate: number;
  lcpMaxFailure: number;
  loopbackFail: number;

  /** Disable IPCP (pppd `noip`). */
  noip: boolean;
  localAddr: number;
  remoteAddr: number;
  acceptLocal: boolean;
  acceptRemote: boolean;
  msDns: [number, number];
  msWins: [number, number];
  usePeerDns: boolean;
  ipcpRestart: number;
  ipcpMaxConfigure: number;
  ipcpMaxTerminate: number;
  ipcpMaxFailure: number;

  papRestart: number;
  papMaxAuthReq: number;
  papTimeout: number;
  chapRestart: number;
  chapMaxChallenge: number;
  chapInterval: number;
  chapTimeout: number;
  /** pppd eap-restart, eap-max-sreq, eap-timeout, eap-interval (server), eap-max-rreq (client). */
  eapRestart: number;
  eapMaxSreq: number;
  eapTimeout: number;
  eapInterval: number;
  eapMaxRreq: number;

  /** Log every control packet decoded (pppd `debug`). */
  debug: boolean;
  /** Emit 'frame' events for every frame in and out (for pcap capture). */
  tapFrames: boolean;
  /** Entropy for magic numbers and challenges; tests pass a seeded one. */
  randomBytes?: (n: number) => Buffer;
}

/** pppd 2.4.9's defaults (see pppd(8)). */
export function defaultSessionOptions(overrides: Partial<SessionOptions> = {}): SessionOptions {
  return {
    name: 'dialtone',
    auth: false,
    requirePap: false,
    requireChap: false,
    refusePap: false,
    refuseChap: false,
    requireMschap: false,
    requireMschapV2: false,
    requireEap: false,
    refuseMschap: false,
    refuseMschapV2: false,
    refuseEap: false,
    chapmsStripDomain: false,
    mru: DEFAULT_MRU,
    asyncmap: 0,
    accomp: true,
    pcomp: true,
    magic: true,
    passive: false,
    silent: false,
    lcpEchoInterval: 0,
    lcpEchoFailure: 0,
    lcpRestart: 3,
    lcpMaxConfigure: 10,
    lcpMaxTerminate: 2,
    lcpMaxFailure: 5,
    loopbackFail: 10,
    noip: false,
    localAddr: 0,
    remoteAddr: 0,
    acceptLocal: false,
    acceptRemote: false,
    msDns: [0, 0],
    msWins: [0, 0],
    usePeerDns: false,
    ipcpRestart: 3,
    ipcpMaxConfigure: 10,
    ipcpMaxTerminate: 3,
    ipcpMaxFailure: 5,
    papRestart: 3,
    papMaxAuthReq: 10,
    papTimeout: 30,
    chapRestart: 3,
    chapMaxChallenge: 10,
    chapInterval: 0,
    chapTimeout: 60,
    eapRestart: 3,
    eapMaxSreq: 10,
    eapTimeout: 20,
    eapInterval: 0,
    eapMaxRreq: 20,
    debug: false,
    tapFrames: false,
    ...overrides,
  };
}

export type SessionEvent =
  | { type: 'log'; level: LogLevel; msg: string }
  | { type: 'phase'; phase: Phase }
  | { type: 'auth-up'; peerName: string; protocol: AuthProto }
  | { type: 'ip-up'; local: number; remote: number; dns: [number, number] }
  | { type: 'ip-down' }
  /** An IP packet from the peer that is not for the link itself: for the network backend. */
  | { type: 'ip'; packet: Buffer }
  | { type: 'frame'; dir: 'in' | 'out'; protocol: number; payload: Buffer; time: number }
  /** The link is over; `status` is pppd's exit status for it. */
  | { type: 'dead'; status: number };

export interface Counters {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  /** Frames dropped by the framer (bad FCS, runts, too long, ...). */
  framesDropped: number;
  /** Frames of a known protocol discarded because the phase does not allow them. */
  discardedByPhase: number;
  protocolRejectsSent: number;
  ipPacketsIn: number;
  ipPacketsOut: number;
}

export class Session {
  phase: Phase = 'Dead';
  /** pppd's `status`: the exit code the link would end with now. */
  status: number = EXIT.NEGOTIATION_FAILED;
  readonly counters: Counters = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, framesDropped: 0,
    discardedByPhase: 0, protocolRejectsSent: 0, ipPacketsIn: 0, ipPacketsOut: 0,
  };
  /** The IP link once IPCP is up. */
  ip: IpcpResult | undefined;
  /** The name the peer authenticated as. */
  peerName: string | undefined;
  /** Bytes of PPP frames since IP came up (pppd's link stats). */
  readonly linkStats = { bytesIn: 0, bytesOut: 0, upSince: 0 };

  readonly lcp: Lcp;
  readonly ipcp: Ipcp;
  private readonly timers: Timers;
  private readonly encoder = new HdlcEncoder();
  private readonly decoder: HdlcDecoder;
  private readonly random: (n: number) => Buffer;
  private output: Buffer[] = [];
  private events: SessionEvent[] = [];
  private peerAuth: PapServer | ChapServer | undefined;
  private selfAuth: PapClient | ChapClient | undefined;
  private pendingAuth = { peer: false, self: false };
  private peerSecret: SecretMatch | undefined;
  private dropsSeen = 0;
  private dead = false;
  private lcpGoingDown = false;

  constructor(readonly options: SessionOptions, now: number) {
    this.timers = new Timers({ now });
    this.random = options.randomBytes ?? cryptoRandomBytes;
    if (options.escape) this.encoder.setConfig({ escape: options.escape });
    this.decoder = new HdlcDecoder({ mru: Math.max(options.mru, DEFAULT_MRU) });
    const o = options;
    const selfSecretKnown = (kind: 'pap' | 'chap') =>
      o.password !== undefined || !!o.secrets?.hasSecretsFor?.(kind, this.userName);
    // pppd: require-pap / require-chap name the protocols; plain `auth` allows both, CHAP first.
    const explicit = o.requirePap || o.requireChap;
    const authPeer = { chap: explicit ? o.requireChap : o.auth, pap: explicit ? o.requirePap : o.auth };
    this.lcp = new Lcp(
      {
        mru: o.mru,
        asyncmap: o.asyncmap,
        magic: o.magic,
        pcomp: o.pcomp,
        accomp: o.accomp,
        authPeer,
        authSelf: { pap: !o.refusePap && selfSecretKnown('pap'), chap: !o.refuseChap && selfSecretKnown('chap') },
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
      {
        send: (p) => this.sendFrame(PROTO_LCP, p),
        log: (level, msg) => this.log(level, msg),
        random32: () => this.random(4).readUInt32BE(0),
        up: () => this.linkEstablished(),
        down: () => this.linkDown(),
        starting: () => undefined,
        finished: () => this.linkTerminated(),
        protocolRejected: (proto) => this.protocolRejected(proto),
        linkFailure: (kind) => {
          this.status = kind === 'loopback' ? EXIT.LOOPBACK : EXIT.PEER_DEAD;
          this.closeLcp(kind === 'loopback' ? 'Loopback detected' : 'Peer not responding');
        },
      },
      this.timers,
    );
    this.ipcp = new Ipcp(
      {
        localAddr: o.localAddr,
        remoteAddr: o.remoteAddr,
        acceptLocal: o.acceptLocal,
        acceptRemote: o.acceptRemote,
        dns: o.msDns,
        wins: o.msWins,
        usePeerDns: o.usePeerDns,
        allowRemote: (a) => this.peerSecret?.allowIp?.(a) ?? true,
      },
      {
        restartMs: o.ipcpRestart * 1000,
        maxConfigure: o.ipcpMaxConfigure,
        maxTerminate: o.ipcpMaxTerminate,
        maxFailure: o.ipcpMaxFailure,
      },
      {
        send: (p) => this.sendFrame(PROTO_IPCP, p),
        log: (level, msg) => this.log(level, msg),
        up: (r) => this.ipUp(r),
        down: () => this.ipDown(),
        finished: () => {
          // pppd np_finished: with no network protocol left, the link has no purpose. Not
          // while LCP itself is going down: that close has its own reason.
          if (this.lcp.opened && !this.lcpGoingDown) this.closeLcp('No network protocols running');
        },
        fail: (reason) => this.ipcp.fsm.close(reason),
      },
      this.timers,
    );
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

  /** Bytes from the line. */
  input(bytes: Uint8Array, now: number): void {
    this.advance(now);
    this.counters.bytesIn += bytes.length;
    // One frame at a time: a frame can change how the next is read (LCP coming up sets the
    // receive ACCM, RFC 1662 §7.1), and one read often holds the peer's Configure-Ack and
    // its first CHAP Challenge, sent with the new map.
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let start = 0; start < chunk.length && !this.dead; ) {
      const flag = chunk.indexOf(0x7e, start);
      const end = flag < 0 ? chunk.length : flag + 1;
      for (const f of this.decoder.push(chunk.subarray(start, end))) this.receiveFrame(f.protocol, f.payload);
      start = end;
    }
    const s = this.decoder.stats;
    const drops = s.badFcs + s.runts + s.tooLong + s.aborts + s.badProtocol + s.badAddress;
    if (drops !== this.dropsSeen) {
      this.counters.framesDropped += drops - this.dropsSeen;
      this.dropsSeen = drops;
    }
  }

  /** Time passes: fire whatever is due. */
  tick(now: number): void {
    this.advance(now);
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
    if (!this.ipcp.opened) return false;
    this.counters.ipPacketsOut++;
    this.sendFrame(PROTO_IP, packet);
    return true;
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

  get decoderStats() {
    return this.decoder.stats;
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

  private sendFrame(protocol: number, info: Buffer): void {
    if (this.options.debug && protocol >= 0x8000) this.log('debug', `sent ${describePacket(protocol, info)}`);
    const frame = this.encoder.encode(protocol, info);
    this.output.push(frame);
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    if (this.ip) this.linkStats.bytesOut += info.length + 2;
    if (this.options.tapFrames) this.events.push({ type: 'frame', dir: 'out', protocol, payload: info, time: this.timers.clock.now });
  }

  private receiveFrame(protocol: number, info: Buffer): void {
    this.counters.framesIn++;
    if (this.ip) this.linkStats.bytesIn += info.length + 2;
    if (this.options.tapFrames) this.events.push({ type: 'frame', dir: 'in', protocol, payload: info, time: this.timers.clock.now });
    if (this.options.debug && protocol >= 0x8000) this.log('debug', `rcvd ${describePacket(protocol, info)}`);

    if (protocol === PROTO_LCP) return this.lcp.fsm.input(info);
    // RFC 1661 §3.4: until LCP is Opened, everything else is silently discarded.
    if (!this.lcp.opened) {
      this.counters.discardedByPhase++;
      return;
    }
    switch (protocol) {
      case PROTO_PAP:
      case PROTO_CHAP: {
        // Either direction of authentication may use the protocol; each ignores what is not its.
        const isPap = protocol === PROTO_PAP;
        for (const m of [this.peerAuth, this.selfAuth]) {
          if (m && (m instanceof PapServer || m instanceof PapClient) === isPap) m.input(info);
        }
        return;
      }
      case PROTO_IPCP:
        if (this.phase !== 'Network' || this.options.noip) break;
        return this.ipcp.fsm.input(info);
      case PROTO_IP:
        if (!this.ipcp.opened || !this.ip) {
          this.counters.discardedByPhase++;
          return;
        }
        return this.receiveIp(info);
      default:
        break;
    }
    // pppd main.c: before the Network phase, packets of other protocols are discarded;
    // afterwards anything we do not run gets a Protocol-Reject (RFC 1661 §5.7).
    if (this.phase !== 'Network' || (protocol === PROTO_IPCP && !this.options.noip)) {
      this.counters.discardedByPhase++;
      return;
    }
    this.counters.protocolRejectsSent++;
    this.lcp.protocolReject(protocol, info, this.lcp.his.mru ?? DEFAULT_MRU);
  }

  private receiveIp(packet: Buffer): void {
    this.counters.ipPacketsIn++;
    const reply = icmpEchoReply(packet, this.ip!.local);
    if (reply) {
      this.counters.ipPacketsOut++;
      this.sendFrame(PROTO_IP, reply);
      return;
    }
    this.events.push({ type: 'ip', packet });
  }

  /** LCP is up: pppd's link_established. */
  private linkEstablished(): void {
    const lcp = this.lcp;
    // The negotiated framing (RFC 1662 §7): what the peer asked of us applies to what we send.
    this.encoder.setConfig({ accm: lcp.his.asyncmap ?? 0xffffffff, pfc: lcp.his.pcomp, acfc: lcp.his.accomp });
    this.decoder.setRecvAccm(lcp.go.asyncmap ?? 0xffffffff);
    const o = this.options;
    const required = o.auth || o.requirePap || o.requireChap;
    if (required && !lcp.go.auth) {
      this.log('warn', 'peer refused to authenticate: terminating link');
      this.status = EXIT.PEER_AUTH_FAILED;
      this.closeLcp('peer refused to authenticate');
      return;
    }
    this.pendingAuth = { peer: !!lcp.go.auth, self: !!lcp.his.auth };
    if (!this.pendingAuth.peer && !this.pendingAuth.self) return this.networkPhase();
    this.setPhase('Authenticate');
    if (lcp.go.auth) this.startPeerAuth(lcp.go.auth);
    if (lcp.his.auth) this.startSelfAuth(lcp.his.auth);
  }

  private authHost(protocol: number, onDone: (ok: boolean, name?: string) => void): AuthHost {
    return {
      send: (p) => this.sendFrame(protocol, p),
      log: (level, msg) => this.log(level, msg),
      randomBytes: (n) => this.random(n),
      timers: this.timers,
      done: onDone,
    };
  }

  private lookupPeerSecret(kind: AuthProto, client: string): SecretMatch | undefined {
    return this.options.secrets?.lookup(kind, client, this.options.name);
  }

  private startPeerAuth(proto: AuthProto): void {
    const o = this.options;
    const done = (ok: boolean, name?: string) => this.peerAuthDone(proto, ok, name);
    if (proto === 'pap') {
      this.peerAuth = new PapServer(
        {
          timeout: o.papTimeout,
          check: (user, password) => {
            const pw = password.toString('latin1');
            let match: SecretMatch | undefined;
            if (o.checkPap) {
              match = o.checkPap(user, password) ? (this.lookupPeerSecret('pap', user) ?? { secret: '' }) : undefined;
            } else if (o.secrets?.verifyPap) {
              match = o.secrets.verifyPap(user, pw, o.name);
            } else {
              const m = this.lookupPeerSecret('pap', user);
              match = m && secretsEqual(m.secret, pw) ? m : undefined;
            }
            const ok = match !== undefined;
            if (match) this.peerSecret = match;
            // pppd check_passwd's messages.
            return { ok, message: ok ? 'Login ok' : 'Login incorrect' };
          },
        },
        this.authHost(PROTO_PAP, done),
      );
    } else {
      this.peerAuth = new ChapServer(
        {
          name: o.name,
          restart: o.chapRestart,
          maxChallenge: o.chapMaxChallenge,
          interval: o.chapInterval,
          remoteName: o.remoteName,
          secretFor: (peer) => {
            const match = this.lookupPeerSecret('chap', peer);
            this.peerSecret = match;
            return match ? Buffer.from(match.secret, 'latin1') : undefined;
          },
        },
        this.authHost(PROTO_CHAP, done),
      );
    }
    this.peerAuth.start();
  }

  private startSelfAuth(proto: AuthProto): void {
    const o = this.options;
    const done = (ok: boolean) => this.selfAuthDone(proto, ok);
    const secretTo = (kind: AuthProto, server: string | undefined) =>
      o.password ?? o.secrets?.lookup(kind, this.userName, server)?.secret;
    if (proto === 'pap') {
      const password = secretTo('pap', o.remoteName);
      if (password === undefined) this.log('warn', `no PAP secret found for ${this.userName}`);
      this.selfAuth = new PapClient(
        { user: this.userName, password: password ?? '', restart: o.papRestart, maxAuthReq: o.papMaxAuthReq },
        this.authHost(PROTO_PAP, done),
      );
    } else {
      this.selfAuth = new ChapClient(
        {
          name: this.userName,
          remoteName: o.remoteName,
          timeout: o.chapTimeout,
          secretFor: (server) => {
            const s = secretTo('chap', server);
            return s === undefined ? undefined : Buffer.from(s, 'latin1');
          },
        },
        this.authHost(PROTO_CHAP, done),
      );
    }
    this.selfAuth.start();
  }

  private peerAuthDone(proto: AuthProto, ok: boolean, name?: string): void {
    if (!ok) {
      // pppd auth_peer_fail.
      this.status = EXIT.PEER_AUTH_FAILED;
      this.closeLcp('Authentication failed');
      return;
    }
    if (!this.pendingAuth.peer) return; // a CHAP re-challenge succeeded again
    this.pendingAuth.peer = false;
    this.peerName = name;
    this.events.push({ type: 'auth-up', peerName: name ?? '', protocol: proto });
    if (!this.pendingAuth.self) this.networkPhase();
  }

  private selfAuthDone(proto: AuthProto, ok: boolean): void {
    if (!ok) {
      // pppd auth_withpeer_fail.
      this.status = EXIT.AUTH_TOPEER_FAILED;
      this.closeLcp('Failed to authenticate ourselves to peer');
      return;
    }
    this.log('notice', `${proto.toUpperCase()} authentication succeeded`);
    this.pendingAuth.self = false;
    if (!this.pendingAuth.peer) this.networkPhase();
  }

  private networkPhase(): void {
    if (this.options.noip) {
      this.setPhase('Network');
      this.log('error', 'No network protocols running');
      this.closeLcp('No network protocols running');
      return;
    }
    this.setPhase('Network');
    // The secrets entry may name the peer's address (pppd: first single address).
    if (!this.options.remoteAddr && this.peerSecret?.suggested) {
      this.ipcp.policy.remoteAddr = this.peerSecret.suggested;
    }
    this.ipcp.fsm.open();
    this.ipcp.fsm.lowerUp();
  }

  private ipUp(r: IpcpResult): void {
    this.ip = r;
    this.status = EXIT.OK;
    this.linkStats.bytesIn = 0;
    this.linkStats.bytesOut = 0;
    this.linkStats.upSince = this.timers.clock.now;
    this.events.push({ type: 'ip-up', local: r.local, remote: r.remote, dns: r.dns });
  }

  private ipDown(): void {
    if (!this.ip) return;
    this.ip = undefined;
    this.events.push({ type: 'ip-down' });
  }

  private linkDown(): void {
    // pppd lcp_down -> link_down: authentication and NCPs go down with the link.
    this.peerAuth?.stop();
    this.selfAuth?.stop();
    this.lcpGoingDown = true;
    try {
      this.ipcp.fsm.lowerDown();
      this.ipcp.fsm.close('LCP down');
    } finally {
      this.lcpGoingDown = false;
    }
    this.ipDown();
    this.encoder.setConfig({ accm: 0xffffffff, pfc: false, acfc: false });
    this.decoder.setRecvAccm(0xffffffff);
    if (this.phase !== 'Terminate' && this.phase !== 'Dead') this.setPhase('Establish');
  }

  private protocolRejected(proto: number): void {
    const name = protocolLongName(proto);
    if (proto === PROTO_LCP) {
      this.log('error', 'Received Protocol-Reject for LCP!');
      return;
    }
    if (proto === PROTO_IPCP) {
      this.log('debug', `Protocol-Reject for '${name}' (0x${proto.toString(16)}) received`);
      this.ipcp.fsm.protocolRejected();
      return;
    }
    if (proto === PROTO_PAP || proto === PROTO_CHAP) {
      const kind = proto === PROTO_PAP ? 'PAP' : 'CHAP';
      if (this.selfAuth && this.pendingAuth.self) {
        this.log('error', `${kind} authentication failed due to protocol-reject`);
        this.selfAuthDone(kind === 'PAP' ? 'pap' : 'chap', false);
      } else if (this.peerAuth && this.pendingAuth.peer) {
        this.log('error', `${kind} authentication of peer failed (protocol-reject)`);
        this.peerAuthDone(kind === 'PAP' ? 'pap' : 'chap', false);
      }
      return;
    }
    this.log('warn', name ? `Protocol-Reject for unsupported protocol '${name}' (0x${proto.toString(16)})` : `Protocol-Reject for unsupported protocol 0x${proto.toString(16)}`);
  }

  /** LCP finished: pppd's link_terminated. */
  private linkTerminated(): void {
    if (this.dead) return;
    this.dead = true;
    this.peerAuth?.stop();
    this.selfAuth?.stop();
    if (this.ip) this.ipDown();
    this.log('notice', 'Connection terminated.');
    if (this.linkStats.upSince || this.status === EXIT.OK) {
      const seconds = (this.timers.clock.now - this.linkStats.upSince) / 1000;
      const tenths = Math.floor((seconds + 5) / 6);
      this.log('info', `Connect time ${Math.floor(tenths / 10)}.${tenths % 10} minutes.`);
      this.log('info', `Sent ${this.linkStats.bytesOut} bytes, received ${this.linkStats.bytesIn} bytes.`);
    }
    if (this.counters.bytesIn > 0 && this.status === EXIT.NEGOTIATION_FAILED) {
      for (const line of eightBitCleanDiagnosis(this.decoder.bit7())) this.log('warn', line);
    }
    this.setPhase('Dead');
    this.events.push({ type: 'dead', status: this.status });
  }
}

