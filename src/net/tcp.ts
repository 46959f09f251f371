/**
 * One TCP connection, sans-IO (RFC 9293), terminated in userspace and spliced to a host
 * socket through requests to the IO adapter.
 *
 * Roles: a passive open is a client SYN that waits in CONNECTING until the host connect()
 * succeeds, then answers SYN-ACK (slirp's order: the client sees a refusal as RST rather
 * than an accept followed by a reset). An active open (SYN_SENT) is the stack connecting
 * to the PPP peer: port forwards now, and a client-role stack later.
 *
 * Implemented: MSS option (RFC 9293 §3.7.1), window scaling (RFC 7323 §2), SACK-permitted
 * parsed and declined, RTO per RFC 6298 with Karn's rule, Reno congestion control with
 * NewReno recovery (RFC 5681, RFC 6582), fast retransmit on 3 duplicate ACKs, zero-window
 * probing (RFC 9293 §3.8.6.1), sender and receiver silly-window avoidance (RFC 9293
 * §3.8.6.2), delayed ACKs (RFC 1122 §4.2.3.2), RST and SYN validation (RFC 5961), half-close
 * both ways, and a short TIME-WAIT.
 */
import { ByteQueue } from './bytequeue.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/packet.js';
import type { HostRequest } from './requests.js';
import type { NetOptions } from './config.js';

export type TcpState =
  | 'CONNECTING' | 'SYN_SENT' | 'SYN_RECEIVED' | 'ESTABLISHED' | 'FIN_WAIT_1' | 'FIN_WAIT_2'
  | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'CLOSED';

// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;

/** The options a connection reads (documented on NetOptions). */
export type TcpConfig = Pick<
  NetOptions,
  | 'mtu' | 'tcpSendBuffer' | 'tcpRecvBuffer' | 'tcpConnectTimeout' | 'tcpTimeWait' | 'tcpIdleTimeout'
  | 'tcpInitialRto' | 'tcpMinRto' | 'tcpMaxRto' | 'tcpMaxRetries' | 'tcpMaxSynRetries' | 'tcpDelayedAck'
>;

export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  bytesFromClient: number;
  bytesToClient: number;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  dupAcks: number;
  outOfOrder: number;
  unacceptable: number;
  windowProbes: number;
  windowUpdates: number;
  challengeAcks: number;
  resetsSent: number;
  resetsReceived: number;
  aborted: number;
  closed: number;
}

export function newTcpCounters(): TcpCounters {
  return {
    segmentsIn: 0, segmentsOut: 0, bytesFromClient: 0, bytesToClient: 0, retransmits: 0, fastRetransmits: 0,
    timeouts: 0, dupAcks: 0, outOfOrder: 0, unacceptable: 0, windowProbes: 0, windowUpdates: 0, challengeAcks: 0,
    resetsSent: 0, resetsReceived: 0, aborted: 0, closed: 0,
  };
}

export interface SegmentOut {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  /** Only read while the segment is built (ByteQueue.peek: possibly a view of the send queue). */
  payload?: Uint8Array;
  mss?: number;
  wscale?: number;
  /** A super-segment's segment size (the MSS), 0 for an ordinary segment: TcpEnv.gso. */
  gso: number;
}

/**
 * The one SegmentOut every connection emits through: env.send() builds the packet at once
 * and keeps nothing of it, so a segment needs no object of its own (one per segment sent was
 * garbage, and objects of three shapes made the packet builder's reads of it polymorphic).
 */
const SEGMENT: SegmentOut = { flags: 0, seq: 0, ack: 0, window: 0, payload: undefined, mss: undefined, wscale: undefined, gso: 0 };

/** What a connection needs from the stack around it. */
export interface TcpEnv {
  readonly cfg: TcpConfig;
  readonly counters: TcpCounters;
  /**
   * Segmentation offload (src/wire/gso.ts): the most data one IPv4 segment handed to
   * send() may carry when the link cuts it into MSS-sized segments itself; 0: off, every
   * segment at most the MSS (IPv6 segments always are).
   */
  gso: number;
  /** Builds `seg` into a packet at once: the object is reused for the next segment. */
  send(c: TcpConn, seg: SegmentOut): void;
  request(r: HostRequest): void;
  /** Octets buffered host→client changed by `delta` (session and global accounting). */
  buffered(delta: number): void;
  /** Session or global buffer budget exhausted: pause host reads. */
  overBudget(): boolean;
  /** The connection entered TIME-WAIT (its slot and buffers are free). */
  timeWait(c: TcpConn): void;
  /** The connection is gone. */
  closed(c: TcpConn): void;
  /**
   * Input is arriving as a batch (endBatch() follows): a connection that owes an ACK for
   * in-order data registers here and sends one ACK for the batch instead of one per
   * second segment.
   */
  batchAck?(c: TcpConn): boolean;
}

interface OooSegment {
  seq: number;
  data: Buffer;
  fin: boolean;
}

