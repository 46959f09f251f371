/**
 * pppd's device_script (main.c), which runs `connect`, `disconnect`, `init` and `welcome`
 * scripts (tty.c connect_tty / disconnect_tty):
 *
 *  - `/bin/sh -c COMMAND`, with the line as standard input AND standard output, so that
 *    `chat -v -f script` talks to the modem unchanged;
 *  - standard error to pppd's log fd when it logs to one, else appended to
 *    /etc/ppp/connect-errors (open(O_WRONLY|O_APPEND|O_CREAT, 0644));
 *  - pppd's own environment (execl, not execle: the script sees pppd's environ, with the
 *    `set`/`unset` options applied), not the cleared one the ip-up scripts get;
 *  - pppd waits for it and looks only at "exit status 0 or not" (the caller logs
 *    "Connect script failed", exit status 8, etc.).
 *
 * chat needs a terminal on its standard input: it starts with tcgetattr(0) and gives up
 * with "Can't get terminal parameters" (exit 2) on a pipe or a socket. pppd has the same
 * need and, for `pty`, `socket` and `notty`, puts a pseudo-terminal between the link and
 * the script. dialtone does the same:
 *
 *  - direct: when the line is a terminal fd (a serial port) that nobody reads yet, the
 *    script gets that fd itself, exactly as pppd gives it its tty;
 *  - bridged: otherwise (TCP sockets, pipes, a serial stream already being read) dialtone
 *    opens a pseudo-terminal, gives the script its slave side and pumps bytes between the
 *    line stream and the master side. The line stream's 'data' listeners (the PPP reader)
 *    are detached for the duration. Bytes that reached the terminal but were not read by
 *    the script (what follows "CONNECT" on the line) stay in the slave's input queue, as
 *    they would on pppd's tty; dialtone holds the slave open, reads them back when the
 *    script exits and unshifts them into the line stream, so PPP sees them first.
 *
 * Node cannot allocate a pseudo-terminal by itself (unlockpt/ptsname and tcsetattr are
 * ioctls); dialtone opens /dev/ptmx and lets a short perl helper (perl is Essential on
 * Debian; POSIX.pm is in perl-base) do the ioctls on that fd.
 */
