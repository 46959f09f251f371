/**
 * The PPP targets' long mode (`npm run fuzz -- --long`, 10^7 frames): the same rig and
 * invariants as the fast-check property (ppp.ts), at a cost per frame of one Session.input.
 *
 * The fast-check case builds a session pair, warms it up and closes it for ~30 injected
 * frames, and generates every frame through fast-check; that holds a loaded machine to
 * ~1-2k frames/s. Here a batch is a seeded sfc32 stream: a pair is built for a random
 * scenario (which end is fuzzed, auth method, wrong password, MPPE, debug), driven
 * part-way or all the way into the Network phase (IPCP, IPV6CP, CCP up), then kept alive
 * for hundreds to thousands of steps: frames made by mutating what the peer really sent
 * (bit flips, overwrites, inserts, deletes, truncation, Length lies, option TLV
 * corruption, code/identifier/protocol changes) or generated (control packets of every
 * protocol, unknown protocols and codes, raw bytes, broken framing), deliveries of the
 * real exchange, IP packets either way, and the virtual clock moving (to the next
 * deadline, or by up to two minutes) so timers fire. A target that dies is closed out and
 * a new pair built; one that lives to the end of its span is closed and must reach Dead.
 *
 * Invariants: those of Rig.collect after every step (no throw; frames, octets and events
 * out per step; armed timers; receive buffer; phase; finite deadline), each step < 2 s,
 * close reaches Dead with <= 2 timers; and per batch of BATCH_FRAMES, the reject paths
 * moved (frames dropped by the link, Code-Reject, Configure-Reject, Configure-Nak,
 * Protocol-Reject sent), so a change that made the generator miss them shows up.
 */
import { Prng } from '../../src/runtime/fault.js';
import { AUTHS, PROTOCOLS, Rig, armed, closeAndCheck, controlPacket, onTheWire, type Scenario } from './ppp.js';
import { invariant, timed, type Counter } from '../lib.js';

/** Frames per batch (the unit of replay: `--long --seed S --batches 1`). */
export const BATCH_FRAMES = 25_000;
/** Chunks in flight between the two ends before the oldest is lost (see Rig.collect). */
const LINE_QUEUE = 32;

