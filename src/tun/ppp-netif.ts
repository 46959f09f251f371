/**
 * The TUN network backend: the PPP link as a real point-to-point interface (ppp0), as
 * pppd's sys-linux.c makes it, with IP packets moving between the TUN device and the PPP
 * core directly (no NAT). It is both the daemon's NetworkBackend (packets) and its
 * "netif" (pppd's sif and cif calls, in pppd's order, which the daemon makes around its
 * scripts):
 *
 *   create()            make_ppp_unit: "ppp%d" (or `unit`, or `ifname`), "Using interface"
 *   sifaddr(l, r)       addresses: local, peer, netmask forced to /32 as on kernels ≥ 2.1.16
 *   sifup(mtu)          MTU min(peer MRU, `mtu`) (lcp_up's netif_set_mtu), interface up
 *   routes(l, r)        `defaultroute` (with `replacedefaultroute`, `defaultroute-metric`)
 *                       and `proxyarp` (sifdefaultroute, sifproxyarp)
 *   clearAddrs(l, r)    ipcp_clear_addrs: proxy ARP entry, default route (restoring one
 *                       that was replaced), addresses
 *   sifdown()           interface down
 *   destroy()           closing the TUN fd deletes the interface (pppd closes the unit)
 *   cleanup()           sys_cleanup at exit: down, default route, proxy ARP; then destroy
 *
 * Addresses and routes go through iproute2's `ip` (one command per pppd ioctl); the
 * routing table is read from /proc/net/route as pppd reads it. Everything acts on the
 * network namespace the process runs in.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { IpUpInfo, Ipv6UpInfo, NetworkBackend } from '../runtime/driver.js';
import { ip4ToString } from '../wire/ipv4.js';
import { openTun as nativeOpenTun, type RawDevice } from '../native/index.js';
import type { LogLevel } from '../ppp/log.js';

export interface PppNetifOptions {
  /** pppd `ifname`: the interface's name. */
  ifname?: string;
  /** pppd `unit`: ppp<unit>. Without either, the first free ppp%d. */
  unit?: number;
  defaultroute?: boolean;
  replacedefaultroute?: boolean;
  /** pppd `defaultroute-metric` (default -1: the kernel's metric 0). */
  defaultrouteMetric?: number;
  proxyarp?: boolean;
  /** pppd `ktune`: with proxyarp, turn on IP forwarding (net.ipv4.ip_forward). */
  ktune?: boolean;
  /** pppd `mtu`: the most the interface's MTU may be (lcp_allowoptions mru). */
  mtu?: number;
  log: (level: LogLevel, msg: string) => void;
  /** Runs `ip ARGS`; rejects with the message on failure. Tests may record instead. */
  ip?: (args: string[]) => Promise<void>;
  /** The text of /proc/net/route. */
  routeTable?: () => string;
  /** `ip -j -4 addr show` parsed. */
  addrTable?: () => Promise<IfAddrs[]>;
  openTun?: (opts: { name?: string }) => { ifname: string; dev: RawDevice };
  /** Where ktune writes (default /proc/sys/net/ipv4/ip_forward). */
  ipForwardPath?: string;
}

/** An interface with its flags and IPv4 addresses, as `ip -j addr` gives them. */
export interface IfAddrs {
  ifname: string;
  flags: string[];
  address?: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

/** A row of /proc/net/route. */
interface RouteRow {
  iface: string;
  dst: number;
  gateway: number;
  flags: number;
  metric: number;
  mask: number;
}

const RTF_UP = 0x1;
/** Packets the TUN device gives while the link is not passing IP, for demand (bounded upstream). */

function runIp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 30_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

function ipJson(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 30_000, maxBuffer: 8 << 20 }, (err, out) => {
      if (err) return reject(err);
      try {
        resolve(JSON.parse(String(out) || '[]'));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** /proc/net/route's hex columns are the address as a host-order integer (little-endian here). */
function hexAddr(h: string): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(parseInt(h, 16) >>> 0);
  return b.readUInt32BE(0);
}

export function parseRouteTable(text: string): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const c = line.trim().split(/\s+/);
    if (c.length < 8) continue;
    rows.push({ iface: c[0]!, dst: hexAddr(c[1]!), gateway: hexAddr(c[2]!), flags: parseInt(c[3]!, 16), metric: Number(c[6]), mask: hexAddr(c[7]!) });
  }
  return rows;
}

