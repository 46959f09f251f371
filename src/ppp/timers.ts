/**
 * Deadlines instead of timers: protocol code asks for "call me at T" and the owner of
 * the clock (an IO adapter, or a test's virtual clock) calls `fire(now)` when T comes.
 * Nothing here reads the real time.
 *
 * Only armed timers are held by the set, so a protocol object that is dropped (an
 * authentication exchange of a link that renegotiated) leaves nothing behind.
 */
export interface Clock {
  /** Milliseconds, as last passed in by the caller that drives the session. */
  now: number;
}

export class Timer {
  deadline: number | undefined;

  constructor(
    private readonly owner: Timers,
    private readonly onExpire: (this: unknown) => void,
    /** `this` for onExpire: a long-lived owner passes a prototype method and itself instead of a closure. */
    private readonly target?: unknown,
  ) {}

  start(ms: number): void {
    this.deadline = this.owner.clock.now + ms;
    this.owner.armed.add(this);
  }

  stop(): void {
    this.deadline = undefined;
    this.owner.armed.delete(this);
  }

  get running(): boolean {
    return this.deadline !== undefined;
  }

  /** Runs the handler if due; returns whether it ran. */
  fireIfDue(now: number): boolean {
    if (this.deadline === undefined || this.deadline > now) return false;
    this.stop();
    this.onExpire.call(this.target);
    return true;
  }
}

export class Timers {
  /** The timers with a deadline; at most one entry per timer. */
  readonly armed = new Set<Timer>();

  constructor(readonly clock: Clock) {}

  create(onExpire: () => void): Timer;
  create<T>(onExpire: (this: T) => void, target: T): Timer;
  create(onExpire: (this: unknown) => void, target?: unknown): Timer {
    return new Timer(this, onExpire, target);
  }

  next(): number | undefined {
    let min: number | undefined;
    for (const t of this.armed) if (min === undefined || t.deadline! < min) min = t.deadline;
    return min;
  }

  /** Fires every due timer, including ones that a handler arms for a time already past. */
  fire(now: number): void {
    this.clock.now = Math.max(this.clock.now, now);
    for (let guard = 0; guard < 10_000; guard++) {
      let due: Timer | undefined;
      for (const t of this.armed) {
        if (t.deadline! <= now && (due === undefined || t.deadline! < due.deadline!)) due = t;
      }
      if (!due) return;
      due.fireIfDue(now);
    }
  }
}
