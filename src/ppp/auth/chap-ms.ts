/**
 * MS-CHAP (RFC 2433, CHAP algorithm 0x80) and MS-CHAPv2 (RFC 2759, algorithm 0x81) as
 * CHAP digests, behaving as pppd 2.4.9's chap_ms.c (built with MPPE, without MSLANMAN,
 * which is how distributions build it).
 *
 * MPPE keys (the `keys` of a verdict or response), for the MPPE layer:
 *   - They are the RFC 3079 *start keys* (pppd's mppe_send_key / mppe_recv_key), 16
 *     octets each, always derived at 128-bit strength. MPPE still has to make the initial
 *     session key from them (RFC 3079 §2.4 GetKey / §3.4 GetNewKeyFromSHA, see
 *     mschap-crypto.ts getNewKeyFromSha), and for 40/56-bit MPPE take the first 8 octets
 *     and reduce them (reduceKey), as Linux's ppp_mppe does with the keys pppd hands it.
 *   - `send` is for what this side transmits, `recv` for what it receives. Server and
 *     client are mirrored: server.send == client.recv and server.recv == client.send.
 *   - MS-CHAP v1 (RFC 3079 §2.3, pppd mppe_set_keys): send == recv ==
 *     first 16 octets of SHA1(NtPasswordHashHash, NtPasswordHashHash, 8-octet Challenge).
 *   - MS-CHAPv2 (RFC 3079 §3.3–3.4, pppd mppe_set_keys2): MasterKey from the
 *     NT-Response, then GetAsymmetricStartKey: the server's send key (= client's receive
 *     key) uses the "client ... receive key; server ... send key" magic, and vice versa.
 *   - They are returned by verifyResponse only when the peer authenticated, and by
 *     makeResponse always (the client only uses them once the Success is accepted).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ChapDigest, ChapVerdict, MppeKeys } from './chap-digest.js';
import { printableText } from '../log.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  msChapV1StartKey,
  msChapV2StartKeys,
  ntChallengeResponse,
} from './mschap-crypto.js';

export const CHAP_MICROSOFT = 0x80;
export const CHAP_MICROSOFT_V2 = 0x81;

// pppd chap_ms.h: both Response values are 49 octets.
const MS_CHAP_RESPONSE_LEN = 49;
// v1 (RFC 2433 §3): 24 LM-Response, 24 NT-Response, 1 Use-NT flag.
const V1_NTRESP = 24;
const V1_USENT = 48;
// v2 (RFC 2759 §4): 16 Peer-Challenge, 8 reserved (zero), 24 NT-Response, 1 Flags.
const V2_PEER_CHALLENGE = 0;
const V2_NTRESP = 24;
const V2_FLAGS = 48;
/** RFC 2759 §5: the authenticator response is 40 hex digits after "S=". */
const AUTH_RESPONSE_LEN = 40;

/**
 * A challenge of the length the algorithm needs. pppd's make_response reads 8 (v1) or 16
 * (v2) octets from the Challenge without checking its Value-Size; we zero-fill a short
 * one instead of reading past it, so a malformed challenge yields a wrong answer, not a
 * crash.
 */
function fixed(challenge: Buffer, n: number): Buffer {
  if (challenge.length === n) return challenge;
  const b = Buffer.alloc(n);
  challenge.copy(b, 0, 0, Math.min(n, challenge.length));
  return b;
}

const hex = (b: Buffer): string => b.toString('hex'); // pppd's %B prints lower-case hex

/** pppd chapms_handle_failure: the error lines for a Failure packet (both versions). */
export function describeMsChapFailure(message: Buffer): string[] {
  const text = message.toString('latin1');
  let shown: string;
  if (!text.startsWith('E=')) {
    // Not MS-CHAP formatted: pppd prints the whole message.
    shown = text;
  } else {
    const m = text.indexOf(' M=');
    if (m >= 0) {
      // "E=... M=<message>": pppd prints only the message.
      shown = text.slice(m + 3);
    } else {
      // Like strtol: leading blanks and a sign are accepted; no digits means 0.
      const err = parseInt(text.slice(2), 10);
      const words: Record<number, string> = {
        646: 'E=646 Restricted logon hours',
        647: 'E=647 Account disabled',
        648: 'E=648 Password expired',
        649: 'E=649 No dialin permission',
        691: 'E=691 Authentication failure',
        709: 'E=709 Error changing password',
      };
      const w = words[err];
      if (w === undefined) return [`Unknown MS-CHAP authentication failure: ${printableText(message)}`];
      shown = w;
    }
  }
  return [`MS-CHAP authentication failed: ${printableText(Buffer.from(shown, 'latin1'))}`];
}

