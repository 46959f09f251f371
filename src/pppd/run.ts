/**
 * `dialtone pppd`: pppd's start-up (main.c main): the options (options.ts), their checks
 * with pppd's messages and exit statuses, `dump`/`dryrun`, detaching (detach.ts), then the
 * daemon (daemon.ts). The protocol work is all in src/ppp; this is wiring.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import type { EventEmitter } from 'node:events';
import { EXIT } from '../ppp/exit-codes.js';
import type { NetworkBackend } from '../runtime/driver.js';
import { EarlyExit, OptionError, loadOptions, ourName, printOptions, resolveConfig, usageText, type LoadedOptions, type Resolved } from './options.js';
import type { PppdConfig } from './options-types.js';
import { createLogger, type Logger } from './logger.js';
import { openPcapFile } from './pcap-file.js';
import { openRecordFile } from './record-file.js';
import { clientBackendFromOptions } from '../runtime/client-backend.js';
import { haveSecret, readSecretsFiles } from './secrets-files.js';
import { DETACHED_ENV, DetachPipe, spawnDaemon } from './detach.js';
import { PppDaemon } from './daemon.js';
import { defaultDeps, type PppdDeps } from './deps.js';
import { syncPasswordChecker } from './system-password.js';
import { VERSION, PPPD_COMPAT } from '../version.js';
import { tunNetifFromOptions } from '../tun/from-options.js';
import type { PppNetif } from '../tun/ppp-netif.js';

export interface PppdHooks {
  /** Where IP packets that are not for the link itself go (and come from). */
  backend?: NetworkBackend;
  /**
   * Run inside a host process (tests, embedding): no process signal handlers (use `signals`),
   * no detaching, no exit safety net.
   */
  inProcess?: boolean;
  /** Emits 'signal' with a signal name, in place of process signals. */
  signals?: EventEmitter;
  /** Stand-ins for the modules the daemon uses. */
  deps?: Partial<PppdDeps>;
  /** The host name (pppd's `hostname`, the default `name`). */
  hostname?: string;
  /** The terminal on standard input, or null for none (default: asked of the system). */
  stdinTty?: string | null;
  /** `network tun`'s interface, made by the caller (tests: a recorded `ip`, a fake device). */
  netif?: PppNetif;
}

/** pppd option_error: "pppd: MESSAGE" on standard error while starting. */
function optionError(err: OptionError, toParent?: DetachPipe): void {
  const lines = err.message.split('\n');
  if (err.where) lines.push(`(line ${err.where.line} of ${err.where.file})`);
  for (const l of lines) {
    if (toParent?.active) toParent.log(`dialtone pppd: ${l}`);
    else process.stderr.write(`dialtone pppd: ${l}\n`);
  }
}

function stdinTtyName(): string | undefined {
  if (!tty.isatty(0)) return undefined;
  try {
    return fs.readlinkSync('/proc/self/fd/0');
  } catch {
    return '/dev/tty';
  }
}

/** tty.c tty_process_extra_options + tty_check_options, ipcp/auth checks: pppd's refusals. */
function checkOptions(cfg: PppdConfig, defaultDevice: string | undefined): void {
  const usingPty = !!cfg.ptyCommand || cfg.notty || !!cfg.socket;
  // rp-pppoe.so's channel replaces the tty: an interface instead of a line, no lock, no modem.
  if (cfg.pppoe && (cfg.pppoe.ifname || !cfg.line)) {
    if (!cfg.pppoe.ifname) throw new OptionError('rp-pppoe.so: no Ethernet interface given (nic-eth0 or an interface name)');
    if (cfg.demand) throw new OptionError('demand-dialling is not supported over PPPoE by dialtone');
    cfg.lock = false;
    cfg.modem = false;
    if (!cfg.connect && !cfg.holdoffSpecified) cfg.holdoff = 0;
    return;
  }
  if (!cfg.line) {
    if (!defaultDevice) throw new OptionError('no device specified and stdin is not a tty');
    cfg.line = { kind: 'stdio' };
  }
  if (cfg.demand && (cfg.notty || cfg.line.kind === 'stdio')) throw new OptionError('demand-dialling is incompatible with notty');
  if (cfg.demand && cfg.line.kind === 'device' && !cfg.connect) throw new OptionError('connect script is required for demand-dialling');
  if (!cfg.connect && !cfg.holdoffSpecified) cfg.holdoff = 0;
  if (usingPty) {
    if (cfg.devnam !== undefined) throw new OptionError(`${cfg.socket ? 'socket' : cfg.notty ? 'notty' : 'pty'} option precludes specifying device name`);
    if (cfg.ptyCommand && cfg.notty) throw new OptionError('pty option is incompatible with notty option');
    if (cfg.socket && (cfg.ptyCommand || cfg.notty)) throw new OptionError('socket option is incompatible with pty and notty');
  }
  if (cfg.line.kind !== 'device') {
    cfg.lock = false;
    cfg.modem = false;
  }
  // A link on our own standard input/output cannot detach from it.
  if (cfg.line.kind === 'stdio') cfg.nodetach = true;
}

