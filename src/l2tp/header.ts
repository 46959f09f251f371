/**
 * The L2TPv2 header (RFC 2661 §3.1): T/L/S/O/P bits, version 2, Length, Tunnel ID,
 * Session ID, Ns/Nr, Offset. Control messages (T=1) must carry L and S and no O or P
 * (§3.1: "Length ... MUST be set to 1 for control messages", likewise S; O and P MUST be 0).
 */

export const FLAG_T = 0x8000;
export const FLAG_L = 0x4000;
export const FLAG_S = 0x0800;
export const FLAG_O = 0x0200;
export const FLAG_P = 0x0100;
const VERSION_MASK = 0x000f;

export interface L2tpHeader {
  control: boolean;
  tunnelId: number;
  sessionId: number;
  /** Present when S was set (always on control messages). */
  ns?: number;
  nr?: number;
  /** P: a data message to be queued ahead of others (§3.1); we only preserve it. */
  priority: boolean;
}

export interface DecodedPacket {
  header: L2tpHeader;
  /** AVPs of a control message, or the PPP frame of a data message. */
  payload: Buffer;
}

/** Why a datagram was not an L2TPv2 packet: each reason is counted by the endpoint. */
export type HeaderError = 'short' | 'version' | 'length' | 'control-bits' | 'offset';

export function decodeHeader(buf: Buffer): DecodedPacket | HeaderError {
  if (buf.length < 6) return 'short';
  const flags = buf.readUInt16BE(0);
  // §3.1: Ver MUST be 2; version 1 is L2F and is discarded (or handled by an L2F stack).
  if ((flags & VERSION_MASK) !== 2) return 'version';
  const control = (flags & FLAG_T) !== 0;
  if (control && (!(flags & FLAG_L) || !(flags & FLAG_S) || flags & (FLAG_O | FLAG_P))) return 'control-bits';
  let at = 2;
  let end = buf.length;
  if (flags & FLAG_L) {
    const length = buf.readUInt16BE(at);
    at += 2;
    // A datagram longer than Length has trailing padding (ignored); a shorter one is cut.
    if (length > buf.length || length < 6) return 'length';
    end = length;
  }
  if (at + 4 > end) return 'short';
  const tunnelId = buf.readUInt16BE(at);
  const sessionId = buf.readUInt16BE(at + 2);
  at += 4;
  const header: L2tpHeader = { control, tunnelId, sessionId, priority: (flags & FLAG_P) !== 0 };
  if (flags & FLAG_S) {
    if (at + 4 > end) return 'short';
    header.ns = buf.readUInt16BE(at);
    header.nr = buf.readUInt16BE(at + 2);
    at += 4;
  }
  if (flags & FLAG_O) {
    if (at + 2 > end) return 'short';
    const offset = buf.readUInt16BE(at);
    at += 2 + offset;
    if (at > end) return 'offset';
  }
  return { header, payload: buf.subarray(at, end) };
}

/** A control message (§3.1): T, L, S set; `body` is the encoded AVPs (empty for a ZLB). */
export function encodeControl(tunnelId: number, sessionId: number, ns: number, nr: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + body.length);
  out.writeUInt16BE(FLAG_T | FLAG_L | FLAG_S | 2, 0);
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(tunnelId, 4);
  out.writeUInt16BE(sessionId, 6);
  out.writeUInt16BE(ns & 0xffff, 8);
  out.writeUInt16BE(nr & 0xffff, 10);
  body.copy(out, 12);
  return out;
}

/**
 * A data message: with L (the Length field lets a receiver spot truncation) and, when the
 * peer asked for sequencing (Sequencing Required AVP, §4.4.6), S with Ns/Nr.
 */
export function encodeData(tunnelId: number, sessionId: number, frame: Buffer, seq?: { ns: number; nr: number }): Buffer {
  const head = seq ? 12 : 8;
  const out = Buffer.allocUnsafe(head + frame.length);
  out.writeUInt16BE(FLAG_L | (seq ? FLAG_S : 0) | 2, 0);
  out.writeUInt16BE(out.length, 2);
  out.writeUInt16BE(tunnelId, 4);
  out.writeUInt16BE(sessionId, 6);
  if (seq) {
    out.writeUInt16BE(seq.ns & 0xffff, 8);
    out.writeUInt16BE(seq.nr & 0xffff, 10);
  }
  frame.copy(out, head);
  return out;
}

/** RFC 1982-style 16-bit sequence comparison: a comes before b. */
export function seqBefore(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d >= 0x8000;
}

/** How far b is ahead of a (0..65535). */
export function seqDistance(a: number, b: number): number {
  return (b - a) & 0xffff;
}