/**
 * MS-CHAP v1 (RFC 2433), as pppd's chapms_digest.
 */
export const msChapDigest: ChapDigest = {
  code: CHAP_MICROSOFT,
  name: 'MS-CHAP',
  // RFC 2433 §2 / pppd chapms_generate_challenge: always 8 octets.
  generateChallenge: (random) => random(8),
  verifyResponse({ secret, challenge, response }): ChapVerdict {
    const ch = fixed(challenge, 8);
    // pppd: a Response of the wrong length, or one asking for the LAN Manager response
    // (Use-NT flag 0: "Peer request for LANMAN auth not supported"), fails.
    if (response.length === MS_CHAP_RESPONSE_LEN && response[V1_USENT] !== 0) {
      const expected = ntChallengeResponse(ch, secret);
      const ok = timingSafeEqual(response.subarray(V1_NTRESP, V1_NTRESP + 24), expected);
      expected.fill(0);
      if (ok) {
        const k = msChapV1StartKey(ch, secret);
        // RFC 3079 §2.3: one key for both directions.
        return { ok: true, message: Buffer.from('Access granted'), keys: { send: k, recv: Buffer.from(k) } };
      }
    }
    // pppd chapms_verify_response: E=691 (ERROR_AUTHENTICATION_FAILURE), R=1, the same
    // challenge again, V=0 (no Change-Password support). RFC 2433 §6 would allow the peer
    // to retry with R=1, but pppd never takes a second Response (the CHAP server fails the
    // link after sending this), and neither do we. No M= for v1.
    return { ok: false, message: Buffer.from(`E=691 R=1 C=${hex(ch)} V=0`) };
  },
  makeResponse({ challenge, secret }) {
    const ch = fixed(challenge, 8);
    const value = Buffer.alloc(MS_CHAP_RESPONSE_LEN);
    // The LM-Response stays zero (pppd without MSLANMAN); Use-NT = 1.
    ntChallengeResponse(ch, secret).copy(value, V1_NTRESP);
    value[V1_USENT] = 1;
    const k = msChapV1StartKey(ch, secret);
    return { value, keys: { send: k, recv: Buffer.from(k) } };
  },
  // pppd's chapms_digest has no check_success: chap.ts logs "CHAP authentication succeeded: <msg>".
  describeFailure: describeMsChapFailure,
};

/** What makeResponse leaves for checkSuccess: the "S=..." we expect, as bytes. */
interface V2State {
  readonly expected: Buffer;
}
const isV2State = (s: unknown): s is V2State => typeof s === 'object' && s !== null && Buffer.isBuffer((s as { expected?: unknown }).expected);

/**
 * Why a Success message fails MS-CHAPv2's mutual authentication, in pppd's words
 * (chapms2_check_success), or undefined when it is acceptable. `expected` is the
 * 42-character "S=<40 hex>" we computed; the comparison is constant-time.
 */
export function msChapV2SuccessProblem(message: Buffer, expected: Buffer | undefined): string | undefined {
  const badlyFormed = 'MS-CHAPv2 Success packet is badly formed.';
  if (message.length < AUTH_RESPONSE_LEN + 2 || message[0] !== 0x53 /* S */ || message[1] !== 0x3d /* = */) return badlyFormed;
  const got = message.subarray(0, 2 + AUTH_RESPONSE_LEN);
  if (!expected || expected.length !== got.length || !timingSafeEqual(got, expected)) return 'MS-CHAPv2 mutual authentication failed.';
  // RFC 2759 §5: "S=<auth_string> M=<message>"; pppd also takes "M=" without the space
  // (and nothing at all, as win98-era servers send); anything else is malformed.
  const rest = message.subarray(2 + AUTH_RESPONSE_LEN).toString('latin1');
  if (rest === '' || rest.startsWith(' M=') || rest.startsWith('M=')) return undefined;
  return badlyFormed;
}

interface CacheEntry {
  fingerprint: Buffer;
  value: Buffer;
  state: V2State;
  keys: MppeKeys;
}

/**
 * An MS-CHAPv2 digest with its own response cache. pppd (chapms2_make_response) keeps
 * the last 10 responses and answers a retransmitted Challenge (same Identifier and
 * value) with the same Response: otherwise each answer would carry a fresh
 * Peer-Challenge, and the server's S= (for whichever answer it judged) would not match
 * the last one we sent. The cache is keyed on a SHA-256 fingerprint of identifier,
 * challenge, our name and secret, so one digest object may serve several sessions.
 */
