/**
 * IPV6CP (RFC 5072): the interface identifiers from which each end makes its link-local
 * address fe80::<id>, following pppd 2.4.9's ipv6cp.c where the RFC leaves room (how a
 * random identifier is made, when the peer's idea of ours is taken, what gets rejected).
 * Option 2 (IPv6-Compression-Protocol) is rejected like pppd built without IPV6CP_COMP.
 */
import { Fsm, State, type FsmConfig, type FsmHandler, type ReqCiResult } from './fsm.js';
import { Code, NO_BYTES, emitOptions, opt, parseOptions, type ConfigOption } from './packet.js';
import type { Timers } from './timers.js';
import { PROTO_IPV6, PROTO_IPV6CP } from './protocols.js';
import type { LogLevel } from './log.js';
import { NETWORK_PHASE, type Protent, type SessionContext } from './protent.js';
import { icmpv6EchoReply, linkLocal } from '../wire/ipv6.js';

/** IPV6CP's options (pppd ipv6cp.c's option table); pppd's defaults in IPV6CP_DEFAULTS. */
export interface Ipv6cpOptions {
  /** pppd `noipv6`/`-ipv6` (`+ipv6` clears it). pppd 2.4.9 runs IPV6CP by default. */
  noipv6: boolean;
  /** `ipv6 <local>,<remote>`: our interface identifier (8 octets); undefined = not given. */
  ipv6LocalId: Buffer | undefined;
  /** `ipv6 <local>,<remote>`: the peer's interface identifier; undefined = not given. */
  ipv6RemoteId: Buffer | undefined;
  /** ipv6cp-accept-local: take the peer's idea of our identifier even though we gave one. */
  ipv6cpAcceptLocal: boolean;
  /** ipv6cp-accept-remote: let the peer have its own identifier even though we gave one. */
  ipv6cpAcceptRemote: boolean;
  /** ipv6cp-use-ipaddr: the identifiers are 0:0:<IPv4 address> of each end. */
  ipv6cpUseIpaddr: boolean;
  ipv6cpRestart: number;
  ipv6cpMaxConfigure: number;
  ipv6cpMaxTerminate: number;
  ipv6cpMaxFailure: number;
}

export const IPV6CP_DEFAULTS: Ipv6cpOptions = {
  noipv6: false,
  ipv6LocalId: undefined,
  ipv6RemoteId: undefined,
  ipv6cpAcceptLocal: false,
  ipv6cpAcceptRemote: false,
  ipv6cpUseIpaddr: false,
  ipv6cpRestart: 3,
  ipv6cpMaxConfigure: 10,
  ipv6cpMaxTerminate: 3,
  ipv6cpMaxFailure: 5,
};

export const Ipv6cpOpt = {
  InterfaceId: 1,
  Compression: 2,
} as const;

const ZERO = Buffer.alloc(8);

/** pppd's llv6_ntoa: fe80:: and the identifier as four zero-padded groups. */
export function llv6(id: Uint8Array): string {
  const h = Buffer.from(id).toString('hex');
  return `fe80::${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 12)}:${h.slice(12, 16)}`;
}

/** 0:0:<a.b.c.d> as an interface identifier (pppd eui64_setlo32). */
export function idFromIpv4(addr: number): Buffer {
  const id = Buffer.alloc(8);
  id.writeUInt32BE(addr >>> 0, 4);
  return id;
}

/** RFC 4291 App. A (pppd ether_to_eui64): an Ethernet address "aa:bb:cc:dd:ee:ff" as a modified EUI-64. */
export function eui64FromMac(mac: string): Buffer {
  const m = mac.split(':').map((x) => parseInt(x, 16));
  return Buffer.from([m[0]! | 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!]);
}

/**
 * pppd ipv6cp.c setifaceid's check: an identifier is given as an IPv6 address whose upper
 * 64 bits are zero and lower 64 bits are not ("::1234:5678", "::dead:beef:1:2").
 */
export function validIdentifier(addr16: Uint8Array): boolean {
  const a = Buffer.from(addr16);
  return a.subarray(0, 8).equals(ZERO) && !a.subarray(8, 16).equals(ZERO);
}