class Rand extends Prng {
  int(n: number): number {
    return n > 0 ? this.u32() % n : 0;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

function randomScenario(r: Rand, link: 'hdlc' | 'frame'): Scenario {
  const auth = r.pick(AUTHS);
  const ms = auth === 'mschap' || auth === 'mschapv2';
  return {
    target: r.int(2) ? 'server' : 'client',
    auth,
    link,
    warmup: 0,
    debug: r.int(5) === 0,
    badPassword: r.int(4) === 0,
    seed: r.int(1000),
    mppe: ms && r.int(2) ? (r.int(3) ? 'stateless' : 'stateful') : undefined,
  };
}

/** Configure-* style options: known-ish types, lengths sometimes lying. */
function tlvs(r: Rand): Buffer {
  const parts: Buffer[] = [];
  for (let n = r.int(8); n > 0; n--) {
    const type = r.int(3) ? r.int(33) : r.int(256);
    const data = r.bytes(r.int(4) ? r.int(7) : r.int(13));
    let len = 2 + data.length;
    if (r.int(7) === 0) len = Math.max(0, Math.min(255, len + r.int(7) - 3));
    parts.push(Buffer.from([type, len]), data);
  }
  return Buffer.concat(parts);
}

function body(r: Rand): Buffer {
  switch (r.int(6)) {
    case 0: return tlvs(r);
    case 1: { // PAP/CHAP shapes: length-prefixed fields
      const parts: Buffer[] = [];
      for (let n = r.int(4); n > 0; n--) {
        const f = r.bytes(r.int(41));
        parts.push(Buffer.from([f.length]), f);
      }
      return Buffer.concat(parts);
    }
    case 2: return Buffer.concat([Buffer.from([r.int(2) ? r.pick([1, 2, 3, 4, 5, 6, 26, 254, 255]) : r.int(256)]), r.bytes(r.int(61))]); // EAP type + data
    case 3: { // LCP Echo/Discard/Identification: magic + data
      const b = r.bytes(4 + r.int(41));
      return b;
    }
    case 4: return r.bytes(r.int(65));
    default: return r.bytes(r.int(8) ? r.int(200) : r.int(1601));
  }
}

/** Edits above the framing: the frame still passes the FCS, the protocol code sees it. */
function mutateInfo(r: Rand, protocol: number, info0: Buffer): { protocol: number; info: Buffer } {
  let info = Buffer.from(info0);
  for (let n = 1 + r.int(3); n > 0; n--) {
    switch (r.int(11)) {
      case 0: if (info.length) { const i = r.int(info.length); info[i] = info[i]! ^ (1 << r.int(8)); } break;
      case 1: if (info.length) info[r.int(info.length)] = r.u32() & 0xff; break;
      case 2: { const at = r.int(info.length + 1); info = Buffer.concat([info.subarray(0, at), r.bytes(1 + r.int(8)), info.subarray(at)]); break; }
      case 3: { const at = r.int(info.length + 1); info = Buffer.concat([info.subarray(0, at), info.subarray(at + 1 + r.int(4))]); break; }
      case 4: info = info.subarray(0, r.int(info.length + 1)); break;
      case 5: { const at = r.int(info.length + 1); info = Buffer.concat([info, info.subarray(at, at + 1 + r.int(64))]); break; }
      case 6: // the Length field lies (RFC 1661 §5: longer than the frame is discarded, shorter is padding)
        if (info.length >= 4) {
          const len = info.readUInt16BE(2);
          info.writeUInt16BE(r.pick([0, 1, 3, 4, 5, 0xffff, Math.max(0, Math.min(0xffff, len + r.int(17) - 8)), r.int(0x10000)]), 2);
        }
        break;
      case 7: { // one option's type, length or data corrupted
        if (info.length <= 6) break;
        const opts: number[] = [];
        for (let at = 4; at + 1 < info.length && opts.length < 16; ) {
          opts.push(at);
          const l = info[at + 1]!;
          if (l < 2) break;
          at += l;
        }
        const at = r.pick(opts);
        if (r.int(2)) info[at + 1] = r.pick([0, 1, 2, 255, (info[at + 1]! + 1) & 0xff, (info[at + 1]! + 255) & 0xff, r.int(256)]);
        else info[at] = r.int(2) ? r.int(33) : r.int(256);
        break;
      }
      case 8: if (info.length) info[0] = r.int(2) ? r.int(15) : r.int(256); break; // code, often unknown
      case 9: if (info.length > 1) info[1] = r.int(256); break; // identifier
      default: protocol = r.int(3) ? r.pick(PROTOCOLS) : r.int(0x10000); break;
    }
  }
  return { protocol, info };
}

/** Edits below the framing: FCS failures, stray flags and escapes, cut frames. */
function mutateWire(r: Rand, wire0: Buffer): Buffer {
  let wire = Buffer.from(wire0);
  switch (r.int(5)) {
    case 0: if (wire.length) { const i = r.int(wire.length); wire[i] = wire[i]! ^ (1 << r.int(8)); } break;
    case 1: { const at = r.int(wire.length + 1); wire = Buffer.concat([wire.subarray(0, at), Buffer.from([r.pick([0x7e, 0x7d, 0x7d, 0xff, 0x03])]), wire.subarray(at)]); break; }
    case 2: wire = wire.subarray(0, r.int(wire.length + 1)); break;
    case 3: wire = wire.subarray(r.int(wire.length + 1)); break;
    default: wire = Buffer.concat([wire, wire.subarray(0, r.int(wire.length + 1))]); break;
  }
  return wire;
}

function hostileFrame(r: Rand, rig: Rig): Buffer {
  const sc = rig.sc;
  const k = r.int(100);
  let wire: Buffer;
  if (k < 45) {
    // A frame of the real exchange (usually the peer's, sometimes the target's own: a looped line).
    const real = r.int(5) ? rig.peer(rig.target).sent : rig.target.sent;
    if (!real.length) wire = onTheWire(sc, 0xc021, controlPacket(1, r.int(256), tlvs(r), 0));
    else {
      const f = real[r.int(real.length)]!;
      const m = r.int(8) ? mutateInfo(r, f.protocol, f.info) : f; // sometimes a replay as is
      wire = onTheWire(sc, m.protocol, m.info, r.int(4) === 0);
    }
  } else if (k < 85) {
    const protocol = r.int(7) ? r.pick(PROTOCOLS) : r.int(0x10000);
    const code = r.int(6) ? 1 + r.int(14) : r.int(256);
    const lenDelta = r.int(7) ? 0 : r.int(17) - 8;
    wire = onTheWire(sc, protocol, controlPacket(code, r.int(2) ? r.int(5) : r.int(256), body(r), lenDelta), r.int(2) === 0);
  } else if (k < 93) {
    // Protocols nobody runs (Protocol-Reject) and the odd/even rules of RFC 1661 §2.
    const protocol = r.int(2) ? (r.int(0x8000) << 1) | 1 : r.int(0x10000);
    wire = onTheWire(sc, protocol, r.bytes(r.int(64)), r.int(2) === 0);
  } else if (k < 97) {
    wire = r.int(2) ? r.bytes(r.int(64)) : Buffer.concat([Buffer.from([0x7e]), r.bytes(r.int(2000)), Buffer.from([0x7e])]);
  } else {
    return mutateWire(r, onTheWire(sc, 0xc021, controlPacket(1 + r.int(11), r.int(256), tlvs(r), 0)));
  }
  return r.int(12) === 0 ? mutateWire(r, wire) : wire;
}

function ipPacket(r: Rand, v6: boolean): Buffer {
  const p = Buffer.alloc((v6 ? 40 : 20) + r.int(r.int(4) ? 200 : 1601));
  if (v6) {
    p[0] = 0x60;
    p.writeUInt16BE(p.length - 40, 4);
    p[6] = 17;
    p[7] = 64;
  } else {
    p[0] = 0x45;
    p.writeUInt16BE(p.length, 2);
    p[8] = 64;
    p[9] = r.int(2) ? 17 : 6;
  }
  return p;
}

/** Runs the rig's real exchange until the target is in Network with nothing in flight, or `max` steps. */
function settle(rig: Rig, max: number): void {
  for (let i = 0; i < max && !rig.target.dead; i++) {
    if (rig.queue.length) rig.deliver(1);
    else if (rig.target.s.phase === 'Network') return;
    else rig.advance(0);
  }
}

export function longBatch(link: 'hdlc' | 'frame', seed: number, counter: Counter, frames = BATCH_FRAMES): Record<string, number> {
  const r = new Rand(`ppp-long:${link}:${seed}`);
  const stats: Record<string, number> = {};
  const add = (k: string, n = 1) => {
    stats[k] = (stats[k] ?? 0) + n;
  };
  let done = 0;
  while (done < frames) {
    const sc = randomScenario(r, link);
    const rig = new Rig(sc, LINE_QUEUE);
    add('pairs');
    // Warm-up: a few deliveries (mid-LCP or mid-auth) or all the way to Network.
    const w = r.int(4);
    if (w >= 2) settle(rig, 400);
    else for (let i = w ? r.int(41) : r.int(7); i > 0; i--) rig.queue.length ? rig.deliver(1) : rig.advance(0);
    if (rig.target.s.phase === 'Network') add('pairs reaching Network');
    const span = 100 + r.int(r.int(3) ? 1500 : 6000);
    let died = false;
    for (let i = 0; i < span && done < frames; ) {
      const k = r.int(100);
      timed('long-mode step', 2000, () => {
        if (k < 84) {
          const wire = hostileFrame(r, rig);
          add(`frames at ${sc.target}/${rig.target.s.phase}`);
          counter.n++;
          done++;
          i++;
          rig.target.s.input(wire, rig.now);
          rig.collect();
        } else if (k < 93) rig.deliver(1 + r.int(6));
        else if (k < 97) rig.advance(r.pick([0, 0, r.int(5000), r.int(120_000)]));
        else {
          const from = r.int(2) ? rig.target : rig.peer(rig.target);
          const v6 = r.int(3) === 0;
          if (v6) from.s.sendIpv6(ipPacket(r, true), rig.now);
          else from.s.sendIp(ipPacket(r, false), rig.now);
          rig.collect();
        }
      });
      if (rig.target.dead) {
        died = true;
        break;
      }
      // A settled pair stays interesting: now and then the real exchange catches up.
      if (r.int(500) === 0) settle(rig, 50);
    }
    const t = rig.target;
    if (died) {
      add('pairs whose target died');
      invariant(t.s.phase === 'Dead', `${t.role}: dead event but phase ${t.s.phase}`);
      invariant(armed(t.s) <= 2, `${t.role}: ${armed(t.s)} timers still armed when Dead`);
    } else closeAndCheck(rig);
    add('link frames dropped', t.s.counters.framesDropped);
    add('discarded by phase', t.s.counters.discardedByPhase);
    add('Protocol-Reject sent', t.replies.protocolReject);
    add('Code-Reject sent', t.replies.codeReject);
    add('Configure-Reject sent', t.replies.configReject);
    add('Configure-Nak sent', t.replies.configNak);
  }
  if (frames >= BATCH_FRAMES) {
    for (const k of ['link frames dropped', 'discarded by phase', 'Protocol-Reject sent', 'Code-Reject sent', 'Configure-Reject sent', 'Configure-Nak sent', 'pairs reaching Network']) {
      invariant((stats[k] ?? 0) > 0, `long mode: no "${k}" in a batch of ${frames} frames (the generator no longer reaches that path)`);
    }
  }
  return stats;
}
