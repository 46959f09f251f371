/**
 * NatBackend: the userspace NAT behind a PPP server session, without root. It drives the
 * sans-IO NetStack (src/net/) with real time and real sockets: net.connect for the
 * client's TCP connections, connected dgram sockets for its UDP flows, the host resolver
 * (dns.lookup, which reads /etc/hosts, and dns.promises.Resolver) for the virtual DNS,
 * and listening sockets for port forwards (bound to 127.0.0.1 unless told otherwise).
 *
 *   const backend = new NatBackend({ forwards: ['tcp 5022:22'] });
 *   new PppLink(socket, { localAddr: '10.0.2.2', remoteAddr: '10.0.2.15', msDns: ['10.0.2.3'], backend });
 *
 * Backpressure: the stack asks to pause a host socket when the client is slow to
 * acknowledge, and counts client data as buffered until the socket's write callback says
 * it was flushed, so a slow host closes the client's TCP window.
 */
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns';
import type { IpUpInfo, NetworkBackend } from './driver.js';
import { NetStack, type NetStats } from '../net/stack.js';
import { parseForward, type NetOptions, type PortForward } from '../net/config.js';
import { QTYPE, RCODE, type DnsRecord, type DnsResult } from '../net/dns.js';
import type { ConnectFailure, HostRequest } from '../net/requests.js';
import { StackDriver } from './stack-driver.js';
import { resetSocket } from './reset-socket.js';
import { bufferView } from '../wire/packet.js';
import { turnClock } from './turn-clock.js';

/** Answers the virtual DNS's questions on the host. */
export interface HostResolver {
  resolve(name: string, qtype: number): Promise<DnsResult>;
}

export interface NatBackendOptions extends Partial<NetOptions> {
  /** Port forwards from the host to the client: "tcp 5022:22", "udp 5353:53", "tcp 0.0.0.0:8080:80". */
  forwards?: (string | PortForward)[];
  /** The host resolver (default: SystemResolver). */
  resolver?: HostResolver;
  /** Milliseconds; default Date.now, read once per event-loop turn (turn-clock.ts). */
  now?: () => number;
  /** Diagnostics (a forward that cannot listen, ...). */
  log?: (msg: string) => void;
}

interface TcpSock {
  sock: net.Socket;
  connected: boolean;
  released: boolean;
  /**
   * Client data for the socket gathered during one pump (the segments of one batch of
   * packets): written as one buffer when the pump ends. Bounded by the stack's receive
   * window, which these octets keep closed until the write callback reports them.
   */
  pending: Buffer[];
  pendingBytes: number;
}

interface UdpSock {
  sock: dgram.Socket;
  ready: boolean;
  queue: Buffer[];
}

interface Forward {
  spec: PortForward;
  server?: net.Server | dgram.Socket;
  /** The bound host port (differs from spec.hostPort when that is 0). */
  port?: number;
}

export interface NatBackendStats extends NetStats {
  host: { tcpSockets: number; udpSockets: number; forwards: { spec: string; port?: number }[] };
}

export class NatBackend implements NetworkBackend {
  /**
   * The session's stack, made at its first use (the client's first packet, a forwarded
   * connection): an idle session (50,000 of them in one `dialtone isp`) holds none.
   */
  private made?: NetStack;
  get stack(): NetStack {
    if (!this.made) {
      this.made = new NetStack(this.opts, this.now());
      this.made.setGso(this.gso);
    }
    return this.made;
  }
  set stack(s: NetStack) {
    this.made = s;
  }
  private readonly opts: NatBackendOptions;
  private readonly now: () => number;
  private readonly resolver: HostResolver;
  private readonly log: (msg: string) => void;
  private send?: (packet: Buffer) => void;
  private send6?: (packet: Buffer) => void;
  private readonly tcp = new Map<number, TcpSock>();
  private readonly udp = new Map<number, UdpSock>();
  private readonly forwards: Forward[];
  /** Pump and timer; a closed session's stack is no longer driven (it would have nothing to say). */
  private readonly driver = new StackDriver<HostRequest>({
    stack: () => (this.closed ? undefined : this.made),
    now: () => this.now(),
    send: (p) => (p[0]! >> 4 === 6 ? this.send6?.(p) : this.send?.(p)),
    perform: (r) => this.perform(r),
    flush: () => this.scheduleFlush(),
  });
  /** The one `send` goes to takes TCP super-segments (src/wire/gso.ts). */
  private gso = false;
  private flushQueued = false;
  /** deliver() began a batch of input that the flush microtask ends. */
  private batchOpen = false;
  /** Sockets with client data gathered in this pump. */
  private readonly dirty = new Set<number>();
  private listening?: Promise<void>;
  private closed = false;

