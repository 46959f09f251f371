/**
 * The octet loops of RFC 1662 async HDLC framing as a small WebAssembly
 * module (assembled at load time by ./wasm-asm.ts, no toolchain): FCS-16,
 * octet stuffing and destuffing.  Plain JS's sliced FCS-16 table walk tops
 * out near 1.8 GB/s on one core (a bounds-checked load per octet); here it
 * reads eight octets per load and sixteen per step (~3.7 GB/s, as fast as
 * zlib.crc32), and stuffing/destuffing move 16 octets per SIMD compare while
 * none of them needs escaping (RFC 1662 §4.2: with ACCM 0 only 7D and 7E
 * do, ~0.8% of random octets).
 *
 * Where the native addon is built, native/hdlc_kernel.c runs the same three
 * loops with the same contract and memory layout (it ignores the FCS tables
 * here): on a slow core the table walk above costs ~2 cycles an octet, the
 * whole budget of 1 GB/s, while PCLMULQDQ folds 16 octets per two
 * carry-less multiplies.  This module stays the portable path.
 *
 * One instance serves every encoder and decoder: JS is single-threaded and
 * each call leaves nothing behind in its memory that the next call needs
 * (callers keep their own state -- escape flag, running FCS -- and copy the
 * results out before returning).  Layout of its memory:
 *
 *   0     .. 8192   FCS-16 slicing-by-16 tables, u16 LE, table k at k * 512
 *   8192  .. 8448   the escape table in use (1 = stuff this octet)
 *   8448  .. 8704   the receive class table in use (see hdlc.ts C_*)
 *   8704  .. 8712   destuff results: output end, escape pending
 *   8704  .. 9760   native deframe's state and records (DF_*)
 *   9760  .. 9792   native frame()'s and frameGso()'s numbers (FR_*)
 *   IN    .. IN + IN_MAX        octets to stuff / received octets
 *   OUT   .. OUT + 2 * IN_MAX   stuffed / destuffed octets
 *
 * Sans-IO: pure computation.
 */

import { FCS16_SLICED } from './fcs.js';
import { Fn, I32, I64, V128, assemble } from './wasm-asm.js';
import {
  I32_ADD,
  I32_AND,
  I32_EQ,
  I32_EQZ,
  I32_GE_U,
  I32_GT_U,
  I32_LE_U,
  I32_LOAD,
  I32_LOAD16_U,
  I32_LOAD8_U,
  I32_LT_U,
  I32_SHL,
  I32_SHR_U,
  I32_STORE,
  I32_STORE8,
  I32_WRAP_I64,
  I32_XOR,
  I64_CONST,
  I64_LOAD,
  I64_SHR_U,
  I8X16_EQ,
  I8X16_LT_U,
  I8X16_SPLAT,
  SELECT,
  V128_ANY_TRUE,
  V128_LOAD,
  V128_OR,
  V128_STORE,
} from './wasm-ops.js';
import { nativeHdlcKernel } from '../native/index.js';

export const ESC_TAB = 8192;
/** frame()'s `mode` bit for FCS-32. */
export const FCS32_MODE = 0x200;
/** deframe()'s state: native/hdlc_kernel.c js_deframe says what each holds. */
export const DF_AT = 0;
export const DF_ESCAPED = 1;
export const DF_FCS = 2;
export const DF_LEN = 3;
export const DF_CAP = 4;
export const DF_TOO_LONG_NOW = 5;
export const DF_COUNT = 6;
export const DF_START = 7;
export const DF_REC = 8;
/** deframe()'s FCS register when no FCS-16 is run (FCS-32 links). */
export const NO_FCS = 0x10000;
/** deframe()'s record flags. */
export const DF_ABORT = 1;
export const DF_TOO_LONG = 2;
const MAX_RECORDS = 64;
export const CLS_TAB = 8448;
const STATE = 8704;
/** frame()'s numbers (native/hdlc_kernel.c js_frame), in `frameArgs` (uint32). */
const FRAME_ARGS = 9760;
export const FR_HDR = 0;
export const FR_HLEN = 1;
export const FR_FCS32 = 2;
export const FR_AT = 3;
export const FR_MODE = 4;
export const FR_SIMD = 5;
/** frameGso(): the segment size (the MSS). */
export const FR_MSS = 6;
/** frameGso(): the first segment to write in, the first not written out. */
export const FR_SEG = 7;
export const IN = 16384;
/** Most octets one call may take (a 64 KiB frame plus header and FCS fits). */
export const IN_MAX = 65536 + 64;
export const OUT = IN + IN_MAX;
/** Output views of up to this many octets are cached (at most this many, ~100 B each). */
const VIEW_CACHE = 4096;
const PAGES = Math.ceil((OUT + 2 * IN_MAX + 64) / 65536);

