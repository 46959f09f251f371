/**
 * EAP (RFC 3748) over PPP with the MD5-Challenge method (RFC 3748 §5.4), both roles, with
 * the timers, counters and log lines of pppd 2.4.9's pppd/eap.c (built without SRP, the
 * default). Only MD5-Challenge authenticates; Identity, Notification and Nak are handled
 * as RFC 3748 §5.1-§5.3 require.
 *
 * pppd's options map onto the two classes as follows (pppd(8), eap.c eap_option_list):
 *   eap-restart  → EapServer `restart`     (es_server.ea_timeout: retransmit interval)
 *   eap-max-sreq → EapServer `maxRequests` (es_server.ea_maxrequests: Requests per exchange)
 *   eap-interval → EapServer `interval`    (es_rechallenge)
 *   eap-timeout  → EapClient `timeout`     (es_client.ea_timeout: wait for the next Request)
 *   eap-max-rreq → EapClient `maxRequests` (es_client.ea_maxrequests)
 * pppd's eap-timeout belongs to the authenticatee, not the authenticator: the server has no
 * overall deadline beyond eap-restart × eap-max-sreq.
 */
import { chapMd5 } from './chap-md5.js';
import { timingSafeEqual } from 'node:crypto';
import type { AuthHost } from './host.js';
import type { Timer } from '../timers.js';
import { PROTO_EAP } from '../protocols.js';
import { shortOption, type AuthMethod } from './methods.js';
import { EapPassThroughServer } from './eap-pass-through.js';
import { emitEap } from './eap-packet.js';

// RFC 3748 §4: Code.
const Request = 1;
const Response = 2;
const Success = 3;
const Failure = 4;

// RFC 3748 §5: Type.
const TypeIdentity = 1;
const TypeNotification = 2;
const TypeNak = 3;
const TypeMd5 = 4;

/** RFC 3748 §5.4 (by reference to RFC 1994): the MD5 response is one 16-octet digest. */
const MD5_SIZE = 16;

// pppd eap.h MIN_CHALLENGE_LENGTH / MAX_CHALLENGE_LENGTH: a challenge of 16..23 octets.
const MIN_CHALLENGE = 16;
const MAX_CHALLENGE = 24;

/** Counters of what input() threw away (RFC 3748 §4 "silently discard"). */
export interface EapStats {
  /** Packets dropped: too short, Length past the end, unknown Code, empty or malformed Type-Data, stale Identifier. */
  discarded: number;
}

interface EapPacket {
  code: number;
  id: number;
  /** Everything after the 4-octet header, exactly Length - 4 octets. */
  data: Buffer;
}

/**
 * RFC 3748 §4: Code, Identifier, Length, Data. A Length shorter than the header or longer
 * than what arrived means discard; octets beyond Length are padding (§4: "treated as
 * Data Link Layer padding").
 */
function parseEap(buf: Buffer): { pkt: EapPacket } | { error: string } {
  if (buf.length < 4) return { error: `EAP: packet too short: ${buf.length} < 4` };
  const len = buf.readUInt16BE(2);
  if (len < 4 || len > buf.length) return { error: `EAP: packet has illegal length field ${len} (4..${buf.length})` };
  return { pkt: { code: buf[0]!, id: buf[1]!, data: buf.subarray(4, len) } };
}


/** A C string: pppd copies names into char arrays, so a NUL ends them. */
function cString(b: Uint8Array): Buffer {
  const buf = Buffer.from(b);
  const nul = buf.indexOf(0);
  return nul < 0 ? buf : buf.subarray(0, nul);
}

const HEX = '0123456789abcdef';

/** pppd vslprintf `%.*q`: quoted, `"` and `\` escaped, control octets as \t \n \b \f or \xHH; stops at NUL. */
function pppdQ(b: Uint8Array): string {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    if (c === 0x22 || c === 0x5c) s += '\\';
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      const esc: Record<number, string> = { 9: 't', 10: 'n', 8: 'b', 12: 'f' };
      s += `\\${esc[c] ?? `x${HEX[c >> 4]}${HEX[c & 0xf]}`}`;
    } else s += String.fromCharCode(c);
  }
  return s;
}

