// EAP over RADIUS (RFC 3579) for the PPP core's pass-through authenticator: each EAP-Response
// goes in an Access-Request as EAP-Message attributes, each Access-Challenge brings the next
// EAP-Request, and Access-Accept / Access-Reject end it. The session's grant (Framed-IP-Address,
// Session-Timeout, Class, ...) comes from the Access-Accept exactly as for PAP and CHAP.
//
// - RFC 3579 §3.1: an EAP packet longer than 253 octets is split over several EAP-Messages, in
//   order; the server's are concatenated.
// - §3.2: every request carries a Message-Authenticator (the client adds it) and every reply
//   must carry a valid one: the client drops those that do not (requireMessageAuthenticator),
//   so a forged or stripped reply is as good as lost.
// - RFC 3579 §2.4: every Access-Request carries Framed-MTU so the server's EAP packets fit the
//   peer's LCP MRU: it "MUST NOT send any subsequent packet in this EAP conversation" whose
//   EAP-Messages exceed it. FreeRADIUS 3 reads Framed-MTU as the TLS data per EAP-TLS fragment
//   and adds the 10-octet EAP-TLS header (RFC 5216 §3.1) on top (measured: Framed-MTU 296 gave
//   306-octet EAP-Requests), so we send the MRU less that header, still within the RFC. A
//   server that ignores it anyway and sends an EAP-Request longer than the MRU ends the
//   exchange here, logged: the peer would discard the frame (ppp_async drops what exceeds its
//   MRU) and both ends would wait out their timers for nothing.
// - RFC 2865 §5.24 / RFC 3579 §2.6.1: the State of an Access-Challenge is echoed unmodified.
// - Bounds: at most `maxRounds` Access-Challenges per exchange; an EAP packet larger than
//   MAX_EAP octets is refused; an answer for a round that is not the current one is dropped.

import { attr, findAttribute, findAttributes, findVendorAttribute, RadiusCode, type RadiusAttribute, MAX_ATTRIBUTE_VALUE } from './packet.js';
import { accessRequestFor, verdictFrom, type RadiusAskOptions } from './access.js';
import type { RadiusRequest, RadiusResult } from './client.js';
import { decryptMppeKey } from './crypto.js';
import { MICROSOFT_VENDOR_ID } from './dictionary.js';
import type { MppeKeys } from '../ppp/auth/chap-digest.js';
import type { EapRelay, EapRelayAnswer, EapRelayExchange } from '../ppp/auth/eap-pass-through.js';

export const EAP_MESSAGE = 79;
const STATE = 24;
const FRAMED_MTU = 12;
/** Code, Identifier, Length, Type, Flags and TLS Message Length (RFC 5216 §3.1). */
const EAP_TLS_HEADER = 10;

/** Challenges allowed in one exchange at 1 KB fragments: EAP-TLS needs about a dozen. */
export const DEFAULT_MAX_ROUNDS = 32;
/** The server's fragment size DEFAULT_MAX_ROUNDS is counted for (FreeRADIUS's default). */
const BUDGET_FRAGMENT = 1024;
/** The largest EAP packet carried either way (a PPP MRU's worth, well inside RADIUS's 4096). */
export const MAX_EAP = 2048;

/** RFC 3579 §3.1: the packet in consecutive EAP-Message attributes of at most 253 octets. */
export function eapMessageAttributes(eap: Buffer): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  for (let i = 0; i < eap.length; i += MAX_ATTRIBUTE_VALUE) out.push({ type: EAP_MESSAGE, value: eap.subarray(i, i + MAX_ATTRIBUTE_VALUE) });
  return out;
}

/**
 * The Access-Challenges allowed for a peer whose MRU is `linkMtu`: a small MRU makes the
 * server cut the same handshake into more fragments (Framed-MTU, RFC 3579 §2.4), each one a
 * round, so the bound keeps the same octets' worth: 32 rounds at 1 KB fragments, 278 at
 * pppd's smallest MRU (128). A bound still, as each round's packet is bounded by the MRU.
 */
export function maxRoundsFor(linkMtu: number | undefined): number {
  if (linkMtu === undefined) return DEFAULT_MAX_ROUNDS;
  const fragment = Math.max(1, linkMtu - EAP_TLS_HEADER);
  return Math.max(DEFAULT_MAX_ROUNDS, Math.ceil((DEFAULT_MAX_ROUNDS * BUDGET_FRAGMENT) / fragment));
}

export interface RadiusEapRelayOptions extends RadiusAskOptions {
  /** A fixed bound on Access-Challenges; by default maxRoundsFor(the link's MTU). */
  maxRounds?: number;
  /** The largest EAP packet the peer takes (its LCP MRU, RFC 1661 §6.1), sent as Framed-MTU. */
  linkMtu?: () => number | undefined;
}

