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
import { openLine, describeLine, type Line } from '../io/line.js';
import { drive, type Driven, type NetworkBackend } from '../io/driver.js';
import type { LogLevel } from '../ppp/log.js';
import type { PppdConfig } from './options-types.js';
import { ourName, type Resolved } from './options.js';
import type { Logger } from './logger.js';
import type { PcapFile } from './pcap-file.js';
import { fileSecrets, readSecretsFiles } from './secrets-files.js';
import { strerror } from './strerror.js';
import type { DetachPipe } from './detach.js';
import type { LinkInfo, ScriptEnv } from './scripts.js';
import type { PppdDeps } from './deps.js';

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
}

interface CurrentLink {
  session: Session;
  driven: Driven;
  line: LineHandle;
  startedAt: number;
  ipUp: boolean;
  authUp: boolean;
  ipTimers: NodeJS.Timeout[];
  lastActivity: number;
  counters: { in: number; out: number };
  peerName?: string;
  local?: number;
  remote?: number;
  dns: [number, number];
  wroteResolv: boolean;
  /** demand: IP is up, but the packets that waited are not sent yet (see ipUp). */
  settling: boolean;
}

/**
 * demand: how long after IPCP comes up the packets that waited go out. When our
 * Configure-Ack is the last IPCP packet, the peer's IPCP opens only as it reads it, and a
 * pppd peer then sets up its interface (ip-pre-up, NPMODE_PASS) before it passes IP: packets
 * right behind the Ack are dropped there. pppd's demand_rexmit sends at once and loses them.
 */
const DEMAND_SETTLE_MS = 300;

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
  /** The daemon's own environment (for device scripts). */
  env: NodeJS.ProcessEnv;
  /** The terminal the daemon was started on, when no device was given (pppd's default device). */
  defaultDevice?: string;
  /** Delivers 'signal' events (SIGTERM, SIGHUP, ...) in place of process signals. */
  signals?: EventEmitter;
}

const DEMAND_QUEUE_MAX = 256;

export class PppDaemon {
  /** pppd's `status`: the exit status so far. */
  status: number = EXIT.OK;
  private quit = false;
  private persist: boolean;
  private unsuccess = 0;
  private needHoldoff = true;
  private hups = 0;
  private readonly wake = new EventEmitter();
  private attemptAbort: AbortController | undefined;
  private current: CurrentLink | undefined;
  private demandQueue: Buffer[] = [];
  private scriptChain: Promise<unknown> = Promise.resolve();
  private pidFiles: string[] = [];
  private readonly ifname: string;
  private readonly cfg: PppdConfig;
  private readonly log: (level: LogLevel, msg: string) => void;
  private debug: boolean;

