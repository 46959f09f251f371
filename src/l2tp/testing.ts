/**
 * A virtual network for the L2TP core's tests: two endpoints, a virtual clock, and a
 * seeded fault model per direction (loss, duplication, reordering by delay).
 */
import { createHash } from 'node:crypto';
import { L2tpEndpoint, type EndpointEvent, type EndpointOptions } from './endpoint.js';

export const LAC_ADDR = '192.0.2.1:1701';
export const LNS_ADDR = '192.0.2.2:1701';

/** A deterministic byte source (hash chain) for ids, challenges and random vectors. */
export function seededRandom(seed: string): (n: number) => Buffer {
  let state = createHash('sha256').update(seed).digest();
  return (n: number) => {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      state = createHash('sha256').update(state).digest();
      out.push(state);
      have += state.length;
    }
    return Buffer.concat(out).subarray(0, n);
  };
}

export interface Faults {
  loss?: number;
  duplicate?: number;
  /** Probability that a datagram is held back a random 1-300 ms (reordering). */
  delay?: number;
  /** Only control messages suffer (the "5% control-packet loss" case). */
  controlOnly?: boolean;
}

interface InFlight {
  at: number;
  to: 'lac' | 'lns';
  from: string;
  bytes: Buffer;
}

export class VirtualNet {
  now = 0;
  readonly lac: L2tpEndpoint;
  readonly lns: L2tpEndpoint;
  readonly lacEvents: EndpointEvent[] = [];
  readonly lnsEvents: EndpointEvent[] = [];
  /** Every datagram put on the wire, by direction (before faults). */
  readonly wire: { from: 'lac' | 'lns'; bytes: Buffer }[] = [];
  private flight: InFlight[] = [];
  private readonly rnd: () => number;
  dropped = 0;

  constructor(lacOpts: Partial<EndpointOptions>, lnsOpts: Partial<EndpointOptions>, private readonly faults: Faults = {}, seed = 'net') {
    this.lac = new L2tpEndpoint({ hostName: 'lac', random: seededRandom(`${seed}:lac`), ...lacOpts });
    this.lns = new L2tpEndpoint({ hostName: 'lns', acceptTunnels: true, random: seededRandom(`${seed}:lns`), ...lnsOpts });
    const r = seededRandom(`${seed}:faults`);
    this.rnd = () => r(4).readUInt32BE(0) / 2 ** 32;
  }

  /** Moves datagrams and time until `until` (virtual ms) or `done()` holds. */
  run(until: number, done: () => boolean = () => false): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.collect();
      if (done()) return;
      const next = Math.min(
        this.flight.length ? Math.min(...this.flight.map((f) => f.at)) : Infinity,
        this.lac.nextDeadline() ?? Infinity,
        this.lns.nextDeadline() ?? Infinity,
      );
      if (next === Infinity || next > until) {
        this.now = until;
        return;
      }
      this.now = Math.max(this.now, next);
      const due = this.flight.filter((f) => f.at <= this.now);
      this.flight = this.flight.filter((f) => f.at > this.now);
      for (const f of due) (f.to === 'lac' ? this.lac : this.lns).input(f.bytes, f.from, this.now);
      this.lac.tick(this.now);
      this.lns.tick(this.now);
    }
    throw new Error('virtual network did not settle');
  }

  private collect(): void {
    for (const [from, ep, events] of [['lac', this.lac, this.lacEvents], ['lns', this.lns, this.lnsEvents]] as const) {
      events.push(...ep.takeEvents());
      for (const o of ep.takeOutput()) {
        this.wire.push({ from, bytes: o.bytes });
        const control = (o.bytes[0]! & 0x80) !== 0;
        const subject = control || !this.faults.controlOnly;
        const to = from === 'lac' ? 'lns' : 'lac';
        const src = from === 'lac' ? LAC_ADDR : LNS_ADDR;
        if (subject && this.rnd() < (this.faults.loss ?? 0)) {
          this.dropped++;
          continue;
        }
        const copies = subject && this.rnd() < (this.faults.duplicate ?? 0) ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const delay = subject && this.rnd() < (this.faults.delay ?? 0) ? 1 + Math.floor(this.rnd() * 300) : 1;
          this.flight.push({ at: this.now + delay, to, from: src, bytes: o.bytes });
        }
      }
    }
  }
}

export const frame = (proto: number, body: string) => Buffer.concat([Buffer.from([0xff, 0x03, proto >> 8, proto & 0xff]), Buffer.from(body)]);