export interface Ipv6cpPolicy {
  /** Our identifier when configured (pppd opt_local); undefined = a random one per negotiation. */
  localId: Buffer | undefined;
  /** The peer's identifier when configured (pppd opt_remote). */
  remoteId: Buffer | undefined;
  acceptLocal: boolean;
  acceptRemote: boolean;
}

export interface Ipv6cpResult {
  /** The interface identifiers (8 octets each). */
  local: Buffer;
  remote: Buffer;
}

export interface Ipv6cpHost {
  send(packet: Buffer): void;
  log(level: LogLevel, msg: string): void;
  /** 8 random octets (pppd magic()). */
  random8(): Buffer;
  up(result: Ipv6cpResult): void;
  down(): void;
  finished(): void;
  fail(reason: string): void;
}

interface Got {
  neg: boolean;
  ourId: Buffer;
  /** The identifier we last proposed for the peer (zero: none yet). */
  hisId: Buffer;
  acceptLocal: boolean;
}

export class Ipv6cp implements FsmHandler {
  readonly fsm: Fsm;
  /** What we ask for (pppd ipv6cp_gotoptions). */
  go: Got = { neg: true, ourId: ZERO, hisId: ZERO, acceptLocal: false };
  /** The peer's identifier from its last request (pppd ipv6cp_hisoptions). */
  his: { neg: boolean; id: Buffer } = { neg: false, id: ZERO };
  /** pppd wo->req_ifaceid: Nak a request without an identifier once per negotiation. */
  private reqIfaceId = true;
  private lastReq: Buffer = NO_BYTES;

  constructor(
    /** Mutable until IPV6CP opens (ipv6cp-use-ipaddr fills it from IPCP's addresses at open). */
    readonly policy: Ipv6cpPolicy,
    fsmConfig: Omit<FsmConfig, 'name'>,
    private readonly host: Ipv6cpHost,
    timers: Timers,
  ) {
    this.fsm = new Fsm({ ...fsmConfig, name: 'IPV6CP' }, this, host, timers);
  }

  get opened(): boolean {
    return this.fsm.state === State.Opened;
  }

  /** pppd eui64_magic: random, with the universal/local bit cleared (RFC 4291 App. A: not unique). */
  private magic(): Buffer {
    const id = Buffer.from(this.host.random8().subarray(0, 8));
    id[0]! &= ~0x02;
    return id;
  }

  /** A random identifier that is neither zero nor `avoid` (pppd's "bad luck" loops). */
  private fresh(avoid: Buffer): Buffer {
    for (let i = 0; i < 64; i++) {
      const id = this.magic();
      if (!id.equals(ZERO) && !id.equals(avoid)) return id;
    }
    // Only a broken entropy source gets here; a fixed non-zero id still differs from avoid.
    const id = Buffer.from(avoid);
    id[7] = (id[7]! + 1) & 0xff || 1;
    return id;
  }

  /** The identifier we want the peer to have (pppd wo->hisid). */
  private get wantHis(): Buffer {
    return this.policy.remoteId ?? ZERO;
  }

  resetCi(): void {
    const p = this.policy;
    this.reqIfaceId = true;
    // pppd ipv6cp_resetci: without a configured identifier, a new random one each time and
    // the peer may choose ours; without a configured peer identifier, the peer chooses its own.
    this.go = {
      neg: true,
      ourId: p.localId ?? this.fresh(ZERO),
      hisId: ZERO,
      acceptLocal: p.acceptLocal || !p.localId,
    };
  }

