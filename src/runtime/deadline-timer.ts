/**
 * The one place where a sans-IO machine's `nextDeadline()` meets Node's timers: every IO
 * shell (the PPP line driver, the userspace stacks, chat, the getty dialog, the modem
 * bank) keeps one DeadlineTimer and calls `arm(machine.nextDeadline())` after each
 * round; when the deadline comes, `onDue` ticks the machine and flushes it.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at: number | undefined;

  constructor(
    private readonly onDue: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Fire at `deadline` (undefined: no timer). An armed timer that fires no later is kept:
   * re-arming on every packet costs more than the tick it saves, and an early tick is
   * harmless (the machine re-reports its deadline).
   */
  arm(deadline: number | undefined): void {
    if (this.timer && this.at !== undefined && deadline !== undefined && this.at <= deadline) return;
    this.stop();
    if (deadline === undefined) return;
    this.at = deadline;
    // Node's timers hold at most 2^31-1 ms; a later deadline is re-armed when this fires.
    const delay = Math.min(Math.max(0, Math.ceil(deadline - this.now())), 0x7fffffff);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = undefined;
      this.onDue();
    }, delay);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = undefined;
  }
}
