/**
 * The IO shell of the L2TP core: one UDP socket (node:dgram), one DeadlineTimer, and each
 * established call as a Duplex of PPP frames (one write = one frame with FF 03 in front,
 * one 'data' chunk = one received frame), for a Session over a FrameLink.
 *
 *   LNS: const lns = await L2tpUdp.listen({ host, port, hostName, secret, acceptTunnels: true });
 *        lns.on('call', (call) => serve(call.stream, ...));
 *   LAC: const call = await dialL2tp({ host, port, hostName, secret });
 */
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { DeadlineTimer } from './deadline-timer.js';
import { L2tpEndpoint, type EndpointEvent, type EndpointOptions } from '../l2tp/endpoint.js';
import type { CallInfo } from '../l2tp/tunnel.js';

/** Frames a call may hold unread before new ones are dropped (bounded; PPP recovers). */
const MAX_UNREAD = 256 * 1024;

export interface L2tpCall {
  tunnel: number;
  session: number;
  /** The peer's address:port and its Host Name AVP. */
  peer: string;
  peerHostName: string;
  info: CallInfo;
  stream: Duplex;
}

export interface L2tpUdpOptions extends EndpointOptions {
  host: string;
  port: number;
  log?(msg: string): void;
}

export interface L2tpUdpEvents {
  call: [call: L2tpCall];
  'tunnel-up': [tunnel: number, peer: string, hostName: string];
  'tunnel-down': [tunnel: number, reason: string];
  'session-down': [tunnel: number, session: number, reason: string];
}

export class L2tpUdp extends EventEmitter<L2tpUdpEvents> {
  readonly endpoint: L2tpEndpoint;
  private readonly timer: DeadlineTimer;
  private readonly streams = new Map<string, Duplex>();
  private readonly hostNames = new Map<number, string>();
  private closed = false;

  private constructor(private readonly socket: dgram.Socket, private readonly opts: L2tpUdpOptions) {
    super();
    this.endpoint = new L2tpEndpoint(opts);
    this.timer = new DeadlineTimer(() => {
      this.endpoint.tick(Date.now());
      this.flush();
    });
    socket.on('message', (msg, rinfo) => {
      if (this.closed) return;
      this.endpoint.input(msg, peerKey(rinfo.address, rinfo.port), Date.now());
      this.flush();
    });
    socket.on('error', (err) => opts.log?.(`l2tp: socket: ${err.message}`));
  }

  static async listen(opts: L2tpUdpOptions): Promise<L2tpUdp> {
    const socket = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port, opts.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new L2tpUdp(socket, opts);
  }

  get address(): { address: string; port: number } {
    return this.socket.address();
  }

  /** LAC: a tunnel to `host:port` and one call on it; resolves when the call is up. */
  async dial(host: string, port: number, info: Partial<CallInfo> = {}, timeoutMs = 60_000): Promise<L2tpCall> {
    const address = net.isIP(host) ? host : (await dns.lookup(host, { family: this.socket.address().family === 'IPv6' ? 6 : 4 })).address;
    const now = Date.now();
    const tunnel = this.endpoint.openTunnel(peerKey(address, port), now);
    if (tunnel === undefined) throw new Error('too many tunnels');
    const session = this.endpoint.openSession(tunnel, now, info)!;
    this.flush();
    return new Promise<L2tpCall>((resolve, reject) => {
      const t = setTimeout(() => fail('no answer'), timeoutMs);
      const onCall = (call: L2tpCall) => {
        if (call.tunnel !== tunnel || call.session !== session) return;
        done();
        resolve(call);
      };
      const onTunnelDown = (id: number, reason: string) => id === tunnel && fail(reason);
      const onSessionDown = (id: number, s: number, reason: string) => id === tunnel && s === session && fail(reason);
      const done = () => {
        clearTimeout(t);
        this.off('call', onCall);
        this.off('tunnel-down', onTunnelDown);
        this.off('session-down', onSessionDown);
      };
      const fail = (why: string) => {
        done();
        this.endpoint.closeTunnel(tunnel, Date.now(), 1, why);
        this.flush();
        reject(new Error(why));
      };
      this.on('call', onCall);
      this.on('tunnel-down', onTunnelDown);
      this.on('session-down', onSessionDown);
    });
  }

