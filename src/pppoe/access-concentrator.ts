/**
 * The PPPoE access concentrator (RFC 2516's AC), sans-IO: Ethernet frames in; frames and
 * session events out. No timers: a session that goes quiet is PPP's business (LCP echoes,
 * the isp's auth timeout), which then calls `close`.
 *
 * - PADI for a service we offer gets a PADO with our AC-Name, the services, an AC-Cookie
 *   (cookie.ts) and the client's Host-Uniq / Relay-Session-Id echoed (§5.2).
 * - PADR with a good cookie gets a PADS with a fresh SESSION_ID (§5.4), or a PADS with
 *   SESSION_ID 0 and Service-Name-Error / AC-System-Error when we cannot serve it.
 *   A PADR repeated for a session still in discovery (the PADS was lost) gets the same PADS.
 * - PADT from the client ends its session; `close` sends ours (§5.5).
 * - Malformed frames, bad cookies and frames for unknown sessions are counted and dropped.
 */
import { Code, ETH_P_PPPOE_DISC, ETH_P_PPPOE_SESS, PPPOE_DEFAULT_MTU, decodeFrame, encodeFrame, macToString } from './frame.js';
import { Tag, encodeTags, findTag, parseTags, tag, u16, type TagTlv } from './tags.js';
import { cookieOk, makeCookie } from './cookie.js';
import { newCounters, type PppoeCounters } from './counters.js';

export interface AcOptions {
  mac: Buffer;
  acName: string;
  /** Services offered; empty = any Service-Name is served (pppoe-server without -S). */
  services: string[];
  /** The cookie secret: random, drawn once per process. */
  secret: Buffer;
  maxSessions: number;
  /** The interface MTU: PPP-Max-Payload above 1492 is granted up to MTU - 8 (RFC 4638). */
  ifMtu?: number;
  /** The first SESSION_ID tried (random per process, so a restart does not reuse ids at once). */
  firstSessionId?: number;
}

export type AcEvent =
  | { type: 'log'; level: 'info' | 'debug' | 'warn'; msg: string }
  | { type: 'session-up'; sessionId: number; peer: Buffer; service: string; mtu: number }
  | { type: 'ppp'; sessionId: number; payload: Buffer }
  | { type: 'session-down'; sessionId: number; why: string; byPeer: boolean };

interface AcSession {
  id: number;
  peer: Buffer;
  hostUniq?: Buffer;
  service: string;
  mtu: number;
  pads: Buffer;
  /** A session frame has come: a repeated PADR is a new request, not a lost PADS. */
  heard: boolean;
}

export class AccessConcentrator {
  readonly counters: PppoeCounters = newCounters();
  private readonly sessions = new Map<number, AcSession>();
  private out: Buffer[] = [];
  private events: AcEvent[] = [];
  private nextId: number;

  constructor(private readonly o: AcOptions) {
    this.nextId = validId(o.firstSessionId ?? 1);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  takeOutput(): Buffer[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  takeEvents(): AcEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** A PPP frame for a session; false if there is no such session. */
  send(sessionId: number, ppp: Buffer): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    this.counters.sessionOut++;
    this.out.push(encodeFrame({ dst: s.peer, src: this.o.mac, ethertype: ETH_P_PPPOE_SESS, code: Code.Session, sessionId, payload: ppp }));
    return true;
  }

  /** Ends a session with a PADT to its client (RFC 2516 §5.5). */
  close(sessionId: number, why = 'session closed'): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    this.discovery(s.peer, Code.PADT, sessionId, s.hostUniq ? [tag(Tag.HostUniq, s.hostUniq)] : []);
    this.events.push({ type: 'session-down', sessionId, why, byPeer: false });
  }

  /** Every session ended with a PADT (the server stopping). */
  closeAll(why: string): void {
    for (const id of [...this.sessions.keys()]) this.close(id, why);
  }

  input(frame: Buffer): void {
    const d = decodeFrame(frame);
    if (!d.ok) return void this.counters.malformed++;
    const f = d.frame;
    const toUs = f.dst.equals(this.o.mac);
    if (f.ethertype === ETH_P_PPPOE_SESS) {
      const s = this.sessions.get(f.sessionId);
      if (!toUs || !s || !s.peer.equals(f.src)) return void this.counters.unknownSession++;
      s.heard = true;
      this.counters.sessionIn++;
      this.events.push({ type: 'ppp', sessionId: s.id, payload: Buffer.from(f.payload) });
      return;
    }
    // Only a PADI may be broadcast; everything else in Discovery is unicast to us (§5).
    if (f.code === Code.PADI ? !(toUs || f.dst[0]! & 1) : !toUs) return void this.counters.ignored++;
    const tags = parseTags(f.payload);
    if (typeof tags === 'string') {
      this.counters.malformed++;
      this.log('debug', `malformed discovery packet from ${macToString(f.src)}: ${tags}`);
      return;
    }
    this.counters.discoveryIn++;
    switch (f.code) {
      case Code.PADI: return this.onPadi(f.src, f.sessionId, tags);
      case Code.PADR: return this.onPadr(f.src, f.sessionId, tags);
      case Code.PADT: return this.onPadt(f.src, f.sessionId);
      default: this.counters.ignored++; // PADO/PADS from another AC, unknown codes
    }
  }

