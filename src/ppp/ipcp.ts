/**
 * IPCP (RFC 1332) with the DNS/NBNS extensions (RFC 1877), following pppd's ipcp.c
 * where the RFC leaves room: how a server assigns the peer's address, when a client
 * takes the address it is given, and what gets rejected.
 */
import { Fsm, State, type FsmConfig, type FsmHandler, type ReqCiResult } from './fsm.js';
import { Code, NO_BYTES, emitOptions, opt, parseOptions, u32, type ConfigOption } from './packet.js';
import type { Timers } from './timers.js';
import { icmpEchoReply, ip4ToString } from '../wire/ipv4.js';
import { PROTO_IP, PROTO_IPCP, PROTO_VJ_COMP, PROTO_VJ_UNCOMP } from './protocols.js';
import { gsoSegments, gsoSize, segmentGso } from '../wire/gso.js';
import { VjCompressor, VjDecompressor, type VjCompressorCounters, type VjDecompressorCounters } from '../wire/vj.js';
import type { LogLevel } from './log.js';
import { NETWORK_PHASE, type Protent, type SessionContext } from './protent.js';

/** IPCP's options (pppd ipcp.c's option table), with pppd's defaults in IPCP_DEFAULTS. */
export interface IpcpOptions {
  /** Disable IPCP (pppd `noip`). */
  noip: boolean;
  localAddr: number;
  remoteAddr: number;
  acceptLocal: boolean;
  acceptRemote: boolean;
  msDns: [number, number];
  msWins: [number, number];
  usePeerDns: boolean;
  /** Negotiate VJ header compression, both ways (pppd: on; `novj` turns it off). */
  vj: boolean;
  /** Allow the slot id to be left out of compressed packets (pppd: on; `novjccomp`). */
  vjCcomp: boolean;
  /** Slots we offer and accept at most, 2..16 (pppd `vj-max-slots`, default 16). */
  vjMaxSlots: number;
  ipcpRestart: number;
  ipcpMaxConfigure: number;
  ipcpMaxTerminate: number;
  ipcpMaxFailure: number;
}

export const IPCP_DEFAULTS: IpcpOptions = {
  noip: false,
  localAddr: 0,
  remoteAddr: 0,
  acceptLocal: false,
  acceptRemote: false,
  msDns: [0, 0],
  msWins: [0, 0],
  usePeerDns: false,
  vj: true,
  vjCcomp: true,
  vjMaxSlots: 16,
  ipcpRestart: 3,
  ipcpMaxConfigure: 10,
  ipcpMaxTerminate: 3,
  ipcpMaxFailure: 5,
};

export const IpcpOpt = {
  Addresses: 1,
  Compression: 2,
  Address: 3,
  PrimaryDns: 129,
  PrimaryNbns: 130,
  SecondaryDns: 131,
  SecondaryNbns: 132,
} as const;

export interface IpcpPolicy {
  /** Our address; 0 asks the peer for one (pppd `noipdefault`). */
  localAddr: number;
  /** The address we give or expect the peer to have; 0 = let the peer choose. */
  remoteAddr: number;
  /** pppd ipcp-accept-local: take the peer's idea of our address. */
  acceptLocal: boolean;
  /** pppd ipcp-accept-remote: let the peer choose its address even though we have one. */
  acceptRemote: boolean;
  /** ms-dns: [primary, secondary] we hand out; 0 = none. */
  dns: [number, number];
  /** ms-wins: [primary, secondary] we hand out; 0 = none. */
  wins: [number, number];
  /** usepeerdns: ask the peer for DNS servers. */
  usePeerDns: boolean;
  /** VJ compression (RFC 1332 §3.2): asked for and accepted unless `novj`. */
  vj?: { maxSlotId: number; compSlotId: boolean };
  /** Auth-derived check of an address the peer wants (pppd auth_ip_addr). */
  allowRemote?(addr: number): boolean;
}

export interface IpcpResult {
  local: number;
  remote: number;
  dns: [number, number];
}

export interface IpcpHost {
  send(packet: Buffer): void;
  log(level: LogLevel, msg: string): void;
  up(result: IpcpResult): void;
  down(): void;
  finished(): void;
  /** The NCP cannot come up usefully (e.g. no local address): close it with this reason. */
  fail(reason: string): void;
}

/** RFC 1144 protocol numbers in the IP-Compression-Protocol option. */
export const IPCP_VJ_COMP = 0x002d;
/** RFC 1172's value (pppd IPCP_VJ_COMP_OLD), accepted only in the old 4-octet form. */
export const IPCP_VJ_COMP_OLD = 0x0037;

