/**
 * A tiny WebAssembly assembler: just enough of the binary format (WebAssembly
 * Core Specification 1.0 §5, plus the fixed-width SIMD proposal's opcodes) to
 * write small hot loops in readable TypeScript and turn them into a module at
 * load time.  No toolchain at build or run time: the bytes are produced here.
 *
 * Structured control flow uses named labels; `br('name')` computes the
 * relative depth, so the emitting code reads like the text format.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof V128;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** One function body under construction. */
export class Fn {
  readonly code: number[] = [];
  private readonly labels: string[] = [];
  private readonly locals: ValType[] = [];
  private readonly names = new Map<string, number>();

  constructor(
    readonly params: { [name: string]: ValType },
    readonly results: ValType[],
  ) {
    for (const p of Object.keys(params)) this.names.set(p, this.names.size);
  }

  local(name: string, t: ValType): this {
    this.names.set(name, this.names.size);
    this.locals.push(t);
    return this;
  }

  private idx(name: string): number {
    const i = this.names.get(name);
    if (i === undefined) throw new Error(`wasm-asm: no local ${name}`);
    return i;
  }

  private depth(label: string): number {
    const d = this.labels.lastIndexOf(label);
    if (d < 0) throw new Error(`wasm-asm: no label ${label}`);
    return this.labels.length - 1 - d;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(n: string): this {
    this.code.push(0x20);
    uleb(this.idx(n), this.code);
    return this;
  }
  set(n: string): this {
    this.code.push(0x21);
    uleb(this.idx(n), this.code);
    return this;
  }
  tee(n: string): this {
    this.code.push(0x22);
    uleb(this.idx(n), this.code);
    return this;
  }
  i32(c: number): this {
    this.code.push(0x41);
    sleb(c | 0, this.code);
    return this;
  }
  /** A memory access opcode with its alignment exponent and constant offset. */
  mem(opcode: number, align: number, offset = 0): this {
    this.code.push(opcode);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }
  /** A SIMD (0xFD-prefixed) instruction. */
  simd(sub: number): this {
    this.code.push(0xfd);
    uleb(sub, this.code);
    return this;
  }
  simdMem(sub: number, align: number, offset = 0): this {
    this.simd(sub);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }
  block(label: string, body: () => void): this {
    return this.structured(0x02, label, body);
  }
  loop(label: string, body: () => void): this {
    return this.structured(0x03, label, body);
  }
  /** `if` without a result, consuming the i32 on the stack. */
  if(body: () => void, orElse?: () => void): this {
    this.code.push(0x04, 0x40);
    this.labels.push('(if)');
    body();
    if (orElse) {
      this.code.push(0x05);
      orElse();
    }
    this.labels.pop();
    this.code.push(0x0b);
    return this;
  }
  br(label: string): this {
    this.code.push(0x0c);
    uleb(this.depth(label), this.code);
    return this;
  }
  brIf(label: string): this {
    this.code.push(0x0d);
    uleb(this.depth(label), this.code);
    return this;
  }

  private structured(opcode: number, label: string, body: () => void): this {
    this.code.push(opcode, 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    this.code.push(0x0b);
    return this;
  }

  /** The function's entry in the code section. */
  encode(): number[] {
    const body: number[] = [];
    // Locals in runs of the same type.
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(runs.length, body);
    for (const [n, t] of runs) {
      uleb(n, body);
      body.push(t);
    }
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    uleb(body.length, out);
    out.push(...body);
    return out;
  }
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

function name(s: string, out: number[]): void {
  uleb(s.length, out);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * A module with one exported memory ("mem", `pages` of 64 KiB, fixed size)
 * and the given exported functions.
 */
export function assemble(pages: number, fns: { [name: string]: Fn }): Uint8Array<ArrayBuffer> {
  const list = Object.entries(fns);
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(list.length, types);
  for (const [, f] of list) {
    types.push(0x60);
    const ps = Object.values(f.params);
    uleb(ps.length, types);
    types.push(...ps);
    uleb(f.results.length, types);
    types.push(...f.results);
  }
  section(1, types, out);
  const funcs: number[] = [];
  uleb(list.length, funcs);
  for (let i = 0; i < list.length; i++) uleb(i, funcs);
  section(3, funcs, out);
  const memory: number[] = [1, 0x01];
  uleb(pages, memory);
  uleb(pages, memory);
  section(5, memory, out);
  const exports: number[] = [];
  uleb(list.length + 1, exports);
  name('mem', exports);
  exports.push(0x02, 0x00);
  list.forEach(([n], i) => {
    name(n, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(list.length, code);
  for (const [, f] of list) code.push(...f.encode());
  section(10, code, out);
  return new Uint8Array(out);
}