function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function ipToNum(s: string): number {
  return s.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
}

export class PppNetif implements NetworkBackend {
  ifname: string | undefined;
  private dev: RawDevice | undefined;
  private send: ((pkt: Buffer) => void) | undefined;
  private send6: ((pkt: Buffer) => void) | undefined;
  private isUp = false;
  /** pppd default_route_set / proxy_arp_set and the sys-linux.c state behind them. */
  private defaultRouteSet = false;
  private replaced: RouteRow | undefined;
  private proxyArp: { addr: number; dev: string } | undefined;
  readonly stats = { fromKernel: 0, toKernel: 0, dropped: 0 };
  private readonly ip: (args: string[]) => Promise<void>;

  constructor(private readonly o: PppNetifOptions) {
    this.ip = o.ip ?? runIp;
  }

  private get metric(): number {
    // sys-linux.c: rt_metric = dfl_route_metric + 1, and the kernel stores rt_metric - 1.
    return Math.max(0, this.o.defaultrouteMetric ?? -1);
  }

  /** make_ppp_unit: the interface, down and without addresses. Throws when it cannot be made. */
  create(): string {
    if (this.dev) return this.ifname!;
    const open = this.o.openTun ?? ((opts: { name?: string }) => nativeOpenTun(opts));
    const wanted = this.o.ifname ?? (this.o.unit !== undefined ? `ppp${this.o.unit}` : 'ppp%d');
    let r: { ifname: string; dev: RawDevice };
    try {
      r = open({ name: wanted });
    } catch (err) {
      // sys-linux.c make_ppp_unit: a unit in use means any free one.
      if (this.o.ifname !== undefined || this.o.unit === undefined) throw err;
      this.o.log('warn', `Couldn't allocate PPP unit ${this.o.unit} as it is already in use`);
      r = open({ name: 'ppp%d' });
    }
    this.ifname = r.ifname;
    this.dev = r.dev;
    r.dev.onData((pkt) => this.fromKernel(pkt));
    return r.ifname;
  }

  private fromKernel(pkt: Buffer): void {
    const v = pkt.length > 0 ? pkt[0]! >> 4 : 0;
    const send = v === 4 ? this.send : v === 6 ? this.send6 : undefined;
    // NPMODE_DROP: nothing passes for a protocol that is not up (IPv6 router solicitations
    // of a fresh interface, packets after ip-down without demand).
    if (!send) {
      this.stats.dropped++;
      return;
    }
    this.stats.fromKernel++;
    send(pkt);
  }

  // ---- NetworkBackend: packets ----------------------------------------------------------------

  deliver(packet: Buffer): void {
    if (!this.dev) return;
    this.stats.toKernel++;
    this.dev.write(packet);
  }

  attach(send: (packet: Buffer) => void, _info?: IpUpInfo): void {
    this.send = send;
  }

  detach(): void {
    this.send = undefined;
  }

  ipv6Up(send: (packet: Buffer) => void, _info: Ipv6UpInfo): void {
    this.send6 = send;
  }

  ipv6Down(): void {
    this.send6 = undefined;
  }

  // ---- pppd's sif/cif calls -----------------------------------------------------------------

  private async tryIp(args: string[], level: LogLevel = 'error'): Promise<boolean> {
    try {
      await this.ip(args);
      return true;
    } catch (err) {
      this.o.log(level, (err as Error).message);
      return false;
    }
  }

