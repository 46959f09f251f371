/**
 * The kernel's network devices for the TUN network backend and PPPoE: a TUN/TAP device
 * (/dev/net/tun) and an AF_PACKET socket bound to one interface and ethertype. Node has
 * neither (both need an ioctl or a socket family it lacks), so a minimal N-API addon
 * (native/dialtone_net.c, built by `npm install` into native/build/) does the system calls
 * and this module gives them a small typed API. The addon is optional: when it is not built
 * (no compiler) nativeError() says why, and only the root-only backends are unavailable.
 *
 *   const { ifname, dev } = openTun({ name: 'ppp%d' });   // IFF_TUN|IFF_NO_PI: IP packets
 *   dev.onData((packet) => ...); dev.write(packet); dev.close();
 *   const { dev, mac, ifindex, mtu } = openPacket('eth0', 0x8863);  // Ethernet frames
 *
 * Reads never block the event loop: the addon polls the fd with libuv and delivers every
 * frame available per wakeup (at most 256, then yields). Writes never block either: when
 * the kernel's queue is full the frame is dropped and counted (`drops`), as a full
 * interface queue drops in the kernel.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RawDevice {
  write(frame: Buffer): void;
  onData(cb: (frame: Buffer) => void): void;
  close(): void;
  readonly fd: number;
}

/** The addon's exports (native/dialtone_net.c). */
interface Addon {
  openTun(name: string | undefined, tap: boolean): { fd: number; ifname: string };
  openPacket(ifname: string, ethertype: number): { fd: number; mac: Buffer; ifindex: number; mtu: number };
  watch(fd: number, isPacket: boolean, cb: (frame: Buffer | undefined, errno?: number) => void): object;
  write(fd: number, frame: Buffer): number;
  close(handle: object): void;
  closeFd(fd: number): void;
  /** glibc's malloc_trim(0); absent from addons built before it was added. */
  mallocTrim?(): boolean;
  /** glibc's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD; absent from addons built before it was added. */
  mallocHold?(trim: number, mmap: number): boolean;
  /** native/hdlc_kernel.c; absent from addons built before it was added. */
  hdlcKernel?(size: number): NativeHdlcKernel;
}

/** The HDLC octet loops in C, bound to memory of their own (see src/wire/hdlc-kernel.ts). */
export interface NativeHdlcKernel {
  readonly mem: ArrayBuffer;
  fcs16(p: number, n: number, crc: number): number;
  stuff(src: number, n: number, dst: number, lim: number, simd: number): number;
  destuff(src: number, n: number, dst: number, lim: number, escaped: number): number;
  /** A whole stuffed frame straight into `out`, its numbers in memory (native/hdlc_kernel.c js_frame). */
  frame(payload: Uint8Array, out: Uint8Array): number;
  /** frame() for each MSS-sized segment of a TCP super-segment (native/hdlc_kernel.c js_frame_gso); absent from addons built before it. */
  frameGso?(packet: Uint8Array, out: Uint8Array): number;
  /** A received piece, destuffed and split into frames straight into `out` (native/hdlc_kernel.c js_deframe). */
  deframe(chunk: Uint8Array, i: number, out: Uint8Array, lim: number): number;
  /** Whether the FCS folds with PCLMULQDQ (else a slicing-by-8 table). */
  readonly clmul: boolean;
}

const EAGAIN = 11;
const ENOBUFS = 105;

let addon: Addon | undefined;
let loadError: string | undefined;