  constructor(opts: NatBackendOptions = {}) {
    this.opts = opts;
    this.now = opts.now ?? turnClock();
    this.resolver = opts.resolver ?? new SystemResolver();
    this.log = opts.log ?? (() => {});
    this.forwards = (opts.forwards ?? []).map((f) => ({ spec: typeof f === 'string' ? parseForward(f) : f }));
  }

  // ---- NetworkBackend ------------------------------------------------------------------

  attach(send: (packet: Buffer) => void, info?: Pick<IpUpInfo, 'gso'>): void {
    this.send = send;
    // The session cuts super-segments itself (IpUpInfo.gso): the stack may send them.
    this.gso = info?.gso === true;
    this.made?.setGso(this.gso);
    if (this.closed) {
      // Attached again after a detach (IPCP came up again): a fresh stack, when first used.
      this.made = undefined;
      this.closed = false;
    }
    this.listening = this.listenForwards();
    this.pump();
  }

  /** IPV6CP is up: the stack advertises its prefix from fe80::<our id> (when one is configured). */
  ipv6Up(send: (packet: Buffer) => void, info: { local: Buffer; remote: Buffer }): void {
    this.send6 = send;
    if (this.closed) return;
    this.stack.ipv6Up(info.local, this.now());
    this.pump();
  }

  ipv6Down(): void {
    this.send6 = undefined;
    if (!this.closed) this.made?.ipv6Down(this.now());
  }

  deliver(packet: Buffer): void {
    if (this.closed) return;
    if (!this.batchOpen) {
      // The packets delivered in this turn of the event loop (the frames of one line read)
      // are one batch: the stack ACKs them once at its end (see NetStack.beginBatch).
      this.batchOpen = true;
      this.stack.beginBatch();
      this.scheduleFlush();
    }
    // Pumped once, when the batch ends (the flush microtask): what the stack says to a
    // batch (its ACK, the segments the client's ACKs let out, socket writes) goes out
    // together, and the per-pump work (timer re-arm, output arrays) is per batch.
    this.stack.input(packet, this.now());
  }

  detach(): void {
    if (this.closed) return;
    this.made?.close(this.now());
    this.pump(); // performs the aborts and closes
    this.closed = true;
    this.send = undefined;
    for (const f of this.forwards) {
      f.server?.close();
      f.server = undefined;
    }
    for (const t of this.tcp.values()) if (!t.sock.destroyed) t.sock.destroy();
    this.tcp.clear();
    for (const u of this.udp.values()) closeQuietly(u.sock);
    this.udp.clear();
    this.driver.stop();
  }

  // ---- status ----------------------------------------------------------------------------

  /** Counters for a status command: the stack's and the host sockets'. */
  stats(): NatBackendStats {
    return {
      // A stack never made has nothing to count: a throwaway one gives the zeros.
      ...(this.made ?? new NetStack(this.opts, this.now())).stats(),
      host: {
        tcpSockets: this.tcp.size,
        udpSockets: this.udp.size,
        forwards: this.forwards.map((f) => ({ spec: `${f.spec.proto} ${f.spec.hostAddr}:${f.spec.hostPort}:${f.spec.clientPort}`, port: f.port })),
      },
    };
  }

