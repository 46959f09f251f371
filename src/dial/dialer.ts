/**
 * wvdial's dialer, sans-IO: bytes from the modem and the time go in; bytes to the modem,
 * wvdial's progress lines, and requests (open/close the line, start pppd, exit) come out.
 * The IO shell (src/dial/run.ts) opens lines, runs pppd and keeps the one timer.
 *
 * The flow and the messages are wvdial 1.61's (WvDialer in wvdialer.cc), checked against
 * Debian's wvdial dialling `dialtone modem`:
 *
 *   open → "\r\r\r\r\r", drain → Init1..Init9 (each waits 5 s for OK; no answer: ATQ0 and
 *   one re-send; ERROR: "Bad init string.", up to 3 tries with the line reopened) →
 *   "Modem initialized." → ATDT… → CONNECT: stupid mode starts pppd at once; otherwise wait
 *   for text (prodding with CR each second for 30 s) and answer prompts (prompts.ts) until
 *   PPP is seen, a welcome message follows the password, or 5 answers / 10 s of silence
 *   ("Don't know what to do!  Starting pppd and hoping for the best.").
 *   BUSY, NO CARRIER, NO ANSWER, NO DIALTONE, VOICE, FCLASS and the dial timeout redial after
 *   a pause and three CRs; `Dial Attempts` bounds them (BUSY excepted, as in wvdial);
 *   `Abort on Busy` / `Abort on No Dialtone` end with an error instead.
 *   pppd's exit is reported with wvdial's words; `Auto Reconnect` redials after 5 s,
 *   doubling up to 600 s (reset when the call lasted 45 s or more).
 *
 * Exit codes (wvdial's main()): 0 when the dialer ends idle (the link ended without Auto
 * Reconnect, or `Dial Attempts` were used up), 1 on errors (configuration, modem, aborted
 * dial) and when stopped by a signal while not idle.
 */
import type { DialOptions } from './config.js';
import { ctime } from './ctime.js';
import { hasPppMarker, isAnyPrompt, isCompuservePrompt, isLoginPrompt, isPasswordPrompt, isWelcome } from './prompts.js';

export type DialAction =
  /** Open the modem line (again: wvdial reopens it for every init). */
  | { type: 'open' }
  /** Close the line (DTR drop / disconnect). */
  | { type: 'hangup' }
  | { type: 'write'; data: Buffer }
  /** A wvdial progress line: printed as `--> TEXT`. */
  | { type: 'log'; text: string }
  /** A line of the modem's own output, printed as is (wvdial's "WvDial Modem" log). */
  | { type: 'modem'; text: string }
  /** Start pppd on the line (the shell answers with pppdStarted / pppdExited). */
  | { type: 'start-pppd' }
  | { type: 'exit'; code: number };

type State =
  | 'idle'
  | 'opening'
  | 'drain'
  | 'init-wait'
  | 'init-q0'
  | 'init-resend'
  | 'dial-wait'
  | 'predial-pause'
  | 'predial-cr'
  | 'wait-anything'
  | 'wait-prompt'
  | 'online'
  | 'reconnect-delay'
  | 'done';

const INIT_RESPONSES = ['ok', 'error'];
const DIAL_RESPONSES = ['connect', 'no carrier', 'no dialtone', 'no dial tone', 'busy', 'error', 'voice', 'fclass', 'no answer'];
/** wvdial's INBUF_SIZE: the receive buffer keeps its second half when full. */
const INBUF_SIZE = 1024;
/** Bytes of unterminated modem output held for the echo before it is printed anyway. */
const MAX_ECHO_PARTIAL = 512;

export interface DialerOptions {
  /** Formats the times wvdial prints with ctime(3). */
  formatTime?: (ms: number) => string;
  version?: string;
}

export interface PppdExit {
  /** pppd's exit status (null when killed by a signal). */
  status: number | null;
  signal?: string | null;
  /** pppd's log showed our authentication fail (wvdial's pppd monitor). */
  authFailed?: boolean;
}

