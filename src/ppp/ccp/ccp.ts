/**
 * The Compression Control Protocol (RFC 1962) as pppd 2.4.9 runs it (ccp.c), together with
 * what Linux's ppp_generic does with the result (compress what we send, decompress what we
 * receive, reset on Reset-Ack). The methods themselves are `CompressionMethod`s (method.ts)
 * listed in methods.ts in pppd's order of preference.
 *
 * CCP opens in the Network phase with the NCPs but is not one of them: it carries no
 * datagram protocol of its own, so it never counts for "link up" (pppd np_up) nor keeps a
 * link alive when every NCP is gone.
 */
import { Fsm, State, type FsmHandler, type ReqCiResult } from '../fsm.js';
import { Code, NO_BYTES, emitOptions, parseOptions, type ConfigOption } from '../packet.js';
import { PROTO_CCP, PROTO_LCP } from '../protocols.js';
import { NETWORK_PHASE, type Protent, type SessionContext } from '../protent.js';
import type { Timer } from '../timers.js';
import type { LogLevel } from '../log.js';
import type { Compressor, Decompressor, Frame, MethodContext, MethodNegotiation } from './method.js';
import type { SessionOptions } from '../session-options.js';
import type { MppeKeys } from '../auth/chap-digest.js';
import { COMPRESSION_METHODS } from './methods.js';

/** RFC 1962 §2: the Compressed Datagram protocol. */
export const PROTO_COMP = 0x00fd;
/** RFC 1962 §2.2, §2.3. */
export const CcpCode = { ResetReq: 14, ResetAck: 15 } as const;
/** pppd ccp.c RACKTIMEOUT: one second between Reset-Requests. */
const RESET_ACK_TIMEOUT_MS = 1000;

/** What crossed the compressor and decompressor, for `pppstats -z`-like reports and tests. */
export interface CcpStats {
  /** Data frames handed to the compressor, and their bytes (protocol + Information). */
  packetsOut: number;
  bytesBeforeOut: number;
  /** What went on the line for them (Compressed Datagrams or the frame as is). */
  bytesAfterOut: number;
  /** Frames the method chose to send uncompressed (incompressible or not its protocol). */
  incompressibleOut: number;
  /** Compressed Datagrams received and their bytes, and what they decompressed to. */
  packetsIn: number;
  bytesBeforeIn: number;
  bytesAfterIn: number;
  /** Uncompressed frames received while decompressing (fed to the history). */
  incompressibleIn: number;
  decompressErrors: number;
  /** Compressed Datagrams dropped: waiting for a Reset-Ack, or CCP not Opened. */
  dropped: number;
  resetRequestsSent: number;
  resetRequestsReceived: number;
  resetAcksSent: number;
  resetAcksReceived: number;
}

function zeroStats(): CcpStats {
  return {
    packetsOut: 0, bytesBeforeOut: 0, bytesAfterOut: 0, incompressibleOut: 0,
    packetsIn: 0, bytesBeforeIn: 0, bytesAfterIn: 0, incompressibleIn: 0,
    decompressErrors: 0, dropped: 0,
    resetRequestsSent: 0, resetRequestsReceived: 0, resetAcksSent: 0, resetAcksReceived: 0,
  };
}

/** The method (and its option) agreed one way. */
interface Agreed {
  method: MethodNegotiation;
  option: ConfigOption;
}

function sameOption(a: ConfigOption, b: ConfigOption): boolean {
  return a.type === b.type && a.value.equals(b.value);
}

/** pppd ccp.c's fsm callbacks over the method registry. */
export class Ccp implements FsmHandler {
  readonly fsm: Fsm;
  /** Our request as last sent, and the peer's request as last judged. */
  private lastReq: ConfigOption[] = [];
  private lastReqData: Buffer = NO_BYTES;
  private his: ConfigOption[] = [];
  /** pppd all_rejected: we rejected every option of the peer's request. */
  private allRejected = false;
  /** Agreed each way, once Opened. */
  rx: Agreed | undefined;
  tx: Agreed | undefined;

  constructor(
    readonly methods: readonly MethodNegotiation[],
    private readonly ctx: SessionContext,
    private readonly onUp: (rx: Agreed | undefined, tx: Agreed | undefined) => void,
    private readonly onDown: () => void,
    private readonly onExtCode: (code: number, id: number) => boolean,
  ) {
    // pppd fsm_init defaults: ccp.c sets no timers of its own.
    this.fsm = new Fsm(
      { name: 'CCP', restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 },
      this,
      { send: (p) => ctx.send(PROTO_CCP, p), log: (l, m) => ctx.log(l, m) },
      ctx.timers,
    );
  }

