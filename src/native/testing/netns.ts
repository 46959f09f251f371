/**
 * Test helpers for root-only tests that touch real network devices: everything happens in
 * private network namespaces (never the host's own interfaces, addresses or routes).
 *
 *   const why = rootSkipReason();              // undefined when the test can run
 *   const out = await runInNewNetns(process.execPath, [script]);  // unshare -n: gone on exit
 *   const ns = await Netns.create('dt-test');   // a named one (ip netns), for several processes
 *   await ns.ip('addr add 10.0.0.1/24 dev veth0'); await ns.delete();
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { nativeError } from '../index.js';

const run = promisify(execFile);

/** Why a network-namespace test cannot run here, or undefined. */
export function rootSkipReason(opts: { native?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN)';
  for (const cmd of ['ip', 'unshare']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return `needs ${cmd}`;
  }
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'cannot create a network namespace (unshare -n)';
  if (opts.native !== false) {
    const why = nativeError();
    if (why) return why;
  }
  return undefined;
}

/**
 * Run a command in a fresh network namespace of its own (unshare -n: the namespace goes
 * with the process); resolves with its stdout, also when it exits non-zero.
 */
export async function runInNewNetns(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('unshare', ['-n', cmd, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 4 << 20,
      timeout: 120_000,
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    if (err.stdout) return err.stdout;
    throw new Error(`${err.message}\n${err.stderr ?? ''}`);
  }
}

let seq = 0;

/** A named network namespace (ip netns), deleted by delete(). Loopback is brought up. */
export class Netns {
  private constructor(readonly name: string) {}

  static async create(tag: string): Promise<Netns> {
    const name = `dt-${tag}-${process.pid}-${seq++}`;
    await run('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    await ns.ip('link set lo up');
    return ns;
  }

  /** `ip -n NAME ARGS...` (args split on spaces). */
  async ip(args: string): Promise<string> {
    const { stdout } = await run('ip', ['-n', this.name, ...args.split(/\s+/).filter(Boolean)]);
    return stdout;
  }

  /** Run a command inside the namespace and wait for it. */
  async exec(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], { maxBuffer: 4 << 20, timeout: opts.timeoutMs });
  }

  /** Start a long-running process inside the namespace. */
  spawn(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  async delete(): Promise<void> {
    await run('ip', ['netns', 'delete', this.name]).catch(() => undefined);
  }
}

/** A veth pair with one end in each namespace: a wire between them (made inside the
 * namespaces, so the host's own interface list never sees it). */
export async function vethBetween(a: Netns, aName: string, b: Netns, bName: string): Promise<void> {
  await a.ip(`link add ${aName} type veth peer name ${bName} netns ${b.name}`);
  await a.ip(`link set ${aName} up`);
  await b.ip(`link set ${bName} up`);
}