export class Dialer {
  private state: State = 'idle';
  private actions: DialAction[] = [];
  private deadline: number | undefined;
  private buf = '';
  private echoPartial = '';
  private lastRx = 0;
  private initIndex = 0;
  private initTries = 0;
  private crLeft = 0;
  private phoneIndex = 0;
  private attempts = 1;
  private beenOnline = false;
  private connectedAt = 0;
  private reconnectDelay = 0;
  private promptTries = 0;
  private sentLogin = false;
  private compuserveSeen = 0;
  private promptGuess = '';
  private exitCode: number | undefined;
  private readonly fmt: (ms: number) => string;

  constructor(
    readonly opts: DialOptions,
    private readonly o: DialerOptions = {},
  ) {
    this.fmt = o.formatTime ?? ctime;
  }

  get phase(): State {
    return this.state;
  }

  /** The exit code once the dialer is done. */
  get code(): number | undefined {
    return this.exitCode;
  }

  takeActions(): DialAction[] {
    const a = this.actions;
    this.actions = [];
    return a;
  }

  nextDeadline(): number | undefined {
    return this.deadline;
  }

  // ---- inputs ---------------------------------------------------------------------------

  start(now: number, warnings: string[] = []): void {
    this.log(`WvDial: Internet dialer version ${this.o.version ?? '1.61'}`);
    for (const w of warnings) this.log(w);
    if (this.opts.autoReconnect && this.opts.idleSeconds > 0) {
      this.log(`Idle Seconds = ${this.opts.idleSeconds}, disabling automatic reconnect.`);
      this.opts.autoReconnect = false;
    }
    this.lastRx = now;
    this.initTries = 0;
    this.beginOpen();
  }

  opened(now: number): void {
    if (this.state !== 'opening') return;
    this.log('Initializing modem.');
    this.write('\r\r\r\r\r');
    this.state = 'drain';
    this.deadline = now + 100;
  }

  openFailed(message: string, now: number): void {
    if (this.state !== 'opening') return;
    this.log(`Cannot open ${this.opts.modem}: ${message}`);
    this.nextInitTry(now);
  }

  input(data: Buffer, now: number): void {
    if (this.state === 'online' || this.state === 'done' || this.state === 'idle') return;
    this.lastRx = now;
    let text = '';
    // Parity stripped (7E1 lines), NULs as blanks: wvdial's wait_for_modem.
    for (const b of data) text += String.fromCharCode(b & 0x7f || 0x20);
    const verbose = this.state !== 'drain';
    if (verbose) this.echo(text);
    this.buf += text.toLowerCase();
    if (this.buf.length >= INBUF_SIZE) this.buf = this.buf.slice(this.buf.length - INBUF_SIZE / 2);
    switch (this.state) {
      case 'drain':
        this.buf = '';
        this.deadline = now + 100;
        return;
      case 'init-wait':
      case 'init-q0':
      case 'init-resend':
        return this.checkInit(now);
      case 'dial-wait':
        return this.checkDial(now);
      case 'wait-anything':
        this.state = 'wait-prompt';
        return this.waitPrompt(now, true);
      case 'wait-prompt':
        return this.waitPrompt(now, true);
      default:
        return;
    }
  }

  /** The line closed under us (not while pppd owns it). */
  lineClosed(now: number): void {
    if (this.state === 'online' || this.state === 'done' || this.state === 'idle' || this.state === 'reconnect-delay') return;
    this.err(`Cannot read from ${this.opts.modem}: the line closed`);
    this.finish(1, now);
  }

  pppdStarted(pid: number): void {
    this.log(`Pid of pppd: ${pid}`);
  }

  /** pppd could not be started at all. */
  pppdFailed(now: number): void {
    this.err(`Unable to run ${this.opts.pppdPath || 'dialtone pppd'}.`);
    this.err('Check permissions, or specify a "PPPD Path" option in wvdial.conf.');
    this.finish(1, now);
  }

