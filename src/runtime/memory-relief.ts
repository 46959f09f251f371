/**
 * Giving memory back after a burst, for long-running servers (`dialtone isp`).
 *
 * Two things keep a node server's RSS high after a flood of connections has gone, measured
 * with `npm run abuse` (node 20, V8 11.3):
 *
 * 1. V8's young generation grows from 1 MiB semi-spaces up to 16 MiB (32 MiB resident)
 *    under a burst of allocation and is never shrunk again: neither an explicit full GC nor
 *    a quiet period gives it back. `--max-semi-space-size` cannot be changed once the heap
 *    exists, but the growth factor is read at each growth, so setting
 *    `--semi-space-growth-factor=1` early keeps the semi-spaces at their initial size (the
 *    same effect as starting node with `--max-semi-space-size=1`). A user who passes their
 *    own semi-space flag to node keeps it.
 * 2. No GC runs without allocation, so the old generation's garbage from the burst (tens of
 *    MB of closed connections) stays resident while the server idles. When the server has
 *    been quiet for a moment after being busy, and its heap or RSS has grown, one full GC is
 *    run (the `gc` function exposed at run time), at most once per `minGapMs` and at most
 *    1% of CPU time (a GC that took 50 ms of CPU waits at least 5 s before the next); then
 *    glibc's malloc_trim(0) through the optional native addon.
 *
 * Policy only: the caller says what "quiet" means (e.g. no connection waiting to
 * authenticate). Timers are unref'd, so this never keeps a process alive.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { mallocTrim } from '../native/index.js';

export interface MemoryReliefOptions {
  /** True when the server has nothing in flight worth keeping memory for (e.g. no unauthenticated connections). */
  quiet(): boolean;
  /** Debug-level log (the caller decides whether it is printed). */
  debug?(msg: string): void;
  /** How often to look (ms). */
  intervalMs?: number;
  /** Consecutive quiet looks before a GC. */
  quietLooks?: number;
  /** Growth in heap or RSS (bytes) since the last relief that makes a GC worth it. */
  growthBytes?: number;
  /** At most one GC per this many ms. */
  minGapMs?: number;
}

/** True if node was started with an explicit young-generation size (then it is left alone). */
function userSizedYoungGeneration(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => /^--(max|min)[-_]semi[-_]space[-_]size\b/.test(f) || /^--semi[-_]space[-_]growth[-_]factor\b/.test(f));
}

/**
 * Keeps V8's young generation at its initial size (see the file comment). Call early, before
 * the heap has grown. Returns false when the user sized it themselves.
 */
export function boundYoungGeneration(): boolean {
  if (userSizedYoungGeneration()) return false;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

let gcFn: (() => void) | undefined;
/** node's `gc()` without starting node with --expose-gc: the flag is read when a context is made. */
function fullGc(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

const rss = (): number => process.memoryUsage.rss();
const heap = (): number => v8.getHeapStatistics().total_heap_size;

export class MemoryRelief {
  private timer?: NodeJS.Timeout;
  private quietLooks = 0;
  private busySince = false;
  private lastGc = -Infinity;
  private lastCost = 0;
  private heapLevel = heap();
  private rssLevel = rss();
  /** Full GCs run so far (for tests and status). */
  runs = 0;

  constructor(private readonly opts: MemoryReliefOptions) {}

  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.look(performance.now()), this.opts.intervalMs ?? 1000);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (exposed so a test can drive it with its own clock). */
  look(now: number): boolean {
    // Growth counts from the lowest level seen since the last GC (RSS falls a while after one).
    const h = heap();
    const r = rss();
    this.heapLevel = Math.min(this.heapLevel, h);
    this.rssLevel = Math.min(this.rssLevel, r);
    if (!this.opts.quiet()) {
      this.busySince = true;
      this.quietLooks = 0;
      return false;
    }
    if (++this.quietLooks < (this.opts.quietLooks ?? 2)) return false;
    const growth = this.opts.growthBytes ?? 4 << 20;
    const grown = h - this.heapLevel > growth || r - this.rssLevel > growth;
    // Rate limit: at least minGapMs apart, and at most 1% of the time spent in these GCs (CPU
    // time: wall time on a loaded machine would say little about what the GC cost).
    const gap = Math.max(this.opts.minGapMs ?? 10_000, 100 * this.lastCost);
    if (!grown || !this.busySince || now - this.lastGc < gap) {
      return false;
    }
    const cpu0 = process.cpuUsage();
    // Twice: the first GC's sweeping runs on helper threads and the pages it frees are given
    // back only when the next GC finds them swept (measured: one GC left RSS 30 MB higher).
    fullGc();
    fullGc();
    // The C heap (sockets' and buffers' memory freed by that GC): glibc keeps freed pages below
    // its top chunk until malloc_trim. Needs the optional native addon; without it, skipped.
    const trimmed = mallocTrim();
    this.runs++;
    const cpu = process.cpuUsage(cpu0);
    this.lastCost = (cpu.user + cpu.system) / 1000;
    this.lastGc = now;
    this.busySince = false;
    this.heapLevel = heap();
    this.rssLevel = rss();
    this.opts.debug?.(`memory relief: quiet after a burst; full GC, ${this.lastCost.toFixed(1)} ms CPU: heap ${mib(h)} -> ${mib(this.heapLevel)} MiB, RSS ${mib(r)} -> ${mib(this.rssLevel)} MiB${trimmed === undefined ? ' (no native addon: C heap not trimmed)' : ''}`);
    return true;
  }
}

const mib = (n: number) => (n / 1048576).toFixed(1);
