/**
 * LCP (RFC 1661 §5–6): the link's options plugged into the generic automaton, plus
 * the codes only LCP has (Protocol-Reject, Echo, Discard) and the echo keepalive.
 * Option handling follows pppd's lcp.c where the RFC leaves room.
 */
import { Fsm, State, type FsmConfig, type FsmHandler, type ReqCiResult } from './fsm.js';
import { Code, NO_BYTES, emitOptions, opt, parseOptions, u16, u32, type ConfigOption } from './packet.js';
import type { Timer, Timers } from './timers.js';
import { PROTO_CHAP, PROTO_EAP, PROTO_LCP, PROTO_PAP } from './protocols.js';
import type { AuthMethod } from './auth/methods.js';
import type { LogLevel } from './log.js';

/**
 * LCP option types: RFC 1661 §6, Callback RFC 1570 §2.3, multilink RFC 1990 §5.1
 * (MRRU 17, short sequence 18, endpoint discriminator 19).
 */
export const LcpOpt = {
  MRU: 1, ACCM: 2, AuthProto: 3, Quality: 4, Magic: 5, PFC: 7, ACFC: 8,
  Callback: 13, MRRU: 17, SSNHF: 18, Endpoint: 19,
} as const;
/** RFC 1661 §6.1 allows any MRU, pppd refuses to go below this (MINMRU). */
const MIN_MRU = 128;
export const DEFAULT_MRU = 1500;
/** pppd MAX_ENDP_LEN: the longest endpoint discriminator address accepted. */
const MAX_ENDPOINT = 20;

/** LCP's options (pppd lcp.c's option table), with pppd 2.4.9's defaults in LCP_DEFAULTS. */
export interface LcpOptions {
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
  /** pppd `noendpoint`: reject the peer's endpoint discriminator. */
  noendpoint: boolean;
  lcpEchoInterval: number;
  lcpEchoFailure: number;
  lcpRestart: number;
  lcpMaxConfigure: number;
  lcpMaxTerminate: number;
  lcpMaxFailure: number;
  loopbackFail: number;
}

export const LCP_DEFAULTS: LcpOptions = {
  mru: DEFAULT_MRU,
  asyncmap: 0,
  accomp: true,
  pcomp: true,
  magic: true,
  passive: false,
  silent: false,
  noendpoint: false,
  lcpEchoInterval: 0,
  lcpEchoFailure: 0,
  lcpRestart: 3,
  lcpMaxConfigure: 10,
  lcpMaxTerminate: 2,
  lcpMaxFailure: 5,
  loopbackFail: 10,
};

export interface LcpPolicy {
  /** Our receive MRU; requested when it differs from 1500. */
  mru: number;
  /** Characters we want the peer to escape (pppd `asyncmap`); undefined = don't negotiate. */
  asyncmap: number | undefined;
  magic: boolean;
  pcomp: boolean;
  accomp: boolean;
  /** Methods we may ask the peer to authenticate with, in pppd's preference order. */
  authPeer: readonly AuthMethod[];
  /** Methods we are able to authenticate ourselves with, if the peer asks, same order. */
  authSelf: readonly AuthMethod[];
  /** Accept the peer's endpoint discriminator (pppd: yes, unless `noendpoint`). */
  endpoint: boolean;
  echoInterval: number;
  echoFailure: number;
  /** pppd's lcp_loopbackfail (DEFLOOPBACKFAIL). */
  loopbackFail: number;
}

/** What we asked for and got (pppd's `go`), or what the peer asked for and we acked (`ho`). */
export interface LcpValues {
  mru?: number;
  asyncmap?: number;
  auth?: AuthMethod;
  magic?: number;
  pcomp: boolean;
  accomp: boolean;
  /** The peer's endpoint discriminator (RFC 1990 §5.1.3): class and address. */
  endpoint?: { class: number; address: Buffer };
}

