/**
 * wvdialconf's modem scan (WvModemScan), sans-IO: AT commands and line speeds out, the modem's
 * answers and the time in; the result is the speed and init string wvdialconf writes.
 *
 * Stages, each a command sent with everything that worked so far ("ATQ0 V1 E1 S0=0 ..."):
 *   AT (Q0 V1 E1, at 2400 bps, then 9600 and 115200 if there is no OK), ATZ (Z, 3 s),
 *   S0=0, &C1, &D2, +FCLASS=0 (each dropped from the init string if the modem says ERROR),
 *   ATI (the identifier, up to 3 tries), the speed steps (AT at twice the speed until three
 *   tries fail or there is no faster speed; the last that answered is kept), and the init
 *   string again at that speed.
 * Lines are printed as wvdialconf prints them: `ttyS0<*1>: ATQ0 V1 E1 -- OK`.
 */

export type ProbeAction =
  | { type: 'write'; data: Buffer }
  | { type: 'speed'; bps: number }
  | { type: 'log'; text: string }
  | { type: 'done'; result: ProbeResult | undefined };

export interface ProbeResult {
  baud: number;
  init: string;
  identifier: string | undefined;
}

type Stage = 'at' | 'atz' | 's0' | 'carrier' | 'dtr' | 'fclass' | 'ident' | 'baudstep' | 'reinit' | 'done';
const COMMANDS: Partial<Record<Stage, string>> = { at: 'Q0 V1 E1', atz: 'Z', s0: 'S0=0', carrier: '&C1', dtr: '&D2', fclass: '+FCLASS=0' };
const ORDER: Stage[] = ['at', 'atz', 's0', 'carrier', 'dtr', 'fclass', 'ident', 'baudstep', 'reinit', 'done'];
/** Speeds tried when nothing answers at the first (wvdialconf's baudcheck). */
const BAUD_CHECK = [2400, 9600, 115200];
/** The standard speeds the step goes through; 115200 is the top for a modem. */
const SPEEDS = [2400, 4800, 9600, 19200, 38400, 57600, 115200];
const MAX_ANSWER = 1024;

export interface ProbeOptions {
  /** The name in the log prefix (ttyS0). */
  name: string;
  /** Multiplies wvdialconf's answer timeouts (500 ms, 3 s for ATZ); tests on a loaded machine use more. */
  timeoutScale?: number;
}

export class ModemProbe {
  private stage: Stage = 'at';
  private status = new Map<Stage, 'test' | 'worked' | 'fail'>();
  private actions: ProbeAction[] = [];
  private deadline: number | undefined;
  private answer = '';
  private sent = '';
  private tries = 0;
  private baud = BAUD_CHECK[0]!;
  private identifier: string | undefined;
  private waiting = false;
  private finished = false;
  private stepSpeed = 0;
  private readonly scale: number;

  constructor(private readonly o: ProbeOptions) {
    this.scale = o.timeoutScale ?? 1;
  }

  takeActions(): ProbeAction[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }

  nextDeadline(): number | undefined {
    return this.deadline;
  }

  start(now: number): void {
    this.act({ type: 'speed', bps: this.baud });
    this.next(now);
  }

  input(data: Buffer, now: number): void {
    if (!this.waiting) return;
    this.answer = (this.answer + data.toString('latin1')).slice(-MAX_ANSWER);
    // coagulate(): stop reading at OK or ERROR, else when the modem is quiet for the timeout.
    if (this.answer.includes('OK') || this.answer.includes('ERROR')) return this.result(now);
    this.deadline = now + this.timeout();
  }

  tick(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.deadline = undefined;
    if (this.waiting) this.result(now);
  }

  /** The init string from the stages that worked (Z and I only while being tested). */
  initString(): string {
    const parts = ['AT'];
    for (const s of ORDER) {
      const st = this.status.get(s);
      const cmd = COMMANDS[s];
      if ((st !== 'worked' && st !== 'test') || !cmd) continue;
      if (cmd === 'Z' && st !== 'test') continue;
      parts.push(cmd, ' ');
    }
    return parts.join('').trim();
  }

