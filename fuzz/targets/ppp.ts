/**
 * PPP Session, frame level, on the virtual clock. A real pair (server and client, one of
 * them the target) is driven a random number of deliveries into its negotiation (so the
 * target sits in Establish, Authenticate or Network, mid-exchange or settled); then the
 * case's steps are applied: hostile frames injected into the target (generated control
 * packets of LCP/IPCP/PAP/CHAP/EAP/CCP, mutated frames of a real exchange, random bytes),
 * deliveries of the real exchange, and time passing. At the end the target is closed and
 * must reach Dead.
 *
 * Invariants after every step: no throw; bounded events, output frames and output octets
 * per step; at most MAX_TIMERS armed timers (read through the session's private `timers`,
 * TypeScript privacy only); a valid phase; a finite next deadline; the step took < 2 s.
 */
import fc from 'fast-check';
import { Session, defaultSessionOptions, type SessionOptions } from '../../src/ppp/session.js';
import { staticSecrets } from '../../src/ppp/secrets.js';
import { seeded } from '../../src/ppp/testing/pair.js';
import { FrameLink } from '../../src/ppp/link/frame-link.js';
import { HdlcEncoder } from '../../src/wire/hdlc.js';
import { parseIp4 } from '../../src/wire/ipv4.js';
import type { Timers } from '../../src/ppp/timers.js';
import { bytes, invariant, mutate, mutations, timed, type Counter, type Mutation, type Target } from '../lib.js';

export const AUTHS = ['none', 'pap', 'chap', 'mschap', 'mschapv2', 'eap'] as const;
export type Auth = (typeof AUTHS)[number];

export interface Scenario {
  /** Which end is fuzzed. */
  target: 'server' | 'client';
  auth: Auth;
  link: 'hdlc' | 'frame';
  /** Deliveries of the real exchange before the first step. */
  warmup: number;
  debug: boolean;
  /** The client knows the wrong password. */
  badPassword: boolean;
  seed: number;
  /** Both ends want MPPE (needs MS-CHAP keys); 'stateful' lets stateful mode be agreed. */
  mppe?: 'stateless' | 'stateful';
}

export type Inject =
  | { kind: 'control'; protocol: number; code: number; id: number; body: Buffer; lenDelta: number; compress: boolean }
  | { kind: 'mutated'; index: number; edits: Mutation[] }
  | { kind: 'raw'; data: Buffer };

export type Step =
  | { kind: 'inject'; frame: Inject }
  | { kind: 'deliver'; n: number }
  | { kind: 'time'; dt: number }
  | { kind: 'ip'; len: number };

export interface PppCase {
  scenario: Scenario;
  steps: Step[];
}

const PHASES = new Set(['Dead', 'Establish', 'Authenticate', 'Network', 'Terminate']);
export const PROTOCOLS = [0xc021, 0xc023, 0xc223, 0xc227, 0x8021, 0x80fd, 0x0021, 0x8057, 0xc025, 0x8281, 0x00fd, 0x002d];
export const MAX_TIMERS = 16;
const MAX_EVENTS = 2000;
const MAX_FRAMES_OUT = 64;
const MAX_BYTES_OUT = 256 * 1024;

const ip = (s: string) => parseIp4(s)!;

function options(sc: Scenario, role: 'server' | 'client'): Partial<SessionOptions> {
  const mppe = sc.mppe ? { mppe40: true, mppe128: true, refuseMppeStateful: sc.mppe !== 'stateful', mppePreferStateful: sc.mppe === 'stateful' && role === 'client' } : {};
  const base = { randomBytes: seeded(`${role}:${sc.seed}`), debug: sc.debug, ...mppe };
  if (role === 'server') {
    const require = {
      requirePap: sc.auth === 'pap', requireChap: sc.auth === 'chap', requireMschap: sc.auth === 'mschap',
      requireMschapV2: sc.auth === 'mschapv2', requireEap: sc.auth === 'eap',
    };
    return {
      ...base, name: 'server', ...require, localAddr: ip('10.0.0.1'), remoteAddr: ip('10.0.0.2'), msDns: [ip('10.0.0.53'), ip('10.0.0.54')],
      secrets: staticSecrets([{ client: 'fred', server: '*', secret: 'wilma' }]), chapInterval: sc.seed % 3 === 0 ? 5 : 0,
    };
  }
  return { ...base, name: 'client', user: 'fred', password: sc.badPassword ? 'barney' : 'wilma', usePeerDns: true };
}