/** auth.c auth_check_options: with `auth`, is there any secret the peer could use? (exit 1) */
function checkAuth(cfg: PppdConfig, pppDir: string, name: string, warnings: string[]): void {
  if (!cfg.authRequired) return;
  const files = readSecretsFiles(pppDir, (_level, msg) => warnings.push(msg));
  // EAP-MD5 and every CHAP digest take their secrets from chap-secrets.
  const chapLike = cfg.requireChap || !!cfg.session.requireMschap || !!cfg.session.requireMschapV2 || !!cfg.session.requireEap;
  const neither = !cfg.requirePap && !chapLike;
  const pap = cfg.requirePap || neither;
  const chap = chapLike || neither;
  const client = cfg.explicitRemote ? cfg.remotename ?? null : null;
  let lacksIp = false;
  let can = false;
  if (pap) {
    if (cfg.login) can = true;
    else {
      const r = haveSecret(files.pap, client, name);
      can = r.ok;
      lacksIp ||= r.lacksIp;
    }
  }
  if (!can && chap) {
    const r = haveSecret(files.chap, client, name);
    can = r.ok;
    lacksIp ||= r.lacksIp;
  }
  if (can || cfg.allowIp.length > 0) return;
  const lines = [
    cfg.explicitRemote ? `The remote system (${cfg.remotename}) is required to authenticate itself` : 'The remote system is required to authenticate itself',
    'but I couldn\'t find any suitable secret (password) for it to use to do so.',
  ];
  if (lacksIp) lines.push('(None of the available passwords would let it use an IP address.)');
  throw new OptionError(lines.join('\n'), 1);
}

