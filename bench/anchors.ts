/**
 * Anchors for the userspace NAT (issue 15): the same octets moved from a network namespace
 * to a host socket on 127.0.0.1 through slirp4netns and through pasta (Debian packages
 * slirp4netns, passt), beside dialtone's NAT (bench/nat's path: a client TCP through PPP's
 * HDLC framing, NetStack and NatBackend to the host socket) and plain loopback TCP, in one
 * run:  "dialtone X MB/s, slirp4netns Y MB/s, pasta Z MB/s, loopback W MB/s".
 *
 * Needs root (ip netns); skipped with a message otherwise. Every namespace is private and
 * deleted afterwards; the host's own routes and addresses are never touched. The sender is
 * a separate node process (inside the namespace for slirp4netns and pasta, on the host for
 * loopback); the receiver counts octets from the first to the end of the stream. MTU 1500.
 *
 * Usage: node dist/bench/anchors.js [--quick]
 */
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { viaStack } from './nat.js';

const QUICK = process.argv.includes('--quick');
const BYTES = (QUICK ? 32 : 256) * 1024 * 1024;
const DIALTONE_BYTES = (QUICK ? 8 : 48) * 1024 * 1024;
/** slirp4netns and pasta both map their gateway 10.0.2.2 to the host's 127.0.0.1. */
const GATEWAY = '10.0.2.2';

/** The sender: connects, writes `bytes` octets of a repeated random chunk, ends. */
const SENDER = `
const net = require('node:net');
const [host, port, total] = process.argv.slice(1);
const chunk = require('node:crypto').randomBytes(256 * 1024);
const s = net.connect(+port, host, () => {
  let left = +total;
  const go = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', go);
    }
    // No FIN (and no exit) until the sink says it has every octet: a tool that closes its
    // host-side socket on the namespace side's FIN before forwarding what it still buffers
    // (pasta did: the stream arrived short) cannot cut the transfer.
    s.once('data', () => s.end());
  };
  go();
});
s.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

interface Sink {
  port: number;
  /** Resolves with MB/s once `bytes` arrived and the stream ended. */
  result: Promise<number>;
  close(): void;
}

async function sink(bytes: number): Promise<Sink> {
  let resolveResult!: (mbps: number) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<number>((res, rej) => ((resolveResult = res), (rejectResult = rej)));
  const srv = net.createServer((s) => {
    let got = 0;
    let t0 = 0n;
    s.on('data', (d) => {
      if (!t0) t0 = process.hrtime.bigint();
      got += d.length;
      if (got === bytes) {
        // Timed to the last octet; then the sender is told it may close (see SENDER).
        resolveResult(bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
        s.write('k');
      }
    });
    s.on('end', () => {
      if (got !== bytes) rejectResult(new Error(`received ${got} of ${bytes} octets`));
      s.end();
    });
    s.on('error', (e) => rejectResult(e));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, result, close: () => srv.close() };
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
  const args = ['-e', SENDER, host, String(s.port), String(BYTES)];
  const child = netns ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));
  // A sender that fails ends the wait; one that succeeds leaves it to the sink.
  const failed = exited.then((code) => {
    if (code !== 0) throw new Error(err.trim() || `sender exited ${code}`);
    return new Promise<never>(() => {});
  });
  try {
    return await Promise.race([s.result, failed]);
  } finally {
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
      ? spawn('slirp4netns', ['--configure', '--mtu=1500', '--netns-type=path', `/run/netns/${ns}`, 'tap0'], { stdio: 'ignore' })
      // pasta drops to "nobody" as root and then cannot join the namespace: --runas 0.
      : spawn('pasta', ['--runas', '0', '-f', '--config-net', '-a', '10.0.2.100', '-n', '24', '-g', GATEWAY, '-m', '1500', '--netns', ns], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (d) => (log = (log + d).slice(-2000)));
    await waitFor(`${tool} to configure ${ns}`, () => sh('ip', ['-n', ns, '-4', 'addr']).out.includes('10.0.2.100'));
    try {
      return await transfer(GATEWAY, ns);
    } catch (e) {
      // What the tool said (pasta's warnings name why it closed a connection).
      throw new Error(`${(e as Error).message}${log.trim() ? `; ${tool}: ${log.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
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
  console.log(`anchors: ${BYTES / 2 ** 20} MiB from a network namespace to a host socket on 127.0.0.1, MTU 1500 (MB = 10^6 octets)`);
  const figures: string[] = [];
  await viaStack('up', 4 * 1024 * 1024, true, 256 * 1024); // warm-up: the JIT compiles the stack first
  const dialtone = await viaStack('up', DIALTONE_BYTES, true, 256 * 1024);
  console.log(`dialtone     ${dialtone.mbPerSec.toFixed(1).padStart(8)} MB/s   (${DIALTONE_BYTES / 2 ** 20} MiB, client TCP + HDLC + NetStack + NatBackend in one process, cpu ${dialtone.cpuMsPerMb.toFixed(1)} ms/MB, dialtone's ${(dialtone.cpuMsPerMb - (dialtone.peerCpuMsPerMb ?? 0)).toFixed(1)})`);
  figures.push(`dialtone ${dialtone.mbPerSec.toFixed(0)} MB/s`);
  for (const tool of ['slirp4netns', 'pasta'] as const) {
    if (!available(tool)) {
      console.log(`${tool.padEnd(12)}  not installed (Debian ${tool === 'pasta' ? 'passt' : tool})`);
      figures.push(`${tool} -`);
      continue;
    }
    try {
      const mbps = await throughTool(tool);
      console.log(`${tool.padEnd(12)} ${mbps.toFixed(1).padStart(8)} MB/s`);
      figures.push(`${tool} ${mbps.toFixed(0)} MB/s`);
    } catch (e) {
      console.log(`${tool.padEnd(12)}  failed: ${(e as Error).message}`);
      figures.push(`${tool} -`);
    }
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