  /** sifaddr: our address and the peer's; sys-linux.c forces the netmask to /32. */
  async sifaddr(local: number, remote: number): Promise<boolean> {
    if (!this.ifname) return false;
    const peer = remote ? ['peer', `${ip4ToString(remote)}/32`] : [];
    return this.tryIp(['addr', 'add', `${ip4ToString(local)}/32`, ...peer, 'dev', this.ifname]);
  }

  /** netif_set_mtu + sifup (setifstate: IFF_UP; a TUN interface is IFF_POINTOPOINT already). */
  async sifup(peerMru?: number): Promise<boolean> {
    if (!this.ifname) return false;
    // lcp.c lcp_up: MIN(peer's MRU or 1500, the `mtu` option).
    const mtu = Math.min(peerMru ?? 1500, this.o.mtu ?? 1500);
    await this.tryIp(['link', 'set', 'dev', this.ifname, 'mtu', String(mtu)]);
    const ok = await this.tryIp(['link', 'set', 'dev', this.ifname, 'up']);
    if (ok) this.isUp = true;
    return ok;
  }

  async sifdown(): Promise<void> {
    if (!this.ifname || !this.isUp) return;
    this.isUp = false;
    await this.tryIp(['link', 'set', 'dev', this.ifname, 'down'], 'debug');
  }

  /** The default route and proxy ARP entry ipcp_up / ip_demand_conf ask for. */
  async routes(local: number, remote: number): Promise<void> {
    if (this.o.defaultroute && !this.defaultRouteSet) {
      if (await this.sifdefaultroute(remote)) this.defaultRouteSet = true;
    }
    if (this.o.proxyarp && remote && !this.proxyArp) await this.sifproxyarp(remote);
    void local;
  }

  private routeTable(): RouteRow[] {
    try {
      return parseRouteTable(this.o.routeTable ? this.o.routeTable() : fs.readFileSync('/proc/net/route', 'utf8'));
    } catch {
      return [];
    }
  }

  /** sys-linux.c defaultroute_exists(rt, -1): the first default route that is up, any metric. */
  private existingDefault(): RouteRow | undefined {
    return this.routeTable().find((r) => r.flags & RTF_UP && r.mask === 0 && r.dst === 0);
  }

  private async sifdefaultroute(gateway: number): Promise<boolean> {
    const ifname = this.ifname!;
    let del: RouteRow | undefined;
    if (this.replaced) {
      // Already replaced the system's route (demand, new addresses): just ours again.
      del = this.existingDefault();
    } else {
      const old = this.existingDefault();
      if (old && old.iface !== ifname && old.gateway !== gateway) {
        if (!this.o.replacedefaultroute) {
          this.o.log('error', `not replacing default route to ${old.iface} [${ip4ToString(old.gateway)}]`);
          return false;
        }
        this.o.log('notice', `replacing old default route to ${old.iface} [${ip4ToString(old.gateway)}]`);
        this.replaced = old;
        del = old;
      }
    }
    // SIOCADDRT adds beside routes of the same metric (no NLM_F_EXCL): `ip route prepend`.
    if (!(await this.tryIp(['route', 'prepend', 'default', 'dev', ifname, 'metric', String(this.metric)]))) return false;
    if (this.replaced && del && del.iface !== ifname) {
      if (!(await this.tryIp(['route', 'del', ...this.routeArgs(del)]))) return false;
    }
    return true;
  }

  private routeArgs(r: RouteRow): string[] {
    return ['default', ...(r.gateway ? ['via', ip4ToString(r.gateway)] : []), 'dev', r.iface, 'metric', String(r.metric)];
  }

  /** cifdefaultroute: ours goes (gone already with the interface is fine); a replaced one comes back. */
  private async cifdefaultroute(): Promise<void> {
    if (this.ifname) await this.tryIp(['route', 'del', 'default', 'dev', this.ifname, 'metric', String(this.metric)], 'debug');
    const old = this.replaced;
    if (old) {
      this.o.log('notice', `restoring old default route to ${old.iface} [${ip4ToString(old.gateway)}]`);
      await this.tryIp(['route', 'prepend', ...this.routeArgs(old)]);
      this.replaced = undefined;
    }
  }