  /** Resolves when the port forwards listen; gives the bound host ports (in spec order). */
  async ready(): Promise<number[]> {
    await this.listening;
    return this.forwards.map((f) => f.port ?? 0);
  }

  private pump(): void {
    this.driver.pump();
  }

  private perform(r: HostRequest): void {
    switch (r.type) {
      case 'tcp-connect': return this.tcpConnect(r.id, r.host, r.port);
      case 'tcp-write': {
        const t = this.tcp.get(r.id);
        if (!t || t.sock.destroyed) return;
        // Nothing gathered yet means not yet in `dirty` (a flush empties both): one Set
        // insertion per socket and batch, not one per segment.
        if (!t.pendingBytes) this.dirty.add(r.id);
        t.pending.push(r.data);
        t.pendingBytes += r.data.length;
        return;
      }
      case 'tcp-end': {
        const t = this.tcp.get(r.id);
        if (t && !t.sock.destroyed) {
          this.flushWrite(r.id, t);
          t.sock.end();
        }
        return;
      }
      case 'tcp-pause': this.tcp.get(r.id)?.sock.pause(); return;
      case 'tcp-resume': this.tcp.get(r.id)?.sock.resume(); return;
      case 'tcp-abort': {
        const t = this.tcp.get(r.id);
        if (!t) return;
        t.released = true;
        this.tcp.delete(r.id);
        resetSocket(t.sock);
        return;
      }
      case 'tcp-release': {
        const t = this.tcp.get(r.id);
        if (!t) return;
        t.released = true;
        this.tcp.delete(r.id);
        this.flushWrite(r.id, t);
        // Both directions are finished: the socket closes once its writes are flushed.
        if (!t.sock.destroyed) t.sock.end();
        return;
      }
      case 'udp-open': return this.udpOpen(r.id, r.host, r.port);
      case 'udp-send': {
        const u = this.udp.get(r.id);
        if (!u) return;
        if (!u.ready) {
          if (u.queue.length < this.stack.opts.udpMaxQueued) u.queue.push(r.data);
          return;
        }
        u.sock.send(r.data);
        return;
      }
      case 'udp-close': {
        const u = this.udp.get(r.id);
        if (!u) return;
        this.udp.delete(r.id);
        closeQuietly(u.sock);
        return;
      }
      case 'udp-forward-reply': {
        const f = this.forwards[r.forward];
        if (f?.server instanceof dgram.Socket) f.server.send(r.data, r.port, r.host);
        return;
      }
      case 'dns-query': {
        const { id, name, qtype } = r;
        this.resolver.resolve(name, qtype).then(
          (res) => res,
          () => ({ rcode: RCODE.SERVFAIL, records: [] }),
        ).then((res) => {
          if (this.closed) return;
          this.stack.dnsAnswered(id, res, this.now());
          this.pump();
        });
        return;
      }
    }
  }

  // ---- TCP -------------------------------------------------------------------------------