/** pppd vslprintf `%0.*v`: visible, high bit as `M-`, control octets as `^X` (tab kept); NULs included. */
function pppdV(b: Uint8Array): string {
  let s = '';
  for (let c of b) {
    if (c >= 0x80) {
      s += 'M-';
      c -= 0x80;
    }
    if ((c < 0x20 || c === 0x7f) && c !== 9) s += `^${String.fromCharCode(c ^ 0x40)}`;
    else s += String.fromCharCode(c);
  }
  return s;
}

export interface EapServerConfig {
  /** Our name, sent as the MD5-Challenge's Name (pppd `name`, default the host name). */
  name: string;
  /** eap-restart, seconds between retransmissions of an unanswered Request (pppd default 3). */
  restart: number;
  /**
   * eap-max-sreq: Requests sent in one exchange, retransmissions included, before giving up
   * with a Failure (pppd default 10; 0 = no limit). pppd counts every Request, not per Request.
   */
  maxRequests: number;
  /** eap-interval, seconds: re-challenge this long after each success (0 = never). */
  interval: number;
  /**
   * pppd `remotename`: the peer's name is known, so pppd skips Request/Identity and looks
   * the secret up under this name.
   */
  remoteName?: string;
  /** The secret the named peer should know, or undefined when there is none. */
  secretFor(peer: string): Buffer | undefined;
}

type ServerState = 'idle' | 'identify' | 'md5' | 'open' | 'badauth';

/** The authenticator (pppd eap "server"): Identity, then MD5-Challenge, then Success or Failure. */
export class EapServer {
  readonly stats: EapStats = { discarded: 0 };
  private state: ServerState = 'idle';
  private id = 0;
  /** Requests sent in this exchange (pppd ea_requests), retransmissions included. */
  private requests = 0;
  /** Responses with the expected Identifier (pppd ea_responses): only chooses the give-up wording. */
  private responses = 0;
  private peer: Buffer | undefined;
  private challenge: Buffer = Buffer.alloc(0);
  /** The Request in flight; a retransmission repeats it octet for octet. */
  private packet: Buffer | undefined;
  private everSucceeded = false;
  private readonly retransmit: Timer;
  private readonly rechallenge: Timer;

  constructor(private readonly cfg: EapServerConfig, private readonly host: AuthHost) {
    this.retransmit = host.timers.create(() => this.retransmitTimeout());
    this.rechallenge = host.timers.create(() => this.rechallengeTimeout());
  }

  start(): void {
    this.retransmit.stop();
    this.rechallenge.stop();
    // pppd eap_init: the first Identifier is random (RFC 3748 §4: unique per Request).
    this.id = this.host.randomBytes(1)[0]!;
    this.requests = 0;
    this.responses = 0;
    this.everSucceeded = false;
    this.peer = undefined;
    this.state = 'identify';
    // pppd eap_send_request: with an explicit remotename "there's no reason to ask".
    if (this.cfg.remoteName !== undefined) {
      this.peer = Buffer.from(this.cfg.remoteName, 'latin1');
      this.state = 'md5';
    }
    this.newRequest();
  }

  stop(): void {
    this.retransmit.stop();
    this.rechallenge.stop();
    this.state = 'idle';
  }

