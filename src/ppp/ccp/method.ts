/**
 * A compression method for CCP (RFC 1962): what pppd splits between ccp.c (the option
 * negotiation) and the kernel's `struct compressor` (ppp-comp.h: comp_alloc, compress,
 * incomp, decompress, comp_reset/decomp_reset). One method is one module exporting a
 * `CompressionMethod`, listed once in `COMPRESSION_METHODS` (methods.ts).
 *
 * Direction words follow RFC 1962 §1: the options in OUR Configure-Request name what we
 * are willing to RECEIVE (our decompressor); the options we Ack in the peer's request name
 * what we will SEND (our compressor). As in Linux ppp_generic (ppp_ccp_peek), the method in
 * use each way is the first option of the acknowledged request.
 */
import type { ConfigOption } from '../packet.js';
import type { LogLevel } from '../log.js';
import type { SessionOptions } from '../session-options.js';
import type { MppeKeys } from '../auth/chap-digest.js';

/** A PPP frame: protocol number and Information field. */
export interface Frame {
  protocol: number;
  info: Buffer;
}

/** One direction's compressor (Linux `compress`, `comp_reset`). */
export interface Compressor {
  /**
   * The Information field of a 0x00fd Compressed Datagram for this frame, or undefined to
   * send the frame as it is (a protocol the method does not handle, or incompressible data:
   * RFC 1979 §2.2, RFC 1977 §2.2). A method that needs every frame transformed (MPPE)
   * never returns undefined for a protocol it handles.
   */
  compress(protocol: number, info: Buffer): Buffer | undefined;
  /** We sent a Reset-Ack (RFC 1962 §2.3): start again from an empty history. */
  reset(): void;
  /** CCP went down: free what it holds (zlib streams). */
  close?(): void;
}

/**
 * What a decompressor makes of a Compressed Datagram. `reset`: send a Reset-Request and
 * drop compressed frames until the Reset-Ack (Deflate, BSD-Compress, stateful MPPE);
 * `drop`: drop this frame only (stateless MPPE catches up by itself); `fatal`: the
 * history is beyond repair, CCP goes down (pppd ccp_datainput "Lost compression sync").
 */
export type DecompressResult = { ok: true; frame: Frame } | { ok: false; error: 'reset' | 'drop' | 'fatal'; reason: string };

/** One direction's decompressor (Linux `decompress`, `incomp`, `decomp_reset`). */
export interface Decompressor {
  decompress(info: Buffer): DecompressResult;
  /**
   * An uncompressed frame arrived while decompressing (Linux `incomp`): the peer's
   * compressor found it incompressible and sent it as is, but it is in the peer's history,
   * so it goes into ours too. `false`: the frame must not be taken (MPPE: a network
   * frame that came unencrypted is dropped).
   */
  incomp?(protocol: number, info: Buffer): boolean | void;
  /** A Reset-Ack arrived: empty history, next sequence number 0. */
  reset(): void;
  close?(): void;
}

/** What a method may ask of the session while negotiating. */
export interface MethodContext {
  readonly options: SessionOptions;
  /** MS-CHAP keys (RFC 3079) once authentication produced them: MPPE's key material. */
  mppeKeys(): MppeKeys | undefined;
  log(level: LogLevel, msg: string): void;
  /** The link must not go on (e.g. MPPE required but not negotiated). */
  closeLink(reason: string): void;
}

/** How we answer one option of the peer's Configure-Request. */
export interface Verdict {
  verdict: 'ack' | 'nak' | 'rej';
  /** For a Nak: the value we suggest (the option's Data, without Type and Length). */
  value?: Buffer;
}

/** One method's negotiation state for one session (pppd: its part of go/ho/want/allow). */
export interface MethodNegotiation {
  /** The option types it answers to (Deflate: 26, and the draft's 24). */
  readonly types: readonly number[];
  /**
   * pppd MPPE: while this method is wanted every other method is off, both ways (MPPE
   * "is not compatible with other compression types", ccp_resetci).
   */
  readonly exclusive?: boolean;
  /**
   * pppd start_networks with MPPE required: while true (asked right after CCP opens), the
   * NCPs wait until CCP is up (then the session's continueNetworks runs).
   */
  readonly holdsNetworks?: boolean;
  /**
   * What happens to CCP, for a method the link depends on (pppd ccp.c closes LCP when
   * required MPPE is lost: "MPPE disabled by peer", "MPPE required but peer negotiation
   * failed"). `up`: CCP Opened; `down`: it left Opened; `terminated-by-peer`: the peer's
   * Terminate-Request; `protocol-rejected`: the peer does not run CCP.
   */
  ccpEvent?(e: 'up' | 'down' | 'terminated-by-peer' | 'protocol-rejected'): void;
  /** A new negotiation starts (pppd ccp_resetci): back to what the options want. */
  reset(): void;
  /**
   * pppd ccp_gotoptions.mppe: the link must not carry data without this method. CCP then
   * holds the NCPs until it is up, drops data it cannot compress, and tells the method
   * (`down`, `protocolRejected`, `requestJudged`) of the events pppd's ccp.c handles
   * specially for it.
   */
  required?(): boolean;
  /** After judging a whole request of the peer's; `rejecting`: the answer is a Configure-Reject. */
  requestJudged?(rejecting: boolean): void;
  /** CCP left Opened; `linkGoingDown`: because LCP is going down. */
  down?(linkGoingDown: boolean): void;
  /** The peer Protocol-Rejected CCP. */
  protocolRejected?(): void;
  /** The options we ask for now, in our order of preference (empty: not asking). */
  request(): ConfigOption[];
  /**
   * The peer Nak'd one of our options with this value: adjust (pppd ccp_nakci). The
   * method stops asking when it cannot use the suggestion.
   */
  nak(o: ConfigOption): void;
  /** The peer rejected one of our options (pppd ccp_rejci); false: a Reject that does not match what we sent. */
  reject(o: ConfigOption): boolean;
  /**
   * One option of the peer's Configure-Request (pppd ccp_reqci). `first`: it is the first
   * option, the one that will be used if Acked. `dontNak`: rejectIfDisagree (RFC 1661 §4.4
   * Max-Failure), a Nak must become a Reject.
   */
  judge(o: ConfigOption, first: boolean, dontNak: boolean): Verdict;
  /**
   * pppd's method_name: "Deflate (15)", "BSD-Compress (12)". `other` is the option agreed
   * the other way when it is the same method, for "Deflate (15/12)".
   */
  describe(o: ConfigOption, other?: ConfigOption): string;
  /** Our compressor for what we send, with the peer's option we Acked. */
  compressor(his: ConfigOption): Compressor;
  /** Our decompressor for what we receive, with our option the peer Acked. */
  decompressor(ours: ConfigOption): Decompressor;
}

/** A registry line: makes the negotiation state for one session, or nothing when the options turn the method off. */
export interface CompressionMethod {
  /** "mppe", "deflate", "bsd". */
  readonly id: string;
  create(ctx: MethodContext): MethodNegotiation | undefined;
}
