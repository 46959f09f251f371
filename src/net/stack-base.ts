/**
 * StackBase: what the two sans-IO stacks (NetStack, the NAT/server role in stack.ts, and
 * ClientStack, the client role in client-stack.ts) have in common. Both keep TCP machines
 * (tcp.ts) behind the same TcpEnv, both reassemble, both rate-limit ICMP errors and both
 * hand packets and adapter requests out through take*(); only what they do with a packet
 * once it has passed the IP checks differs. Keeping that plumbing here means a fix to, say,
 * TIME-WAIT bounding or deadline computation reaches both roles at once.
 *
 * The roles fill in the hooks (screen, deliver, closingConn, ...) instead of overriding
 * whole methods, so the order of steps — which decides the order of packets, requests and
 * random draws, and with it what the seeded tests see — is fixed in one place.
 *
 * Still sans-IO: time only comes in as `now` arguments; no sockets, timers or clock.
 */
import { randomInt } from 'node:crypto';
import { buildTcp6, ip6ToString } from '../wire/ipv6.js';
import { gsoBytes, gsoSegments, markGso } from '../wire/gso.js';
import { buildIcmp, buildTcp, buildTcpSegment, fragmentIpv4, icmpQuote, parseIpv4, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Ipv4, type TcpSegment } from '../wire/packet.js';
import { ip4ToString } from '../wire/ipv4.js';
import { Reassembler } from './reassembly.js';
import type { HostRequest } from './requests.js';
import { newTcpCounters, seqAdd, type SegmentOut, type TcpConfig, type TcpConn, type TcpEnv, type TcpState } from './tcp.js';

/** The options both stacks read here (NetOptions and ClientStackOptions both have them). */
export interface StackBaseOptions extends TcpConfig {
  tcpMaxTimeWait: number;
  reassemblyMaxBytes: number;
  reassemblyMaxDatagrams: number;
  reassemblyTimeout: number;
  icmpErrorsPerSecond: number;
  seed?: number;
}

const EPHEMERAL_LOW = 49152; // RFC 6335 §6 dynamic ports
/** A super-segment's most data: its IP total length (16 bits) must hold it and 120 header octets. */
const GSO_MAX = 65535 - 120;

/** O: the role's options; R: what the role asks of its IO adapter. */
export abstract class StackBase<O extends StackBaseOptions, R> {
  readonly opts: O;

  protected packets: Buffer[] = [];
  protected requests: R[] = [];
  protected now: number;
  protected closedForGood = false;
  private ipId: number;
  private readonly secret: number;
  private rng: number;

  // TCP
  protected readonly tcpByKey = new Map<string, TcpConn>();
  protected readonly tcpById = new Map<number, TcpConn>();
  /** Connections that hold a slot (not TIME-WAIT, not closed). */
  protected readonly tcpSlots = new Set<TcpConn>();
  protected readonly timeWaits = new Set<TcpConn>();
  protected readonly tcpCounters = newTcpCounters();
  protected readonly env: TcpEnv;
  protected buffered = 0;
  protected nextId = 1;

  // IP / ICMP
  protected readonly reasm: Reassembler;
  protected readonly ipCounters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
  /** Fragments sent (only NetStack reports it; kept apart so ClientStack's stats stay as they were). */
  protected fragmentsOut = 0;
  protected readonly drops: Record<string, number> = {};
  /** The role's ICMP counters: the shared error path counts into them. */
  protected abstract readonly icmpCounters: { errorsSent: number; errorsRateLimited: number };
  private icmpTokens: number;
  private icmpRefillAt: number;

  constructor(opts: O, now: number) {
    this.opts = opts;
    this.now = now;
    // The draws happen in this order in both roles: seeded tests depend on it.
    const seed = opts.seed;
    this.secret = seed !== undefined ? hash32(`secret${seed}`) : randomInt(0, 0x7fffffff);
    this.rng = (seed !== undefined ? hash32(`rng${seed}`) : randomInt(1, 0x7fffffff)) || 1;
    this.ipId = this.random() & 0xffff;
    this.reasm = new Reassembler({ maxBytes: opts.reassemblyMaxBytes, maxDatagrams: opts.reassemblyMaxDatagrams, timeout: opts.reassemblyTimeout });
    this.icmpTokens = opts.icmpErrorsPerSecond;
    this.icmpRefillAt = now;
    // Closures, not bound methods: the role's overrides (and its fields, set up after this
    // constructor) are what the connections reach.
    this.env = {
      cfg: opts,
      counters: this.tcpCounters,
      gso: 0,
      send: (c, seg) => this.sendTcp(c, seg),
      request: (r) => this.connRequest(r),
      buffered: (d) => this.addBuffered(d),
      overBudget: () => this.overBudget(),
      timeWait: (c) => this.connTimeWait(c),
      closed: (c) => this.connClosed(c),
      batchAck: (c) => {
        if (!this.inBatch) return false;
        this.batchAcks.add(c);
        return true;
      },
    };
  }