  input(raw: Buffer): void {
    const parsed = parseEap(raw);
    if ('error' in parsed) {
      // pppd logs these at error; both roles see every EAP packet here, so keep it quiet.
      if (this.state !== 'idle') this.host.log('debug', parsed.error);
      this.stats.discarded++;
      return;
    }
    const { pkt } = parsed;
    if (pkt.code === Request || pkt.code === Success || pkt.code === Failure) return; // the client's
    if (pkt.code !== Response) {
      if (this.state !== 'idle') this.host.log('debug', `EAP: unknown code ${pkt.code} received`);
      this.stats.discarded++;
      return;
    }
    // Only an exchange in progress takes Responses; after the verdict a late or repeated
    // Response must not undo it (pppd would, on a matching Identifier).
    if (this.state !== 'identify' && this.state !== 'md5') return;
    // RFC 3748 §4.1: a Response answers the Request with the same Identifier; others are stale.
    if (pkt.id !== this.id) {
      this.host.log('debug', `EAP: discarding Response ${pkt.id}; expected ID ${this.id}`);
      this.stats.discarded++;
      return;
    }
    this.responses++;
    if (pkt.data.length === 0) {
      // RFC 3748 §4.1: a Response always carries a Type; the retransmission timer keeps running.
      this.host.log('error', 'EAP: empty Response message discarded');
      this.stats.discarded++;
      return;
    }
    const type = pkt.data[0]!;
    const body = pkt.data.subarray(1);
    switch (type) {
      case TypeIdentity:
        if (this.state !== 'identify') {
          this.host.log('debug', `EAP discarding unwanted Identify "${pppdQ(body)}"`);
          this.stats.discarded++;
          break;
        }
        // RFC 3748 §5.1: the Identity is unauthenticated until the method succeeds.
        this.host.log('info', `EAP: unauthenticated peer name "${pppdQ(body)}"`);
        this.peer = cString(body);
        this.state = 'md5';
        break;
      case TypeNotification:
        // RFC 3748 §5.2: a Notification Response only acknowledges; we never send the Request.
        this.host.log('debug', 'EAP unexpected Notification; response discarded');
        this.stats.discarded++;
        break;
      case TypeNak:
        this.nak(body);
        break;
      case TypeMd5:
        this.md5Response(pkt.id, body);
        break;
      default:
        this.host.log('error', `EAP: unknown Response type ${type}; ignored`);
        this.stats.discarded++;
        return;
    }
    // pppd eap_response: the Request is answered; the next one (if any) gets a new Identifier.
    this.retransmit.stop();
    if (this.state === 'identify' || this.state === 'md5') {
      this.id = (this.id + 1) & 0xff;
      this.newRequest();
    }
  }

  /** RFC 3748 §5.3.1: the peer does not want the method we asked for, and lists what it wants. */
  private nak(body: Buffer): void {
    if (body.length === 0) {
      this.host.log('info', 'EAP: Nak Response with no suggested protocol');
      return this.fail();
    }
    // §5.3.1: a Nak is only valid in reply to an authentication Type; Identity cannot be Naked.
    if (this.state === 'identify') return this.fail();
    // §5.3.1: one octet per acceptable Type (0 = none). MD5-Challenge is all we offer, so a
    // list containing it continues with a fresh challenge, and anything else ends in Failure
    // (pppd instead re-challenges with MD5 until eap-max-sreq runs out).
    if (body.includes(TypeMd5)) {
      this.state = 'md5';
      return;
    }
    this.host.log('debug', `EAP: peer requesting unknown Type ${body[0]}`);
    this.fail();
  }

  /** RFC 3748 §5.4 with RFC 1994 §4.1: Value-Size, Value = MD5(Identifier, secret, challenge), Name. */
  private md5Response(id: number, body: Buffer): void {
    if (this.state !== 'md5') {
      this.host.log('error', 'EAP: unexpected MD5-Response');
      return this.fail();
    }
    if (body.length === 0) {
      this.host.log('error', 'EAP: received MD5-Response with no data');
      return this.fail();
    }
    const size = body[0]!;
    if (size !== MD5_SIZE || size > body.length - 1) {
      this.host.log('error', `EAP: MD5-Response with bad length ${size}`);
      return this.fail();
    }
    const value = body.subarray(1, 1 + MD5_SIZE);
    // The secret is chosen by the name we authenticate (the Identity, or remotename), so the
    // name handed to the session is the one whose secret was proven. pppd looks the secret up
    // under the Response's Name field but reports the Identity; we do not let the two differ.
    const peer = this.peer ?? Buffer.alloc(0);
    const peerName = peer.toString('latin1');
    const secret = this.cfg.secretFor(peerName);
    if (!secret) {
      this.host.log('debug', `EAP: no MD5 secret for auth of ${pppdQ(peer)}`);
      return this.fail();
    }
    const expected = chapMd5(id, secret, this.challenge);
    secret.fill(0);
    if (!timingSafeEqual(expected, value)) return this.fail();
    this.succeed();
  }