  pppdExited(exit: PppdExit, now: number): void {
    if (this.state !== 'online') return;
    if (exit.status === null) this.err(`PPP was killed! (signal = ${exit.signal ?? '?'})`);
    this.hangupLine(now);
    const duration = now - this.connectedAt;
    const st = exit.status ?? -1;
    if (exit.authFailed) {
      this.log('Authentication error.');
      this.log('We failed to authenticate ourselves to the peer.');
      this.log('Maybe bad account or password?');
    } else {
      const fatal = FATAL_EXITS[st];
      if (fatal) {
        // "exit code = N" is parsed by front ends (kinternet); keep it as is.
        this.log(`The PPP daemon has died: ${fatal} (exit code = ${st})`);
        this.log('man pppd explains pppd error codes in more detail.');
        this.err('I guess that\'s it for now, exiting');
        if (st === 12 && this.opts.autoReconnect) {
          this.err('Idle parameter is passed to pppd');
          this.err('If you don\'t want an idle timeout per default,');
          this.err('comment out the idle parameter in /etc/ppp/options');
        }
        if (st === 15) this.log('Provider is overloaded(often the case) or line problem.');
        this.opts.autoReconnect = false;
      }
      const other = OTHER_EXITS[st];
      if (other) {
        this.log(`The PPP daemon has died: ${other} (exit code = ${st})`);
        this.log('man pppd explains pppd error codes in more detail.');
        this.log('Try again and look into /var/log/messages and the wvdial and pppd man pages for more information.');
      } else {
        this.log(`The PPP daemon has died. (exit code = ${st})`);
      }
    }
    if (this.opts.autoReconnect) {
      if (duration >= 45_000) this.reconnectDelay = 0;
      this.reconnectDelay = Math.min(this.reconnectDelay * 2 || 5, 600);
      this.log(`Auto Reconnect will be attempted in ${this.reconnectDelay} seconds`);
      this.state = 'reconnect-delay';
      this.deadline = now + this.reconnectDelay * 1000;
    } else {
      this.finish(0, now);
    }
  }

  /** SIGINT/SIGTERM/SIGHUP: hang up and exit (1 unless idle, as wvdial's main()). */
  stop(now: number): void {
    if (this.state === 'done') return;
    const code = this.state === 'idle' ? 0 : 1;
    this.finish(code, now);
  }

  tick(now: number): void {
    if (this.deadline === undefined || now < this.deadline) return;
    this.deadline = undefined;
    switch (this.state) {
      case 'drain':
        this.buf = '';
        this.initIndex = 0;
        return this.sendNextInit(now);
      case 'init-wait':
        // No answer in 5 s: quiet mode may be on; ATQ0, then send the string again.
        this.write('ATQ0\r');
        this.log('Sending: ATQ0');
        this.state = 'init-q0';
        this.deadline = now + 500;
        return;
      case 'init-q0':
        return this.resendInit(now);
      case 'init-resend':
        this.err('Modem not responding.');
        return this.finish(1, now);
      case 'dial-wait':
        if (now - Math.max(this.lastRx, this.dialSentAt) >= this.opts.dialTimeout * 1000) {
          this.log('Timed out while dialing.  Trying again.');
          return this.redial(now, 0, true);
        }
        this.deadline = Math.max(this.lastRx, this.dialSentAt) + this.opts.dialTimeout * 1000;
        return;
      case 'predial-pause':
        this.crLeft = 3;
        this.state = 'predial-cr';
        return this.crStep(now);
      case 'predial-cr':
        return this.crStep(now);
      case 'wait-anything':
        if (now - this.lastRx >= 30_000) {
          this.state = 'wait-prompt';
          return this.waitPrompt(now, false);
        }
        this.write('\r');
        this.deadline = now + 1000;
        return;
      case 'wait-prompt':
        return this.waitPrompt(now, false);
      case 'reconnect-delay':
        return this.redialAfterOnline();
      default:
        return;
    }
  }

  // ---- init -----------------------------------------------------------------------------

  private beginOpen(): void {
    this.state = 'opening';
    this.deadline = undefined;
    this.buf = '';
    this.act({ type: 'open' });
  }

  private nextInitTry(now: number): void {
    this.act({ type: 'hangup' });
    if (++this.initTries >= 3) return this.finish(1, now);
    this.beginOpen();
  }

  private sendNextInit(now: number): void {
    while (this.initIndex < 9 && !this.opts.init[this.initIndex]) this.initIndex++;
    if (this.initIndex >= 9) {
      this.log('Modem initialized.');
      return this.afterInit(now);
    }
    const s = this.opts.init[this.initIndex]!;
    this.write(`${s}\r`);
    this.log(`Sending: ${s}`);
    this.state = 'init-wait';
    this.deadline = now + 5000;
  }