  /**
   * sys-linux.c get_ether_addr: the interface that is up and broadcast (not point-to-point,
   * loopback or NOARP) with an address on the peer's subnet, the longest mask winning.
   */
  private async proxyArpDevice(his: number): Promise<string | undefined> {
    let table: IfAddrs[];
    try {
      table = this.o.addrTable ? await this.o.addrTable() : ((await ipJson(['-j', '-4', 'addr', 'show'])) as IfAddrs[]);
    } catch {
      return undefined;
    }
    let best: { name: string; mask: number } | undefined;
    for (const ifc of table) {
      const f = new Set(ifc.flags);
      if (!f.has('UP') || !f.has('BROADCAST') || f.has('POINTOPOINT') || f.has('LOOPBACK') || f.has('NOARP')) continue;
      for (const a of ifc.addr_info) {
        if (a.family !== 'inet') continue;
        const mask = prefixMask(a.prefixlen);
        if (((ipToNum(a.local) ^ his) & mask) !== 0) continue;
        if (!best || mask >= best.mask) best = { name: ifc.ifname.split(':')[0]!, mask };
      }
    }
    return best?.name;
  }

  private async sifproxyarp(his: number): Promise<boolean> {
    const dev = await this.proxyArpDevice(his);
    if (!dev) {
      this.o.log('error', 'Cannot determine ethernet address for proxy ARP');
      return false;
    }
    this.o.log('info', `found interface ${dev} for proxy arp`);
    // SIOCSARP with ATF_PUBL on a host address is the kernel's proxy neighbour entry.
    if (!(await this.tryIp(['neigh', 'add', 'proxy', ip4ToString(his), 'dev', dev]))) return false;
    this.proxyArp = { addr: his, dev };
    if (this.o.ktune) {
      try {
        fs.writeFileSync(this.o.ipForwardPath ?? '/proc/sys/net/ipv4/ip_forward', '1');
      } catch (err) {
        this.o.log('error', `Couldn't enable IP forwarding: ${(err as Error).message}`);
      }
    }
    return true;
  }

  private async cifproxyarp(): Promise<void> {
    const p = this.proxyArp;
    if (!p) return;
    this.proxyArp = undefined;
    await this.tryIp(['neigh', 'del', 'proxy', ip4ToString(p.addr), 'dev', p.dev], 'warn');
  }

  /**
   * ipcp_clear_addrs: the proxy ARP entry, the default route (not when `keepDefault`: demand
   * with replacedefaultroute sets the new one over it), the addresses (cifaddr).
   */
  async clearAddrs(keepDefault = false): Promise<void> {
    await this.cifproxyarp();
    if (!keepDefault && this.defaultRouteSet) {
      this.defaultRouteSet = false;
      await this.cifdefaultroute();
    } else if (keepDefault) {
      this.defaultRouteSet = false;
    }
    if (this.ifname && this.dev) await this.tryIp(['-4', 'addr', 'flush', 'dev', this.ifname], 'debug');
  }

  /** The unit closes: the kernel deletes the interface with its addresses and routes. */
  destroy(): void {
    this.send = undefined;
    this.send6 = undefined;
    this.isUp = false;
    this.dev?.close();
    this.dev = undefined;
  }

  /** sys-linux.c sys_cleanup, then the unit closes. */
  async cleanup(): Promise<void> {
    await this.sifdown();
    if (this.defaultRouteSet) {
      this.defaultRouteSet = false;
      await this.cifdefaultroute();
    }
    await this.cifproxyarp();
    this.destroy();
    // A route replaced and not yet restored (interface gone first) comes back now.
    if (this.replaced) await this.cifdefaultroute();
  }

  get created(): boolean {
    return !!this.dev;
  }
}