export interface LcpHost {
  send(packet: Buffer): void;
  log(level: LogLevel, msg: string): void;
  random32(): number;
  up(): void;
  down(): void;
  starting(): void;
  finished(): void;
  /** A Protocol-Reject arrived for `protocol` (RFC 1661 §5.7). */
  protocolRejected(protocol: number): void;
  /** The loopback or dead-peer checks decided the link must end (pppd's status). */
  linkFailure(kind: 'loopback' | 'peer-dead'): void;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

export class Lcp implements FsmHandler {
  readonly fsm: Fsm;
  go: LcpValues = { pcomp: false, accomp: false };
  his: LcpValues = { pcomp: false, accomp: false };
  readonly stats = { echoRequestsSent: 0, echoRepliesRcvd: 0, ownEchoReplies: 0, identRcvd: 0 };
  private lastReq: Buffer = NO_BYTES;
  private loopedBack = false;
  private numLoops = 0;
  private echosPending = 0;
  private echoId = 0;
  private readonly echoTimer: Timer;
  /** The methods still worth asking for in this negotiation (pppd's go->neg_eap/chap/upap + chap_mdtype). */
  private wantAuth: readonly AuthMethod[] = [];

  constructor(
    private readonly policy: LcpPolicy,
    fsmConfig: Omit<FsmConfig, 'name'>,
    private readonly host: LcpHost,
    timers: Timers,
  ) {
    this.fsm = new Fsm({ ...fsmConfig, name: 'LCP' }, this, host, timers);
    this.echoTimer = timers.create(() => this.echoCheck());
  }

  get opened(): boolean {
    return this.fsm.state === State.Opened;
  }

  resetCi(): void {
    const p = this.policy;
    this.wantAuth = p.authPeer;
    this.go = {
      mru: p.mru !== DEFAULT_MRU ? p.mru : undefined,
      asyncmap: p.asyncmap,
      auth: p.authPeer[0],
      magic: p.magic ? this.host.random32() : undefined,
      pcomp: p.pcomp,
      accomp: p.accomp,
    };
    this.numLoops = 0;
  }

