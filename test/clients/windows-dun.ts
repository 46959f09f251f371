/**
 * A test client that negotiates like Windows 2000 Dial-Up Networking (RAS, "MSRASV5.00"),
 * sans-IO, built from the project's own pieces: the RFC 1661 automaton (Fsm) with a
 * Windows-flavoured FsmHandler for LCP, IPCP and CCP, async HDLC framing, the PAP and CHAP
 * clients with pluggable digests, and deadline timers.
 *
 * What Windows does and this client reproduces (from pppd logs of real Windows clients):
 *
 *   LCP ConfReq  <asyncmap 0x0> <magic ...> <pcomp> <accomp> <callback CBCP> <mrru 1614>
 *                <endpoint [local:..20 octets..]>; a Configure-Reject drops the options
 *                and the request is sent again without them.
 *   LCP Ident    magic + "MSRASV5.00", magic + "MSRAS-0-<MACHINE>" once LCP is up.
 *   Auth         the method the server asked for if allowed, else a Nak with our preference.
 *   CCP ConfReq  <mppe +H -M -S -L -D +C> (01 00 00 01); Protocol-Reject stops CCP, a
 *                Reject/Nak that leaves nothing ends CCP; the link goes on uncompressed.
 *   IPCP ConfReq [<compress VJ 0f 01>] <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-wins 0.0.0.0>
 *                <ms-dns2 0.0.0.0> <ms-wins 0.0.0.0>; Naks are taken, Rejects dropped; the
 *                server's <compress VJ ..> is acked.
 *
 * Driving it: `start(now)`, `input(bytes, now)`, `tick(now)` at `nextDeadline()`, then
 * `takeOutput()` for the line and `takeEvents()` for what happened. `driveSocket` below
 * does that over a real net.Socket with real time.
 */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { Fsm, State, type FsmHandler, type ReqCiResult } from '../../src/ppp/fsm.js';
import { Code, emitOptions, opt, parseOptions, u16, u32, type ConfigOption } from '../../src/ppp/packet.js';
import { Timers } from '../../src/ppp/timers.js';
import { AsyncHdlcLink } from '../../src/ppp/link/async-hdlc.js';
import { LINK_DEFAULTS } from '../../src/ppp/link/link.js';
import { PapClient } from '../../src/ppp/auth/pap.js';
import { ChapClient } from '../../src/ppp/auth/chap.js';
import { chapMd5Digest } from '../../src/ppp/auth/chap-md5.js';
import type { ChapDigest } from '../../src/ppp/auth/chap-digest.js';
import type { AuthHost } from '../../src/ppp/auth/host.js';
import type { AuthRole } from '../../src/ppp/auth/methods.js';
import { LcpOpt } from '../../src/ppp/lcp.js';
import { IpcpOpt } from '../../src/ppp/ipcp.js';
import { PROTO_CCP, PROTO_CHAP, PROTO_IPCP, PROTO_LCP, PROTO_PAP, PROTO_VJ_COMP } from '../../src/ppp/protocols.js';
import { describePacket } from '../../src/ppp/registry.js';
import { ip4ToString } from '../../src/wire/ipv4.js';
import type { LogLevel } from '../../src/ppp/log.js';

/** The CHAP Algorithm octets (RFC 1994, RFC 2433, RFC 2759). */
export const CHAP_ALG = { md5: 5, mschap: 0x80, mschapV2: 0x81 } as const;

export type DunAuth = 'pap' | 'chap-md5' | 'mschap' | 'mschap-v2';

/** Windows asks for the strongest first. */
export const WINDOWS_AUTH_PREFERENCE: readonly DunAuth[] = ['mschap-v2', 'mschap', 'chap-md5', 'pap'];

const CHAP_ALG_OF: Record<Exclude<DunAuth, 'pap'>, number> = { 'chap-md5': CHAP_ALG.md5, mschap: CHAP_ALG.mschap, 'mschap-v2': CHAP_ALG.mschapV2 };

/** LCP Callback operation 6: Callback Control Protocol (what Windows asks for). */
const CALLBACK_CBCP = 6;
/** CCP option 18: MPPE/MPPC (RFC 3078 §2), supported bits +H (0x01 in octet 0), +C (0x01 in octet 3). */
const CCP_MPPE = 18;
export const WINDOWS_MPPE_BITS = Buffer.from([0x01, 0x00, 0x00, 0x01]);