import fs from 'node:fs';
import os from 'node:os';
import tty from 'node:tty';
import { spawn, spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { type LogFn } from './scripts.js';
import { strerror } from '../runtime/strerror.js';

export interface LineIo { stream: Duplex; fd?: number }

export interface DeviceScriptOptions {
  /**
   * Where the script's standard error goes: pppd's connect-errors file (PPPDIR/connect-errors),
   * appended to. Absent: dialtone's own standard error (pppd's "log_to_fd" case, e.g. nodetach).
   */
  errorsFile?: string;
  /** The script's whole environment; absent: dialtone's process.env (pppd passes its own environ). */
  env?: Record<string, string>;
  /** Not in pppd (chat has its own timeouts): SIGTERM to the script's process group after this long; resolves null. */
  timeoutMs?: number;
  log: LogFn;
}

/** pppd's _PATH_CONNERRS, relative to the ppp directory. */
export const CONNECT_ERRORS = 'connect-errors';

const PTY_HELPER = `
use POSIX qw(:termios_h);
my $z = pack("i", 0);
ioctl(STDIN, 0x40045431, $z) or ioctl(STDIN, 0x80045431, $z) or die "unlockpt: $!\\n";
my $n = pack("I", 0);
ioctl(STDIN, 0x80045430, $n) or ioctl(STDIN, 0x40045430, $n) or die "ptsname: $!\\n";
my $t = POSIX::Termios->new;
$t->getattr(0) or die "tcgetattr: $!\\n";
$t->setiflag(IGNBRK | IGNPAR);
$t->setoflag(0);
$t->setlflag(0);
$t->setcflag(($t->getcflag & ~(CSIZE | PARENB | CSTOPB)) | CS8 | CREAD | CLOCAL);
$t->setcc(VMIN, 1);
$t->setcc(VTIME, 0);
$t->setattr(0, TCSANOW) or die "tcsetattr: $!\\n";
print unpack("I", $n), "\\n";
`;

const FL_HELPER = 'use Fcntl; my $f = fcntl(STDIN, F_GETFL, 0); defined $f or exit 1; if (@ARGV) { fcntl(STDIN, F_SETFL, $ARGV[0] + 0) or exit 1 } print $f + 0;';

/** F_GETFL (and F_SETFL when `set` is given) on fd, through perl. */
function fileFlags(fd: number, set?: number): number | undefined {
  const r = spawnSync('perl', ['-e', FL_HELPER, ...(set === undefined ? [] : [String(set)])], { stdio: [fd, 'pipe', 'ignore'] });
  if (r.status !== 0) return undefined;
  const n = Number(r.stdout.toString());
  return Number.isInteger(n) ? n : undefined;
}

interface Pty { master: number; slavePath: string }

/**
 * A new pseudo-terminal in the state pppd's set_up_tty(fd, local=1) leaves a tty in before
 * it runs the connect script: 8 bits, no parity, raw, CLOCAL, VMIN 1.
 */
export function openPty(): Pty {
  const master = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  const r = spawnSync('perl', ['-e', PTY_HELPER], { stdio: [master, 'pipe', 'pipe'] });
  const n = r.stdout ? Number(r.stdout.toString().trim()) : NaN;
  if (r.status !== 0 || !Number.isInteger(n)) {
    fs.closeSync(master);
    const why = r.error ? strerror(r.error) : (r.stderr?.toString().trim() || `status ${r.status}`);
    throw new Error(`Couldn't allocate pseudo-tty: ${why}`);
  }
  return { master, slavePath: `/dev/pts/${n}` };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function signalNumber(signal: NodeJS.Signals): number | string {
  return os.constants.signals[signal as keyof typeof os.constants.signals] ?? signal;
}

export async function runDeviceScript(command: string, line: LineIo, opts: DeviceScriptOptions): Promise<number | null> {
  const { log } = opts;
  let errfd: number | 'inherit' | 'ignore' = 'inherit';
  if (opts.errorsFile) {
    try {
      errfd = fs.openSync(opts.errorsFile, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
    } catch {
      // pppd's dup2(-1, 2) fails silently and the script keeps pppd's stderr (/dev/null once detached).
      errfd = 'ignore';
    }
  }
  const env = opts.env ?? (process.env as Record<string, string>);
  try {
    const s = line.stream;
    const direct = line.fd !== undefined && tty.isatty(line.fd) && s.readableFlowing === null && s.readableLength === 0;
    if (direct) return await runDirect(command, line.fd!, errfd, env, opts);
    return await runBridged(command, s, errfd, env, opts);
  } finally {
    if (typeof errfd === 'number') fs.closeSync(errfd);
  }
}

/** Spawns `/bin/sh -c command` on the given stdio and waits, logging as pppd's forget_child. */
function spawnScript(
  command: string,
  stdio: [number, number, number | 'inherit' | 'ignore'],
  env: Record<string, string>,
  opts: DeviceScriptOptions,
  onSpawn?: () => void,
): Promise<number | null> {
  const { log } = opts;
  return new Promise((resolve) => {
    // detached: a process group of its own, so a timeout can end the script and whatever
    // it started (pppd's kill_my_pg does this on SIGTERM while a connector runs).
    const child = spawn('/bin/sh', ['-c', command], { stdio, env, detached: true });
    let timer: NodeJS.Timeout | undefined;
    let started = false;
    child.once('spawn', () => {
      started = true;
      onSpawn?.();
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          log('warn', `Script ${command} (pid ${child.pid}) timed out; sending SIGTERM`);
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            child.kill('SIGTERM');
          }
        }, opts.timeoutMs);
      }
    });
    child.once('error', (err) => {
      if (started) return;
      onSpawn?.();
      log('error', `Failed to create child process: ${strerror(err)}`);
      resolve(null);
    });
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal) {
        log('warn', `Child process ${command} (pid ${child.pid}) terminated with signal ${signalNumber(signal)}`);
        resolve(null);
      } else {
        log('debug', `Script ${command} finished (pid ${child.pid}), status = 0x${(code ?? 0).toString(16)}`);
        resolve(code);
      }
    });
  });
}