/** fcs16(p, n, crc) -> crc: run the FCS-16 register over mem[p .. p + n). */
function fcs16Fn(): Fn {
  const f = new Fn({ p: I32, n: I32, crc: I32 }, [I32]);
  f.local('end', I32).local('lo', I32).local('hi', I32).local('w', I64);
  // T_k[x & 0xff] for the index expression `x` already on the stack.
  const lookup = (k: number) => f.i32(0xff).op(I32_AND).i32(1).op(I32_SHL).mem(I32_LOAD16_U, 1, k * 512);
  // T_k[octet s of `x`], with the shift folded into the index scaling:
  // (x >>> (8s - 1)) & 0x1fe is the octet times two, one op fewer.
  const octet = (x: string, s: number, k: number) => {
    f.get(x);
    if (s === 0) f.i32(1).op(I32_SHL);
    else f.i32(8 * s - 1).op(I32_SHR_U);
    f.i32(0x1fe).op(I32_AND).mem(I32_LOAD16_U, 1, k * 512);
  };
  f.get('p').get('n').op(I32_ADD).set('end');
  f.block('bulk', () =>
    f.loop('sixteen', () => {
      f.get('p').i32(16).op(I32_ADD).get('end').op(I32_GT_U).brIf('bulk');
      // Octet j of the sixteen is followed by 15 - j more: table 15 - j.
      // Only the first two octets meet the (16-bit) register: the other
      // fourteen lookups are XORed together first, so the chain from one
      // block's register to the next is just two lookups and two XORs.
      f.get('p').mem(I64_LOAD, 0, 8).set('w');
      f.get('w').op(I32_WRAP_I64).set('lo');
      f.get('w').op(I64_CONST, 32).op(I64_SHR_U).op(I32_WRAP_I64).set('hi');
      for (let j = 8; j < 16; j++) {
        octet(j < 12 ? 'lo' : 'hi', j & 3, 15 - j);
        if (j > 8) f.op(I32_XOR);
      }
      f.get('p').mem(I64_LOAD, 0).set('w');
      f.get('w').op(I64_CONST, 32).op(I64_SHR_U).op(I32_WRAP_I64).set('hi');
      for (let j = 4; j < 8; j++) {
        octet('hi', j & 3, 15 - j);
        f.op(I32_XOR);
      }
      f.get('w').op(I32_WRAP_I64).set('lo');
      for (let j = 2; j < 4; j++) {
        octet('lo', j, 15 - j);
        f.op(I32_XOR);
      }
      f.get('lo').get('crc').op(I32_XOR).set('lo');
      octet('lo', 0, 15);
      f.op(I32_XOR);
      octet('lo', 1, 14);
      f.op(I32_XOR);
      f.set('crc');
      f.get('p').i32(16).op(I32_ADD).set('p');
      f.br('sixteen');
    }),
  );
  f.block('done', () =>
    f.loop('one', () => {
      f.get('p').get('end').op(I32_GE_U).brIf('done');
      f.get('crc').i32(8).op(I32_SHR_U);
      f.get('crc').get('p').mem(I32_LOAD8_U, 0).op(I32_XOR); lookup(0);
      f.op(I32_XOR).set('crc');
      f.get('p').i32(1).op(I32_ADD).set('p');
      f.br('one');
    }),
  );
  f.get('crc');
  return f;
}

/** Leaves on the stack: 1 if any of the 16 octets in `v` is 7E, 7D or below `lim`. */
function anySpecial(f: Fn): void {
  f.get('v').get('v7e').simd(I8X16_EQ);
  f.get('v').get('v7d').simd(I8X16_EQ).simd(V128_OR);
  f.get('v').get('vlim').simd(I8X16_LT_U).simd(V128_OR);
  f.simd(V128_ANY_TRUE);
}

