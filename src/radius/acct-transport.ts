/**
 * Accounting over the one RADIUS client (client.ts): a spooled record becomes an
 * Accounting-Request (attributes from acct-packet.ts, Acct-Delay-Time as of sending) handed to
 * the client, which owns identifiers, retransmission with backoff, failover over the
 * `radius-acct` servers in order and dead-server detection (RFC 2866 §2: the NAS retransmits
 * until it gets an Accounting-Response; the client takes only one whose Response Authenticator
 * verifies, RFC 2866 §3). Sans-IO: `ask` is the client's request (the UDP shell's in the isp,
 * RadiusClientCore on a virtual clock in tests).
 */
import { RadiusCode } from './packet.js';
import { acctAttributes, type NasIdentity } from './acct-packet.js';
import type { AcctTransport } from './accounting.js';
import type { RadiusRequest, RadiusResult } from './client.js';

export function acctTransport(ask: (req: RadiusRequest) => Promise<RadiusResult>, nas: NasIdentity, log?: (m: string) => void): AcctTransport {
  return async (record, delaySeconds) => {
    // A retransmission by the client repeats the same bytes (same Identifier and
    // Acct-Delay-Time); a later try from the spool is a new request with the delay updated
    // (RFC 2866 §5.2: a new Identifier when Acct-Delay-Time changes).
    const r = await ask({ code: RadiusCode.AccountingRequest, attributes: acctAttributes(record, delaySeconds, nas) });
    if (!r.ok) log?.(`radius-acct: no Accounting-Response (${r.reason}); the ${record.status} record stays spooled`);
    return r.ok;
  };
}