  /** StopCCN to every tunnel, a moment for it to go out, then the socket closes. */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.endpoint.closeAll(Date.now());
    this.flush();
    // Give the StopCCNs a chance to be acknowledged (or retransmitted once).
    const until = Date.now() + graceMs;
    while (Date.now() < until && !this.endpoint.quiet()) await new Promise((r) => setTimeout(r, 50));
    this.closed = true;
    this.timer.stop();
    for (const s of this.streams.values()) s.destroy();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private flush(): void {
    for (;;) {
      const out = this.endpoint.takeOutput();
      const events = this.endpoint.takeEvents();
      if (!out.length && !events.length) break;
      for (const o of out) {
        const { address, port } = splitPeer(o.peer);
        this.socket.send(o.bytes, port, address);
      }
      for (const ev of events) this.onEvent(ev);
    }
    if (!this.closed) this.timer.arm(this.endpoint.nextDeadline());
  }

  private onEvent(ev: EndpointEvent): void {
    const key = (t: number, s: number) => `${t}/${s}`;
    switch (ev.type) {
      case 'log':
        this.opts.log?.(`l2tp: tunnel ${ev.tunnel}: ${ev.msg}`);
        return;
      case 'tunnel-up':
        this.hostNames.set(ev.tunnel, ev.peerHostName);
        this.emit('tunnel-up', ev.tunnel, ev.peer ?? '', ev.peerHostName);
        return;
      case 'tunnel-down':
        this.hostNames.delete(ev.tunnel);
        this.emit('tunnel-down', ev.tunnel, ev.reason);
        return;
      case 'session-up': {
        const stream = this.callStream(ev.tunnel, ev.session);
        this.streams.set(key(ev.tunnel, ev.session), stream);
        this.emit('call', { tunnel: ev.tunnel, session: ev.session, peer: ev.peer ?? '', peerHostName: this.hostNames.get(ev.tunnel) ?? '', info: ev.info, stream });
        return;
      }
      case 'session-down': {
        const s = this.streams.get(key(ev.tunnel, ev.session));
        this.streams.delete(key(ev.tunnel, ev.session));
        if (s) {
          // The PPP side hears end of file ("Modem hangup"), as from a dropped line.
          s.push(null);
          setImmediate(() => s.destroy());
        }
        this.emit('session-down', ev.tunnel, ev.session, ev.reason);
        return;
      }
      case 'data': {
        const s = this.streams.get(key(ev.tunnel, ev.session));
        if (s && s.readableLength < MAX_UNREAD) s.push(ev.frame);
        return;
      }
    }
  }

  private callStream(tunnel: number, session: number): Duplex {
    const id = `${tunnel}/${session}`;
    const stream = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _enc, cb) => {
        this.endpoint.sendFrame(tunnel, session, chunk);
        this.flush();
        cb();
      },
      final: (cb) => cb(),
      destroy: (err, cb) => {
        // The PPP side is done (or the call is gone): CDN if the call is still ours.
        if (this.streams.get(id) === stream) {
          this.streams.delete(id);
          this.endpoint.closeSession(tunnel, session, Date.now(), 3, 'PPP session ended');
          this.flush();
        }
        cb(err);
      },
    });
    return stream;
  }
}

/** The LAC side for one call (dialtone pppd's `l2tp:HOST[:PORT]` line). */
export async function dialL2tp(o: { host: string; port: number; hostName: string; secret?: string; hideAvps?: boolean; log?(msg: string): void; signal?: AbortSignal; timeoutMs?: number }): Promise<{ call: L2tpCall; udp: L2tpUdp }> {
  const family = net.isIPv6(o.host) ? '::' : '0.0.0.0';
  const udp = await L2tpUdp.listen({ host: family, port: 0, hostName: o.hostName, ...(o.secret !== undefined ? { secret: o.secret } : {}), hideAvps: o.hideAvps ?? false, ...(o.log ? { log: o.log } : {}) });
  const abort = () => void udp.close(0);
  o.signal?.addEventListener('abort', abort, { once: true });
  try {
    const call = await udp.dial(o.host, o.port, {}, o.timeoutMs);
    // When the call ends the tunnel goes too: one call per tunnel, as xl2tpd's "redial" LAC.
    call.stream.once('close', () => setTimeout(() => void udp.close(), 200));
    return { call, udp };
  } catch (err) {
    await udp.close(0);
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', abort);
  }
}

export function peerKey(address: string, port: number): string {
  return `${address}:${port}`;
}

function splitPeer(peer: string): { address: string; port: number } {
  const i = peer.lastIndexOf(':');
  return { address: peer.slice(0, i), port: Number(peer.slice(i + 1)) };
}
