// RADIUS packet codec (RFC 2865 §3, §5): the fixed header, attribute TLVs and the
// Vendor-Specific sub-attributes of §5.26. Pure functions over bytes: decoding never throws,
// it returns a reason, so a malformed datagram is counted and dropped by the caller.

/** Packet codes: RFC 2865 §3, RFC 2866 §3, RFC 5997 (Status-*), RFC 5176 §2 (DAE). */
export const RadiusCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const;
export type RadiusCodeValue = (typeof RadiusCode)[keyof typeof RadiusCode];

const codeNames = new Map<number, string>([
  [1, 'Access-Request'], [2, 'Access-Accept'], [3, 'Access-Reject'], [4, 'Accounting-Request'],
  [5, 'Accounting-Response'], [11, 'Access-Challenge'], [12, 'Status-Server'], [13, 'Status-Client'],
  [40, 'Disconnect-Request'], [41, 'Disconnect-ACK'], [42, 'Disconnect-NAK'],
  [43, 'CoA-Request'], [44, 'CoA-ACK'], [45, 'CoA-NAK'],
]);
export function codeName(code: number): string {
  return codeNames.get(code) ?? `Code-${code}`;
}

/** RFC 2865 §3: "The minimum length is 20 and maximum length is 4096." */
export const RADIUS_HEADER_LENGTH = 20;
export const RADIUS_MAX_LENGTH = 4096;
export const AUTHENTICATOR_LENGTH = 16;
/** An attribute's value is at most 253 octets (one octet of length covering type+length+value). */
export const MAX_ATTRIBUTE_VALUE = 253;
export const VENDOR_SPECIFIC = 26;

export interface RadiusAttribute {
  type: number;
  value: Buffer;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  /** 16 octets: the Request or Response Authenticator (RFC 2865 §3). */
  authenticator: Buffer;
  attributes: RadiusAttribute[];
}

export type DecodeResult = { ok: true; packet: RadiusPacket } | { ok: false; reason: string };

/**
 * Decodes one datagram. RFC 2865 §3: octets beyond the Length field are padding and ignored;
 * a datagram shorter than Length is silently discarded; an attribute whose length runs past
 * the end, or is below 2, makes the whole packet malformed (§5).
 */
export function decodePacket(buf: Uint8Array): DecodeResult {
  if (buf.length < RADIUS_HEADER_LENGTH) return { ok: false, reason: `short packet (${buf.length} octets)` };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = b.readUInt16BE(2);
  if (length < RADIUS_HEADER_LENGTH || length > RADIUS_MAX_LENGTH) return { ok: false, reason: `bad length field ${length}` };
  if (length > b.length) return { ok: false, reason: `length field ${length} exceeds datagram (${b.length} octets)` };
  const attributes: RadiusAttribute[] = [];
  let off = RADIUS_HEADER_LENGTH;
  while (off < length) {
    if (off + 2 > length) return { ok: false, reason: `truncated attribute header at offset ${off}` };
    const type = b[off]!;
    const alen = b[off + 1]!;
    if (alen < 2) return { ok: false, reason: `attribute ${type} length ${alen} < 2 at offset ${off}` };
    if (off + alen > length) return { ok: false, reason: `attribute ${type} length ${alen} overruns packet at offset ${off}` };
    attributes.push({ type, value: Buffer.from(b.subarray(off + 2, off + alen)) });
    off += alen;
  }
  return {
    ok: true,
    packet: { code: b[0]!, identifier: b[1]!, authenticator: Buffer.from(b.subarray(4, 20)), attributes },
  };
}

/** Thrown only for a caller's own mistake (oversized value or packet): inputs we build, not inputs we receive. */
export class RadiusEncodeError extends Error {}