  addCi(): Buffer {
    this.lastReq = this.go.neg ? emitOptions([opt(Ipv6cpOpt.InterfaceId, this.go.ourId)]) : Buffer.alloc(0);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    return data.equals(this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const go = this.go;
    const next: Got = { ...go };
    let seen = false;
    for (const o of opts) {
      if (o.type === Ipv6cpOpt.InterfaceId) {
        if (o.value.length !== 8 || seen) return false;
        seen = true;
        if (go.neg && treatAsReject) next.neg = false;
        else if (go.acceptLocal) {
          // RFC 5072 §4.1: take the suggested identifier unless it is zero or the peer's own.
          next.neg = true;
          next.ourId = o.value.equals(ZERO) || o.value.equals(go.hisId) ? this.fresh(go.hisId) : Buffer.from(o.value);
        } else if (!go.neg) return false;
      } else if (o.type === Ipv6cpOpt.Compression) {
        // pppd: a Nak asking us to request compression is refused (we never add it).
        if (o.value.length !== 2) return false;
      }
    }
    if (this.fsm.state !== State.Opened) this.go = next;
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = { ...this.go };
    for (const o of opts) {
      // Only what we sent, as we sent it (pppd ipv6cp_rejci).
      if (o.type !== Ipv6cpOpt.InterfaceId || !this.go.neg || !o.value.equals(this.go.ourId)) return false;
      next.neg = false;
    }
    if (this.fsm.state !== State.Opened) this.go = next;
    return true;
  }

  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult {
    const opts = parseOptions(data);
    if (!opts) return { code: Code.ConfRej, data };
    const p = this.policy;
    const acks: ConfigOption[] = [];
    const naks: ConfigOption[] = [];
    const rejs: ConfigOption[] = [];
    this.his = { neg: false, id: ZERO };
    for (const o of opts) {
      if (o.type !== Ipv6cpOpt.InterfaceId || o.value.length !== 8) {
        rejs.push(o);
        continue;
      }
      let id: Buffer = Buffer.from(o.value);
      let nak = false;
      if (id.equals(ZERO) && this.go.ourId.equals(ZERO)) {
        rejs.push(o);
        continue;
      }
      const acceptRemote = p.acceptRemote || !p.remoteId;
      if (p.remoteId && !acceptRemote && !id.equals(p.remoteId) && this.go.hisId.equals(ZERO)) {
        // We were told the peer's identifier: suggest it once (pppd ipv6cp_reqci).
        nak = true;
        id = Buffer.from(p.remoteId);
        this.go.hisId = id;
      } else if (id.equals(ZERO) || id.equals(this.go.ourId)) {
        // RFC 5072 §4.1: a zero identifier asks for one; an equal one is a collision.
        nak = true;
        let want: Buffer = this.go.hisId.equals(ZERO) ? this.wantHis : ZERO;
        if (want.equals(ZERO) || want.equals(this.go.ourId)) want = this.fresh(this.go.ourId);
        id = want;
        this.go.hisId = id;
      }
      this.his = { neg: true, id };
      if (nak) naks.push(opt(o.type, id));
      else acks.push(o);
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length && rejectIfDisagree) return { code: Code.ConfRej, data: emitOptions(naks.map((n) => opts.find((o) => o.type === n.type)!)) };
    // pppd: a request without an identifier is Nak'd once with the one we want it to use.
    if (!this.his.neg && this.reqIfaceId && !rejectIfDisagree) {
      if (!naks.length) this.reqIfaceId = false;
      naks.push(opt(Ipv6cpOpt.InterfaceId, this.wantHis));
    }
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data: emitOptions(acks) };
  }

  up(): void {
    const hisId = this.his.neg ? this.his.id : this.wantHis;
    const ourId = this.go.ourId;
    // pppd ipv6cp_up: both ends need a non-zero, distinct identifier.
    const problem = hisId.equals(ZERO)
      ? 'Could not determine remote LL address'
      : ourId.equals(ZERO)
        ? 'Could not determine local LL address'
        : ourId.equals(hisId)
          ? 'local and remote LL addresses are equal'
          : undefined;
    if (problem) {
      this.host.log('error', problem);
      this.host.fail(problem);
      return;
    }
    this.host.log('notice', `local  LL address ${llv6(ourId)}`);
    this.host.log('notice', `remote LL address ${llv6(hisId)}`);
    this.host.up({ local: Buffer.from(ourId), remote: Buffer.from(hisId) });
  }

  down(): void {
    this.host.down();
  }

  starting(): void {}

  finished(): void {
    this.host.finished();
  }
}

/**
 * IPV6CP's table entry: the NCP for IPv6 and the IPv6 packets it carries. An ICMPv6 echo
 * request to our link-local address is answered here (a peer's `ping6 fe80::<id>%ppp0`
 * works with any backend); everything else goes to the network backend as an event.
 */
