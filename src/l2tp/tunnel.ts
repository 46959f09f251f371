/**
 * One L2TP tunnel (RFC 2661 §7.2 control connection states) and its incoming calls
 * (§7.4.1 LAC / §7.4.2 LNS incoming call states), in either role:
 *
 *   initiator (LAC): SCCRQ → (SCCRP) → SCCCN → established; per call ICRQ → (ICRP) → ICCN
 *   responder (LNS): (SCCRQ) → SCCRP → (SCCCN) → established; per call (ICRQ) → ICRP → (ICCN)
 *
 * Tunnel authentication (§4.4.3, §5.1.1): with a shared secret each side sends a Challenge
 * and expects MD5(message type of the reply ‖ secret ‖ challenge) in the Challenge
 * Response (type 2 in SCCRP, 3 in SCCCN). HELLO (§6.5) keeps an idle tunnel checked;
 * StopCCN (§6.4) and CDN (§6.13) carry a Result Code.
 */
import { createHash } from 'node:crypto';
import { ControlChannel, type ChannelTiming } from './control-channel.js';
import { encodeData } from './header.js';
import { A, AvpSet, M, MESSAGE_NAMES, avp, describeResult, encodeAvps, resultCode, u16, u32, unknownMandatory, type Avp } from './avp.js';

export interface TunnelConfig {
  hostName: string;
  vendorName: string;
  /** The shared secret: tunnel authentication and hidden AVPs. */
  secret?: Buffer;
  /** Send the per-call AVPs hidden (§4.3; needs `secret`). */
  hideAvps: boolean;
  receiveWindow: number;
  timing: ChannelTiming;
  /** Send a HELLO after this long without hearing the peer (§6.5). */
  helloMs: number;
  /** How long a closed tunnel stays to acknowledge a retransmitted StopCCN (§5.7: "a full retransmission cycle"). */
  lingerMs: number;
  maxSessions: number;
  maxQueued: number;
  random(n: number): Buffer;
}

export type TunnelState = 'wait-ctl-reply' | 'wait-ctl-conn' | 'established' | 'closing' | 'closed';
type CallState = 'wait-tunnel' | 'wait-reply' | 'wait-connect' | 'established';

/** What an LNS learns from the LAC about the call (ICRQ/ICCN), proxy AVPs included. */
export interface CallInfo {
  callingNumber?: string;
  calledNumber?: string;
  txConnectSpeed?: number;
  /** Proxy LCP/authentication AVPs were sent (§4.4.5): we accept them and renegotiate LCP. */
  proxyAuthName?: string;
  proxyLcp: boolean;
}

export interface Call {
  localId: number;
  peerId: number;
  state: CallState;
  serial: number;
  /** §4.4.6 Sequencing Required: our data messages carry Ns/Nr. */
  sequencing: boolean;
  dataNs: number;
  info: CallInfo;
}

export type TunnelEvent =
  | { type: 'tunnel-up'; tunnel: number; peerHostName: string }
  | { type: 'tunnel-down'; tunnel: number; reason: string }
  | { type: 'session-up'; tunnel: number; session: number; info: CallInfo }
  | { type: 'session-down'; tunnel: number; session: number; reason: string }
  | { type: 'data'; tunnel: number; session: number; frame: Buffer }
  | { type: 'log'; tunnel: number; msg: string };

/** A decoded control message as the channel delivers it. */
export interface ControlMessage {
  type: number;
  /** The M bit of the Message Type AVP (an unknown type with M set tears the tunnel down, §3.2). */
  mandatory: boolean;
  avps: AvpSet;
}

/** The AVPs we may send hidden: per-call values, never Message Type or Random Vector. */
const HIDEABLE = new Set<number>([A.AssignedSessionId, A.CallSerialNumber, A.BearerType, A.FramingType, A.TxConnectSpeed, A.CallingNumber, A.CalledNumber]);

export class Tunnel {
  state: TunnelState;
  readonly channel: ControlChannel<ControlMessage>;
  readonly calls = new Map<number, Call>();
  peerHostName = '';
  /** When the tunnel was last heard from (HELLO timing) and when a closed one may go. */
  private lastHeard: number;
  private removeAt?: number;
  /** The challenge we sent (tunnel authentication), until the answer came. */
  private challenge?: Buffer;
  private nextSerial = 1;
  readonly counters = { dataIn: 0, dataOut: 0, dataDropped: 0, authFailures: 0 };