  constructor(private readonly p: DaemonParams) {
    this.cfg = p.cfg;
    this.persist = p.cfg.persist;
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
      case 'SIGUSR2':
        this.log('debug', 'SIGUSR2: CCP is not run, nothing to reopen');
        return;
      case 'SIGHUP': {
        this.log('info', 'Hangup (SIGHUP)');
        this.hups++;
        const st = this.current?.session.status === EXIT.HANGUP ? EXIT.HANGUP : EXIT.USER_REQUEST;
        this.status = st;
        this.killLink(st);
        return;
      }
      default: {
        // SIGINT, SIGTERM
        this.log('info', sig === 'SIGINT' ? 'Interrupt received: terminating link' : `Terminating on signal ${os.constants.signals[sig]}`);
        this.quit = true;
        this.persist = false;
        this.status = EXIT.USER_REQUEST;
        this.killLink(EXIT.USER_REQUEST);
      }
    }
  }

  private killLink(status: number): void {
    this.attemptAbort?.abort(new Error('signal'));
    if (this.current) this.current.driven.close('User request', status);
    this.wake.emit('wake');
  }

  /** Resolves once `pred` holds (checked at every wake-up) or after `ms`. */
  private waitUntil(pred: () => boolean, ms?: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (!pred()) return;
        done();
      };
      const done = () => {
        if (timer) clearTimeout(timer);
        this.wake.off('wake', check);
        resolve();
      };
      this.wake.on('wake', check);
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }

  // ---- the main loop (main.c main) ------------------------------------------------------------

  async run(): Promise<number> {
    const cfg = this.cfg;
    if (cfg.demand) this.demandConf();
    for (;;) {
      this.needHoldoff = true;
      this.status = EXIT.OK;
      this.unsuccess++;
      if (cfg.demand) {
        // Don't do anything until we see some activity.
        this.demandQueue = this.demandQueue.slice(-DEMAND_QUEUE_MAX);
        await this.waitUntil(() => this.quit || this.demandQueue.length > 0);
        if (this.quit) break;
        this.log('info', 'Starting link');
      }
      await this.attempt();
      if (!this.persist || this.quit || (cfg.maxfail > 0 && this.unsuccess >= cfg.maxfail)) break;
      if (cfg.demand) this.demandQueue = [];
      const t = this.needHoldoff ? cfg.holdoff : 0;
      if (t > 0) {
        const hups = this.hups;
        await this.waitUntil(() => this.quit || this.hups !== hups, t * 1000);
        if (!this.persist) break;
      }
    }
    await this.waitForScripts();
    if (this.pidFiles.length) this.removePidFiles();
    this.p.backend?.detach();
    return this.status;
  }

  /** pppd waits for its scripts at exit, at most child-timeout seconds. */
  private async waitForScripts(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.scriptChain,
      new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, this.cfg.childTimeout) * 1000))),
    ]);
    if (timer) clearTimeout(timer);
  }

  // ---- dial on demand (demand.c, ipcp.c ip_demand_conf) -------------------------------------

  private demandAddrs = { local: 0, remote: 0 };

  private demandConf(): void {
    const unit = this.cfg.unit ?? 0;
    const local = this.p.resolved.localAddr || (0x0a404040 + unit) >>> 0;
    const remote = this.p.resolved.remoteAddr || (0x0a707070 + unit) >>> 0;
    this.demandAddrs = { local, remote };
    this.writePidFiles();
    this.reportNetworkSide(local, remote);
    this.log('notice', `local  IP address ${ip4ToString(local)}`);
    this.log('notice', `remote IP address ${ip4ToString(remote)}`);
    this.p.backend?.attach((pkt) => this.outbound(pkt), { local, remote, dns: [0, 0] });
  }

  /** A packet from the network backend for the peer. */
  private outbound(pkt: Buffer): void {
    const cur = this.current;
    if (cur?.ipUp && !cur.settling) {
      cur.session.sendIp(pkt, Date.now());
      cur.driven.flush();
      return;
    }
    if (!this.cfg.demand) return; // no link: dropped, as by a down interface
    // pppd: the interface queues (NPMODE_QUEUE) until IPCP is up; the first packet starts the link.
    if (this.demandQueue.length < DEMAND_QUEUE_MAX) this.demandQueue.push(pkt);
    this.wake.emit('wake');
  }

  // ---- one link (auth.c start_link .. link_terminated) ----------------------------------------

  private lineKind(): 'device' | 'stream' {
    return this.cfg.line?.kind === 'device' ? 'device' : 'stream';
  }

  /** The name pppd gives scripts as the device ($2, DEVICE). */
  private deviceName(): string {
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
  private script(file: string, args: string[], info: LinkInfo): Promise<unknown> {
    const env = this.env(info);
    const run = async () => {
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

  private async openTheLine(signal: AbortSignal): Promise<LineHandle> {
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
    });
    return { name: line.name, stream: line.stream, close: () => line.close() };
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
            clearTimeout(t);
            line!.stream.off('data', onData);
            this.wake.off('wake', onWake);
            line!.stream.pause();
            resolve();
          };
          const onWake = () => quitting() && finish();
          const t = setTimeout(finish, cfg.connectDelay);
          line!.stream.on('data', onData);
          this.wake.on('wake', onWake);
        });
        if (quitting()) return void (this.status = EXIT.USER_REQUEST);
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
    if (cfg.explicitUser) o.user = cfg.user ?? '';
    if (cfg.explicitPassword) o.password = cfg.password ?? '';
    const remote = cfg.remotename ?? r.remoteHostName;
    if (remote !== undefined) o.remoteName = remote;
    return defaultSessionOptions(o);
  }

  /** PPP on the open line until the link is dead; resolves with its exit status. */
  private runPpp(line: LineHandle, initial: Buffer[]): Promise<number> {
    const session = new Session(this.sessionOptions(), Date.now());
    const cur: CurrentLink = {
      session,
      driven: undefined as unknown as Driven,
      line,
      startedAt: Date.now(),
      ipUp: false,
      authUp: false,
      ipTimers: [],
      lastActivity: Date.now(),
      counters: { in: 0, out: 0 },
      dns: [0, 0],
      wroteResolv: false,
      settling: false,
    };
    this.current = cur;
    cur.driven = drive(session, { name: line.name, stream: line.stream, close: () => undefined }, {
      keepLineOpen: true,
      initialInput: initial,
      onEvent: (ev) => this.onEvent(cur, ev),
      onFlush: () => {
        const c = session.counters;
        if (c.ipPacketsIn !== cur.counters.in || c.ipPacketsOut !== cur.counters.out) {
          cur.counters = { in: c.ipPacketsIn, out: c.ipPacketsOut };
          cur.lastActivity = Date.now();
        }
      },
    });
    line.stream.resume();
    return cur.driven.done;
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
      case 'ip':
        if (cur.settling) this.demandRexmit(cur); // the peer passes IP: it is ready
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
    cur.lastActivity = Date.now();
    this.unsuccess = 0;
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
    if (cfg.demand) {
      if (local !== this.demandAddrs.local) this.log('warn', `Local IP address changed to ${ip4ToString(local)}`);
      if (remote !== this.demandAddrs.remote) this.log('warn', `Remote IP address changed to ${ip4ToString(remote)}`);
      this.demandAddrs = { local, remote };
      // The interface has its negotiated addresses now: tell the backend.
      this.p.backend?.attach((pkt) => this.outbound(pkt), { local, remote, dns });
      // demand.c demand_rexmit: the packets that waited go out first (once the peer is ready).
      cur.settling = true;
      cur.ipTimers.push(setTimeout(() => this.demandRexmit(cur), DEMAND_SETTLE_MS));
    } else {
      this.reportNetworkSide(local, remote);
      this.p.backend?.attach((pkt) => this.outbound(pkt), { local, remote, dns });
    }
    // auth.c np_up: idle and maxconnect timers, updetach.
    if (cfg.idle > 0) this.scheduleIdle(cur, cfg.idle * 1000);
    if (cfg.maxconnect > 0) {
      cur.ipTimers.push(
        setTimeout(() => {
          this.log('info', 'Connect time expired');
          cur.driven.close('Connect time expired', EXIT.CONNECT_TIME);
        }, cfg.maxconnect * 1000),
      );
    }
    if (cfg.updetach && !cfg.nodetach && this.p.detach?.active) {
      this.log('debug', 'updetach is set. Now detaching.');
      this.p.detach.detached();
      this.p.log.detached();
    }
    const upScript = cfg.ipUpScript ?? path.join(this.p.pppDir, 'ip-up');
    const args = this.p.deps.ipScriptArgs(info);
    void this.script(path.join(this.p.pppDir, 'ip-pre-up'), args, info);
    void this.script(upScript, args, info);
  }

  private demandRexmit(cur: CurrentLink): void {
    if (!cur.settling) return;
    cur.settling = false;
    if (!cur.ipUp) return;
    const queued = this.demandQueue;
    this.demandQueue = [];
    for (const pkt of queued) cur.session.sendIp(pkt, Date.now());
    cur.driven.flush();
  }

  /** auth.c check_idle: only data packets count (the session's IP counters, both ways). */
  private scheduleIdle(cur: CurrentLink, ms: number): void {
    const t = setTimeout(() => {
      if (!cur.ipUp) return;
      const idleMs = Date.now() - cur.lastActivity;
      const left = this.cfg.idle * 1000 - idleMs;
      if (left <= 0) {
        this.log('notice', 'Terminating connection due to lack of activity.');
        this.needHoldoff = false;
        cur.driven.close('Link inactive', EXIT.IDLE_TIMEOUT);
      } else {
        this.scheduleIdle(cur, left);
      }
    }, ms);
    cur.ipTimers.push(t);
  }

  /** ipcp.c ipcp_down (+ auth.c link_down's auth-down, which pppd starts first). */
  private ipDown(cur: CurrentLink): void {
    const cfg = this.cfg;
    if (!cur.ipUp) return;
    cur.ipUp = false;
    for (const t of cur.ipTimers) clearTimeout(t);
    cur.ipTimers = [];
    if (!cfg.demand) this.p.backend?.detach();
    const stats = cur.session.linkStats;
    const info: LinkInfo = {
      ...this.baseInfo(),
      connectTime: Math.floor((Date.now() - cur.startedAt) / 1000),
      bytesSent: stats.bytesOut,
      bytesRcvd: stats.bytesIn,
    };
    if (cur.authUp) {
      cur.authUp = false;
      void this.script(path.join(this.p.pppDir, 'auth-down'), this.p.deps.authScriptArgs(info), info);
    }
    void this.script(cfg.ipDownScript ?? path.join(this.p.pppDir, 'ip-down'), this.p.deps.ipScriptArgs(info), info);
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

  /** The link is dead: whatever is still up goes down. */
  private linkGone(cur: CurrentLink): void {
    if (cur.ipUp) this.ipDown(cur);
    for (const t of cur.ipTimers) clearTimeout(t);
    if (cur.authUp) {
      cur.authUp = false;
      const info = { ...this.baseInfo(), connectTime: Math.floor((Date.now() - cur.startedAt) / 1000) };
      void this.script(path.join(this.p.pppDir, 'auth-down'), this.p.deps.authScriptArgs(info), info);
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