export interface WindowsDunOptions {
  user: string;
  password: string;
  /** Auth methods we accept, best first (default WINDOWS_AUTH_PREFERENCE). */
  auth?: readonly DunAuth[];
  /** CHAP digests by Algorithm octet; MD5 is built in. A CHAP method without a digest is not offered. */
  digests?: Record<number, ChapDigest>;
  /** Seed of the deterministic RNG (magic numbers, endpoint, challenges). */
  seed?: string;
  /** Or entropy from elsewhere. */
  randomBytes?: (n: number) => Buffer;
  /** "MSRAS-0-<machine>" in the second Ident packet. */
  machine?: string;
  /** Windows 95/98: ask for Van Jacobson compression <compress VJ 0f 01> in IPCP. */
  vj?: boolean;
  /** Ask for MPPE in CCP (default true). */
  ccp?: boolean;
  /** LCP/IPCP/CCP restart timer (ms), Windows uses 3 s. */
  restartMs?: number;
  maxConfigure?: number;
  /** Identification strings after LCP opens (default "MSRASV5.00", "MSRAS-0-<machine>"). */
  ident?: readonly string[];
}

export type DunEvent =
  | { type: 'lcp-up'; auth?: DunAuth; magic?: number; peerMagic?: number }
  | { type: 'auth-ok'; method: DunAuth }
  | { type: 'auth-fail'; method: DunAuth }
  | { type: 'ccp-up'; mppe: Buffer }
  | { type: 'ccp-down'; reason: string }
  | { type: 'ip-up'; local: number; remote: number; dns: [number, number]; wins: [number, number] }
  | { type: 'ip-down' }
  | { type: 'dead'; reason: string };

/** Deterministic entropy (the same construction as src/ppp/testing/pair.ts's `seeded`). */
export function seededRandom(seed: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, i);
    return out;
  };
}

function sentOption(lastReq: Buffer, o: ConfigOption): boolean {
  const mine = (parseOptions(lastReq) ?? []).find((s) => s.type === o.type);
  return !!mine && mine.value.equals(o.value);
}

interface LcpHooks {
  send(p: Buffer): void;
  log(level: LogLevel, msg: string): void;
  random32(): number;
  up(): void;
  down(): void;
  finished(): void;
  protocolRejected(proto: number): void;
  /** Auth methods we accept now, best first. */
  allowed(): DunAuth[];
}

interface WinLcpGo {
  asyncmap?: number;
  magic?: number;
  pcomp: boolean;
  accomp: boolean;
  callback?: number;
  mrru?: number;
  endpoint?: Buffer;
}

/** LCP as Windows RAS negotiates it. */
class WinLcp implements FsmHandler {
  fsm!: Fsm;
  go: WinLcpGo = { pcomp: false, accomp: false };
  his: { mru?: number; asyncmap?: number; magic?: number; pcomp: boolean; accomp: boolean; auth?: DunAuth } = { pcomp: false, accomp: false };
  readonly rejectedByPeer: number[] = [];
  readonly stats = { identRcvd: 0, protRejRcvd: 0, codeRejRcvd: 0 };
  private lastReq: Buffer = Buffer.alloc(0);

  constructor(private readonly h: LcpHooks, private readonly endpoint: Buffer) {}

  resetCi(): void {
    this.go = {
      asyncmap: 0,
      magic: this.h.random32(),
      pcomp: true,
      accomp: true,
      callback: CALLBACK_CBCP,
      mrru: 1614,
      endpoint: this.endpoint,
    };
  }

