/**
 * The PPPoE client (the Host of RFC 2516), sans-IO: Ethernet frames and time in; frames,
 * events and a deadline out. Discovery as rp-pppoe (pppd's rp-pppoe.so plugin) does it:
 * PADI broadcast, doubled timeout on each retry (RFC 2516 §5.1 leaves the count open; pppd
 * uses 3 attempts from 5 s), the first acceptable PADO wins, PADR with the same doubling,
 * PADS gives the session; PADT either way ends it.
 */
import { BROADCAST, Code, ETH_P_PPPOE_DISC, ETH_P_PPPOE_SESS, PPPOE_DEFAULT_MTU, decodeFrame, encodeFrame, macToString } from './frame.js';
import { Tag, encodeTags, errorOf, findTag, parseTags, printable, tag, u16, type TagTlv } from './tags.js';
import { newCounters, type PppoeCounters } from './counters.js';

export interface PppoeClientOptions {
  /** Our interface's MAC. */
  mac: Buffer;
  /** rp_pppoe_service: the Service-Name asked for; '' (any service) by default. */
  service?: string;
  /** rp_pppoe_ac: only an AC of this name is taken. */
  acName?: string;
  /** rp_pppoe_mac: only an AC at this MAC is taken. */
  acMac?: Buffer;
  /** Host-Uniq (RFC 2516 Appendix A) to match answers to us; none when undefined. */
  hostUniq?: Buffer;
  /** RFC 4638 PPP-Max-Payload to ask for (only sent when above 1492). */
  maxPayload?: number;
  /** pppoe-padi-timeout (ms): the first wait for a PADO/PADS. */
  timeoutMs?: number;
  /** pppoe-padi-attempts: PADIs (and PADRs) sent before giving up. */
  attempts?: number;
}

export type PppoeClientEvent =
  | { type: 'log'; level: 'info' | 'notice' | 'warn' | 'error' | 'debug'; msg: string }
  /** PADS received: the session exists. `mtu` is 1492 or the PPP-Max-Payload agreed. */
  | { type: 'up'; sessionId: number; peer: Buffer; acName: string; mtu: number }
  | { type: 'ppp'; payload: Buffer }
  /** The session (or discovery) ended; `byPeer` when a PADT came. */
  | { type: 'down'; why: string; byPeer: boolean }
  | { type: 'failed'; why: string };

type State = 'idle' | 'padi' | 'padr' | 'session' | 'closed';

export class PppoeClient {
  readonly counters: PppoeCounters = newCounters();
  private state: State = 'idle';
  private out: Buffer[] = [];
  private events: PppoeClientEvent[] = [];
  private deadline: number | undefined;
  private tries = 0;
  private wait = 0;
  private ac?: { mac: Buffer; name: string; cookie?: Buffer; relay?: Buffer };
  private sessionId = 0;
  private mtu = PPPOE_DEFAULT_MTU;
  private readonly o: Required<Omit<PppoeClientOptions, 'acName' | 'acMac' | 'hostUniq' | 'maxPayload'>> & PppoeClientOptions;

  constructor(opts: PppoeClientOptions) {
    this.o = { service: '', timeoutMs: 5000, attempts: 3, ...opts };
  }

  get phase(): State {
    return this.state;
  }

  get session(): { id: number; peer: Buffer; mtu: number } | undefined {
    return this.state === 'session' && this.ac ? { id: this.sessionId, peer: this.ac.mac, mtu: this.mtu } : undefined;
  }

  start(now: number): void {
    if (this.state !== 'idle') return;
    this.state = 'padi';
    this.tries = 0;
    this.wait = this.o.timeoutMs;
    this.sendPadi(now);
  }

  nextDeadline(): number | undefined {
    return this.deadline;
  }

