/**
 * RFC 5176 Dynamic Authorization (the DAE listener, `dae-listen ADDR:PORT`): the AAA side
 * sends Disconnect-Request (end a session) and CoA-Request (change a live session's
 * Session-Timeout / Idle-Timeout / Filter-Id). Sans-IO core (DaeCore: datagram, source and
 * time in; a reply datagram or nothing out); the UDP shell is src/runtime/dae-udp.ts.
 *
 *  - Only `dae-client ADDR SECRET` sources are heard; others are silently dropped and counted.
 *  - The Request Authenticator (RFC 5176 §2.3: as for Accounting-Request) and any
 *    Message-Authenticator must verify with that client's secret, else the request is silently
 *    discarded and counted (§3: "silently discarded").
 *  - Replays (RFC 5176 §3.1 and §4.2, RFC 2869 §5.3): a request whose Event-Timestamp is
 *    outside `window` seconds of our clock is discarded and counted; a request without one is
 *    served but counted (`noTimestamp`), or refused when `requireTimestamp` is set. An exact
 *    duplicate (same client, Identifier and authenticator) within the window gets the cached
 *    reply again, without acting twice (§2.3).
 *  - Sessions are identified (§3) by User-Name, Acct-Session-Id and/or Framed-IP-Address; all
 *    given must match. No identification: NAK 402 Missing-Attribute; no match: NAK 503
 *    Session-Context-Not-Found; an attribute we cannot act on: NAK 401 Unsupported-Attribute.
 */
import { RadiusCode, decodePacket, encodePacket, findAttribute, attr, bufferToIpv4, bufferToInteger, type RadiusAttribute, type RadiusPacket } from './packet.js';
import { signResponse, verifyAccountingRequest, MESSAGE_AUTHENTICATOR } from './crypto.js';
import { A } from './acct-packet.js';

/** Error-Cause values (RFC 5176 §3.5). */
export const ERROR_CAUSE = {
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  SessionContextNotFound: 503,
  SessionContextNotRemovable: 504,
  ResourcesUnavailable: 506,
} as const;

export interface DaeSession {
  id: number;
  user?: string;
  address?: string;
  acctSessionId?: string;
}

/** What the listener asks of the access server. */
export interface DaeTarget {
  liveSessions(): DaeSession[];
  /** Ends a session (Acct-Terminate-Cause Admin-Reset). */
  adminReset(id: number, why: string): boolean;
  setLimits(id: number, l: { sessionTimeout?: number; idleTimeout?: number; filterId?: string }): boolean;
}

export interface DaeClient {
  address: string;
  secret: string;
}

export interface DaeOptions {
  clients: DaeClient[];
  /** Seconds of Event-Timestamp skew accepted. */
  window: number;
  requireTimestamp?: boolean;
  target: DaeTarget;
  log?(m: string): void;
}

/** Attributes that only identify the session or the NAS, or protect the packet. */
const IDENTIFYING = new Set<number>([A.UserName, A.AcctSessionId, A.FramedIpAddress, A.NasIpAddress, A.NasIdentifier, A.NasPort, A.CallingStationId, A.CalledStationId, A.AcctMultiSessionId, A.EventTimestamp, MESSAGE_AUTHENTICATOR, 95 /* NAS-IPv6-Address */, 24 /* State */, 101 /* Error-Cause */, 18 /* Reply-Message */, A.AcctTerminateCause]);
/** What a CoA-Request may change here. */
const CHANGEABLE = new Set<number>([A.SessionTimeout, A.IdleTimeout, A.FilterId]);
const MAX_DUPLICATES = 4096;

export class DaeCore {
  readonly counters = {
    requests: 0, unknownClients: 0, badAuthenticators: 0, malformed: 0, replays: 0, noTimestamp: 0, duplicates: 0,
    disconnectAcks: 0, disconnectNaks: 0, coaAcks: 0, coaNaks: 0, unsupportedCodes: 0,
  };
  /** Replies by client+Identifier+authenticator, for duplicates; bounded, oldest first out. */
  private readonly replies = new Map<string, { at: number; reply: Buffer }>();

  constructor(private readonly o: DaeOptions) {}