  /** The methods in play: only the exclusive one (MPPE) while it is wanted. */
  private active(): readonly MethodNegotiation[] {
    const ex = this.methods.find((m) => m.exclusive && m.request().length > 0);
    return ex ? [ex] : this.methods;
  }

  private owner(type: number, among: readonly MethodNegotiation[] = this.active()): MethodNegotiation | undefined {
    return among.find((m) => m.types.includes(type));
  }

  /** Whether we ask for anything (pppd ANY_COMPRESS(go)). */
  wantsAny(): boolean {
    return this.active().some((m) => m.request().length > 0);
  }

  resetCi(): void {
    for (const m of this.methods) m.reset();
    this.allRejected = false;
  }

  addCi(): Buffer {
    const req: ConfigOption[] = [];
    for (const m of this.active()) req.push(...m.request());
    this.lastReq = req;
    this.lastReqData = emitOptions(this.lastReq);
    return this.lastReqData;
  }

  ackCi(data: Buffer): boolean {
    if (data.equals(this.lastReqData)) return true;
    // pppd ccp_ackci "Cope with first/fast ack": an Ack of the first method's options only.
    const first = this.lastReq[0] && this.owner(this.lastReq[0].type);
    if (!first) return false;
    const firstOnly = emitOptions(this.lastReq.filter((o) => first.types.includes(o.type)));
    if (data.equals(firstOnly)) {
      this.lastReq = this.lastReq.filter((o) => first.types.includes(o.type));
      return true;
    }
    return false;
  }

  nakCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    // pppd ccp_nakci: a Nak in Opened changes nothing (the fsm renegotiates from scratch).
    if (this.fsm.state === State.Opened) return true;
    for (const o of opts) {
      if (!this.lastReq.some((r) => r.type === o.type)) continue; // RFC 1661 §5.3: may be ignored
      this.owner(o.type)?.nak(o);
    }
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    for (const o of opts) {
      const sent = this.lastReq.find((r) => r.type === o.type);
      const m = this.owner(o.type);
      if (!sent || !m || !sameOption(sent, o)) return false;
      if (this.fsm.state !== State.Opened && !m.reject(o)) return false;
    }
    return true;
  }

  reqCi(data: Buffer, dontNak: boolean): ReqCiResult {
    this.his = [];
    const opts = parseOptions(data);
    // pppd ccp_reqci: a bad length rejects the rest of the packet.
    if (!opts) return { code: Code.ConfRej, data };
    const seen = new Set<number>();
    const naks: ConfigOption[] = [];
    const rejs: ConfigOption[] = [];
    const active = this.active();
    let first = true;
    for (const o of opts) {
      // pppd: a repeated option (up to type 26) is ignored, with one warning.
      if (o.type <= 26 && seen.has(o.type)) {
        this.ctx.log('warn', 'CCP: ignoring duplicate configuration option(s)');
        continue;
      }
      seen.add(o.type);
      const m = this.owner(o.type, active);
      let v = m ? m.judge(o, first, dontNak) : { verdict: 'rej' as const };
      if (v.verdict === 'nak' && dontNak) v = { verdict: 'rej' };
      if (v.verdict === 'ack') this.his.push(o);
      else if (v.verdict === 'nak') naks.push({ type: o.type, value: v.value ?? o.value });
      else rejs.push(o);
      first = false;
    }
    for (const m of active) m.requestJudged?.(rejs.length > 0);
    if (rejs.length) {
      this.allRejected = rejs.length === opts.length && opts.length > 0;
      return { code: Code.ConfRej, data: emitOptions(rejs) };
    }
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  up(): void {
    // Linux ppp_ccp_peek: each way the first option of the acknowledged request is used.
    const pick = (opts: ConfigOption[]): Agreed | undefined => {
      const o = opts[0];
      const m = o && this.owner(o.type);
      return m && o ? { method: m, option: o } : undefined;
    };
    this.rx = pick(this.lastReq);
    this.tx = pick(this.his);
    // Opened, a reply can only be stale (Fsm.currentReply) and a new request rebuilds both:
    // the option lists are not kept for the life of an idle link.
    this.lastReq = [];
    this.lastReqData = NO_BYTES;
    this.his = [];
    this.logEnabled();
    this.onUp(this.rx, this.tx);
  }

  /** pppd ccp_up's notice. */
  private logEnabled(): void {
    const { rx, tx } = this;
    if (rx && tx) {
      if (rx.option.type === tx.option.type) this.ctx.log('notice', `${rx.method.describe(rx.option, tx.option)} compression enabled`);
      else this.ctx.log('notice', `${rx.method.describe(rx.option)} / ${tx.method.describe(tx.option)} compression enabled`);
    } else if (rx) this.ctx.log('notice', `${rx.method.describe(rx.option)} receive compression enabled`);
    else if (tx) this.ctx.log('notice', `${tx.method.describe(tx.option)} transmit compression enabled`);
  }

  down(): void {
    this.rx = undefined;
    this.tx = undefined;
    this.onDown();
  }

  starting(): void {}

  finished(): void {}

  extCode(code: number, id: number): boolean {
    return this.onExtCode(code, id);
  }

  /** pppd ccp_rejci's kludge: an empty Reject after we rejected everything. */
  get rejectedAll(): boolean {
    return this.allRejected;
  }
}

