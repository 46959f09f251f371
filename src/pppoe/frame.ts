/**
 * Ethernet II and PPPoE headers (RFC 2516 §4): the codec both roles share. A frame is
 *
 *   dst MAC (6) | src MAC (6) | EtherType (2) | VER=1 TYPE=1 (1) | CODE (1) | SESSION_ID (2) | LENGTH (2) | payload
 *
 * EtherType 0x8863 carries the Discovery stage, 0x8864 the PPP Session stage. LENGTH counts
 * the payload only; an Ethernet frame may be longer (padding to the 60-octet minimum), so
 * what lies beyond LENGTH is ignored, and a LENGTH beyond the frame is malformed.
 */

export const ETH_P_PPPOE_DISC = 0x8863;
export const ETH_P_PPPOE_SESS = 0x8864;
export const ETH_HEADER = 14;
export const PPPOE_HEADER = 6;
/** RFC 2516 §7: 1500 octets of Ethernet payload less 6 of PPPoE header and 2 of Protocol. */
export const PPPOE_DEFAULT_MTU = 1492;

/** RFC 2516 §5 codes. */
export const Code = {
  Session: 0x00,
  PADO: 0x07,
  PADI: 0x09,
  PADR: 0x19,
  PADS: 0x65,
  PADT: 0xa7,
} as const;

export const BROADCAST = Buffer.alloc(6, 0xff);

export interface PppoeFrame {
  dst: Buffer;
  src: Buffer;
  ethertype: number;
  code: number;
  sessionId: number;
  payload: Buffer;
}

export type Decoded = { ok: true; frame: PppoeFrame } | { ok: false; why: string };

export function codeName(code: number): string {
  const names: Record<number, string> = { 0x00: 'session', 0x07: 'PADO', 0x09: 'PADI', 0x19: 'PADR', 0x65: 'PADS', 0xa7: 'PADT' };
  return names[code] ?? `code 0x${code.toString(16).padStart(2, '0')}`;
}

/** One Ethernet frame as received (header included); never throws. */
export function decodeFrame(b: Buffer): Decoded {
  if (b.length < ETH_HEADER + PPPOE_HEADER) return { ok: false, why: 'runt' };
  const ethertype = b.readUInt16BE(12);
  if (ethertype !== ETH_P_PPPOE_DISC && ethertype !== ETH_P_PPPOE_SESS) return { ok: false, why: 'not PPPoE' };
  const vt = b[ETH_HEADER]!;
  // RFC 2516 §4: VER and TYPE MUST be 0x1.
  if (vt !== 0x11) return { ok: false, why: 'bad version/type' };
  const code = b[ETH_HEADER + 1]!;
  const sessionId = b.readUInt16BE(ETH_HEADER + 2);
  const length = b.readUInt16BE(ETH_HEADER + 4);
  const start = ETH_HEADER + PPPOE_HEADER;
  if (start + length > b.length) return { ok: false, why: 'length beyond frame' };
  // Session frames have CODE 0; Discovery never does (§4, §6).
  if ((ethertype === ETH_P_PPPOE_SESS) !== (code === Code.Session)) return { ok: false, why: 'code does not match ethertype' };
  const src = b.subarray(6, 12);
  // A group (multicast/broadcast) source address is never a station (IEEE 802.3 §3.2.3).
  if (src[0]! & 1) return { ok: false, why: 'group source address' };
  return {
    ok: true,
    frame: { dst: b.subarray(0, 6), src, ethertype, code, sessionId, payload: b.subarray(start, start + length) },
  };
}

export function encodeFrame(f: { dst: Buffer; src: Buffer; ethertype: number; code: number; sessionId: number; payload: Buffer }): Buffer {
  const out = Buffer.alloc(ETH_HEADER + PPPOE_HEADER + f.payload.length);
  f.dst.copy(out, 0);
  f.src.copy(out, 6);
  out.writeUInt16BE(f.ethertype, 12);
  out[ETH_HEADER] = 0x11;
  out[ETH_HEADER + 1] = f.code;
  out.writeUInt16BE(f.sessionId, ETH_HEADER + 2);
  out.writeUInt16BE(f.payload.length, ETH_HEADER + 4);
  f.payload.copy(out, ETH_HEADER + PPPOE_HEADER);
  return out;
}

export function macToString(mac: Buffer): string {
  return [...mac].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** "00:11:22:33:44:55" (or with '-'), as rp_pppoe_mac takes it; undefined if not a MAC. */
export function parseMac(s: string): Buffer | undefined {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-f]{1,2}$/i.test(p))) return undefined;
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