  private resendInit(now: number): void {
    const s = this.opts.init[this.initIndex]!;
    this.write(`${s}\r`);
    this.log(`Re-Sending: ${s}`);
    this.state = 'init-resend';
    this.deadline = now + 5000;
  }

  private checkInit(now: number): void {
    const r = this.match(INIT_RESPONSES, true);
    if (r < 0) return;
    if (this.state === 'init-q0') return; // the answer to ATQ0 itself: wait for its time to end
    if (r === 1) {
      this.err('Bad init string.');
      if (this.state === 'init-resend') return this.finish(1, now);
      return this.nextInitTry(now);
    }
    this.initIndex++;
    this.sendNextInit(now);
  }

  /** After "Modem initialized.": first run checks the account and dials; a redial just dials. */
  private afterInit(now: number): void {
    if (this.beenOnline) {
      this.attempts = 1;
      this.resetBrain();
      return this.dial(now);
    }
    if (this.opts.provider) this.log(`Dialing ${this.opts.provider} ${this.opts.product}.`);
    if (this.opts.homepage) this.log(`Homepage of ${this.opts.provider || 'this provider'}: ${this.opts.homepage}`);
    let bad = false;
    if (!this.opts.phones[0]) {
      this.err('Configuration does not specify a valid phone number.');
      bad = true;
    }
    if (!this.opts.username) {
      this.err('Configuration does not specify a valid login name.');
      bad = true;
    }
    if (!this.opts.password) {
      this.err('Configuration does not specify a valid password.');
      bad = true;
    }
    if (bad) return this.finish(1, now);
    this.attempts = 1;
    this.resetBrain();
    this.dial(now);
  }

  // ---- dialling -------------------------------------------------------------------------

  private dialSentAt = 0;

  private dial(now: number): void {
    const o = this.opts;
    const phone = o.phones[this.phoneIndex] ?? o.phones[0]!;
    const s = `${o.dialCommand}${o.dialPrefix}${o.dialPrefix ? ',' : ''}${o.areaCode}${phone}`;
    this.write(`${s}\r`);
    this.log(`Sending: ${s}`);
    this.log('Waiting for carrier.');
    this.state = 'dial-wait';
    this.dialSentAt = now;
    this.deadline = now + o.dialTimeout * 1000;
  }

  private checkDial(now: number): void {
    const r = this.match(DIAL_RESPONSES, true);
    if (r < 0) return;
    const o = this.opts;
    switch (DIAL_RESPONSES[r]) {
      case 'connect':
        if (o.stupidMode || o.tonline) {
          this.log('Carrier detected.  Starting PPP immediately.');
          return this.startPpp(now);
        }
        this.log('Carrier detected.  Waiting for prompt.');
        this.state = 'wait-anything';
        this.lastRx = now;
        // wvdial gives the server a moment before the first CR.
        this.deadline = now + 1000;
        return;
      case 'no carrier':
        this.log('No Carrier!  Trying again.');
        return this.redial(now, 2000, true);
      case 'no dialtone':
      case 'no dial tone':
        if (o.abortOnNoDialtone) {
          this.err('No dial tone.');
          return this.finish(1, now);
        }
        this.log('No dial tone.  Trying again in 5 seconds.');
        return this.redial(now, 3000, true);
      case 'busy':
        if (o.abortOnBusy) {
          this.err('The line is busy.');
          return this.finish(1, now);
        }
        // Next number (Phone1..Phone4), back to Phone after the last.
        this.phoneIndex = this.phoneIndex + 1 >= o.phones.length ? 0 : this.phoneIndex + 1;
        this.log(this.phoneIndex === 0 ? 'The line is busy. Trying again.' : 'The line is busy. Trying other number.');
        // wvdial does not count BUSY against Dial Attempts.
        return this.redial(now, 2000, false);
      case 'error':
        this.err('Invalid dial command.');
        return this.finish(1, now);
      case 'voice':
        this.log('Voice line detected.  Trying again.');
        return this.redial(now, 3000, true);
      case 'fclass':
        this.log('Fax line detected.  Trying again.');
        return this.redial(now, 3000, true);
      case 'no answer':
        this.log('No Answer.  Trying again.');
        return this.redial(now, 2000, true);
    }
  }