/** One direction's VJ parameters (pppd ipcp_options neg_vj, old_vj, maxslotindex, cflag). */
export interface VjParams {
  protocol: number;
  /** RFC 1172 form: no Max-Slot-Id/Comp-Slot-Id octets (16 slots, slot id compressible). */
  old: boolean;
  maxSlotId: number;
  compSlotId: boolean;
}

function vjValue(v: VjParams): Buffer {
  const b = Buffer.alloc(v.old ? 2 : 4);
  b.writeUInt16BE(v.protocol, 0);
  if (!v.old) {
    b[2] = v.maxSlotId;
    b[3] = v.compSlotId ? 1 : 0;
  }
  return b;
}

interface Ours {
  vj?: VjParams;
  addr?: number;
  dns1?: number;
  dns2?: number;
}

/** A copy as a literal, not a spread: a spread's clone keeps a hidden class per session. */
function copyOurs(g: Ours): Ours {
  return { vj: g.vj, addr: g.addr, dns1: g.dns1, dns2: g.dns2 };
}

function readAddr(v: Buffer): number | undefined {
  return v.length === 4 ? v.readUInt32BE(0) : undefined;
}

export class Ipcp implements FsmHandler {
  readonly fsm: Fsm;
  go: Ours = {};
  hisAddr = 0;
  /** What the peer's acked request asked of our compressor (pppd ho->neg_vj...). */
  hisVj: VjParams | undefined;
  private lastReq: Buffer = NO_BYTES;

  constructor(
    /** Mutable until IPCP opens: authentication may supply the peer's address. */
    readonly policy: IpcpPolicy,
    fsmConfig: Omit<FsmConfig, 'name'>,
    private readonly host: IpcpHost,
    timers: Timers,
  ) {
    this.fsm = new Fsm({ ...fsmConfig, name: 'IPCP' }, this, host, timers);
  }

  get opened(): boolean {
    return this.fsm.state === State.Opened;
  }

  resetCi(): void {
    const vj = this.policy.vj;
    // One shape for every session (no conditional spread): see copyOurs.
    this.go = {
      vj: vj ? { protocol: IPCP_VJ_COMP, old: false, maxSlotId: vj.maxSlotId, compSlotId: vj.compSlotId } : undefined,
      addr: this.policy.localAddr,
      dns1: this.policy.usePeerDns ? 0 : undefined,
      dns2: this.policy.usePeerDns ? 0 : undefined,
    };
  }

  addCi(): Buffer {
    const o: ConfigOption[] = [];
    // pppd ipcp_addci's order: compression before the address.
    if (this.go.vj) o.push(opt(IpcpOpt.Compression, vjValue(this.go.vj)));
    if (this.go.addr !== undefined) o.push(opt(IpcpOpt.Address, u32(this.go.addr)));
    if (this.go.dns1 !== undefined) o.push(opt(IpcpOpt.PrimaryDns, u32(this.go.dns1)));
    if (this.go.dns2 !== undefined) o.push(opt(IpcpOpt.SecondaryDns, u32(this.go.dns2)));
    this.lastReq = emitOptions(o);
    return this.lastReq;
  }

  ackCi(data: Buffer): boolean {
    return data.equals(this.lastReq);
  }