  constructor(
    readonly localId: number,
    readonly peer: string,
    readonly initiator: boolean,
    private readonly cfg: TunnelConfig,
    private readonly emit: (ev: TunnelEvent) => void,
    private readonly transmit: (bytes: Buffer) => void,
    now: number,
  ) {
    this.channel = new ControlChannel<ControlMessage>(cfg.timing, cfg.receiveWindow, cfg.maxQueued);
    this.lastHeard = now;
    this.state = initiator ? 'wait-ctl-reply' : 'wait-ctl-conn';
    if (initiator) {
      // §6.1 SCCRQ.
      const avps = this.tunnelAvps();
      if (cfg.secret) avps.push(avp(A.Challenge, (this.challenge = cfg.random(16))));
      this.send(M.SCCRQ, 0, avps, now);
    }
  }

  get peerTunnelId(): number {
    return this.channel.peerTunnelId;
  }

  /** A closed tunnel past its linger time: the endpoint forgets it. */
  gone(now: number): boolean {
    return this.state === 'closed' && this.removeAt !== undefined && now >= this.removeAt;
  }

  /** An LNS's first message: the SCCRQ that made this tunnel. */
  acceptSccrq(msg: ControlMessage, now: number): void {
    const a = msg.avps;
    this.channel.peerTunnelId = a.u16(A.AssignedTunnelId) ?? 0;
    this.channel.peerWindow = a.u16(A.ReceiveWindowSize) ?? 4;
    this.peerHostName = a.text(A.HostName) ?? '';
    const avps = this.tunnelAvps();
    const theirs = a.raw(A.Challenge);
    if (theirs) {
      if (!this.cfg.secret) return this.stop(4, 'challenge received but no secret configured', now);
      avps.push(avp(A.ChallengeResponse, chapResponse(M.SCCRP, this.cfg.secret, theirs)));
    } else if (this.cfg.secret) {
      // We can still authenticate the peer: our challenge is answered in its SCCCN.
    }
    if (this.cfg.secret) avps.push(avp(A.Challenge, (this.challenge = this.cfg.random(16))));
    this.send(M.SCCRP, 0, avps, now);
  }

  /** A message the channel delivered in order. */
  handle(sessionId: number, msg: ControlMessage, now: number): void {
    if (this.state === 'closed' || this.state === 'closing') {
      // Only the peer's StopCCN matters now; the rest is acknowledged and dropped.
      if (msg.type === M.StopCCN && this.state === 'closing') this.down(`peer sent StopCCN (${describeResult(msg.avps.raw(A.ResultCode))})`, now);
      return;
    }
    const bad = unknownMandatory(msg.avps.list);
    if (bad) {
      // §4.1: an unrecognised AVP with M set: a call message ends the call, others the tunnel.
      const call = sessionId ? this.calls.get(sessionId) : undefined;
      if (call) return this.endCall(call, 2, `unknown mandatory AVP ${bad.vendor}:${bad.type}`, now, 8);
      return this.stop(2, `unknown mandatory AVP ${bad.vendor}:${bad.type}`, now, 8);
    }
    switch (msg.type) {
      case M.SCCRP: return this.onSccrp(msg.avps, now);
      case M.SCCCN: return this.onScccn(msg.avps, now);
      case M.StopCCN:
        this.log(`peer sent StopCCN (${describeResult(msg.avps.raw(A.ResultCode))})`);
        return this.down('peer sent StopCCN', now);
      case M.HELLO: return;
      case M.ICRQ: return this.onIcrq(msg.avps, now);
      case M.ICRP: return this.onIcrp(sessionId, msg.avps, now);
      case M.ICCN: return this.onIccn(sessionId, msg.avps, now);
      case M.CDN: return this.onCdn(sessionId, msg.avps);
      case M.OCRQ: {
        // We place no outgoing calls (§6.7): refuse with CDN, result 2 (general error).
        const peerSession = msg.avps.u16(A.AssignedSessionId) ?? 0;
        this.send(M.CDN, peerSession, [avp(A.ResultCode, resultCode(2, 6, 'outgoing calls not supported')), avp(A.AssignedSessionId, u16(0))], now);
        return;
      }
      case M.WEN:
      case M.SLI:
        return;
      default:
        // §3.2: an unknown message type with M set tears the tunnel down; without, ignored.
        if (msg.mandatory) return this.stop(2, `unknown message type ${msg.type}`, now, 8);
        return;
    }
  }