export interface Side {
  s: Session;
  role: 'server' | 'client';
  dead: boolean;
  /** Every frame this side sent, as (protocol, info): the "real exchange" to mutate. */
  sent: { protocol: number; info: Buffer }[];
  /** Control packets this side sent, by kind: what the long mode checks has moved. */
  replies: { configNak: number; configReject: number; codeReject: number; protocolReject: number };
}

/** Control protocols (LCP, NCPs, CCP: the 0x8000-0xbfff range and LCP itself) share codes 3, 4, 7. */
const isFsmProtocol = (p: number) => p === 0xc021 || (p >= 0x8000 && p < 0xc000);

const hdlc = new HdlcEncoder();
const hdlcCompressed = new HdlcEncoder({ acfc: true, pfc: true });

export function controlPacket(code: number, id: number, body: Buffer, lenDelta: number): Buffer {
  const p = Buffer.alloc(4 + body.length);
  p[0] = code;
  p[1] = id;
  p.writeUInt16BE(Math.max(0, Math.min(0xffff, 4 + body.length + lenDelta)), 2);
  body.copy(p, 4);
  return p;
}

/** A PPP-level frame (protocol + info) as the target's lower layer takes it. */
export function onTheWire(sc: Scenario, protocol: number, info: Buffer, compress = false): Buffer {
  if (sc.link === 'frame') {
    const head = protocol < 0x100 && compress ? Buffer.from([protocol]) : Buffer.from([protocol >> 8, protocol & 0xff]);
    return Buffer.concat([compress ? Buffer.alloc(0) : Buffer.from([0xff, 0x03]), head, info]);
  }
  return (compress ? hdlcCompressed : hdlc).encode(protocol, info);
}

function newSession(sc: Scenario, role: 'server' | 'client'): Side {
  const o = defaultSessionOptions({ ...options(sc, role), tapFrames: true });
  const link = sc.link === 'frame' ? new FrameLink({ addressControl: true, mru: 1500 }) : undefined;
  return { s: new Session(o, 0, link), role, dead: false, sent: [], replies: { configNak: 0, configReject: 0, codeReject: 0, protocolReject: 0 } };
}

export function armed(s: Session): number {
  return (s as unknown as { timers: Timers }).timers.armed.size;
}

/**
 * Octets the receive side holds between calls: the HDLC decoder's own slab (a frame that
 * spans reads) and the frame in progress, which must stay within the decoder's cap (MRU
 * plus header and FCS). Private fields, read through TypeScript privacy only.
 */
export const MAX_RX_SLAB = 2 * 64 * 1024 + 16 * 1024;
function rxBuffered(s: Session): { slab: number; len: number; cap: number } | undefined {
  const d = (s.link as unknown as { decoder?: { ownSlabBytes: number; len: number; cap: number } }).decoder;
  // A frame link has no decoder; a renamed private field reads as no bound rather than a failure.
  if (!d || typeof d.len !== 'number' || typeof d.cap !== 'number') return d ? { slab: d.ownSlabBytes ?? 0, len: 0, cap: 0 } : undefined;
  return { slab: d.ownSlabBytes, len: d.len, cap: d.cap };
}

export class Rig {
  now = 0;
  readonly server: Side;
  readonly client: Side;
  /** Chunks in flight: [to, bytes]. */
  readonly queue: [Side, Buffer][] = [];

  constructor(readonly sc: Scenario, readonly maxQueue = Infinity) {
    this.server = newSession(sc, 'server');
    this.client = newSession(sc, 'client');
    this.server.s.start(0);
    this.client.s.start(0);
    this.collect();
  }

  get target(): Side {
    return this.sc.target === 'server' ? this.server : this.client;
  }

  peer(x: Side): Side {
    return x === this.server ? this.client : this.server;
  }