  private onPadi(src: Buffer, sid: number, tags: TagTlv[]): void {
    const asked = findTag(tags, Tag.ServiceName);
    // §5.1: SESSION_ID 0 and exactly one Service-Name.
    if (sid !== 0 || asked === undefined) return void this.counters.malformed++;
    const service = asked.toString('utf8');
    // §5.2: an AC that cannot serve the PADI does not answer it.
    if (!this.serves(service)) return void this.counters.ignored++;
    const reply = [tag(Tag.AcName, this.o.acName), tag(Tag.ServiceName, asked)];
    for (const s of this.o.services) if (s !== service) reply.push(tag(Tag.ServiceName, s));
    reply.push(tag(Tag.AcCookie, makeCookie(this.o.secret, src)));
    reply.push(...this.echoed(tags));
    this.discovery(src, Code.PADO, 0, reply);
  }

  private onPadr(src: Buffer, sid: number, tags: TagTlv[]): void {
    if (sid !== 0) return void this.counters.malformed++;
    if (!cookieOk(this.o.secret, src, findTag(tags, Tag.AcCookie))) {
      this.counters.badCookie++;
      return;
    }
    const hostUniq = findTag(tags, Tag.HostUniq);
    for (const s of this.sessions.values()) {
      if (!s.heard && s.peer.equals(src) && sameUniq(s.hostUniq, hostUniq)) {
        this.out.push(s.pads);
        this.counters.discoveryOut++;
        return;
      }
    }
    const asked = findTag(tags, Tag.ServiceName);
    const service = asked?.toString('utf8') ?? '';
    const echo = this.echoed(tags);
    if (asked === undefined || !this.serves(service)) {
      this.discovery(src, Code.PADS, 0, [tag(Tag.ServiceName, asked ?? Buffer.alloc(0)), tag(Tag.ServiceNameError, 'Service not offered'), ...echo]);
      return;
    }
    const id = this.sessions.size < this.o.maxSessions ? this.allocate() : undefined;
    if (id === undefined) {
      this.counters.refusedFull++;
      this.log('warn', `refusing PADR from ${macToString(src)}: ${this.o.maxSessions} sessions`);
      this.discovery(src, Code.PADS, 0, [tag(Tag.ServiceName, asked), tag(Tag.AcSystemError, 'Too many sessions'), ...echo]);
      return;
    }
    const granted = echo.find((t) => t.type === Tag.PppMaxPayload);
    const mtu = granted ? granted.value.readUInt16BE(0) : PPPOE_DEFAULT_MTU;
    const pads = this.discovery(src, Code.PADS, id, [tag(Tag.ServiceName, asked), ...echo]);
    const peer = Buffer.from(src);
    this.sessions.set(id, { id, peer, hostUniq: hostUniq && Buffer.from(hostUniq), service, mtu, pads, heard: false });
    this.log('info', `session ${id} for ${macToString(peer)}${service ? ` (service ${service})` : ''}`);
    this.events.push({ type: 'session-up', sessionId: id, peer, service, mtu });
  }

  private onPadt(src: Buffer, sid: number): void {
    const s = this.sessions.get(sid);
    if (!s || !s.peer.equals(src)) return void this.counters.unknownSession++;
    this.sessions.delete(sid);
    this.events.push({ type: 'session-down', sessionId: sid, why: 'PADT from the client', byPeer: true });
  }

  private serves(service: string): boolean {
    return service === '' || this.o.services.length === 0 || this.o.services.includes(service);
  }

  /** Host-Uniq and Relay-Session-Id go back as they came; PPP-Max-Payload when we can carry it. */
  private echoed(tags: TagTlv[]): TagTlv[] {
    const out: TagTlv[] = [];
    const uniq = findTag(tags, Tag.HostUniq);
    if (uniq) out.push(tag(Tag.HostUniq, uniq));
    const relay = findTag(tags, Tag.RelaySessionId);
    if (relay) out.push(tag(Tag.RelaySessionId, relay));
    const mp = findTag(tags, Tag.PppMaxPayload);
    // RFC 4638 §4: echo it only if the interface can carry that much.
    if (mp && mp.length === 2) {
      const want = mp.readUInt16BE(0);
      if (want > PPPOE_DEFAULT_MTU && want <= (this.o.ifMtu ?? 1500) - 8) out.push(tag(Tag.PppMaxPayload, u16(want)));
    }
    return out;
  }

  private allocate(): number | undefined {
    // 0 is "no session" and 0xFFFF is reserved (§4); try each id at most once.
    for (let i = 0; i < 0xfffe; i++) {
      const id = this.nextId;
      this.nextId = validId(this.nextId + 1);
      if (!this.sessions.has(id)) return id;
    }
    return undefined;
  }

  private discovery(dst: Buffer, code: number, sid: number, tags: TagTlv[]): Buffer {
    this.counters.discoveryOut++;
    const f = encodeFrame({ dst, src: this.o.mac, ethertype: ETH_P_PPPOE_DISC, code, sessionId: sid, payload: encodeTags(tags) });
    this.out.push(f);
    return f;
  }

  private log(level: 'info' | 'debug' | 'warn', msg: string): void {
    this.events.push({ type: 'log', level, msg });
  }
}

function validId(n: number): number {
  const v = n % 0xffff;
  return v === 0 ? 1 : v;
}

function sameUniq(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.equals(b);
}