  // ========================================================================================
  // Batches
  // ========================================================================================

  private inBatch = false;
  private readonly batchAcks = new Set<TcpConn>();

  /**
   * The packets that follow, up to endBatch(), arrived together (one read of the line): the
   * ACKs they earn are sent once at endBatch() rather than every second segment. Without
   * these calls every segment is answered as it comes.
   */
  beginBatch(): void {
    this.inBatch = true;
  }

  /** The batch is over: one ACK for each connection that still owes one. */
  endBatch(now: number): void {
    this.inBatch = false;
    if (!this.batchAcks.size) return;
    this.advance(now);
    for (const c of this.batchAcks) c.endBatch(now);
    this.batchAcks.clear();
  }

  // ========================================================================================
  // Role hooks
  // ========================================================================================

  /** Address checks on a parsed packet: a drop reason, or undefined to go on. */
  protected abstract screen(ip: Ipv4): string | undefined;
  /** A whole (reassembled) datagram that passed screen(). */
  protected abstract deliver(ip: Ipv4, now: number): void;
  /** Whether fragments are reassembled (otherwise dropped). */
  protected reassemblyEnabled(): boolean {
    return true;
  }
  /** A reassembly timed out; `quote` is the start of its first fragment. */
  protected reassemblyExpired(_quote: Buffer): void {}
  /** tick(): the role's own timers, after the TCP ones. */
  protected abstract tickOthers(now: number): void;
  /** nextDeadline(): the role's own timers. */
  protected abstract considerOthers(consider: (t: number | undefined) => void): void;
  /** close(): a live connection is about to be dropped (tell the adapter). */
  protected abstract closingConn(c: TcpConn, now: number): void;
  /** close(): everything but TCP and reassembly. */
  protected abstract closeOthers(): void;
  /** A request from a TCP connection. */
  protected abstract connRequest(r: HostRequest): void;
  /** The buffer budget is used up: connections pause their host side. */
  protected abstract overBudget(): boolean;

  // ========================================================================================
  // The sans-IO surface
  // ========================================================================================

  /** A packet from the PPP peer. The stack may keep views of it (it takes ownership). */
  input(buf: Buffer, now: number): void {
    this.advance(now);
    if (this.closedForGood) return;
    this.ipCounters.packetsIn++;
    this.ipCounters.bytesIn += buf.length;
    let ip = parseIpv4(buf);
    if (typeof ip === 'string') return this.drop(ip);
    const bad = this.screen(ip);
    if (bad !== undefined) return this.drop(bad);
    if (ip.moreFragments || ip.fragmentOffset !== 0) {
      if (!this.reassemblyEnabled()) return this.drop('fragment');
      const whole = this.reasm.push(ip, now);
      if (!whole) return;
      const again = parseIpv4(whole);
      if (typeof again === 'string') return this.drop(again);
      ip = again;
    }
    this.deliver(ip, now);
  }

  /** Runs timers due at `now`. */
  tick(now: number): void {
    this.advance(now);
    for (const q of this.reasm.expire(now)) this.reassemblyExpired(q);
    for (const c of [...this.tcpById.values()]) {
      const at = c.deadline();
      if (at !== undefined && at <= now) c.tick(now);
    }
    for (const c of [...this.timeWaits]) {
      if (c.timeWaitAt !== undefined && c.timeWaitAt <= now) c.tick(now);
    }
    this.resumePaused();
    this.tickOthers(now);
  }

  /** When tick() is next due (ms), or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    let at: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    consider(this.reasm.nextDeadline());
    for (const c of this.tcpById.values()) consider(c.deadline());
    for (const c of this.timeWaits) consider(c.timeWaitAt);
    this.considerOthers(consider);
    // Host reads paused because the buffer budget ran out: look again soon.
    for (const c of this.tcpSlots) if (c.hostPaused && c.sendQ.length <= this.opts.tcpSendBuffer / 2) { consider(this.now + 100); break; }
    return at;
  }

  /** Packets for the PPP peer, in order. */
  takePackets(): Buffer[] {
    const p = this.packets;
    this.packets = [];
    return p;
  }

