/**
 * Anchors for the userspace NAT (issue 15): the same octets moved from a network namespace
 * to a host socket on 127.0.0.1 through slirp4netns and through pasta (Debian packages
 * slirp4netns, passt), beside dialtone's NAT (bench/nat's path over a TCP line: a client TCP
 * and PPP's HDLC framing in another process, dialtone's process deframing, NetStack and
 * NatBackend to the host socket) and plain loopback TCP, in one
 * run:  "dialtone X MB/s, slirp4netns Y MB/s, pasta Z MB/s, loopback W MB/s".
 *
 * Needs root (ip netns); skipped with a message otherwise. Every namespace is private and
 * deleted afterwards; the host's own routes and addresses are never touched. The sender is
 * a separate node process (inside the namespace for slirp4netns and pasta, on the host for
 * loopback); the receiver counts octets from the first to the last, checks every one of them
 * against what was sent, and wants the sender's FIN right after the last. MTU 1500.
 *
 * Each tool's tap gets a transmit queue of TAP_QUEUE frames. With the kernel's 1000, a tool
 * descheduled for a few ms on this loaded 2-core machine loses frames at the tap (`ip -s
 * link` in the namespace counts them as TX dropped), and Debian's pasta (git 2023-03-09)
 * cannot recover from that at speed: it keeps no out-of-order segments and sends one
 * duplicate ACK per hole (tcp.c, tcp_data_from_tap), fewer than the three a sender waits
 * for (RFC 5681, 3.2), so every loss waits for the sender's retransmission timeout, which
 * doubles each time; after some seconds of this pasta resets the connection and closes its
 * host socket cleanly, so the stream arrives short (166 of 268 MB once). A queue that holds a
 * whole send buffer (net.ipv4.tcp_wmem's 4 MiB, ~2900 frames) drops nothing. Both tools get
 * the same queue. pasta's automatic port forwarding (-t/-u/-T/-U auto) is off: unused here,
 * it rescans /proc/net/tcp in both namespaces every second.
 *
 * Usage: node dist/bench/anchors.js [--quick]
 */
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { medianRun, settle, viaLine, viaStack } from './nat.js';

const QUICK = process.argv.includes('--quick');
const BYTES = (QUICK ? 32 : 256) * 1024 * 1024;
const DIALTONE_BYTES = (QUICK ? 8 : 48) * 1024 * 1024;
/** slirp4netns and pasta both map their gateway 10.0.2.2 to the host's 127.0.0.1. */
const GATEWAY = '10.0.2.2';
/** The namespace's interface, named the same for both tools. */
const TAP = 'tap0';
/** Transmit queue of the tap, in frames (see the header comment). */
const TAP_QUEUE = 10_000;
/** A transfer with no new octet for this long has failed (a stalled tool, not a slow one). */
const STALL_MS = 20_000;
/**
 * Attempts per tool. pasta also stalls with no frame dropped at the tap: when the host-side
 * receiver falls behind (2 cores shared by sender, tool, receiver and other work; running
 * all of them at nice -10 made it worse, 7 of 8 attempts) long enough for pasta's socket
 * buffer to fill, its sendmsg() takes only part of a batch of segments and the rest is discarded
 * as if lost (tcp_data_from_tap: partial_send), with the same timeout-only recovery as a
 * tap drop. Under load average 13-18 this met 4 of 7 attempts of `npm run bench:anchors`
 * (5 of 27 over every variant tried); a failed attempt is printed.
 */
const ATTEMPTS = 3;
/** What the sender repeats; the sink compares every octet it receives against it. */
const CHUNK = randomBytes(256 * 1024);

/**
 * The sender: reads CHUNK from stdin, connects, writes `total` octets of it repeated,
 * half-closes, and exits once the sink has closed its side too.
 */
const SENDER = `
const net = require('node:net');
const [host, port, total, chunkLen] = process.argv.slice(1);
const parts = [];
process.stdin.on('data', (d) => parts.push(d));
process.stdin.on('end', () => {
  const chunk = Buffer.concat(parts);
  if (chunk.length !== +chunkLen) { console.error('short chunk on stdin'); process.exit(1); }
  const s = net.connect(+port, host, () => {
    let left = +total;
    const go = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', go);
      }
      s.end();
    };
    go();
  });
  s.resume();
  s.on('close', (hadError) => process.exit(hadError ? 1 : 0));
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
});
`;

interface Sink {
  port: number;
  /** Resolves with MB/s once exactly `bytes` octets, each the one sent, arrived and the stream ended. */
  result: Promise<number>;
  /** Octets received so far (for the stall check). */
  got(): number;
  close(): void;
}