  addCi(): Buffer {
    const g = this.go;
    const o: ConfigOption[] = [];
    if (g.mru !== undefined) o.push(opt(LcpOpt.MRU, u16(g.mru)));
    if (g.asyncmap !== undefined) o.push(opt(LcpOpt.ACCM, u32(g.asyncmap)));
    if (g.auth) o.push(opt(LcpOpt.AuthProto, g.auth.option));
    if (g.magic !== undefined) o.push(opt(LcpOpt.Magic, u32(g.magic)));
    if (g.pcomp) o.push(opt(LcpOpt.PFC));
    if (g.accomp) o.push(opt(LcpOpt.ACFC));
    this.lastReq = emitOptions(o);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    // RFC 1661 §5.2: the Ack repeats the request exactly, order and values.
    return sameBytes(data, this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = { ...this.go };
    let nextWant = this.wantAuth;
    this.loopedBack = false;
    for (const o of opts) {
      const v = o.value;
      switch (o.type) {
        case LcpOpt.MRU:
          if (v.length !== 2) return false;
          if (treatAsReject) next.mru = undefined;
          // pppd: take their MRU when it is no larger than ours (or we were not asking).
          else if (v.readUInt16BE(0) >= MIN_MRU && (this.go.mru === undefined || v.readUInt16BE(0) <= this.go.mru)) next.mru = v.readUInt16BE(0);
          break;
        case LcpOpt.ACCM:
          if (v.length !== 4) return false;
          next.asyncmap = treatAsReject ? undefined : ((this.go.asyncmap ?? 0) | v.readUInt32BE(0)) >>> 0;
          break;
        case LcpOpt.AuthProto: {
          if (v.length < 2 || this.go.auth === undefined) return false;
          const want = this.nakAuth(this.go.auth, v);
          if (!want) return false;
          nextWant = want;
          next.auth = want[0];
          break;
        }
        case LcpOpt.Magic:
          if (v.length !== 4) return false;
          // Our magic was Nak'd: either a collision or our own request coming back to us.
          next.magic = this.host.random32();
          this.loopedBack = true;
          break;
        case LcpOpt.PFC:
          next.pcomp = false;
          break;
        case LcpOpt.ACFC:
          next.accomp = false;
          break;
        default:
          break; // an option we did not ask for: RFC 1661 §5.3 lets us ignore it
      }
    }
    this.go = next;
    this.wantAuth = nextWant;
    if (this.loopedBack) {
      if (++this.numLoops >= this.policy.loopbackFail) {
        this.host.log('notice', 'Serial line is looped back.');
        this.host.linkFailure('loopback');
      }
    } else {
      this.numLoops = 0;
    }
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = { ...this.go };
    const sent = parseOptions(this.lastReq) ?? [];
    for (const o of opts) {
      // pppd lcp_rejci: a Reject must name options we sent, with the values we sent.
      const mine = sent.find((s) => s.type === o.type);
      if (!mine || !mine.value.equals(o.value)) return false;
      switch (o.type) {
        case LcpOpt.MRU: next.mru = undefined; break;
        case LcpOpt.ACCM: next.asyncmap = undefined; break;
        case LcpOpt.AuthProto: {
          // pppd lcp_rejci: a Reject drops the protocol we asked for; the next request
          // asks for the next one we would take (EAP, then CHAP, then PAP).
          const rejected = this.go.auth?.protocol;
          this.wantAuth = this.wantAuth.filter((m) => m.protocol !== rejected);
          next.auth = this.wantAuth[0];
          break;
        }
        case LcpOpt.Magic: next.magic = undefined; break;
        case LcpOpt.PFC: next.pcomp = false; break;
        case LcpOpt.ACFC: next.accomp = false; break;
      }
    }
    this.go = next;
    return true;
  }

  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult {
    const opts = parseOptions(data);
    this.his = { pcomp: false, accomp: false };
    if (!opts) {
      // A request whose option list cannot be parsed cannot be answered option by
      // option; rejecting it whole is what pppd's lcp_reqci does with a bad length.
      return { code: Code.ConfRej, data };
    }
    const naks: ConfigOption[] = [];
    const rejs: ConfigOption[] = [];
    const p = this.policy;
    for (const o of opts) {
      const v = o.value;
      let verdict: 'ack' | 'nak' | 'rej' = 'ack';
      let nakValue: ConfigOption | undefined;
      switch (o.type) {
        case LcpOpt.MRU:
          if (v.length !== 2) verdict = 'rej';
          else if (v.readUInt16BE(0) < MIN_MRU) { verdict = 'nak'; nakValue = opt(LcpOpt.MRU, u16(MIN_MRU)); }
          else this.his.mru = v.readUInt16BE(0);
          break;
        case LcpOpt.ACCM:
          if (v.length !== 4) verdict = 'rej';
          else this.his.asyncmap = v.readUInt32BE(0);
          break;
        case LcpOpt.AuthProto: {
          const r = this.reqAuth(v);
          verdict = r.verdict;
          nakValue = r.nak;
          break;
        }
        case LcpOpt.Magic:
          if (v.length !== 4 || (!p.magic && this.go.magic === undefined)) { verdict = 'rej'; break; }
          if (this.go.magic !== undefined && v.readUInt32BE(0) === this.go.magic) {
            // Same magic as ours: a loop or a collision. Suggest another (pppd lcp_reqci).
            verdict = 'nak';
            nakValue = opt(LcpOpt.Magic, u32(this.host.random32()));
          } else {
            this.his.magic = v.readUInt32BE(0);
          }
          break;
        case LcpOpt.PFC:
          if (v.length !== 0 || !p.pcomp) verdict = 'rej';
          else this.his.pcomp = true;
          break;
        case LcpOpt.ACFC:
          if (v.length !== 0 || !p.accomp) verdict = 'rej';
          else this.his.accomp = true;
          break;
        case LcpOpt.Endpoint:
          // pppd 2.4.9 accepts the endpoint discriminator even without multilink (Windows
          // DUN sends one); MRRU and short sequence numbers need multilink and fall to
          // the Reject below, as does Callback (pppd never agrees to call back).
          if (!p.endpoint || v.length < 1 || v.length > 1 + MAX_ENDPOINT) verdict = 'rej';
          else this.his.endpoint = { class: v[0]!, address: Buffer.from(v.subarray(1)) };
          break;
        default:
          verdict = 'rej'; // RFC 1661 §5.4: options we do not implement are rejected
      }
      // pppd lcp_reqci: fed up with Naks, reject instead - except Magic-Number, whose Naks
      // are how a looped-back line shows itself.
      if (verdict === 'nak' && rejectIfDisagree && o.type !== LcpOpt.Magic) verdict = 'rej';
      if (verdict === 'nak') naks.push(nakValue ?? o);
      else if (verdict === 'rej') rejs.push(o);
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  /**
   * pppd lcp_nakci for the auth option: what is still worth asking for after the peer
   * Nak'd our `cur` suggesting `v`; undefined for a Nak that makes no sense.
   */
  private nakAuth(cur: AuthMethod, v: Buffer): readonly AuthMethod[] | undefined {
    const want = this.wantAuth;
    const without = (proto: number) => want.filter((m) => m.protocol !== proto);
    const proto = v.readUInt16BE(0);
    if (proto === PROTO_PAP && v.length === 2) {
      // They want PAP: stop asking for EAP, else CHAP; Nak'ing our PAP with PAP is bad.
      if (cur.protocol === PROTO_PAP) return undefined;
      return without(cur.protocol);
    }
    if (proto === PROTO_CHAP && v.length === 3) {
      const theirs = want.find((m) => m.protocol === PROTO_CHAP && m.chapDigest === v[2]);
      // Only their digest among the CHAP flavours (pppd: chap_mdtype = CHAP_MDTYPE_D(theirs)).
      const onlyTheirs = (list: readonly AuthMethod[]) => list.filter((m) => m.protocol !== PROTO_CHAP || m === theirs);
      if (cur.protocol === PROTO_EAP) return theirs ? onlyTheirs(without(PROTO_EAP)) : without(PROTO_EAP);
      if (cur.protocol === PROTO_CHAP) {
        if (cur.chapDigest === v[2]) return undefined; // Nak'd our digest and suggested it back
        return theirs ? onlyTheirs(want) : want.filter((m) => m !== cur);
      }
      return without(PROTO_PAP);
    }
    // Something we do not know: stop asking for what we asked for.
    if (proto === PROTO_EAP && cur.protocol === PROTO_EAP) this.host.log('debug', 'Unexpected Conf-Nak for EAP');
    return without(cur.protocol);
  }

  /** pppd lcp_reqci for the auth option: which method the peer asks of us, or what to suggest. */
  private reqAuth(v: Buffer): { verdict: 'ack' | 'nak' | 'rej'; nak?: ConfigOption } {
    const allowed = this.policy.authSelf;
    if (v.length < 2 || allowed.length === 0) {
      this.host.log('debug', 'No auth is possible');
      return { verdict: 'rej' };
    }
    const proto = v.readUInt16BE(0);
    const can = (p: number) => allowed.find((m) => m.protocol === p);
    const suggest = (...order: number[]): ConfigOption => {
      const m = order.map(can).find((x) => x) ?? allowed[0]!;
      return opt(LcpOpt.AuthProto, m.option);
    };
    // A second auth option in one request is rejected (pppd: "we've already accepted ...").
    if (this.his.auth) return { verdict: 'rej' };
    if (proto === PROTO_PAP || proto === PROTO_EAP) {
      if (v.length !== 2) return { verdict: 'rej' };
      const m = can(proto);
      if (m) {
        this.his.auth = m;
        return { verdict: 'ack' };
      }
      return { verdict: 'nak', nak: proto === PROTO_PAP ? suggest(PROTO_EAP, PROTO_CHAP) : suggest(PROTO_CHAP, PROTO_PAP) };
    }
    if (proto === PROTO_CHAP) {
      if (v.length !== 3) return { verdict: 'rej' };
      if (!can(PROTO_CHAP)) return { verdict: 'nak', nak: suggest(PROTO_EAP, PROTO_PAP) };
      const m = allowed.find((x) => x.protocol === PROTO_CHAP && x.chapDigest === v[2]);
      if (!m) return { verdict: 'nak', nak: suggest(PROTO_CHAP) }; // our best digest instead
      this.his.auth = m;
      return { verdict: 'ack' };
    }
    return { verdict: 'nak', nak: suggest(PROTO_EAP, PROTO_CHAP, PROTO_PAP) };
  }

  up(): void {
    // As IPCP's: Opened, a reply to our request can only be stale (Fsm.currentReply).
    this.lastReq = NO_BYTES;
    this.echosPending = 0;
    if (this.policy.echoInterval > 0) this.echoTimer.start(this.policy.echoInterval * 1000);
    this.host.up();
  }

  down(): void {
    this.echoTimer.stop();
    this.host.down();
  }

  starting(): void {
    this.host.starting();
  }

  finished(): void {
    this.host.finished();
  }

  extCode(code: number, id: number, data: Buffer): boolean {
    switch (code) {
      case Code.ProtRej:
        if (this.fsm.state !== State.Opened || data.length < 2) return true;
        this.host.protocolRejected(data.readUInt16BE(0));
        return true;
      case Code.EchoReq:
      case Code.EchoRep:
      case Code.DiscReq:
        this.fsm.receiveRxr(code, id, data);
        return true;
      case Code.Ident: // RFC 1570 §2.1: informational (Windows sends "MSRASV5.00")
      case Code.TimeRemaining: // RFC 1570 §2.2: informational
        this.stats.identRcvd++;
        return true;
      default:
        return false;
    }
  }

  /** RXR in Opened. */
  ser(code: number, id: number, data: Buffer): void {
    const ours = this.go.magic ?? 0;
    if (code === Code.EchoReq) {
      // RFC 1661 §5.8: the reply carries our magic; the rest is echoed back.
      const reply = Buffer.concat([u32(ours), data.subarray(4)]);
      this.fsm.sendExtended(Code.EchoRep, reply, id);
    } else if (code === Code.EchoRep) {
      if (data.length >= 4 && this.go.magic !== undefined && data.readUInt32BE(0) === this.go.magic) {
        this.stats.ownEchoReplies++;
        this.host.log('warn', 'appear to have received our own echo-reply!');
        return;
      }
      this.stats.echoRepliesRcvd++;
      this.echosPending = 0;
    }
  }

  /** Sends a Protocol-Reject for a packet of an unknown protocol (RFC 1661 §5.7). */
  protocolReject(protocol: number, info: Buffer, peerMru: number): void {
    if (this.fsm.state !== State.Opened) return;
    const room = Math.max(0, peerMru - 4 - 2);
    this.fsm.sendExtended(Code.ProtRej, Buffer.concat([u16(protocol), info.subarray(0, room)]));
  }

  /** pppd's LcpEchoCheck / LcpSendEchoRequest / LcpLinkFailure. */
  private echoCheck(): void {
    if (this.fsm.state !== State.Opened) return;
    if (this.policy.echoFailure > 0 && this.echosPending >= this.policy.echoFailure) {
      this.host.log('info', `No response to ${this.echosPending} echo-requests`);
      this.host.log('notice', 'Serial link appears to be disconnected.');
      this.echosPending = 0;
      this.host.linkFailure('peer-dead');
      return;
    }
    this.fsm.sendExtended(Code.EchoReq, u32(this.go.magic ?? 0), this.echoId++ & 0xff);
    this.stats.echoRequestsSent++;
    this.echosPending++;
    this.echoTimer.start(this.policy.echoInterval * 1000);
  }
}

export { PROTO_LCP };
