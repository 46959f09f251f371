/**
 * The daemon's life, after the options: pppd's main loop (main.c) and its link lifecycle
 * (auth.c start_link / link_terminated, tty.c connect_tty / disconnect_tty, ipcp.c ipcp_up /
 * ipcp_down), around one sans-IO Session per link:
 *
 *   [demand: dormant until the network backend has a packet for the peer]
 *   lock the device, open the line, run `init` and `connect` ("Serial connection
 *   established."), `welcome`, wait connect-delay for the peer, "Connect: ppp0 <--> ...",
 *   run PPP; auth-up, ip-pre-up, ip-up, ip-down, auth-down at pppd's moments; `idle` and
 *   `maxconnect`; then `disconnect`, close, unlock;
 *   [persist: holdoff, redial, up to maxfail unsuccessful attempts]
 *
 * When to dial, hold off, give up, end an idle or too long link and send what waited for a
 * demand link is the sans-IO LinkPolicy's (link-policy.ts); the daemon feeds it events and runs
 * it from one timer on its clock (deps.clock), and does what it decides.
 *
 * Signals: SIGINT/SIGTERM end the link with a Terminate-Request and the daemon (exit 5);
 * SIGHUP ends the link, which `persist` redials; SIGUSR1 toggles debug.
 */
import os from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Session, defaultSessionOptions, type SessionEvent, type SessionOptions } from '../ppp/session.js';
import { EXIT } from '../ppp/exit-codes.js';
import { ip4ToString } from '../wire/ipv4.js';
import { openLine, describeLine, type Line } from '../lines/line.js';
import { FrameLink } from '../ppp/link/frame-link.js';
import { drive, type Driven, type NetworkBackend } from '../runtime/driver.js';
import type { LogLevel } from '../ppp/log.js';
import type { PppdConfig } from './options-types.js';
import { ourName, type Resolved } from './options.js';
import type { Logger } from './logger.js';
import type { PcapFile } from './pcap-file.js';
import type { RecordFile } from './record-file.js';
import { fileSecrets, readSecretsFiles } from './secrets-files.js';
import { strerror } from '../runtime/strerror.js';
import { turnClock } from '../runtime/turn-clock.js';
import type { DetachPipe } from './detach.js';
import { ipv6ScriptArgs, type LinkInfo, type ScriptEnv } from './scripts.js';
import { eui64FromMac, llv6 } from '../ppp/ipv6cp.js';
import type { DaemonClock, PppdDeps } from './deps.js';
import { LinkPolicy, type LinkPhase, type LinkPolicyAction } from './link-policy.js';
import type { PppNetif } from '../tun/ppp-netif.js';
import { openEthernet } from '../pppoe/ethernet.js';
import { dialPppoe } from '../runtime/pppoe-dial.js';
import { parseMac } from '../pppoe/frame.js';
import { pppoeLinkLayer, pppoeSessionOptions } from '../pppoe/ppp-options.js';
import { gsoSize, segmentGso } from '../wire/gso.js';

/** A line as the daemon holds it: a stream, and for serial ports the modem controls. */
interface LineHandle {
  name: string;
  stream: Duplex;
  fd?: number;
  close(): void;
  hangup?(): Promise<void>;
  /** Serial lines: treat a carrier drop as a hangup from now on (after the connect script). */
  watchCarrier?(): void;
  /** The line speed in use (pppd's baud_rate). */
  speed?: number;
  /** Whole PPP frames per chunk (an L2TP call): the session uses a FrameLink. */
  frames?: boolean;
}

interface CurrentLink {
  session: Session;
  driven: Driven;
  line: LineHandle;
  ipUp: boolean;
  authUp: boolean;
  counters: { in: number; out: number };
  peerName?: string;
  local?: number;
  remote?: number;
  dns: [number, number];
  wroteResolv: boolean;
  /** `network tun`: the interface could not be configured at IPCP up (no ip-up, no ip-down). */
  ifFailed?: boolean;
  /** The interface identifiers while IPV6CP is up (pppd ipv6cp_gotoptions/hisoptions). */
  ll?: { local: Buffer; remote: Buffer };
}

/**
 * The PPP session's clock: drive() runs the Session on real time (its own timers), read once
 * per event-loop turn (every packet is handed the time: turn-clock.ts).
 */
const sessionNow = turnClock();

export interface DaemonParams {
  cfg: PppdConfig;
  resolved: Resolved;
  pppDir: string;
  runDir: string;
  lockDir: string;
  log: Logger;
  deps: PppdDeps;
  backend?: NetworkBackend;
  hostname: string;
  detach?: DetachPipe;
  pcap?: PcapFile;
  /** `record FILE`: the line's bytes in pppdump's format. */
  record?: RecordFile;
  /** The daemon's own environment (for device scripts). */
  env: NodeJS.ProcessEnv;
  /** The terminal the daemon was started on, when no device was given (pppd's default device). */
  defaultDevice?: string;
  /** Delivers 'signal' events (SIGTERM, SIGHUP, ...) in place of process signals. */
  signals?: EventEmitter;
  /** `network tun`: a kernel interface (also the backend) configured as pppd's sys-linux.c does. */
  netif?: PppNetif;
}

const DEMAND_QUEUE_MAX = 256;