function splats(f: Fn): void {
  f.i32(0x7e).simd(I8X16_SPLAT).set('v7e');
  f.i32(0x7d).simd(I8X16_SPLAT).set('v7d');
  f.get('lim').simd(I8X16_SPLAT).set('vlim');
}

/**
 * stuff(src, n, dst, lim, simd) -> dst end: RFC 1662 §4.2 octet stuffing of
 * mem[src .. src + n) by the table at ESC_TAB.  With `simd` set, the table
 * must escape nothing but 7D, 7E and (some of) the octets below `lim`: runs
 * of 16 octets with none of those are copied as they are.
 */
function stuffFn(): Fn {
  const f = new Fn({ src: I32, n: I32, dst: I32, lim: I32, simd: I32 }, [I32]);
  f.local('end', I32).local('stop', I32).local('b', I32).local('e', I32);
  f.local('v', V128).local('v7e', V128).local('v7d', V128).local('vlim', V128);
  f.get('src').get('n').op(I32_ADD).set('end');
  splats(f);
  f.block('done', () =>
    f.loop('run', () => {
      f.get('src').get('end').op(I32_GE_U).brIf('done');
      f.get('end').set('stop');
      f.get('simd').get('src').i32(16).op(I32_ADD).get('end').op(I32_LE_U).op(I32_AND);
      f.if(() => {
        f.get('src').simdMem(V128_LOAD, 0).set('v');
        anySpecial(f);
        f.op(I32_EQZ).if(() => {
          f.get('dst').get('v').simdMem(V128_STORE, 0);
          f.get('dst').i32(16).op(I32_ADD).set('dst');
          f.get('src').i32(16).op(I32_ADD).set('src');
          f.br('run');
        });
        f.get('src').i32(16).op(I32_ADD).set('stop');
      });
      // Octet by octet, branch-free: write an escape, then the octet either
      // over it (e = 0) or after it, XORed with 0x20 (e = 1).
      f.loop('octet', () => {
        f.get('src').mem(I32_LOAD8_U, 0).set('b');
        f.get('b').mem(I32_LOAD8_U, 0, ESC_TAB).set('e');
        f.get('dst').i32(0x7d).mem(I32_STORE8, 0);
        f.get('dst').get('e').op(I32_ADD);
        f.get('b').get('e').i32(5).op(I32_SHL).op(I32_XOR).mem(I32_STORE8, 0);
        f.get('dst').i32(1).op(I32_ADD).get('e').op(I32_ADD).set('dst');
        f.get('src').i32(1).op(I32_ADD).tee('src').get('stop').op(I32_LT_U).brIf('octet');
      });
      f.br('run');
    }),
  );
  f.get('dst');
  return f;
}

/**
 * destuff(src, n, dst, lim, escaped) -> where it stopped: undo the octet
 * stuffing of mem[src .. src + n) into mem[dst ..), by the class table at
 * CLS_TAB (0 data, 1 escape, 2 flag, 3 delete), stopping AT a flag (or at the
 * end).  The output end and the pending-escape flag are left at STATE.
 * Octets below `lim` (and 7D, 7E) send a 16-octet block the slow way.
 */
