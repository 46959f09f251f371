/**
 * The authentication registry: every method a link can authenticate with, in pppd
 * 2.4.9's order of preference (lcp.c lcp_addci: EAP, then CHAP with its best digest by
 * chap-new.h CHAP_DIGEST - MD5, MS-CHAPv2, MS-CHAP - then PAP). LCP offers and accepts
 * what the enabled methods allow; the session starts the roles the negotiation chose.
 * Adding a method is one module and one line in AUTH_METHODS.
 */
import { PROTO_CHAP, PROTO_EAP, PROTO_PAP } from '../protocols.js';
import type { AuthHost } from './host.js';
import type { MppeKeys } from './chap-digest.js';
import type { SecretMatch } from '../secrets.js';
import type { SessionOptions } from '../session-options.js';

/** One role of one exchange (pppd's per-protocol client or server state). */
export interface AuthRole {
  start(): void;
  stop(): void;
  input(info: Buffer): void;
  /** MPPE keys the exchange produced (MS-CHAP), once it succeeded. */
  readonly keys?: MppeKeys;
}

/** What a role gets from the session besides its AuthHost. */
export interface AuthServices {
  readonly options: SessionOptions;
  readonly host: AuthHost;
  /** The name we authenticate as (pppd `user`, else `name`). */
  readonly userName: string;
  /** Server: the secret `peer` must know, from chap-secrets (remembered for IPCP's checks). */
  peerSecret(peer: string): Buffer | undefined;
  /** Server, PAP: pppd check_passwd for a user/password pair. */
  checkPap(user: string, password: Buffer): SecretMatch | undefined;
  /** Client: our secret towards `server` (pppd `password`, else the secrets files). */
  selfSecret(kind: 'pap' | 'chap', server: string | undefined): string | undefined;
}

export interface AuthMethod {
  /** "pap", "chap-md5", "mschap", "mschap-v2", "eap". */
  readonly id: string;
  readonly protocol: number;
  /** The CHAP Algorithm octet, for CHAP digests. */
  readonly chapDigest?: number;
  /** The Data of LCP's Authentication-Protocol option (RFC 1661 §6.2). */
  readonly option: Buffer;
  /** The word pppd logs: "PAP", "CHAP", "EAP" ("CHAP authentication succeeded" for every digest). */
  readonly logName: string;
  /** Which secrets file holds its secrets (pppd: chap-secrets for CHAP, MS-CHAP and EAP). */
  readonly secrets: 'pap' | 'chap';
  /** pppd's require-* option for it. */
  required(o: SessionOptions): boolean;
  /** pppd's refuse-* option for it. */
  refused(o: SessionOptions): boolean;
  server(s: AuthServices): AuthRole;
  client(s: AuthServices): AuthRole;
}

/** The auth-selection options (pppd auth.c): `auth` and the require-/refuse- family. */
export interface AuthOptions {
  /** Require the peer to authenticate (pppd `auth`; the require-* options narrow it). */
  auth: boolean;
  requirePap: boolean;
  requireChap: boolean;
  requireMschap: boolean;
  requireMschapV2: boolean;
  requireEap: boolean;
  refusePap: boolean;
  refuseChap: boolean;
  refuseMschap: boolean;
  refuseMschapV2: boolean;
  refuseEap: boolean;
}

export const AUTH_DEFAULTS: AuthOptions = {
  auth: false,
  requirePap: false,
  requireChap: false,
  requireMschap: false,
  requireMschapV2: false,
  requireEap: false,
  refusePap: false,
  refuseChap: false,
  refuseMschap: false,
  refuseMschapV2: false,
  refuseEap: false,
};

export function chapOption(digest: number): Buffer {
  return Buffer.from([PROTO_CHAP >> 8, PROTO_CHAP & 0xff, digest]);
}

export function shortOption(protocol: number): Buffer {
  return Buffer.from([protocol >> 8, protocol & 0xff]);
}

/**
 * pppd auth_check_options: what we ask the peer for. With require-* options, exactly
 * those; with plain `auth`, every method (pppd: neg_chap with all digests, neg_upap,
 * neg_eap); without `auth`, nothing.
 */
export function wantedMethods(methods: readonly AuthMethod[], o: SessionOptions): AuthMethod[] {
  const explicit = methods.filter((m) => m.required(o));
  if (explicit.length) return explicit;
  return o.auth ? [...methods] : [];
}

/** pppd auth_required: `auth`, or any require-* option (each implies it). */
export function authRequired(o: SessionOptions): boolean {
  return o.auth || o.requirePap || o.requireChap || o.requireMschap || o.requireMschapV2 || o.requireEap;
}

/**
 * pppd auth_reset: what we agree to authenticate ourselves with: not refused, and we
 * have a password or a secret for it.
 */
export function allowedMethods(methods: readonly AuthMethod[], o: SessionOptions, haveSecret: (kind: 'pap' | 'chap') => boolean): AuthMethod[] {
  return methods.filter((m) => !m.refused(o) && haveSecret(m.secrets));
}

export function isProtocolAuth(protocol: number): boolean {
  return protocol === PROTO_PAP || protocol === PROTO_CHAP || protocol === PROTO_EAP;
}