export async function runPppd(args: string[], env: NodeJS.ProcessEnv = process.env, hooks: PppdHooks = {}): Promise<number> {
  // Absolute: a detached daemon works from /.
  const pppDir = path.resolve(env.DIALTONE_PPP_DIR ?? '/etc/ppp');
  const runDir = path.resolve(env.DIALTONE_RUN_DIR ?? '/var/run');
  const lockDir = path.resolve(env.DIALTONE_LOCK_DIR ?? '/var/lock');
  const hostname = hooks.hostname ?? os.hostname();
  const pipe = hooks.inProcess ? undefined : new DetachPipe(env);
  const isDaemon = !!pipe?.active;
  if (env[DETACHED_ENV] !== undefined) {
    // Not for the scripts (a `dialtone pppd` they start is no daemon child of ours).
    env = { ...env };
    delete env[DETACHED_ENV];
    delete process.env[DETACHED_ENV];
  }
  const defaultDevice = hooks.stdinTty === undefined ? stdinTtyName() : hooks.stdinTty ?? undefined;

  // ---- options, in pppd's order; their errors go to the terminal ----------------------------
  let loaded: LoadedOptions;
  let resolved: Resolved;
  try {
    loaded = loadOptions({ args, pppDir, home: env.HOME, defaultDevice });
  } catch (err) {
    if (err instanceof EarlyExit) {
      if (err.what === 'version') process.stdout.write(`dialtone pppd version ${VERSION} (pppd ${PPPD_COMPAT} compatible)\n`);
      else process.stderr.write(usageText(VERSION));
      return EXIT.OK;
    }
    if (!(err instanceof OptionError)) throw err;
    optionError(err, pipe);
    if ((err as OptionError & { usage?: boolean }).usage) process.stderr.write(usageText(VERSION));
    return err.status;
  }
  const cfg = loaded.cfg;
  for (const w of cfg.warnings) optionError(new OptionError(w), pipe);
  const secretsWarnings: string[] = [];
  try {
    checkOptions(cfg, defaultDevice);
    resolved = await resolveConfig(cfg);
    checkAuth(cfg, pppDir, ourName(cfg, hostname), secretsWarnings);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    optionError(err, pipe);
    return err.status;
  }

  // ---- dump / dryrun (before detaching, to pppd's log: standard output by default) ------------
  const useStderr = cfg.line?.kind === 'stdio';
  if ((cfg.dump || cfg.dryrun) && !isDaemon) {
    const log = createLogger({ logfile: cfg.logfile, logfd: cfg.logfd, useStderr, debug: cfg.debug });
    for (const l of printOptions(loaded)) log.log('info', l);
    await log.close();
    if (cfg.dryrun) return EXIT.OK;
  }

  // ---- detach: a daemon started anew, the parent exits once it has detached --------------------
  if (!cfg.nodetach && !hooks.inProcess && !isDaemon) {
    return spawnDaemon(args, env, (line) => process.stdout.write(`${line}\n`));
  }
  if (isDaemon) {
    try {
      process.chdir('/');
    } catch {
      /* stay */
    }
  }

  const log: Logger = createLogger({
    logfile: cfg.logfile,
    logfd: cfg.logfd,
    useStderr,
    debug: cfg.debug,
    ...(isDaemon ? { toParent: (l: string) => pipe!.log(l), syslog: !cfg.logfile } : {}),
  });
  if (isDaemon && !cfg.updetach) {
    pipe!.detached();
    log.detached();
  }
  const user = os.userInfo();
  log.log('notice', `dialtone ${VERSION} (pppd ${PPPD_COMPAT} compatible) started by ${user.username}, uid ${user.uid}`);
  for (const n of cfg.notYet) log.log('warn', `not supported yet: ${n}`);
  for (const w of secretsWarnings) log.log('warn', w);
  for (const n of cfg.notes) log.log('debug', n);
  if (hooks.inProcess && !cfg.nodetach) log.log('info', 'running in-process: not detaching');

  const deps: PppdDeps = { ...defaultDeps(), ...hooks.deps };
  let checker: ReturnType<typeof syncPasswordChecker> | undefined;
  if (!deps.checkPasswordSync && cfg.login) {
    checker = syncPasswordChecker();
    deps.checkPasswordSync = (u, p) => checker!.check(u, p);
  }
  const pcap = cfg.pcap ? openPcapFile(cfg.pcap) : undefined;
  const record = cfg.record ? openRecordFile(cfg.record, (m) => log.log('error', m)) : undefined;
  const netif = hooks.netif ?? (!hooks.backend && cfg.network === 'tun' ? tunNetifFromOptions(cfg, log) : undefined);
  if (netif instanceof Error) {
    log.log('error', netif.message);
    await log.close();
    return EXIT.FATAL_ERROR;
  }
  const backend =
    hooks.backend ??
    netif ??
    (cfg.socks || cfg.localForwards?.length
      ? clientBackendFromOptions({ socks: cfg.socks, forwards: cfg.localForwards ?? [] }, { log: (m) => log.log('info', m) })
      : undefined);
  const daemon = new PppDaemon({
    cfg,
    resolved,
    pppDir,
    runDir,
    lockDir,
    log,
    deps,
    hostname,
    env,
    ...(backend ? { backend } : {}),
    ...(netif ? { netif } : {}),
    ...(pipe?.active || isDaemon ? { detach: pipe } : {}),
    ...(pcap ? { pcap } : {}),
    ...(record ? { record } : {}),
    ...(defaultDevice && cfg.devnam === undefined && !cfg.notty && cfg.line?.kind === 'stdio' ? { defaultDevice } : {}),
  });

  const onSignal = (sig: NodeJS.Signals) => daemon.signal(sig);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
  if (hooks.inProcess) hooks.signals?.on('signal', onSignal);
  else for (const s of signals) process.on(s, onSignal);
  let status: number;
  try {
    status = await daemon.run();
  } finally {
    if (hooks.inProcess) hooks.signals?.off('signal', onSignal);
    else for (const s of signals) process.off(s, onSignal);
    checker?.close();
  }
  log.log('info', 'Exit.');
  pipe?.close();
  await pcap?.close();
  await record?.close();
  await log.close();
  if (!hooks.inProcess) {
    // Like pppd's die(): nothing left over (a script still running, a half-open socket) keeps
    // the process alive once the daemon is done.
    setTimeout(() => process.exit(status), 1000).unref();
  }
  return status;
}