  private succeed(): void {
    // pppd eap_send_success bumps the Identifier before sending, and so do we so that debug
    // logs match pppd's. RFC 3748 §4.2 says Success/Failure MUST carry the Identifier of the
    // Response they answer; peers (pppd among them) do not check it.
    this.id = (this.id + 1) & 0xff;
    this.state = 'open';
    this.retransmit.stop();
    if (this.cfg.interval > 0) this.rechallenge.start(this.cfg.interval * 1000);
    this.host.send(emitEap(Success, this.id));
    if (!this.everSucceeded) {
      this.everSucceeded = true;
      this.host.done(true, this.peer?.toString('latin1'));
    }
  }

  /** pppd eap_send_failure: Failure (RFC 3748 §4.2) ends the exchange and the link. */
  private fail(): void {
    this.id = (this.id + 1) & 0xff;
    this.state = 'badauth';
    this.retransmit.stop();
    this.rechallenge.stop();
    this.host.send(emitEap(Failure, this.id));
    this.host.done(false, this.peer?.toString('latin1'));
  }

  /** pppd eap_send_request for a new Request: the give-up check, then Identity or MD5-Challenge. */
  private newRequest(): void {
    if (this.giveUp()) return;
    if (this.state === 'identify') {
      // RFC 3748 §5.1: the Type-Data of Request/Identity is an optional prompt; pppd's is "Name".
      this.packet = emitEap(Request, this.id, Buffer.concat([Buffer.from([TypeIdentity]), Buffer.from('Name')]));
    } else {
      const r = this.host.randomBytes(1)[0]!;
      const size = MIN_CHALLENGE + (r % (MAX_CHALLENGE - MIN_CHALLENGE));
      this.challenge = Buffer.from(this.host.randomBytes(size).subarray(0, size));
      const name = Buffer.from(this.cfg.name, 'latin1');
      this.packet = emitEap(Request, this.id, Buffer.concat([Buffer.from([TypeMd5, size]), this.challenge, name]));
    }
    this.transmit();
  }

  private transmit(): void {
    // Count and arm first: the answer may arrive (and be handled) before send() returns.
    this.requests++;
    if (this.cfg.restart > 0) this.retransmit.start(this.cfg.restart * 1000);
    this.host.send(this.packet!);
  }

  /** pppd eap_send_request: eap-max-sreq Requests sent in this exchange means Failure. */
  private giveUp(): boolean {
    if (this.cfg.maxRequests <= 0 || this.requests < this.cfg.maxRequests) return false;
    this.host.log('error', this.responses > 0 ? 'EAP: too many Requests sent' : 'EAP: no response to Requests');
    this.fail();
    return true;
  }

  /**
   * RFC 3748 §4.3: an unanswered Request is retransmitted with the same Identifier. pppd draws
   * a new MD5 challenge for it; we resend the same octets so a late Response still verifies.
   */
  private retransmitTimeout(): void {
    if (this.state !== 'identify' && this.state !== 'md5') return;
    if (this.giveUp()) return;
    this.transmit();
  }

  /** pppd eap_rechallenge: a new MD5-Challenge (no new Identity) with a fresh request count. */
  private rechallengeTimeout(): void {
    if (this.state !== 'open') return;
    this.requests = 0;
    this.responses = 0;
    this.state = 'md5';
    this.id = (this.id + 1) & 0xff;
    this.newRequest();
  }
}

export interface EapClientConfig {
  /** The name we authenticate as: the Identity and the MD5 Response's Name (pppd `user`, else `name`). */
  name: string;
  /** pppd `remotename`: when set, it chooses our secret instead of the challenge's Name. */
  remoteName?: string;
  /**
   * eap-max-rreq: Requests accepted (retransmissions included) without a verdict before
   * giving up (pppd default 20; 0 = no limit).
   */
  maxRequests: number;
  /**
   * eap-timeout, seconds: give up when neither a Request nor a verdict arrives for this long,
   * counted from the start and again from each Request answered (pppd default 20; 0 = wait
   * forever). A Success stops it until the next re-challenge Request.
   */
  timeout: number;
  /** Our secret for authenticating to the named server, or undefined. */
  secretFor(server: string): Buffer | undefined;
}

type ClientState = 'idle' | 'listen' | 'open' | 'badauth';