  takeOutput(): Buffer[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  takeEvents(): PppoeClientEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  tick(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.deadline = undefined;
    if (this.state === 'padi') this.sendPadi(now);
    else if (this.state === 'padr') this.sendPadr(now);
  }

  /** A PPP frame (Protocol field first, no HDLC) for the session; false unless up. */
  send(ppp: Buffer): boolean {
    if (this.state !== 'session' || !this.ac) return false;
    this.counters.sessionOut++;
    this.out.push(encodeFrame({ dst: this.ac.mac, src: this.o.mac, ethertype: ETH_P_PPPOE_SESS, code: Code.Session, sessionId: this.sessionId, payload: ppp }));
    return true;
  }

  /** Ends discovery or the session; a live session gets a PADT (RFC 2516 §5.5). */
  close(why = 'User request'): void {
    if (this.state === 'closed') return;
    if (this.state === 'session' && this.ac) {
      this.discovery(this.ac.mac, Code.PADT, this.sessionId, [...this.uniqTags(), ...(this.ac.relay ? [tag(Tag.RelaySessionId, this.ac.relay)] : [])]);
      this.log('info', `Sent PADT for session ${this.sessionId}`);
    }
    this.state = 'closed';
    this.deadline = undefined;
    this.events.push({ type: 'down', why, byPeer: false });
  }

  input(frame: Buffer, now: number): void {
    const d = decodeFrame(frame);
    if (!d.ok) {
      this.counters.malformed++;
      return;
    }
    const f = d.frame;
    // Only what is addressed to us; a PADI (broadcast) is for ACs, not us.
    if (!f.dst.equals(this.o.mac)) return void this.counters.ignored++;
    if (f.ethertype === ETH_P_PPPOE_SESS) {
      if (this.state !== 'session' || !this.ac || f.sessionId !== this.sessionId || !f.src.equals(this.ac.mac)) return void this.counters.unknownSession++;
      this.counters.sessionIn++;
      this.events.push({ type: 'ppp', payload: Buffer.from(f.payload) });
      return;
    }
    const tags = parseTags(f.payload);
    if (typeof tags === 'string') {
      this.counters.malformed++;
      this.log('debug', `malformed ${f.code === Code.PADO ? 'PADO' : 'discovery packet'} from ${macToString(f.src)}: ${tags}`);
      return;
    }
    this.counters.discoveryIn++;
    switch (f.code) {
      case Code.PADO: return this.onPado(f.src, f.sessionId, tags, now);
      case Code.PADS: return this.onPads(f.src, f.sessionId, tags);
      case Code.PADT: return this.onPadt(f.src, f.sessionId, tags);
      default: this.counters.ignored++;
    }
  }

  private onPado(src: Buffer, sid: number, tags: TagTlv[], now: number): void {
    if (this.state !== 'padi' || sid !== 0 || !this.ourUniq(tags)) return void this.counters.ignored++;
    const acName = findTag(tags, Tag.AcName);
    const err = errorOf(tags);
    // RFC 2516 §5.2: a PADO MUST carry an AC-Name and the Service-Name asked for.
    if (!acName) return this.reject(src, 'PADO without AC-Name');
    if (err) return this.reject(src, `PADO with ${err}`);
    const services = tags.filter((t) => t.type === Tag.ServiceName).map((t) => t.value.toString('utf8'));
    if (!services.includes(this.o.service) && !(this.o.service === '' && services.length)) return this.reject(src, `PADO without Service-Name "${this.o.service}"`);
    const name = acName.toString('utf8');
    if (this.o.acName !== undefined && name !== this.o.acName) return this.reject(src, `AC-Name "${printable(acName)}" is not "${this.o.acName}"`);
    if (this.o.acMac && !src.equals(this.o.acMac)) return this.reject(src, `AC MAC is not ${macToString(this.o.acMac)}`);
    const cookie = findTag(tags, Tag.AcCookie);
    const relay = findTag(tags, Tag.RelaySessionId);
    this.ac = { mac: Buffer.from(src), name, cookie: cookie && Buffer.from(cookie), relay: relay && Buffer.from(relay) };
    this.log('info', `PADO from ${macToString(src)}: AC-Name ${printable(acName)}`);
    this.state = 'padr';
    this.tries = 0;
    this.wait = this.o.timeoutMs;
    this.sendPadr(now);
  }

  private onPads(src: Buffer, sid: number, tags: TagTlv[]): void {
    if (this.state !== 'padr' || !this.ac || !src.equals(this.ac.mac) || !this.ourUniq(tags)) return void this.counters.ignored++;
    const err = errorOf(tags);
    // RFC 2516 §5.4: an error TAG, or SESSION_ID 0, is a refusal.
    if (err || sid === 0) {
      this.fail(`PADS: ${err ?? 'session id 0'}`);
      return;
    }
    this.sessionId = sid;
    const asked = this.o.maxPayload;
    const mp = findTag(tags, Tag.PppMaxPayload);
    // RFC 4638 §5: the larger payload only when the AC echoed it.
    if (asked && asked > PPPOE_DEFAULT_MTU && mp && mp.length === 2) this.mtu = Math.min(asked, mp.readUInt16BE(0));
    this.state = 'session';
    this.deadline = undefined;
    this.log('info', `PPP session is ${sid}`);
    this.events.push({ type: 'up', sessionId: sid, peer: this.ac.mac, acName: this.ac.name, mtu: this.mtu });
  }

  private onPadt(src: Buffer, sid: number, tags: TagTlv[]): void {
    if (this.state !== 'session' || !this.ac || !src.equals(this.ac.mac) || sid !== this.sessionId) return void this.counters.ignored++;
    const err = errorOf(tags);
    this.log('info', `PADT: session ${sid} terminated by the access concentrator${err ? ` (${err})` : ''}`);
    this.state = 'closed';
    this.events.push({ type: 'down', why: 'PADT from the access concentrator', byPeer: true });
  }

  private reject(src: Buffer, why: string): void {
    this.counters.ignored++;
    this.log('debug', `ignoring PADO from ${macToString(src)}: ${why}`);
  }

  private fail(why: string): void {
    this.log('error', why);
    this.state = 'closed';
    this.deadline = undefined;
    this.events.push({ type: 'failed', why });
  }

  private sendPadi(now: number): void {
    if (this.tries >= this.o.attempts) return this.fail('Timeout waiting for PADO packets');
    this.tries++;
    const tags = [tag(Tag.ServiceName, this.o.service), ...this.uniqTags(), ...this.payloadTag()];
    this.discovery(BROADCAST, Code.PADI, 0, tags);
    this.deadline = now + this.wait;
    this.wait *= 2;
  }

  private sendPadr(now: number): void {
    const ac = this.ac!;
    if (this.tries >= this.o.attempts) return this.fail('Timeout waiting for PADS packets');
    this.tries++;
    const tags = [tag(Tag.ServiceName, this.o.service), ...this.uniqTags(), ...this.payloadTag()];
    // §5.3: the AC-Cookie and Relay-Session-Id go back unchanged.
    if (ac.cookie) tags.push(tag(Tag.AcCookie, ac.cookie));
    if (ac.relay) tags.push(tag(Tag.RelaySessionId, ac.relay));
    this.discovery(ac.mac, Code.PADR, 0, tags);
    this.deadline = now + this.wait;
    this.wait *= 2;
  }

  private uniqTags(): TagTlv[] {
    return this.o.hostUniq ? [tag(Tag.HostUniq, this.o.hostUniq)] : [];
  }

  private payloadTag(): TagTlv[] {
    const mp = this.o.maxPayload;
    return mp && mp > PPPOE_DEFAULT_MTU ? [tag(Tag.PppMaxPayload, u16(mp))] : [];
  }

  /** With a Host-Uniq of ours, answers must carry it back (§5.2); without, they must not differ. */
  private ourUniq(tags: TagTlv[]): boolean {
    const u = findTag(tags, Tag.HostUniq);
    if (!this.o.hostUniq) return true;
    return !!u && u.equals(this.o.hostUniq);
  }

  private discovery(dst: Buffer, code: number, sid: number, tags: TagTlv[]): void {
    this.counters.discoveryOut++;
    this.out.push(encodeFrame({ dst, src: this.o.mac, ethertype: ETH_P_PPPOE_DISC, code, sessionId: sid, payload: encodeTags(tags) }));
  }

  private log(level: 'info' | 'notice' | 'warn' | 'error' | 'debug', msg: string): void {
    this.events.push({ type: 'log', level, msg });
  }
}
