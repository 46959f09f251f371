// The RADIUS client core (RFC 2865 §2.4-§2.5, RFC 5080 §2.2.1, RFC 5997), sans-IO: requests
// and received datagrams go in with the time, datagrams to send and answers come out, and
// `nextDeadline()` says when to call `poll()` again. The IO shell (../runtime/radius-udp.ts) owns the
// sockets and the one timer.
//
// - Identifiers: one 256-identifier space per server; an identifier is reused only after its
//   request is answered or abandoned.
// - Retransmission: the same packet (same identifier and authenticator) after `timeoutMs`,
//   doubling each time (RFC 5080 §2.2.1 backoff), `retries` times; then the next server.
// - Several servers in priority order with failover; a server that lets a request expire (or
//   whose port is unreachable) is dead for `deadTimeMs`, during which it gets Status-Server
//   probes (RFC 5997) and no requests; a valid answer to a probe brings it back at once.
// - A bounded number of requests in flight; more wait in a bounded FIFO queue (setups are
//   paced when the AAA server is slow); beyond that a request is refused at once.

import { encodePacket, decodePacket, RadiusCode, type RadiusAttribute, type RadiusPacket } from './packet.js';
import { signAccessRequest, signAccountingRequest, hideUserPassword, verifyResponse, MESSAGE_AUTHENTICATOR } from './crypto.js';

export interface RadiusServerConfig {
  host: string;
  port: number;
  secret: Buffer;
}

export interface RadiusClientOptions {
  servers: RadiusServerConfig[];
  /** First retransmission timeout (radius-timeout), doubled each time. */
  timeoutMs: number;
  /** Retransmissions to one server before failing over (radius-retries). */
  retries: number;
  /** How long a server that stopped answering is skipped. */
  deadTimeMs: number;
  /** Requests in flight at once, over all servers. */
  maxInFlight: number;
  /** Requests waiting for a slot; more are refused. */
  maxQueued: number;
  /** Entropy for Request Authenticators (a seeded one in tests). */
  randomBytes: (n: number) => Buffer;
}

export const CLIENT_DEFAULTS = { timeoutMs: 3000, retries: 2, deadTimeMs: 30_000, maxInFlight: 256, maxQueued: 4096 };

export interface RadiusRequest {
  /** Access-Request, Accounting-Request, Status-Server, ... */
  code: number;
  attributes: RadiusAttribute[];
  /** Hidden per server as User-Password (RFC 2865 §5.2): the secret and authenticator differ per server. */
  userPassword?: Buffer;
  /** Drop replies without a valid Message-Authenticator (RFC 3579 §3.2: the EAP relay's requests). */
  requireMessageAuthenticator?: boolean;
}

export type RadiusResult =
  | {
      ok: true;
      response: RadiusPacket;
      /** The Request Authenticator the answer was checked against (MS-MPPE key decryption needs it). */
      requestAuthenticator: Buffer;
      /** The answering server's secret (for decrypting its attributes). */
      secret: Buffer;
      server: number;
    }
  | { ok: false; reason: 'timeout' | 'queue full' | 'no servers' | 'stopped' };

export interface Datagram {
  server: number;
  data: Buffer;
}

interface Pending {
  req: RadiusRequest;
  answer: (r: RadiusResult) => void;
  /** Servers tried for this request (each at most once). */
  tried: Set<number>;
  server: number;
  id: number;
  authenticator: Buffer;
  packet: Buffer;
  transmissions: number;
  deadline: number;
  rto: number;
  probe?: boolean;
}

interface ServerState {
  cfg: RadiusServerConfig;
  inFlight: Map<number, Pending>;
  nextId: number;
  deadUntil: number;
  /** The pending Status-Server probe of a dead server. */
  probing: boolean;
}

export interface RadiusClientCounters {
  requests: number;
  transmissions: number;
  retransmissions: number;
  responses: number;
  timeouts: number;
  failovers: number;
  queueFull: number;
  malformed: number;
  unknownIdentifier: number;
  badAuthenticator: number;
  unexpectedCode: number;
  serversDead: number;
  serversRevived: number;
}

/** Which response codes answer which request code. */
function answers(requestCode: number, responseCode: number): boolean {
  switch (requestCode) {
    case RadiusCode.AccessRequest:
      return responseCode === RadiusCode.AccessAccept || responseCode === RadiusCode.AccessReject || responseCode === RadiusCode.AccessChallenge;
    case RadiusCode.AccountingRequest:
      return responseCode === RadiusCode.AccountingResponse;
    case RadiusCode.StatusServer: // RFC 5997 §3: Access-Accept on an auth port, Accounting-Response on an acct port
      return responseCode === RadiusCode.AccessAccept || responseCode === RadiusCode.AccountingResponse;
    case RadiusCode.DisconnectRequest:
      return responseCode === RadiusCode.DisconnectAck || responseCode === RadiusCode.DisconnectNak;
    case RadiusCode.CoaRequest:
      return responseCode === RadiusCode.CoaAck || responseCode === RadiusCode.CoaNak;
    default:
      return false;
  }
}

