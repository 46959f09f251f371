/**
 * The reliable delivery of control messages (RFC 2661 §5.8): every message but the ZLB
 * takes the next Ns; Nr tells the peer the next Ns we expect (acknowledging all before it).
 * At most the peer's Receive Window Size messages are outstanding; each is retransmitted
 * with exponential backoff (§5.8: "the retransmission timer ... SHOULD be doubled", capped)
 * until acknowledged or the retry limit is reached (then the tunnel is torn down). Received
 * messages are delivered in Ns order: duplicates are acknowledged again and dropped (§5.8:
 * the peer did not hear our ack), ones ahead of Nr within our window wait, others drop.
 * When nothing we send carries the acknowledgement, a Zero-Length Body message does.
 *
 * Sans-IO: `send`/`receive`/`tick` queue datagrams on `output`.
 */
import { encodeControl, seqBefore, seqDistance } from './header.js';

export interface ChannelTiming {
  /** The first retransmission timeout (§5.8 suggests 1 s). */
  initialMs: number;
  /** The cap of the doubling (§5.8: "no less than 8 seconds" is a cap suggested). */
  maxMs: number;
  /** Retransmissions before giving up (§5.8 recommends 5 at least). */
  maxRetries: number;
}

export const DEFAULT_TIMING: ChannelTiming = { initialMs: 1000, maxMs: 8000, maxRetries: 5 };

interface Outstanding {
  ns: number;
  sessionId: number;
  body: Buffer;
  retries: number;
  deadline: number;
}

export interface ChannelCounters {
  sent: number;
  retransmitted: number;
  received: number;
  duplicates: number;
  reordered: number;
  outOfWindow: number;
  zlbSent: number;
  zlbReceived: number;
}

export interface Delivered<T> {
  sessionId: number;
  message: T;
}

export class ControlChannel<T> {
  /** Ns of the next new message. */
  private ns = 0;
  /** The next Ns we expect from the peer. */
  private nr = 0;
  private readonly outstanding: Outstanding[] = [];
  /** Messages waiting for room in the peer's window (bounded by `maxQueued`). */
  private readonly waiting: { sessionId: number; body: Buffer }[] = [];
  /** Messages ahead of Nr, by Ns (bounded by our receive window). */
  private readonly early = new Map<number, Delivered<T>>();
  private ackOwed = false;
  private sentSinceAck = false;
  /** The tunnel id the peer assigned (0 until SCCRQ/SCCRP told us). */
  peerTunnelId = 0;
  /** §5.8: the peer's Receive Window Size AVP, 4 when absent. */
  peerWindow = 4;
  failed = false;
  readonly counters: ChannelCounters = { sent: 0, retransmitted: 0, received: 0, duplicates: 0, reordered: 0, outOfWindow: 0, zlbSent: 0, zlbReceived: 0 };
  /** Datagrams for the peer. */
  output: Buffer[] = [];

  constructor(
    private readonly timing: ChannelTiming,
    /** Our Receive Window Size: how many early messages we keep. */
    private readonly receiveWindow: number,
    private readonly maxQueued = 32,
  ) {}

  /** Queues a message; false when the queue is full (the caller tears the tunnel down). */
  send(sessionId: number, body: Buffer, now: number): boolean {
    if (this.waiting.length >= this.maxQueued) return false;
    this.waiting.push({ sessionId, body });
    this.pump(now);
    return true;
  }

  /** Nothing outstanding or waiting (a HELLO may go; a closing tunnel may go away). */
  get idle(): boolean {
    return this.outstanding.length === 0 && this.waiting.length === 0;
  }

  /**
   * A control message from the peer (`message` undefined for a ZLB). Returns the messages
   * now deliverable in order.
   */
  receive(ns: number, nr: number, sessionId: number, message: T | undefined, now: number): Delivered<T>[] {
    this.acknowledged(nr, now);
    if (message === undefined) {
      this.counters.zlbReceived++;
      return [];
    }
    this.counters.received++;
    if (ns !== this.nr) {
      if (seqBefore(ns, this.nr)) {
        // Already delivered: our ack was lost. Acknowledge again (§5.8).
        this.counters.duplicates++;
        this.ackOwed = true;
        return [];
      }
      if (seqDistance(this.nr, ns) < this.receiveWindow) {
        if (!this.early.has(ns)) this.counters.reordered++;
        this.early.set(ns, { sessionId, message });
      } else {
        this.counters.outOfWindow++;
      }
      this.ackOwed = true;
      return [];
    }
    const out: Delivered<T>[] = [{ sessionId, message }];
    this.nr = (this.nr + 1) & 0xffff;
    for (let next = this.early.get(this.nr); next; next = this.early.get(this.nr)) {
      this.early.delete(this.nr);
      out.push(next);
      this.nr = (this.nr + 1) & 0xffff;
    }
    this.ackOwed = true;
    this.sentSinceAck = false;
    return out;
  }

  /**
   * After a round of input and the replies to it: a ZLB acknowledges what no reply carried
   * (§5.8: "a ZLB ... when there are no other messages waiting").
   */
  flushAck(): void {
    if (this.ackOwed && !this.sentSinceAck) {
      this.output.push(encodeControl(this.peerTunnelId, 0, this.ns, this.nr, Buffer.alloc(0)));
      this.counters.zlbSent++;
    }
    this.ackOwed = false;
    this.sentSinceAck = false;
  }

  tick(now: number): void {
    if (this.failed) return;
    for (const o of this.outstanding) {
      if (o.deadline > now) continue;
      if (o.retries >= this.timing.maxRetries) {
        this.failed = true;
        return;
      }
      o.retries++;
      o.deadline = now + Math.min(this.timing.initialMs * 2 ** o.retries, this.timing.maxMs);
      this.counters.retransmitted++;
      this.transmit(o);
    }
  }

  nextDeadline(): number | undefined {
    if (this.failed) return undefined;
    let at: number | undefined;
    for (const o of this.outstanding) if (at === undefined || o.deadline < at) at = o.deadline;
    return at;
  }

  private acknowledged(nr: number, now: number): void {
    // Every outstanding message before Nr is acknowledged; a bogus Nr (ahead of what we
    // sent) acknowledges only what we sent.
    while (this.outstanding.length && seqBefore(this.outstanding[0]!.ns, nr) && !seqBefore(this.ns, nr)) this.outstanding.shift();
    this.pump(now);
  }

  private pump(now: number): void {
    while (this.waiting.length && this.outstanding.length < Math.max(1, this.peerWindow)) {
      const w = this.waiting.shift()!;
      const o: Outstanding = { ns: this.ns, sessionId: w.sessionId, body: w.body, retries: 0, deadline: now + this.timing.initialMs };
      this.ns = (this.ns + 1) & 0xffff;
      this.outstanding.push(o);
      this.counters.sent++;
      this.transmit(o);
    }
  }

  private transmit(o: Outstanding): void {
    // Every (re)transmission carries the current Nr: it acknowledges too.
    this.output.push(encodeControl(this.peerTunnelId, o.sessionId, o.ns, this.nr, o.body));
    if (this.ackOwed) this.sentSinceAck = true;
  }
}