async function runDirect(command: string, fd: number, errfd: number | 'inherit' | 'ignore', env: Record<string, string>, opts: DeviceScriptOptions): Promise<number | null> {
  // The script shares the open file description: chat clears O_NONBLOCK on it when a read
  // returns EAGAIN, which would leave Node's reader with a blocking fd. Put the flags back.
  const flags = fileFlags(fd);
  try {
    return await spawnScript(command, [fd, fd, errfd], env, opts);
  } finally {
    if (flags !== undefined) fileFlags(fd, flags);
  }
}

async function runBridged(command: string, s: Duplex, errfd: number | 'inherit' | 'ignore', env: Record<string, string>, opts: DeviceScriptOptions): Promise<number | null> {
  let pty: Pty;
  try {
    pty = openPty();
  } catch (err) {
    opts.log('error', (err as Error).message);
    return null;
  }
  const O = fs.constants;
  let slave = -1;
  let keep = -1;
  try {
    slave = fs.openSync(pty.slavePath, O.O_RDWR | O.O_NOCTTY);
    keep = fs.openSync(pty.slavePath, O.O_RDWR | O.O_NOCTTY | O.O_NONBLOCK);
  } catch (err) {
    for (const fd of [slave, keep, pty.master]) if (fd >= 0) fs.closeSync(fd);
    opts.log('error', `Couldn't open ${pty.slavePath}: ${strerror(err)}`);
    return null;
  }

  const master = new tty.ReadStream(pty.master);
  master.on('error', () => undefined);
  let fromScript = 0;
  master.on('data', (b: Buffer) => {
    fromScript++;
    if (!s.destroyed && s.writable) s.write(b);
  });

  // Detach the PPP reader and take the line's input.
  const saved = s.listeners('data') as ((...a: unknown[]) => void)[];
  for (const l of saved) s.off('data', l);
  const wasFlowing = s.readableFlowing;
  const pump = (b: Buffer) => {
    if (!master.destroyed) master.write(b);
  };
  // The line went away while the script ran: hang up the terminal, as a modem hangup does
  // to pppd's tty (the script's reads then return end of file).
  const lineGone = () => master.destroy();
  s.on('data', pump);
  s.once('end', lineGone);
  s.once('close', lineGone);
  if (wasFlowing === false) s.resume();

  let status: number | null;
  try {
    status = await spawnScript(command, [slave, slave, errfd], env, opts, () => {
      fs.closeSync(slave);
      slave = -1;
    });
  } finally {
    if (slave >= 0) fs.closeSync(slave);
    s.off('data', pump);
    s.off('end', lineGone);
    s.off('close', lineGone);
    s.pause();
  }

  // Collect what the script left unread in the terminal's input queue. The pty moves
  // bytes from master to slave asynchronously, so wait until neither side has moved for
  // a little while.
  const left: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  let quiet = 0;
  for (let round = 0; round < 50 && quiet < 3; round++) {
    const before = fromScript;
    await sleep(10);
    let moved = master.writableLength > 0 || fromScript !== before;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(keep, buf, 0, buf.length, null);
      } catch {
        break; // EAGAIN: nothing more; EIO: hung up
      }
      if (n <= 0) break;
      left.push(Buffer.from(buf.subarray(0, n)));
      moved = true;
    }
    quiet = moved ? 0 : quiet + 1;
  }
  fs.closeSync(keep);
  master.destroy();

  // Give the line back to PPP: leftover bytes first, then whatever arrived since.
  if (left.length && !s.destroyed && !s.readableEnded) s.unshift(Buffer.concat(left));
  for (const l of saved) s.on('data', l);
  if (wasFlowing === true) s.resume();
  else if (wasFlowing === null) {
    // Back to "nobody has asked for data yet", so that a later on('data') starts the flow
    // (it would not on a stream left explicitly paused).
    (s as unknown as { readableFlowing: boolean | null }).readableFlowing = null;
  }
  return status;
}
