// Test harness: real pppd 2.4.9 as a peer, inside user-mode-linux.
//
// The host kernel has no PPP, so pppd runs inside Debian's UML kernel
// (/usr/bin/linux.uml), whose root file system is the host's / through hostfs,
// read-only, with a tmpfs overlay on top (see uml-init.sh, which runs as PID 1).
// UML's /dev/ttyS0 is a host pseudo-terminal made by socat, which bridges it to
// a TCP port on 127.0.0.1:
//   line 'connect': socat listens on a free port (PppdPeer.port), the test connects;
//   line 'listen':  the test listens on opts.port, socat connects to it (with retry).
// Every run has its own directory under os.tmpdir() (the only host directory
// UML can write to) holding the job and its results.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
export { freePort } from '../../src/runtime/free-port.js';

export interface PppdPeerOptions {
  /** pppd arguments after "/dev/ttyS0 nodetach"; the harness adds "debug logfile RUN/pppd.log". */
  pppdArgs: string[];
  /** Files copied over /etc inside UML, paths relative to /etc ("ppp/chap-secrets"). */
  files?: Record<string, string>;
  /** Shell script (bash) run inside UML once ip-up has run. */
  after?: string;
  /**
   * Shell script (bash) run INSTEAD of pppd, with /dev/ttyS0 to itself (chat + slattach for
   * SLIP, say); its output and status are the result's afterOutput / afterRc.
   */
  job?: string;
  /** Let pppd end by itself instead of sending it SIGTERM after `after`. */
  waitExit?: boolean;
  /** Load the ipv6 module before pppd starts and record what /etc/ppp/ipv6-up gets (RUN/ipv6up.args). */
  ipv6?: boolean;
  /** 'connect': socat listens on a free 127.0.0.1 port (PppdPeer.port) and the test connects;
   *  'listen': the test listens on `port` and socat connects to it, retrying. */
  line: 'connect' | 'listen';
  /** Required when line === 'listen'. */
  port?: number;
  /** Bound on the whole run, boot to halt (default 60000). */
  timeoutMs?: number;
  /** socat -x: hex dump of the line bytes to RUN/line.hex
   *  ("> " blocks: from pppd to the TCP side, "< " blocks: from the TCP side to pppd). */
  capture?: boolean;
  /** Extra UML kernel arguments (e.g. `eth0=tuntap,tap0`: UML's eth0 on a host TAP device). */
  kernelArgs?: string[];
  /** Start UML inside this network namespace (`ip netns exec`), where its TAP device is. */
  netns?: string;
}

export interface PppdPeerResult {
  /** pppd's exit status (pppd(8) EXIT STATUS), null if pppd did not finish (timeout, stop()). */
  exitCode: number | null;
  /** pppd's logfile (debug level). */
  log: string;
  /** Arguments (interface tty speed local remote ipparam) and environment /etc/ppp/ip-up got. */
  ipUp?: { args: string[]; env: Record<string, string> };
  /** The same for /etc/ppp/ipv6-up (interface tty speed local-LL remote-LL ipparam), with `ipv6`. */
  ipv6Up?: { args: string[]; env: Record<string, string> };
  afterOutput: string;
  afterRc: number | null;
  runDir: string;
  /** The whole-run bound fired. */
  timedOut: boolean;
  /** stop() was called before the run ended by itself. */
  stopped: boolean;
  /** Milliseconds from UML start to its exit. */
  durationMs: number;
  /** UML console: kernel messages and init's progress lines. */
  console: string;
  /** Steps of uml-init.sh with timestamps (RUN/init.log). */
  initLog: string;
  /** socat's messages (RUN/socat.log). */
  socatLog: string;
}

export interface PppdPeer {
  port: number;
  /** The run directory (UML's $DT_RUN): a test may leave files there for after.sh to see. */
  runDir: string;
  /** The line endpoint is open: 'connect': socat listens; 'listen': socat has connected to `port`. */
  ready: Promise<void>;
  done: Promise<PppdPeerResult>;
  /** Kill UML and socat now; resolves when the run has ended. */
  stop(): Promise<void>;
}

