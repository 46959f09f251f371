/**
 * StackDriver: the IO half of a sans-IO stack that NatBackend (NetStack) and ClientBackend
 * (ClientStack) share — draining the stack's packets and requests after every input, and
 * keeping one timer for its next deadline. The stacks have no clock or timers of their own
 * (src/net is sans-IO), so this is where time gets into them.
 */
import { DeadlineTimer } from './deadline-timer.js';

/** What the driver needs of a stack: its output and its timers. */
export interface DrivenStack<R> {
  takePackets(): Buffer[];
  takeRequests(): R[];
  nextDeadline(): number | undefined;
  tick(now: number): void;
}

export interface StackDriverHooks<R> {
  /** The stack to drive now, or undefined when there is none (link down, session closed). */
  stack(): DrivenStack<R> | undefined;
  now(): number;
  /** A packet for the PPP peer. */
  send(packet: Buffer): void;
  /** A request for the adapter (may call back into the stack: pump() then loops). */
  perform(r: R): void;
  /**
   * The stack has nothing more to say for now: the adapter hands what it batched during
   * this pump to its sockets (one write per socket per event-loop turn, not one per segment).
   */
  flush?(): void;
}

export class StackDriver<R> {
  private readonly timer: DeadlineTimer;
  private pumping = false;

  constructor(private readonly hooks: StackDriverHooks<R>) {
    this.timer = new DeadlineTimer(() => {
      this.hooks.stack()?.tick(this.hooks.now());
      this.pump();
    }, () => this.hooks.now());
  }

  /** Hands the stack's output to the link and the adapter until it has none, then re-arms the timer. */
  pump(): void {
    // Re-entrant calls (a request performed synchronously reports back) are taken care of
    // by the outer loop.
    if (this.pumping || !this.hooks.stack()) return;
    this.pumping = true;
    try {
      // Bounded: a stack and adapter answering each other forever must not hang the process.
      for (let guard = 0; guard < 1000; guard++) {
        const stack = this.hooks.stack();
        if (!stack) break;
        const packets = stack.takePackets();
        const requests = stack.takeRequests();
        if (!packets.length && !requests.length) break;
        for (const p of packets) this.hooks.send(p);
        for (const r of requests) this.hooks.perform(r);
      }
    } finally {
      this.pumping = false;
    }
    this.hooks.flush?.();
    this.schedule();
  }

  /** Drops the timer (the stack is gone or closed). */
  stop(): void {
    this.timer.stop();
  }

  private schedule(): void {
    const stack = this.hooks.stack();
    if (stack) this.timer.arm(stack.nextDeadline());
  }
}