/** The authenticatee (pppd eap "peer"): answers Requests until Success or Failure. */
export class EapClient {
  readonly stats: EapStats = { discarded: 0 };
  private state: ClientState = 'idle';
  /** Requests since the start or the last verdict (pppd ea_requests). */
  private requests = 0;
  private readonly timer: Timer;

  constructor(private readonly cfg: EapClientConfig, private readonly host: AuthHost) {
    this.timer = host.timers.create(() => this.timeout());
  }

  start(): void {
    this.state = 'listen';
    this.requests = 0;
    if (this.cfg.timeout > 0) this.timer.start(this.cfg.timeout * 1000);
  }

  stop(): void {
    this.timer.stop();
    this.state = 'idle';
  }

  input(raw: Buffer): void {
    const parsed = parseEap(raw);
    if ('error' in parsed) {
      if (this.state !== 'idle') this.host.log('debug', parsed.error);
      this.stats.discarded++;
      return;
    }
    const { pkt } = parsed;
    switch (pkt.code) {
      case Request:
        return this.request(pkt.id, pkt.data);
      case Success:
        return this.success(pkt.data);
      case Failure:
        return this.failure(pkt.data);
      case Response:
        return; // the server's
      default:
        // RFC 3748 §4: unknown Codes are silently discarded (there is no Code-Reject).
        if (this.state !== 'idle') this.host.log('debug', `EAP: unknown code ${pkt.code} received`);
        this.stats.discarded++;
    }
  }

  private request(id: number, data: Buffer): void {
    // After a Failure the link is going down; a Success leaves us answering re-challenges.
    if (this.state !== 'listen' && this.state !== 'open') return;
    this.requests++;
    if (this.cfg.maxRequests > 0 && this.requests > this.cfg.maxRequests) {
      this.host.log('info', 'EAP: received too many Request messages');
      return this.giveUp();
    }
    if (data.length === 0) {
      this.host.log('error', 'EAP: empty Request message discarded');
      this.stats.discarded++;
      return;
    }
    const type = data[0]!;
    const body = data.subarray(1);
    switch (type) {
      case TypeIdentity:
        // RFC 3748 §5.1: the Type-Data is a displayable prompt.
        if (body.length) this.host.log('info', `EAP: Identity prompt "${pppdQ(body)}"`);
        this.respond(id, TypeIdentity, Buffer.from(this.cfg.name, 'latin1'));
        break;
      case TypeNotification:
        // RFC 3748 §5.2: display the message, answer with an empty Notification Response.
        if (body.length) this.host.log('info', `EAP: Notification "${pppdQ(body)}"`);
        this.respond(id, TypeNotification, Buffer.alloc(0));
        break;
      case TypeNak:
        // RFC 3748 §5.3: Nak is a Response-only Type; answering it in kind could loop.
        this.host.log('warn', 'EAP: unexpected Nak in Request; ignored');
        this.stats.discarded++;
        return;
      case TypeMd5:
        if (!this.md5Challenge(id, body)) return;
        break;
      default:
        // RFC 3748 §5.3.1: a Request for a Type we do not implement gets a Nak listing ours.
        // (pppd suggests SRP here, which it rarely implements; we suggest what we do.)
        this.host.log('info', `EAP: unknown authentication type ${type}; Naking`);
        this.respond(id, TypeNak, Buffer.from([TypeMd5]));
        break;
    }
    // pppd: each Request answered restarts eap-timeout, re-challenges after a Success included
    // (2.4.9's default build, with EAP-TLS, counts the Open state as active); the verdict stops it.
    if ((this.state === 'listen' || this.state === 'open') && this.cfg.timeout > 0) this.timer.start(this.cfg.timeout * 1000);
  }

