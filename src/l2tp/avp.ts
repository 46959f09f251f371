/**
 * L2TP Attribute-Value Pairs (RFC 2661 §4.1) and hidden AVPs (§4.3).
 *
 *   |M|H| rsvd  |      Length       |           Vendor ID           |
 *   |         Attribute Type        |        Attribute Value...
 *
 * A hidden AVP's value is the "hidden subformat" (original length, value, padding) XORed
 * with an MD5 keystream of the attribute type, the shared secret and the message's most
 * recent Random Vector AVP (§4.3).
 */
import { createHash } from 'node:crypto';

export const AVP_M = 0x8000;
export const AVP_H = 0x4000;
const LENGTH_MASK = 0x03ff;
const RESERVED_MASK = 0x3c00;

/** Attribute types of vendor 0 (§4.4). */
export const A = {
  MessageType: 0,
  ResultCode: 1,
  ProtocolVersion: 2,
  FramingCapabilities: 3,
  BearerCapabilities: 4,
  TieBreaker: 5,
  FirmwareRevision: 6,
  HostName: 7,
  VendorName: 8,
  AssignedTunnelId: 9,
  ReceiveWindowSize: 10,
  Challenge: 11,
  Q931Cause: 12,
  ChallengeResponse: 13,
  AssignedSessionId: 14,
  CallSerialNumber: 15,
  MinimumBps: 16,
  MaximumBps: 17,
  BearerType: 18,
  FramingType: 19,
  CalledNumber: 21,
  CallingNumber: 22,
  SubAddress: 23,
  TxConnectSpeed: 24,
  PhysicalChannelId: 25,
  InitialReceivedLcpConfReq: 26,
  LastSentLcpConfReq: 27,
  LastReceivedLcpConfReq: 28,
  ProxyAuthenType: 29,
  ProxyAuthenName: 30,
  ProxyAuthenChallenge: 31,
  ProxyAuthenId: 32,
  ProxyAuthenResponse: 33,
  CallErrors: 34,
  Accm: 35,
  RandomVector: 36,
  PrivateGroupId: 37,
  RxConnectSpeed: 38,
  SequencingRequired: 39,
} as const;

/** The highest vendor-0 attribute type we recognise (§4.4 lists 0..39, 20 unassigned). */
const KNOWN = new Set<number>(Object.values(A));

/** Message types (§3.2). */
export const M = {
  SCCRQ: 1, SCCRP: 2, SCCCN: 3, StopCCN: 4, HELLO: 6,
  OCRQ: 7, OCRP: 8, OCCN: 9, ICRQ: 10, ICRP: 11, ICCN: 12, CDN: 14, WEN: 15, SLI: 16,
} as const;

export const MESSAGE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(M).map(([k, v]) => [v, k]));

export interface Avp {
  mandatory: boolean;
  vendor: number;
  type: number;
  /** The value in the clear (hidden ones decrypted on decode, encrypted on encode). */
  value: Buffer;
  /** Send hidden (H bit): needs the shared secret. */
  hidden?: boolean;
}

export type AvpError = 'avp-short' | 'avp-length' | 'avp-reserved' | 'hidden-no-secret' | 'hidden-no-vector' | 'hidden-length';

/**
 * Decodes a control message body. Hidden AVPs are revealed with `secret` and the Random
 * Vector that precedes them (§4.3: "the Random Vector AVP MUST precede the first AVP with
 * the H bit set").
 */
export function decodeAvps(body: Buffer, secret?: Buffer): Avp[] | AvpError {
  const out: Avp[] = [];
  let vector: Buffer | undefined;
  let at = 0;
  while (at < body.length) {
    if (at + 6 > body.length) return 'avp-short';
    const bits = body.readUInt16BE(at);
    const length = bits & LENGTH_MASK;
    if (length < 6 || at + length > body.length) return 'avp-length';
    // §4.1: the reserved bits MUST be 0; an AVP with them set is treated as unrecognised
    // (we reject the message: no implementation sends them).
    if (bits & RESERVED_MASK) return 'avp-reserved';
    const vendor = body.readUInt16BE(at + 2);
    const type = body.readUInt16BE(at + 4);
    let value: Buffer = Buffer.from(body.subarray(at + 6, at + length));
    const hidden = (bits & AVP_H) !== 0;
    if (hidden) {
      if (!secret) return 'hidden-no-secret';
      if (!vector) return 'hidden-no-vector';
      const clear = unhide(type, value, secret, vector);
      if (!clear) return 'hidden-length';
      value = clear;
    }
    if (vendor === 0 && type === A.RandomVector) vector = value;
    out.push({ mandatory: (bits & AVP_M) !== 0, vendor, type, value, ...(hidden ? { hidden } : {}) });
    at += length;
  }
  return out;
}

/**
 * Encodes AVPs; hidden ones need `secret` and a Random Vector before them in `avps`
 * (the message builder puts one in).
 */