  /** Moves output into the queue and checks the per-step bounds of both ends. */
  collect(): void {
    for (const side of [this.server, this.client]) {
      const out = side.s.takeOutput();
      invariant(out.length <= MAX_FRAMES_OUT, `${side.role}: ${out.length} frames out in one step`);
      const total = out.reduce((n, b) => n + b.length, 0);
      invariant(total <= MAX_BYTES_OUT, `${side.role}: ${total} octets out in one step`);
      for (const b of out) this.queue.push([this.peer(side), b]);
      const ev = side.s.takeEvents();
      invariant(ev.length <= MAX_EVENTS, `${side.role}: ${ev.length} events in one step`);
      for (const e of ev) {
        if (e.type === 'dead') side.dead = true;
        if (e.type !== 'frame' || e.dir !== 'out') continue;
        if (side.sent.length < 200) side.sent.push({ protocol: e.protocol, info: Buffer.from(e.payload) });
        if (isFsmProtocol(e.protocol)) {
          const code = e.payload[0];
          if (code === 3) side.replies.configNak++;
          else if (code === 4) side.replies.configReject++;
          else if (code === 7) side.replies.codeReject++;
          else if (code === 8 && e.protocol === 0xc021) side.replies.protocolReject++;
        }
      }
      invariant(PHASES.has(side.s.phase), `${side.role}: invalid phase ${String(side.s.phase)}`);
      const n = armed(side.s);
      invariant(n <= MAX_TIMERS, `${side.role}: ${n} timers armed`);
      const d = side.s.nextDeadline();
      invariant(d === undefined || Number.isFinite(d), `${side.role}: next deadline ${d}`);
      const rx = rxBuffered(side.s);
      if (rx) invariant(rx.slab <= MAX_RX_SLAB && rx.len <= rx.cap, `${side.role}: receive side holds ${rx.slab} octets of slab, ${rx.len} of a frame (cap ${rx.cap})`);
    }
    // The line between the two is lossy beyond a few dozen chunks: the long mode injects far
    // more than it delivers, and an unbounded harness queue would only measure the harness.
    if (this.queue.length > this.maxQueue) this.queue.splice(0, this.queue.length - this.maxQueue);
  }

  deliver(n: number): void {
    for (let i = 0; i < n && this.queue.length; i++) {
      const [to, b] = this.queue.shift()!;
      to.s.input(b, this.now);
      this.collect();
    }
  }

  advance(dt: number): void {
    const next = [this.server.s.nextDeadline(), this.client.s.nextDeadline()].filter((x): x is number => x !== undefined);
    // Time moves by dt, or to the next deadline when dt is 0 (so retransmissions happen).
    this.now = dt > 0 ? this.now + dt : next.length ? Math.max(this.now, Math.min(...next)) : this.now + 1000;
    this.server.s.tick(this.now);
    this.client.s.tick(this.now);
    this.collect();
  }
}

export function frameBytes(rig: Rig, f: Inject): Buffer {
  const sc = rig.sc;
  switch (f.kind) {
    case 'control': return onTheWire(sc, f.protocol, controlPacket(f.code, f.id, f.body, f.lenDelta), f.compress);
    case 'raw': return f.data;
    case 'mutated': {
      // A frame the peer really sent in this run, mutated above the framing (so it passes
      // the FCS) or, for odd edits counts, on the wire (so framing errors are exercised).
      const real = rig.peer(rig.target).sent;
      if (!real.length) return controlPacket(1, 1, Buffer.alloc(0), 0);
      const r = real[f.index % real.length]!;
      if (f.edits.length % 2 === 0) return onTheWire(sc, r.protocol, mutate(r.info, f.edits));
      return mutate(onTheWire(sc, r.protocol, r.info), f.edits);
    }
  }
}

/** How many cases started their steps in each role/phase (a coverage figure for the report). */
export const phaseCoverage: Record<string, number> = {};

export function check(c: PppCase, counter: Counter = { n: 0 }): void {
  const rig = new Rig(c.scenario);
  // Warm up: the real exchange, one delivery at a time, timers firing when it stalls.
  for (let i = 0; i < c.scenario.warmup; i++) {
    if (rig.queue.length) rig.deliver(1);
    else rig.advance(0);
  }
  const at = `${c.scenario.target}/${rig.target.s.phase}`;
  phaseCoverage[at] = (phaseCoverage[at] ?? 0) + 1;
  for (const st of c.steps) {
    timed(`step ${st.kind}`, 2000, () => {
      switch (st.kind) {
        case 'inject': {
          counter.n++;
          rig.target.s.input(frameBytes(rig, st.frame), rig.now);
          rig.collect();
          break;
        }
        case 'deliver': rig.deliver(st.n); break;
        case 'time': rig.advance(st.dt); break;
        case 'ip': {
          const p = Buffer.alloc(20 + st.len);
          p[0] = 0x45;
          p.writeUInt16BE(p.length, 2);
          p[9] = 17;
          rig.target.s.sendIp(p, rig.now);
          rig.collect();
          break;
        }
      }
    });
  }
  closeAndCheck(rig);
}