  /** Requests for the IO adapter, in order. */
  takeRequests(): R[] {
    const r = this.requests;
    this.requests = [];
    return r;
  }

  /** The session / link ended: every connection and flow ends; later input is ignored. */
  close(now: number): void {
    this.advance(now);
    if (this.closedForGood) return;
    for (const c of [...this.tcpById.values()]) {
      this.closingConn(c, now);
      c.drop(now);
    }
    for (const c of [...this.timeWaits]) c.drop(now);
    this.closeOthers();
    this.reasm.clear();
    this.packets = [];
    this.closedForGood = true;
  }

  // ========================================================================================
  // The host (or local) socket's reports
  // ========================================================================================

  /** Octets from the host/local socket, for the PPP peer. */
  tcpData(id: number, data: Buffer, now: number): void {
    this.advance(now);
    this.tcpById.get(id)?.hostData(data, now);
  }

  /** The host/local socket half-closed: our FIN follows its data. */
  tcpEnd(id: number, now: number): void {
    this.advance(now);
    this.tcpById.get(id)?.hostEnd(now);
  }

  /** `n` octets of a tcp-write were flushed into the host/local socket: the window reopens. */
  tcpWritten(id: number, n: number, now: number): void {
    this.advance(now);
    this.tcpById.get(id)?.hostWritten(n, now);
  }

  // ========================================================================================
  // Status
  // ========================================================================================

  connections(): { id: number; state: TcpState; local: string; remote: string; sendQueued: number; rcvUsed: number }[] {
    return [...this.tcpById.values()].map((c) => ({
      id: c.id, state: c.state,
      local: `${addrToString(c.ep.localAddr)}:${c.ep.localPort}`, remote: `${addrToString(c.ep.remoteAddr)}:${c.ep.remotePort}`,
      sendQueued: c.sendQ.length, rcvUsed: c.rcvUsed,
    }));
  }

  /** For tests: a connection's internals. */
  connection(id: number): TcpConn | undefined {
    return this.tcpById.get(id);
  }

  /** Connections in TIME-WAIT (for stats). */
  protected timeWaitCount(): number {
    let n = 0;
    for (const c of this.timeWaits) if (c.state === 'TIME_WAIT') n++;
    return n;
  }

  // ========================================================================================
  // TCP plumbing
  // ========================================================================================

  /** Frees a connection's slot; NetStack also gives back the shared (all sessions) one. */
  protected releaseTcpSlot(c: TcpConn): void {
    this.tcpSlots.delete(c);
  }

  protected addBuffered(d: number): void {
    this.buffered += d;
  }

  protected connTimeWait(c: TcpConn): void {
    this.releaseTcpSlot(c);
    this.tcpById.delete(c.id);
    this.timeWaits.add(c);
    // Bounded TIME-WAIT: recycle the oldest beyond the limit.
    while (this.timeWaits.size > this.opts.tcpMaxTimeWait) {
      const oldest = this.timeWaits.values().next().value as TcpConn;
      oldest.drop(this.now);
    }
  }

  protected connClosed(c: TcpConn): void {
    this.releaseTcpSlot(c);
    // A newer connection may have taken the key or id over: only remove our own entries.
    if (this.tcpByKey.get(c.key) === c) this.tcpByKey.delete(c.key);
    if (this.tcpById.get(c.id) === c) this.tcpById.delete(c.id);
    this.timeWaits.delete(c);
  }

  protected resumePaused(): void {
    for (const c of this.tcpSlots) if (c.hostPaused) c.maybeResumeHost();
  }

  private sendTcp(c: TcpConn, seg: SegmentOut): void {
    const { localAddr: src, remoteAddr: dst } = c.ep;
    if (typeof src !== 'number' || typeof dst !== 'number') {
      if (typeof src === 'number' || typeof dst === 'number') return; // never mixed: both come from one packet
      this.emitPacket(buildTcp6({
        src, dst, srcPort: c.ep.localPort, dstPort: c.ep.remotePort,
        seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, mss: seg.mss, wscale: seg.wscale, payload: seg.payload,
      }));
      return;
    }
    const pkt = buildTcpSegment(src, dst, c.ep.localPort, c.ep.remotePort, seg, this.nextIpId());
    if (!seg.gso) return this.emitPacket(pkt);
    // A super-segment: its segments take the identifications after its own.
    markGso(pkt, seg.gso);
    const n = gsoSegments(pkt, seg.gso);
    this.ipId = (this.ipId + n - 1) & 0xffff;
    if (this.closedForGood) return;
    this.ipCounters.packetsOut += n;
    this.ipCounters.bytesOut += gsoBytes(pkt, seg.gso);
    this.packets.push(pkt);
  }

