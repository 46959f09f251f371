/**
 * EAP pass-through authenticator (RFC 3748 §2 "pass-through mode", RFC 3579 §2): we ask the
 * peer's Identity ourselves (RFC 3579 §2.1 allows the NAS to), then relay every EAP-Response
 * to a backend authentication server (RADIUS) and every EAP-Request, Success or Failure it
 * answers back to the peer. We never look inside the method (EAP-MD5, TLS, ...): the backend
 * judges. Sans-IO: the relay is a hook whose answer arrives later through a callback (the IO
 * shell asks the AAA server), as ExternalVerifier does for PAP and CHAP.
 *
 * Retransmission towards the peer stays ours (RFC 3748 §4.3: the authenticator retransmits
 * Requests; RFC 3579 §2.6.1: the NAS does, not the RADIUS server): eap-restart seconds,
 * at most eap-max-sreq sends of one Request.
 */
import type { AuthHost } from './host.js';
import { emitEap } from './eap-packet.js';
import type { Timer } from '../timers.js';
import type { MppeKeys } from './chap-digest.js';

// RFC 3748 §4 Codes and §5.1 Identity.
const Request = 1;
const Response = 2;
const Success = 3;
const Failure = 4;
const TypeIdentity = 1;

/** What the backend made of one EAP-Response. */
export type EapRelayAnswer =
  /** An EAP-Request (Access-Challenge) for the peer. */
  | { kind: 'request'; packet: Buffer }
  /** Authenticated (Access-Accept); `packet` is the backend's EAP-Success when it sent one. */
  | { kind: 'success'; packet?: Buffer; keys?: MppeKeys }
  /** Refused, or no usable answer (Access-Reject, timeout, too many rounds). */
  | { kind: 'failure'; packet?: Buffer };

/** One authentication exchange with the backend (a RADIUS State sequence). */
export interface EapRelayExchange {
  /** Forwards one EAP-Response (the whole EAP packet); `answer` is called at most once. */
  forward(response: Buffer, answer: (a: EapRelayAnswer) => void): void;
  /** The exchange is over (verdict, link down): later answers are ignored. */
  close(): void;
}

/** Starts an exchange for the peer that named itself `identity` (RFC 3748 §5.1, unauthenticated). */
export type EapRelay = (identity: string) => EapRelayExchange;

export interface EapPassThroughConfig {
  restart: number;
  maxRequests: number;
  relay: EapRelay;
}

export interface EapPassThroughStats {
  discarded: number;
  /** Responses relayed to the backend. */
  relayed: number;
}

type State = 'idle' | 'identify' | 'relay' | 'waiting' | 'done';

/** RFC 3748 §4: a packet whose Length fits what arrived, trimmed to it (the rest is padding). */
function wellFormed(b: Buffer): Buffer | undefined {
  if (b.length < 4) return undefined;
  const len = b.readUInt16BE(2);
  return len < 4 || len > b.length ? undefined : b.subarray(0, len);
}

export class EapPassThroughServer {
  readonly stats: EapPassThroughStats = { discarded: 0, relayed: 0 };
  keys?: MppeKeys;
  private state: State = 'idle';
  private id = 0;
  private packet: Buffer | undefined;
  private sends = 0;
  private identity: string | undefined;
  private exchange: EapRelayExchange | undefined;
  /** Bumped at each forward and at stop: an answer carrying an older round is stale. */
  private round = 0;
  private readonly retransmit: Timer;

  constructor(private readonly cfg: EapPassThroughConfig, private readonly host: AuthHost) {
    this.retransmit = host.timers.create(() => this.timeout());
  }

  start(): void {
    this.stop();
    this.id = this.host.randomBytes(1)[0]!;
    this.identity = undefined;
    this.state = 'identify';
    // RFC 3748 §5.1: the prompt is optional display text; pppd's is "Name".
    this.sendRequest(emitEap(Request, this.id, Buffer.from([TypeIdentity, ...Buffer.from('Name')])));
  }

  stop(): void {
    this.retransmit.stop();
    this.round++;
    this.exchange?.close();
    this.exchange = undefined;
    this.state = 'idle';
  }

  input(raw: Buffer): void {
    const pkt = wellFormed(raw);
    if (!pkt) {
      this.stats.discarded++;
      return;
    }
    if (pkt[0] !== Response) {
      // Requests, Success and Failure are the peer-role's; unknown Codes are discarded (§4).
      if (pkt[0]! < Request || pkt[0]! > Failure) this.stats.discarded++;
      return;
    }
    // RFC 3748 §4.1: only a Response to the outstanding Request counts; while the backend
    // thinks, the Request is answered already, so duplicates are dropped (§4.3).
    if ((this.state !== 'identify' && this.state !== 'relay') || pkt[1] !== this.id || pkt.length < 5) {
      this.stats.discarded++;
      return;
    }
    this.retransmit.stop();
    if (this.state === 'identify') {
      if (pkt[4] !== TypeIdentity) {
        // §5.1/§5.3.1: Identity cannot be Naked; anything else before it is out of order.
        this.host.log('info', 'EAP: peer did not answer the Identity request');
        return this.fail(undefined);
      }
      const name = pkt.subarray(5);
      const nul = name.indexOf(0);
      this.identity = (nul < 0 ? name : name.subarray(0, nul)).toString('latin1');
      this.host.log('info', `EAP: unauthenticated peer name ${JSON.stringify(this.identity)}`);
      this.exchange = this.cfg.relay(this.identity);
    }
    this.state = 'waiting';
    this.stats.relayed++;
    const round = ++this.round;
    this.exchange!.forward(Buffer.from(pkt), (a) => {
      if (round !== this.round || this.state !== 'waiting') return; // stale or stopped
      this.answer(a);
    });
  }

  private answer(a: EapRelayAnswer): void {
    if (a.kind === 'request') {
      const p = wellFormed(a.packet);
      if (!p || p[0] !== Request || p.length < 5) {
        this.host.log('error', 'EAP: backend sent no valid EAP-Request');
        return this.fail(undefined);
      }
      // The backend chose the Identifier (RFC 3579 §2.6.1); the peer answers with it.
      this.id = p[1]!;
      this.state = 'relay';
      return this.sendRequest(Buffer.from(p));
    }
    const p = a.packet && wellFormed(a.packet);
    if (a.kind === 'success') {
      this.keys = a.keys;
      this.finish(p && p[0] === Success ? Buffer.from(p) : emitEap(Success, this.id));
      this.host.done(true, this.identity);
      return;
    }
    this.fail(p && p[0] === Failure ? Buffer.from(p) : undefined);
  }

  private fail(packet: Buffer | undefined): void {
    // RFC 3748 §4.2: Success/Failure carry the Identifier of the Response they answer.
    this.finish(packet ?? emitEap(Failure, this.id));
    this.host.done(false, this.identity);
  }

  private finish(packet: Buffer): void {
    this.retransmit.stop();
    this.state = 'done';
    this.exchange?.close();
    this.exchange = undefined;
    this.host.send(packet);
  }

  private sendRequest(packet: Buffer): void {
    this.packet = packet;
    this.sends = 0;
    this.transmit();
  }

  private transmit(): void {
    this.sends++;
    if (this.cfg.restart > 0) this.retransmit.start(this.cfg.restart * 1000);
    this.host.send(this.packet!);
  }

  private timeout(): void {
    if (this.state !== 'identify' && this.state !== 'relay') return;
    if (this.cfg.maxRequests > 0 && this.sends >= this.cfg.maxRequests) {
      this.host.log('info', 'EAP: peer failed to respond');
      return this.fail(undefined);
    }
    this.transmit();
  }
}
