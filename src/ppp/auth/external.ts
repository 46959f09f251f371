/**
 * An external judge of the peer's credentials (a RADIUS server): the authenticator roles hand
 * it what the peer sent and take its verdict later, through `answer`, so the PPP core stays
 * sans-IO (the IO shell asks the AAA server and calls `answer` when the reply arrives).
 * Without one, the roles judge from the secrets as pppd does.
 */
import type { MppeKeys } from './chap-digest.js';

export type CredentialRequest =
  | { method: 'pap'; user: string; password: Buffer }
  /** CHAP with any digest: the Identifier, our Challenge Value and the peer's Response Value. */
  | { method: 'chap'; digest: number; id: number; user: string; challenge: Buffer; response: Buffer };

export interface ExternalVerdict {
  ok: boolean;
  /** The PAP Ack/Nak message or the CHAP Success/Failure message; the default wording otherwise. */
  message?: Buffer;
  /** MPPE keys the judge derived (RADIUS MS-MPPE-Send-Key / Recv-Key). */
  keys?: MppeKeys;
}

/** Calls `answer` once (later or at once); an answer after the role stopped is ignored. */
export type ExternalVerifier = (request: CredentialRequest, answer: (v: ExternalVerdict) => void) => void;