/** Encodes a packet; the authenticator is written as given (crypto.ts signs afterwards). */
export function encodePacket(p: RadiusPacket): Buffer {
  let length = RADIUS_HEADER_LENGTH;
  for (const a of p.attributes) {
    if (a.value.length > MAX_ATTRIBUTE_VALUE) throw new RadiusEncodeError(`attribute ${a.type} value of ${a.value.length} octets exceeds ${MAX_ATTRIBUTE_VALUE}`);
    length += 2 + a.value.length;
  }
  if (length > RADIUS_MAX_LENGTH) throw new RadiusEncodeError(`packet of ${length} octets exceeds ${RADIUS_MAX_LENGTH}`);
  if (p.authenticator.length !== AUTHENTICATOR_LENGTH) throw new RadiusEncodeError('authenticator must be 16 octets');
  const out = Buffer.alloc(length);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out.writeUInt16BE(length, 2);
  p.authenticator.copy(out, 4);
  let off = RADIUS_HEADER_LENGTH;
  for (const a of p.attributes) {
    out[off] = a.type;
    out[off + 1] = 2 + a.value.length;
    a.value.copy(out, off + 2);
    off += 2 + a.value.length;
  }
  return out;
}

export interface VendorAttribute {
  vendorId: number;
  type: number;
  value: Buffer;
}

/**
 * RFC 2865 §5.26: Vendor-Id (4 octets) then, in the recommended format, sub-attributes of
 * vendor-type (1), vendor-length (1, covering type+length+value), value. Returns null when the
 * value does not parse that way (a vendor with another format); the caller keeps it raw.
 */
export function decodeVendorSpecific(value: Buffer): VendorAttribute[] | null {
  if (value.length < 4) return null;
  const vendorId = value.readUInt32BE(0);
  const out: VendorAttribute[] = [];
  let off = 4;
  if (off === value.length) return null;
  while (off < value.length) {
    if (off + 2 > value.length) return null;
    const vlen = value[off + 1]!;
    if (vlen < 2 || off + vlen > value.length) return null;
    out.push({ vendorId, type: value[off]!, value: Buffer.from(value.subarray(off + 2, off + vlen)) });
    off += vlen;
  }
  return out;
}

/** One Vendor-Specific attribute holding one sub-attribute (the form FreeRADIUS and NASes send). */
export function vendorSpecific(vendorId: number, type: number, value: Buffer): RadiusAttribute {
  if (value.length > MAX_ATTRIBUTE_VALUE - 6) throw new RadiusEncodeError(`vendor attribute ${vendorId}:${type} value of ${value.length} octets too long`);
  const v = Buffer.alloc(6 + value.length);
  v.writeUInt32BE(vendorId >>> 0, 0);
  v[4] = type;
  v[5] = 2 + value.length;
  value.copy(v, 6);
  return { type: VENDOR_SPECIFIC, value: v };
}

/** All vendor sub-attributes in a packet, in order. */
export function vendorAttributes(p: RadiusPacket): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type !== VENDOR_SPECIFIC) continue;
    const subs = decodeVendorSpecific(a.value);
    if (subs) out.push(...subs);
  }
  return out;
}

export function findAttribute(p: RadiusPacket, type: number): Buffer | undefined {
  return p.attributes.find((a) => a.type === type)?.value;
}
export function findAttributes(p: RadiusPacket, type: number): Buffer[] {
  return p.attributes.filter((a) => a.type === type).map((a) => a.value);
}
export function findVendorAttribute(p: RadiusPacket, vendorId: number, type: number): Buffer | undefined {
  return vendorAttributes(p).find((a) => a.vendorId === vendorId && a.type === type)?.value;
}

/** Value constructors for the RFC 2865 §5 data types. */
export const attr = {
  string: (type: number, s: string | Buffer): RadiusAttribute => ({ type, value: typeof s === 'string' ? Buffer.from(s, 'utf8') : s }),
  integer: (type: number, n: number): RadiusAttribute => {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(n >>> 0, 0);
    return { type, value: v };
  },
  ipaddr: (type: number, ip: string): RadiusAttribute => ({ type, value: ipv4ToBuffer(ip) }),
};

export function ipv4ToBuffer(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new RadiusEncodeError(`not an IPv4 address: ${ip}`);
  const b = Buffer.alloc(4);
  parts.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new RadiusEncodeError(`not an IPv4 address: ${ip}`);
    b[i] = n;
  });
  return b;
}
export function bufferToIpv4(b: Buffer): string | undefined {
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : undefined;
}
export function bufferToInteger(b: Buffer): number | undefined {
  return b.length === 4 ? b.readUInt32BE(0) : undefined;
}