const UML_BIN = '/usr/bin/linux.uml';
const UML_MODULES = '/usr/lib/uml/modules';
const REQUIRED_BINS: Array<[string, string]> = [
  [UML_BIN, 'Debian package user-mode-linux'],
  ['/usr/bin/socat', 'Debian package socat'],
  ['/usr/sbin/pppd', 'Debian package ppp'],
  ['/bin/bash', 'bash'],
];

function findInitScript(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, 'uml-init.sh'),
    // compiled: dist/test/harness/uml.js -> test/harness/uml-init.sh
    path.resolve(here, '../../../test/harness/uml-init.sh'),
  ];
  return candidates.find((p) => fs.existsSync(p));
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the binaries the harness needs are there (it does not boot UML). */
export function umlAvailable(): { ok: boolean; why?: string } {
  for (const [bin, pkg] of REQUIRED_BINS) {
    if (!isExecutable(bin)) return { ok: false, why: `${bin} missing (${pkg})` };
  }
  let mods: string[] = [];
  try {
    mods = fs.readdirSync(UML_MODULES);
  } catch {
    /* handled below */
  }
  if (mods.length === 0) return { ok: false, why: `no UML kernel modules in ${UML_MODULES}` };
  if (!findInitScript()) return { ok: false, why: 'test/harness/uml-init.sh not found' };
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  return { ok: true };
}

// ---------------------------------------------------------------------------
// Cleanup of everything started, also when the test process ends abnormally.

const liveGroups = new Set<number>();
const slotFiles = new Set<string>();
const runDirs = new Set<string>();
let exitHooksInstalled = false;

