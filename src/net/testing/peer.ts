/**
 * Test helpers (not part of the stack): a deliberately simple client-side TCP written
 * independently of src/net/tcp.ts (go-back-N sender with a fixed, backed-off RTO, a receiver
 * with an out-of-order map and an application-controlled window), a lossy/duplicating/
 * reordering link, and a fake host adapter, all on a virtual clock.
 */
import { ByteQueue } from '../bytequeue.js';
import { buildTcp, buildUdp, parseIpv4, parseTcp, parseUdp, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../wire/packet.js';
import type { NetStack } from '../stack.js';
import type { HostRequest } from '../requests.js';

const add = (a: number, n: number) => (a + n) >>> 0;
const diff = (a: number, b: number) => (a - b) | 0;

export interface ClientTcpOptions {
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  mss?: number;
  /** Our window-scale shift; undefined sends no option. */
  wscale?: number;
  /** Receive buffer: the window is what is left of it after unread data. */
  rcvBuf?: number;
  /** Read received data at once (true) or leave it for read() (a slow application). */
  autoRead?: boolean;
  rto?: number;
  iss?: number;
  /**
   * ACK in-order data once per batch, when takePackets() collects our output (what a
   * kernel with receive offload and delayed ACKs does with a burst), instead of at once.
   */
  ackPerBatch?: boolean;
  /** With autoRead: count received octets only, keeping none (a bulk sink, e.g. bench/nat.ts). */
  discard?: boolean;
}

export class ClientTcp {
  readonly o: Required<Omit<ClientTcpOptions, 'wscale'>> & { wscale?: number };
  state: 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RCVD' | 'OPEN' = 'CLOSED';
  reset = false;
  out: Buffer[] = [];
  /** Data delivered in order and read by the application. */
  received: Buffer[] = [];
  receivedBytes = 0;
  peerFin = false;
  segmentsSent = 0;
  /** ackPerBatch: in-order data arrived since our last segment. */
  private ackOwed = false;
  retransmits = 0;

  private iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndMax: number;
  private readonly sendQ = new ByteQueue();
  private qSeq: number;
  private ended = false;
  private peerWnd = 0;
  private peerShift = 0;
  private myShift = 0;
  private peerMss = 536;
  private rto: number;
  private rtxAt?: number;
  private persistAt?: number;

  private rcvNxt = 0;
  private unread: Buffer[] = [];
  private unreadBytes = 0;
  private ooo = new Map<number, { data: Buffer; fin: boolean }>();

  constructor(opts: ClientTcpOptions) {
    this.o = { mss: 1460, rcvBuf: 65535, autoRead: true, rto: 300, iss: 0x1000, ackPerBatch: false, discard: false, ...opts };
    this.iss = this.o.iss >>> 0;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.qSeq = add(this.iss, 1);
    this.rto = this.o.rto;
  }

  get established(): boolean {
    return this.state === 'OPEN';
  }

  /** All our data and our FIN were acknowledged. */
  get allAcked(): boolean {
    return this.ended && this.sndUna === add(this.qSeq, this.sendQ.length + 1);
  }

  get unsent(): number {
    return this.sendQ.length;
  }

  connect(now: number): void {
    this.state = 'SYN_SENT';
    this.sendSyn(false);
    this.sndNxt = this.sndMax = add(this.iss, 1);
    this.rtxAt = now + this.rto;
  }

  listen(): void {
    this.state = 'LISTEN';
  }

  write(data: Buffer, now: number): void {
    this.sendQ.push(data);
    this.output(now);
  }

  end(now: number): void {
    this.ended = true;
    this.output(now);
  }

  sendRst(): void {
    this.emit(TCP_RST | TCP_ACK, this.sndNxt);
    this.state = 'CLOSED';
  }

  /** The application reads everything buffered; the window reopens. */
  read(now: number): Buffer {
    const before = this.window();
    const data = Buffer.concat(this.unread);
    this.unread = [];
    this.unreadBytes = 0;
    this.received.push(data);
    this.receivedBytes += data.length;
    if (before < this.o.mss && this.window() >= this.o.mss && this.state === 'OPEN') this.emit(TCP_ACK, this.sndNxt); // window update
    void now;
    return data;
  }

  takePackets(): Buffer[] {
    if (this.ackOwed) this.emit(TCP_ACK, this.sndNxt);
    const o = this.out;
    this.out = [];
    return o;
  }

  nextDeadline(): number | undefined {
    if (this.rtxAt === undefined) return this.persistAt;
    if (this.persistAt === undefined) return this.rtxAt;
    return Math.min(this.rtxAt, this.persistAt);
  }

  tick(now: number): void {
    if (this.rtxAt !== undefined && now >= this.rtxAt) {
      this.rtxAt = undefined;
      this.rto = Math.min(this.rto * 2, 4000);
      if (this.state === 'SYN_SENT') {
        this.sendSyn(false);
        this.retransmits++;
        this.rtxAt = now + this.rto;
      } else if (this.state === 'SYN_RCVD') {
        this.sendSyn(true);
        this.retransmits++;
        this.rtxAt = now + this.rto;
      } else if (this.state === 'OPEN' && this.sndUna !== this.sndMax) {
        this.sndNxt = this.sndUna; // go back N
        this.retransmits++;
        if (!this.output(now, true)) this.rtxAt = now + this.rto;
      }
    }
    if (this.persistAt !== undefined && now >= this.persistAt) {
      this.persistAt = undefined;
      const off = diff(this.sndNxt, this.qSeq);
      if (this.state === 'OPEN' && this.peerWnd === 0 && off < this.sendQ.length) {
        // One octet into the closed window; SND.NXT stays.
        this.emit(TCP_ACK, this.sndNxt, this.sendQ.read(off, 1));
        if (diff(add(this.sndNxt, 1), this.sndMax) > 0) this.sndMax = add(this.sndNxt, 1);
        this.persistAt = now + this.rto;
      } else {
        this.output(now);
      }
    }
  }

  input(pkt: Buffer, now: number): void {
    const ip = parseIpv4(pkt);
    if (typeof ip === 'string' || ip.protocol !== PROTO_TCP) return;
    const seg = parseTcp(ip);
    if (typeof seg === 'string') return;
    if (this.state === 'LISTEN' && this.o.dstPort === 0 && seg.dstPort === this.o.srcPort) {
      // Listening for anyone: adopt the caller's address and port.
      this.o.dstPort = seg.srcPort;
      this.o.dst = ip.src;
    }
    if (seg.dstPort !== this.o.srcPort || seg.srcPort !== this.o.dstPort) return;
    if (seg.flags & TCP_RST) {
      if (this.state === 'SYN_SENT' ? (seg.flags & TCP_ACK) !== 0 : seg.seq === this.rcvNxt) this.reset = true;
      if (this.reset) {
        this.state = 'CLOSED';
        this.rtxAt = this.persistAt = undefined;
      }
      return;
    }
    if (this.state === 'LISTEN') {
      if (!(seg.flags & TCP_SYN) || seg.flags & TCP_ACK) return;
      this.takeSyn(seg.seq, seg.window, seg.mss, seg.wscale);
      this.state = 'SYN_RCVD';
      this.sendSyn(true);
      this.sndNxt = this.sndMax = add(this.iss, 1);
      this.rtxAt = now + this.rto;
      return;
    }
    if (this.state === 'SYN_SENT') {
      if (!(seg.flags & TCP_SYN) || !(seg.flags & TCP_ACK) || seg.ack !== add(this.iss, 1)) return;
      this.takeSyn(seg.seq, seg.window, seg.mss, seg.wscale);
      this.sndUna = seg.ack;
      this.state = 'OPEN';
      this.rtxAt = undefined;
      this.rto = this.o.rto;
      this.emit(TCP_ACK, this.sndNxt);
      this.output(now);
      return;
    }
    if (this.state === 'SYN_RCVD') {
      if (seg.flags & TCP_SYN) { this.sendSyn(true); return; }
      if (!(seg.flags & TCP_ACK) || seg.ack !== add(this.iss, 1)) return;
      this.state = 'OPEN';
      this.sndUna = seg.ack;
      this.rtxAt = undefined;
      this.peerWnd = seg.window << this.peerShift;
    }
    if (this.state !== 'OPEN') return;
    if (seg.flags & TCP_SYN) {
      // A retransmitted SYN-ACK: our ACK was lost.
      this.emit(TCP_ACK, this.sndNxt);
      return;
    }
    if (seg.flags & TCP_ACK) {
      const a = diff(seg.ack, this.sndUna);
      if (a > 0 && diff(seg.ack, this.sndMax) <= 0) {
        const q = Math.max(0, Math.min(diff(seg.ack, this.qSeq), this.sendQ.length));
        this.sendQ.drop(q);
        this.qSeq = add(this.qSeq, q);
        this.sndUna = seg.ack;
        if (diff(this.sndNxt, this.sndUna) < 0) this.sndNxt = this.sndUna;
        this.rto = this.o.rto;
        this.rtxAt = this.sndUna === this.sndMax ? undefined : now + this.rto;
      }
      if (diff(seg.ack, this.sndUna) >= 0) this.peerWnd = seg.window << this.peerShift;
    }
    this.receive(seg.seq, seg.payload, (seg.flags & TCP_FIN) !== 0, now);
    this.output(now);
  }

  private takeSyn(seq: number, window: number, mss: number | undefined, wscale: number | undefined): void {
    this.rcvNxt = add(seq, 1);
    this.peerMss = mss ?? 536;
    this.peerWnd = window;
    if (wscale !== undefined && this.o.wscale !== undefined) {
      this.peerShift = wscale;
      this.myShift = this.o.wscale;
    }
  }

  private receive(seq: number, data: Buffer, fin: boolean, now: number): void {
    if (data.length === 0 && !fin) return;
    const wnd = this.window();
    let d = diff(seq, this.rcvNxt);
    if (d < 0) {
      // Old data (a duplicate): keep what is new.
      if (-d >= data.length) {
        if (!(fin && -d === data.length && !this.peerFin)) {
          this.emit(TCP_ACK, this.sndNxt);
          return;
        }
        data = data.subarray(data.length);
      } else {
        data = data.subarray(-d);
      }
      seq = this.rcvNxt;
      d = 0;
    }
    if (d > 0) {
      if (d + data.length <= wnd) this.ooo.set(seq, { data, fin });
      this.emit(TCP_ACK, this.sndNxt);
      return;
    }
    if (data.length > wnd) {
      data = data.subarray(0, wnd);
      fin = false;
    }
    this.accept(data);
    if (fin && !this.peerFin) {
      this.peerFin = true;
      this.rcvNxt = add(this.rcvNxt, 1);
    }
    // Pull in queued out-of-order segments.
    for (let progress = true; progress && !this.peerFin;) {
      progress = false;
      for (const [s, o] of this.ooo) {
        const off = diff(this.rcvNxt, s);
        if (off < 0) continue;
        this.ooo.delete(s);
        if (off < o.data.length) this.accept(o.data.subarray(off, Math.min(o.data.length, off + this.window())));
        if (o.fin && diff(this.rcvNxt, add(s, o.data.length)) === 0) {
          this.peerFin = true;
          this.rcvNxt = add(this.rcvNxt, 1);
        }
        progress = true;
      }
    }
    if (this.o.ackPerBatch && !fin && this.ooo.size === 0) this.ackOwed = true;
    else this.emit(TCP_ACK, this.sndNxt);
    void now;
  }

  private accept(data: Buffer): void {
    if (!data.length) return;
    this.rcvNxt = add(this.rcvNxt, data.length);
    if (this.o.autoRead) {
      if (!this.o.discard) this.received.push(Buffer.from(data));
      this.receivedBytes += data.length;
    } else {
      this.unread.push(Buffer.from(data));
      this.unreadBytes += data.length;
    }
  }

  private window(): number {
    return Math.max(0, this.o.rcvBuf - this.unreadBytes);
  }

  /** Sends what the peer's window allows; true when something went out. */
  private output(now: number, force = false): boolean {
    if (this.state !== 'OPEN') return false;
    let sent = false;
    const mss = Math.min(this.o.mss, this.peerMss);
    for (;;) {
      const off = diff(this.sndNxt, this.qSeq);
      const avail = this.sendQ.length - off;
      if (avail > 0) {
        let usable = diff(add(this.sndUna, this.peerWnd), this.sndNxt);
        if (force && !sent && usable <= 0) usable = 1; // a timeout probes a closed window
        if (usable <= 0) break;
        const len = Math.min(avail, usable, mss);
        const fin = this.ended && len === avail;
        this.emit(TCP_ACK | TCP_PSH | (fin ? TCP_FIN : 0), this.sndNxt, this.sendQ.read(off, len));
        this.sndNxt = add(this.sndNxt, len + (fin ? 1 : 0));
        sent = true;
      } else if (this.ended && avail === 0) {
        this.emit(TCP_ACK | TCP_FIN, this.sndNxt);
        this.sndNxt = add(this.sndNxt, 1);
        sent = true;
        break;
      } else {
        break;
      }
    }
    if (diff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
    if (sent && this.rtxAt === undefined) this.rtxAt = now + this.rto;
    const off = diff(this.sndNxt, this.qSeq);
    if (this.peerWnd === 0 && off < this.sendQ.length && this.sndNxt === this.sndUna && this.persistAt === undefined) {
      this.persistAt = now + this.rto;
    }
    return sent;
  }

  private sendSyn(ack: boolean): void {
    this.out.push(buildTcp({
      src: this.o.src, dst: this.o.dst, srcPort: this.o.srcPort, dstPort: this.o.dstPort,
      seq: this.iss, ack: ack ? this.rcvNxt : 0, flags: TCP_SYN | (ack ? TCP_ACK : 0), window: Math.min(65535, this.o.rcvBuf),
      mss: this.o.mss, wscale: ack ? (this.peerShift || this.myShift ? this.o.wscale : undefined) : this.o.wscale, id: 0,
    }));
    this.segmentsSent++;
  }

  private emit(flags: number, seq: number, payload?: Buffer): void {
    this.ackOwed = false;
    this.out.push(buildTcp({
      src: this.o.src, dst: this.o.dst, srcPort: this.o.srcPort, dstPort: this.o.dstPort,
      seq, ack: this.rcvNxt, flags, window: Math.min(65535, this.window() >> this.myShift), payload, id: 0,
    }));
    this.segmentsSent++;
  }
}

// ------------------------------------------------------------------------------------------
// A seeded PRNG (mulberry32) so that failures reproduce.
// ------------------------------------------------------------------------------------------

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkOptions {
  loss?: number;
  duplicate?: number;
  /** Extra random delay, ms (reordering when larger than the spacing of packets). */
  jitter?: number;
  delay?: number;
  seed?: number;
  /** Drops chosen packets (the n-th packet pushed into this pipe, from 0). */
  dropIf?: (pkt: Buffer, n: number) => boolean;
}

/** One direction of a link: packets in, packets out at their delivery time. */
export class Pipe {
  private q: { at: number; n: number; pkt: Buffer }[] = [];
  private n = 0;
  private readonly rand: () => number;
  dropped = 0;
  duplicated = 0;
  constructor(private readonly o: LinkOptions = {}) {
    this.rand = prng(o.seed ?? 1);
  }

  pushed = 0;

  push(pkt: Buffer, now: number): void {
    const k = this.pushed++;
    if (this.o.dropIf?.(pkt, k)) {
      this.dropped++;
      return;
    }
    if (this.o.loss && this.rand() < this.o.loss) {
      this.dropped++;
      return;
    }
    const copies = this.o.duplicate && this.rand() < this.o.duplicate ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let i = 0; i < copies; i++) {
      const at = now + (this.o.delay ?? 1) + (this.o.jitter ? this.rand() * this.o.jitter : 0);
      this.q.push({ at, n: this.n++, pkt });
    }
    this.q.sort((a, b) => a.at - b.at || a.n - b.n);
  }

  due(now: number): Buffer[] {
    let i = 0;
    while (i < this.q.length && this.q[i]!.at <= now) i++;
    return this.q.splice(0, i).map((x) => x.pkt);
  }

  next(): number | undefined {
    return this.q[0]?.at;
  }

  get size(): number {
    return this.q.length;
  }
}

// ------------------------------------------------------------------------------------------
// A fake host adapter for the stack.
// ------------------------------------------------------------------------------------------

export interface FakeConn {
  id: number;
  host: string;
  port: number;
  connected: boolean;
  /** Client data written into the "socket". */
  written: Buffer[];
  writtenBytes: number;
  /** Writes not yet reported flushed (when the host is slow). */
  unflushed: number;
  ended: boolean;
  aborted: boolean;
  released: boolean;
  paused: boolean;
  /** Data the host has to send, fed to the stack when not paused. */
  outbox: ByteQueue;
  outEnd: boolean;
  outEndSent: boolean;
}

export class FakeHost {
  conns = new Map<number, FakeConn>();
  udp = new Map<number, { host: string; port: number; sent: Buffer[]; closed: boolean }>();
  dns: { id: number; name: string; qtype: number }[] = [];
  forwardReplies: { forward: number; host: string; port: number; data: Buffer }[] = [];
  log: HostRequest[] = [];
  /** What a tcp-connect does: answered at once, never, or failed. */
  connectMode: 'accept' | 'refused' | 'host-unreachable' | 'hang' = 'accept';
  /** Flush writes at once (true) or only when drain() is called. */
  fastWrites = true;
  /** Chunk size of host reads fed into the stack. */
  chunk = 16384;

  constructor(private readonly stack: NetStack) {}

  handle(now: number): void {
    for (let guard = 0; guard < 100000; guard++) {
      const reqs = this.stack.takeRequests();
      for (const r of reqs) this.apply(r, now);
      // Feed host data into the stack, one read per connection per round, so that a
      // pause request takes effect before the next read (a socket's readable side).
      let fed = false;
      for (const c of this.conns.values()) {
        if (!c.connected || c.aborted || c.released) continue;
        if (!c.paused && c.outbox.length > 0) {
          const n = Math.min(this.chunk, c.outbox.length);
          const data = Buffer.from(c.outbox.read(0, n));
          c.outbox.drop(n);
          this.stack.tcpData(c.id, data, now);
          fed = true;
        } else if (c.outEnd && !c.outEndSent && c.outbox.length === 0) {
          c.outEndSent = true;
          this.stack.tcpEnd(c.id, now);
          fed = true;
        }
      }
      if (!reqs.length && !fed) return;
    }
    throw new Error('FakeHost.handle: no quiescence');
  }

  private apply(r: HostRequest, now: number): void {
    this.log.push(r);
    switch (r.type) {
      case 'tcp-connect': {
        const c = this.newConn(r.id, r.host, r.port);
        if (this.connectMode === 'accept') {
          c.connected = true;
          this.stack.tcpConnected(r.id, now);
        } else if (this.connectMode !== 'hang') {
          this.stack.tcpConnectFailed(r.id, this.connectMode, now);
        }
        break;
      }
      case 'tcp-write': {
        const c = this.conns.get(r.id);
        if (!c) break;
        c.written.push(Buffer.from(r.data));
        c.writtenBytes += r.data.length;
        if (this.fastWrites) this.stack.tcpWritten(r.id, r.data.length, now);
        else c.unflushed += r.data.length;
        break;
      }
      case 'tcp-end': { const c = this.conns.get(r.id); if (c) c.ended = true; break; }
      case 'tcp-pause': { const c = this.conns.get(r.id); if (c) c.paused = true; break; }
      case 'tcp-resume': { const c = this.conns.get(r.id); if (c) c.paused = false; break; }
      case 'tcp-abort': { const c = this.conns.get(r.id); if (c) c.aborted = true; break; }
      case 'tcp-release': { const c = this.conns.get(r.id); if (c) c.released = true; break; }
      case 'udp-open': this.udp.set(r.id, { host: r.host, port: r.port, sent: [], closed: false }); break;
      case 'udp-send': this.udp.get(r.id)?.sent.push(Buffer.from(r.data)); break;
      case 'udp-close': { const u = this.udp.get(r.id); if (u) u.closed = true; break; }
      case 'udp-forward-reply': this.forwardReplies.push(r); break;
      case 'dns-query': this.dns.push(r); break;
    }
  }

  private newConn(id: number, host: string, port: number): FakeConn {
    const c: FakeConn = {
      id, host, port, connected: false, written: [], writtenBytes: 0, unflushed: 0,
      ended: false, aborted: false, released: false, paused: false, outbox: new ByteQueue(), outEnd: false, outEndSent: false,
    };
    this.conns.set(id, c);
    return c;
  }

  send(id: number, data: Buffer): void {
    this.conns.get(id)?.outbox.push(data);
  }

  endHost(id: number): void {
    const c = this.conns.get(id);
    if (c) c.outEnd = true;
  }

  /** The slow host finally reads `n` octets (or all). */
  drain(id: number, now: number, n?: number): void {
    const c = this.conns.get(id);
    if (!c) return;
    const k = Math.min(n ?? c.unflushed, c.unflushed);
    c.unflushed -= k;
    if (k) this.stack.tcpWritten(id, k, now);
  }

  /** A tcp connection as the test adds it (for port forwards opened with stack.openTcp). */
  adopt(id: number): FakeConn {
    const c = this.newConn(id, 'forward', 0);
    c.connected = true;
    return c;
  }
}

// ------------------------------------------------------------------------------------------
// The virtual-clock world: a stack, a fake host, clients, and a link between them.
// ------------------------------------------------------------------------------------------

export class World {
  now = 0;
  readonly host: FakeHost;
  readonly up: Pipe;
  readonly down: Pipe;
  readonly clients: ClientTcp[] = [];
  /** Packets from the stack that no client claimed (UDP, ICMP, RSTs...). */
  readonly toClient: Buffer[] = [];

  constructor(readonly stack: NetStack, link: LinkOptions = {}, down: LinkOptions = link) {
    this.host = new FakeHost(stack);
    this.up = new Pipe({ ...link, seed: (link.seed ?? 1) * 2 + 1 });
    this.down = new Pipe({ ...down, seed: (down.seed ?? 1) * 2 + 2 });
  }

  client(o: Omit<ClientTcpOptions, 'src' | 'dst'> & { src?: number; dst: number }): ClientTcp {
    const c = new ClientTcp({ src: 0x0a00020f, ...o });
    this.clients.push(c);
    return c;
  }

  /** A raw packet from the client side. */
  inject(pkt: Buffer): void {
    this.up.push(pkt, this.now);
  }

  /** One round: move packets, run requests and timers due now. */
  private settle(): void {
    for (let guard = 0; guard < 1000; guard++) {
      let moved = false;
      for (const c of this.clients) for (const p of c.takePackets()) { this.up.push(p, this.now); moved = true; }
      for (const p of this.up.due(this.now)) { this.stack.input(p, this.now); moved = true; }
      this.host.handle(this.now);
      for (const p of this.stack.takePackets()) { this.down.push(p, this.now); moved = true; }
      for (const p of this.down.due(this.now)) {
        moved = true;
        const ip = parseIpv4(p);
        let claimed = false;
        if (typeof ip !== 'string' && ip.protocol === PROTO_TCP) {
          const seg = parseTcp(ip);
          if (typeof seg !== 'string') {
            for (const c of this.clients) {
              if (c.o.srcPort === seg.dstPort && c.o.dstPort === seg.srcPort && c.o.dst === ip.src) {
                c.input(p, this.now);
                claimed = true;
              }
            }
          }
        }
        if (!claimed) this.toClient.push(p);
      }
      if (!moved) return;
    }
    throw new Error('World.settle: no quiescence');
  }

  /** Advances the clock event by event until `done()` or `limit` ms of virtual time. */
  run(done: () => boolean, limit = 60_000): boolean {
    const end = this.now + limit;
    this.settle();
    for (let steps = 0; steps < 2_000_000; steps++) {
      if (done()) return true;
      let next: number | undefined;
      const consider = (t: number | undefined) => {
        if (t !== undefined && (next === undefined || t < next)) next = t;
      };
      consider(this.up.next());
      consider(this.down.next());
      consider(this.stack.nextDeadline());
      for (const c of this.clients) consider(c.nextDeadline());
      if (next === undefined || next > end) {
        this.now = end;
        this.settle();
        return done();
      }
      this.now = Math.max(this.now, next);
      this.stack.tick(this.now);
      for (const c of this.clients) c.tick(this.now);
      this.settle();
    }
    return done();
  }

  /** Advance by `ms` regardless. */
  advance(ms: number): void {
    this.run(() => false, ms);
  }
}

/** A UDP datagram from the client. */
export function udpFromClient(src: number, srcPort: number, dst: number, dstPort: number, payload: Buffer): Buffer {
  return buildUdp(src, dst, srcPort, dstPort, payload, 1);
}

export function parseUdpPacket(p: Buffer): { src: number; dst: number; srcPort: number; dstPort: number; payload: Buffer } | undefined {
  const ip = parseIpv4(p);
  if (typeof ip === 'string' || ip.protocol !== PROTO_UDP) return undefined;
  const u = parseUdp(ip);
  if (typeof u === 'string') return undefined;
  return { src: ip.src, dst: ip.dst, srcPort: u.srcPort, dstPort: u.dstPort, payload: u.payload };
}
