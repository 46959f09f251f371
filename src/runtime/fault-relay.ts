/**
 * FaultRelay: the fault model (fault.ts) as a device between two Node duplex streams, one
 * FaultModel each way, on real time. Whatever `a` emits is pushed through the a→b model
 * and written to `b`, and the other way round; when either model cuts the line (after N
 * bytes, at a time) or either side ends or fails, both sides are hung up (ended, then
 * destroyed), as a modem drops carrier on both ends of a call.
 *
 *   const relay = new FaultRelay(clientSide, serverSide, { seed: 3, both: { bitErrorRate: 1e-4 } });
 *   await relay.done;  // both sides hung up; relay.stats() has what each direction did
 *
 * listenFaultRelay() does the same as a TCP relay on 127.0.0.1: every accepted connection
 * is relayed to a target through its own pair of models (seeded by the connection's
 * index), so programs that dial TCP (dialtone pppd tcp:HOST:PORT) can be put on a bad line.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FaultModel, type FaultOptions, type FaultStats } from './fault.js';
import { DeadlineTimer } from './deadline-timer.js';

export type FaultSpec = Omit<FaultOptions, 'seed'>;

export interface FaultRelayOptions {
  /** The seed; each direction's model gets `${seed}:a->b` / `${seed}:b->a`. */
  seed: number | string;
  /** Faults applied both ways (overridden per direction by aToB / bToA). */
  both?: FaultSpec;
  aToB?: FaultSpec;
  bToA?: FaultSpec;
  /**
   * Milliseconds since the relay started, for disconnectAtMs (default: real time). Delays
   * are armed on real timers either way.
   */
  now?: () => number;
  /** How a cut line is hung up: `end` (FIN, the peer reads end of file) or `destroy`. */
  hangup?: 'end' | 'destroy';
}

export type RelayEnd = 'a->b cut' | 'b->a cut' | 'a ended' | 'b ended' | 'a error' | 'b error' | 'closed';

interface Direction {
  name: 'a->b' | 'b->a';
  from: Duplex;
  to: Duplex;
  model: FaultModel;
}

export class FaultRelay {
  readonly aToB: FaultModel;
  readonly bToA: FaultModel;
  /** Resolves with why the relay ended, once both sides are hung up. */
  readonly done: Promise<RelayEnd>;
  private ended?: RelayEnd;
  private resolveDone!: (why: RelayEnd) => void;
  private readonly timer: DeadlineTimer;
  private readonly now: () => number;
  private readonly dirs: Direction[];
  private readonly detachers: (() => void)[] = [];

  constructor(
    private readonly a: Duplex,
    private readonly b: Duplex,
    private readonly opts: FaultRelayOptions,
  ) {
    const t0 = Date.now();
    this.now = opts.now ?? (() => Date.now() - t0);
    this.aToB = new FaultModel({ ...opts.both, ...opts.aToB, seed: `${opts.seed}:a->b` });
    this.bToA = new FaultModel({ ...opts.both, ...opts.bToA, seed: `${opts.seed}:b->a` });
    this.done = new Promise((r) => (this.resolveDone = r));
    this.timer = new DeadlineTimer(() => this.pump(), this.now);
    this.dirs = [
      { name: 'a->b', from: a, to: b, model: this.aToB },
      { name: 'b->a', from: b, to: a, model: this.bToA },
    ];
    for (const d of this.dirs) this.wire(d);
    this.pump();
  }

  /** What each direction did so far. */
  stats(): { aToB: FaultStats; bToA: FaultStats; ended?: RelayEnd } {
    return { aToB: { ...this.aToB.stats }, bToA: { ...this.bToA.stats }, ended: this.ended };
  }

  /** Hangs up both sides now. */
  close(): void {
    this.finish('closed');
  }

  private wire(d: Direction): void {
    const side = d.from === this.a ? 'a' : 'b';
    const onData = (chunk: Buffer) => {
      if (this.ended) return;
      d.model.push(chunk, this.now());
      this.pump();
    };
    const onEnd = () => this.finish(`${side} ended`);
    const onError = () => this.finish(`${side} error`);
    const onClose = () => this.finish(`${side} ended`);
    const onDrain = () => {
      // Backpressure: the far side drained, the near side may read again.
      const back = this.dirs.find((x) => x.to === d.from)!;
      if (!this.ended) back.from.resume();
    };
    d.from.on('data', onData);
    d.from.on('end', onEnd);
    d.from.on('error', onError);
    d.from.on('close', onClose);
    d.from.on('drain', onDrain);
    this.detachers.push(() => {
      d.from.off('data', onData);
      d.from.off('end', onEnd);
      d.from.off('close', onClose);
      d.from.off('drain', onDrain);
      // 'error' stays handled: a hung-up socket may still report ECONNRESET.
    });
  }

  private pump(): void {
    if (this.ended) return;
    const now = this.now();
    for (const d of this.dirs) {
      for (const piece of d.model.take(now)) {
        if (d.to.destroyed || !d.to.writable) continue;
        if (!d.to.write(piece)) d.from.pause();
      }
      if (d.model.disconnected) return this.finish(`${d.name} cut`);
    }
    const next = [this.aToB.nextDeadline(), this.bToA.nextDeadline()].filter((x): x is number => x !== undefined);
    this.timer.arm(next.length ? Math.min(...next) : undefined);
  }

  private finish(why: RelayEnd): void {
    if (this.ended) return;
    this.ended = why;
    this.timer.stop();
    for (const detach of this.detachers) detach();
    const now = this.now();
    for (const d of this.dirs) d.model.disconnect(now);
    const sides = [this.a, this.b];
    const closed = sides.map((s) => new Promise<void>((r) => {
      if (s.destroyed) return r();
      s.once('close', () => r());
      if ((this.opts.hangup ?? 'end') === 'destroy') s.destroy();
      else {
        s.end();
        // A FIN is enough for the peer to read end of file; let go of the socket soon after.
        const t = setTimeout(() => s.destroy(), 200);
        s.once('close', () => clearTimeout(t));
      }
    }));
    for (const s of sides) s.resume(); // discard what still arrives, so 'end' and 'close' can come
    void Promise.all(closed).then(() => this.resolveDone(why));
  }
}

export interface FaultTcpRelay {
  /** Where the relay listens (127.0.0.1 by default). */
  readonly address: net.AddressInfo;
  /** One FaultRelay per accepted connection, in order. */
  readonly relays: FaultRelay[];
  close(): Promise<void>;
}

export interface FaultTcpRelayOptions {
  target: { host?: string; port: number };
  listen?: { host?: string; port?: number };
  /** The faults for the n-th connection (0-based); seeds differ per connection. */
  faults(n: number): FaultRelayOptions;
  /** Called with each new relay (a = the accepted caller, b = the connection to target). */
  onRelay?(relay: FaultRelay, n: number): void;
}

/** A TCP relay that puts every connection through its own FaultRelay. */
export async function listenFaultRelay(opts: FaultTcpRelayOptions): Promise<FaultTcpRelay> {
  const relays: FaultRelay[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((caller) => {
    const n = relays.length;
    caller.setNoDelay(true);
    const upstream = net.connect(opts.target.port, opts.target.host ?? '127.0.0.1');
    upstream.setNoDelay(true);
    for (const s of [caller, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const relay = new FaultRelay(caller, upstream, opts.faults(n));
    relays.push(relay);
    opts.onRelay?.(relay, n);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen?.port ?? 0, opts.listen?.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    relays,
    close: async () => {
      for (const r of relays) r.close();
      await Promise.all(relays.map((r) => r.done));
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