/** Kill a process and its process group (children are started detached, so they lead one). */
function killGroup(pid: number | undefined, groupOnly = false): void {
  if (!pid) return;
  for (const target of groupOnly ? [-pid] : [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** A detached shell that kills UML and socat when the deadline passes or when
 *  this Node process is gone (even by SIGKILL; then it also removes the run
 *  directory, unless DIALTONE_KEEP_UML_RUNS=1). It ends by itself with UML.
 *  "alive" reads /proc/PID/stat: a zombie (not yet reaped) counts as gone. */
function startWatchdog(umlPid: number, socatPid: number, seconds: number, runDir: string): void {
  const script = `
alive() { local s; read -r s < /proc/$1/stat 2>/dev/null || return 1; s=\${s##*) }; [ "\${s%% *}" != Z ]; }
deadline=$((SECONDS+$4))
while alive $1; do
  if ! alive $3; then
    kill -KILL -$1 $1 -$2 $2 2>/dev/null
    if [ "$6" != 1 ]; then
      case "$5" in */dialtone-uml-??????) sleep 1; rm -rf -- "$5";; esac
    fi
    exit 0
  fi
  if [ $SECONDS -ge $deadline ]; then kill -KILL -$1 $1 -$2 $2 2>/dev/null; exit 0; fi
  sleep 0.5
done
sleep 1; kill -KILL -$1 -$2 2>/dev/null; exit 0
`;
  const keep = process.env.DIALTONE_KEEP_UML_RUNS === '1' ? '1' : '0';
  const wd = spawn(
    '/bin/bash',
    ['-c', script, 'dialtone-uml-watchdog', String(umlPid), String(socatPid), String(process.pid), String(seconds), runDir, keep],
    { detached: true, stdio: 'ignore' },
  );
  wd.on('error', () => {
    /* best effort */
  });
  wd.unref();
}

function cleanupAllSync(): void {
  for (const g of liveGroups) killGroup(g);
  liveGroups.clear();
  for (const f of slotFiles) {
    try {
      fs.unlinkSync(f);
    } catch {
      /* ignore */
    }
  }
  slotFiles.clear();
  if (process.env.DIALTONE_KEEP_UML_RUNS !== '1') {
    for (const d of runDirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
    runDirs.clear();
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      cleanupAllSync();
      process.removeListener(sig, handler);
      // Re-raise so that the process ends the way it would have without us,
      // unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

// ---------------------------------------------------------------------------
// CPU pinning: each UML goes to the CPU with the fewest UMLs of this user (all
// test processes), counted through slot files in a shared directory.

let tasksetOk: boolean | undefined;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeCpuSlot(): { cpu: number; file: string } | undefined {
  if (tasksetOk === undefined) tasksetOk = isExecutable('/usr/bin/taskset');
  if (!tasksetOk) return undefined;
  const ncpu = Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  const dir = path.join(os.tmpdir(), 'dialtone-uml-cpus');
  try {
    fs.mkdirSync(dir, { recursive: true });
    const load = new Array<number>(ncpu).fill(0);
    for (const name of fs.readdirSync(dir)) {
      const m = /^(\d+)-(\d+)-/.exec(name);
      if (!m) continue;
      const cpu = Number(m[1]);
      const pid = Number(m[2]);
      if (!pidAlive(pid)) {
        try {
          fs.unlinkSync(path.join(dir, name));
        } catch {
          /* raced with another cleaner */
        }
        continue;
      }
      if (cpu < ncpu) load[cpu]++;
    }
    let best = 0;
    for (let i = 1; i < ncpu; i++) if (load[i] < load[best]) best = i;
    const file = path.join(dir, `${best}-${process.pid}-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, '');
    slotFiles.add(file);
    return { cpu: best, file };
  } catch {
    return undefined;
  }
}

function releaseCpuSlot(slot: { file: string } | undefined): void {
  if (!slot) return;
  slotFiles.delete(slot.file);
  try {
    fs.unlinkSync(slot.file);
  } catch {
    /* ignore */
  }
}

// ---------------------------------------------------------------------------

function readText(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function readInt(p: string): number | null {
  const t = readText(p).trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Number(t);
}

function checkRelPath(rel: string): string {
  const norm = path.posix.normalize(rel);
  if (norm.startsWith('/') || norm === '..' || norm.startsWith('../') || norm === '.') {
    throw new Error(`files: path must be relative to /etc and stay inside it: ${rel}`);
  }
  return norm;
}

const SOCAT_MSG = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d socat\[\d+\] [DINWEF] /;

/** Boot UML with real pppd on /dev/ttyS0 bridged to a TCP port. */
export async function startPppdPeer(opts: PppdPeerOptions): Promise<PppdPeer> {
  const avail = umlAvailable();
  if (!avail.ok) throw new Error(`user-mode-linux harness unavailable: ${avail.why}`);
  if (opts.line === 'listen' && !(opts.port && opts.port > 0 && opts.port < 65536)) {
    throw new Error("line 'listen' needs opts.port");
  }
  const timeoutMs = opts.timeoutMs ?? 60000;
  installExitHooks();

  // --- the run directory: the job for uml-init.sh ---------------------------
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-uml-'));
  runDirs.add(runDir);
  if (/[\s,"'\\]/.test(runDir)) {
    throw new Error(`run directory path unusable on the UML command line: ${runDir}`);
  }
  fs.chmodSync(runDir, 0o755);
  const p = (name: string): string => path.join(runDir, name);

  const initSrc = findInitScript()!;
  fs.copyFileSync(initSrc, p('init.sh'));
  fs.chmodSync(p('init.sh'), 0o755);

  const args = ['debug', 'logfile', p('pppd.log'), ...opts.pppdArgs];
  for (const a of args) {
    if (a.includes('\n')) throw new Error(`pppd argument contains a newline: ${JSON.stringify(a)}`);
  }
  fs.writeFileSync(p('pppd.args'), args.map((a) => a + '\n').join(''));
  if (opts.files) {
    for (const [rel, content] of Object.entries(opts.files)) {
      const dst = path.join(runDir, 'files', checkRelPath(rel));
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      const mode = /secrets$/.test(rel) ? 0o600 : 0o644;
      fs.writeFileSync(dst, content, { mode });
      fs.chmodSync(dst, mode);
    }
  }
  if (opts.after !== undefined) fs.writeFileSync(p('after.sh'), opts.after);
  if (opts.job !== undefined) fs.writeFileSync(p('job.sh'), opts.job);
  if (opts.waitExit) fs.writeFileSync(p('wait-exit'), '');
  if (opts.ipv6) fs.writeFileSync(p('ipv6'), '');

  // The watchdog's bound, a little after our own timer.
  const boundSecs = Math.ceil(timeoutMs / 1000) + 5;

  // --- socat: PTY <-> TCP ------------------------------------------------------
  const ptyLink = p('tty');
  const tcpAddr =
    opts.line === 'connect'
      ? 'TCP-LISTEN:0,bind=127.0.0.1,reuseaddr'
      : `TCP:127.0.0.1:${opts.port},retry=${Math.ceil(timeoutMs / 200)},interval=0.2`;
  const socatArgs = ['-d', '-d'];
  if (opts.capture) socatArgs.push('-x');
  socatArgs.push(`PTY,link=${ptyLink},raw,echo=0`, tcpAddr);
  const socatLogFd = fs.openSync(p('socat.log'), 'w');
  const hexFd = opts.capture ? fs.openSync(p('line.hex'), 'w') : undefined;
  const socat = spawn('/usr/bin/socat', socatArgs, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (socat.pid) liveGroups.add(socat.pid);

  // 'close', not 'exit': stderr may still hold data when the process has exited.
  let socatExited = false;
  const socatExit = new Promise<void>((resolve) => {
    socat.on('close', () => {
      socatExited = true;
      resolve();
    });
    socat.on('error', () => {
      socatExited = true;
      resolve();
    });
  });

  let ptyResolve!: () => void;
  let ptyReject!: (e: Error) => void;
  const ptyReady = new Promise<void>((res, rej) => {
    ptyResolve = res;
    ptyReject = rej;
  });
  let listenResolve!: (port: number) => void;
  const listening = new Promise<number>((res) => (listenResolve = res));
  let connectedResolve!: () => void;
  const connected = new Promise<void>((res) => (connectedResolve = res));

  let partial = '';
  let logsClosed = false;
  const write = (fd: number, text: string): void => {
    if (!logsClosed) fs.writeSync(fd, text, null, 'latin1');
  };
  const closeLogs = (): void => {
    if (logsClosed) return;
    if (partial) write(hexFd ?? socatLogFd, partial);
    partial = '';
    logsClosed = true;
    fs.closeSync(socatLogFd);
    if (hexFd !== undefined) fs.closeSync(hexFd);
  };
  socat.stderr!.setEncoding('latin1');
  socat.stderr!.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl + 1);
      partial = partial.slice(nl + 1);
      if (SOCAT_MSG.test(line)) {
        write(socatLogFd, line);
        if (/ N PTY is /.test(line)) ptyResolve();
        const m = / N listening on AF=\d+ [\d.]+:(\d+)/.exec(line);
        if (m) listenResolve(Number(m[1]));
        if (/ N starting data transfer loop/.test(line)) connectedResolve();
      } else {
        write(hexFd ?? socatLogFd, line);
      }
    }
  });
  void socatExit.then(() => ptyReject(new Error(`socat exited early:\n${readText(p('socat.log'))}`)));

  let port = opts.port ?? 0;
  const setupTimer = setTimeout(() => ptyReject(new Error('socat did not create its PTY in 10 s')), 10000);
  try {
    await ptyReady;
    // The link must exist before UML opens it, or UML has no ttyS0 and pppd inside says
    // "Failed to open /dev/ttyS0". socat makes it just after logging "PTY is", which on a
    // loaded machine took over a second: poll for it for up to 10 s.
    for (let waited = 0; !fs.existsSync(ptyLink); waited += 10) {
      if (socatExited || waited >= 10_000) throw new Error(`socat made no ${ptyLink}:\n${readText(p('socat.log'))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (opts.line === 'connect') {
      port = await Promise.race([listening, socatExit.then(() => 0)]);
      if (!port) throw new Error(`socat did not listen:\n${readText(p('socat.log'))}`);
    }
  } catch (e) {
    clearTimeout(setupTimer);
    killGroup(socat.pid);
    if (socat.pid) liveGroups.delete(socat.pid);
    closeLogs();
    throw e;
  }
  clearTimeout(setupTimer);

  // --- UML ---------------------------------------------------------------------
  const umid = `dt${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const umlArgs = [
    `umid=${umid}`,
    `uml_dir=${p('uml')}`,
    'mem=128M',
    'quiet',
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    `init=${p('init.sh')}`,
    'con=null',
    'con0=null,fd:1',
    'ssl=null',
    `ssl0=tty:${ptyLink}`,
    `DT_RUN=${runDir}`,
    ...(opts.kernelArgs ?? []),
  ];
  // linux.uml calls setsid() itself: it must be the process we spawn (taskset
  // execs it), so that its PID is the group to kill. Its helper processes stay
  // in that group.
  const slot = takeCpuSlot();
  const cmd: string[] = [];
  // `ip netns exec` and taskset both exec what follows: the PID stays linux.uml's.
  if (opts.netns) cmd.push('/usr/sbin/ip', 'netns', 'exec', opts.netns);
  if (slot) cmd.push('/usr/bin/taskset', '-c', String(slot.cpu));
  cmd.push(UML_BIN, ...umlArgs);
  fs.writeFileSync(p('uml.cmdline'), cmd.join(' ') + '\n');
  const consoleFd = fs.openSync(p('console.log'), 'w');
  const t0 = Date.now();
  const uml: ChildProcess = spawn(cmd[0], cmd.slice(1), {
    detached: true,
    stdio: ['ignore', consoleFd, consoleFd],
  });
  fs.closeSync(consoleFd);
  if (uml.pid) liveGroups.add(uml.pid);
  if (uml.pid && socat.pid) startWatchdog(uml.pid, socat.pid, boundSecs, runDir);

  let timedOut = false;
  let stopped = false;
  let finished = false;

  const umlExit = new Promise<void>((resolve) => {
    uml.on('exit', () => resolve());
    uml.on('error', () => resolve());
  });

  const timer = setTimeout(() => {
    timedOut = true;
    void terminate();
  }, timeoutMs);

  async function terminate(): Promise<void> {
    // Logs are flushed to the host every 0.2 s by UML (see uml-init.sh); give
    // the last ones a moment.
    if (!finished) await new Promise((r) => setTimeout(r, 300));
    killGroup(uml.pid);
    killGroup(socat.pid);
  }

  const done: Promise<PppdPeerResult> = (async () => {
    await umlExit;
    const durationMs = Date.now() - t0;
    finished = true;
    clearTimeout(timer);
    // UML's helper processes (the main one has been reaped: only its group),
    // then socat (it usually ends by itself when the PTY closes, but not while
    // still waiting for a TCP peer).
    killGroup(uml.pid, true);
    if (uml.pid) liveGroups.delete(uml.pid);
    releaseCpuSlot(slot);
    if (!socatExited) {
      await Promise.race([socatExit, new Promise((r) => setTimeout(r, 200))]);
      killGroup(socat.pid);
      await socatExit;
    }
    if (socat.pid) liveGroups.delete(socat.pid);
    closeLogs();

    const scriptRecord = (name: string): { args: string[]; env: Record<string, string> } | undefined => {
      if (!fs.existsSync(p(`${name}.args`))) return undefined;
      const args = readText(p(`${name}.args`)).split('\n');
      if (args[args.length - 1] === '') args.pop();
      const env: Record<string, string> = {};
      for (const line of readText(p(`${name}.env`)).split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return { args, env };
    };
    const ipUp = scriptRecord('ipup');
    const ipv6Up = scriptRecord('ipv6up');
    return {
      exitCode: readInt(p('pppd.rc')),
      log: readText(p('pppd.log')),
      ipUp,
      ipv6Up,
      afterOutput: readText(p('after.out')),
      afterRc: readInt(p('after.rc')),
      runDir,
      timedOut,
      stopped,
      durationMs,
      console: readText(p('console.log')),
      initLog: readText(p('init.log')),
      socatLog: readText(p('socat.log')),
    };
  })();

  const ready: Promise<void> =
    opts.line === 'connect'
      ? Promise.resolve()
      : Promise.race([
          connected,
          done.then(() => {
            throw new Error('pppd peer ended before socat connected');
          }),
        ]);
  ready.catch(() => {
    /* the caller may not look at it */
  });

  return {
    port,
    runDir,
    ready,
    done,
    async stop(): Promise<void> {
      if (!finished) {
        stopped = true;
        await terminate();
      }
      await done;
    },
  };
}