  /** PreDial1: hit Enter three times, 500 ms apart, then dial. */
  private crStep(now: number): void {
    if (this.crLeft-- > 0) {
      this.write('\r');
      this.deadline = now + 500;
      return;
    }
    this.dial(now);
  }

  /** Pause, three CRs 500 ms apart, dial again; counts the attempt against Dial Attempts. */
  private redial(now: number, pauseMs: number, counted: boolean): void {
    this.attempts++;
    if (counted && this.opts.dialAttempts !== 0 && this.attempts > this.opts.dialAttempts) {
      this.log('Maximum Attempts Exceeded..Aborting!!');
      return this.finish(0, now);
    }
    this.state = 'predial-pause';
    this.deadline = now + pauseMs;
  }

  // ---- after CONNECT --------------------------------------------------------------------

  private resetBrain(): void {
    this.sentLogin = false;
    this.promptTries = 0;
    this.promptGuess = '';
  }

  private waitPrompt(now: number, gotData: boolean): void {
    if (hasPppMarker(this.buf)) {
      this.log('PPP negotiation detected.');
      return this.startPpp(now);
    }
    // Answer once the server has been quiet a moment (wvdial reads until 100 ms of silence);
    // without data, look again every second for the give-up rules.
    if (gotData) {
      this.deadline = now + 100;
      return;
    }
    const reply = this.checkPrompt(now);
    if (this.state !== 'wait-prompt') return;
    if (reply !== undefined) this.write(`${reply}\r`);
    this.deadline = now + 1000;
  }

  private resetBuffer(): void {
    this.buf = '';
  }

  /** wvdial's WvDialBrain::check_prompt: what to send, or undefined. */
  private checkPrompt(now: number): string | undefined {
    const o = this.opts;
    const b = this.buf;
    if (this.promptTries >= 5 || now - this.lastRx >= 10_000) {
      this.log('Don\'t know what to do!  Starting pppd and hoping for the best.');
      this.startPpp(now);
      return undefined;
    }
    if (o.compuserve && isCompuservePrompt(b)) {
      this.log('Looks like a Compuserve host name prompt.');
      this.log('Sending: CIS');
      this.compuserveSeen += 2;
      this.resetBuffer();
      this.promptTries++;
      return 'CIS';
    }
    if (o.compuserve && !this.compuserveSeen && isLoginPrompt(b, o.loginPrompt)) {
      this.log('Looks like a Compuserve New login prompt.');
      this.log('Sending: cisv1');
      this.resetBuffer();
      this.promptTries++;
      this.compuserveSeen++;
      return 'cisv1';
    }
    if (isLoginPrompt(b, o.loginPrompt)) {
      let login = o.username;
      if (o.compuserve && !login.includes('/noint')) login += '/noint/go:pppconnect';
      this.log('Looks like a login prompt.');
      this.log(`Sending: ${login}`);
      this.resetBuffer();
      this.promptTries++;
      return login;
    }
    if (isPasswordPrompt(b, o.passwordPrompt)) {
      let pw = o.password;
      if (o.compuserve && this.compuserveSeen === 1) {
        pw = 'classic';
        this.log('Looks like a Compuserve classic password prompt.');
        this.log('Sending: classic');
        this.compuserveSeen++;
      } else {
        // The password itself is never printed.
        this.log('Looks like a password prompt.');
        this.log('Sending: (password)');
      }
      this.resetBuffer();
      this.promptTries++;
      this.sentLogin = true;
      return pw;
    }
    if (this.sentLogin && isWelcome(b)) {
      this.log('Looks like a welcome message.');
      this.startPpp(now);
      return undefined;
    }
    if (isAnyPrompt(b, this.promptGuess !== '')) {
      const reply = this.promptGuess || o.defaultReply;
      this.promptGuess = '';
      this.log(`Hmm... a prompt.  Sending "${reply}".`);
      this.resetBuffer();
      this.promptTries++;
      return reply;
    }
    return undefined;
  }