function destuffFn(): Fn {
  const f = new Fn({ src: I32, n: I32, dst: I32, lim: I32, escaped: I32 }, [I32]);
  f.local('end', I32).local('stop', I32).local('b', I32).local('c', I32).local('start', I32);
  f.local('v', V128).local('v7e', V128).local('v7d', V128).local('vlim', V128);
  f.get('src').get('n').op(I32_ADD).set('end');
  splats(f);
  f.block('out', () =>
    f.loop('run', () => {
      f.get('src').get('end').op(I32_GE_U).brIf('out');
      f.get('escaped').op(I32_EQZ).get('src').i32(16).op(I32_ADD).get('end').op(I32_LE_U).op(I32_AND);
      f.if(() => {
        f.get('src').simdMem(V128_LOAD, 0).set('v');
        anySpecial(f);
        f.op(I32_EQZ).if(() => {
          f.get('dst').get('v').simdMem(V128_STORE, 0);
          f.get('dst').i32(16).op(I32_ADD).set('dst');
          f.get('src').i32(16).op(I32_ADD).set('src');
          f.br('run');
        });
      });
      // stop = min(src + 16, end)
      f.get('src').i32(16).op(I32_ADD).get('end');
      f.get('src').i32(16).op(I32_ADD).get('end').op(I32_LT_U).op(SELECT).set('stop');
      f.loop('octet', () => {
        f.block('next', () => {
          f.get('src').mem(I32_LOAD8_U, 0).set('b');
          f.get('b').mem(I32_LOAD8_U, 0, CLS_TAB).tee('c').i32(2).op(I32_GE_U);
          f.if(() => {
            f.get('c').i32(2).op(I32_EQ).brIf('out'); // a flag: stop at it
            f.get('src').i32(1).op(I32_ADD).set('src'); // deleted; a pending escape stays
            f.br('next');
          });
          // Data or escape, branch-free: an escape that is not itself escaped
          // writes nothing and arms `escaped`; anything else is written,
          // XORed with 0x20 if armed (7D 7D gives 5D, as ppp_async does).
          f.get('c').get('escaped').i32(1).op(I32_XOR).op(I32_AND).set('start');
          f.get('dst').get('b').get('escaped').i32(5).op(I32_SHL).op(I32_XOR).mem(I32_STORE8, 0);
          f.get('dst').get('start').i32(1).op(I32_XOR).op(I32_ADD).set('dst');
          f.get('start').set('escaped');
          f.get('src').i32(1).op(I32_ADD).set('src');
        });
        f.get('src').get('stop').op(I32_LT_U).brIf('octet');
      });
      f.br('run');
    }),
  );
  f.i32(STATE).get('dst').mem(I32_STORE, 2);
  f.i32(STATE).get('escaped').mem(I32_STORE, 2, 4);
  f.get('src');
  return f;
}

export interface HdlcKernel {
  /**
   * 'native': native/hdlc_kernel.c (FCS-16 by PCLMULQDQ folding where the CPU has it),
   * when the addon is built; 'wasm': this file's module, everywhere else.
   */
  readonly name: 'native' | 'wasm';
  /** The instance's memory as bytes (fixed size: it never grows, so never detaches). */
  readonly u8: Uint8Array;
  fcs16(p: number, n: number, crc: number): number;
  stuff(src: number, n: number, dst: number, lim: number, simd: number): number;
  destuff(src: number, n: number, dst: number, lim: number, escaped: number): number;
  /**
   * Native only: a whole frame, stuffed, straight into `out` at frameArgs[FR_AT]
   * (room for the worst case required), returning its end; frameArgs[FR_HDR]
   * packs the header octets (first in the low byte), FR_HLEN says how many,
   * FR_MODE is stuff()'s `lim` plus FCS32_MODE, whose complemented CRC is
   * FR_FCS32, FR_SIMD stuff()'s `simd`; FCS-16 is computed by it.
   */
  frame?(payload: Uint8Array, out: Uint8Array): number;
  /**
   * Native only: segmentation offload. `packet` is an IPv4 TCP segment longer than the
   * MSS (frameArgs[FR_MSS]); each MSS-sized segment of it is written as a frame, as
   * frame() would, with its own IP length, identification (+1 per segment), header
   * checksum, sequence number and TCP checksum (FIN and PSH on the last only), from
   * segment frameArgs[FR_SEG] on while each one's worst case fits in `out`; returns the
   * end and leaves the next segment to write in frameArgs[FR_SEG]. FCS-16 only.
   */
  frameGso?(packet: Uint8Array, out: Uint8Array): number;
  /** frame()'s numbers (the FR_* indexes), set before each call. */
  readonly frameArgs: Uint32Array;
  /**
   * Native only: the receive side of a whole piece in one call: destuff chunk[i ..)
   * straight into `out` (room for the rest of the chunk required), frame after frame,
   * recording each frame a flag closes; returns where it stopped (the chunk's end, or
   * past the flag that filled MAX_RECORDS). The frame in progress goes in and out
   * through `state` (the DF_* indexes), the frames closed at state[DF_REC + 4r ..]
   * as [start, length, DF_ABORT | DF_TOO_LONG, FCS-16 register].
   */
  deframe?(chunk: Uint8Array, i: number, out: Uint8Array, lim: number): number;
  /** destuff()'s and deframe()'s results (see each). */
  readonly state: Int32Array;
  /** After destuff(): where its output ends, and whether an escape is pending. */
  destuffEnd(): number;
  destuffEscaped(): number;
  /**
   * `u8.subarray(OUT, OUT + len)`, cached for len <= VIEW_CACHE: copying a
   * result out (TypedArray#set) needs a view of exactly its length, and a
   * fresh one per frame is the only per-frame garbage left otherwise.
   */
  outView(len: number): Uint8Array;
  /** Which table object was last copied to ESC_TAB / CLS_TAB (so switching is cheap). */
  escOwner: Uint8Array | undefined;
  clsOwner: Uint8Array | undefined;
}