export class RadiusClientCore {
  private readonly servers: ServerState[];
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private out: Datagram[] = [];
  private stopped = false;
  readonly counters: RadiusClientCounters = {
    requests: 0, transmissions: 0, retransmissions: 0, responses: 0, timeouts: 0, failovers: 0, queueFull: 0,
    malformed: 0, unknownIdentifier: 0, badAuthenticator: 0, unexpectedCode: 0, serversDead: 0, serversRevived: 0,
  };

  constructor(private readonly opts: RadiusClientOptions) {
    this.servers = opts.servers.map((cfg) => ({ cfg, inFlight: new Map(), nextId: opts.randomBytes(1)[0]!, deadUntil: 0, probing: false }));
  }

  /** Queues a request; `answer` is called exactly once (possibly at once, when refused). */
  request(now: number, req: RadiusRequest, answer: (r: RadiusResult) => void): void {
    this.counters.requests++;
    if (this.stopped) return answer({ ok: false, reason: 'stopped' });
    if (this.servers.length === 0) return answer({ ok: false, reason: 'no servers' });
    const p: Pending = { req, answer, tried: new Set(), server: -1, id: -1, authenticator: Buffer.alloc(0), packet: Buffer.alloc(0), transmissions: 0, deadline: 0, rto: this.opts.timeoutMs };
    if (this.inFlight >= this.opts.maxInFlight) {
      if (this.queue.length >= this.opts.maxQueued) {
        this.counters.queueFull++;
        return answer({ ok: false, reason: 'queue full' });
      }
      this.queue.push(p);
      return;
    }
    this.inFlight++;
    this.dispatch(now, p);
  }

  /** The servers' liveness, for status pages and tests. */
  serverStatus(now: number): Array<{ host: string; port: number; alive: boolean; inFlight: number }> {
    return this.servers.map((s) => ({ host: s.cfg.host, port: s.cfg.port, alive: s.deadUntil <= now, inFlight: s.inFlight.size }));
  }

  get queued(): number {
    return this.queue.length;
  }
  get active(): number {
    return this.inFlight;
  }