export class PppDaemon {
  /** pppd's `status`: the exit status so far. */
  status: number = EXIT.OK;
  private quit = false;
  private readonly policy: LinkPolicy;
  private readonly clock: DaemonClock;
  private policyTimer: unknown;
  private policyTimerAt: number | undefined;
  private pumping = false;
  private pumpAgain = false;
  private lastPhase: LinkPhase | undefined;
  /** The policy's dial and exit decisions, for the main loop. */
  private steps: Array<LinkPolicyAction & { type: 'dial' | 'exit' }> = [];
  private readonly wake = new EventEmitter();
  private attemptAbort: AbortController | undefined;
  private current: CurrentLink | undefined;
  private demandQueue: Buffer[] = [];
  private scriptChain: Promise<unknown> = Promise.resolve();
  private pidFiles: string[] = [];
  private ifname: string;
  private readonly cfg: PppdConfig;
  private readonly log: (level: LogLevel, msg: string) => void;
  private debug: boolean;

  constructor(private readonly p: DaemonParams) {
    this.cfg = p.cfg;
    this.clock = p.deps.clock;
    this.policy = new LinkPolicy({
      persist: p.cfg.persist,
      demand: p.cfg.demand,
      idle: p.cfg.idle,
      maxconnect: p.cfg.maxconnect,
      maxfail: p.cfg.maxfail,
      ...(p.cfg.holdoffSpecified ? { holdoff: p.cfg.holdoff } : {}),
      connectScript: !!p.cfg.connect,
    });
    this.ifname = p.cfg.ifname ?? `ppp${p.cfg.unit ?? 0}`;
    this.log = (level, msg) => p.log.log(level, msg);
    this.debug = p.cfg.debug;
    this.wake.setMaxListeners(0);
  }

  // ---- signals ----------------------------------------------------------------------------

  signal(sig: NodeJS.Signals): void {
    switch (sig) {
      case 'SIGUSR1':
        this.debug = !this.debug;
        this.p.log.setDebug(this.debug);
        if (this.current) this.current.session.options.debug = this.debug;
        return;
      case 'SIGUSR2': {
        // pppd main.c open_ccp_flag: in the Network phase CCP is opened again (e.g. after
        // "Lost compression sync" took it down), asking even if it asked nothing before.
        const cur = this.current;
        if (!cur || cur.session.phase !== 'Network') return;
        cur.session.protocols.find((p) => p.name === 'CCP' && p.enabled)?.open?.();
        cur.driven.flush();
        return;
      }
      case 'SIGHUP': {
        this.log('info', 'Hangup (SIGHUP)');
        const st = this.current?.session.status === EXIT.HANGUP ? EXIT.HANGUP : EXIT.USER_REQUEST;
        this.status = st;
        this.killLink(st);
        this.policy.hangup(this.clock.now());
        this.pump();
        return;
      }
      default: {
        // SIGINT, SIGTERM
        this.log('info', sig === 'SIGINT' ? 'Interrupt received: terminating link' : `Terminating on signal ${os.constants.signals[sig]}`);
        this.quit = true;
        this.status = EXIT.USER_REQUEST;
        this.killLink(EXIT.USER_REQUEST);
        this.policy.quit(this.clock.now());
        this.pump();
      }
    }
  }

  private killLink(status: number): void {
    this.attemptAbort?.abort(new Error('signal'));
    if (this.current) this.current.driven.close('User request', status);
    this.wake.emit('wake');
  }