  /**
   * After a pump: the gathered client data goes out once the current batch of input is
   * over (a microtask: after every frame of one line read was delivered), so the segments
   * of one read become one socket write.
   */
  private scheduleFlush(): void {
    if (this.flushQueued || (!this.dirty.size && !this.batchOpen)) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.batchOpen) {
        this.batchOpen = false;
        if (!this.closed) {
          this.stack.endBatch(this.now());
          this.pump();
        }
      }
      this.flushWrites();
    });
  }

  /** Each socket's gathered client data goes out in one write. */
  private flushWrites(): void {
    if (!this.dirty.size) return;
    for (const id of this.dirty) {
      const t = this.tcp.get(id);
      if (t) this.flushWrite(id, t);
    }
    this.dirty.clear();
  }

  private flushWrite(id: number, t: TcpSock): void {
    if (!t.pendingBytes) return;
    const n = t.pendingBytes;
    // One copy gathers the segments (views of the client's packets) into the socket's write.
    const gather = t.pending.length > 1 && !t.sock.destroyed ? takeGather(n) : undefined;
    let data: Buffer;
    if (gather) {
      let at = 0;
      for (const p of t.pending) {
        gather.set(p, at);
        at += p.length;
      }
      data = gather.subarray(0, n);
    } else {
      data = t.pending.length === 1 ? t.pending[0]! : Buffer.concat(t.pending, n);
    }
    t.pending = [];
    t.pendingBytes = 0;
    if (t.sock.destroyed) return;
    t.sock.write(data, (err) => {
      // Written out: the kernel has the octets, the gathering buffer is free again.
      if (gather && !err) giveGather(gather);
      if (err || this.closed) return;
      this.stack.tcpWritten(id, n, this.now());
      this.pump();
    });
  }

  private tcpConnect(id: number, host: string, port: number): void {
    const reader = new SocketReader();
    const sock = net.connect({
      host, port, allowHalfOpen: true,
      onread: {
        buffer: reader.next,
        callback: (n, buf) => {
          reader.took(n);
          if (!t.released && n > 0) {
            this.stack.tcpData(id, bufferView(buf, 0, n), this.now());
            this.pump();
          }
          return true; // the stack pauses the socket itself (tcp-pause)
        },
      },
    });
    const t: TcpSock = { sock, connected: false, released: false, pending: [], pendingBytes: 0 };
    this.tcp.set(id, t);
    sock.once('connect', () => {
      t.connected = true;
      sock.setNoDelay(true); // the client's own TCP decides about small segments
      if (t.released) return;
      this.stack.tcpConnected(id, this.now());
      this.pump();
    });
    this.wire(id, t, true);
  }

  /**
   * Events of a host socket, for an outbound connection or an accepted forward; `ownReads`:
   * its data comes through the onread callback (tcpConnect), not 'data' events.
   */
  private wire(id: number, t: TcpSock, ownReads = false): void {
    const sock = t.sock;
    if (!ownReads) sock.on('data', (d: Buffer) => {
      if (t.released) return;
      this.stack.tcpData(id, d, this.now());
      this.pump();
    });
    sock.on('end', () => {
      if (t.released) return;
      this.stack.tcpEnd(id, this.now());
      this.pump();
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (t.released) return;
      if (!t.connected) {
        t.released = true;
        this.tcp.delete(id);
        this.stack.tcpConnectFailed(id, connectFailure(err), this.now());
        this.pump();
      }
      // After the connect, 'close' follows and reports it.
    });
    sock.on('close', () => {
      if (this.tcp.get(id) === t) this.tcp.delete(id);
      if (t.released) return;
      t.released = true;
      this.stack.tcpClosed(id, this.now());
      this.pump();
    });
  }

  // ---- UDP -------------------------------------------------------------------------------

  private udpOpen(id: number, host: string, port: number): void {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const u: UdpSock = { sock, ready: false, queue: [] };
    this.udp.set(id, u);
    sock.on('message', (msg) => {
      if (this.udp.get(id) !== u) return;
      this.stack.udpReceived(id, msg, this.now());
      this.pump();
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (this.udp.get(id) !== u) return;
      // A connected UDP socket reports the host's ICMP port unreachable as ECONNREFUSED.
      this.stack.udpError(id, err.code === 'ECONNREFUSED' ? 'refused' : 'error', this.now());
      this.pump();
    });
    sock.connect(port, host, () => {
      u.ready = true;
      for (const d of u.queue) sock.send(d);
      u.queue = [];
    });
  }

  // ---- port forwards ---------------------------------------------------------------------

  private async listenForwards(): Promise<void> {
    await Promise.all(this.forwards.map((f, i) => (f.server ? Promise.resolve() : this.listenForward(f, i))));
  }

  private listenForward(f: Forward, index: number): Promise<void> {
    const { spec } = f;
    return new Promise<void>((resolve) => {
      const failed = (err: Error) => {
        this.log(`forward ${spec.proto} ${spec.hostAddr}:${spec.hostPort} → ${spec.clientPort}: ${err.message}`);
        f.server = undefined;
        resolve();
      };
      if (spec.proto === 'tcp') {
        const server = net.createServer({ allowHalfOpen: true }, (sock) => this.acceptForward(spec, sock));
        f.server = server;
        server.once('error', failed);
        server.listen(spec.hostPort, spec.hostAddr, () => {
          f.port = (server.address() as net.AddressInfo).port;
          resolve();
        });
      } else {
        const sock = dgram.createSocket('udp4');
        f.server = sock;
        sock.once('error', failed);
        sock.on('message', (msg, rinfo) => {
          if (this.closed) return;
          this.stack.udpForwardIn(index, spec.clientPort, rinfo.address, rinfo.port, msg, this.now());
          this.pump();
        });
        sock.bind(spec.hostPort, spec.hostAddr, () => {
          f.port = sock.address().port;
          resolve();
        });
      }
    });
  }

  private acceptForward(spec: PortForward, sock: net.Socket): void {
    if (this.closed) return void sock.destroy();
    const id = this.stack.openTcp(spec.clientPort, this.now());
    if (id === undefined) return void resetSocket(sock);
    sock.setNoDelay(true);
    const t: TcpSock = { sock, connected: true, released: false, pending: [], pendingBytes: 0 };
    this.tcp.set(id, t);
    this.wire(id, t);
    this.pump();
  }
}