export function encodeAvps(avps: Avp[], secret?: Buffer, padding: (n: number) => number = () => 0): Buffer {
  const parts: Buffer[] = [];
  let vector: Buffer | undefined;
  for (const a of avps) {
    let value = a.value;
    if (a.hidden) {
      if (!secret || !vector) throw new Error('hidden AVP without a secret or Random Vector');
      value = hide(a.type, value, secret, vector, padding(value.length));
    }
    if (a.vendor === 0 && a.type === A.RandomVector) vector = a.value;
    const length = 6 + value.length;
    if (length > LENGTH_MASK) throw new Error(`AVP ${a.type} too long`);
    const head = Buffer.allocUnsafe(6);
    head.writeUInt16BE((a.mandatory ? AVP_M : 0) | (a.hidden ? AVP_H : 0) | length, 0);
    head.writeUInt16BE(a.vendor, 2);
    head.writeUInt16BE(a.type, 4);
    parts.push(head, value);
  }
  return Buffer.concat(parts);
}

function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

function typeBytes(type: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(type);
  return b;
}

/** §4.3: b1 = MD5(type + secret + RV), c1 = p1 ^ b1; bi = MD5(secret + c(i-1)). */
function keystreamXor(type: number, input: Buffer, secret: Buffer, vector: Buffer, decrypting: boolean): Buffer {
  const out = Buffer.alloc(input.length);
  let prev: Buffer | undefined;
  for (let i = 0; i < input.length; i += 16) {
    const b = prev === undefined ? md5(typeBytes(type), secret, vector) : md5(secret, prev);
    const end = Math.min(i + 16, input.length);
    for (let j = i; j < end; j++) out[j] = input[j]! ^ b[j - i]!;
    // The chain runs on the ciphertext either way.
    prev = decrypting ? input.subarray(i, end) : out.subarray(i, end);
  }
  return out;
}

export function hide(type: number, value: Buffer, secret: Buffer, vector: Buffer, pad = 0): Buffer {
  const plain = Buffer.alloc(2 + value.length + pad);
  plain.writeUInt16BE(value.length, 0);
  value.copy(plain, 2);
  return keystreamXor(type, plain, secret, vector, false);
}

export function unhide(type: number, value: Buffer, secret: Buffer, vector: Buffer): Buffer | undefined {
  if (value.length < 2) return undefined;
  const plain = keystreamXor(type, value, secret, vector, true);
  const length = plain.readUInt16BE(0);
  if (2 + length > plain.length) return undefined;
  return plain.subarray(2, 2 + length);
}

/** The first AVP that is mandatory and that we do not know (§4.1: the message must not be accepted). */
export function unknownMandatory(avps: Avp[]): Avp | undefined {
  return avps.find((a) => a.mandatory && (a.vendor !== 0 || !KNOWN.has(a.type)));
}

export function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value & 0xffff);
  return b;
}

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

export function avp(type: number, value: Buffer, opts: { mandatory?: boolean; hidden?: boolean } = {}): Avp {
  return { mandatory: opts.mandatory ?? true, vendor: 0, type, value, ...(opts.hidden ? { hidden: true } : {}) };
}

/** A received message: its AVPs by type (vendor 0), the first of each. */
export class AvpSet {
  private readonly byType = new Map<number, Avp>();
  constructor(readonly list: Avp[]) {
    for (const a of list) if (a.vendor === 0 && !this.byType.has(a.type)) this.byType.set(a.type, a);
  }
  has(type: number): boolean {
    return this.byType.has(type);
  }
  raw(type: number): Buffer | undefined {
    return this.byType.get(type)?.value;
  }
  u16(type: number): number | undefined {
    const v = this.raw(type);
    return v && v.length >= 2 ? v.readUInt16BE(0) : undefined;
  }
  u32(type: number): number | undefined {
    const v = this.raw(type);
    return v && v.length >= 4 ? v.readUInt32BE(0) : undefined;
  }
  text(type: number): string | undefined {
    return this.raw(type)?.toString('latin1');
  }
}

/** Result Code AVP (§4.4.2): result, optional error code and message. */
export function resultCode(result: number, error?: number, message?: string): Buffer {
  if (error === undefined && message === undefined) return u16(result);
  const msg = Buffer.from(message ?? '', 'latin1');
  return Buffer.concat([u16(result), u16(error ?? 0), msg]);
}

export function describeResult(v: Buffer | undefined): string {
  if (!v || v.length < 2) return 'no result code';
  const parts = [`result ${v.readUInt16BE(0)}`];
  if (v.length >= 4) parts.push(`error ${v.readUInt16BE(2)}`);
  if (v.length > 4) parts.push(JSON.stringify(v.subarray(4).toString('latin1').replace(/[^\x20-\x7e]/g, '?').slice(0, 80)));
  return parts.join(', ');
}