  /** Resolves once `pred` holds (checked at every wake-up). */
  private waitUntil(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!pred()) return;
        this.wake.off('wake', check);
        resolve();
      };
      this.wake.on('wake', check);
    });
  }

  // ---- the link policy (link-policy.ts) on the daemon's clock --------------------------------

  /** Does what the policy decided, then sets the one timer for its next deadline. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (const a of this.policy.takeActions()) this.act(a);
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    const phase = this.policy.phase;
    if (phase !== this.lastPhase) {
      this.lastPhase = phase;
      this.p.deps.newPhaseHook?.(phase);
    }
    const at = this.policy.nextDeadline();
    if (at === this.policyTimerAt) return;
    this.stopPolicyTimer();
    if (at === undefined) return;
    this.policyTimerAt = at;
    this.policyTimer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => {
      this.policyTimer = undefined;
      this.policyTimerAt = undefined;
      this.policy.tick(this.clock.now());
      this.pump();
    });
  }

  private stopPolicyTimer(): void {
    if (this.policyTimer !== undefined) this.clock.clearTimer(this.policyTimer);
    this.policyTimer = undefined;
    this.policyTimerAt = undefined;
  }

  private act(a: LinkPolicyAction): void {
    switch (a.type) {
      case 'dial':
      case 'exit':
        this.steps.push(a);
        this.wake.emit('wake');
        return;
      case 'terminate':
        // auth.c check_idle / connect_time_expired: the message, then lcp_close.
        this.log(a.level, a.message);
        this.current?.driven.close(a.reason, a.status);
        return;
      case 'flush-demand-queue':
        if (this.current) this.demandRexmit(this.current);
        return;
      case 'discard-demand-queue':
        this.demandQueue = [];
        return;
    }
  }

  // ---- the main loop (main.c main) ------------------------------------------------------------

  async run(): Promise<number> {
    const cfg = this.cfg;
    if (cfg.demand && !this.demandConf()) return EXIT.FATAL_ERROR;
    this.policy.start(this.clock.now());
    this.pump();
    for (;;) {
      // The policy says when: at once, after a holdoff, or (demand) at the first packet.
      await this.waitUntil(() => this.steps.length > 0);
      const step = this.steps.shift()!;
      if (step.type === 'exit') break;
      this.status = EXIT.OK;
      if (step.demand) this.log('info', 'Starting link');
      await this.attempt();
      this.policy.linkDown(this.clock.now());
      this.pump();
    }
    this.stopPolicyTimer();
    const netif = this.p.netif;
    if (netif?.created) this.sys(() => netif.cleanup());
    await this.waitForScripts();
    if (this.pidFiles.length) this.removePidFiles();
    this.p.backend?.detach();
    return this.status;
  }

  /** pppd waits for its scripts at exit, at most child-timeout seconds. */
  private async waitForScripts(): Promise<void> {
    let timer: unknown;
    await Promise.race([
      this.scriptChain,
      new Promise<void>((r) => (timer = this.clock.setTimer(Math.max(0, this.cfg.childTimeout) * 1000, r))),
    ]);
    this.clock.clearTimer(timer);
  }

  // ---- dial on demand (demand.c, ipcp.c ip_demand_conf) -------------------------------------

  private demandAddrs = { local: 0, remote: 0 };

  private demandConf(): boolean {
    const unit = this.cfg.unit ?? 0;
    const local = this.p.resolved.localAddr || (0x0a404040 + unit) >>> 0;
    const remote = this.p.resolved.remoteAddr || (0x0a707070 + unit) >>> 0;
    this.demandAddrs = { local, remote };
    const netif = this.p.netif;
    if (netif && !this.createNetif()) return false;
    if (netif) this.log('info', `Using interface ${this.ifname}`);
    this.writePidFiles();
    if (netif) {
      // ipcp.c ip_demand_conf: addresses, ip-pre-up, up (queueing), default route, proxy ARP.
      this.sys(() => netif.sifaddr(local, remote));
      const info = this.baseInfo();
      void this.script(path.join(this.p.pppDir, 'ip-pre-up'), this.p.deps.ipScriptArgs({ ...info, local: ip4ToString(local), remote: ip4ToString(remote) }), info);
      this.sys(async () => {
        await netif.sifup();
        await netif.routes(local, remote);
      });
    } else this.reportNetworkSide(local, remote);
    this.log('notice', `local  IP address ${ip4ToString(local)}`);
    this.log('notice', `remote IP address ${ip4ToString(remote)}`);
    this.attachBackend(local, remote, [0, 0]);
    return true;
  }

  /**
   * The backend sends through outbound(). It may send TCP super-segments (IpUpInfo.gso): the
   * session cuts them for the link, as the runtime's driver lets it (src/wire/gso.ts).
   */
  private attachBackend(local: number, remote: number, dns: [number, number]): void {
    this.p.backend?.attach((pkt) => this.outbound(pkt), { local, remote, dns, gso: true });
  }

  /** A packet from the network backend for the peer. */
  private outbound(pkt: Buffer): void {
    const cur = this.current;
    if (cur?.ipUp && !this.policy.settling) {
      // Bounded by the line's backlog (the driver drops beyond MAX_LINE_BACKLOG, as a router).
      cur.driven.sendIp(pkt);
      return;
    }
    if (!this.cfg.demand) return; // no link: dropped, as by a down interface
    // pppd: the interface queues (NPMODE_QUEUE) until IPCP is up; the first packet starts the link.
    // A super-segment waits as the segments it stands for: the bound counts what the peer gets.
    const mss = gsoSize(pkt);
    for (const p of mss ? segmentGso(pkt, mss) : [pkt]) {
      if (this.demandQueue.length < DEMAND_QUEUE_MAX) this.demandQueue.push(p);
    }
    this.policy.demandPacket(this.clock.now());
    this.pump();
  }

  // ---- one link (auth.c start_link .. link_terminated) ----------------------------------------

  private lineKind(): 'device' | 'stream' {
    return this.cfg.line?.kind === 'device' ? 'device' : 'stream';
  }

  /** The name pppd gives scripts as the device ($2, DEVICE). */
  private deviceName(): string {
    if (this.cfg.pppoe?.ifname) return this.cfg.pppoe.ifname;
    const l = this.cfg.line;
    if (!l) return '';
    if (l.kind === 'device') return l.path;
    if (l.kind === 'stdio' && this.p.defaultDevice) return this.p.defaultDevice;
    // pppd's devnam is empty for pty, socket and notty; dialtone's tcp lines give their word.
    if (l.kind === 'tcp' && this.cfg.socket === undefined) return describeLine(l);
    if (l.kind === 'tcp-listen') return describeLine(l);
    return '';
  }

  /** pppd's baud_rate: the serial line's speed; 38400 on the pseudo-terminal pppd puts under pty/socket/notty. */
  private lineSpeed(): number {
    return this.current?.line.speed ?? this.lastSpeed ?? this.cfg.speed ?? 38400;
  }

  private lastSpeed: number | undefined;

  private baseInfo(): LinkInfo {
    const cfg = this.cfg;
    const cur = this.current;
    const info: LinkInfo = {
      ifname: this.ifname,
      device: this.deviceName(),
      speed: this.lineSpeed(),
      usePeerDns: cfg.usepeerdns,
      user: os.userInfo().username,
      unit: cfg.unit ?? 0,
    };
    if (cfg.ipparam !== undefined) info.ipparam = cfg.ipparam;
    if (cfg.linkname !== undefined) info.linkname = cfg.linkname;
    if (cfg.callFile !== undefined) info.callFile = cfg.callFile;
    if (cur?.peerName !== undefined) info.peerName = cur.peerName;
    if (cur?.local !== undefined) info.local = ip4ToString(cur.local);
    if (cur?.remote !== undefined) info.remote = ip4ToString(cur.remote);
    if (cur?.dns[0]) info.dns1 = ip4ToString(cur.dns[0]);
    if (cur?.dns[1]) info.dns2 = ip4ToString(cur.dns[1]);
    if (cur?.ll) {
      info.llLocal = llv6(cur.ll.local);
      info.llRemote = llv6(cur.ll.remote);
    }
    return info;
  }

  /** scriptEnv + pppd's own variables + the `set`/`unset` options. */
  private env(info: LinkInfo): ScriptEnv {
    let env: ScriptEnv;
    try {
      env = { ...this.p.deps.scriptEnv(info) };
    } catch (err) {
      this.log('error', `script environment: ${(err as Error).message}`);
      env = {};
    }
    env.PPPD_PID ??= String(process.pid);
    env.PPPLOGNAME ??= os.userInfo().username;
    env.ORIG_UID ??= String(process.getuid?.() ?? 0);
    for (const e of this.cfg.userEnv) {
      if (e.value === undefined) delete env[e.name];
      else env[e.name] = e.value;
    }
    return env;
  }

  /** Runs a script after the ones before it (pppd never runs ip-down while ip-up runs). */
  /** Runs `file` after what is queued before it; `when`, checked then, may skip it. */
  private script(file: string, args: string[], info: LinkInfo, when?: () => boolean): Promise<unknown> {
    const env = this.env(info);
    const run = async () => {
      if (when && !when()) return;
      try {
        const rc = await this.p.deps.runScript(file, args, env, this.log);
        if (rc === undefined) this.log('debug', `Script ${file} not found`);
      } catch (err) {
        this.log('error', `Script ${file}: ${(err as Error).message}`);
      }
    };
    this.scriptChain = this.scriptChain.then(run, run);
    return this.scriptChain;
  }

  /** The PPPoE session's MTU (1492, or RFC 4638's PPP-Max-Payload), once discovery is done. */
  private pppoeMtu: number | undefined;

  /** `plugin rp-pppoe.so`: PPPoE discovery on the interface; the session is the line. */
  private async openPppoe(signal: AbortSignal): Promise<LineHandle> {
    const p = this.cfg.pppoe!;
    if (!p.ifname) throw new Error('PPPoE: no interface given (nic-eth0 or an interface name)');
    const port = await openEthernet(p.ifname);
    const d = await dialPppoe(port, {
      ...(p.service !== undefined ? { service: p.service } : {}),
      ...(p.acName !== undefined ? { acName: p.acName } : {}),
      ...(p.acMac ? { acMac: parseMac(p.acMac)! } : {}),
      // rp-pppoe's default Host-Uniq is the process id (4 octets).
      hostUniq: p.hostUniq ? Buffer.from(p.hostUniq, 'hex') : Buffer.from([process.pid >>> 24, (process.pid >>> 16) & 255, (process.pid >>> 8) & 255, process.pid & 255]),
      ...(p.padiTimeout ? { timeoutMs: p.padiTimeout * 1000 } : {}),
      ...(p.padiAttempts ? { attempts: p.padiAttempts } : {}),
      ...(this.cfg.session.mru && this.cfg.session.mru > 1492 ? { maxPayload: this.cfg.session.mru } : {}),
    }, (level, msg) => this.log(level, msg), signal);
    this.pppoeMtu = d.mtu;
    this.log('info', `PPP session is ${d.sessionId}`);
    this.log('info', `Connected to ${d.peer} via interface ${p.ifname}`);
    return { name: p.ifname, stream: d.stream, close: () => d.stream.destroy() };
  }

  private async openTheLine(signal: AbortSignal): Promise<LineHandle> {
    if (this.cfg.pppoe) return this.openPppoe(signal);
    const spec = this.cfg.line ?? { kind: 'stdio' as const };
    if (spec.kind === 'device') {
      const scripted = !!(this.cfg.connect || this.cfg.init);
      const s = await this.p.deps.openSerial(spec.path, {
        ...(this.cfg.speed !== undefined ? { speed: this.cfg.speed } : {}),
        ...(this.cfg.crtscts > 0 ? { crtscts: true } : this.cfg.crtscts === -1 ? { crtscts: false } : {}),
        ...(this.cfg.crtscts === -2 ? { xonxoff: true } : {}),
        modem: this.cfg.modem,
        // tty.c: the carrier is waited for only when no connect script dials first.
        waitForCarrier: this.cfg.modem && !scripted,
        log: this.log,
      });
      const handle: LineHandle = {
        name: s.name || spec.path,
        stream: s.stream,
        close: () => s.close(),
        hangup: () => s.hangup(),
        watchCarrier: () => s.watchCarrier?.(),
        speed: s.speed,
      };
      if (s.fd !== undefined) handle.fd = s.fd;
      // A carrier drop ends the stream: the driver logs "Modem hangup" and ends the link.
      return handle;
    }
    if (spec.kind === 'tcp-listen') this.log('notice', `Waiting for a connection on ${spec.host}:${spec.port}`);
    const line: Line = await openLine(spec, {
      signal,
      onListening: (port) => this.log('info', `Listening on ${spec.kind === 'tcp-listen' ? spec.host : ''}:${port}`),
      ...(spec.kind === 'l2tp' ? { l2tp: { ...(this.cfg.l2tpSecret !== undefined ? { secret: this.cfg.l2tpSecret } : {}), ...(this.cfg.l2tpHostname !== undefined ? { hostName: this.cfg.l2tpHostname } : {}), log: (m: string) => this.log('debug', m) } } : {}),
    });
    return { name: line.name, stream: line.stream, close: () => line.close(), ...(line.frames ? { frames: true } : {}) };
  }

  private async attempt(): Promise<void> {
    const cfg = this.cfg;
    const ac = new AbortController();
    this.attemptAbort = ac;
    this.status = EXIT.CONNECT_FAILED;
    let lockPath: string | undefined;
    let line: LineHandle | undefined;
    let linkUp = false;
    const quitting = () => this.quit || ac.signal.aborted;
    try {
      // tty.c connect_tty: lock, open, init, connect, welcome.
      if (cfg.lock && this.lineKind() === 'device' && cfg.line?.kind === 'device') {
        // lockDevice logs pppd's messages itself ("Device ttyS0 is locked by pid 42", ...).
        const r = this.p.deps.lockDevice(cfg.line.path, this.p.lockDir, process.pid, this.log);
        if (!r.ok) {
          this.status = EXIT.LOCK_FAILED;
          return;
        }
        lockPath = r.path;
      }
      try {
        line = await this.openTheLine(ac.signal);
      } catch (err) {
        if (quitting()) {
          this.status = EXIT.USER_REQUEST;
          return;
        }
        if (cfg.pppoe) {
          // rp-pppoe.so: discovery failing is a connect failure (pppd EXIT_CONNECT_FAILED).
          this.log('error', `${(err as Error).message}`);
          this.log('error', 'Unable to complete PPPoE Discovery');
          this.status = EXIT.CONNECT_FAILED;
          return;
        }
        const spec = cfg.line ?? { kind: 'stdio' as const };
        this.log('error', `Failed to open ${spec.kind === 'device' ? spec.path : describeLine(spec)}: ${strerror(err)}`);
        this.status = spec.kind === 'pty' ? EXIT.PTYCMD_FAILED : EXIT.OPEN_FAILED;
        return;
      }
      line.stream.on('error', () => undefined);
      if (line.speed !== undefined) this.lastSpeed = line.speed;
      const dev = { stream: line.stream, ...(line.fd !== undefined ? { fd: line.fd } : {}) };
      const scriptOpts = () => {
        const o: { errorsFile?: string; env?: Record<string, string>; log: (level: LogLevel, msg: string) => void } = { log: this.log, env: this.deviceScriptEnv() };
        if (cfg.logfile) o.errorsFile = cfg.logfile;
        else if (cfg.logfd === -1 || this.p.detach) o.errorsFile = path.join(this.p.pppDir, 'connect-errors');
        return o;
      };
      const deviceScript = (command: string) => this.p.deps.runDeviceScript(command, dev, scriptOpts());
      if (cfg.init) {
        const rc = await deviceScript(cfg.init);
        if (rc !== 0) {
          this.log('error', 'Initializer script failed');
          this.status = EXIT.INIT_FAILED;
          return;
        }
        if (quitting()) return void (this.status = EXIT.USER_REQUEST);
        this.log('info', 'Serial port initialized.');
      }
      if (cfg.connect) {
        const rc = await deviceScript(cfg.connect);
        if (rc !== 0) {
          this.log('error', 'Connect script failed');
          this.status = EXIT.CONNECT_FAILED;
          return;
        }
        if (quitting()) return void (this.status = EXIT.USER_REQUEST);
        this.log('info', 'Serial connection established.');
      }
      line.watchCarrier?.();
      if (cfg.welcome) {
        const rc = await deviceScript(cfg.welcome);
        if (rc !== 0) this.log('warn', 'Welcome script failed');
      }
      // tty.c: when we initiated the connection, wait connect-delay ms for the peer first.
      const initial: Buffer[] = [];
      const spec = cfg.line ?? { kind: 'stdio' as const };
      if ((cfg.connect || spec.kind === 'pty' || spec.kind === 'tcp') && cfg.connectDelay > 0) {
        await new Promise<void>((resolve) => {
          const onData = (b: Buffer) => {
            initial.push(b);
            finish();
          };
          const finish = () => {
            this.clock.clearTimer(t);
            line!.stream.off('data', onData);
            this.wake.off('wake', onWake);
            line!.stream.pause();
            resolve();
          };
          const onWake = () => quitting() && finish();
          const t = this.clock.setTimer(cfg.connectDelay, finish);
          line!.stream.on('data', onData);
          this.wake.on('wake', onWake);
        });
        if (quitting()) return void (this.status = EXIT.USER_REQUEST);
      }
      if (this.p.netif && !cfg.demand && !this.createNetif()) {
        this.status = EXIT.FATAL_ERROR;
        return;
      }
      linkUp = true;
      this.log('info', `Using interface ${this.ifname}`);
      this.log('notice', `Connect: ${this.ifname} <--> ${line.name}`);
      if (!cfg.demand) this.writePidFiles();
      this.status = EXIT.NEGOTIATION_FAILED;
      this.status = await this.runPpp(line, initial);
      if (this.current?.session.status === EXIT.HANGUP) this.status = EXIT.HANGUP;
    } finally {
      this.attemptAbort = undefined;
      const cur = this.current;
      this.current = undefined;
      if (cur) this.linkGone(cur);
      const netif = this.p.netif;
      // generic_disestablish_ppp: without demand the unit (and its interface) goes with the link.
      if (netif?.created && !cfg.demand) this.sys(() => netif.destroy());
      if (linkUp && !cfg.demand) this.removePidFiles();
      if (line) {
        // tty.c disconnect_tty: not after a hangup.
        if (cfg.disconnect && this.status !== EXIT.HANGUP) {
          const rc = await this.p.deps.runDeviceScript(cfg.disconnect, { stream: line.stream, ...(line.fd !== undefined ? { fd: line.fd } : {}) }, { log: this.log, env: this.deviceScriptEnv() });
          if (rc !== 0) this.log('warn', 'disconnect script failed');
          else this.log('info', 'Serial link disconnected.');
        }
        if (line.hangup && cfg.modem) {
          try {
            await line.hangup();
          } catch {
            /* the line may be gone */
          }
        }
        try {
          if (!line.stream.destroyed) line.stream.end();
        } catch {
          /* closing anyway */
        }
        line.close();
      }
      if (lockPath) {
        try {
          this.p.deps.unlockDevice(lockPath);
        } catch (err) {
          this.log('warn', `Couldn't remove lock file ${lockPath}: ${strerror(err)}`);
        }
      }
    }
  }

  private deviceScriptEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.p.env)) if (v !== undefined) env[k] = v;
    return { ...env, ...this.env(this.baseInfo()) };
  }

  private sessionOptions(): SessionOptions {
    const cfg = this.cfg;
    const r = this.p.resolved;
    const secrets = fileSecrets(readSecretsFiles(this.p.pppDir, this.log), {
      login: cfg.login,
      systemPassword: this.p.deps.checkPasswordSync,
      log: this.log,
    });
    const o: Partial<SessionOptions> = {
      ...cfg.session,
      name: ourName(cfg, this.p.hostname),
      secrets,
      auth: cfg.authRequired,
      // pppd auth_check_options: `noauth` (after any require-*) asks for nothing.
      requirePap: cfg.authRequired && cfg.requirePap,
      requireChap: cfg.authRequired && cfg.requireChap,
      requireMschap: cfg.authRequired && !!cfg.session.requireMschap,
      requireMschapV2: cfg.authRequired && !!cfg.session.requireMschapV2,
      requireEap: cfg.authRequired && !!cfg.session.requireEap,
      asyncmap: cfg.defaultAsyncmap ? 0xffffffff : (cfg.asyncmap ?? 0),
      escape: cfg.escape,
      noip: cfg.noip,
      localAddr: r.localAddr,
      remoteAddr: r.remoteAddr,
      msDns: r.msDns,
      msWins: r.msWins,
      usePeerDns: cfg.usepeerdns,
      debug: this.debug,
      tapFrames: !!this.p.pcap,
    };
    // ipv6cp.c ipv6_check_options: ipv6cp-use-persistent, when no identifier was given.
    if (cfg.ipv6cpUsePersistent && !o.ipv6LocalId && !o.ipv6RemoteId) {
      const mac = Object.values(os.networkInterfaces()).flat().find((n) => n && !n.internal && n.mac && n.mac !== '00:00:00:00:00:00')?.mac;
      if (mac) o.ipv6LocalId = eui64FromMac(mac);
      else this.log('error', 'ipv6cp: no persistent id can be found');
    }
    if (cfg.explicitUser) o.user = cfg.user ?? '';
    if (cfg.explicitPassword) o.password = cfg.password ?? '';
    const remote = cfg.remotename ?? r.remoteHostName;
    if (remote !== undefined) o.remoteName = remote;
    // rp-pppoe.so: MRU at most the session's MTU, no ACFC/PFC (RFC 2516 §7).
    if (cfg.pppoe) Object.assign(o, pppoeSessionOptions(Math.min(o.mru ?? 1500, this.pppoeMtu ?? 1492)));
    return defaultSessionOptions(o);
  }

  /** PPP on the open line until the link is dead; resolves with its exit status. */
  private runPpp(line: LineHandle, initial: Buffer[]): Promise<number> {
    // L2TP carries whole frames with FF 03 in front (RFC 2661 §2); PPPoE whole frames without (RFC 2516 §7): no HDLC.
    const session = new Session(this.sessionOptions(), sessionNow(), line.frames ? new FrameLink({ addressControl: true }) : this.cfg.pppoe ? pppoeLinkLayer(this.pppoeMtu) : undefined);
    const cur: CurrentLink = {
      session,
      driven: undefined as unknown as Driven,
      line,
      ipUp: false,
      authUp: false,
      counters: { in: 0, out: 0 },
      dns: [0, 0],
      wroteResolv: false,
    };
    this.current = cur;
    this.policy.linkUp(this.clock.now());
    this.p.record?.start();
    const rec = this.p.record;
    cur.driven = drive(session, { name: line.name, stream: line.stream, close: () => undefined }, {
      keepLineOpen: true,
      ...(rec ? { onLineBytes: (dir: 'in' | 'out', b: Buffer) => rec.data(dir === 'out' ? 'sent' : 'received', b) } : {}),
      initialInput: initial,
      now: sessionNow,
      onEvent: (ev) => this.onEvent(cur, ev),
      onFlush: () => {
        // auth.c check_idle counts data packets only: the session's IP counters, both ways.
        const c = session.counters;
        if (c.ipPacketsIn === cur.counters.in && c.ipPacketsOut === cur.counters.out) return;
        const now = this.clock.now();
        if (c.ipPacketsIn !== cur.counters.in) this.policy.ipPacket(now, 'in');
        if (c.ipPacketsOut !== cur.counters.out) this.policy.ipPacket(now, 'out');
        cur.counters = { in: c.ipPacketsIn, out: c.ipPacketsOut };
        this.pump();
      },
    });
    line.stream.resume();
    if (!rec) return cur.driven.done;
    // tty.c charshunt: end of input from the line is record 4, our side closing record 3.
    const onEnd = () => rec.end('received');
    line.stream.once('end', onEnd);
    return cur.driven.done.then((status) => {
      line.stream.off('end', onEnd);
      rec.end('sent');
      return status;
    });
  }

  private onEvent(cur: CurrentLink, ev: SessionEvent): void {
    switch (ev.type) {
      case 'log':
        this.log(ev.level, ev.msg);
        return;
      case 'frame':
        this.p.pcap?.frame(ev.time, ev.dir, ev.protocol, ev.payload);
        return;
      case 'auth-up':
        cur.peerName = ev.peerName;
        if (!cur.authUp) {
          cur.authUp = true;
          const info = this.baseInfo();
          void this.script(path.join(this.p.pppDir, 'auth-up'), this.p.deps.authScriptArgs(info), info);
        }
        return;
      case 'ip-up':
        this.ipUp(cur, ev.local, ev.remote, ev.dns);
        return;
      case 'ip-down':
        this.ipDown(cur);
        return;
      case 'ipv6-up':
        this.ipv6Up(cur, ev.local, ev.remote);
        return;
      case 'ipv6-down':
        this.ipv6Down(cur);
        return;
      case 'ipv6':
        this.p.netif?.deliver(ev.packet);
        return;
      case 'ip':
        // demand: the peer passes IP, so it is ready for what waited (that goes out first).
        this.policy.ipPacket(this.clock.now(), 'in');
        this.pump();
        this.p.backend?.deliver(ev.packet);
        return;
      default:
        return;
    }
  }

  /** Network-side options dialtone records but cannot apply (no kernel PPP interface). */
  private reportNetworkSide(_local: number, remote: number): void {
    const cfg = this.cfg;
    const not = 'not applied (no kernel PPP interface; see README)';
    if (cfg.defaultroute) this.log('notice', `defaultroute: ${not}`);
    if (cfg.replacedefaultroute) this.log('notice', `replacedefaultroute: ${not}`);
    if (cfg.proxyarp) this.log('notice', `proxyarp ${ip4ToString(remote)}: ${not}`);
    if (cfg.netmask) this.log('notice', `netmask ${cfg.netmask}: ${not}`);
    if (cfg.mtu !== undefined) this.log('notice', `mtu ${cfg.mtu}: ${not}`);
    if (cfg.ktune) this.log('notice', `ktune: ${not}`);
  }

  /** ipcp.c ipcp_up + auth.c np_up. */
  private ipUp(cur: CurrentLink, local: number, remote: number, dns: [number, number]): void {
    const cfg = this.cfg;
    cur.ipUp = true;
    cur.local = local;
    cur.remote = remote;
    cur.dns = dns;
    // auth.c np_up: the attempt succeeded; idle and maxconnect run from now, and (demand) the
    // packets that waited go out once the peer is ready (demand.c demand_rexmit).
    this.policy.ipUp(this.clock.now());
    const info = this.baseInfo();
    if (cfg.usepeerdns && (dns[0] || dns[1]) && !cfg.noresolvconf) {
      const file = path.join(this.p.pppDir, 'resolv.conf');
      try {
        this.p.deps.writeResolvConf(file, info.dns1, info.dns2, this.log);
        cur.wroteResolv = true;
      } catch (err) {
        this.log('error', `Failed to create ${file}: ${strerror(err)}`);
      }
    }
    const netif = this.p.netif;
    if (cfg.demand) {
      const old = this.demandAddrs;
      if (local !== this.demandAddrs.local) this.log('warn', `Local IP address changed to ${ip4ToString(local)}`);
      if (remote !== this.demandAddrs.remote) this.log('warn', `Remote IP address changed to ${ip4ToString(remote)}`);
      this.demandAddrs = { local, remote };
      if (netif && (old.local !== local || old.remote !== remote)) {
        // ipcp.c ipcp_up (demand): the made-up addresses go, the negotiated ones come.
        this.sys(async () => {
          await netif.clearAddrs(cfg.replacedefaultroute);
          await netif.sifaddr(local, remote);
          await netif.routes(local, remote);
        });
      }
      // The interface has its negotiated addresses now: tell the backend.
      this.attachBackend(local, remote, dns);
    } else if (netif) {
      this.attachBackend(local, remote, dns);
    } else {
      this.reportNetworkSide(local, remote);
      this.attachBackend(local, remote, dns);
    }
    // auth.c np_up: updetach.
    if (cfg.updetach && !cfg.nodetach && this.p.detach?.active) {
      this.log('debug', 'updetach is set. Now detaching.');
      this.p.detach.detached();
      this.p.log.detached();
    }
    const upScript = cfg.ipUpScript ?? path.join(this.p.pppDir, 'ip-up');
    const args = this.p.deps.ipScriptArgs(info);
    const configured = () => !cur.ifFailed;
    if (netif && !cfg.demand) {
      // ipcp.c ipcp_up: addresses, ip-pre-up (waited for), MTU and up, default route, proxy ARP,
      // ip-up. A failed sifaddr or sifup closes IPCP ("Interface configuration failed") and
      // nothing after it runs; with no network protocol left, LCP closes too (np_finished).
      const mru = cur.session.lcp.his.mru;
      this.sys(async () => {
        if (!(await netif.sifaddr(local, remote))) this.interfaceFailed(cur, 'Interface configuration failed');
      });
      void this.script(path.join(this.p.pppDir, 'ip-pre-up'), args, info, configured);
      this.sys(async () => {
        if (!configured()) return;
        if (!(await netif.sifup(mru))) return this.interfaceFailed(cur, 'Interface failed to come up');
        await netif.routes(local, remote);
      });
    } else if (!netif) void this.script(path.join(this.p.pppDir, 'ip-pre-up'), args, info);
    void this.script(upScript, args, info, configured);
    this.pump();
  }

  /** demand.c demand_rexmit: the packets that waited go out, first. */
  private demandRexmit(cur: CurrentLink): void {
    if (!cur.ipUp) return;
    const queued = this.demandQueue;
    this.demandQueue = [];
    for (const pkt of queued) cur.session.sendIp(pkt, sessionNow());
    cur.driven.flush();
  }

  /** ipcp.c ipcp_up's failure path: error, then ipcp_close(unit, "Interface configuration failed"). */
  private interfaceFailed(cur: CurrentLink, msg: string): void {
    cur.ifFailed = true;
    this.log('error', msg);
    if (this.current !== cur) return;
    cur.session.closeProtocol('IPCP', 'Interface configuration failed', sessionNow());
    cur.driven.flush();
  }

  /** ipcp.c ipcp_down (+ auth.c link_down's auth-down, which pppd starts first). */
  private ipDown(cur: CurrentLink): void {
    const cfg = this.cfg;
    if (!cur.ipUp) return;
    cur.ipUp = false;
    this.policy.ipDown(this.clock.now());
    this.pump();
    if (!cfg.demand) this.p.backend?.detach();
    const netif = this.p.netif;
    // ipcp.c ipcp_down: without demand, down and ipcp_clear_addrs before ip-down (demand queues).
    if (netif && !cfg.demand) {
      this.sys(async () => {
        await netif.sifdown();
        await netif.clearAddrs();
      });
    }
    const stats = cur.session.linkStats;
    const info: LinkInfo = {
      ...this.baseInfo(),
      connectTime: this.policy.connectTime(this.clock.now()),
      bytesSent: stats.bytesOut,
      bytesRcvd: stats.bytesIn,
    };
    if (cur.authUp) {
      cur.authUp = false;
      void this.script(path.join(this.p.pppDir, 'auth-down'), this.p.deps.authScriptArgs(info), info);
    }
    // ipcp.c ipcp_down: ip-down only after an ip-up.
    if (!cur.ifFailed) void this.script(cfg.ipDownScript ?? path.join(this.p.pppDir, 'ip-down'), this.p.deps.ipScriptArgs(info), info);
    if (cur.wroteResolv) {
      cur.wroteResolv = false;
      const file = path.join(this.p.pppDir, 'resolv.conf');
      void this.scriptChain.then(() => {
        try {
          this.p.deps.removeResolvConf(file);
        } catch {
          /* already gone */
        }
      });
    }
  }

  /** ipv6cp.c ipv6cp_up: auth.c np_up, then /etc/ppp/ipv6-up interface tty speed local-LL remote-LL ipparam. */
  private ipv6Up(cur: CurrentLink, local: Buffer, remote: Buffer): void {
    const cfg = this.cfg;
    cur.ll = { local, remote };
    this.policy.ipUp(this.clock.now());
    if (cfg.updetach && !cfg.nodetach && this.p.detach?.active) {
      this.log('debug', 'updetach is set. Now detaching.');
      this.p.detach.detached();
      this.p.log.detached();
    }
    const netif = this.p.netif;
    if (netif) {
      // ipv6cp.c ipv6cp_up: sif6addr (link-local addresses from the identifiers), sif6up.
      netif.ipv6Up((pkt) => cur.driven.sendIp(pkt, true), { local, remote });
      this.sys(() => netif.sif6addr(local, remote));
    }
    const info = this.baseInfo();
    void this.script(path.join(this.p.pppDir, 'ipv6-up'), ipv6ScriptArgs(info), info);
    this.pump();
  }

  /** ipv6cp.c ipv6cp_down: /etc/ppp/ipv6-down with the same arguments and the link statistics. */
  private ipv6Down(cur: CurrentLink): void {
    if (!cur.ll) return;
    const stats = cur.session.linkStats;
    const info: LinkInfo = {
      ...this.baseInfo(),
      connectTime: this.policy.connectTime(this.clock.now()),
      bytesSent: stats.bytesOut,
      bytesRcvd: stats.bytesIn,
    };
    cur.ll = undefined;
    const netif = this.p.netif;
    if (netif) {
      netif.ipv6Down();
      // ipv6cp.c ipv6cp_down (no demand for IPv6 here): the addresses go.
      this.sys(() => netif.cif6addr());
    }
    void this.script(path.join(this.p.pppDir, 'ipv6-down'), ipv6ScriptArgs(info), info);
  }

  /** The link is dead: whatever is still up goes down. */
  private linkGone(cur: CurrentLink): void {
    if (cur.ll) this.ipv6Down(cur);
    if (cur.ipUp) this.ipDown(cur);
    if (cur.authUp) {
      cur.authUp = false;
      const info = { ...this.baseInfo(), connectTime: this.policy.connectTime(this.clock.now()) };
      void this.script(path.join(this.p.pppDir, 'auth-down'), this.p.deps.authScriptArgs(info), info);
    }
  }

  // ---- the kernel interface (network tun) ------------------------------------------------------

  /** One step of interface configuration, in order with the scripts (pppd runs them in sequence). */
  private sys(step: () => Promise<unknown> | unknown): void {
    const run = async () => {
      try {
        await step();
      } catch (err) {
        this.log('error', `interface ${this.ifname}: ${(err as Error).message}`);
      }
    };
    this.scriptChain = this.scriptChain.then(run, run);
  }

  /** sys-linux.c make_ppp_unit with a TUN device; false (logged) when it cannot be made. */
  private createNetif(): boolean {
    try {
      this.ifname = this.p.netif!.create();
      return true;
    } catch (err) {
      this.log('error', `Couldn't create new ppp unit: ${(err as Error).message}`);
      return false;
    }
  }

  // ---- pid files ----------------------------------------------------------------------------

  private writePidFiles(): void {
    if (this.pidFiles.length) return;
    try {
      this.pidFiles = this.p.deps.writePidFiles(this.p.runDir, this.ifname, this.cfg.linkname, process.pid, this.log);
    } catch (err) {
      this.log('error', `Failed to create pid file in ${this.p.runDir}: ${strerror(err)}`);
    }
  }

  private removePidFiles(): void {
    try {
      this.p.deps.removePidFiles(this.pidFiles, this.log);
    } catch {
      /* gone already */
    }
    this.pidFiles = [];
  }
}