  addCi(): Buffer {
    const g = this.go;
    const o: ConfigOption[] = [];
    if (g.asyncmap !== undefined) o.push(opt(LcpOpt.ACCM, u32(g.asyncmap)));
    if (g.magic !== undefined) o.push(opt(LcpOpt.Magic, u32(g.magic)));
    if (g.pcomp) o.push(opt(LcpOpt.PFC));
    if (g.accomp) o.push(opt(LcpOpt.ACFC));
    if (g.callback !== undefined) o.push(opt(LcpOpt.Callback, [g.callback]));
    if (g.mrru !== undefined) o.push(opt(LcpOpt.MRRU, u16(g.mrru)));
    if (g.endpoint) o.push(opt(LcpOpt.Endpoint, Buffer.concat([Buffer.from([1]), g.endpoint])));
    this.lastReq = emitOptions(o);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    return data.equals(this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = { ...this.go };
    for (const o of opts) {
      const v = o.value;
      switch (o.type) {
        case LcpOpt.ACCM:
          if (v.length !== 4) return false;
          next.asyncmap = treatAsReject ? undefined : ((next.asyncmap ?? 0) | v.readUInt32BE(0)) >>> 0;
          break;
        case LcpOpt.Magic:
          next.magic = this.h.random32();
          break;
        case LcpOpt.PFC: next.pcomp = false; break;
        case LcpOpt.ACFC: next.accomp = false; break;
        case LcpOpt.Callback: next.callback = undefined; break;
        case LcpOpt.MRRU:
          if (v.length !== 2) return false;
          next.mrru = treatAsReject ? undefined : v.readUInt16BE(0);
          break;
        case LcpOpt.Endpoint: next.endpoint = undefined; break;
        default: break;
      }
    }
    this.go = next;
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = { ...this.go };
    for (const o of opts) {
      if (!sentOption(this.lastReq, o)) return false;
      this.rejectedByPeer.push(o.type);
      switch (o.type) {
        case LcpOpt.ACCM: next.asyncmap = undefined; break;
        case LcpOpt.Magic: next.magic = undefined; break;
        case LcpOpt.PFC: next.pcomp = false; break;
        case LcpOpt.ACFC: next.accomp = false; break;
        case LcpOpt.Callback: next.callback = undefined; break;
        case LcpOpt.MRRU: next.mrru = undefined; break;
        case LcpOpt.Endpoint: next.endpoint = undefined; break;
      }
    }
    this.go = next;
    return true;
  }

  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult {
    const opts = parseOptions(data);
    this.his = { pcomp: false, accomp: false };
    if (!opts) return { code: Code.ConfRej, data };
    const naks: ConfigOption[] = [];
    const rejs: ConfigOption[] = [];
    for (const o of opts) {
      const v = o.value;
      let verdict: 'ack' | 'nak' | 'rej' = 'ack';
      let nak: ConfigOption | undefined;
      switch (o.type) {
        case LcpOpt.MRU:
          if (v.length !== 2) verdict = 'rej';
          else this.his.mru = v.readUInt16BE(0);
          break;
        case LcpOpt.ACCM:
          if (v.length !== 4) verdict = 'rej';
          else this.his.asyncmap = v.readUInt32BE(0);
          break;
        case LcpOpt.Magic:
          if (v.length !== 4) verdict = 'rej';
          else if (v.readUInt32BE(0) === this.go.magic) { verdict = 'nak'; nak = opt(LcpOpt.Magic, u32(this.h.random32())); }
          else this.his.magic = v.readUInt32BE(0);
          break;
        case LcpOpt.PFC:
          if (v.length) verdict = 'rej';
          else this.his.pcomp = true;
          break;
        case LcpOpt.ACFC:
          if (v.length) verdict = 'rej';
          else this.his.accomp = true;
          break;
        case LcpOpt.AuthProto: {
          const allowed = this.h.allowed();
          if (!allowed.length || this.his.auth) { verdict = 'rej'; break; }
          const proto = v.length >= 2 ? v.readUInt16BE(0) : -1;
          let asked: DunAuth | undefined;
          if (proto === PROTO_PAP && v.length === 2) asked = 'pap';
          if (proto === PROTO_CHAP && v.length === 3) {
            asked = (Object.keys(CHAP_ALG_OF) as Exclude<DunAuth, 'pap'>[]).find((k) => CHAP_ALG_OF[k] === v[2]);
          }
          if (asked && allowed.includes(asked)) {
            this.his.auth = asked;
          } else {
            verdict = 'nak';
            nak = opt(LcpOpt.AuthProto, authOption(allowed[0]!));
          }
          break;
        }
        default:
          verdict = 'rej';
      }
      if (verdict === 'nak' && rejectIfDisagree && o.type !== LcpOpt.Magic) verdict = 'rej';
      if (verdict === 'nak') naks.push(nak ?? o);
      if (verdict === 'rej') rejs.push(o);
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  up(): void { this.h.up(); }
  down(): void { this.h.down(); }
  starting(): void {}
  finished(): void { this.h.finished(); }

  extCode(code: number, id: number, data: Buffer): boolean {
    switch (code) {
      case Code.ProtRej:
        this.stats.protRejRcvd++;
        if (this.fsm.state === State.Opened && data.length >= 2) this.h.protocolRejected(data.readUInt16BE(0));
        return true;
      case Code.EchoReq:
      case Code.EchoRep:
      case Code.DiscReq:
        this.fsm.receiveRxr(code, id, data);
        return true;
      case Code.Ident:
      case Code.TimeRemaining:
        this.stats.identRcvd++;
        return true;
      default:
        return false;
    }
  }

  ser(code: number, id: number, data: Buffer): void {
    if (code === Code.EchoReq) this.fsm.sendExtended(Code.EchoRep, Buffer.concat([u32(this.go.magic ?? 0), data.subarray(4)]), id);
  }
}

function authOption(a: DunAuth): Buffer {
  if (a === 'pap') return u16(PROTO_PAP);
  return Buffer.concat([u16(PROTO_CHAP), Buffer.from([CHAP_ALG_OF[a]])]);
}

interface NcpHooks {
  log(level: LogLevel, msg: string): void;
  up(): void;
  down(): void;
  finished(): void;
  /** Runs after the current packet has been handled (an NCP that gives up closes itself). */
  later(f: () => void): void;
}

/** IPCP as Windows asks: address, then DNS and WINS, all 0.0.0.0 until the server says. */
class WinIpcp implements FsmHandler {
  fsm!: Fsm;
  go: ConfigOption[] = [];
  hisAddr = 0;
  readonly rejectedByPeer: number[] = [];
  private lastReq: Buffer = Buffer.alloc(0);

  constructor(private readonly h: NcpHooks, private readonly vj: boolean) {}

  resetCi(): void {
    const zero = () => u32(0);
    this.go = [
      ...(this.vj ? [opt(IpcpOpt.Compression, Buffer.from([PROTO_VJ_COMP >> 8, PROTO_VJ_COMP & 0xff, 0x0f, 0x01]))] : []),
      opt(IpcpOpt.Address, zero()),
      opt(IpcpOpt.PrimaryDns, zero()),
      opt(IpcpOpt.PrimaryNbns, zero()),
      opt(IpcpOpt.SecondaryDns, zero()),
      opt(IpcpOpt.SecondaryNbns, zero()),
    ];
  }

  addCi(): Buffer {
    this.lastReq = emitOptions(this.go);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    return data.equals(this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    let next = this.go.map((o) => ({ ...o }));
    for (const o of opts) {
      const mine = next.find((x) => x.type === o.type);
      if (!mine) continue; // RFC 1661 §5.3: suggestions we did not ask for may be ignored
      if (o.type === IpcpOpt.Compression || treatAsReject) next = next.filter((x) => x !== mine);
      else if (o.value.length === 4) mine.value = Buffer.from(o.value);
      else return false;
    }
    this.go = next;
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    for (const o of opts) if (!sentOption(this.lastReq, o)) return false;
    for (const o of opts) this.rejectedByPeer.push(o.type);
    this.go = this.go.filter((x) => !opts.some((o) => o.type === x.type));
    return true;
  }

  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult {
    const opts = parseOptions(data);
    if (!opts) return { code: Code.ConfRej, data };
    this.hisAddr = 0;
    const rejs: ConfigOption[] = [];
    for (const o of opts) {
      if (o.type === IpcpOpt.Address && o.value.length === 4 && o.value.readUInt32BE(0) !== 0) this.hisAddr = o.value.readUInt32BE(0);
      // Windows acks the server's VJ request (acking only allows the server to send it;
      // this client sends nothing compressed).
      else if (o.type === IpcpOpt.Compression && o.value.length === 4 && o.value.readUInt16BE(0) === PROTO_VJ_COMP) continue;
      else rejs.push(o);
    }
    void rejectIfDisagree;
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    return { code: Code.ConfAck, data };
  }

  value(type: number): number {
    const o = this.go.find((x) => x.type === type);
    return o && o.value.length === 4 ? o.value.readUInt32BE(0) : 0;
  }

  up(): void { this.h.up(); }
  down(): void { this.h.down(); }
  starting(): void {}
  finished(): void { this.h.finished(); }
}

/** CCP with Windows' MPPE request; anything else is rejected, and a link without CCP is fine. */
class WinCcp implements FsmHandler {
  fsm!: Fsm;
  mppe: Buffer | undefined;
  private lastReq: Buffer = Buffer.alloc(0);

  constructor(private readonly h: NcpHooks & { giveUp(reason: string): void }) {}

  resetCi(): void {
    this.mppe = Buffer.from(WINDOWS_MPPE_BITS);
  }

  addCi(): Buffer {
    this.lastReq = this.mppe ? emitOptions([opt(CCP_MPPE, this.mppe)]) : Buffer.alloc(0);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    return data.equals(this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    for (const o of opts) {
      if (o.type !== CCP_MPPE || !this.mppe) continue;
      // Take what the server offers of what we support (H and C); nothing left: give up.
      const common = o.value.length === 4 ? Buffer.from(o.value.map((b, i) => b & WINDOWS_MPPE_BITS[i]!)) : Buffer.alloc(4);
      if (treatAsReject || common.every((b) => b === 0)) this.mppe = undefined;
      else this.mppe = common;
    }
    if (!this.mppe) this.h.giveUp('server refused MPPE (Nak)');
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    for (const o of opts) if (!sentOption(this.lastReq, o)) return false;
    if (opts.some((o) => o.type === CCP_MPPE)) this.mppe = undefined;
    if (!this.mppe) this.h.giveUp('server rejected MPPE');
    return true;
  }

  reqCi(data: Buffer): ReqCiResult {
    const opts = parseOptions(data);
    if (!opts) return { code: Code.ConfRej, data };
    const rejs: ConfigOption[] = [];
    const naks: ConfigOption[] = [];
    for (const o of opts) {
      if (o.type !== CCP_MPPE || o.value.length !== 4) rejs.push(o);
      else if (o.value.some((b, i) => (b & ~WINDOWS_MPPE_BITS[i]!) !== 0)) naks.push(opt(CCP_MPPE, WINDOWS_MPPE_BITS));
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  up(): void { this.h.up(); }
  down(): void { this.h.down(); }
  starting(): void {}
  finished(): void { this.h.finished(); }
  extCode(code: number): boolean {
    // Reset-Request / Reset-Ack (RFC 1962 §2.1): nothing to reset, we compress nothing.
    return code === 14 || code === 15;
  }
}

type Phase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

export class WindowsDunClient {
  readonly logs: string[] = [];
  phase: Phase = 'dead';
  readonly timers: Timers;
  readonly link = new AsyncHdlcLink({ mru: 1500 });
  readonly lcp: WinLcp;
  readonly ipcp: WinIpcp;
  readonly ccp: WinCcp;
  readonly lcpFsm: Fsm;
  readonly ipcpFsm: Fsm;
  readonly ccpFsm: Fsm;
  /** Every frame seen, for tests that look at exact packets. */
  readonly frames: { dir: 'in' | 'out'; protocol: number; info: Buffer }[] = [];
  private readonly random: (n: number) => Buffer;
  private readonly digests: Record<number, ChapDigest>;
  private output: Buffer[] = [];
  private events: DunEvent[] = [];
  private deferred: (() => void)[] = [];
  private auth: { method: DunAuth; protocol: number; role: AuthRole } | undefined;
  private dead = false;
  private ipUp = false;
  private deadReason = 'LCP finished';

  constructor(readonly options: WindowsDunOptions, now = 0) {
    this.timers = new Timers({ now });
    this.random = options.randomBytes ?? seededRandom(options.seed ?? `windows-dun:${options.user}`);
    this.digests = { [CHAP_ALG.md5]: chapMd5Digest, ...options.digests };
    const restartMs = options.restartMs ?? 3000;
    const maxConfigure = options.maxConfigure ?? 10;
    const fsmCfg = { restartMs, maxConfigure, maxTerminate: 2, maxFailure: 5 };
    const host = (proto: number) => ({ send: (p: Buffer) => this.send(proto, p), log: (l: LogLevel, m: string) => this.log(l, m) });

    this.lcp = new WinLcp(
      {
        send: (p) => this.send(PROTO_LCP, p),
        log: (l, m) => this.log(l, m),
        random32: () => this.random(4).readUInt32BE(0),
        up: () => this.lcpUp(),
        down: () => this.lcpDown(),
        finished: () => this.finish(this.deadReason),
        protocolRejected: (proto) => this.protocolRejected(proto),
        allowed: () => this.allowedAuth(),
      },
      this.random(20),
    );
    this.lcpFsm = this.lcp.fsm = new Fsm({ name: 'LCP', ...fsmCfg }, this.lcp, host(PROTO_LCP), this.timers);

    const ncp = (name: string) => ({
      log: (l: LogLevel, m: string) => this.log(l, m),
      later: (f: () => void) => this.deferred.push(f),
      finished: () => this.log('info', `${name} finished`),
    });
    this.ipcp = new WinIpcp(
      {
        ...ncp('IPCP'),
        up: () => this.ipcpUp(),
        down: () => {
          if (this.ipUp) this.events.push({ type: 'ip-down' });
          this.ipUp = false;
        },
        finished: () => {
          // Without IP the connection has no purpose (Windows hangs up).
          if (this.lcpFsm.state === State.Opened) this.deferred.push(() => this.closeLcp('IPCP failed'));
        },
      },
      !!options.vj,
    );
    this.ipcpFsm = this.ipcp.fsm = new Fsm({ name: 'IPCP', ...fsmCfg }, this.ipcp, host(PROTO_IPCP), this.timers);

    this.ccp = new WinCcp({
      ...ncp('CCP'),
      up: () => {
        this.log('info', `CCP up: MPPE ${this.ccp.mppe?.toString('hex')}`);
        this.events.push({ type: 'ccp-up', mppe: Buffer.from(this.ccp.mppe ?? []) });
      },
      down: () => undefined,
      giveUp: (reason) =>
        this.deferred.push(() => {
          this.log('info', `CCP: ${reason}; continuing without compression`);
          this.events.push({ type: 'ccp-down', reason });
          this.ccpFsm.close(reason);
        }),
    });
    this.ccpFsm = this.ccp.fsm = new Fsm({ name: 'CCP', ...fsmCfg }, this.ccp, host(PROTO_CCP), this.timers);
  }

  /** The auth methods offered: configured ones whose digest we have. */
  allowedAuth(): DunAuth[] {
    const want = this.options.auth ?? WINDOWS_AUTH_PREFERENCE;
    return want.filter((a) => a === 'pap' || this.digests[CHAP_ALG_OF[a]] !== undefined);
  }

  // ---- sans-IO surface ------------------------------------------------------------------

  start(now: number): void {
    this.timers.fire(now);
    this.dead = false;
    this.phase = 'establish';
    this.lcpFsm.open();
    this.lcpFsm.lowerUp();
    this.runDeferred();
  }

  input(bytes: Uint8Array, now: number): void {
    this.timers.fire(now);
    const chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    this.link.input(chunk, (proto, info) => this.receive(proto, info), () => !this.dead);
    this.runDeferred();
  }

  tick(now: number): void {
    this.timers.fire(now);
    this.runDeferred();
  }

  nextDeadline(): number | undefined {
    return this.timers.next();
  }

  takeOutput(): Buffer[] {
    const o = this.output;
    this.output = [];
    return o;
  }

  takeEvents(): DunEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** The user clicks "Disconnect". */
  close(reason: string, now: number): void {
    this.timers.fire(now);
    this.closeLcp(reason);
    this.runDeferred();
  }

  /** The line dropped. */
  lowerDown(now: number, reason = 'line down'): void {
    this.timers.fire(now);
    this.lcpFsm.lowerDown();
    this.finish(reason);
  }

  // ---- internals ------------------------------------------------------------------------

  private runDeferred(): void {
    for (let i = 0; i < 100 && this.deferred.length; i++) this.deferred.shift()!();
  }

  private log(level: LogLevel, msg: string): void {
    this.logs.push(level === 'debug' ? msg : `${level}: ${msg}`);
  }

  private send(protocol: number, info: Buffer): void {
    this.frames.push({ dir: 'out', protocol, info });
    this.log('debug', `sent ${describePacket(protocol, info)}`);
    this.output.push(this.link.encode(protocol, info));
  }

  private receive(protocol: number, info: Buffer): void {
    this.frames.push({ dir: 'in', protocol, info });
    this.log('debug', `rcvd ${describePacket(protocol, info)}`);
    if (protocol === PROTO_LCP) return this.lcpFsm.input(info);
    if (this.lcpFsm.state !== State.Opened) return;
    if (protocol === PROTO_PAP || protocol === PROTO_CHAP) {
      if (this.auth?.protocol === protocol) this.auth.role.input(info);
      return;
    }
    if (this.phase !== 'network') return;
    if (protocol === PROTO_IPCP) return this.ipcpFsm.input(info);
    if (protocol === PROTO_CCP && this.options.ccp !== false) return this.ccpFsm.input(info);
    // Anything else (IPV6CP, IP before IPCP is up, ...) gets a Protocol-Reject, as Windows does.
    if (protocol >= 0x8000 || protocol !== 0x0021 || !this.ipUp) {
      this.lcpFsm.sendExtended(Code.ProtRej, Buffer.concat([u16(protocol), info.subarray(0, 1494)]));
    }
  }

  private closeLcp(reason: string): void {
    this.deadReason = reason;
    if (this.phase !== 'dead') this.phase = 'terminate';
    this.lcpFsm.close(reason);
    if (this.lcpFsm.state === State.Closed || this.lcpFsm.state === State.Initial) this.finish(reason);
  }

  private lcpUp(): void {
    const { go, his } = this.lcp;
    this.link.configure({ txAccm: his.asyncmap ?? 0xffffffff, rxAccm: go.asyncmap ?? 0xffffffff, pfc: his.pcomp, acfc: his.accomp });
    this.log('info', `LCP up${his.auth ? `, authenticating with ${his.auth}` : ''}`);
    this.events.push({ type: 'lcp-up', auth: his.auth, magic: go.magic, peerMagic: his.magic });
    // RFC 1570 Identification: Windows announces its RAS version and machine.
    const idents = this.options.ident ?? ['MSRASV5.00', `MSRAS-0-${this.options.machine ?? 'WINDOWS2000'}`];
    for (const text of idents) this.lcpFsm.sendExtended(Code.Ident, Buffer.concat([u32(go.magic ?? 0), Buffer.from(text, 'latin1')]));
    this.ipcpFsm.lowerUp();
    if (this.options.ccp !== false) this.ccpFsm.lowerUp();
    if (!his.auth) return this.networkPhase();
    this.phase = 'authenticate';
    this.startAuth(his.auth);
  }

  private startAuth(method: DunAuth): void {
    const protocol = method === 'pap' ? PROTO_PAP : PROTO_CHAP;
    const host: AuthHost = {
      send: (p) => this.send(protocol, p),
      log: (l, m) => this.log(l, m),
      randomBytes: (n) => this.random(n),
      timers: this.timers,
      done: (ok) => this.authDone(method, ok),
    };
    const o = this.options;
    const role: AuthRole =
      method === 'pap'
        ? new PapClient({ user: o.user, password: o.password, restart: 3, maxAuthReq: 10 }, host)
        : new ChapClient({ digest: this.digests[CHAP_ALG_OF[method]], name: o.user, timeout: 60, secretFor: () => Buffer.from(o.password, 'latin1') }, host);
    this.auth = { method, protocol, role };
    role.start();
  }

  private authDone(method: DunAuth, ok: boolean): void {
    if (this.phase !== 'authenticate') return;
    if (!ok) {
      this.events.push({ type: 'auth-fail', method });
      this.closeLcp('Authentication failed');
      return;
    }
    this.log('notice', `${method} authentication succeeded`);
    this.events.push({ type: 'auth-ok', method });
    this.networkPhase();
  }

  private networkPhase(): void {
    this.phase = 'network';
    // Windows sends its CCP request before IPCP's.
    if (this.options.ccp !== false) this.ccpFsm.open();
    this.ipcpFsm.open();
  }

  private ipcpUp(): void {
    const local = this.ipcp.value(IpcpOpt.Address);
    const dns: [number, number] = [this.ipcp.value(IpcpOpt.PrimaryDns), this.ipcp.value(IpcpOpt.SecondaryDns)];
    const wins: [number, number] = [this.ipcp.value(IpcpOpt.PrimaryNbns), this.ipcp.value(IpcpOpt.SecondaryNbns)];
    this.ipUp = true;
    this.log('notice', `IP up: local ${ip4ToString(local)} remote ${ip4ToString(this.ipcp.hisAddr)} dns ${dns.map(ip4ToString).join(',')}`);
    this.events.push({ type: 'ip-up', local, remote: this.ipcp.hisAddr, dns, wins });
  }

  private lcpDown(): void {
    this.auth?.role.stop();
    this.auth = undefined;
    this.ipcpFsm.lowerDown();
    this.ccpFsm.lowerDown();
    this.link.configure(LINK_DEFAULTS);
  }

  private protocolRejected(proto: number): void {
    if (proto === PROTO_CCP) {
      this.log('info', 'CCP Protocol-Rejected by the server; continuing without compression');
      this.events.push({ type: 'ccp-down', reason: 'Protocol-Reject' });
      this.ccpFsm.protocolRejected();
    } else if (proto === PROTO_IPCP) {
      this.log('error', 'IPCP Protocol-Rejected by the server');
      this.ipcpFsm.protocolRejected();
    } else {
      this.log('warn', `Protocol-Reject for 0x${proto.toString(16)}`);
    }
  }

  private finish(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.phase = 'dead';
    this.auth?.role.stop();
    this.auth = undefined;
    this.log('notice', `Connection terminated: ${reason}`);
    this.events.push({ type: 'dead', reason });
  }
}

/**
 * Drives a client over a real socket with real time. `waitFor(type)` resolves with the
 * first event of that type (seen already or to come); it rejects when `dead` arrives
 * first, or after `ms`.
 */
export function driveSocket(client: WindowsDunClient, socket: net.Socket) {
  const seen: DunEvent[] = [];
  const waiters: { pred: (e: DunEvent) => boolean; resolve: (e: DunEvent) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    for (const b of client.takeOutput()) if (!socket.destroyed) socket.write(b);
    for (const e of client.takeEvents()) {
      seen.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = client.nextDeadline();
    if (next !== undefined && !client.phase.startsWith('dead')) {
      timer = setTimeout(() => {
        client.tick(Date.now());
        flush();
      }, Math.max(0, next - Date.now()));
    }
  };
  socket.on('data', (b: Buffer) => {
    client.input(b, Date.now());
    flush();
  });
  socket.on('close', () => {
    client.lowerDown(Date.now(), 'socket closed');
    flush();
    if (timer) clearTimeout(timer);
  });
  socket.on('error', () => undefined);
  return {
    seen,
    start: () => {
      client.start(Date.now());
      flush();
    },
    waitFor<T extends DunEvent['type']>(type: T, ms = 20_000): Promise<Extract<DunEvent, { type: T }>> {
      const pred = (e: DunEvent) => e.type === type || e.type === 'dead';
      const done = (e: DunEvent) => {
        if (e.type !== type) throw new Error(`link died before ${type}: ${(e as { reason: string }).reason}\n${client.logs.join('\n')}`);
        return e as Extract<DunEvent, { type: T }>;
      };
      const already = seen.find(pred);
      if (already) return Promise.resolve().then(() => done(already));
      return new Promise<DunEvent>((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`timed out after ${ms} ms waiting for ${type}\n${client.logs.join('\n')}`));
          }
        }, ms).unref();
      }).then(done);
    },
    /** The user hangs up: LCP Terminate-Request, then `dead`. */
    close: (reason = 'User request') => {
      client.close(reason, Date.now());
      flush();
    },
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      socket.destroy();
    },
  };
}
