/**
 * A Hayes modem on a virtual clock, for tests: it records what the modem sends the DTE and
 * the far end, its requests to the line, and its DCD and RI changes.
 */
import { HayesModem, type CallerId, type HayesOptions, type ModemOutput } from '../hayes.js';

export const dec = (b: Uint8Array): string => String.fromCharCode(...b);

/** A modem on a virtual clock, recording everything it emits. */
export class Rig {
  readonly m: HayesModem;
  t = 1_000_000; // not 0, so "silence since boot" is not an accident of the start value
  private dteText = '';
  remoteText = '';
  requests: ModemOutput[] = [];
  dcdChanges: boolean[] = [];
  riChanges: boolean[] = [];

  constructor(opts: HayesOptions = {}) {
    this.m = new HayesModem(opts);
  }
  private collect(outs: ModemOutput[]): void {
    for (const o of outs) {
      if (o.type === 'dte') this.dteText += dec(o.data);
      else if (o.type === 'remote') this.remoteText += dec(o.data);
      else if (o.type === 'dcd') this.dcdChanges.push(o.on);
      else if (o.type === 'ri') this.riChanges.push(o.on);
      else this.requests.push(o);
    }
  }
  /** Send DTE bytes `afterMs` after the previous event. */
  type(s: string, afterMs = 0): this {
    this.t += afterMs;
    this.collect(this.m.fromDte(s, this.t));
    return this;
  }
  /** Let `ms` pass, firing every deadline on the way as a real owner would. */
  wait(ms: number): this {
    const end = this.t + ms;
    for (;;) {
      const d = this.m.nextDeadline();
      if (d === undefined || d > end) break;
      this.t = Math.max(this.t, d);
      this.collect(this.m.tick(this.t));
    }
    this.t = end;
    this.collect(this.m.tick(this.t));
    return this;
  }
  ring(callerId?: CallerId): this {
    this.collect(this.m.handle(callerId ? { type: 'ring', callerId } : { type: 'ring' }, this.t));
    return this;
  }
  connect(speed?: number): this {
    this.collect(this.m.connected(this.t, speed));
    return this;
  }
  remote(s: string): this {
    this.collect(this.m.fromRemote(s, this.t));
    return this;
  }
  hangupFromRemote(): this {
    this.collect(this.m.remoteHangup(this.t));
    return this;
  }
  fail(reason: 'busy' | 'no-answer' | 'no-carrier' | 'no-dialtone'): this {
    this.collect(this.m.callFailed(reason, this.t));
    return this;
  }
  dtr(on: boolean): this {
    this.collect(this.m.setDtr(on, this.t));
    return this;
  }
  /** DTE output since the last call. */
  take(): string {
    const s = this.dteText;
    this.dteText = '';
    return s;
  }
  takeRequests(): ModemOutput[] {
    const r = this.requests;
    this.requests = [];
    return r;
  }
  /** Send a command line with echo off and return the response. */
  cmd(line: string): string {
    this.take();
    this.type(`${line}\r`);
    return this.take();
  }
  /** Dial and connect; leaves the modem online with the output consumed. */
  online(): this {
    this.cmd('ATE0');
    this.cmd('ATDT5551212');
    this.takeRequests();
    this.connect();
    this.take();
    return this;
  }
}