/**
 * Buffers that gather a pump's client segments into one host socket write, reused once
 * the write completes: a bulk upload writes a receive window (256 KiB by default) per
 * round trip, and a fresh buffer for each showed in the NAT profile (the allocation, and
 * Buffer.concat's per-chunk copying). Shared by every session of the process, at most
 * GATHER_KEPT of them kept; larger gathers are not pooled.
 */
const GATHER = 256 * 1024;
const GATHER_KEPT = 2;
const gathers: Buffer[] = [];
function takeGather(n: number): Buffer | undefined {
  if (n > GATHER) return undefined;
  return gathers.pop() ?? Buffer.allocUnsafeSlow(GATHER);
}
function giveGather(b: Buffer): void {
  if (gathers.length < GATHER_KEPT) gathers.push(b);
}

/**
 * Where an outbound host socket reads to (net.connect's onread): straight into memory of
 * the socket's own, handed to the stack as views (the send queue keeps them until the
 * client ACKs), instead of Node's stream path, whose per-read bookkeeping, ticks and fresh
 * 64 KiB allocation cost ~0.2 ms/MB more on a download (measured on loopback). Reads go
 * one after another into a slab; a socket starts with a small one and gets READ_SLAB-sized
 * ones once a read fills the room it was given, so an idle connection holds a few KiB, and
 * a busy one at most two slabs beyond what its send queue holds (the queue's views keep
 * their slabs alive until the client ACKs them).
 */
const READ_FIRST = 4 * 1024;
const READ_SLAB = 64 * 1024;
const READ_MAX = 64 * 1024;
/** Less room than this (or a quarter of the slab) left: the next read goes to a new slab. */
const READ_MIN = 16 * 1024;
class SocketReader {
  private slab = Buffer.allocUnsafeSlow(READ_FIRST);
  private pos = 0;
  /** The room the last next() gave. */
  private room = 0;
  private filled = false;

  /** Room for the socket's next read: called by Node before the first read and after each. */
  readonly next = (): Buffer => {
    let left = this.slab.length - this.pos;
    if (left < Math.min(READ_MIN, this.slab.length / 4)) {
      this.slab = Buffer.allocUnsafeSlow(this.filled ? READ_SLAB : this.slab.length);
      this.pos = 0;
      left = this.slab.length;
    }
    this.room = Math.min(left, READ_MAX);
    return bufferView(this.slab, this.pos, this.pos + this.room);
  };

