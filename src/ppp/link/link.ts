/**
 * The lower layer under PPP (lwIP's `struct link_callbacks`, pppd's channel): how frames
 * become bytes on a line and back. The PPP core never knows whether a frame went through
 * async HDLC escaping (RFC 1662), an Ethernet header (PPPoE, RFC 2516), a UDP tunnel
 * (L2TP, RFC 2661) or an in-memory test link; what LCP negotiates about framing (ACCM,
 * ACFC, PFC) reaches the lower layer through `configure`, and a layer ignores what does
 * not apply to it (RFC 2516 §7: no ACCM on PPPoE).
 */

/** What LCP negotiated that concerns framing (RFC 1661 §6.5-6.6, RFC 1662 §7.1). */
export interface LinkConfig {
  /** Characters the peer asked us to escape on transmit. */
  txAccm: number;
  /** Characters we asked the peer to escape: received ones are dropped (RFC 1662 §7.1). */
  rxAccm: number;
  /** We may compress the protocol field of what we send. */
  pfc: boolean;
  /** We may omit address and control fields on what we send. */
  acfc: boolean;
}

/** LCP's starting point (RFC 1662 §7.1: all control characters escaped; no compression). */
export const LINK_DEFAULTS: LinkConfig = { txAccm: 0xffffffff, rxAccm: 0xffffffff, pfc: false, acfc: false };

export interface LinkStats {
  /** Frames the layer could not deliver (bad FCS, runts, bad headers, too long...). */
  dropped: number;
}

export interface LinkLayer {
  /** "async-hdlc", "frames", "pppoe"...: for logs. */
  readonly kind: string;
  /**
   * The line is a byte stream the frames delimit themselves on (HDLC): frames may go to it
   * joined, several in one write. Unset for a stream that takes one frame per write.
   */
  readonly byteStream?: boolean;
  readonly stats: LinkStats;
  /**
   * Bytes (or one datagram) from the line. Each complete frame is handed to `onFrame`
   * before the next is decoded, so a frame that changes the framing (LCP opening sets the
   * receive ACCM) applies to the frames behind it in the same read. `more()` returning
   * false stops decoding (the link died on the last frame).
   */
  input(bytes: Buffer, onFrame: (protocol: number, info: Buffer) => void, more: () => boolean): void;
  /** One PPP frame, ready for the line (escaped and checksummed, or encapsulated). */
  encode(protocol: number, info: Buffer): Buffer;
  /**
   * Segmentation offload (src/wire/gso.ts): the frames of a TCP super-segment's MSS-sized
   * segments pushed onto `out`, as encode() would give each; false (nothing pushed) when
   * this layer cannot now. Optional: without it the session segments in software.
   */
  encodeSegments?(protocol: number, packet: Buffer, mss: number, out: Buffer[]): boolean;
  /** LCP's framing results; called with LINK_DEFAULTS when LCP goes down. */
  configure(config: LinkConfig): void;
  /** Why negotiation may have failed, from what the layer saw (pppd's "not 8-bit clean"). */
  diagnosis(): string[];
}