/**
 * The end of a case: an administrative close must bring the target to Dead (pppd exits)
 * within lcp-max-terminate restarts, whatever the hostile traffic left behind.
 */
export function closeAndCheck(rig: Rig): void {
  const t = rig.target;
  t.s.close('fuzz: end of case', rig.now);
  rig.collect();
  // Ten minutes of virtual time from the close (not from 0: a long case is well past that).
  const closedAt = rig.now;
  for (let i = 0; i < 500 && !t.dead; i++) {
    if (rig.queue.length) rig.deliver(1);
    else rig.advance(0);
    if (rig.now - closedAt > 10 * 60_000) break;
  }
  invariant(t.dead && t.s.phase === 'Dead', `${t.role}: not Dead after close (phase ${t.s.phase}, ${rig.now - closedAt} ms after it)`);
  invariant(armed(t.s) <= 2, `${t.role}: ${armed(t.s)} timers still armed when Dead`);
}

// ---- arbitraries ---------------------------------------------------------------------------

/** LCP/IPCP/CCP-style options: type, length (sometimes wrong), data. */
const configOptions = fc
  .array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 32 }), fc.nat(255)), fc.uint8Array({ maxLength: 12 }), fc.integer({ min: -3, max: 3 }), fc.boolean()), { maxLength: 8 })
  .map((opts) => Buffer.concat(opts.map(([type, data, delta, wrong]) => Buffer.from([type, Math.max(0, Math.min(255, 2 + data.length + (wrong ? delta : 0))), ...data]))));

/** Bodies shaped like PAP (peer-id, password), CHAP (value, name) and EAP (type, data). */
const lengthPrefixed = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }).map((parts) => Buffer.concat(parts.map((p) => Buffer.from([p.length, ...p]))));
const eapBody = fc.tuple(fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 6, 26, 254, 255), fc.nat(255)), bytes(60)).map(([t, d]) => Buffer.concat([Buffer.from([t]), d]));
const lcpSpecial = fc.tuple(fc.nat(0xffffffff), bytes(40)).map(([magic, rest]) => { const b = Buffer.alloc(4 + rest.length); b.writeUInt32BE(magic); rest.copy(b, 4); return b; });

const inject: fc.Arbitrary<Inject> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant('control' as const),
    protocol: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PROTOCOLS) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    code: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 14 }) }, { weight: 1, arbitrary: fc.nat(255) }),
    id: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.nat(255)),
    body: fc.oneof(configOptions, lengthPrefixed, eapBody, lcpSpecial, bytes(64), bytes(1600)),
    lenDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }),
    compress: fc.boolean(),
  }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mutated' as const), index: fc.nat(199), edits: mutations(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), data: fc.oneof(bytes(64), bytes(2000), fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from([0x7e, ...u, 0x7e]))) }) },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: inject.map((frame) => ({ kind: 'inject' as const, frame })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), dt: fc.oneof(fc.constant(0), fc.nat(5000), fc.nat(120_000)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ip' as const), len: fc.nat(1600) }) },
);

export function scenario(link?: 'hdlc' | 'frame'): fc.Arbitrary<Scenario> {
  return fc.record({
    target: fc.constantFrom('server' as const, 'client' as const),
    auth: fc.constantFrom(...AUTHS),
    link: link ? fc.constant(link) : fc.constantFrom('hdlc' as const, 'frame' as const),
    warmup: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 40 })),
    debug: fc.boolean(),
    badPassword: fc.boolean(),
    seed: fc.nat(1000),
  });
}

function target(name: string, link: 'hdlc' | 'frame'): Target<PppCase> {
  return {
    name,
    unit: 'frames',
    longCount: 10_000_000,
    runsPerBatch: 20,
    module: '../../fuzz/targets/ppp.js',
    arbitrary: () => fc.record({ scenario: scenario(link), steps: fc.array(step, { minLength: 1, maxLength: 60 }) }),
    check,
  };
}

export const pppHdlcTarget = target('ppp-hdlc', 'hdlc');
export const pppFrameTarget = target('ppp-frame', 'frame');
