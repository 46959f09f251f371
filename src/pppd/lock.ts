/**
 * UUCP lock files and pid files, as pppd 2.4.9 writes them (utils.c lock/unlock/relock,
 * main.c create_pidfile/create_linkpidfile/remove_pidfiles), so that minicom, cu, mgetty
 * and other pppds see dialtone's locks and the other way round.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type LogFn } from './scripts.js';
import { strerror } from '../runtime/strerror.js';

export type LockResult = { ok: true; path: string } | { ok: false; message: string };

/** pppd's LOCK_DIR on Linux. */
export const LOCK_DIR = '/var/lock';
/** pppd's _PATH_VARRUN on Linux (paths.h): where ppp0.pid and ppp-NAME.pid go. */
export const PATH_VARRUN = '/var/run';

/**
 * The part after "LCK..": for a name containing "dev/", what follows it with every "/"
 * turned into "_" ("/dev/ttyS0" -> "ttyS0", "/dev/pts/3" -> "pts_3"); otherwise the last
 * path component. pppd also uses this form in its lock messages.
 */
export function lockName(device: string): string {
  const i = device.indexOf('dev/');
  if (i >= 0) return device.slice(i + 4).replace(/\//g, '_');
  const j = device.lastIndexOf('/');
  return j >= 0 ? device.slice(j + 1) : device;
}

/** ASCII lock format (pppd is built without LOCK_BINARY on Linux): "%10d\n", 11 bytes. */
function lockText(pid: number): string {
  return `${String(pid).padStart(10, ' ')}\n`;
}

/** C atoi(): leading blanks, an optional sign, digits; anything else gives 0. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // pppd treats only ESRCH as "gone"; EPERM means someone else's live process.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * utils.c lock(): create LOCK_DIR/LCK..NAME exclusively and write our pid; if it exists,
 * read the pid in it: our own pid means the device is already ours; pid 0 or a dead
 * process is a stale lock, removed with "Removed stale lock on %s (pid %d)" (notice) and
 * the create tried again; a live process gives "Device %s is locked by pid %d" (notice)
 * and failure (pppd then exits with status 6, EXIT_LOCK_FAILED).
 */
export function lockDevice(device: string, lockDir: string, pid: number, log: LogFn): LockResult {
  const dev = lockName(device);
  const file = path.join(lockDir, `LCK..${dev}`);
  const fail = (level: 'notice' | 'warn' | 'error', message: string): LockResult => {
    log(level, message);
    return { ok: false, message };
  };
  for (;;) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_EXCL | fs.constants.O_CREAT | fs.constants.O_RDWR, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return fail('error', `Can't create lock file ${file}: ${strerror(err)}`);
      // Read the lock file to find out who has the device locked.
      let text: string;
      try {
        const rfd = fs.openSync(file, fs.constants.O_RDONLY);
        try {
          const buf = Buffer.alloc(11);
          const n = fs.readSync(rfd, buf, 0, 11, null);
          if (n <= 0) return fail('error', `Can't read pid from lock file ${file}`);
          text = buf.subarray(0, n).toString('latin1');
        } finally {
          fs.closeSync(rfd);
        }
      } catch (err2) {
        if ((err2 as NodeJS.ErrnoException).code === 'ENOENT') continue; // "just a timing problem"
        return fail('error', `Can't open existing lock file ${file}: ${strerror(err2)}`);
      }
      const owner = atoi(text);
      if (owner === pid) return { ok: true, path: file }; // somebody else locked it for us
      if (owner === 0 || !processExists(owner)) {
        try {
          fs.unlinkSync(file);
        } catch {
          return fail('warn', `Couldn't remove stale lock on ${dev}`);
        }
        log('notice', `Removed stale lock on ${dev} (pid ${owner})`);
        continue;
      }
      return fail('notice', `Device ${dev} is locked by pid ${owner}`);
    }
    try {
      fs.writeSync(fd, lockText(pid));
    } finally {
      fs.closeSync(fd);
    }
    return { ok: true, path: file };
  }
}

/** utils.c relock(): rewrite the lock with a new pid (pppd does this when it detaches). */
export function relockDevice(file: string, pid: number, log?: LogFn): boolean {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, lockText(pid), 0);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } catch (err) {
    log?.('error', `Couldn't reopen lock file ${file}: ${strerror(err)}`);
    return false;
  }
}

/** utils.c unlock(): unlink the lock file, errors ignored. */
export function unlockDevice(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* pppd ignores unlink's result */
  }
}

/**
 * main.c create_pidfile / create_linkpidfile: RUNDIR/IFNAME.pid holds "PID\n";
 * RUNDIR/ppp-LINKNAME.pid (only with `linkname`) holds "PID\n" and then "IFNAME\n" when the
 * interface name is known. A file that cannot be written is "Failed to create pid file
 * %s: %m" (error) and left out of the result; pppd goes on.
 */
export function writePidFiles(runDir: string, ifname: string, linkname: string | undefined, pid: number, log?: LogFn): string[] {
  const written: string[] = [];
  const write = (file: string, text: string) => {
    try {
      fs.writeFileSync(file, text, { mode: 0o644 });
      written.push(file);
    } catch (err) {
      log?.('error', `Failed to create pid file ${file}: ${strerror(err)}`);
    }
  };
  if (ifname) write(path.join(runDir, `${ifname}.pid`), `${pid}\n`);
  if (linkname) write(path.join(runDir, `ppp-${linkname}.pid`), `${pid}\n${ifname ? `${ifname}\n` : ''}`);
  return written;
}

/** main.c remove_pidfiles: unlink; a failure other than ENOENT is "unable to delete pid file %s: %m" (warn). */
export function removePidFiles(paths: string[], log?: LogFn): void {
  for (const file of paths) {
    try {
      fs.unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log?.('warn', `unable to delete pid file ${file}: ${strerror(err)}`);
    }
  }
}