async function sink(bytes: number): Promise<Sink> {
  let resolveResult!: (mbps: number) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<number>((res, rej) => ((resolveResult = res), (rejectResult = rej)));
  let got = 0;
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    let t0 = 0n;
    let mbps = 0;
    s.on('data', (d: Buffer) => {
      if (!t0) t0 = process.hrtime.bigint();
      if (got + d.length > bytes) return void (got += d.length);
      // Octet for octet against CHUNK (memcmp speed, unlike a digest in this timed path).
      for (let i = 0; i < d.length;) {
        const at = (got + i) % CHUNK.length;
        const n = Math.min(d.length - i, CHUNK.length - at);
        if (CHUNK.compare(d, i, i + n, at, at + n) !== 0) {
          rejectResult(new Error(`octets ${got + i}..${got + i + n} differ from what was sent`));
          return void s.destroy();
        }
        i += n;
      }
      got += d.length;
      // Timed to the last octet; the FIN that must follow it is checked on 'end'.
      if (got === bytes) mbps = bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9);
    });
    s.on('end', () => {
      if (got === bytes) resolveResult(mbps);
      else rejectResult(new Error(`received ${got} of ${bytes} octets, then FIN`));
      s.end();
    });
    s.on('error', (e) => rejectResult(e));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, result, got: () => got, close: () => srv.close() };
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

async function waitFor(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends BYTES from the sender process (in `netns`, or on the host) to a fresh sink. */
async function transfer(host: string, netns?: string): Promise<number> {
  const s = await sink(BYTES);
  const args = ['-e', SENDER, host, String(s.port), String(BYTES), String(CHUNK.length)];
  const stdio: ['pipe', 'ignore', 'pipe'] = ['pipe', 'ignore', 'pipe'];
  const child = netns ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { stdio })
    : spawn(process.execPath, args, { stdio });
  child.stdin.end(CHUNK);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));
  // A sender that fails ends the wait; one that succeeds leaves it to the sink.
  const failed = exited.then((code) => {
    if (code !== 0) throw new Error(err.trim() || `sender exited ${code}`);
    return new Promise<never>(() => {});
  });
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, rej) => {
    let last = -1;
    timer = setInterval(() => {
      if (s.got() === last) rej(new Error(`stalled: no octet for ${STALL_MS / 1000} s after ${s.got()} of ${BYTES}`));
      last = s.got();
    }, STALL_MS);
  });
  // Whichever loses the race may settle later (the sender killed below): not unhandled.
  for (const p of [s.result, failed, stalled]) p.catch(() => {});
  try {
    const mbps = await Promise.race([s.result, failed, stalled]);
    // The sender exits 0 only once both directions are closed: the sink's FIN must reach it.
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(r, STALL_MS, 'timeout').unref())]);
    if (code !== 0) throw new Error(code === 'timeout' ? 'the sender never saw the sink close' : err.trim() || `sender exited ${code}`);
    return mbps;
  } finally {
    clearInterval(timer);
    if (child.exitCode === null) child.kill('SIGTERM');
    s.close();
  }
}

/** A private namespace connected by `tool`; the tool's process is ended and the namespace deleted afterwards. */
async function throughTool(tool: 'slirp4netns' | 'pasta'): Promise<number> {
  const ns = `dtnat-${process.pid}-${tool}`;
  if (!sh('ip', ['netns', 'add', ns]).ok) throw new Error(`ip netns add ${ns} failed`);
  let child: ChildProcess | undefined;
  try {
    child = tool === 'slirp4netns'
      ? spawn('slirp4netns', ['--configure', '--mtu=1500', '--netns-type=path', `/run/netns/${ns}`, TAP], { stdio: 'ignore' })
      // pasta drops to "nobody" as root and then cannot join the namespace: --runas 0. Its
      // default gateway 10.0.2.2 is mapped to the host's 127.0.0.1 (no --no-map-gw).
      // -d would log why it closes a connection, but this build segfaults in its debug
      // logging at the first TCP connection (dmesg: passt.avx2 ... in libc).
      : spawn('pasta', ['--runas', '0', '-f', '--config-net', '-I', TAP, '-a', '10.0.2.100', '-n', '24', '-g', GATEWAY, '-m', '1500',
        '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none', '--netns', ns], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (d) => (log = (log + d).slice(-2000)));
    await waitFor(`${tool} to configure ${ns}`, () => sh('ip', ['-n', ns, '-4', 'addr']).out.includes('10.0.2.100')
      && sh('ip', ['-n', ns, 'route']).out.includes(`default via ${GATEWAY}`));
    const q = sh('ip', ['-n', ns, 'link', 'set', TAP, 'txqueuelen', String(TAP_QUEUE)]);
    if (!q.ok) throw new Error(`txqueuelen on ${ns}'s ${TAP}: ${q.out.trim()}`);
    try {
      return await transfer(GATEWAY, ns);
    } catch (e) {
      // Frames the tap dropped, and what the tool said, name most failures.
      const drops = /TX:[^\n]*\n\s*\d+\s+\d+\s+\d+\s+(\d+)/.exec(sh('ip', ['-n', ns, '-s', 'link', 'show', TAP]).out)?.[1] ?? '?';
      // (Its start-up banner and its failing syslog writes say nothing about the connection.)
      const said = log.split('\n').filter((l) => /error|warn|fail|reset|clos/i.test(l) && !l.startsWith('Failed to send')).slice(-3).join(' | ');
      throw new Error(`${(e as Error).message}; ${TAP} dropped ${drops} frames${said ? `; ${tool}: ${said}` : ''}`);
    }
  } finally {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
    sh('ip', ['netns', 'del', ns]);
  }
}