const SYNCHRONIZED: ReadonlySet<TcpState> = new Set(['SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK']);
/** States in which we may send data or our FIN. */
const SENDING: ReadonlySet<TcpState> = new Set(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT_1', 'CLOSING', 'LAST_ACK']);
/** States in which client data is still accepted. */
const RECEIVING: ReadonlySet<TcpState> = new Set(['SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']);

/**
 * An address of either family: IPv4 as a u32, IPv6 as its 16 octets. The engine never looks
 * inside; only the stack that builds the packets (and the header overhead) cares.
 */
export type Addr = number | Buffer;

export interface Endpoint {
  /** Our address and port (for a passive open: what the client connected to). */
  localAddr: Addr;
  localPort: number;
  /** The PPP peer's. */
  remoteAddr: Addr;
  remotePort: number;
}

/** IP + TCP header octets without options: what the MTU leaves for the MSS (RFC 9293 §3.7.1, RFC 8200 §5). */
export function headerOverhead(a: Addr): number {
  return typeof a === 'number' ? 40 : 60;
}

export class TcpConn {
  state: TcpState;
  readonly ep: Endpoint;
  readonly key: string;

  // --- send side ------------------------------------------------------------------------
  private readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /** Highest sequence number sent (SND.NXT before a go-back-N on timeout). */
  sndMax: number;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  /** The peer's window shift (applied to windows it sends us). */
  private sndShift = 0;
  /** Our shift (applied to the windows we advertise). */
  private rcvShift = 0;
  /** The peer's MSS or 536 (RFC 9293 §3.7.1), bounded by our MTU. */
  effMss: number;
  /** Host data; sendQ[0] has sequence number qSeq. */
  readonly sendQ = new ByteQueue();
  private qSeq: number;
  /** The host half-closed: our FIN follows the queued data. */
  hostEnded = false;
  /** We have half-closed the host socket (the client's FIN reached it). */
  hostEndSent = false;
  hostPaused = false;

  // --- receive side ---------------------------------------------------------------------
  irs = 0;
  rcvNxt = 0;
  /** The right edge of the window we last advertised (never moved left). */
  private rcvAdvEdge = 0;
  /** Client octets handed to the host and not yet reported written. */
  rcvUsed = 0;
  private ooo: OooSegment[] = [];
  oooBytes = 0;
  private ackPending = 0;
  private ackNow = false;

  // --- timers ---------------------------------------------------------------------------
  private rto: number;
  private srtt?: number;
  private rttvar = 0;
  private rttSeq = 0;
  private rttTime?: number;
  private rtxAt?: number;
  private retries = 0;
  private synRetransmitted = false;
  private persistAt?: number;
  private persistBackoff = 0;
  private delAckAt?: number;
  timeWaitAt?: number;
  private connectAt?: number;
  private lastActivity: number;

  // --- congestion control (RFC 5681) -----------------------------------------------------
  cwnd: number;
  ssthresh = 0x3fffffff;
  private dupAcks = 0;
  private inRecovery = false;
  private recover: number;

  constructor(
    private readonly env: TcpEnv,
    readonly id: number,
    ep: Endpoint,
    iss: number,
    now: number,
    role: 'passive' | 'active',
    syn?: TcpSegment,
  ) {
    const cfg = env.cfg;
    this.ep = ep;
    this.key = connKey(ep.remoteAddr, ep.remotePort, ep.localAddr, ep.localPort);
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.qSeq = seqAdd(this.iss, 1);
    this.recover = this.iss;
    this.rto = cfg.tcpInitialRto;
    this.lastActivity = now;
    this.effMss = cfg.mtu - headerOverhead(ep.localAddr);
    this.cwnd = initialWindow(this.effMss);
    if (role === 'passive') {
      if (!syn) throw new Error('passive open needs the SYN');
      this.state = 'CONNECTING';
      this.irs = syn.seq;
      this.rcvNxt = seqAdd(syn.seq, 1);
      this.rcvAdvEdge = this.rcvNxt;
      this.takeSynOptions(syn);
      this.sndWnd = syn.window; // never scaled in a SYN (RFC 7323 §2.2)
      this.maxSndWnd = this.sndWnd;
      this.connectAt = now + cfg.tcpConnectTimeout;
    } else {
      this.state = 'SYN_SENT';
      this.rcvShift = windowShift(cfg.tcpRecvBuffer);
      this.sendSyn(now);
    }
  }

  // ====================================================================================
  // Host side (called by the stack on the adapter's reports)
  // ====================================================================================

  /** The host connect() succeeded: answer the client's SYN. */
  hostConnected(now: number): void {
    if (this.state !== 'CONNECTING') return;
    this.state = 'SYN_RECEIVED';
    this.connectAt = undefined;
    this.sendSyn(now);
  }

  /** Octets read from the host socket. */
  hostData(data: Buffer, now: number): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT' || this.hostEnded) return;
    this.lastActivity = now;
    this.sendQ.push(data);
    this.env.buffered(data.length);
    if (!this.hostPaused && (this.sendQ.length >= this.env.cfg.tcpSendBuffer || this.env.overBudget())) {
      this.hostPaused = true;
      this.env.request({ type: 'tcp-pause', id: this.id });
    }
    this.output(now);
  }

  /** The host half-closed (end of its stream): our FIN follows the data (RFC 9293 §3.10.4). */
  hostEnd(now: number): void {
    if (this.hostEnded || this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    this.hostEnded = true;
    if (this.state === 'ESTABLISHED') this.state = 'FIN_WAIT_1';
    else if (this.state === 'CLOSE_WAIT') this.state = 'LAST_ACK';
    // CONNECTING / SYN_SENT / SYN_RECEIVED: the FIN waits for ESTABLISHED.
    this.output(now);
  }

  /** The adapter flushed `n` octets into the host socket: the window may reopen. */
  hostWritten(n: number, now: number): void {
    if (this.state === 'CLOSED') return;
    const before = this.advertisedWindow();
    this.rcvUsed = Math.max(0, this.rcvUsed - n);
    if (!RECEIVING.has(this.state) || this.state === 'SYN_RECEIVED') return;
    // Send a window update when the window was small and has grown usefully (receiver
    // SWS avoidance, RFC 9293 §3.8.6.2.2: by at least min(buffer/2, MSS)).
    const cap = this.env.cfg.tcpRecvBuffer;
    const free = cap - this.rcvUsed;
    if (before < cap / 2 && free - before >= Math.min(cap / 2, this.effMss)) {
      this.env.counters.windowUpdates++;
      this.ackNow = true;
      this.flushAck(now);
    }
  }

  /** The host socket closed or failed. */
  hostGone(now: number): void {
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (this.hostEnded && this.hostEndSent) return; // both directions were finished: normal
    // An unexpected close (reset, error): reset the client.
    this.reset(now, false);
  }

  /** Kills the connection: RST to the peer and, if `toHost`, to the host socket. */
  reset(now: number, toHost: boolean): void {
    if (this.state === 'CLOSED') return;
    if (SYNCHRONIZED.has(this.state) && this.state !== 'TIME_WAIT') {
      this.env.counters.resetsSent++;
      this.emit(TCP_RST | TCP_ACK, this.sndNxt, this.rcvNxt, 0);
    } else if (this.state === 'CONNECTING') {
      this.env.counters.resetsSent++;
      this.emit(TCP_RST | TCP_ACK, 0, this.rcvNxt, 0);
    }
    if (toHost && this.state !== 'TIME_WAIT') this.env.request({ type: 'tcp-abort', id: this.id });
    this.env.counters.aborted++;
    this.close(now);
  }

  /** Forgets the connection without telling the peer (the caller answered it otherwise). */
  drop(now: number): void {
    this.close(now);
  }

  // ====================================================================================
  // Segments from the peer
  // ====================================================================================

  segment(seg: TcpSegment, now: number): void {
    this.env.counters.segmentsIn++;
    switch (this.state) {
      case 'CLOSED':
        return;
      case 'CONNECTING':
        return this.segmentConnecting(seg, now);
      case 'SYN_SENT':
        return this.segmentSynSent(seg, now);
      default:
        this.segmentSynchronized(seg, now);
        this.afterInput(now);
    }
  }

  private segmentConnecting(seg: TcpSegment, now: number): void {
    // Waiting for the host: the client may retransmit its SYN; nothing else is expected.
    if (seg.flags & TCP_RST) {
      if (seg.seq === this.rcvNxt || seg.seq === this.irs) {
        this.env.counters.resetsReceived++;
        this.env.request({ type: 'tcp-abort', id: this.id });
        this.close(now);
      }
    }
  }

  private segmentSynSent(seg: TcpSegment, now: number): void {
    // RFC 9293 §3.10.7.3.
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (!(seg.flags & TCP_RST)) this.sendRstFor(seg);
      return;
    }
    if (seg.flags & TCP_RST) {
      if (hasAck) {
        this.env.counters.resetsReceived++;
        this.env.request({ type: 'tcp-abort', id: this.id });
        this.close(now);
      }
      return;
    }
    if (!(seg.flags & TCP_SYN) || !hasAck) return; // simultaneous open is not supported
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.rcvAdvEdge = seqAdd(this.rcvNxt, Math.min(this.env.cfg.tcpRecvBuffer, 65535)); // our SYN's window
    this.takeSynOptions(seg);
    this.ackReceived(seg, now); // SND.UNA = SEG.ACK, RTT sample
    this.sndWnd = seg.window; // unscaled in a SYN-ACK
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.established(now);
    this.ackNow = true;
    this.lastActivity = now;
    // Data may ride on the SYN-ACK (rare): take it.
    if (seg.payload.length || seg.flags & TCP_FIN) {
      this.segmentText(seqAdd(seg.seq, 1), seg.flags & ~TCP_SYN, seg.payload, now);
    }
    this.afterInput(now);
  }

  private segmentSynchronized(seg: TcpSegment, now: number): void {
    const cfgCounters = this.env.counters;
    let flags = seg.flags;
    let seq = seg.seq;
    let payload = seg.payload;

    if (this.state === 'SYN_RECEIVED' && flags & TCP_SYN && !(flags & TCP_ACK) && seq === this.irs) {
      // Our SYN-ACK was lost: the client repeats its SYN.
      this.sendSynAck();
      return;
    }

    // A SYN in a synchronized state, whatever its sequence number, draws a challenge ACK
    // (RFC 5961 §4.2; it replaces RFC 793's reset).
    if (flags & TCP_SYN && !(flags & TCP_RST)) {
      this.challengeAck();
      return;
    }

    // 1. Sequence acceptability (RFC 9293 §3.10.7.4, first check).
    const wnd = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    const segLen = payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    let acceptable: boolean;
    if (segLen === 0) acceptable = wnd === 0 ? seq === this.rcvNxt : inWindow(seq, this.rcvNxt, wnd);
    else acceptable = wnd > 0 && (inWindow(seq, this.rcvNxt, wnd) || inWindow(seqAdd(seq, segLen - 1), this.rcvNxt, wnd));
    let zeroWindowData = false;
    if (!acceptable) {
      if (flags & TCP_RST) return;
      cfgCounters.unacceptable++;
      if (this.state === 'TIME_WAIT' && flags & TCP_FIN) {
        this.timeWaitAt = now + this.env.cfg.tcpTimeWait; // a retransmitted FIN restarts 2MSL
      }
      // A zero window still lets the ACK field through (RFC 9293 §3.10.7.4).
      if (wnd === 0 && seq === this.rcvNxt && !(flags & TCP_SYN)) {
        zeroWindowData = true;
        payload = payload.subarray(0, 0);
        flags &= ~TCP_FIN;
        this.ackNow = true;
      } else {
        this.ackNow = true;
        return;
      }
    }

    // 2. RST (RFC 5961 §3.2): exact match resets, otherwise a challenge ACK.
    if (flags & TCP_RST) {
      if (seq === this.rcvNxt) {
        cfgCounters.resetsReceived++;
        if (this.state === 'TIME_WAIT') {
          // RFC 1337: ignore RSTs in TIME-WAIT rather than cut it short.
          return;
        }
        this.env.request({ type: 'tcp-abort', id: this.id });
        this.close(now);
      } else {
        this.challengeAck();
      }
      return;
    }

    // Trim to the window: octets before RCV.NXT were received already; those past the
    // right edge are not ours to keep.
    if (payload.length) {
      const before = seqDiff(this.rcvNxt, seq);
      if (before > 0) {
        payload = payload.subarray(Math.min(before, payload.length));
        seq = seqAdd(seq, before);
      }
      const room = seqDiff(this.rcvAdvEdge, seq);
      if (payload.length > room) {
        payload = payload.subarray(0, Math.max(0, room));
        flags &= ~TCP_FIN;
      }
    }

    // 5. ACK.
    if (!(flags & TCP_ACK)) return;
    this.lastActivity = now;
    if (this.state === 'SYN_RECEIVED') {
      if (seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndMax)) {
        this.ackReceived(seg, now);
        this.sndWnd = seg.window << this.sndShift;
        this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
        this.sndWl1 = seg.seq;
        this.sndWl2 = seg.ack;
        this.established(now);
      } else {
        this.sendRstFor(seg);
        return;
      }
    } else if (!this.processAck(seg, now)) {
      return;
    }
    if (this.state === 'CLOSED' || this.state === 'TIME_WAIT') return;
    if (zeroWindowData) return;

    // 7./8. Text and FIN.
    this.segmentText(seq, flags, payload, now); // no copy of the segment object per segment
  }

  /** The ACK field in a synchronized state; false when the segment is to be dropped. */
  private processAck(seg: TcpSegment, now: number): boolean {
    const ack = seg.ack;
    if (seqGt(ack, this.sndMax)) {
      // Acknowledges something never sent (RFC 9293 §3.10.7.4, fifth check).
      this.ackNow = true;
      return false;
    }
    // RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND is a blind injection
    // attempt (or ancient): ACK back and drop the segment, data included.
    if (seqLt(ack, seqAdd(this.sndUna, -Math.max(this.maxSndWnd, 1)))) {
      this.ackNow = true;
      return false;
    }
    const scaledWnd = seg.window << this.sndShift;
    // A peer advertising a zero window is alive: retransmissions into it are probes, and
    // probing never times the connection out (RFC 1122 §4.2.2.17).
    if (scaledWnd === 0) this.retries = 0;
    if (seqGt(ack, this.sndUna)) {
      this.ackReceived(seg, now);
    } else if (ack === this.sndUna) {
      // A duplicate ACK (RFC 5681 §2): no data, no SYN/FIN, data outstanding, same window.
      if (seg.payload.length === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && seqLt(this.sndUna, this.sndMax) &&
        scaledWnd === this.sndWnd && this.sndWnd > 0 && SENDING.has(this.state)) {
        this.duplicateAck(now);
      }
    }
    // Window update (RFC 9293 §3.10.7.4: SND.WL1/SND.WL2 guard against old segments).
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, ack))) {
      const wasZero = this.sndWnd === 0;
      this.sndWnd = scaledWnd;
      this.maxSndWnd = Math.max(this.maxSndWnd, scaledWnd);
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (wasZero && scaledWnd > 0) {
        this.persistAt = undefined;
        this.persistBackoff = 0;
      }
    }
    return true;
  }

  /** SND.UNA advances to seg.ack (acceptable, new): buffers, RTT, RTO, congestion window. */
  private ackReceived(seg: TcpSegment, now: number): void {
    const ack = seg.ack;
    const acked = seqDiff(ack, this.sndUna);
    const qOffset = seqDiff(ack, this.qSeq);
    const finAcked = this.hostEnded && qOffset === this.sendQ.length + 1;
    const dataAcked = Math.max(0, Math.min(qOffset, this.sendQ.length));
    if (dataAcked > 0) {
      this.sendQ.drop(dataAcked);
      this.qSeq = seqAdd(this.qSeq, dataAcked);
      this.env.buffered(-dataAcked);
    }
    const flightBefore = seqDiff(this.sndMax, this.sndUna);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;

    // RTT sample (RFC 6298 §3: Karn — only from a segment never retransmitted).
    if (this.rttTime !== undefined && seqGe(ack, this.rttSeq)) {
      this.rttSample(now - this.rttTime);
      this.rttTime = undefined;
    }
    this.retries = 0;

    // Congestion control.
    const mss = this.effMss;
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        // Full acknowledgement: leave fast recovery (RFC 6582 §3.2 step 3).
        this.cwnd = Math.min(this.ssthresh, Math.max(seqDiff(this.sndMax, this.sndUna), mss) + mss);
        this.inRecovery = false;
        this.dupAcks = 0;
      } else {
        // Partial acknowledgement: retransmit the next hole, deflate (RFC 6582 §3.2 step 3).
        this.retransmitFirst(now);
        this.cwnd = Math.max(mss, this.cwnd - acked + (acked >= mss ? mss : 0));
      }
    } else {
      this.dupAcks = 0;
      // Slow start with appropriate byte counting (RFC 3465 §2.2, L = 2*SMSS): a peer that
      // ACKs a burst at once (receive offload, ACK per batch) still opens the window.
      if (this.cwnd < this.ssthresh) this.cwnd += Math.min(acked, 2 * mss);
      else this.cwnd += Math.max(1, Math.floor((mss * mss) / this.cwnd)); // congestion avoidance (eq. 3)
      // Cap growth so idle connections do not accumulate an enormous window.
      this.cwnd = Math.min(this.cwnd, Math.max(flightBefore, 0) + 64 * mss, 0x3fffffff);
    }

    // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (this.sndUna === this.sndMax) this.rtxAt = undefined;
    else if (this.rtxAt !== undefined) this.rtxAt = now + this.rto;

    if (finAcked) this.ourFinAcked(now);
    this.maybeResumeHost();
  }

  private duplicateAck(now: number): void {
    this.env.counters.dupAcks++;
    this.dupAcks++;
    const mss = this.effMss;
    if (this.dupAcks === 3 && !this.inRecovery && seqGt(this.sndUna, this.recover)) {
      // Fast retransmit (RFC 5681 §3.2 steps 2-4, RFC 6582 §3.2 step 2).
      const flight = seqDiff(this.sndMax, this.sndUna);
      this.ssthresh = Math.max(Math.floor(flight / 2), 2 * mss);
      this.recover = this.sndMax;
      this.inRecovery = true;
      this.env.counters.fastRetransmits++;
      this.retransmitFirst(now);
      this.cwnd = this.ssthresh + 3 * mss;
    } else if (this.dupAcks === 3 && !this.inRecovery) {
      // After a timeout, duplicates of old data do not start a new recovery (RFC 6582 §4.1).
    } else if (this.inRecovery) {
      this.cwnd += mss; // inflate for each segment that left the network (RFC 5681 §3.2 step 5)
    }
  }

  private ourFinAcked(now: number): void {
    switch (this.state) {
      case 'FIN_WAIT_1':
        this.state = 'FIN_WAIT_2';
        break;
      case 'CLOSING':
        this.enterTimeWait(now);
        break;
      case 'LAST_ACK':
        this.env.request({ type: 'tcp-release', id: this.id });
        this.env.counters.closed++;
        this.close(now);
        break;
      default:
        break;
    }
  }

  private segmentText(segSeq: number, segFlags: number, data: Buffer, now: number): void {
    if (!RECEIVING.has(this.state)) return; // the peer's FIN came already: ignore text
    const fin = (segFlags & TCP_FIN) !== 0;
    if (segSeq === this.rcvNxt) {
      if (data.length) this.deliver(data);
      const hadHoles = this.ooo.length > 0;
      let finNow = fin;
      if (hadHoles) {
        finNow = this.drainOoo() || finNow;
        this.ackNow = true; // a hole was (perhaps) filled: ACK at once (RFC 5681 §4.2)
      }
      if (data.length) {
        this.ackPending++;
        // Every second full segment (RFC 1122 §4.2.3.2) — or, for segments that arrived in
        // one batch (one read of the line), one ACK at the batch's end: what a receiver
        // with large receive offload does (the batch is one coalesced segment to it, RFC
        // 5681 §4.2 lets such ACKs cover more). Bounded: a long batch still ACKs every
        // BATCH_ACK_SEGMENTS segments so the peer's clock keeps ticking.
        if (this.ackPending >= 2 && !(this.ackPending < BATCH_ACK_SEGMENTS && this.env.batchAck?.(this))) this.ackNow = true;
        else if (this.delAckAt === undefined) this.delAckAt = now + this.env.cfg.tcpDelayedAck;
      }
      if (finNow) this.peerFin(now);
    } else if (data.length || fin) {
      // Out of order, inside the window: keep it (bounded by the window) and send a
      // duplicate ACK at once (RFC 5681 §4.2).
      this.env.counters.outOfOrder++;
      this.ackNow = true;
      const room = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
      if (this.oooBytes + data.length <= room && !this.ooo.some((o) => o.seq === segSeq && o.data.length >= data.length)) {
        let i = this.ooo.length;
        while (i > 0 && seqGt(this.ooo[i - 1]!.seq, segSeq)) i--;
        this.ooo.splice(i, 0, { seq: segSeq, data, fin });
        this.oooBytes += data.length;
      }
    }
  }

  /** In-order client data to the host. */
  private deliver(data: Buffer): void {
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
    this.rcvUsed += data.length;
    this.env.counters.bytesFromClient += data.length;
    this.env.request({ type: 'tcp-write', id: this.id, data });
  }

  /** Moves queued out-of-order data that now fits; true when a FIN became in-order. */
  private drainOoo(): boolean {
    let fin = false;
    while (this.ooo.length) {
      const o = this.ooo[0]!;
      if (seqGt(o.seq, this.rcvNxt)) break;
      this.ooo.shift();
      this.oooBytes -= o.data.length;
      const skip = seqDiff(this.rcvNxt, o.seq);
      if (skip < o.data.length) this.deliver(o.data.subarray(skip));
      if (o.fin && seqAdd(o.seq, o.data.length) === this.rcvNxt) fin = true;
    }
    return fin;
  }

  /** The client's FIN, in order: half-close the host socket (RFC 9293 §3.10.7.4, eighth). */
  private peerFin(now: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.ackNow = true;
    this.ooo = [];
    this.oooBytes = 0;
    if (!this.hostEndSent) {
      this.hostEndSent = true;
      this.env.request({ type: 'tcp-end', id: this.id });
    }
    switch (this.state) {
      case 'SYN_RECEIVED':
      case 'ESTABLISHED':
        this.state = 'CLOSE_WAIT';
        break;
      case 'FIN_WAIT_1':
        this.state = 'CLOSING';
        break;
      case 'FIN_WAIT_2':
        this.enterTimeWait(now);
        break;
      default:
        break;
    }
  }

  private afterInput(now: number): void {
    if (this.state === 'CLOSED') return;
    this.output(now);
    this.flushAck(now);
  }

  // ====================================================================================
  // Output
  // ====================================================================================

  /** Sends what the windows allow. */
  private output(now: number): void {
    if (!SENDING.has(this.state)) return;
    const mss = this.effMss;
    // Segmentation offload: as many whole segments as the windows allow in one
    // super-segment, cut by the link exactly where they would have been sent apart.
    const burst = this.env.gso > mss && typeof this.ep.localAddr === 'number' ? this.env.gso : mss;
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.qSeq);
      const qlen = this.sendQ.length;
      const avail = qlen - offset;
      if (avail > 0) {
        const usable = seqDiff(seqAdd(this.sndUna, Math.min(this.sndWnd, this.cwnd)), this.sndNxt);
        if (usable <= 0) break;
        let len = Math.min(avail, usable, burst);
        // Whole segments only, unless it is all that is queued (which would go last anyway):
        // a shorter tail is for the next round and the SWS rule.
        if (len > mss && len < avail) len -= len % mss;
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a full segment, all that is queued,
        // or at least half the largest window the peer ever offered; else wait (the
        // persist timer is the override).
        if (len < mss && len < avail && len < this.maxSndWnd / 2) break;
        const fin = this.hostEnded && len === avail;
        this.sendData(offset, len, fin, now);
        continue;
      }
      if (this.hostEnded && offset === qlen) {
        // FIN alone (it needs no window space).
        this.sendData(offset, 0, true, now);
      }
      break;
    }
    // Nothing in flight, data waiting, the window closed (or too small): probe later.
    if (this.sndNxt === this.sndUna && seqDiff(this.sndNxt, this.qSeq) < this.sendQ.length &&
      this.rtxAt === undefined && this.persistAt === undefined) {
      this.persistAt = now + this.persistInterval();
    }
  }

  private sendData(offset: number, len: number, fin: boolean, now: number): void {
    const seq = this.sndNxt;
    const retransmission = seqLt(seq, this.sndMax);
    const payload = len ? this.sendQ.peek(offset, len) : undefined;
    const gso = len > this.effMss ? this.effMss : 0;
    this.emit(TCP_ACK | (fin ? TCP_FIN : 0) | (len && len === this.sendQ.length - offset ? TCP_PSH : 0), seq, this.rcvNxt, 0, payload, undefined, undefined, gso);
    if (gso) this.env.counters.segmentsOut += Math.ceil(len / gso) - 1;
    if (retransmission) {
      this.env.counters.retransmits++;
      this.rttTime = undefined; // Karn
    } else {
      this.env.counters.bytesToClient += len;
      if (this.rttTime === undefined && len > 0) {
        this.rttTime = now;
        this.rttSeq = seqAdd(seq, len);
      }
    }
    this.sndNxt = seqAdd(seq, len + (fin ? 1 : 0));
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    if (this.rtxAt === undefined) this.rtxAt = now + this.rto; // RFC 6298 §5.1
    this.persistAt = undefined;
  }

  /** Resends the first unacknowledged segment, whatever the windows say. */
  private retransmitFirst(now: number): void {
    const offset = Math.max(0, seqDiff(this.sndUna, this.qSeq));
    const avail = this.sendQ.length - offset;
    const len = Math.max(0, Math.min(this.effMss, avail));
    const finSent = this.hostEnded && seqGt(this.sndMax, seqAdd(this.qSeq, this.sendQ.length));
    const fin = finSent && len === avail;
    if (len === 0 && !fin) return;
    const payload = len ? this.sendQ.peek(offset, len) : undefined;
    this.emit(TCP_ACK | (fin ? TCP_FIN : 0), this.sndUna, this.rcvNxt, 0, payload);
    this.env.counters.retransmits++;
    this.rttTime = undefined; // Karn
    const end = seqAdd(this.sndUna, len + (fin ? 1 : 0));
    if (seqLt(this.sndNxt, end)) this.sndNxt = end;
    this.rtxAt = now + this.rto;
  }

  private sendSyn(now: number): void {
    if (this.state === 'SYN_SENT') {
      this.emit(TCP_SYN, this.iss, 0, Math.min(this.env.cfg.tcpRecvBuffer, 65535), undefined, this.env.cfg.mtu - headerOverhead(this.ep.localAddr), this.rcvShift);
    } else {
      this.sendSynAck();
    }
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.rtxAt = now + this.rto;
  }

  private sendSynAck(): void {
    const window = Math.min(this.env.cfg.tcpRecvBuffer, 65535);
    this.rcvAdvEdge = seqAdd(this.rcvNxt, window);
    this.emit(
      TCP_SYN | TCP_ACK, this.iss, this.rcvNxt, window, undefined,
      this.env.cfg.mtu - headerOverhead(this.ep.localAddr),
      // RFC 7323 §2.2: answer with our shift only if the SYN carried one.
      this.wsOk ? this.rcvShift : undefined,
    );
  }

  private wsOk = false;

  private takeSynOptions(syn: TcpSegment): void {
    if (syn.mss !== undefined) this.effMss = Math.max(64, Math.min(syn.mss, this.env.cfg.mtu - headerOverhead(this.ep.localAddr)));
    else this.effMss = Math.min(536, this.env.cfg.mtu - headerOverhead(this.ep.localAddr)); // RFC 9293 §3.7.1 default
    this.cwnd = initialWindow(this.effMss);
    if (syn.wscale !== undefined) {
      this.wsOk = true;
      this.sndShift = syn.wscale;
      if (this.state === 'CONNECTING') this.rcvShift = windowShift(this.env.cfg.tcpRecvBuffer);
    } else {
      // Either side without the option: no scaling in either direction (RFC 7323 §2.2).
      this.wsOk = false;
      this.sndShift = 0;
      this.rcvShift = 0;
    }
    // SACK-permitted is noted and declined: we never send it, so the peer sends no SACK.
  }

  private established(now: number): void {
    this.state = 'ESTABLISHED';
    this.rtxAt = this.sndUna === this.sndMax ? undefined : this.rtxAt;
    this.retries = 0;
    // RFC 6298 §5.7: after a retransmitted SYN, data starts with RTO = 3 s.
    if (this.synRetransmitted && this.srtt === undefined) this.rto = Math.max(this.rto, 3000);
    if (this.hostEnded) this.state = 'FIN_WAIT_1';
    this.output(now);
  }

  /** Every segment we send goes through here: ACK and window are filled in. */
  private emit(flags: number, seq: number, ack: number, window: number, payload?: Uint8Array, mss?: number, wscale?: number, gso = 0): void {
    const synchronized = this.state !== 'SYN_SENT' && this.state !== 'CONNECTING';
    if (!(flags & TCP_SYN) && synchronized) {
      ack = this.rcvNxt;
      window = this.windowField();
      this.ackPending = 0;
      this.ackNow = false;
      this.delAckAt = undefined;
    }
    this.env.counters.segmentsOut++;
    const seg = SEGMENT;
    seg.flags = flags;
    seg.seq = seq;
    seg.ack = ack;
    seg.window = window;
    seg.payload = payload;
    seg.mss = mss;
    seg.wscale = wscale;
    seg.gso = gso;
    this.env.send(this, seg);
    seg.payload = undefined; // a view of the send queue: not kept past the build
  }

  /** The window field to send, moving the right edge only rightwards and usefully. */
  private windowField(): number {
    const cap = this.env.cfg.tcpRecvBuffer;
    const free = Math.max(0, cap - this.rcvUsed);
    const promised = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    let wnd = promised;
    // Receiver SWS avoidance (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3): move the right
    // edge only by at least min(buffer/2, MSS).
    if (free > promised && (free - promised >= Math.min(cap / 2, this.effMss) || promised === 0 && free >= this.effMss)) wnd = free;
    const k = 1 << this.rcvShift;
    const field = Math.min(65535, Math.ceil(wnd / k));
    this.rcvAdvEdge = seqAdd(this.rcvNxt, field * k);
    return field;
  }

  private advertisedWindow(): number {
    return Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
  }

  private flushAck(now: number): void {
    if (this.state === 'CLOSED') return;
    if (this.ackNow) {
      this.emit(TCP_ACK, this.sndNxt, this.rcvNxt, 0);
    } else if (this.ackPending > 0 && this.delAckAt === undefined) {
      this.delAckAt = now + this.env.cfg.tcpDelayedAck;
    }
  }

  /** The batch of input ended: the ACK owed for its in-order data goes out now. */
  endBatch(now: number): void {
    if (this.state === 'CLOSED' || this.ackPending === 0) return;
    this.ackNow = true;
    this.flushAck(now);
  }

  private challengeAck(): void {
    this.env.counters.challengeAcks++;
    this.emit(TCP_ACK, this.sndNxt, this.rcvNxt, 0);
  }

  /** RST for an unacceptable segment (RFC 9293 §3.10.7.1 reset generation). */
  private sendRstFor(seg: TcpSegment): void {
    this.env.counters.resetsSent++;
    if (seg.flags & TCP_ACK) {
      this.env.send(this, { flags: TCP_RST, seq: seg.ack, ack: 0, window: 0, gso: 0 });
    } else {
      const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
      this.env.send(this, { flags: TCP_RST | TCP_ACK, seq: 0, ack: seqAdd(seg.seq, len), window: 0, gso: 0 });
    }
  }

  // ====================================================================================
  // Timers
  // ====================================================================================

  deadline(): number | undefined {
    let at: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    if (this.state === 'TIME_WAIT') return this.timeWaitAt;
    consider(this.rtxAt);
    consider(this.persistAt);
    consider(this.delAckAt);
    consider(this.connectAt);
    if (this.state !== 'CLOSED' && this.state !== 'CONNECTING') consider(this.lastActivity + this.env.cfg.tcpIdleTimeout);
    return at;
  }

  tick(now: number): void {
    if (this.state === 'CLOSED') return;
    if (this.state === 'TIME_WAIT') {
      if (this.timeWaitAt !== undefined && now >= this.timeWaitAt) this.close(now);
      return;
    }
    if (this.connectAt !== undefined && now >= this.connectAt) {
      // The host never answered: refuse the client.
      this.connectAt = undefined;
      this.reset(now, true);
      return;
    }
    if (this.state !== 'CONNECTING' && now >= this.lastActivity + this.env.cfg.tcpIdleTimeout) {
      this.reset(now, true);
      return;
    }
    if (this.rtxAt !== undefined && now >= this.rtxAt) this.retransmitTimeout(now);
    if ((this.state as TcpState) === 'CLOSED') return;
    if (this.persistAt !== undefined && now >= this.persistAt) this.persistTimeout(now);
    if (this.delAckAt !== undefined && now >= this.delAckAt) {
      this.delAckAt = undefined;
      if (this.ackPending > 0) this.ackNow = true;
      this.flushAck(now);
    }
  }

  private retransmitTimeout(now: number): void {
    this.env.counters.timeouts++;
    this.retries++;
    this.rto = Math.min(this.rto * 2, this.env.cfg.tcpMaxRto); // RFC 6298 §5.5
    this.rttTime = undefined;
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED') {
      if (this.retries > this.env.cfg.tcpMaxSynRetries) {
        this.reset(now, true);
        return;
      }
      this.synRetransmitted = true;
      this.env.counters.retransmits++;
      this.sendSyn(now);
      return;
    }
    if (this.retries > this.env.cfg.tcpMaxRetries) {
      this.reset(now, true);
      return;
    }
    if (this.sndUna === this.sndMax) {
      this.rtxAt = undefined;
      return;
    }
    // RFC 5681 §3.1 eq. 4 and loss window; NewReno's recover (RFC 6582 §3.2 step 1).
    const mss = this.effMss;
    this.ssthresh = Math.max(Math.floor(seqDiff(this.sndMax, this.sndUna) / 2), 2 * mss);
    this.cwnd = mss;
    this.recover = this.sndMax;
    this.inRecovery = false;
    this.dupAcks = 0;
    // Go back N: resend from SND.UNA (RFC 6298 §5.4 the earliest segment; the rest
    // follows as ACKs open the congestion window).
    this.sndNxt = this.sndUna;
    this.rtxAt = undefined;
    this.retransmitFirst(now);
    if (this.rtxAt === undefined) this.rtxAt = now + this.rto;
  }

  private persistTimeout(now: number): void {
    this.persistAt = undefined;
    const offset = seqDiff(this.sndNxt, this.qSeq);
    const avail = this.sendQ.length - offset;
    if (avail <= 0 || this.sndNxt !== this.sndUna) return;
    const usable = Math.min(this.sndWnd, this.cwnd);
    if (usable > 0) {
      // The SWS override: send what the window allows.
      this.sendData(offset, Math.min(avail, usable, this.effMss), false, now);
      return;
    }
    // Zero-window probe: one octet past the window (RFC 9293 §3.8.6.1). SND.NXT stays, so
    // the octet is sent again normally if the receiver drops it. Probing never gives up
    // while the peer answers (RFC 1122 §4.2.2.17).
    this.env.counters.windowProbes++;
    this.emit(TCP_ACK, this.sndNxt, this.rcvNxt, 0, this.sendQ.peek(offset, 1));
    const probeEnd = seqAdd(this.sndNxt, 1);
    if (seqGt(probeEnd, this.sndMax)) this.sndMax = probeEnd;
    this.persistBackoff = Math.min(this.persistBackoff + 1, 16);
    this.persistAt = now + this.persistInterval();
  }

  private persistInterval(): number {
    return Math.min(this.rto * 2 ** this.persistBackoff, this.env.cfg.tcpMaxRto);
  }

  private rttSample(r: number): void {
    // RFC 6298 §2.2/2.3 with alpha = 1/8, beta = 1/4, K = 4, G = 1 ms.
    r = Math.max(0, r);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    const cfg = this.env.cfg;
    this.rto = Math.min(cfg.tcpMaxRto, Math.max(cfg.tcpMinRto, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  private enterTimeWait(now: number): void {
    this.state = 'TIME_WAIT';
    this.timeWaitAt = now + this.env.cfg.tcpTimeWait;
    this.rtxAt = this.persistAt = this.delAckAt = undefined;
    this.releaseBuffers();
    this.env.request({ type: 'tcp-release', id: this.id });
    this.env.counters.closed++;
    this.env.timeWait(this);
  }

  /** Resume host reads when the send buffer drained to half (and the budgets allow). */
  maybeResumeHost(): void {
    if (this.hostPaused && this.sendQ.length <= this.env.cfg.tcpSendBuffer / 2 && !this.env.overBudget() &&
      this.state !== 'CLOSED' && this.state !== 'TIME_WAIT') {
      this.hostPaused = false;
      this.env.request({ type: 'tcp-resume', id: this.id });
    }
  }

  private releaseBuffers(): void {
    if (this.sendQ.length) this.env.buffered(-this.sendQ.length);
    this.sendQ.clear();
    this.ooo = [];
    this.oooBytes = 0;
  }

  private close(_now: number): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.releaseBuffers();
    this.rtxAt = this.persistAt = this.delAckAt = this.connectAt = this.timeWaitAt = undefined;
    this.env.closed(this);
  }

  /** Octets this connection holds (send queue and out-of-order data). */
  get memory(): number {
    return this.sendQ.length + this.oooBytes;
  }

  /** For status displays and tests. */
  info(): { id: number; state: TcpState; sendQueued: number; rcvUsed: number; ooo: number; cwnd: number; rto: number; sndWnd: number } {
    return { id: this.id, state: this.state, sendQueued: this.sendQ.length, rcvUsed: this.rcvUsed, ooo: this.oooBytes, cwnd: this.cwnd, rto: this.rto, sndWnd: this.sndWnd };
  }
}

/** At most this many in-order segments of one batch share an ACK. */
const BATCH_ACK_SEGMENTS = 16;

export function connKey(remoteAddr: Addr, remotePort: number, localAddr: Addr, localPort: number): string {
  const a = (x: Addr) => (typeof x === 'number' ? String(x) : x.toString('hex'));
  return `${a(remoteAddr)}:${remotePort}>${a(localAddr)}:${localPort}`;
}

function inWindow(seq: number, start: number, wnd: number): boolean {
  const d = seqDiff(seq, start);
  return d >= 0 && d < wnd;
}

/** The smallest shift that lets `buffer` fit the 16-bit window field (RFC 7323 §2.3, max 14). */
export function windowShift(buffer: number): number {
  let s = 0;
  while (s < 14 && buffer >> s > 65535) s++;
  return s;
}

/** RFC 5681 §3.1 initial window: min(4*SMSS, max(2*SMSS, 4380)). */
function initialWindow(mss: number): number {
  return Math.min(4 * mss, Math.max(2 * mss, 4380));
}