  /** Datagrams to send, in order; the caller sends each to `servers[server]`. */
  takeOutput(): Datagram[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** When poll() must next run (undefined when nothing waits). */
  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const s of this.servers) for (const p of s.inFlight.values()) if (d === undefined || p.deadline < d) d = p.deadline;
    return d;
  }

  /** The shell heard that a server's port is unreachable (ICMP): fail over without waiting. */
  unreachable(now: number, server: number): void {
    const s = this.servers[server];
    if (!s) return;
    for (const p of s.inFlight.values()) {
      if (p.probe) continue;
      p.deadline = now;
      p.transmissions = this.opts.retries + 1;
    }
    this.poll(now);
  }

  /** A datagram from `servers[server]`. Anything invalid is counted and dropped (RFC 2865 §3). */
  input(now: number, server: number, data: Buffer): void {
    const s = this.servers[server];
    if (!s) return;
    const d = decodePacket(data);
    if (!d.ok) {
      this.counters.malformed++;
      return;
    }
    const p = s.inFlight.get(d.packet.identifier);
    if (!p) {
      this.counters.unknownIdentifier++;
      return;
    }
    // RFC 3579 §3.2: EAP-Message requires a Message-Authenticator; RFC 5997 §3 for Status-Server answers.
    const needMa = d.packet.attributes.some((a) => a.type === 79) || p.req.code === RadiusCode.StatusServer || p.req.requireMessageAuthenticator === true;
    const v = verifyResponse(data, p.authenticator, s.cfg.secret, needMa && p.req.code !== RadiusCode.StatusServer ? true : false);
    if (!v.ok) {
      this.counters.badAuthenticator++;
      return;
    }
    if (!answers(p.req.code, d.packet.code)) {
      this.counters.unexpectedCode++;
      return;
    }
    this.counters.responses++;
    s.inFlight.delete(p.id);
    if (s.deadUntil > now) this.counters.serversRevived++;
    s.deadUntil = 0;
    if (p.probe) {
      s.probing = false;
      return;
    }
    this.finish(now, p, { ok: true, response: d.packet, requestAuthenticator: p.authenticator, secret: s.cfg.secret, server });
  }

  /** Retransmissions, failovers, expiries and probes due by `now`. */
  poll(now: number): void {
    for (let i = 0; i < this.servers.length; i++) {
      const s = this.servers[i]!;
      for (const p of [...s.inFlight.values()]) {
        if (p.deadline > now) continue;
        if (p.transmissions <= this.opts.retries) {
          // RFC 5080 §2.2.1: the same packet again, the timeout doubled.
          p.rto = Math.min(p.rto * 2, 60_000);
          this.transmit(now, p, true);
          continue;
        }
        s.inFlight.delete(p.id);
        if (p.probe) {
          s.probing = false;
          s.deadUntil = now + this.opts.deadTimeMs;
          continue;
        }
        // This server let a request expire: dead for a while (RFC 5080 §2.2.1 is silent; as radiusclient and FreeRADIUS's home servers).
        if (s.deadUntil <= now) this.counters.serversDead++;
        s.deadUntil = now + this.opts.deadTimeMs;
        this.dispatch(now, p);
      }
      // Dead servers are probed with Status-Server so they come back before their time is up.
      if (s.deadUntil > now && !s.probing && this.servers.length > 1) this.probe(now, i);
    }
  }

  /** Refuses everything queued and in flight (shutdown). */
  stop(): void {
    this.stopped = true;
    const all = [...this.queue.splice(0)];
    for (const s of this.servers) {
      for (const p of s.inFlight.values()) if (!p.probe) all.push(p);
      s.inFlight.clear();
    }
    for (const p of all) p.answer({ ok: false, reason: 'stopped' });
  }

  /** To the best untried server: the first alive in order, else the untried one that died first. */
  private dispatch(now: number, p: Pending): void {
    const untried = this.servers.map((s, i) => ({ s, i })).filter(({ s, i }) => !p.tried.has(i) && s.inFlight.size < 256);
    let pick = untried.find(({ s }) => s.deadUntil <= now);
    if (!pick) pick = untried.sort((a, b) => a.s.deadUntil - b.s.deadUntil)[0];
    if (!pick) {
      this.counters.timeouts++;
      return this.finish(now, p, { ok: false, reason: 'timeout' });
    }
    if (p.tried.size > 0) this.counters.failovers++;
    const s = pick.s;
    p.tried.add(pick.i);
    p.server = pick.i;
    p.id = this.freeId(s);
    p.transmissions = 0;
    p.rto = this.opts.timeoutMs;
    p.authenticator = this.opts.randomBytes(16);
    p.packet = this.encode(p.req, p.id, p.authenticator, s.cfg.secret);
    if (p.req.code !== RadiusCode.AccessRequest && p.req.code !== RadiusCode.StatusServer) p.authenticator = Buffer.from(p.packet.subarray(4, 20));
    s.inFlight.set(p.id, p);
    this.transmit(now, p, false);
  }

  private probe(now: number, server: number): void {
    const s = this.servers[server]!;
    if (s.inFlight.size >= 256) return;
    s.probing = true;
    const p: Pending = {
      req: { code: RadiusCode.StatusServer, attributes: [] }, answer: () => undefined, tried: new Set([server]), server, id: this.freeId(s),
      authenticator: this.opts.randomBytes(16), packet: Buffer.alloc(0), transmissions: this.opts.retries, deadline: 0, rto: this.opts.timeoutMs, probe: true,
    };
    p.packet = this.encode(p.req, p.id, p.authenticator, s.cfg.secret);
    s.inFlight.set(p.id, p);
    this.transmit(now, p, false);
  }

  private freeId(s: ServerState): number {
    while (s.inFlight.has(s.nextId & 0xff)) s.nextId++;
    const id = s.nextId & 0xff;
    s.nextId = (s.nextId + 1) & 0xff;
    return id;
  }

  private encode(req: RadiusRequest, id: number, authenticator: Buffer, secret: Buffer): Buffer {
    const attributes = req.attributes.filter((a) => a.type !== MESSAGE_AUTHENTICATOR);
    if (req.userPassword) attributes.splice(1, 0, { type: 2, value: hideUserPassword(req.userPassword, secret, authenticator) });
    // Message-Authenticator on every Access-Request and Status-Server (RFC 3579 §3.2, RFC 5997
    // §3; it also guards replies against forgery, the Blast-RADIUS attack), first so a
    // truncating attacker cannot move it.
    const signed = req.code === RadiusCode.AccessRequest || req.code === RadiusCode.StatusServer;
    if (signed) attributes.unshift({ type: MESSAGE_AUTHENTICATOR, value: Buffer.alloc(16) });
    const raw = encodePacket({ code: req.code, identifier: id, authenticator, attributes });
    return signed ? signAccessRequest(raw, secret) : signAccountingRequest(raw, secret);
  }

  private transmit(now: number, p: Pending, again: boolean): void {
    p.transmissions++;
    p.deadline = now + p.rto;
    this.counters.transmissions++;
    if (again) this.counters.retransmissions++;
    this.out.push({ server: p.server, data: p.packet });
  }

  private finish(now: number, p: Pending, r: RadiusResult): void {
    this.inFlight--;
    p.answer(r);
    // A slot is free: the oldest waiting request goes.
    const next = this.queue.shift();
    if (next) {
      this.inFlight++;
      this.dispatch(now, next);
    }
  }
}