  /** `n` octets were read into the room next() gave; they are the stack's now. */
  took(n: number): void {
    if (n <= 0) return;
    if (n >= this.room) this.filled = true;
    // 8-aligned starts, as allocPacket's.
    this.pos = Math.min(this.slab.length, (this.pos + n + 7) & ~7);
  }
}

function connectFailure(err: NodeJS.ErrnoException): ConnectFailure {
  switch (err.code) {
    case 'ECONNREFUSED': return 'refused';
    case 'EHOSTUNREACH': return 'host-unreachable';
    case 'ENETUNREACH': return 'net-unreachable';
    case 'ETIMEDOUT': return 'timeout';
    default: return 'error';
  }
}

function closeQuietly(sock: dgram.Socket): void {
  try {
    sock.close();
  } catch {
    // already closed
  }
}

/**
 * The host's resolver for the virtual DNS. A and AAAA go through dns.lookup (getaddrinfo:
 * /etc/hosts, then the system's DNS), so host-file names work as on the host; other types
 * go to dns.promises.Resolver (the servers of /etc/resolv.conf). AAAA never answers
 * NXDOMAIN (a name without IPv6 addresses answers NOERROR with no data), so that a client
 * does not cache a name as nonexistent because it lacks AAAA records.
 */
export class SystemResolver implements HostResolver {
  private readonly r = new dns.promises.Resolver({ timeout: 3000, tries: 2 });

  async resolve(name: string, qtype: number): Promise<DnsResult> {
    try {
      return { rcode: RCODE.NOERROR, records: await this.query(name, qtype) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (qtype === QTYPE.AAAA) return { rcode: RCODE.NOERROR, records: [] };
      if (code === 'NOTIMP') return { rcode: RCODE.NOTIMP, records: [] };
      if (code === dns.NOTFOUND || code === 'ENOTFOUND') return { rcode: RCODE.NXDOMAIN, records: [] };
      if (code === dns.NODATA || code === 'ENODATA' || code === 'EAI_NODATA') return { rcode: RCODE.NOERROR, records: [] };
      if (code === dns.REFUSED) return { rcode: RCODE.REFUSED, records: [] };
      return { rcode: RCODE.SERVFAIL, records: [] };
    }
  }

  private async query(name: string, qtype: number): Promise<DnsRecord[]> {
    switch (qtype) {
      case QTYPE.A:
        return (await dns.promises.lookup(name, { family: 4, all: true })).map((a) => ({ type: 'A', address: a.address }));
      case QTYPE.AAAA:
        return (await dns.promises.lookup(name, { family: 6, all: true })).map((a) => ({ type: 'AAAA', address: a.address }));
      case QTYPE.CNAME:
        return (await this.r.resolveCname(name)).map((n) => ({ type: 'CNAME', name: n }));
      case QTYPE.NS:
        return (await this.r.resolveNs(name)).map((n) => ({ type: 'NS', name: n }));
      case QTYPE.PTR:
        return (await this.r.resolvePtr(name)).map((n) => ({ type: 'PTR', name: n }));
      case QTYPE.MX:
        return (await this.r.resolveMx(name)).map((m) => ({ type: 'MX', priority: m.priority, exchange: m.exchange }));
      case QTYPE.TXT:
        return (await this.r.resolveTxt(name)).map((chunks) => ({ type: 'TXT', entries: chunks }));
      case QTYPE.SRV:
        return (await this.r.resolveSrv(name)).map((s) => ({ type: 'SRV', priority: s.priority, weight: s.weight, port: s.port, name: s.name }));
      default:
        throw Object.assign(new Error('query type not supported'), { code: 'NOTIMP' });
    }
  }
}
