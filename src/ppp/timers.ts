/**
 * Deadlines instead of timers: protocol code asks for "call me at T" and the owner of
 * the clock (an IO adapter, or a test's virtual clock) calls `fire(now)` when T comes.
 * Nothing here reads the real time.
 */
export interface Clock {
  /** Milliseconds, as last passed in by the caller that drives the session. */
  now: number;
}

export class Timer {
  deadline: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: () => void,
  ) {}

  start(ms: number): void {
    this.deadline = this.clock.now + ms;
  }

  stop(): void {
    this.deadline = undefined;
  }

  get running(): boolean {
    return this.deadline !== undefined;
  }

  /** Runs the handler if due; returns whether it ran. */
  fireIfDue(now: number): boolean {
    if (this.deadline === undefined || this.deadline > now) return false;
    this.deadline = undefined;
    this.onExpire();
    return true;
  }
}

export class Timers {
  private readonly all: Timer[] = [];

  constructor(readonly clock: Clock) {}

  create(onExpire: () => void): Timer {
    const t = new Timer(this.clock, onExpire);
    this.all.push(t);
    return t;
  }

  next(): number | undefined {
    let min: number | undefined;
    for (const t of this.all) if (t.deadline !== undefined && (min === undefined || t.deadline < min)) min = t.deadline;
    return min;
  }

  /** Fires every due timer, including ones that a handler arms for a time already past. */
  fire(now: number): void {
    this.clock.now = Math.max(this.clock.now, now);
    for (let guard = 0; guard < 10_000; guard++) {
      const due = this.all.find((t) => t.deadline !== undefined && t.deadline <= now);
      if (!due) return;
      due.fireIfDue(now);
    }
  }
}
