/**
 * What the daemon needs from the modules around it (scripts, device scripts, locks and pid
 * files, serial ports, the system password check, the clock), as one object so that tests can
 * stand in for any of them.
 */
import * as scripts from './scripts.js';
import * as connect from './connect.js';
import * as lock from './lock.js';
import * as serial from '../lines/serial.js';
import type { LinkPhase } from './link-policy.js';

/**
 * The daemon's clock: the time its link policy (idle, maxconnect, holdoff, the demand settle)
 * and its own waits (connect-delay, child-timeout) run on, in milliseconds. Tests pass a
 * virtual one. (The PPP session's own timers run on the driver's real clock.)
 */
export interface DaemonClock {
  now(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(timer: unknown): void;
}

/** setTimeout's longest delay (about 24.8 days): a later deadline is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: DaemonClock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => setTimeout(fn, Math.min(ms, MAX_TIMER_MS)),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export interface PppdDeps {
  runScript: typeof scripts.runScript;
  scriptEnv: typeof scripts.scriptEnv;
  ipScriptArgs: typeof scripts.ipScriptArgs;
  authScriptArgs: typeof scripts.authScriptArgs;
  writeResolvConf: typeof scripts.writeResolvConf;
  removeResolvConf: typeof scripts.removeResolvConf;
  runDeviceScript: typeof connect.runDeviceScript;
  lockDevice: typeof lock.lockDevice;
  unlockDevice: typeof lock.unlockDevice;
  writePidFiles: typeof lock.writePidFiles;
  removePidFiles: typeof lock.removePidFiles;
  openSerial: typeof serial.openSerial;
  /** `login`: the system password check, synchronous (see system-password.ts). */
  checkPasswordSync?: (user: string, password: string) => boolean;
  clock: DaemonClock;
  /** pppd's new_phase_hook: told each phase of the link policy as it is entered (tests wait on it). */
  newPhaseHook?: (phase: LinkPhase) => void;
}

export function defaultDeps(): PppdDeps {
  return {
    runScript: scripts.runScript,
    scriptEnv: scripts.scriptEnv,
    ipScriptArgs: scripts.ipScriptArgs,
    authScriptArgs: scripts.authScriptArgs,
    writeResolvConf: scripts.writeResolvConf,
    removeResolvConf: scripts.removeResolvConf,
    runDeviceScript: connect.runDeviceScript,
    lockDevice: lock.lockDevice,
    unlockDevice: lock.unlockDevice,
    writePidFiles: lock.writePidFiles,
    removePidFiles: lock.removePidFiles,
    openSerial: serial.openSerial,
    clock: realClock,
  };
}