/** What one RADIUS answer means for the EAP exchange (pure, for tests and the relay). */
export function eapAnswerFrom(r: RadiusResult): { answer: EapRelayAnswer; why: string; state?: Buffer } {
  if (!r.ok) return { answer: { kind: 'failure' }, why: `no RADIUS answer (${r.reason})` };
  const p = r.response;
  const parts = findAttributes(p, EAP_MESSAGE);
  const eap = parts.length ? Buffer.concat(parts) : undefined;
  const code = eap && eap.length >= 4 ? eap[0] : undefined;
  if (p.code === RadiusCode.AccessChallenge) {
    // RFC 3579 carries the next EAP-Request in the Challenge; without one we cannot go on.
    if (!eap || code !== 1 || eap.length > MAX_EAP) return { answer: { kind: 'failure' }, why: 'Access-Challenge without an EAP-Request' };
    return { answer: { kind: 'request', packet: eap }, why: 'Access-Challenge', state: findAttribute(p, STATE) };
  }
  if (p.code === RadiusCode.AccessAccept) {
    // An Access-Accept whose EAP-Message is an EAP-Failure contradicts itself: fail safe.
    if (code === 4) return { answer: { kind: 'failure', packet: eap }, why: 'Access-Accept carrying EAP-Failure' };
    return { answer: { kind: 'success', packet: code === 3 ? eap : undefined }, why: 'Access-Accept' };
  }
  return { answer: { kind: 'failure', packet: code === 4 ? eap : undefined }, why: 'Access-Reject' };
}

/** The PPP core's EAP relay for one session, asking through `ask` (a RadiusUdpClient's request). */
export function radiusEapRelay(o: RadiusEapRelayOptions): EapRelay {
  return (identity): EapRelayExchange => {
    // LCP is done before EAP starts, so the MRU is known and fixed for the exchange.
    const maxRounds = o.maxRounds ?? maxRoundsFor(o.linkMtu?.());
    let state: Buffer | undefined;
    let challenges = 0;
    let round = 0;
    let closed = false;
    const user = JSON.stringify(identity);
    return {
      close: () => {
        closed = true;
        round++;
      },
      forward: (response, answer) => {
        const mine = ++round;
        if (closed) return;
        if (challenges === 0 && o.admit && !o.admit(identity)) return answer({ kind: 'failure' });
        // User-Name and the NAS's attributes as for PAP (an empty password is never sent:
        // userPassword is dropped), then the EAP-Message pieces and the State.
        const base = accessRequestFor({ method: 'pap', user: identity, password: Buffer.alloc(0) }, o.nas, o.call());
        // RFC 2865 §5.1: User-Name holds at most 253 octets; a longer Identity cannot be carried.
        if (!base || response.length > MAX_EAP || Buffer.byteLength(identity) > MAX_ATTRIBUTE_VALUE) {
          o.log(`RADIUS: cannot carry this EAP-Response for ${user}`);
          return answer({ kind: 'failure' });
        }
        const attributes = [...base.attributes, ...eapMessageAttributes(response)];
        const mtu = o.linkMtu?.();
        if (mtu !== undefined) attributes.push(attr.integer(FRAMED_MTU, Math.max(0, mtu - EAP_TLS_HEADER)));
        if (state) attributes.push({ type: STATE, value: state });
        const req: RadiusRequest = { code: RadiusCode.AccessRequest, attributes, requireMessageAuthenticator: true };
        void o.ask(req).catch((): RadiusResult => ({ ok: false, reason: 'stopped' })).then((r) => {
          if (closed || mine !== round) return; // a reply for a stale round
          const { answer: a, why, state: s } = eapAnswerFrom(r);
          if (a.kind === 'request') {
            const mru = o.linkMtu?.();
            if (mru !== undefined && a.packet.length > mru) {
              o.log(`RADIUS: an EAP-Request of ${a.packet.length} octets for ${user} exceeds the peer's MRU ${mru} (Framed-MTU ignored); giving up`);
              return answer({ kind: 'failure' });
            }
            if (++challenges > maxRounds) {
              o.log(`RADIUS: more than ${maxRounds} Access-Challenges for ${user}; giving up`);
              return answer({ kind: 'failure' });
            }
            state = s && Buffer.from(s);
            return answer(a);
          }
          o.log(`RADIUS: ${why} (EAP) for ${user}`);
          if (a.kind === 'success' && r.ok) {
            // The grant as access.ts reads it for a PAP Accept (no method-specific attributes).
            const g = verdictFrom({ method: 'pap', user: identity, password: Buffer.alloc(0) }, r).grant;
            if (g) o.granted(g);
          }
          if (a.kind === 'success' && r.ok) a.keys = mppeKeys(r);
          answer(a);
        });
      },
    };
  };
}

/**
 * RFC 2548 §2.4.2-§2.4.3: the keys a key-deriving EAP method (EAP-TLS, PEAP) left in the
 * Access-Accept; MS-MPPE-Send-Key is what the NAS sends with, its first 16 octets the MPPE
 * start key (RFC 3079 §3.4). EAP-MD5 derives none.
 */
function mppeKeys(r: Extract<RadiusResult, { ok: true }>): MppeKeys | undefined {
  const get = (t: number) => {
    const v = findVendorAttribute(r.response, MICROSOFT_VENDOR_ID, t);
    return v && decryptMppeKey(v, r.secret, r.requestAuthenticator);
  };
  const send = get(16);
  const recv = get(17);
  return send && recv && send.length >= 16 && recv.length >= 16 ? { send: Buffer.from(send.subarray(0, 16)), recv: Buffer.from(recv.subarray(0, 16)) } : undefined;
}
