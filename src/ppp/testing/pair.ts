/**
 * Test aid: two sessions (or one) on a virtual clock over an in-memory line, for the
 * protocol tests. Not part of the library's API.
 */
import { createHash } from 'node:crypto';
import { Session, defaultSessionOptions, type SessionEvent, type SessionOptions } from '../session.js';
import { parseIp4 } from '../../wire/ipv4.js';
import type { LinkLayer } from '../link/link.js';

/** Deterministic entropy, so magic numbers and challenges repeat run to run. */
export function seeded(seed: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) {
      createHash('sha256').update(`${seed}:${counter++}`).digest().copy(out, i);
    }
    return out;
  };
}

export const ip = (s: string) => parseIp4(s)!;

export interface End {
  s: Session;
  events: SessionEvent[];
  logs: string[];
}

export function end(name: string, o: Partial<SessionOptions>, link?: LinkLayer): End {
  const s = new Session(defaultSessionOptions({ name, randomBytes: seeded(name), ...o }), 0, link);
  return { s, events: [], logs: [] };
}

/**
 * Runs two sessions against each other over an in-memory line on a virtual clock, until
 * both are dead, `stop` says so, or `untilMs` passes. `cut` drops what one side sends.
 */
export function run(a: End, b: End | undefined, opts: { untilMs?: number; stop?: () => boolean; cut?: (now: number) => 'a->b' | 'b->a' | 'both' | undefined; loopA?: boolean; onIdle?: (now: number) => void } = {}): number {
  const until = opts.untilMs ?? 120_000;
  let now = 0;
  a.s.start(now);
  b?.s.start(now);
  const drain = (e: End) => {
    for (const ev of e.s.takeEvents()) {
      e.events.push(ev);
      if (ev.type === 'log') e.logs.push(ev.msg);
    }
  };
  for (let steps = 0; steps < 100_000; steps++) {
    let moved = true;
    while (moved) {
      moved = false;
      opts.onIdle?.(now);
      const cut = opts.cut?.(now);
      for (const chunk of a.s.takeOutput()) {
        moved = true;
        if (opts.loopA) a.s.input(chunk, now);
        else if (b && cut !== 'a->b' && cut !== 'both') b.s.input(chunk, now);
      }
      if (b) {
        for (const chunk of b.s.takeOutput()) {
          moved = true;
          if (cut !== 'b->a' && cut !== 'both') a.s.input(chunk, now);
        }
      }
      drain(a);
      if (b) drain(b);
    }
    const dead = (e: End) => e.events.some((x) => x.type === 'dead');
    if ((dead(a) && (!b || dead(b))) || opts.stop?.()) break;
    const next = [a.s.nextDeadline(), b?.s.nextDeadline()].filter((x): x is number => x !== undefined);
    if (!next.length) break;
    now = Math.min(...next);
    if (now > until) break;
    a.s.tick(now);
    b?.s.tick(now);
  }
  return now;
}

export const ipUp = (e: End) => e.events.find((x): x is Extract<SessionEvent, { type: 'ip-up' }> => x.type === 'ip-up');
export const deadStatus = (e: End) => e.events.find((x): x is Extract<SessionEvent, { type: 'dead' }> => x.type === 'dead')?.status;