  private timeout(): number {
    return (this.stage === 'atz' ? 3000 : 500) * this.scale;
  }

  private log(text: string): void {
    this.act({ type: 'log', text: `${this.o.name}<*1>: ${text}` });
  }

  private send(cmd: string, label: string, now: number): void {
    this.sent = label;
    this.answer = '';
    this.waiting = true;
    this.act({ type: 'write', data: Buffer.from(`${cmd}\r`, 'latin1') });
    this.deadline = now + this.timeout();
  }

  private next(now: number): void {
    switch (this.stage) {
      case 'at':
      case 'atz':
      case 's0':
      case 'carrier':
      case 'dtr':
      case 'fclass':
      case 'reinit':
        this.status.set(this.stage, 'test');
        return this.send(this.initString(), this.initString(), now);
      case 'ident':
        this.status.set('ident', 'test');
        return this.send('ATI', 'Modem Identifier: ATI', now);
      case 'baudstep': {
        const faster = SPEEDS.find((s) => s > this.baud);
        if (this.tries >= 3 || faster === undefined) {
          // Back to the last speed that answered.
          this.act({ type: 'speed', bps: this.baud });
          this.log(`Max speed is ${this.baud}; that should be safe.`);
          this.stage = 'reinit';
          this.status.set('baudstep', 'worked');
          return this.next(now);
        }
        this.stepSpeed = faster;
        this.act({ type: 'speed', bps: faster });
        return this.send('AT', `Speed ${faster}: AT`, now);
      }
      case 'done':
        return;
    }
  }

  private result(now: number): void {
    this.waiting = false;
    this.deadline = undefined;
    const got = this.answer;
    const lines = got.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
    const echo = lines[0] !== undefined && lines[0].toUpperCase().startsWith('AT') ? 1 : 0;
    const last = lines[lines.length - 1];
    const answered = lines.length > 0;
    const ok = last !== undefined && last.startsWith('OK');
    const stage = this.stage;
    if (stage === 'ident') {
      const ident = lines[echo];
      if (answered && ident !== undefined && !ident.startsWith('OK') && !ident.startsWith('ERROR')) {
        this.identifier = ident;
        this.status.set('ident', 'worked');
        this.log(`Modem Identifier: ATI -- ${ident}`);
      } else if (++this.tries >= 3) {
        this.log('Modem Identifier: ATI -- nothing.');
      } else {
        return this.next(now);
      }
      this.tries = 0;
      this.stage = 'baudstep';
      return this.next(now);
    }
    if (stage === 'baudstep') {
      this.log(`${this.sent} -- ${answered ? last : '(nothing)'}`);
      if (ok) {
        this.baud = this.stepSpeed;
        this.tries = 0;
      } else {
        this.tries++;
      }
      return this.next(now);
    }
    this.log(`${this.sent} -- ${answered ? last : '(nothing)'}`);
    this.status.set(stage, ok ? 'worked' : 'fail');
    if (!answered || ((stage === 'at' || stage === 'reinit') && !ok)) {
      // Nothing at this speed: the next of 2400, 9600, 115200, then give up.
      const old = this.baud;
      this.tries++;
      const nextBaud = BAUD_CHECK[this.tries];
      if (nextBaud === undefined || stage === 'reinit') {
        this.log(`and failed too at ${old}, giving up.`);
        return this.finish(undefined);
      }
      this.baud = nextBaud;
      this.act({ type: 'speed', bps: nextBaud });
      this.log(`failed with ${old} baud, next try: ${nextBaud} baud`);
      return this.next(now);
    }
    if (stage === 'reinit') {
      this.act({ type: 'log', text: `${this.o.name}<Info>: Speed ${this.baud}; init "${this.initString()}"` });
      return this.finish({ baud: this.baud, init: this.initString(), identifier: this.identifier });
    }
    this.tries = 0;
    this.stage = ORDER[ORDER.indexOf(stage) + 1]!;
    this.next(now);
  }

  private finish(result: ProbeResult | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.stage = 'done';
    this.deadline = undefined;
    this.act({ type: 'done', result });
  }

  private act(a: ProbeAction): void {
    this.actions.push(a);
  }
}