function load(): Addon | undefined {
  if (addon || loadError) return addon;
  if (process.platform !== 'linux') {
    loadError = `the native addon is Linux-only (this is ${process.platform})`;
    return undefined;
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/src/native/ → the package root, where native/build/ is.
  const root = path.resolve(here, '..', '..', '..');
  const file = process.env.DIALTONE_NATIVE_ADDON ?? path.join(root, 'native', 'build', 'Release', 'dialtone_net.node');
  try {
    const require = createRequire(import.meta.url);
    addon = require(file) as Addon;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    loadError =
      err.code === 'MODULE_NOT_FOUND'
        ? `the native addon is not built (${file}); run "npm run build:native" (needs a C compiler, make and python3)`
        : `the native addon could not be loaded: ${err.message}`;
  }
  return addon;
}

/** Why the addon is unavailable, or undefined when it loads. */
export function nativeError(): string | undefined {
  load();
  return addon ? undefined : loadError;
}

/**
 * glibc's malloc_trim(0): freed C heap pages back to the kernel. Undefined when the addon is
 * not built (the caller goes without), else whether anything was released.
 */
export function mallocTrim(): boolean | undefined {
  return load()?.mallocTrim?.();
}

/**
 * The C HDLC kernel with `size` octets of memory, or undefined when the addon is not built
 * (src/wire/hdlc-kernel.ts then assembles its WebAssembly one). Pure computation, no IO.
 */
export function nativeHdlcKernel(size: number): NativeHdlcKernel | undefined {
  const a = load();
  const k = a?.hdlcKernel?.(size);
  if (k) holdFreedHeap(a!);
  return k;
}

/** Free memory at the top of the C heap kept rather than given back to the kernel. */
const HOLD_TRIM = 32 << 20;
/** Allocations from this size on get their own mapping (the NAT's 256 KiB buffers stay below). */
const HOLD_MMAP = 1 << 20;
let held = false;

/**
 * Data at speed is framed into slabs (64 KiB Buffers) that V8 frees many at a time, when a GC
 * finds their frames dead. glibc then gives the top of its heap back to the kernel (it trims
 * above 128 KiB free) and the next slabs fault it in again, a page at a time: measured on the
 * destuffing loop alone, 0.57-1.07 ms/MB into such slabs against 0.18-0.32 ms/MB with freed
 * memory kept, and 12-17% of all the CPU of decoding. So when the native framing kernel is
 * made, up to HOLD_TRIM of freed heap is kept for the next slabs; src/runtime/memory-relief.ts
 * still trims it (malloc_trim) once a server is quiet. A user who tunes glibc's malloc
 * (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES) or sets
 * DIALTONE_MALLOC_HOLD=0 is left alone.
 */
function holdFreedHeap(a: Addon): void {
  if (held) return;
  held = true;
  if (mallocHoldWanted(process.env)) a.mallocHold?.(HOLD_TRIM, HOLD_MMAP);
}

/** Whether the environment leaves glibc's malloc thresholds to dialtone (see holdFreedHeap). */
export function mallocHoldWanted(env: NodeJS.ProcessEnv): boolean {
  return !(
    env.DIALTONE_MALLOC_HOLD === '0' ||
    env.MALLOC_TRIM_THRESHOLD_ !== undefined ||
    env.MALLOC_MMAP_THRESHOLD_ !== undefined ||
    /glibc\.malloc\.(trim|mmap)_threshold/.test(env.GLIBC_TUNABLES ?? '')
  );
}

function need(): Addon {
  const a = load();
  if (!a) throw Object.assign(new Error(loadError ?? 'native addon unavailable'), { code: 'ENATIVE' });
  return a;
}

/** Read and write errors the device met, by errno. */
export interface RawDeviceStats {
  rxFrames: number;
  txFrames: number;
  /** Frames dropped because the kernel's queue was full (EAGAIN, ENOBUFS). */
  drops: number;
  /** Other write errors (interface down: ENETDOWN, EIO...), counted by errno. */
  txErrors: Record<number, number>;
  rxErrors: Record<number, number>;
}

/** A TUN/TAP fd or a bound packet socket; see RawDevice. */
export class NativeDevice implements RawDevice {
  readonly stats: RawDeviceStats = { rxFrames: 0, txFrames: 0, drops: 0, txErrors: {}, rxErrors: {} };
  private handle: object | undefined;
  private listeners: ((frame: Buffer) => void)[] = [];
  private closed = false;

  constructor(
    private readonly a: Addon,
    readonly fd: number,
    isPacket: boolean,
  ) {
    this.handle = a.watch(fd, isPacket, (frame, errno) => this.deliver(frame, errno));
  }

  private deliver(frame: Buffer | undefined, errno?: number): void {
    if (this.closed) return;
    if (!frame) {
      const e = errno ?? 0;
      this.stats.rxErrors[e] = (this.stats.rxErrors[e] ?? 0) + 1;
      return;
    }
    this.stats.rxFrames++;
    for (const cb of this.listeners) cb(frame);
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    const e = this.a.write(this.fd, frame);
    if (e === 0) this.stats.txFrames++;
    else if (e === EAGAIN || e === ENOBUFS) this.stats.drops++;
    else this.stats.txErrors[e] = (this.stats.txErrors[e] ?? 0) + 1;
  }

  onData(cb: (frame: Buffer) => void): void {
    this.listeners.push(cb);
  }

  /** Closing a TUN fd deletes its (non-persistent) interface, with its addresses and routes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners = [];
    if (this.handle) this.a.close(this.handle);
    this.handle = undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * Create a TUN device (IFF_TUN|IFF_NO_PI: bare IP packets) or with `tap` a TAP device
 * (IFF_TAP|IFF_NO_PI: Ethernet frames). `name` may hold "%d" (the kernel picks the first
 * free number); without it the kernel names it tunN/tapN. Needs CAP_NET_ADMIN.
 */
export function openTun(opts: { name?: string; tap?: boolean }): { ifname: string; dev: RawDevice } {
  const a = need();
  const { fd, ifname } = a.openTun(opts.name, opts.tap ?? false);
  try {
    return { ifname, dev: new NativeDevice(a, fd, false) };
  } catch (e) {
    a.closeFd(fd);
    throw e;
  }
}

/**
 * An AF_PACKET SOCK_RAW socket bound to `ifname` and `ethertype` (e.g. 0x8863 PPPoE
 * discovery, 0x8864 PPPoE session): frames in both directions include the Ethernet header.
 * Also returns the interface's MAC address, index and MTU. Needs CAP_NET_RAW.
 */
export function openPacket(
  ifname: string,
  ethertype: number,
): { dev: RawDevice; mac: Buffer; ifindex: number; mtu: number } {
  const a = need();
  const { fd, mac, ifindex, mtu } = a.openPacket(ifname, ethertype);
  try {
    return { dev: new NativeDevice(a, fd, true), mac, ifindex, mtu };
  } catch (e) {
    a.closeFd(fd);
    throw e;
  }
}
