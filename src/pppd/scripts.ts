/**
 * pppd's scripts: ip-pre-up, ip-up, ip-down, auth-up, auth-down (pppd(8) SCRIPTS), run the
 * way pppd 2.4.9 runs them (main.c run_program, ipcp.c ipcp_script, auth.c auth_script),
 * plus the resolv.conf that `usepeerdns` writes (ipcp.c create_resolv).
 */
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';

import type { LogLevel, LogFn } from '../ppp/log.js';
import { strerror } from '../runtime/strerror.js';

export type { LogLevel };
export type { LogFn };

export interface ScriptEnv { [k: string]: string }

export interface LinkInfo {
  /** Interface name, "ppp0". */
  ifname: string;
  /** pppd's devnam: the device as named on the command line, e.g. "/dev/ttyS0"; "" when there is none. */
  device: string;
  /** Line speed in bit/s (pppd's baud_rate; 0 when it has none, e.g. on a socket). */
  speed: number;
  local?: string;
  remote?: string;
  /** The authenticated name of the peer (pppd's peer_authname); only when the peer authenticated. */
  peerName?: string;
  /**
   * The Unix login name of the user who started pppd, NOT the `user` option: pppd passes
   * getlogin()/getpwuid(getuid())->pw_name as PPPLOGNAME and as auth-up's user-name
   * argument. Defaults to os.userInfo().username.
   */
  user?: string;
  ipparam?: string;
  linkname?: string;
  dns1?: string;
  dns2?: string;
  /** Link-local addresses once IPV6CP is up, as pppd's llv6_ntoa prints them (LLLOCAL, LLREMOTE). */
  llLocal?: string;
  llRemote?: string;
  usePeerDns: boolean;
  /** The `call` option's value. */
  callFile?: string;
  /** Down scripts only: seconds, bytes. */
  connectTime?: number;
  bytesSent?: number;
  bytesRcvd?: number;
  /** pppd's UNIT (the ppp unit number); derived from the trailing digits of ifname when absent. */
  unit?: number;
  /** Variables from pppd's `set NAME=VALUE` options (layered on top, as update_script_environment does). */
  extra?: Record<string, string>;
}

/** pppd's PATH_VARRUN-style facts used by the scripts: where they live by default. */
export const PATH_IPUP = '/etc/ppp/ip-up';
export const PATH_IPDOWN = '/etc/ppp/ip-down';
export const PATH_IPV6UP = '/etc/ppp/ipv6-up';
export const PATH_IPV6DOWN = '/etc/ppp/ipv6-down';
export const PATH_IPPREUP = '/etc/ppp/ip-pre-up';
export const PATH_AUTHUP = '/etc/ppp/auth-up';
export const PATH_AUTHDOWN = '/etc/ppp/auth-down';
export const PATH_RESOLV = '/etc/ppp/resolv.conf';

/**
 * Runs a script as pppd's run_program does:
 *  - it must be a regular file with an execute bit; a missing one is silently skipped
 *    (must_exist is 0 for every script pppd runs), any other problem is
 *    "Can't execute %s: %m" at warn (errno is EINVAL for "exists but not executable");
 *  - argv[0] is the script's path, the arguments follow;
 *  - the environment is exactly pppd's script_env: pppd builds it from nothing, so there
 *    is no PATH (Debian's /etc/ppp/ip-up says so and sets its own);
 *  - stdin, stdout and stderr are /dev/null, the working directory is "/", and the script
 *    runs in a new session (setsid(): "No controlling tty"), with umask 077.
 * Resolves with the exit status, null when it could not be started or died of a signal,
 * undefined when it was skipped.
 */
export function runScript(path: string, args: string[], env: ScriptEnv, log: LogFn): Promise<number | null | undefined> {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log('warn', `Can't execute ${path}: ${strerror(err)}`);
    return Promise.resolve(undefined);
  }
  if (!st.isFile() || (st.mode & 0o111) === 0) {
    log('warn', `Can't execute ${path}: ${strerror('EINVAL')}`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    // run_program sets umask(S_IRWXG|S_IRWXO) in the child. Node cannot set a child's
    // umask, so a tiny /bin/sh trampoline does it and then execs the script itself
    // (argv[0] stays the script's path via "$0"). dash exports PWD, which pppd's scripts
    // never see, so the trampoline drops it again: the script gets exactly `env`.
    const tramp = `${'PWD' in env ? '' : 'unset PWD; '}umask 077; exec "$0" "$@"`;
    const child = spawn('/bin/sh', ['-c', tramp, path, ...args], {
      env: { ...env },
      stdio: 'ignore',
      cwd: '/',
      detached: true,
    });
    let started = false;
    child.once('spawn', () => {
      started = true;
      log('debug', `Script ${path} started (pid ${child.pid})`);
    });
    child.once('error', (err) => {
      if (started) return;
      log('error', `Failed to create child process for ${path}: ${strerror(err)}`);
      resolve(null);
    });
    child.once('exit', (code, signal) => {
      if (signal) {
        const num = os.constants.signals[signal as keyof typeof os.constants.signals] ?? signal;
        log('warn', `Child process ${path} (pid ${child.pid}) terminated with signal ${num}`);
        resolve(null);
        return;
      }
      log('debug', `Script ${path} finished (pid ${child.pid}), status = 0x${(code ?? 0).toString(16)}`);
      resolve(code);
    });
  });
}