  /** One datagram from `from` at epoch ms `now`: the reply to send back, or undefined (dropped). */
  handle(datagram: Buffer, from: string, now: number): Buffer | undefined {
    this.counters.requests++;
    const client = this.o.clients.find((c) => c.address === from);
    if (!client) {
      this.counters.unknownClients++;
      return undefined;
    }
    const d = decodePacket(datagram);
    if (!d.ok) {
      this.counters.malformed++;
      return undefined;
    }
    const p = d.packet;
    const secret = Buffer.from(client.secret);
    const pkt = datagram.subarray(0, datagram.readUInt16BE(2));
    if (!verifyAccountingRequest(pkt, secret).ok) {
      this.counters.badAuthenticators++;
      return undefined;
    }
    const key = `${from}/${p.identifier}/${p.authenticator.toString('hex')}`;
    const seen = this.replies.get(key);
    if (seen && now - seen.at <= this.o.window * 1000) {
      this.counters.duplicates++;
      return seen.reply;
    }
    const ts = findAttribute(p, A.EventTimestamp);
    if (ts) {
      const t = bufferToInteger(ts);
      if (t === undefined || Math.abs(now / 1000 - t) > this.o.window) {
        this.counters.replays++;
        this.o.log?.(`dae: request from ${from} with Event-Timestamp ${t ?? '?'} outside ${this.o.window} s: discarded`);
        return undefined;
      }
    } else {
      this.counters.noTimestamp++;
      if (this.o.requireTimestamp) {
        this.counters.replays++;
        return undefined;
      }
    }
    let reply: Buffer;
    if (p.code === RadiusCode.DisconnectRequest) reply = this.disconnect(p, from);
    else if (p.code === RadiusCode.CoaRequest) reply = this.coa(p, from);
    else {
      this.counters.unsupportedCodes++;
      return undefined;
    }
    const signed = signResponse(encodePacket({ code: reply[0]!, identifier: p.identifier, authenticator: p.authenticator, attributes: attrsOf(reply) }), p.authenticator, secret);
    this.replies.set(key, { at: now, reply: signed });
    if (this.replies.size > MAX_DUPLICATES) this.replies.delete(this.replies.keys().next().value!);
    return signed;
  }

  private match(p: RadiusPacket): DaeSession[] | number {
    const user = findAttribute(p, A.UserName)?.toString('utf8');
    const sid = findAttribute(p, A.AcctSessionId)?.toString('utf8');
    const ipb = findAttribute(p, A.FramedIpAddress);
    const ip = ipb ? bufferToIpv4(ipb) : undefined;
    if (user === undefined && sid === undefined && ip === undefined) return ERROR_CAUSE.MissingAttribute;
    const found = this.o.target.liveSessions().filter((s) => (user === undefined || s.user === user) && (sid === undefined || s.acctSessionId === sid) && (ip === undefined || s.address === ip));
    return found.length ? found : ERROR_CAUSE.SessionContextNotFound;
  }

  private disconnect(p: RadiusPacket, from: string): Buffer {
    const unsupported = p.attributes.find((a) => !IDENTIFYING.has(a.type));
    if (unsupported) return this.nak(RadiusCode.DisconnectNak, ERROR_CAUSE.UnsupportedAttribute);
    const m = this.match(p);
    if (typeof m === 'number') return this.nak(RadiusCode.DisconnectNak, m);
    for (const s of m) this.o.target.adminReset(s.id, `Disconnect-Request from ${from}`);
    this.counters.disconnectAcks++;
    return reply(RadiusCode.DisconnectAck, []);
  }

  private coa(p: RadiusPacket, from: string): Buffer {
    const unsupported = p.attributes.find((a) => !IDENTIFYING.has(a.type) && !CHANGEABLE.has(a.type));
    if (unsupported) return this.nak(RadiusCode.CoaNak, ERROR_CAUSE.UnsupportedAttribute);
    const int = (t: number) => {
      const v = findAttribute(p, t);
      return v ? bufferToInteger(v) : undefined;
    };
    const change = { sessionTimeout: int(A.SessionTimeout), idleTimeout: int(A.IdleTimeout), filterId: findAttribute(p, A.FilterId)?.toString('utf8') };
    if (change.sessionTimeout === undefined && change.idleTimeout === undefined && change.filterId === undefined) return this.nak(RadiusCode.CoaNak, ERROR_CAUSE.MissingAttribute);
    const m = this.match(p);
    if (typeof m === 'number') return this.nak(RadiusCode.CoaNak, m);
    for (const s of m) this.o.target.setLimits(s.id, change);
    this.o.log?.(`dae: CoA-Request from ${from}: ${m.length} session(s): ${JSON.stringify(change)}`);
    this.counters.coaAcks++;
    return reply(RadiusCode.CoaAck, []);
  }

  private nak(code: number, cause: number): Buffer {
    if (code === RadiusCode.DisconnectNak) this.counters.disconnectNaks++;
    else this.counters.coaNaks++;
    return reply(code, [attr.integer(A.ErrorCause, cause)]);
  }
}

/** A reply before signing: code and attributes, carried as an unsigned packet. */
function reply(code: number, attributes: RadiusAttribute[]): Buffer {
  return encodePacket({ code, identifier: 0, authenticator: Buffer.alloc(16), attributes });
}

function attrsOf(pkt: Buffer): RadiusAttribute[] {
  const d = decodePacket(pkt);
  return d.ok ? d.packet.attributes : [];
}