  private startPpp(now: number): void {
    const o = this.opts;
    if (o.dialMessage1 || o.dialMessage2) {
      const bar = '='.repeat(74);
      this.log(bar);
      this.log(`> ${o.dialMessage1}`);
      if (o.dialMessage2) this.log(`> ${o.dialMessage2}`);
      this.log(bar);
    }
    this.log(`Starting pppd at ${this.fmt(now)}`);
    this.state = 'online';
    this.deadline = undefined;
    this.beenOnline = true;
    this.connectedAt = now;
    this.buf = '';
    this.act({ type: 'start-pppd' });
  }

  /** wvdial's dial() after being online: reopen the line and initialise the modem again. */
  private redialAfterOnline(): void {
    this.initTries = 0;
    this.phoneIndex = 0;
    this.beginOpen();
  }

  // ---- helpers --------------------------------------------------------------------------

  /** wvdial's wait_for_modem search: the first string of `strs` in the buffer (with a line end after it). */
  private match(strs: readonly string[], needNewline: boolean): number {
    for (let i = 0; i < strs.length; i++) {
      const at = this.buf.indexOf(strs[i]!);
      if (at < 0) continue;
      const rest = this.buf.slice(at + strs[i]!.length);
      if (needNewline && !/[\r\n]/.test(rest)) continue;
      this.buf = rest;
      return i;
    }
    return -1;
  }

  private hangupLine(now: number): void {
    if (this.state === 'idle' || this.state === 'done') return;
    this.log(`Disconnecting at ${this.fmt(now)}`);
    this.act({ type: 'hangup' });
    this.state = 'idle';
    this.deadline = undefined;
  }

  private finish(code: number, now: number): void {
    this.flushEcho();
    this.hangupLine(now);
    this.state = 'done';
    this.deadline = undefined;
    this.exitCode = code;
    this.act({ type: 'exit', code });
  }

  private write(s: string): void {
    this.act({ type: 'write', data: Buffer.from(s, 'latin1') });
  }

  private log(text: string): void {
    this.flushEcho();
    this.act({ type: 'log', text });
  }

  /** wvdial logs errors through the same "-->" log. */
  private err(text: string): void {
    this.log(text);
  }

  private act(a: DialAction): void {
    this.actions.push(a);
  }

  /** The modem's output, line by line, non-printing characters as [xx] (WvLog's way). */
  private echo(text: string): void {
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        if (this.echoPartial) this.act({ type: 'modem', text: this.echoPartial });
        this.echoPartial = '';
        continue;
      }
      const c = ch.charCodeAt(0);
      this.echoPartial += c < 0x20 || c === 0x7f ? `[${c.toString(16).padStart(2, '0')}]` : ch;
      if (this.echoPartial.length >= MAX_ECHO_PARTIAL) this.flushEcho();
    }
  }

  private flushEcho(): void {
    if (this.echoPartial) this.act({ type: 'modem', text: this.echoPartial });
    this.echoPartial = '';
  }
}

/** pppd exit statuses after which wvdial gives up (no Auto Reconnect). */
const FATAL_EXITS: Readonly<Record<number, string>> = {
  2: 'pppd options error',
  3: 'No root priv error',
  4: 'No ppp module error',
  10: 'PPP negotiation failed',
  11: 'Peer didn\'t authenticatie itself', // sic: wvdial's spelling, which front ends match
  12: 'Link idle: Idle Seconds reached.',
  13: 'Connect time limit reached.',
  14: 'Callback negotiated, call should come back.',
  15: 'Lack of LCP echo responses',
  17: 'Loopback detected',
  19: 'Authentication error.\nWe failed to authenticate ourselves to the peer.\nMaybe bad account or password?',
};

/** pppd exit statuses that wvdial reports and then redials after (with Auto Reconnect). */
const OTHER_EXITS: Readonly<Record<number, string>> = {
  1: 'Fatal pppd error',
  5: 'pppd received a signal',
  6: 'Serial port lock failed',
  7: 'Serial port open failed',
  8: 'Connect script failed',
  9: 'Pty program error',
  16: 'A modem hung up the phone',
  18: 'The init script failed',
};
