/**
 * `network tun` in `dialtone isp`: each dial-in session gets a real point-to-point
 * interface (ppp0, ppp1, ... as a pppd access server makes them) with the gateway as local
 * address and the client's pool address as peer, so the kernel has a host route to every
 * client and routes (or with `proxyarp` bridges onto the LAN) their traffic; no NAT. The
 * `ip-up` / `ip-down` scripts of isp.conf run as pppd runs /etc/ppp/ip-up: interface,
 * device, speed, local address, remote address.
 */
import { execFile } from 'node:child_process';
import type { IpUpInfo, NetworkBackend } from '../runtime/driver.js';
import type { IspConfig } from '../isp/config.js';
import type { BackendRequest, IspOptions } from '../isp/server.js';
import { nativeError } from '../native/index.js';
import { ip4ToString, parseIp4 } from '../wire/ipv4.js';
import { PppNetif, type PppNetifOptions } from './ppp-netif.js';

type Factory = NonNullable<IspOptions['backend']>;

/** The session backend the config asks for: the TUN one, else `nat` (the userspace NAT's factory). */
export function ispBackendFactory(config: IspConfig, log: (msg: string) => void, nat: (config: IspConfig, log: (msg: string) => void) => Factory): Factory {
  if (config.network !== 'tun') return nat(config, log);
  const why = nativeError();
  if (why) log(`network tun: ${why}; sessions will have no network`);
  return tunBackendFactory(config, log);
}

export function tunBackendFactory(config: IspConfig, log: (msg: string) => void, extra: Partial<PppNetifOptions> = {}): Factory {
  return (req) => new IspTunSession(req, config, log, extra);
}

/** pppd's ip-up/ip-down for a session: args as ipcp_script gives them, the usual variables. */
function runScript(file: string, args: string[], log: (m: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const env = { ...process.env, IFNAME: args[0]!, DEVICE: args[1]!, SPEED: args[2]!, IPLOCAL: args[3]!, IPREMOTE: args[4]! };
    execFile(file, args, { env, timeout: 60_000 }, (err, _o, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') log(`Script ${file} not found`);
      else if (err) log(`Script ${file} failed: ${String(stderr).trim() || err.message}`);
      resolve();
    });
  });
}

export class IspTunSession implements NetworkBackend {
  private readonly netif: PppNetif;
  private chain: Promise<unknown> = Promise.resolve();
  private addrs: { local: number; remote: number } | undefined;
  private failed = false;

  constructor(
    private readonly req: BackendRequest,
    private readonly config: IspConfig,
    private readonly log: (msg: string) => void,
    extra: Partial<PppNetifOptions>,
  ) {
    this.netif = new PppNetif({
      proxyarp: !!config.proxyarp,
      // pppd's ktune with proxyarp: a LAN host's packets for a client are forwarded.
      ktune: !!config.proxyarp,
      ...(req.mtu ? { mtu: req.mtu } : {}),
      log: (_level, m) => log(`[${req.sessionId}] ${m}`),
      ...extra,
    });
  }

  private step(fn: () => Promise<unknown> | unknown): void {
    const run = async () => {
      try {
        await fn();
      } catch (err) {
        this.log(`[${this.req.sessionId}] ${(err as Error).message}`);
      }
    };
    this.chain = this.chain.then(run, run);
  }

  private scriptArgs(): string[] {
    const a = this.addrs!;
    return [this.netif.ifname ?? '', '', '38400', ip4ToString(a.local), ip4ToString(a.remote)];
  }

  deliver(packet: Buffer): void {
    this.netif.deliver(packet);
  }

  attach(send: (packet: Buffer) => void, info?: IpUpInfo): void {
    this.netif.attach(send);
    if (this.addrs || this.failed) return;
    const local = info?.local || parseIp4(this.req.gateway)!;
    const remote = info?.remote || parseIp4(this.req.client)!;
    try {
      this.netif.create();
    } catch (err) {
      this.failed = true;
      this.log(`[${this.req.sessionId}] Couldn't create new ppp unit: ${(err as Error).message}`);
      return;
    }
    this.addrs = { local, remote };
    this.log(`[${this.req.sessionId}] Using interface ${this.netif.ifname}`);
    this.step(async () => {
      await this.netif.sifaddr(local, remote);
      await this.netif.sifup(this.req.mtu);
      await this.netif.routes(local, remote);
      if (this.config.ipUp) await runScript(this.config.ipUp, this.scriptArgs(), this.log);
    });
  }

  /** IP went down: pppd's ipcp_down (no demand on a server): down, addresses cleared, ip-down. */
  detach(): void {
    this.netif.detach();
    if (!this.addrs) return;
    const args = this.scriptArgs();
    this.addrs = undefined;
    this.step(async () => {
      await this.netif.sifdown();
      await this.netif.clearAddrs();
      if (this.config.ipDown) await runScript(this.config.ipDown, args, this.log);
    });
  }

  /** The session is over: the unit (and its interface) goes. */
  close(): void {
    if (this.addrs) this.detach();
    this.step(() => this.netif.cleanup());
  }

  stats(): unknown {
    return { tun: { ifname: this.netif.ifname, ...this.netif.stats } };
  }

  /** Resolves when the configuration steps queued so far are done (tests). */
  settled(): Promise<unknown> {
    return this.chain;
  }
}
