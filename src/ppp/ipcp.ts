/**
 * IPCP (RFC 1332) with the DNS/NBNS extensions (RFC 1877), following pppd's ipcp.c
 * where the RFC leaves room: how a server assigns the peer's address, when a client
 * takes the address it is given, and what gets rejected.
 */
import { Fsm, State, type FsmConfig, type FsmHandler, type ReqCiResult } from './fsm.js';
import { Code, emitOptions, opt, parseOptions, u32, type ConfigOption } from './packet.js';
import type { Timers } from './timers.js';
import { icmpEchoReply, ip4ToString } from '../wire/ipv4.js';
import { PROTO_IP, PROTO_IPCP } from './protocols.js';
import type { LogLevel } from './log.js';
import type { Protent, SessionContext } from './protent.js';

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

interface Ours {
  addr?: number;
  dns1?: number;
  dns2?: number;
}

function readAddr(v: Buffer): number | undefined {
  return v.length === 4 ? v.readUInt32BE(0) : undefined;
}

export class Ipcp implements FsmHandler {
  readonly fsm: Fsm;
  go: Ours = {};
  hisAddr = 0;
  private lastReq: Buffer = Buffer.alloc(0);

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
    this.go = {
      addr: this.policy.localAddr,
      dns1: this.policy.usePeerDns ? 0 : undefined,
      dns2: this.policy.usePeerDns ? 0 : undefined,
    };
  }

  addCi(): Buffer {
    const o: ConfigOption[] = [];
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
    const next = { ...this.go };
    for (const o of opts) {
      const a = readAddr(o.value);
      switch (o.type) {
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
    const next = { ...this.go };
    for (const o of opts) {
      const mine = sent.find((s) => s.type === o.type);
      if (!mine || !mine.value.equals(o.value)) return false;
      if (o.type === IpcpOpt.Address) next.addr = undefined;
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
    for (const o of opts) {
      const a = readAddr(o.value);
      let verdict: 'ack' | 'nak' | 'rej' = 'ack';
      let nakWith: number | undefined;
      switch (o.type) {
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
          // IP-Addresses (1, deprecated) and IP-Compression-Protocol (2, VJ: not
          // implemented) are rejected like any unknown option.
          verdict = 'rej';
      }
      if (verdict === 'nak' && rejectIfDisagree) verdict = 'rej';
      if (verdict === 'nak') naks.push(opt(o.type, u32(nakWith!)));
      if (verdict === 'rej') rejs.push(o);
    }
    if (rejs.length) return { code: Code.ConfRej, data: emitOptions(rejs) };
    if (naks.length) return { code: Code.ConfNak, data: emitOptions(naks) };
    return { code: Code.ConfAck, data };
  }

  up(): void {
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
export class IpcpProtocol implements Protent {
  readonly name = 'IPCP';
  readonly protocol = PROTO_IPCP;
  readonly dataProtocols = [PROTO_IP] as const;
  readonly phases = ['Network'] as const;
  readonly kind = 'ncp';
  readonly enabled: boolean;
  readonly ipcp: Ipcp;
  /** The addresses once IPCP is up. */
  result: IpcpResult | undefined;
  readonly stats = { ipIn: 0, ipOut: 0, discarded: 0 };

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
        allowRemote: (a) => ctx.peerSecret?.allowIp?.(a) ?? true,
      },
      { restartMs: o.ipcpRestart * 1000, maxConfigure: o.ipcpMaxConfigure, maxTerminate: o.ipcpMaxTerminate, maxFailure: o.ipcpMaxFailure },
      {
        send: (p) => ctx.send(PROTO_IPCP, p),
        log: (level, msg) => ctx.log(level, msg),
        up: (r) => {
          this.result = r;
          ctx.ncpUp(this);
          ctx.emit({ type: 'ip-up', local: r.local, remote: r.remote, dns: r.dns });
        },
        down: () => this.ipDown(),
        finished: () => ctx.ncpFinished(this),
        fail: (reason) => this.ipcp.fsm.close(reason),
      },
      ctx.timers,
    );
  }

  get isOpen(): boolean {
    return this.ipcp.opened;
  }

  input(info: Buffer): void {
    this.ipcp.fsm.input(info);
  }

  dataInput(_protocol: number, packet: Buffer): void {
    if (!this.ipcp.opened || !this.result) {
      this.stats.discarded++;
      return;
    }
    this.stats.ipIn++;
    const reply = icmpEchoReply(packet, this.result.local);
    if (reply) return void this.sendData(PROTO_IP, reply);
    this.ctx.emit({ type: 'ip', packet });
  }

  /** An IP packet for the peer; false (dropped) unless IPCP is up. */
  sendData(_protocol: number, packet: Buffer): boolean {
    if (!this.ipcp.opened) return false;
    this.stats.ipOut++;
    this.ctx.send(PROTO_IP, packet);
    return true;
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
    if (!this.result) return;
    this.result = undefined;
    this.ctx.ncpDown(this);
    this.ctx.emit({ type: 'ip-down' });
  }
}