/** What the compression methods see of the session: one object, not three closures per session. */
class MethodContextOf implements MethodContext {
  constructor(private readonly ctx: SessionContext) {}
  get options(): SessionOptions {
    return this.ctx.options;
  }
  mppeKeys(): MppeKeys | undefined {
    return this.ctx.mppeKeys;
  }
  log(level: LogLevel, msg: string): void {
    this.ctx.log(level, msg);
  }
  closeLink(reason: string): void {
    this.ctx.closeLink(reason);
  }
}

/**
 * CCP's table entry. It also stands where Linux's ppp_generic does between the protocols
 * and the line: `filterOut` compresses what the session sends once CCP is Opened,
 * `filterIn` decompresses Compressed Datagrams before the session's protocol demux.
 */
export class CcpProtocol implements Protent {
  readonly name = 'CCP';
  readonly protocol = PROTO_CCP;
  readonly phases = NETWORK_PHASE;
  readonly kind = 'ccp';
  readonly enabled: boolean;
  readonly ccp: Ccp;
  readonly stats: CcpStats = zeroStats();
  private compressor: Compressor | undefined;
  private decompressor: Decompressor | undefined;
  /** pppd ccp_localstate: RACK_PENDING, RREQ_REPEAT; Linux SC_DC_ERROR. */
  private resetPending = false;
  private resetRepeat = false;
  private resetId = 0;
  private rxError = false;
  private readonly rackTimer: Timer;
  /** LCP is going down (lowerDown until the next lowerUp): CCP's own down is no news then. */
  private linkGoingDown = false;
  /** Data frames dropped because a required method (MPPE) had no compressor running. */
  mustCompressDrops = 0;

  constructor(private readonly ctx: SessionContext) {
    const o = ctx.options;
    this.enabled = !o.noccp;
    const methodCtx = new MethodContextOf(ctx);
    const methods = COMPRESSION_METHODS.map((m) => m.create(methodCtx)).filter((m): m is MethodNegotiation => m !== undefined);
    this.ccp = new Ccp(
      methods,
      ctx,
      (rx, tx) => {
        this.compressor?.close?.();
        this.decompressor?.close?.();
        this.decompressor = rx?.method.decompressor(rx.option);
        this.compressor = tx?.method.compressor(tx.option);
        this.rxError = false;
        this.tell('up');
        // pppd ccp_up: continue_networks once required encryption is in place.
        if (this.held) {
          this.held = false;
          ctx.continueNetworks();
        }
      },
      () => {
        this.tell('down');
        this.logStats();
        this.compressor?.close?.();
        this.decompressor?.close?.();
        this.compressor = undefined;
        this.decompressor = undefined;
        this.rxError = false;
        this.resetPending = false;
        this.resetRepeat = false;
        this.rackTimer.stop();
        for (const m of this.ccp.methods) m.down?.(this.linkGoingDown);
      },
      (code, id) => this.extCode(code, id),
    );
    this.rackTimer = ctx.timers.create(CcpProtocol.prototype.rackTimeout, this);
  }

