/**
 * Discovery TAGs (RFC 2516 §4 and Appendix A; PPP-Max-Payload from RFC 4638 §4): a Discovery
 * payload is a list of TLVs, TAG_TYPE (2) | TAG_LENGTH (2) | TAG_VALUE. Unknown TAGs are
 * ignored (Appendix A: "unknown TAG_TYPEs MUST be ignored"); one running past the payload
 * makes the packet malformed.
 */

export const Tag = {
  EndOfList: 0x0000,
  ServiceName: 0x0101,
  AcName: 0x0102,
  HostUniq: 0x0103,
  AcCookie: 0x0104,
  VendorSpecific: 0x0105,
  RelaySessionId: 0x0110,
  PppMaxPayload: 0x0120,
  ServiceNameError: 0x0201,
  AcSystemError: 0x0202,
  GenericError: 0x0203,
} as const;

export interface TagTlv {
  type: number;
  value: Buffer;
}

/** The TAG list, or a reason it is malformed. End-Of-List stops parsing (Appendix A). */
export function parseTags(payload: Buffer): TagTlv[] | string {
  const tags: TagTlv[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 4 > payload.length) return 'truncated TAG header';
    const type = payload.readUInt16BE(at);
    const len = payload.readUInt16BE(at + 2);
    if (at + 4 + len > payload.length) return `TAG 0x${type.toString(16).padStart(4, '0')} runs past the packet`;
    if (type === Tag.EndOfList) break;
    tags.push({ type, value: payload.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return tags;
}

export function encodeTags(tags: TagTlv[]): Buffer {
  const parts: Buffer[] = [];
  for (const t of tags) {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(t.type, 0);
    h.writeUInt16BE(t.value.length, 2);
    parts.push(h, t.value);
  }
  return Buffer.concat(parts);
}

export function findTag(tags: TagTlv[], type: number): Buffer | undefined {
  return tags.find((t) => t.type === type)?.value;
}

export function tag(type: number, value: Buffer | string): TagTlv {
  return { type, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value };
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The first error TAG's text ("Service-Name-Error: ..."), if any (§5.4, Appendix A). */
export function errorOf(tags: TagTlv[]): string | undefined {
  const names: Record<number, string> = { [Tag.ServiceNameError]: 'Service-Name-Error', [Tag.AcSystemError]: 'AC-System-Error', [Tag.GenericError]: 'Generic-Error' };
  for (const t of tags) {
    const name = names[t.type];
    if (name) return t.value.length ? `${name}: ${printable(t.value)}` : name;
  }
  return undefined;
}

/** A TAG's text for logs: UTF-8 with control characters shown as escapes. */
export function printable(b: Buffer): string {
  return b.toString('utf8').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