  /** A data message for one of our calls (§3.1, T=0). */
  data(sessionId: number, frame: Buffer, now: number): void {
    this.lastHeard = now;
    const call = this.calls.get(sessionId);
    if (!call || call.state !== 'established' || this.state !== 'established') {
      this.counters.dataDropped++;
      return;
    }
    this.counters.dataIn++;
    this.emit({ type: 'data', tunnel: this.localId, session: sessionId, frame });
  }

  heard(now: number): void {
    this.lastHeard = now;
  }

  /** LAC: start an incoming call (§6.10 ICRQ), now or when the tunnel is up. */
  openCall(now: number, info: Partial<CallInfo> = {}): number | undefined {
    if (this.calls.size >= this.cfg.maxSessions || this.state === 'closing' || this.state === 'closed') return undefined;
    const localId = this.newCallId();
    const call: Call = { localId, peerId: 0, state: 'wait-tunnel', serial: this.nextSerial++, sequencing: false, dataNs: 0, info: { proxyLcp: false, ...info } };
    this.calls.set(localId, call);
    if (this.state === 'established') this.sendIcrq(call, now);
    return localId;
  }

  sendFrame(sessionId: number, frame: Buffer): boolean {
    const call = this.calls.get(sessionId);
    if (!call || call.state !== 'established' || this.state !== 'established') return false;
    const seq = call.sequencing ? { ns: call.dataNs, nr: 0 } : undefined;
    if (call.sequencing) call.dataNs = (call.dataNs + 1) & 0xffff;
    this.counters.dataOut++;
    this.transmit(encodeData(this.peerTunnelId, call.peerId, frame, seq));
    return true;
  }

  /** Ends one call with CDN (§6.13); result 3 is "disconnected for administrative reasons". */
  closeCall(sessionId: number, now: number, result = 3, message?: string): void {
    const call = this.calls.get(sessionId);
    if (call) this.endCall(call, result, message ?? 'administrative disconnect', now);
  }