  /** RFC 3748 §5.4: returns false when the Request was dropped without an answer. */
  private md5Challenge(id: number, body: Buffer): boolean {
    if (body.length === 0) {
      this.host.log('error', 'EAP: received MD5-Challenge with no data');
      this.stats.discarded++;
      return false;
    }
    const size = body[0]!;
    const rest = body.length - 1;
    if (size < 8 || size > rest) {
      // pppd answers a malformed challenge with a Nak "to try something better"; we have
      // nothing better than MD5, so the Nak asks for a proper MD5-Challenge.
      this.host.log('error', `EAP: MD5-Challenge with bad length ${size} (8..${rest})`);
      this.respond(id, TypeNak, Buffer.from([TypeMd5]));
      return true;
    }
    const value = body.subarray(1, 1 + size);
    const named = cString(body.subarray(1 + size, 1 + size + 255));
    const server = this.cfg.remoteName ?? named.toString('latin1');
    const secret = this.cfg.secretFor(server);
    if (!secret) {
      this.host.log('debug', `EAP: no MD5 secret for auth to ${pppdQ(Buffer.from(server, 'latin1'))}`);
      // RFC 3748 §5.3.1: Type 0 in a Nak means "no alternative"; the authenticator will fail us.
      // (pppd Naks with SRP here.)
      this.respond(id, TypeNak, Buffer.from([0]));
      return true;
    }
    const digest = chapMd5(id, secret, value);
    secret.fill(0);
    this.respond(id, TypeMd5, Buffer.concat([Buffer.from([MD5_SIZE]), digest, Buffer.from(this.cfg.name, 'latin1')]));
    return true;
  }

  private respond(id: number, type: number, body: Buffer): void {
    // RFC 3748 §4.1: a Response carries the Identifier of the Request it answers.
    this.host.send(emitEap(Response, id, Buffer.concat([Buffer.from([type]), body])));
  }

  /** RFC 3748 §4.2: Success. pppd ignores its Identifier, and so do we. */
  private success(data: Buffer): void {
    if (this.state !== 'listen' && this.state !== 'open') {
      if (this.state === 'idle') this.host.log('debug', 'EAP unexpected success message in state Closed (2)');
      this.stats.discarded++;
      return;
    }
    this.timer.stop();
    // §4.2: Success has no Data; pppd shows any it finds.
    if (data.length) this.host.log('info', `Remote message: ${pppdV(data)}`);
    this.requests = 0;
    const first = this.state === 'listen';
    this.state = 'open';
    // The session logs pppd's "EAP authentication succeeded" (auth_withpeer_success).
    if (first) this.host.done(true);
  }

  private failure(data: Buffer): void {
    if (this.state !== 'listen' && this.state !== 'open') return;
    this.timer.stop();
    if (data.length) this.host.log('info', `Remote message: ${pppdV(data)}`);
    this.host.log('error', 'EAP: peer reports authentication failure');
    this.state = 'badauth';
    this.host.done(false);
  }

  private timeout(): void {
    if (this.state !== 'listen' && this.state !== 'open') return;
    this.host.log('error', 'EAP: timeout waiting for Request from peer');
    this.giveUp();
  }

  private giveUp(): void {
    this.timer.stop();
    this.state = 'badauth';
    this.host.done(false);
  }
}

// ---------------------------------------------------------------------------------------
// Printing, as pppd's eap_printpkt inside utils.c format_packet.

const CODE_NAMES = ['Request', 'Response', 'Success', 'Failure'];
// pppd eap.c eap_typenames; the gaps (7, 8, 20) are NULL there and would crash pppd's printf.
const TYPE_NAMES: (string | undefined)[] = [
  'Identity', 'Notification', 'Nak', 'MD5-Challenge',
  'OTP', 'Generic-Token', undefined, undefined,
  'RSA', 'DSS', 'KEA', 'KEA-Validate',
  'TLS', 'Defender', 'Windows 2000', 'Arcot',
  'Cisco', 'Nokia', 'SRP', undefined,
  'TTLS', 'RAS', 'AKA', '3COM', 'PEAP',
  'MSCHAPv2',
];

/** pppd `%.*B`: each octet as " xx". */
function hexB(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += ` ${HEX[c >> 4]}${HEX[c & 0xf]}`;
  return s;
}

/** pppd utils.c print_string: quoted, octal escapes except \n \r \t. */
function printString(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    if (c >= 0x20 && c <= 0x7e) s += (c === 0x5c || c === 0x22 ? '\\' : '') + String.fromCharCode(c);
    else if (c === 10) s += '\\n';
    else if (c === 13) s += '\\r';
    else if (c === 9) s += '\\t';
    else s += `\\${c.toString(8).padStart(3, '0')}`;
  }
  return `${s}"`;
}