  /** A method the link cannot do without is wanted (pppd ccp_gotoptions.mppe). */
  get required(): boolean {
    return this.ccp.methods.some((m) => m.required?.());
  }

  /** The agreed methods' compressor and decompressor (their counters, for reports and tests). */
  get running(): { compressor?: Compressor; decompressor?: Decompressor } {
    return { compressor: this.compressor, decompressor: this.decompressor };
  }

  /** NCPs wait for CCP (a method requires it; asked right after `open`). */
  get holdsNetworks(): boolean {
    return this.held;
  }

  private held = false;

  private tell(e: 'up' | 'down' | 'terminated-by-peer' | 'protocol-rejected'): void {
    for (const m of this.ccp.methods) m.ccpEvent?.(e);
  }

  /** CCP is Opened. */
  get isOpen(): boolean {
    return this.ccp.fsm.state === State.Opened;
  }

  /** The methods agreed, as pppd names them ("Deflate (15)"), for reports. */
  get agreed(): { rx?: string; tx?: string } {
    const { rx, tx } = this.ccp;
    return { rx: rx && rx.method.describe(rx.option), tx: tx && tx.method.describe(tx.option) };
  }

  input(info: Buffer): void {
    const before = this.ccp.fsm.state;
    const code = info[0];
    this.ccp.fsm.input(info);
    const after = this.ccp.fsm.state;
    if (before === State.Opened && code === Code.TermReq && after !== State.Opened) {
      this.ctx.log('notice', 'Compression disabled by peer.');
      this.tell('terminated-by-peer');
    }
    // pppd ccp_input: a Terminate-Ack while we ask for nothing ends CCP.
    if (before === State.ReqSent && code === Code.TermAck && !this.ccp.wantsAny()) this.close('No compression negotiated');
  }

  open(): void {
    this.ccp.resetCi();
    this.held = this.ccp.methods.some((m) => m.holdsNetworks);
    // pppd ccp_open: asking for nothing, CCP waits for the peer (OPT_SILENT): fsm_open in
    // Closed goes to Stopped instead of sending an empty Configure-Request.
    if (!this.ccp.wantsAny() && this.ccp.fsm.state === State.Closed) this.ccp.fsm.state = State.Stopped;
    else this.ccp.fsm.open();
  }

  lowerUp(): void {
    this.linkGoingDown = false;
    this.ccp.fsm.lowerUp();
  }

  lowerDown(): void {
    this.linkGoingDown = true;
    this.ccp.fsm.lowerDown();
  }

  close(reason: string): void {
    this.ccp.fsm.close(reason);
  }

  protocolRejected(): void {
    // pppd ccp_protrej: fsm_lowerdown, CCP is simply not run (MPPE required: the link ends).
    this.ccp.fsm.lowerDown();
    this.tell('protocol-rejected');
    for (const m of this.ccp.methods) m.protocolRejected?.();
  }

  /** A frame the session is about to send: compressed when a compressor runs (Linux ppp_send_frame). */
  filterOut(protocol: number, info: Buffer): Frame | undefined {
    // Linux: LCP and CCP itself are never compressed; methods take what is below 0x4000.
    if (!this.compressor || protocol === PROTO_LCP || protocol === PROTO_CCP || protocol >= 0x4000 || !this.isOpen) {
      // Linux SC_MUST_COMP: "compression required but down - pkt dropped".
      if (protocol < 0x4000 && this.required) {
        this.mustCompressDrops++;
        return undefined;
      }
      return { protocol, info };
    }
    this.stats.packetsOut++;
    this.stats.bytesBeforeOut += info.length + 2;
    const out = this.compressor.compress(protocol, info);
    if (!out) {
      this.stats.incompressibleOut++;
      this.stats.bytesAfterOut += info.length + 2;
      return { protocol, info };
    }
    this.stats.bytesAfterOut += out.length + 2;
    return { protocol: PROTO_COMP, info: out };
  }

  filtersOut(protocol: number): boolean {
    // As filterOut: what it passes unchanged is LCP, CCP, >= 0x4000, and anything while no
    // compressor runs unless compression is required.
    if (protocol === PROTO_LCP || protocol === PROTO_CCP || protocol >= 0x4000) return false;
    return this.required || (!!this.compressor && this.isOpen);
  }

