/**
 * Helpers for the daemon tests (this file has no tests of its own): `dialtone pppd` run
 * in-process (runPppd with signals delivered by the test and a test network backend), or
 * as the command users run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runPppd, type PppdHooks } from './run.js';
import type { IpUpInfo, NetworkBackend } from '../runtime/driver.js';
import type { DaemonClock } from './deps.js';
import type { LinkPhase } from './link-policy.js';
export { freePort } from '../runtime/free-port.js';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/dialtone');
export const SEEDS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/seed-configs');

export function seed(rel: string): string {
  return fs.readFileSync(path.join(SEEDS, rel), 'latin1');
}

/** A fresh ppp directory holding `files` (secrets get mode 600, scripts 755). */
export function pppDir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-pppd-'));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const mode = /secrets$/.test(name) ? 0o600 : text.startsWith('#!') ? 0o755 : 0o644;
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
  }
  return dir;
}

/** An ip-up style script that records its arguments and environment in DIR/NAME.args / .env. */
export function recordingScript(dir: string, name: string): string {
  return `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${dir}/${name}.args\nenv > ${dir}/${name}.env\n`;
}

export function readRecorded(dir: string, name: string): { args: string[]; env: Record<string, string> } | undefined {
  const a = path.join(dir, `${name}.args`);
  if (!fs.existsSync(a)) return undefined;
  const args = fs.readFileSync(a, 'utf8').split('\n');
  args.pop();
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(dir, `${name}.env`), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { args, env };
}

export async function waitFor(read: () => string, re: RegExp, ms = 60_000, what = ''): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const text = read();
    if (re.test(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${re} ${what}:\n${text}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A virtual clock for a daemon (deps.clock): time stands still until the test moves it, and
 * the daemon's timers (its link policy's) fire as it passes them, in order.
 */
export class FakeClock implements DaemonClock {
  private t = 1_700_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimer(ms: number, fn: () => void): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }
  /** When the timers still set fire, in milliseconds from now, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }
  /** Moves time on by `ms`, running each timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

/** The link policy's phases as a daemon enters them (deps.newPhaseHook), to wait on. */
export class Phases {
  readonly seen: LinkPhase[] = [];
  private readonly events = new EventEmitter();
  readonly hook = (phase: LinkPhase): void => {
    this.seen.push(phase);
    this.events.emit('phase');
  };
  get current(): LinkPhase | undefined {
    return this.seen[this.seen.length - 1];
  }
  /** Resolves when `phase` has been entered `nth` times (fails after `ms` of real time). */
  reach(phase: LinkPhase, nth = 1, ms = 20_000): Promise<void> {
    const done = () => this.seen.filter((p) => p === phase).length >= nth;
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('phase', check);
        reject(new Error(`phase ${phase} (#${nth}) not reached; phases: ${this.seen.join(' ')}`));
      }, ms);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.events.off('phase', check);
        resolve();
      };
      this.events.on('phase', check);
    });
  }
}

/** A daemon on a virtual clock, its phases watched: hooks for inProcess. */
export function virtualTime(): { clock: FakeClock; phases: Phases; hooks: PppdHooks } {
  const clock = new FakeClock();
  const phases = new Phases();
  return { clock, phases, hooks: { deps: { clock, newPhaseHook: phases.hook } } };
}

export function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

/** A network backend for tests: records what the peer sends, lets the test send. */
export class TestBackend implements NetworkBackend {
  readonly delivered: Buffer[] = [];
  private sendFn: ((p: Buffer) => void) | undefined;
  readonly events = new EventEmitter();
  deliver(packet: Buffer): void {
    this.delivered.push(packet);
    this.events.emit('packet', packet);
  }
  /** What the daemon said at the last attach. */
  info: IpUpInfo | undefined;
  attach(send: (packet: Buffer) => void, info?: IpUpInfo): void {
    this.sendFn = send;
    this.info = info;
  }
  detach(): void {
    this.sendFn = undefined;
  }
  get attached(): boolean {
    return this.sendFn !== undefined;
  }
  send(p: Buffer): void {
    if (!this.sendFn) throw new Error('backend not attached');
    this.sendFn(p);
  }
}

export interface InProcess {
  done: Promise<number>;
  dir: string;
  logfile: string;
  log(): string;
  signal(sig: NodeJS.Signals): void;
}

const live = new Set<InProcess>();

/** Ends every in-process daemon still running (SIGTERM, then waits): use in afterEach. */
export async function stopAll(): Promise<void> {
  const all = [...live];
  for (const d of all) d.signal('SIGTERM');
  await Promise.all(all.map((d) => d.done.catch(() => undefined)));
}

/** `dialtone pppd ARGS nodetach logfile DIR/log` in this process, with DIR as ppp, run and lock directory. */
export function inProcess(args: string[], dir: string, hooks: PppdHooks = {}, logName = 'log'): InProcess {
  const logfile = path.join(dir, logName);
  const signals = new EventEmitter();
  const env = { ...process.env, DIALTONE_PPP_DIR: dir, DIALTONE_RUN_DIR: dir, DIALTONE_LOCK_DIR: dir, HOME: dir };
  const done = runPppd([...args, 'nodetach', 'logfile', logfile], env, { inProcess: true, signals, stdinTty: null, hostname: 'testhost', ...hooks });
  const d: InProcess = {
    done,
    dir,
    logfile,
    log: () => (fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : ''),
    signal: (sig) => signals.emit('signal', sig),
  };
  live.add(d);
  void done.finally(() => live.delete(d)).catch(() => undefined);
  return d;
}

export interface Spawned {
  done: Promise<{ code: number | null; out: string; err: string }>;
  /** Standard output so far. */
  out(): string;
  kill(sig: NodeJS.Signals): void;
  pid: number | undefined;
}

/** `dialtone pppd ARGS` as a command (stdio piped), with `env` added. */
export function command(args: string[], env: Record<string, string | undefined>, timeoutMs = 30_000, opts: { uid?: number; gid?: number } = {}): Spawned {
  const child = spawn(process.execPath, [BIN, 'pppd', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return {
    done: new Promise((resolve) => child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    })),
    out: () => out,
    kill: (sig) => child.kill(sig),
    pid: child.pid,
  };
}