function typeName(t: number): string {
  const n = TYPE_NAMES[t - 1];
  return n === undefined ? ` type=0x${t.toString(16)}` : ` ${n}`;
}

/** A cursor that never reads past the end: what pppd's GETCHAR would do on bad input we refuse. */
class Reader {
  pos = 0;
  constructor(readonly b: Buffer) {}
  get left(): number {
    return this.b.length - this.pos;
  }
  byte(): number {
    return this.b[this.pos++]!;
  }
  peek(): Buffer {
    return this.b.subarray(this.pos);
  }
  take(n: number): Buffer {
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += out.length;
    return out;
  }
}

/** RFC 5216 §3.1 flags as pppd 2.4.9 (USE_EAPTLS, on by default) prints them. */
function tlsFlags(r: Reader): string {
  if (r.left < 1) return '';
  const flags = r.byte();
  if (flags === 0 && r.left === 0) return ' Ack';
  return (flags & 0x80 ? ' L' : ' -') + (flags & 0x40 ? 'M' : '-') + (flags & 0x20 ? 'S' : '- ');
}

/** EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2) as pppd 2.4.9 (CHAPMS) prints it. */
function mschapv2(r: Reader, request: boolean): string | 'truncated' {
  if (r.left < 1) return '';
  const opcode = r.byte();
  if ((opcode === 1 && request) || (opcode === 2 && !request)) {
    if (r.left < 4) return 'truncated';
    r.take(3); // MS-CHAPv2-ID and MS-Length
    const size = r.byte();
    if (size > r.left) return 'truncated';
    const value = r.take(size);
    let s = ` ${request ? 'Challenge' : 'Response'} <${value.toString('hex')}>`;
    s += r.left > 0 ? `, <Name ${printString(r.take(r.left))}>` : ', <No name>';
    return s;
  }
  // pppd prints these without consuming them, so the octets show again as trailing data.
  if (!request) return opcode === 3 ? ' Success' : opcode === 4 ? ' Failure' : ` opcode=0x${opcode.toString(16)} <${hexB(r.peek())}>`;
  r.take(3); // MS-CHAPv2-ID and MS-Length
  if (opcode === 3 || opcode === 4) return ` ${opcode === 3 ? 'Success' : 'Failure'} <Message ${printString(r.peek())}>`;
  return ` opcode=0x${opcode.toString(16)} <${hexB(r.peek())}>`;
}

/** Value-Size, Value, Name (RFC 3748 §5.4), or 'truncated' when Value-Size runs past the end. */
function md5Fields(r: Reader, missing: string): string | 'truncated' {
  if (r.left < 1) return missing;
  const size = r.byte();
  if (size > r.left) return 'truncated';
  let s = ` <Value${hexB(r.take(size))}>`;
  s += r.left > 0 ? ` <Name ${printString(r.take(r.left))}>` : ' <No name>';
  return s;
}

function requestBody(r: Reader): string {
  if (r.left < 1) return ' <missing type>';
  const type = r.byte();
  const s = typeName(type);
  let more: string | 'truncated' = '';
  switch (type) {
    case TypeIdentity:
    case TypeNotification:
      more = r.left > 0 ? ` <Message ${printString(r.take(r.left))}>` : ' <No message>';
      break;
    case TypeMd5:
      more = md5Fields(r, '');
      break;
    case 13:
      more = tlsFlags(r);
      break;
    case 26:
      more = mschapv2(r, true);
      break;
    case 19:
      // SRP-SHA1: pppd decodes the subtypes; we show the subtype and leave the rest as data.
      if (r.left < 3) more = 'truncated';
      else more = `-${r.byte()}`;
      break;
  }
  // eap_printpkt's "goto truncated" comes after the Type name is printed.
  return s + (more === 'truncated' ? ' <truncated>' : more);
}