/** The three loops, bound to the memory they work in. */
interface Loops {
  fcs16: HdlcKernel['fcs16'];
  stuff: HdlcKernel['stuff'];
  destuff: HdlcKernel['destuff'];
  frame?: HdlcKernel['frame'];
  frameGso?: HdlcKernel['frameGso'];
  deframe?: HdlcKernel['deframe'];
}

function wrap(name: HdlcKernel['name'], buffer: ArrayBuffer, loops: Loops): HdlcKernel {
  const u8 = new Uint8Array(buffer);
  const st = new Int32Array(buffer, STATE, DF_REC + 4 * MAX_RECORDS);
  const frameArgs = new Uint32Array(buffer, FRAME_ARGS, 8);
  const views: (Uint8Array | undefined)[] = [];
  return {
    name,
    u8,
    fcs16: loops.fcs16,
    stuff: loops.stuff,
    destuff: loops.destuff,
    ...(loops.frame ? { frame: loops.frame } : {}),
    ...(loops.frameGso ? { frameGso: loops.frameGso } : {}),
    ...(loops.deframe ? { deframe: loops.deframe } : {}),
    state: st,
    frameArgs,
    destuffEnd: () => st[0]!,
    destuffEscaped: () => st[1]!,
    outView: (len) => {
      if (len > VIEW_CACHE) return u8.subarray(OUT, OUT + len);
      return (views[len] ??= u8.subarray(OUT, OUT + len));
    },
    escOwner: undefined,
    clsOwner: undefined,
  };
}

function buildWasm(): HdlcKernel | undefined {
  try {
    const bytes = assemble(PAGES, { fcs16: fcs16Fn(), stuff: stuffFn(), destuff: destuffFn() });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const ex = inst.exports as unknown as Loops & { mem: WebAssembly.Memory };
    const dv = new DataView(ex.mem.buffer);
    for (let i = 0; i < 16 * 256; i++) dv.setUint16(i * 2, FCS16_SLICED[i]!, true);
    return wrap('wasm', ex.mem.buffer, ex);
  } catch {
    // No WebAssembly (or no SIMD): hdlc.ts falls back to its JS loops.
    return undefined;
  }
}

function buildNative(): HdlcKernel | undefined {
  try {
    const k = nativeHdlcKernel(PAGES * 65536);
    return k ? wrap('native', k.mem, k) : undefined;
  } catch {
    return undefined; // an addon that cannot give one: the WebAssembly kernel does
  }
}

/** Each kernel is built on first use (each holds ~256 KiB): the WebAssembly one only where needed. */
const builders: Record<HdlcKernel['name'], () => HdlcKernel | undefined> = { native: buildNative, wasm: buildWasm };
const built = new Map<HdlcKernel['name'], HdlcKernel | undefined>();
function get(name: HdlcKernel['name']): HdlcKernel | undefined {
  if (!built.has(name)) built.set(name, builders[name]());
  return built.get(name);
}
const preferred = (): HdlcKernel | undefined => get('native') ?? get('wasm');

let kernel: HdlcKernel | undefined = preferred();

/** The shared kernel, or undefined when neither is available (or both are disabled for a test). */
export function hdlcKernel(): HdlcKernel | undefined {
  return kernel;
}

/**
 * Tests and benchmarks: run the portable JS loops (false), a given kernel, or the
 * default again (true). Returns the kernel now in use (undefined: the JS loops).
 */
export function useHdlcKernel(which: boolean | HdlcKernel['name']): HdlcKernel | undefined {
  if (which === true) kernel = preferred();
  else if (which === false) kernel = undefined;
  else kernel = get(which);
  return kernel;
}

/** Which kernels this process can run (the native one needs the addon built). */
export function hdlcKernelsAvailable(): HdlcKernel['name'][] {
  return (['native', 'wasm'] as const).filter((n) => get(n) !== undefined);
}
