/**
 * Sans-IO writer for classic libpcap capture files (the format tcpdump and
 * Wireshark read: https://www.tcpdump.org/manpages/pcap-savefile.5.html).
 * The caller writes pcapHeader() once, then one pcapRecord() per packet, to
 * wherever it likes; nothing here touches files or clocks.
 *
 * Link type: LINKTYPE_PPP_WITH_DIR (204): "PPP, as per RFC 1661 and RFC
 * 1662, preceded with a one-byte pseudo-header with a zero value meaning
 * 'received by this host' and a non-zero value meaning 'sent by this host'"
 * (tcpdump.org link-layer header types).  Unlike LINKTYPE_PPP (9) it keeps
 * the direction, which is what one wants when reading a negotiation;
 * Wireshark maps it to "PPP with Directional Info" and shows DTE->DCE /
 * DCE->DTE.  LINKTYPE_PPP_PPPD (166) would carry the same information, but
 * tshark 4.0 rejects it ("network type 166 unknown or unsupported"), so it is
 * only exported as a constant.  Frames are stored de-stuffed as
 * `direction FF 03 protocol(2) payload`, no FCS -- always with address,
 * control and an uncompressed protocol, whatever was negotiated.
 */

export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_PPPD = 166;
export const LINKTYPE_PPP_WITH_DIR = 204;
/** The link type pcapPppRecord() produces; pass it to pcapHeader(). */
export const PCAP_LINKTYPE = LINKTYPE_PPP_WITH_DIR;

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const DEFAULT_SNAPLEN = 65535;

export type Direction = 'in' | 'out';

/** 24-octet global header (little-endian, microsecond timestamps). */
export function pcapHeader(linktype: number = PCAP_LINKTYPE, snaplen: number = DEFAULT_SNAPLEN): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(PCAP_MAGIC_USEC, 0);
  h.writeUInt16LE(2, 4); // version 2.4
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(snaplen >>> 0, 16);
  h.writeUInt32LE(linktype >>> 0, 20);
  return h;
}

/**
 * One record: 16-octet header (seconds, microseconds, captured length,
 * original length) followed by the frame.  `timeMs` is milliseconds since
 * the Unix epoch (fractions allowed); the caller supplies it because this
 * module may not read the clock.
 */
export function pcapRecord(timeMs: number, frameBytes: Uint8Array): Buffer {
  if (!Number.isFinite(timeMs) || timeMs < 0) throw new RangeError(`invalid timestamp: ${timeMs}`);
  let sec = Math.floor(timeMs / 1000);
  let usec = Math.round((timeMs - sec * 1000) * 1000);
  if (usec >= 1_000_000) {
    // rounding can carry into the next second
    sec += 1;
    usec -= 1_000_000;
  }
  const r = Buffer.allocUnsafe(16 + frameBytes.length);
  r.writeUInt32LE(sec >>> 0, 0);
  r.writeUInt32LE(usec, 4);
  r.writeUInt32LE(frameBytes.length, 8);
  r.writeUInt32LE(frameBytes.length, 12);
  r.set(frameBytes, 16);
  return r;
}

/** The LINKTYPE_PPP_WITH_DIR frame: direction, FF 03, protocol (2 octets), payload. */
export function pppPcapFrame(direction: Direction, protocol: number, payload: Uint8Array): Buffer {
  const f = Buffer.allocUnsafe(5 + payload.length);
  f[0] = direction === 'out' ? 0x01 : 0x00;
  f[1] = 0xff;
  f[2] = 0x03;
  f.writeUInt16BE(protocol & 0xffff, 3);
  f.set(payload, 5);
  return f;
}

/** Record for one PPP packet in a capture whose header used PCAP_LINKTYPE. */
export function pcapPppRecord(timeMs: number, direction: Direction, protocol: number, payload: Uint8Array): Buffer {
  return pcapRecord(timeMs, pppPcapFrame(direction, protocol, payload));
}