function responseBody(r: Reader): string {
  if (r.left < 1) return '';
  const type = r.byte();
  const s = typeName(type);
  let more: string | 'truncated' = '';
  switch (type) {
    case TypeIdentity:
      if (r.left > 0) more = ` <Name ${printString(r.take(r.left))}>`;
      break;
    case TypeNak:
      if (r.left < 1) more = ' <missing hint>';
      else {
        // pppd prints the first suggestion only; further ones remain as data.
        const t = r.byte();
        const n = TYPE_NAMES[t - 1];
        more = ` <Suggested-type ${HEX[t >> 4]}${HEX[t & 0xf]}${n ? ` (${n})` : ''}>`;
      }
      break;
    case TypeMd5:
      more = md5Fields(r, ' <missing length>');
      break;
    case 13:
      more = tlsFlags(r);
      break;
    case 26:
      more = mschapv2(r, false);
      break;
    case 19:
      if (r.left < 1) more = 'truncated';
      else more = `-${r.byte()}`;
      break;
  }
  // eap_printpkt's "goto truncated" comes after the Type name is printed.
  return s + (more === 'truncated' ? ' <truncated>' : more);
}

/**
 * One EAP packet (the PPP Information field) as pppd's `debug` shows it after "sent "/"rcvd ":
 * `[EAP Request id=0x1 Identity <Message "Name">]`, the same shape describePacket gives for
 * the other protocols. Octets past the EAP Length follow the bracket in hex, and a packet
 * whose header is bad prints as `[EAP]` and hex, as format_packet does. Never throws.
 */
export function describeEap(info: Buffer): string {
  let s = '[EAP';
  let consumed = 0;
  const len = info.length >= 4 ? info.readUInt16BE(2) : 0;
  if (info.length >= 4 && len >= 4 && len <= info.length) {
    const code = info[0]!;
    s += code >= 1 && code <= 4 ? ` ${CODE_NAMES[code - 1]}` : ` code=0x${code.toString(16)}`;
    s += ` id=0x${info[1]!.toString(16)}`;
    const r = new Reader(info.subarray(4, len));
    if (code === Request) s += requestBody(r);
    else if (code === Response) s += responseBody(r);
    // eap_printpkt: what it did not decode, as "%.*B", or "%8B..." (which prints just "...").
    if (r.left > 8) s += '...';
    else if (r.left > 0) s += hexB(r.take(r.left));
    consumed = len;
  }
  s += ']';
  // format_packet: whatever the protocol printer did not consume, at most 32 octets.
  const tail = info.subarray(consumed);
  if (tail.length > 32) s += `${hexB(tail.subarray(0, 32))} ...`;
  else s += hexB(tail);
  return s;
}

/** EAP's options (pppd eap.c): the server's eap-restart, eap-max-sreq, eap-interval; the client's eap-timeout, eap-max-rreq. */
export interface EapOptions {
  eapRestart: number;
  eapMaxSreq: number;
  eapTimeout: number;
  eapInterval: number;
  eapMaxRreq: number;
}

export const EAP_DEFAULTS: EapOptions = { eapRestart: 3, eapMaxSreq: 10, eapTimeout: 20, eapInterval: 0, eapMaxRreq: 20 };

/** The registry entry: EAP with MD5-Challenge (pppd `require-eap`, `refuse-eap`), secrets from chap-secrets. */
export const eapMethod: AuthMethod = {
  id: 'eap',
  protocol: PROTO_EAP,
  option: shortOption(PROTO_EAP),
  logName: 'EAP',
  secrets: 'chap',
  required: (o) => o.requireEap,
  refused: (o) => o.refuseEap,
  server: (s) =>
    s.options.relayEap
      ? new EapPassThroughServer({ restart: s.options.eapRestart, maxRequests: s.options.eapMaxSreq, relay: s.options.relayEap }, s.host)
      : new EapServer(
      {
        name: s.options.name,
        restart: s.options.eapRestart,
        maxRequests: s.options.eapMaxSreq,
        interval: s.options.eapInterval,
        remoteName: s.options.remoteName,
        secretFor: (peer) => s.peerSecret(peer),
      },
      s.host,
    ),
  client: (s) =>
    new EapClient(
      {
        name: s.userName,
        remoteName: s.options.remoteName,
        maxRequests: s.options.eapMaxRreq,
        timeout: s.options.eapTimeout,
        secretFor: (server) => {
          const secret = s.selfSecret('chap', server);
          return secret === undefined ? undefined : Buffer.from(secret, 'latin1');
        },
      },
      s.host,
    ),
};