  /** Ends the tunnel with StopCCN (§6.4); result 1 is "general request to clear". */
  close(now: number, result = 1, message = 'closing'): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.stop(result, message, now);
  }

  tick(now: number): void {
    if (this.state === 'closed') return;
    this.channel.tick(now);
    if (this.channel.failed) {
      // §5.8: no acknowledgement after the retries: the peer is gone; clean up silently.
      this.down(this.state === 'closing' ? 'StopCCN not acknowledged' : 'peer not responding (control channel gave up)', now);
      return;
    }
    if (this.state === 'closing' && this.channel.idle) return this.down('closed', now);
    if (this.state === 'established' && this.channel.idle && now - this.lastHeard >= this.cfg.helloMs) {
      this.lastHeard = now;
      this.send(M.HELLO, 0, [], now);
    }
  }

  nextDeadline(): number | undefined {
    if (this.state === 'closed') return this.removeAt;
    const a = this.channel.nextDeadline();
    const hello = this.state === 'established' && this.channel.idle ? this.lastHeard + this.cfg.helloMs : undefined;
    if (a === undefined) return hello;
    return hello === undefined ? a : Math.min(a, hello);
  }

  /** Flushes the channel's datagrams (after a round of input or a tick). */
  flush(): void {
    this.channel.flushAck();
    for (const b of this.channel.output) this.transmit(b);
    this.channel.output = [];
  }

  private onSccrp(a: AvpSet, now: number): void {
    if (this.state !== 'wait-ctl-reply') return;
    this.channel.peerTunnelId = a.u16(A.AssignedTunnelId) ?? 0;
    this.channel.peerWindow = a.u16(A.ReceiveWindowSize) ?? 4;
    this.peerHostName = a.text(A.HostName) ?? '';
    if (!this.channel.peerTunnelId) return this.stop(2, 'SCCRP without Assigned Tunnel ID', now, 2);
    if (this.challenge && !this.answered(M.SCCRP, a.raw(A.ChallengeResponse))) {
      this.counters.authFailures++;
      return this.stop(4, 'tunnel authentication failed (bad Challenge Response in SCCRP)', now);
    }
    const avps: Avp[] = [];
    const theirs = a.raw(A.Challenge);
    if (theirs) {
      if (!this.cfg.secret) return this.stop(4, 'challenge received but no secret configured', now);
      avps.push(avp(A.ChallengeResponse, chapResponse(M.SCCCN, this.cfg.secret, theirs)));
    }
    this.send(M.SCCCN, 0, avps, now);
    this.up(now);
  }

  private onScccn(a: AvpSet, now: number): void {
    if (this.state !== 'wait-ctl-conn') return;
    if (this.challenge && !this.answered(M.SCCCN, a.raw(A.ChallengeResponse))) {
      this.counters.authFailures++;
      return this.stop(4, 'tunnel authentication failed (bad Challenge Response in SCCCN)', now);
    }
    this.up(now);
  }

  private up(now: number): void {
    this.state = 'established';
    this.challenge = undefined;
    this.log(`tunnel established with ${this.peerHostName || this.peer} (local id ${this.localId}, peer id ${this.peerTunnelId})`);
    this.emit({ type: 'tunnel-up', tunnel: this.localId, peerHostName: this.peerHostName });
    for (const call of this.calls.values()) if (call.state === 'wait-tunnel') this.sendIcrq(call, now);
  }

  private answered(type: number, response: Buffer | undefined): boolean {
    if (!this.challenge || !this.cfg.secret || !response || response.length !== 16) return false;
    return chapResponse(type, this.cfg.secret, this.challenge).equals(response);
  }

  private onIcrq(a: AvpSet, now: number): void {
    if (this.state !== 'established') return;
    const peerId = a.u16(A.AssignedSessionId);
    if (!peerId) {
      this.log('ICRQ without Assigned Session ID: dropped');
      return;
    }
    // A retransmitted ICRQ arrives once (the channel dropped the duplicate); a second call
    // with the same id from the peer is refused.
    if ([...this.calls.values()].some((c) => c.peerId === peerId)) return;
    if (this.calls.size >= this.cfg.maxSessions) {
      this.send(M.CDN, peerId, [avp(A.ResultCode, resultCode(4, 4, 'too many sessions')), avp(A.AssignedSessionId, u16(0))], now);
      return;
    }
    const localId = this.newCallId();
    const info: CallInfo = { proxyLcp: false };
    const calling = a.text(A.CallingNumber);
    const called = a.text(A.CalledNumber);
    if (calling !== undefined) info.callingNumber = calling;
    if (called !== undefined) info.calledNumber = called;
    const call: Call = { localId, peerId, state: 'wait-connect', serial: a.u32(A.CallSerialNumber) ?? 0, sequencing: false, dataNs: 0, info };
    this.calls.set(localId, call);
    this.send(M.ICRP, peerId, [avp(A.AssignedSessionId, u16(localId), { hidden: this.hiding(A.AssignedSessionId) })], now);
  }

  private onIcrp(sessionId: number, a: AvpSet, now: number): void {
    const call = this.calls.get(sessionId);
    if (!call || call.state !== 'wait-reply') return;
    const peerId = a.u16(A.AssignedSessionId);
    if (!peerId) return this.endCall(call, 2, 'ICRP without Assigned Session ID', now, 2);
    call.peerId = peerId;
    // §6.12 ICCN: (Tx) Connect Speed and Framing Type are required.
    this.send(M.ICCN, peerId, [
      avp(A.TxConnectSpeed, u32(call.info.txConnectSpeed ?? 100_000_000), { hidden: this.hiding(A.TxConnectSpeed) }),
      avp(A.FramingType, u32(1), { hidden: this.hiding(A.FramingType) }),
    ], now);
    this.callUp(call);
  }

  private onIccn(sessionId: number, a: AvpSet, now: number): void {
    void now;
    const call = this.calls.get(sessionId);
    if (!call || call.state !== 'wait-connect') return;
    const speed = a.u32(A.TxConnectSpeed);
    if (speed !== undefined) call.info.txConnectSpeed = speed;
    // §4.4.5 proxy LCP and authentication: accepted, not used (LCP is renegotiated, as
    // pppd on an LNS does without a proxy-LCP plugin).
    call.info.proxyLcp = a.has(A.InitialReceivedLcpConfReq) || a.has(A.LastSentLcpConfReq) || a.has(A.LastReceivedLcpConfReq);
    const name = a.text(A.ProxyAuthenName);
    if (name !== undefined) call.info.proxyAuthName = name;
    call.sequencing = a.has(A.SequencingRequired);
    this.callUp(call);
  }

  private callUp(call: Call): void {
    call.state = 'established';
    this.log(`session ${call.localId} established (peer session ${call.peerId}, serial ${call.serial})`);
    this.emit({ type: 'session-up', tunnel: this.localId, session: call.localId, info: call.info });
  }

  private onCdn(sessionId: number, a: AvpSet): void {
    const call = this.calls.get(sessionId);
    if (!call) return;
    this.calls.delete(sessionId);
    const why = `peer sent CDN (${describeResult(a.raw(A.ResultCode))})`;
    this.log(`session ${sessionId}: ${why}`);
    this.emit({ type: 'session-down', tunnel: this.localId, session: sessionId, reason: why });
  }

  private sendIcrq(call: Call, now: number): void {
    call.state = 'wait-reply';
    const avps = [
      avp(A.AssignedSessionId, u16(call.localId), { hidden: this.hiding(A.AssignedSessionId) }),
      avp(A.CallSerialNumber, u32(call.serial), { hidden: this.hiding(A.CallSerialNumber) }),
      avp(A.BearerType, u32(0), { hidden: this.hiding(A.BearerType) }),
    ];
    if (call.info.callingNumber) avps.push(avp(A.CallingNumber, Buffer.from(call.info.callingNumber, 'latin1'), { hidden: this.hiding(A.CallingNumber) }));
    this.send(M.ICRQ, 0, avps, now);
  }

  private endCall(call: Call, result: number, message: string, now: number, error?: number): void {
    this.calls.delete(call.localId);
    if (call.state !== 'wait-tunnel' && this.state === 'established') {
      this.send(M.CDN, call.peerId, [avp(A.ResultCode, resultCode(result, error ?? 0, message)), avp(A.AssignedSessionId, u16(call.localId))], now);
    }
    this.log(`session ${call.localId} closed: ${message}`);
    this.emit({ type: 'session-down', tunnel: this.localId, session: call.localId, reason: message });
  }

  /** Sends StopCCN and waits for its acknowledgement (state closing). */
  private stop(result: number, message: string, now: number, error?: number): void {
    this.log(`sending StopCCN: ${message}`);
    this.dropCalls(message);
    this.send(M.StopCCN, 0, [avp(A.AssignedTunnelId, u16(this.localId)), avp(A.ResultCode, resultCode(result, error ?? 0, message))], now);
    this.state = 'closing';
    this.emit({ type: 'tunnel-down', tunnel: this.localId, reason: message });
  }

  private down(reason: string, now: number): void {
    const wasOpen = this.state !== 'closing';
    this.dropCalls(reason);
    this.state = 'closed';
    this.removeAt = now + this.cfg.lingerMs;
    if (wasOpen) {
      this.log(`tunnel down: ${reason}`);
      this.emit({ type: 'tunnel-down', tunnel: this.localId, reason });
    }
  }

  private dropCalls(reason: string): void {
    for (const call of this.calls.values()) this.emit({ type: 'session-down', tunnel: this.localId, session: call.localId, reason });
    this.calls.clear();
  }

  private send(type: number, sessionId: number, avps: Avp[], now: number): void {
    const hidden = avps.some((a) => a.hidden);
    const list = [avp(A.MessageType, u16(type)), ...(hidden ? [avp(A.RandomVector, this.cfg.random(16))] : []), ...avps];
    const body = encodeAvps(list, this.cfg.secret, () => 0);
    if (!this.channel.send(sessionId, body, now)) {
      // A peer that acknowledges nothing while we keep sending: bounded, so give up.
      this.log(`control queue full: dropping ${MESSAGE_NAMES[type] ?? type}`);
      this.channel.failed = true;
    }
  }

  private tunnelAvps(): Avp[] {
    return [
      avp(A.ProtocolVersion, u16(0x0100)),
      avp(A.HostName, Buffer.from(this.cfg.hostName, 'latin1')),
      avp(A.FramingCapabilities, u32(3)),
      avp(A.BearerCapabilities, u32(0), { mandatory: false }),
      avp(A.FirmwareRevision, u16(0x0100), { mandatory: false }),
      avp(A.VendorName, Buffer.from(this.cfg.vendorName, 'latin1'), { mandatory: false }),
      avp(A.AssignedTunnelId, u16(this.localId)),
      avp(A.ReceiveWindowSize, u16(this.cfg.receiveWindow)),
    ];
  }

  private hiding(type: number): boolean {
    return this.cfg.hideAvps && !!this.cfg.secret && HIDEABLE.has(type);
  }

  private newCallId(): number {
    for (;;) {
      const id = this.cfg.random(2).readUInt16BE(0);
      if (id !== 0 && !this.calls.has(id)) return id;
    }
  }

  private log(msg: string): void {
    this.emit({ type: 'log', tunnel: this.localId, msg });
  }
}

/** §4.4.3 (like CHAP, RFC 1994): MD5(message type ‖ secret ‖ challenge). */
export function chapResponse(type: number, secret: Buffer, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.from([type])).update(secret).update(challenge).digest();
}