  nakCi(data: Buffer, treatAsReject: boolean): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const next = copyOurs(this.go);
    for (const o of opts) {
      const a = readAddr(o.value);
      switch (o.type) {
        case IpcpOpt.Compression: {
          // pppd ipcp_nakci NAKCIVJ: fewer slots and no slot-id compression are taken,
          // the old form if the peer wants it; anything else drops VJ.
          const v = o.value;
          if (!next.vj || (v.length !== 4 && v.length !== 2)) break;
          const proto = v.readUInt16BE(0);
          if (treatAsReject) next.vj = undefined;
          else if (v.length === 4) {
            if (proto === IPCP_VJ_COMP) {
              next.vj = { ...next.vj, old: false, maxSlotId: Math.min(v[2]!, next.vj.maxSlotId), compSlotId: next.vj.compSlotId && v[3] !== 0 };
            } else next.vj = undefined;
          } else if (proto === IPCP_VJ_COMP || proto === IPCP_VJ_COMP_OLD) {
            next.vj = { ...next.vj, old: true, protocol: proto };
          } else next.vj = undefined;
          break;
        }
        case IpcpOpt.Address:
          if (a === undefined || next.addr === undefined) break;
          if (treatAsReject) next.addr = undefined;
          // pppd: take the peer's idea of our address when we had none or accept-local.
          else if (a !== 0 && (this.policy.localAddr === 0 || this.policy.acceptLocal)) next.addr = a;
          break;
        case IpcpOpt.PrimaryDns:
          if (a === undefined || next.dns1 === undefined) break;
          next.dns1 = treatAsReject ? undefined : a;
          break;
        case IpcpOpt.SecondaryDns:
          if (a === undefined || next.dns2 === undefined) break;
          next.dns2 = treatAsReject ? undefined : a;
          break;
        default:
          break; // RFC 1661 §5.3: unrequested options in a Nak may be ignored
      }
    }
    this.go = next;
    return true;
  }

  rejCi(data: Buffer): boolean {
    const opts = parseOptions(data);
    if (!opts) return false;
    const sent = parseOptions(this.lastReq) ?? [];
    const next = copyOurs(this.go);
    for (const o of opts) {
      const mine = sent.find((s) => s.type === o.type);
      if (!mine || !mine.value.equals(o.value)) return false;
      if (o.type === IpcpOpt.Address) next.addr = undefined;
      if (o.type === IpcpOpt.Compression) next.vj = undefined;
      if (o.type === IpcpOpt.PrimaryDns) next.dns1 = undefined;
      if (o.type === IpcpOpt.SecondaryDns) next.dns2 = undefined;
    }
    this.go = next;
    return true;
  }

  reqCi(data: Buffer, rejectIfDisagree: boolean): ReqCiResult {
    const opts = parseOptions(data);
    if (!opts) return { code: Code.ConfRej, data };
    const p = this.policy;
    const naks: ConfigOption[] = [];
    const rejs: ConfigOption[] = [];
    this.hisAddr = 0;
    this.hisVj = undefined;
    for (const o of opts) {
      const a = readAddr(o.value);
      let verdict: 'ack' | 'nak' | 'rej' = 'ack';
      let nakWith: number | undefined;
      let nakValue: Buffer | undefined;
      switch (o.type) {
        case IpcpOpt.Compression: {
          // pppd ipcp_reqci CI_COMPRESSTYPE (RFC 1332 §3.2).
          const v = o.value;
          const proto = v.length >= 2 ? v.readUInt16BE(0) : -1;
          if (!p.vj || (v.length !== 4 && v.length !== 2) || !(proto === IPCP_VJ_COMP || (proto === IPCP_VJ_COMP_OLD && v.length === 2))) {
            verdict = 'rej';
            break;
          }
          if (v.length === 2) {
            this.hisVj = { protocol: proto, old: true, maxSlotId: 15, compSlotId: true };
            break;
          }
          // More slots than we keep, or slot-id compression we refuse: Nak with ours.
          nakValue = Buffer.from(v);
          if (v[2]! > p.vj.maxSlotId) {
            verdict = 'nak';
            nakValue[2] = p.vj.maxSlotId;
          }
          if (v[3] !== 0 && !p.vj.compSlotId) {
            verdict = 'nak';
            nakValue[3] = 0;
          }
          this.hisVj = { protocol: proto, old: false, maxSlotId: v[2]!, compSlotId: v[3] !== 0 };
          break;
        }
        case IpcpOpt.Address: {
          if (a === undefined) { verdict = 'rej'; break; }
          const want = p.remoteAddr;
          const allowed = (x: number) => p.allowRemote?.(x) ?? true;
          if (a === 0) {
            // The peer asks us to assign it an address (RFC 1332 §3.3).
            if (want) { verdict = 'nak'; nakWith = want; }
            else verdict = 'rej'; // pppd: never Ack 0.0.0.0
          } else if (want && a !== want && !p.acceptRemote) {
            verdict = 'nak'; nakWith = want;
          } else if (!allowed(a)) {
            if (want && allowed(want)) { verdict = 'nak'; nakWith = want; }
            else verdict = 'rej';
          } else {
            this.hisAddr = a;
          }
          break;
        }
        case IpcpOpt.PrimaryDns:
        case IpcpOpt.SecondaryDns:
        case IpcpOpt.PrimaryNbns:
        case IpcpOpt.SecondaryNbns: {
          const table = o.type === IpcpOpt.PrimaryDns || o.type === IpcpOpt.SecondaryDns ? p.dns : p.wins;
          const ours = table[o.type === IpcpOpt.PrimaryDns || o.type === IpcpOpt.PrimaryNbns ? 0 : 1];
          // RFC 1877: a server without that address rejects the option (pppd does).
          if (a === undefined || !ours) verdict = 'rej';
          else if (a !== ours) { verdict = 'nak'; nakWith = ours; }
          break;
        }
        default:
          // IP-Addresses (1, deprecated) is rejected like any unknown option.
          verdict = 'rej';
      }
      if (verdict === 'nak' && rejectIfDisagree) verdict = 'rej';
      if (verdict === 'nak') naks.push(opt(o.type, nakValue ?? u32(nakWith!)));
      if (verdict === 'rej') rejs.push(o);
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  up(): void {
    // Opened, a reply to our request can only be stale (Fsm.currentReply) and a new one is
    // built afresh: not kept for the life of an idle link.
    this.lastReq = NO_BYTES;
    const local = this.go.addr ?? this.policy.localAddr;
    if (!local) {
      this.host.log('error', 'Could not determine local IP address');
      this.host.fail('Could not determine local IP address');
      return;
    }
    let remote = this.hisAddr || this.policy.remoteAddr;
    if (!remote) {
      // pppd ipcp_up: 10.64.64.64 + unit when the peer never said.
      remote = 0x0a404040;
      this.host.log('warn', `Could not determine remote IP address: defaulting to ${ip4ToString(remote)}`);
    }
    const dns: [number, number] = [this.go.dns1 ?? 0, this.go.dns2 ?? 0];
    this.host.log('notice', `local  IP address ${ip4ToString(local)}`);
    this.host.log('notice', `remote IP address ${ip4ToString(remote)}`);
    if (dns[0]) this.host.log('notice', `primary   DNS address ${ip4ToString(dns[0])}`);
    if (dns[1]) this.host.log('notice', `secondary DNS address ${ip4ToString(dns[1])}`);
    this.host.up({ local, remote, dns });
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
 * IPCP's table entry: the NCP for IPv4 and the IP datagrams it carries. IP packets for
 * our own address that are ICMP echo requests are answered here (a peer's `ping` of the
 * link works with any backend); everything else goes to the network backend as an event.
 */
/** VJ counters of a session, both directions, over every time IPCP was up. */
export interface VjCounters {
  /** What we sent (pppstats' VJ "out" columns). */
  tx: VjCompressorCounters;
  /** What we received (vjcomp, vjunc, vjerr, vjtoss). */
  rx: VjDecompressorCounters;
}

/** What IPCP carries: IP, and VJ's compressed and uncompressed TCP (RFC 1332 §3.2). */
const IPCP_DATA: readonly number[] = Object.freeze([PROTO_IP, PROTO_VJ_COMP, PROTO_VJ_UNCOMP]);

export class IpcpProtocol implements Protent {
  readonly name = 'IPCP';
  readonly protocol = PROTO_IPCP;
  readonly dataProtocols = IPCP_DATA;
  readonly phases = NETWORK_PHASE;
  readonly kind = 'ncp';
  readonly enabled: boolean;
  readonly ipcp: Ipcp;
  /** The addresses once IPCP is up. */
  result: IpcpResult | undefined;
  readonly stats = { ipIn: 0, ipOut: 0, discarded: 0 };
  readonly vjCounters: VjCounters = {
    tx: { packets: 0, compressed: 0, uncompressed: 0, ip: 0, searches: 0, misses: 0 },
    rx: { compressed: 0, uncompressed: 0, errors: 0, tossed: 0 },
  };
  /** Each direction's VJ state while IPCP is up with VJ negotiated that way. */
  private vjTx: VjCompressor | undefined;
  private vjRx: VjDecompressor | undefined;

  constructor(private readonly ctx: SessionContext) {
    const o = ctx.options;
    this.enabled = !o.noip;
    this.ipcp = new Ipcp(
      {
        localAddr: o.localAddr,
        remoteAddr: o.remoteAddr,
        acceptLocal: o.acceptLocal,
        acceptRemote: o.acceptRemote,
        dns: o.msDns,
        wins: o.msWins,
        usePeerDns: o.usePeerDns,
        vj: o.vj ? { maxSlotId: Math.min(Math.max(o.vjMaxSlots, 2), 16) - 1, compSlotId: o.vjCcomp } : undefined,
        allowRemote: (a) => ctx.peerSecret?.allowIp?.(a) ?? true,
      },
      { restartMs: o.ipcpRestart * 1000, maxConfigure: o.ipcpMaxConfigure, maxTerminate: o.ipcpMaxTerminate, maxFailure: o.ipcpMaxFailure },
      new IpcpProtocol.HostOf(this),
      ctx.timers,
    );
  }

  /**
   * What the automaton sees of its entry: prototype methods over it, not six closures per
   * session (as Session's LcpHostOf). Declared inside the class for its privates.
   */
  private static readonly HostOf = class implements IpcpHost {
    constructor(private readonly p: IpcpProtocol) {}
    send(packet: Buffer): void {
      this.p.ctx.send(PROTO_IPCP, packet);
    }
    log(level: LogLevel, msg: string): void {
      this.p.ctx.log(level, msg);
    }
    up(r: IpcpResult): void {
      const p = this.p;
      p.result = r;
      p.vjUp();
      p.ctx.ncpUp(p);
      p.ctx.emit({ type: 'ip-up', local: r.local, remote: r.remote, dns: r.dns });
    }
    down(): void {
      this.p.ipDown();
    }
    finished(): void {
      this.p.ctx.ncpFinished(this.p);
    }
    fail(reason: string): void {
      this.p.ipcp.fsm.close(reason);
    }
  };

  get isOpen(): boolean {
    return this.ipcp.opened;
  }

  input(info: Buffer): void {
    this.ipcp.fsm.input(info);
  }

  dataInput(protocol: number, info: Buffer): void {
    if (!this.ipcp.opened || !this.result) {
      this.stats.discarded++;
      return;
    }
    let packet: Buffer | undefined = info;
    if (protocol !== PROTO_IP) {
      // VJ we did not ask for (RFC 1332 §3.2: not to be sent unless negotiated) is dropped.
      if (!this.vjRx) return void this.stats.discarded++;
      packet = protocol === PROTO_VJ_COMP ? this.vjRx.compressed(info) : this.vjRx.uncompressed(info);
      if (!packet) return; // tossed or malformed: counted in vjCounters.rx
      this.ctx.countUnitIn(packet.length);
    }
    this.stats.ipIn++;
    const reply = icmpEchoReply(packet, this.result.local);
    if (reply) return void this.sendData(PROTO_IP, reply);
    this.ctx.emit({ type: 'ip', packet });
  }

  /** An IP packet for the peer; false (dropped) unless IPCP is up. */
  sendData(_protocol: number, packet: Buffer): boolean {
    if (!this.ipcp.opened) return false;
    const mss = gsoSize(packet);
    if (mss) {
      // A super-segment: framed whole by the link, or cut here (VJ compresses each segment).
      if (!this.vjTx && this.ctx.sendSegments?.(PROTO_IP, packet, mss)) {
        this.stats.ipOut += gsoSegments(packet, mss);
        return true;
      }
      for (const s of segmentGso(packet, mss)) this.sendData(PROTO_IP, s);
      return true;
    }
    this.stats.ipOut++;
    if (this.vjTx) {
      const o = this.vjTx.compress(packet);
      this.ctx.send(o.kind === 'ip' ? PROTO_IP : o.kind === 'compressed' ? PROTO_VJ_COMP : PROTO_VJ_UNCOMP, o.packet, packet.length);
    } else {
      this.ctx.send(PROTO_IP, packet);
    }
    return true;
  }

  /**
   * The lower layer dropped a frame (bad FCS, abort, overrun): RFC 1144 §4.1, the
   * decompressor tosses compressed packets until one names its slot.
   */
  linkError(): void {
    this.vjRx?.toss();
  }

  /**
   * pppd ipcp_up sifvjcomp: our compressor follows what the peer's request asked for (its
   * slots, whether it takes packets without a slot id); our decompressor what ours did.
   */
  private vjUp(): void {
    const his = this.ipcp.hisVj;
    const go = this.ipcp.go.vj;
    this.vjTx = his ? new VjCompressor(his.maxSlotId, his.compSlotId, this.vjCounters.tx) : undefined;
    this.vjRx = go ? new VjDecompressor(go.maxSlotId, this.vjCounters.rx) : undefined;
    if (his || go) {
      this.ctx.log('debug', `VJ header compression: send ${his ? `${his.maxSlotId + 1} slots${his.compSlotId ? '' : ', slot id always'}` : 'off'}, receive ${go ? `${go.maxSlotId + 1} slots` : 'off'}`);
    }
  }

  open(): void {
    // The secrets entry may name the peer's address (pppd: first single address).
    const suggested = this.ctx.peerSecret?.suggested;
    if (!this.ctx.options.remoteAddr && suggested) this.ipcp.policy.remoteAddr = suggested;
    this.ipcp.fsm.open();
  }

  lowerUp(): void {
    this.ipcp.fsm.lowerUp();
  }

  lowerDown(): void {
    this.ipcp.fsm.lowerDown();
  }

  close(reason: string): void {
    this.ipcp.fsm.close(reason);
  }

  protocolRejected(): void {
    this.ipcp.fsm.protocolRejected();
  }

  private ipDown(): void {
    this.vjTx = undefined;
    this.vjRx = undefined;
    if (!this.result) return;
    this.result = undefined;
    this.ctx.ncpDown(this);
    this.ctx.emit({ type: 'ip-down' });
  }
}