  /** A frame from the line before the protocol demux: Compressed Datagrams come out decompressed (Linux ppp_receive_nonmp_frame). */
  filterIn(protocol: number, info: Buffer): Frame | undefined {
    if (protocol !== PROTO_COMP) {
      // Linux: an uncompressed frame while decompressing goes into the history (incomp).
      if (this.decompressor?.incomp && !this.rxError && protocol < 0x4000 && this.isOpen) {
        this.stats.incompressibleIn++;
        if (this.decompressor.incomp(protocol, info) === false) {
          this.stats.dropped++;
          return undefined;
        }
      }
      return { protocol, info };
    }
    if (!this.isOpen) {
      this.stats.dropped++;
      return undefined;
    }
    if (!this.decompressor || this.rxError) {
      // Linux passes it to pppd, whose ccp_datainput asks (again) for a reset.
      this.stats.dropped++;
      this.requestReset();
      return undefined;
    }
    this.stats.packetsIn++;
    this.stats.bytesBeforeIn += info.length + 2;
    const r = this.decompressor.decompress(info);
    if (r.ok) {
      this.stats.bytesAfterIn += r.frame.info.length + 2;
      return r.frame;
    }
    this.stats.decompressErrors++;
    this.ctx.log('debug', `CCP: decompression error: ${r.reason}`);
    if (r.error === 'drop') return undefined;
    if (r.error === 'fatal') {
      // pppd ccp_datainput: the Motorola patent case, compression is turned off.
      this.ctx.log('error', 'Lost compression sync: disabling compression');
      this.close('Lost compression sync');
      return undefined;
    }
    this.rxError = true;
    this.requestReset();
    return undefined;
  }

  /** What `pppstats -z` would show, once per CCP session (pppd itself logs nothing). */
  private logStats(): void {
    const s = this.stats;
    if (!s.packetsOut && !s.packetsIn) return;
    this.ctx.log(
      'info',
      `CCP: sent ${s.bytesBeforeOut} bytes as ${s.bytesAfterOut} (${s.packetsOut} packets, ${s.incompressibleOut} incompressible), ` +
        `received ${s.bytesBeforeIn} bytes that decompressed to ${s.bytesAfterIn} (${s.packetsIn} packets), ` +
        `${s.resetRequestsSent} Reset-Requests sent, ${s.resetRequestsReceived} received, ${s.decompressErrors} decompression errors, ${s.dropped} dropped`,
    );
  }

  /** pppd ccp_datainput: a Reset-Request, unless one is waiting for its Ack. */
  private requestReset(): void {
    if (!this.isOpen) return;
    if (this.resetPending) {
      this.resetRepeat = true;
      return;
    }
    this.resetId = this.ccp.fsm.sendExtended(CcpCode.ResetReq, Buffer.alloc(0));
    this.stats.resetRequestsSent++;
    this.resetPending = true;
    this.rackTimer.start(RESET_ACK_TIMEOUT_MS);
  }

  /** pppd ccp_rack_timeout. */
  private rackTimeout(): void {
    if (this.isOpen && this.resetRepeat) {
      this.ccp.fsm.sendExtended(CcpCode.ResetReq, Buffer.alloc(0), this.resetId);
      this.stats.resetRequestsSent++;
      this.rackTimer.start(RESET_ACK_TIMEOUT_MS);
      this.resetRepeat = false;
    } else {
      this.resetPending = false;
    }
  }

  /** pppd ccp_extcode, with what Linux ppp_ccp_peek does on the way. */
  private extCode(code: number, id: number): boolean {
    switch (code) {
      case CcpCode.ResetReq:
        this.stats.resetRequestsReceived++;
        if (!this.isOpen) return true;
        // RFC 1962 §2.3: the Reset-Ack goes out first, then everything after it is
        // compressed from an empty history (Linux resets on the outbound Ack).
        this.ccp.fsm.sendExtended(CcpCode.ResetAck, Buffer.alloc(0), id);
        this.stats.resetAcksSent++;
        this.compressor?.reset();
        return true;
      case CcpCode.ResetAck:
        this.stats.resetAcksReceived++;
        if (!this.isOpen) return true;
        // Linux resets the decompressor on any Reset-Ack; pppd stops repeating its request
        // only when the Ack answers it.
        this.decompressor?.reset();
        this.rxError = false;
        if (this.resetPending && id === this.resetId) {
          this.resetPending = false;
          this.resetRepeat = false;
          this.rackTimer.stop();
        }
        return true;
      default:
        return false;
    }
  }
}