export class Ipv6cpProtocol implements Protent {
  readonly name = 'IPV6CP';
  readonly protocol = PROTO_IPV6CP;
  readonly dataProtocols = [PROTO_IPV6] as const;
  readonly phases = NETWORK_PHASE;
  readonly kind = 'ncp';
  readonly enabled: boolean;
  readonly ipv6cp: Ipv6cp;
  /** The identifiers once IPV6CP is up. */
  result: Ipv6cpResult | undefined;
  private localLL: Buffer | undefined;
  readonly stats = { ipv6In: 0, ipv6Out: 0, echoAnswered: 0, discarded: 0 };

  constructor(private readonly ctx: SessionContext) {
    const o = ctx.options;
    this.enabled = !o.noipv6;
    this.ipv6cp = new Ipv6cp(
      { localId: o.ipv6LocalId, remoteId: o.ipv6RemoteId, acceptLocal: o.ipv6cpAcceptLocal, acceptRemote: o.ipv6cpAcceptRemote },
      { restartMs: o.ipv6cpRestart * 1000, maxConfigure: o.ipv6cpMaxConfigure, maxTerminate: o.ipv6cpMaxTerminate, maxFailure: o.ipv6cpMaxFailure },
      {
        send: (p) => ctx.send(PROTO_IPV6CP, p),
        log: (level, msg) => ctx.log(level, msg),
        random8: () => ctx.random(8),
        up: (r) => {
          this.result = r;
          this.localLL = linkLocal(r.local);
          ctx.ncpUp(this);
          ctx.emit({ type: 'ipv6-up', local: r.local, remote: r.remote });
        },
        down: () => this.ipv6Down(),
        finished: () => ctx.ncpFinished(this),
        fail: (reason) => this.ipv6cp.fsm.close(reason),
      },
      ctx.timers,
    );
  }

  get isOpen(): boolean {
    return this.ipv6cp.opened;
  }

  input(info: Buffer): void {
    this.ipv6cp.fsm.input(info);
  }

  dataInput(_protocol: number, packet: Buffer): void {
    if (!this.ipv6cp.opened || !this.localLL) {
      this.stats.discarded++;
      return;
    }
    this.stats.ipv6In++;
    const reply = icmpv6EchoReply(packet, this.localLL);
    if (reply) {
      this.stats.echoAnswered++;
      return void this.sendData(PROTO_IPV6, reply);
    }
    this.ctx.emit({ type: 'ipv6', packet });
  }

  /** An IPv6 packet for the peer; false (dropped) unless IPV6CP is up. */
  sendData(_protocol: number, packet: Buffer): boolean {
    if (!this.ipv6cp.opened) return false;
    this.stats.ipv6Out++;
    this.ctx.send(PROTO_IPV6, packet);
    return true;
  }

  open(): void {
    const o = this.ctx.options;
    const policy = this.ipv6cp.policy;
    // ipv6cp-use-ipaddr (pppd ipv6_check_options): the IPv4 addresses we know, where no
    // identifier was given. pppd 2.4.9 reads the flag from the wrong table, so there the
    // option does nothing; dialtone does what pppd(8) says it does.
    if (o.ipv6cpUseIpaddr) {
      if (!o.ipv6LocalId && o.localAddr) policy.localId = idFromIpv4(o.localAddr);
      const remote = o.remoteAddr || this.ctx.peerSecret?.suggested;
      if (!o.ipv6RemoteId && remote) policy.remoteId = idFromIpv4(remote);
    }
    this.ipv6cp.fsm.open();
  }

  lowerUp(): void {
    this.ipv6cp.fsm.lowerUp();
  }

  lowerDown(): void {
    this.ipv6cp.fsm.lowerDown();
  }

  close(reason: string): void {
    this.ipv6cp.fsm.close(reason);
  }

  protocolRejected(): void {
    this.ipv6cp.fsm.protocolRejected();
  }

  private ipv6Down(): void {
    if (!this.result) return;
    this.result = undefined;
    this.localLL = undefined;
    this.ctx.ncpDown(this);
    this.ctx.emit({ type: 'ipv6-down' });
  }
}
