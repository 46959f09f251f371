/**
 * LCP (RFC 1661 §5–6): the link's options plugged into the generic automaton, plus
 * the codes only LCP has (Protocol-Reject, Echo, Discard) and the echo keepalive.
 * Option handling follows pppd's lcp.c where the RFC leaves room.
 */
import { Fsm, State, type FsmConfig, type FsmHandler, type ReqCiResult } from './fsm.js';
import { Code, emitOptions, opt, parseOptions, u16, u32, type ConfigOption } from './packet.js';
import type { Timer, Timers } from './timers.js';
import { PROTO_CHAP, PROTO_LCP, PROTO_PAP } from './protocols.js';

export const LcpOpt = { MRU: 1, ACCM: 2, AuthProto: 3, Quality: 4, Magic: 5, PFC: 7, ACFC: 8 } as const;
export const CHAP_MD5 = 5;
/** RFC 1661 §6.1 allows any MRU, pppd refuses to go below this (MINMRU). */
const MIN_MRU = 128;
export const DEFAULT_MRU = 1500;

export type AuthProto = 'pap' | 'chap';

export interface LcpPolicy {
  /** Our receive MRU; requested when it differs from 1500. */
  mru: number;
  /** Characters we want the peer to escape (pppd `asyncmap`); undefined = don't negotiate. */
  asyncmap: number | undefined;
  magic: boolean;
  pcomp: boolean;
  accomp: boolean;
  /** Protocols we may ask the peer to authenticate with, in preference order CHAP, PAP. */
  authPeer: { chap: boolean; pap: boolean };
  /** Protocols we are able to authenticate ourselves with, if the peer asks. */
  authSelf: { chap: boolean; pap: boolean };
  echoInterval: number;
  echoFailure: number;
  /** pppd's lcp_loopbackfail (DEFLOOPBACKFAIL). */
  loopbackFail: number;
}

/** What we asked for and got (pppd's `go`), or what the peer asked for and we acked (`ho`). */
export interface LcpValues {
  mru?: number;
  asyncmap?: number;
  auth?: AuthProto;
  magic?: number;
  pcomp: boolean;
  accomp: boolean;
}

export interface LcpHost {
  send(packet: Buffer): void;
  log(level: 'debug' | 'info' | 'notice' | 'warn' | 'error', msg: string): void;
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
  readonly stats = { echoRequestsSent: 0, echoRepliesRcvd: 0, ownEchoReplies: 0 };
  private lastReq: Buffer = Buffer.alloc(0);
  private loopedBack = false;
  private numLoops = 0;
  private echosPending = 0;
  private echoId = 0;
  private readonly echoTimer: Timer;

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
    this.go = {
      mru: p.mru !== DEFAULT_MRU ? p.mru : undefined,
      asyncmap: p.asyncmap,
      auth: p.authPeer.chap ? 'chap' : p.authPeer.pap ? 'pap' : undefined,
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
    if (g.auth === 'chap') o.push(opt(LcpOpt.AuthProto, [...u16(PROTO_CHAP), CHAP_MD5]));
    else if (g.auth === 'pap') o.push(opt(LcpOpt.AuthProto, u16(PROTO_PAP)));
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
          const proto = v.readUInt16BE(0);
          const p = this.policy.authPeer;
          if (proto === PROTO_PAP && v.length === 2) {
            // They suggest PAP: only a Nak of our CHAP request can mean that.
            if (this.go.auth !== 'chap') return false;
            next.auth = p.pap ? 'pap' : undefined;
          } else if (proto === PROTO_CHAP && v.length === 3) {
            if (this.go.auth === 'chap') {
              if (v[2] === CHAP_MD5) return false; // Nak'd MD5 but suggests MD5 back: bad Nak (pppd)
              next.auth = p.pap ? 'pap' : undefined; // no other digest here: next protocol
            } else {
              next.auth = undefined;
            }
          } else {
            next.auth = this.go.auth === 'chap' && p.pap ? 'pap' : undefined;
          }
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
        case LcpOpt.AuthProto: next.auth = undefined; break; // a Reject refuses authentication outright
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
          const self = p.authSelf;
          if (v.length < 2 || (!self.chap && !self.pap)) { verdict = 'rej'; break; }
          const proto = v.readUInt16BE(0);
          const suggest = self.chap ? opt(LcpOpt.AuthProto, [...u16(PROTO_CHAP), CHAP_MD5]) : opt(LcpOpt.AuthProto, u16(PROTO_PAP));
          if (this.his.auth) { verdict = 'rej'; break; } // a second auth option (pppd rejects it)
          if (proto === PROTO_PAP) {
            if (v.length !== 2) verdict = 'rej';
            else if (!self.pap) { verdict = 'nak'; nakValue = suggest; }
            else this.his.auth = 'pap';
          } else if (proto === PROTO_CHAP) {
            if (v.length !== 3) verdict = 'rej';
            else if (!self.chap) { verdict = 'nak'; nakValue = opt(LcpOpt.AuthProto, u16(PROTO_PAP)); }
            else if (v[2] !== CHAP_MD5) { verdict = 'nak'; nakValue = suggest; } // e.g. MS-CHAP (0x80, 0x81)
            else this.his.auth = 'chap';
          } else {
            verdict = 'nak';
            nakValue = suggest;
          }
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

  up(): void {
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
      case 12: // Identification (RFC 1570): informational
      case 13: // Time-Remaining (RFC 1570): informational
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