export function createMsChapV2Digest(): ChapDigest {
  const cache: CacheEntry[] = [];
  const CACHE_SIZE = 10; // pppd CHAPMS2_MAX_RESPONSE_CACHE_SIZE

  return {
    code: CHAP_MICROSOFT_V2,
    name: 'MS-CHAP-v2',
    // RFC 2759 §3 / pppd chapms2_generate_challenge: always 16 octets.
    generateChallenge: (random) => random(16),

    verifyResponse({ name, secret, challenge, response }): ChapVerdict {
      const ch = fixed(challenge, 16);
      if (response.length === MS_CHAP_RESPONSE_LEN) {
        const peerChallenge = response.subarray(V2_PEER_CHALLENGE, V2_PEER_CHALLENGE + 16);
        // ChallengeHash hashes the name as received minus any "DOMAIN\" (RFC 2759 §8.2).
        const expected = generateNtResponse(ch, peerChallenge, name, secret);
        const got = response.subarray(V2_NTRESP, V2_NTRESP + 24);
        const ok = timingSafeEqual(got, expected);
        expected.fill(0);
        if (ok) {
          const auth = generateAuthenticatorResponse(secret, got, peerChallenge, ch, name);
          // RFC 2759 §5 wants "S=<auth> M=<message>". pppd leaves out M= when the peer set
          // the Flags octet (which RFC 2759 says must be zero): win98 does, and reports
          // the M= part as an error.
          const message = response[V2_FLAGS] ? auth : `${auth} M=Access granted`;
          return { ok: true, message: Buffer.from(message, 'latin1'), keys: msChapV2StartKeys(secret, got, true) };
        }
      }
      // pppd chapms2_verify_response: "E=691 R=1 C=<challenge, lower-case hex> V=0
      // M=Access denied". RFC 2759 §6 describes V=3 for the Change-Password version, but
      // pppd says V=0 (it supports no password change), and we match pppd. R=1 is only
      // wording: like pppd, no further Response is accepted (chap.ts fails the peer).
      return { ok: false, message: Buffer.from(`E=691 R=1 C=${hex(ch)} V=0 M=Access denied`) };
    },

    makeResponse({ id, ourName, challenge, secret, random }) {
      const ch = fixed(challenge, 16);
      const fingerprint = createHash('sha256')
        .update(Buffer.from([id]))
        .update(ch)
        .update(Buffer.from(ourName, 'latin1'))
        .update(Buffer.from([0]))
        .update(secret)
        .digest();
      const hit = cache.find((e) => e.fingerprint.length === fingerprint.length && timingSafeEqual(e.fingerprint, fingerprint));
      if (hit) return { value: Buffer.from(hit.value), state: hit.state, keys: { send: Buffer.from(hit.keys.send), recv: Buffer.from(hit.keys.recv) } };

      const peerChallenge = random(16).subarray(0, 16);
      // ChallengeHash uses our name minus any "DOMAIN\" (RFC 2759 §8.2, pppd ChallengeHash);
      // the Response's Name field (chap.ts) still carries it whole.
      const nt = generateNtResponse(ch, peerChallenge, ourName, secret);
      const value = Buffer.alloc(MS_CHAP_RESPONSE_LEN); // reserved octets and Flags stay 0
      peerChallenge.copy(value, V2_PEER_CHALLENGE);
      nt.copy(value, V2_NTRESP);
      const state: V2State = { expected: Buffer.from(generateAuthenticatorResponse(secret, nt, peerChallenge, ch, ourName), 'latin1') };
      const keys = msChapV2StartKeys(secret, nt, false);

      cache.push({ fingerprint, value: Buffer.from(value), state, keys: { send: Buffer.from(keys.send), recv: Buffer.from(keys.recv) } });
      if (cache.length > CACHE_SIZE) {
        const old = cache.shift()!;
        old.keys.send.fill(0);
        old.keys.recv.fill(0);
      }
      return { value, state, keys };
    },

    /**
     * pppd chapms2_check_success. A wrong or missing S= fails; the reason goes to `log`
     * (pppd logs it with error()). NOTE: ChapDigest.checkSuccess has no log channel yet;
     * `log` is an optional extra the CHAP client can pass (see the report).
     */
    checkSuccess(a: { id: number; message: Buffer; state: unknown; log?: (line: string) => void }): boolean {
      const problem = msChapV2SuccessProblem(a.message, isV2State(a.state) ? a.state.expected : undefined);
      if (problem !== undefined) a.log?.(problem);
      return problem === undefined;
    },

    describeFailure: describeMsChapFailure,
  };
}

/** MS-CHAPv2 (RFC 2759), as pppd's chapms2_digest. */
export const msChapV2Digest: ChapDigest = createMsChapV2Digest();
