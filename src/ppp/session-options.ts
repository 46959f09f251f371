/**
 * A session's options: each protocol module owns its part and its pppd defaults (lcp.ts,
 * auth/*.ts, ipcp.ts); this file only puts them together with the few that belong to
 * the session itself.
 */
import type { ExternalVerifier } from './auth/external.js';
import type { EapRelay } from './auth/eap-pass-through.js';
import { LCP_DEFAULTS, type LcpOptions } from './lcp.js';
import { AUTH_DEFAULTS, type AuthOptions } from './auth/methods.js';
import { PAP_DEFAULTS, type PapOptions } from './auth/pap.js';
import { CHAP_DEFAULTS, type ChapOptions } from './auth/chap.js';
import { IPCP_DEFAULTS, type IpcpOptions } from './ipcp.js';
import { EAP_DEFAULTS, type EapOptions } from './auth/eap.js';
import { IPV6CP_DEFAULTS, type Ipv6cpOptions } from './ipv6cp.js';
import { CCP_DEFAULTS, type CcpOptions } from './ccp/options.js';
import { MPPE_DEFAULTS, type MppeOptions } from './ccp/mppe-options.js';
import type { Secrets } from './secrets.js';

/** The session's own options: names, secrets, logging. */
export interface CoreOptions {
  /** Our name (pppd `name`; default the host name, chosen by the caller). */
  name: string;
  /** The name we authenticate as (pppd `user`; default `name`). */
  user?: string;
  /** pppd `password`: our secret for PAP or CHAP, instead of the secrets files. */
  password?: string;
  /** pppd `remotename`. */
  remoteName?: string;
  secrets?: Secrets;
  /** Overrides how a PAP server judges a user/password pair (pppd `login` uses the system). */
  checkPap?(user: string, password: Buffer): boolean;
  /** An external judge (RADIUS) for PAP and CHAP as authenticator; it wins over secrets and checkPap. */
  verifyCredentials?: ExternalVerifier;
  /** EAP as authenticator in pass-through mode (RFC 3579): the backend (RADIUS) runs the method. */
  relayEap?: EapRelay;
  /** Log every control packet decoded (pppd `debug`). */
  debug: boolean;
  /** Emit 'frame' events for every frame in and out (for pcap capture). */
  tapFrames: boolean;
  /** Entropy for magic numbers and challenges; tests pass a seeded one. */
  randomBytes?: (n: number) => Buffer;
}

export type SessionOptions = CoreOptions & LcpOptions & AuthOptions & PapOptions & ChapOptions & EapOptions & IpcpOptions & Ipv6cpOptions & CcpOptions & MppeOptions;

/** pppd 2.4.9's defaults (see pppd(8)). */
export function defaultSessionOptions(overrides: Partial<SessionOptions> = {}, take: (key: string) => boolean = () => true): SessionOptions {
  // The defaults are the prototype, shared by every session; the session's own object holds
  // only what the caller set. A copy of all ~80 defaults per session cost ~2 KB at an ISP:
  // a spread's clone gets a hidden class of its own (a copied map with no transition root),
  // so every session ended up with a private map and descriptor array (issue 10 item 5).
  // Nothing spreads or enumerates SessionOptions; `o.x` and `'x' in o` see the defaults.
  const o = Object.create(mergedDefaults ??= mergeDefaults()) as SessionOptions;
  // `take` leaves out a caller's keys that are not session options (PppLink's own).
  for (const k of Object.keys(overrides) as (keyof SessionOptions)[]) if (take(k)) (o as unknown as Record<string, unknown>)[k] = overrides[k];
  return o;
}

let mergedDefaults: SessionOptions | undefined;

function mergeDefaults(): SessionOptions {
  return {
    name: 'dialtone',
    debug: false,
    tapFrames: false,
    ...LCP_DEFAULTS,
    ...AUTH_DEFAULTS,
    ...PAP_DEFAULTS,
    ...CHAP_DEFAULTS,
    ...EAP_DEFAULTS,
    ...IPCP_DEFAULTS,
    ...IPV6CP_DEFAULTS,
    ...CCP_DEFAULTS,
    ...MPPE_DEFAULTS,
  };
}