/**
 * The environment pppd 2.4.9 gives its scripts (script_setenv calls in main.c, auth.c,
 * ipcp.c, tty.c, options.c), in the order pppd adds them. Variables appear only when pppd
 * would have set them: DEVICE when there is a device name, IPLOCAL/IPREMOTE once IPCP is
 * up, DNS1/DNS2 when the peer gave them (whether or not usepeerdns was asked), USEPEERDNS=1
 * only with usepeerdns and at least one address, the statistics only for the down scripts.
 */
export function scriptEnv(info: LinkInfo): ScriptEnv {
  const env: ScriptEnv = {};
  env.ORIG_UID = String(process.getuid?.() ?? 0);
  if (info.callFile !== undefined) env.CALL_FILE = info.callFile;
  env.PPPLOGNAME = info.user ?? loginName();
  if (info.device) env.DEVICE = info.device;
  env.PPPD_PID = String(process.pid);
  if (info.linkname) env.LINKNAME = info.linkname;
  env.IFNAME = info.ifname;
  env.UNIT = String(info.unit ?? unitOf(info.ifname));
  env.SPEED = String(info.speed);
  if (info.peerName !== undefined) env.PEERNAME = info.peerName;
  if (info.local) env.IPLOCAL = info.local;
  if (info.remote) env.IPREMOTE = info.remote;
  if (info.dns1) env.DNS1 = info.dns1;
  if (info.dns2) env.DNS2 = info.dns2;
  if (info.usePeerDns && (info.dns1 || info.dns2)) env.USEPEERDNS = '1';
  // ipv6cp_up: script_setenv("LLLOCAL"/"LLREMOTE"), kept for every later script.
  if (info.llLocal) env.LLLOCAL = info.llLocal;
  if (info.llRemote) env.LLREMOTE = info.llRemote;
  // update_link_stats: "%u" of each counter.
  if (info.connectTime !== undefined) env.CONNECT_TIME = String(Math.max(0, Math.floor(info.connectTime)));
  if (info.bytesSent !== undefined) env.BYTES_SENT = String(info.bytesSent >>> 0);
  if (info.bytesRcvd !== undefined) env.BYTES_RCVD = String(info.bytesRcvd >>> 0);
  if (info.extra) Object.assign(env, info.extra);
  return env;
}

/**
 * ipcp_script: interface-name tty-device speed local-IP remote-IP ipparam. The addresses
 * are printed with %I, so an unknown one is 0.0.0.0; ipparam is argv[6], which is NULL
 * (ending the list) when the option was not given. ip-pre-up and ip-down take the same.
 */
export function ipScriptArgs(info: LinkInfo): string[] {
  const args = [info.ifname, info.device, String(info.speed), info.local || '0.0.0.0', info.remote || '0.0.0.0'];
  if (info.ipparam !== undefined) args.push(info.ipparam);
  return args;
}

/**
 * ipv6cp_script: interface-name tty-device speed local-LL remote-LL ipparam, the addresses
 * as llv6_ntoa prints them ("fe80::0a0b:0c0d:0e0f:1011"); ipparam only when given.
 */
export function ipv6ScriptArgs(info: LinkInfo): string[] {
  const args = [info.ifname, info.device, String(info.speed), info.llLocal ?? '', info.llRemote ?? ''];
  if (info.ipparam !== undefined) args.push(info.ipparam);
  return args;
}

/**
 * auth_script: interface-name peer-name user-name tty-device speed. pppd 2.4.9 passes no
 * ipparam to auth-up/auth-down (argv[6] = NULL in auth.c), and user-name is the Unix user
 * who ran pppd (getpwuid(getuid())), not the `user` option.
 */
export function authScriptArgs(info: LinkInfo): string[] {
  return [info.ifname, info.peerName ?? '', info.user ?? loginName(), info.device, String(info.speed)];
}

/**
 * create_resolv: fopen(path, "w") and one "nameserver A.B.C.D" line per address the peer
 * gave. pppd calls it only with usepeerdns and at least one address. On failure pppd logs
 * "Failed to create %s: %m" (or "Write failed to %s: %m") at error and goes on: pass `log`
 * to get that; without it the error is thrown with the same wording.
 */
export function writeResolvConf(path: string, dns1?: string, dns2?: string, log?: LogFn): void {
  let text = '';
  if (dns1) text += `nameserver ${dns1}\n`;
  if (dns2) text += `nameserver ${dns2}\n`;
  let fd: number;
  try {
    // pppd runs with umask(umask | 022): the file is 0644.
    fd = fs.openSync(path, 'w', 0o644);
  } catch (err) {
    const msg = `Failed to create ${path}: ${strerror(err)}`;
    if (log) return log('error', msg);
    throw new Error(msg);
  }
  try {
    fs.writeSync(fd, text);
  } catch (err) {
    const msg = `Write failed to ${path}: ${strerror(err)}`;
    if (log) log('error', msg);
    else throw new Error(msg);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What pppd 2.4.9 does with its resolv.conf when IPCP goes down: nothing. ipcp_down
 * neither removes nor restores /etc/ppp/resolv.conf; the file stays until the next
 * usepeerdns link overwrites it (Debian's ip-down.d/0000usepeerdns restores
 * /etc/resolv.conf itself). Kept as a function so the daemon has one place to call, and
 * deliberately a no-op.
 */
export function removeResolvConf(_path: string): void {
  /* pppd 2.4.9 leaves the file in place. */
}

function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // auth_script: the uid in decimal when there is no passwd entry.
    return String(process.getuid?.() ?? 0);
  }
}

function unitOf(ifname: string): number {
  const m = /(\d+)$/.exec(ifname);
  return m ? Number(m[1]) : 0;
}