function available(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/anchors: skipped (needs root for network namespaces: ip netns)');
    return;
  }
  console.log(`anchors: ${BYTES / 2 ** 20} MiB from a network namespace to a host socket on 127.0.0.1, MTU 1500, tap queue ${TAP_QUEUE} frames; every octet checked (MB = 10^6 octets)`);
  const figures: string[] = [];
  // Warm-up, not counted: until V8 has compiled the path (bench/nat.ts settle(); after 4 MiB
  // only, the first 48 MiB still ran at ~8 ms/MB, the next at ~4-5).
  // As the tools are measured, dialtone is a process of its own: the PPP peer (the client's
  // TCP and its HDLC framing) and the host socket are in another, the peer on a TCP line to
  // dialtone (bench/nat.ts viaLine; settle() warms that path up too).
  await settle();
  // As bench/nat prints each line: the run with the median CPU of five (one run of 48 MiB
  // swung between 170 and 330 MB/s on this machine within minutes).
  const { r: dialtone, range } = await medianRun(() => viaLine('up', DIALTONE_BYTES, 256 * 1024), 5);
  console.log(`dialtone     ${dialtone.mbPerSec.toFixed(1).padStart(8)} MB/s   (the median of 5 runs of ${DIALTONE_BYTES / 2 ** 20} MiB, the PPP peer on a TCP line from another process, HDLC + NetStack + NatBackend: ${dialtone.cpuMsPerMb.toFixed(1)} ms of dialtone's CPU per MB (${range}), the far side's ${dialtone.farCpuMsPerMb?.toFixed(1)})`);
  // The peer in dialtone's own process instead (bench/nat's in-memory line): no line IO,
  // and no octet crosses to the other core; one thread does both ends' work.
  const inProcess = await viaStack('up', DIALTONE_BYTES, true, 256 * 1024);
  console.log(`  (in one process: ${inProcess.mbPerSec.toFixed(1)} MB/s, dialtone's CPU ${(inProcess.cpuMsPerMb - (inProcess.peerCpuMsPerMb ?? 0)).toFixed(1)} ms/MB, the peer's ${inProcess.peerCpuMsPerMb?.toFixed(1)})`);
  figures.push(`dialtone ${dialtone.mbPerSec.toFixed(0)} MB/s`);
  for (const tool of ['slirp4netns', 'pasta'] as const) {
    if (!available(tool)) {
      console.log(`${tool.padEnd(12)}  not installed (Debian ${tool === 'pasta' ? 'passt' : tool})`);
      figures.push(`${tool} -`);
      continue;
    }
    // A failed attempt is printed with its cause, then the tool gets a fresh namespace (see
    // ATTEMPTS); the figure says which attempt it came from.
    let mbps: number | undefined;
    for (let attempt = 1; attempt <= ATTEMPTS && mbps === undefined; attempt++) {
      try {
        mbps = await throughTool(tool);
        const note = attempt > 1 ? `   (attempt ${attempt} of ${ATTEMPTS})` : '';
        console.log(`${tool.padEnd(12)} ${mbps.toFixed(1).padStart(8)} MB/s${note}`);
        figures.push(`${tool} ${mbps.toFixed(0)} MB/s`);
      } catch (e) {
        console.log(`${tool.padEnd(12)}  attempt ${attempt} of ${ATTEMPTS} failed: ${(e as Error).message}`);
      }
    }
    if (mbps === undefined) figures.push(`${tool} -`);
  }
  const lo = await transfer('127.0.0.1');
  console.log(`loopback     ${lo.toFixed(1).padStart(8)} MB/s`);
  figures.push(`loopback ${lo.toFixed(0)} MB/s`);
  console.log(figures.join(', '));
}

void main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
