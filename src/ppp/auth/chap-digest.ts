/**
 * A CHAP digest (pppd chap-new.h `struct chap_digest_type`): what differs between
 * CHAP-MD5 (RFC 1994), MS-CHAP (RFC 2433) and MS-CHAPv2 (RFC 2759). The CHAP state
 * machine (chap.ts) owns identifiers, timers and retransmissions; a digest only computes.
 */

/** Session keys for MPPE (RFC 3079), from the point of view of the side that derived them. */
export interface MppeKeys {
  /** Master key for what this side sends (16 octets). */
  send: Buffer;
  /** Master key for what this side receives (16 octets). */
  recv: Buffer;
  /**
   * Set by the session when MS-CHAP ran both ways: which keys MPPE should use is then
   * unknown, and pppd refuses MPPE ("auth done in both directions").
   */
  bothWays?: boolean;
}

export interface ChapVerdict {
  ok: boolean;
  /** The Message field of the Success or Failure packet (e.g. `S=...` or pppd's `E=691 R=1 C=... V=0 M=...`). */
  message: Buffer;
  /** MS-CHAP keys for MPPE, when the digest derives them and authentication succeeded. */
  keys?: MppeKeys;
}

export interface ChapResponse {
  /** The Response's Value field (without the Value-Size octet). */
  value: Buffer;
  /** Whatever checkSuccess needs later (MS-CHAPv2: the expected authenticator response). */
  state?: unknown;
  keys?: MppeKeys;
}

export interface ChapDigest {
  /** The Algorithm octet of LCP's Authentication-Protocol option: 5 MD5, 0x80 MS-CHAP, 0x81 MS-CHAPv2. */
  readonly code: number;
  /** The name pppd uses in log lines and `debug` output ("MD5", "MS-CHAP", "MS-CHAP-v2"). */
  readonly name: string;
  /** Server: a fresh Challenge Value (without the Value-Size octet). */
  generateChallenge(random: (n: number) => Buffer): Buffer;
  /**
   * Server: judge a Response Value. `name` is the peer's name as used for the secret
   * lookup (MS-CHAP: with the domain as received, e.g. `DOMAIN\user`).
   */
  verifyResponse(a: { id: number; name: string; secret: Buffer; challenge: Buffer; response: Buffer }): ChapVerdict;
  /** Client: the Response Value for a Challenge. */
  makeResponse(a: {
    id: number;
    ourName: string;
    challenge: Buffer;
    secret: Buffer;
    random: (n: number) => Buffer;
  }): ChapResponse;
  /** Client: whether a Success packet's message is acceptable (MS-CHAPv2 checks `S=`). Default: yes. */
  checkSuccess?(a: { id: number; message: Buffer; state: unknown; log?: (line: string) => void }): boolean;
  /** Client: log lines for a Failure packet's message (MS-CHAP: the `E=` code in words). */
  describeFailure?(message: Buffer): string[];
}