  /**
   * Segmentation offload (src/wire/gso.ts): whoever takes this stack's packets can cut
   * IPv4 TCP super-segments (those gsoSize() marks) into MSS-sized ones, so connections
   * may send up to 64 KiB of data in one. Off by default.
   */
  setGso(on: boolean): void {
    this.env.gso = on ? GSO_MAX : 0;
  }

  /** RST for a segment that has no connection (RFC 9293 §3.10.7.1), never about a RST. */
  protected sendRst(ip: Ipv4, seg: TcpSegment): void {
    if (seg.flags & TCP_RST) return;
    this.tcpCounters.resetsSent++;
    const base = { src: ip.dst, dst: ip.src, srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, id: this.nextIpId() };
    if (seg.flags & TCP_ACK) {
      this.emitPacket(buildTcp({ ...base, seq: seg.ack, ack: 0, flags: TCP_RST }));
    } else {
      const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
      this.emitPacket(buildTcp({ ...base, seq: 0, ack: seqAdd(seg.seq, len), flags: TCP_RST | TCP_ACK }));
    }
  }

  protected iss(key: string, now: number): number {
    // RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond clock.
    return (Math.floor(now * 250) + hash32(key, this.secret)) >>> 0;
  }

  // ========================================================================================
  // ICMP and output
  // ========================================================================================

  /**
   * Sends an ICMP error about `ip` from `from`, unless the token bucket is empty (RFC 1812
   * §4.3.2.8). The role decides beforehand whether an error may be sent at all.
   */
  protected emitIcmpError(ip: Ipv4, type: number, code: number, from: number): void {
    const elapsed = this.now - this.icmpRefillAt;
    if (elapsed > 0) {
      this.icmpTokens = Math.min(this.opts.icmpErrorsPerSecond, this.icmpTokens + (elapsed * this.opts.icmpErrorsPerSecond) / 1000);
      this.icmpRefillAt = this.now;
    }
    if (this.icmpTokens < 1) {
      this.icmpCounters.errorsRateLimited++;
      return;
    }
    this.icmpTokens--;
    this.icmpCounters.errorsSent++;
    this.emitPacket(buildIcmp(from, ip.src, type, code, 0, icmpQuote(ip.packet), this.nextIpId()));
  }

  protected emitPacket(pkt: Buffer): void {
    if (this.closedForGood) return;
    const mtu = this.opts.mtu;
    // IPv6 is never fragmented on the way (RFC 8200 §5): TCP keeps to the MSS; an oversized
    // datagram is dropped (Packet Too Big would be for the sender, which is the host).
    if (pkt.length <= mtu) {
      // Every segment of a bulk transfer: no array of one fragment.
      this.ipCounters.packetsOut++;
      this.ipCounters.bytesOut += pkt.length;
      this.packets.push(pkt);
      return;
    }
    if (pkt[0]! >> 4 === 6) return this.drop('ip6TooBig');
    const frags = fragmentIpv4(pkt, mtu);
    if (frags.length > 1) this.fragmentsOut += frags.length;
    for (const f of frags) {
      this.ipCounters.packetsOut++;
      this.ipCounters.bytesOut += f.length;
      this.packets.push(f);
    }
  }

  protected nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  protected drop(reason: string): void {
    count(this.drops, reason);
  }

  protected advance(now: number): void {
    if (now > this.now) this.now = now;
  }

  protected random(): number {
    // xorshift32: port choice and DNS ids only (ISNs use the keyed hash).
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0 || 1;
    return this.rng;
  }

  /** RFC 6056 §3.3.1-like: a random start in the dynamic range, then the next free. */
  protected ephemeralPort(used: (p: number) => boolean): number | undefined {
    const span = 65536 - EPHEMERAL_LOW;
    const start = this.random() % span;
    for (let i = 0; i < span; i++) {
      const p = EPHEMERAL_LOW + ((start + i) % span);
      if (!used(p)) return p;
    }
    return undefined;
  }
}

/** Adds one to a named counter. */
export function count(o: Record<string, number>, k: string): void {
  o[k] = (o[k] ?? 0) + 1;
}

/** FNV-1a over a string, mixed with a secret, then finalised. */
export function hash32(s: string, secret = 0): number {
  let h = (0x811c9dc5 ^ secret) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** An endpoint address as text: dotted quad or RFC 5952. */
export function addrToString(a: number | Buffer): string {
  return typeof a === 'number' ? ip4ToString(a) : ip6ToString(a);
}
