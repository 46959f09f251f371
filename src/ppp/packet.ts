/**
 * RFC 1661 §5 control packets (Code, Identifier, Length, Data) and the option
 * Type-Length-Value list that Configure-* packets carry (§6).
 *
 * Parsing is check-first (smoltcp's idea): a function either returns a value whose
 * accessors cannot fail, or undefined for the caller to count and discard.
 */

export const Code = {
  ConfReq: 1,
  ConfAck: 2,
  ConfNak: 3,
  ConfRej: 4,
  TermReq: 5,
  TermAck: 6,
  CodeRej: 7,
  ProtRej: 8,
  EchoReq: 9,
  EchoRep: 10,
  DiscReq: 11,
  /** RFC 1570 §2.1 Identification, §2.2 Time-Remaining. */
  Ident: 12,
  TimeRemaining: 13,
} as const;

export interface ControlPacket {
  code: number;
  id: number;
  /** The Data field, exactly Length - 4 octets. */
  data: Buffer;
}

/**
 * RFC 1661 §5: octets beyond Length are padding and ignored; a Length larger than the
 * received packet, or smaller than the header, means the packet is silently discarded.
 */
/**
 * The one zero-length Buffer for fields that start (or end up) empty: `Buffer.alloc(0)` makes
 * an ArrayBuffer and a view each time (~200 bytes), per field and per session. Nothing can
 * be written into zero bytes, so sharing it is safe.
 */
export const NO_BYTES: Buffer = Buffer.alloc(0);

export function parseControl(buf: Buffer): ControlPacket | undefined {
  if (buf.length < 4) return undefined;
  const len = buf.readUInt16BE(2);
  if (len < 4 || len > buf.length) return undefined;
  return { code: buf[0]!, id: buf[1]!, data: buf.subarray(4, len) };
}

export function emitControl(code: number, id: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  out[0] = code;
  out[1] = id & 0xff;
  out.writeUInt16BE(4 + data.length, 2);
  out.set(data, 4);
  return out;
}

export interface ConfigOption {
  type: number;
  /** The option's value: Length - 2 octets. */
  value: Buffer;
}

/**
 * Splits a Configure-* data field into options. Returns undefined when an option's
 * Length is < 2 or runs past the end: RFC 1661 §6 gives such a packet no meaning, and
 * pppd discards it (lcp_reqci "bad CI length") rather than guessing.
 */
export function parseOptions(data: Buffer): ConfigOption[] | undefined {
  const out: ConfigOption[] = [];
  let i = 0;
  while (i < data.length) {
    if (i + 2 > data.length) return undefined;
    const len = data[i + 1]!;
    if (len < 2 || i + len > data.length) return undefined;
    out.push({ type: data[i]!, value: data.subarray(i + 2, i + len) });
    i += len;
  }
  return out;
}

export function emitOptions(opts: readonly ConfigOption[]): Buffer {
  // One buffer written in place: every Configure-* of every setup passes here, and a header
  // Buffer plus a concat per option was a visible share of a session setup's allocation.
  let length = 0;
  for (const o of opts) length += 2 + o.value.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const o of opts) {
    out[at] = o.type;
    out[at + 1] = o.value.length + 2;
    out.set(o.value, at + 2);
    at += 2 + o.value.length;
  }
  return out;
}

export function opt(type: number, value: Uint8Array | number[] = []): ConfigOption {
  return { type, value: Buffer.from(value) };
}

export function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
