/**
 * What a caller sees after the modem connects, sans-IO: the issue text and login prompt,
 * mgetty's AutoPPP, a text login checked like PAP's `login`, and the HOWTO's shell-account
 * flow where the user types `ppp` (the seeds' `alias ppp="exec /usr/sbin/pppd -detach"`),
 * or `slip` / `cslip` as on the terminal servers and slirp of the SLIP era.
 */
import { AutoPppDetector } from './autoppp.js';
import { isPppd, matchLogin, slipHandler, type LoginEntry } from './config.js';

export type DialogOutput =
  | { type: 'send'; data: Buffer }
  /** Hand the line to pppd with these arguments (the user, when a text login preceded it). */
  | {
      type: 'start-ppp';
      args: string[];
      user?: string;
      via: 'autoppp' | 'login-config' | 'shell' | 'login';
      /** AutoPPP: the caller's bytes from the start of its first LCP frame on, for the PPP session. */
      initial?: Uint8Array;
    }
  /** Switch the line to SLIP (RFC 1055) or CSLIP (RFC 1144) for this logged-in user. */
  | { type: 'start-slip'; mode: 'slip' | 'cslip'; user: string; via: 'shell' | 'login-config' }
  | { type: 'check-password'; user: string; password: string }
  | { type: 'hangup'; reason: string }
  | { type: 'log'; msg: string };

export interface DialogConfig {
  issue: string;
  /** The prompt, `@` replaced by the host name (mgetty's login-prompt). */
  prompt: string;
  login: readonly LoginEntry[];
  /** Seconds until an unfinished login hangs up (mgetty login-time). */
  loginTime: number;
  /** Start PPP right after a successful text login instead of showing a shell prompt. */
  loginPpp: boolean;
  maxAttempts?: number;
}

type DialogStep = 'login' | 'password' | 'checking' | 'shell' | 'done';

const CRLF = '\r\n';

export class LoginDialog {
  private phase: DialogStep = 'login';
  private buf = '';
  private lastCr = false;
  private user = '';
  private attempts = 0;
  private deadline: number | undefined;
  private out: DialogOutput[] = [];
  private readonly autoppp = new AutoPppDetector();

  constructor(private readonly cfg: DialogConfig) {}

  start(now: number): void {
    this.deadline = this.cfg.loginTime > 0 ? now + this.cfg.loginTime * 1000 : undefined;
    this.send(this.cfg.issue + this.cfg.prompt);
  }

  nextDeadline(): number | undefined {
    return this.phase === 'done' || this.phase === 'shell' ? undefined : this.deadline;
  }

  tick(now: number): void {
    if (this.deadline !== undefined && now >= this.deadline && this.phase !== 'done' && this.phase !== 'shell') {
      this.send(`${CRLF}Login timed out after ${this.cfg.loginTime} seconds.${CRLF}`);
      this.finish({ type: 'hangup', reason: 'login time exceeded' });
    }
  }

  takeActions(): DialogOutput[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** The answer to a check-password output. */
  passwordResult(ok: boolean): void {
    if (this.phase !== 'checking') return;
    if (ok) {
      this.out.push({ type: 'log', msg: `login ok: ${this.user}` });
      // A login.config handler for SLIP (`fred - - slip`): the login is its authentication.
      const mode = slipHandler(matchLogin(this.cfg.login, this.user)?.program ?? '');
      if (mode) return this.finish({ type: 'start-slip', mode, user: this.user, via: 'login-config' });
      if (this.cfg.loginPpp) return this.finish({ type: 'start-ppp', args: [], user: this.user, via: 'login' });
      this.phase = 'shell';
      this.send(`${CRLF}$ `);
      return;
    }
    this.out.push({ type: 'log', msg: `login failed: ${this.user}` });
    if (++this.attempts >= (this.cfg.maxAttempts ?? 3)) {
      this.send(`${CRLF}Login incorrect${CRLF}`);
      return this.finish({ type: 'hangup', reason: 'too many login failures' });
    }
    this.phase = 'login';
    this.send(`${CRLF}Login incorrect${CRLF}${this.cfg.prompt}`);
  }

  input(bytes: Uint8Array): void {
    if (this.phase === 'login' && this.autoppp.push(bytes)) {
      const entry = this.cfg.login.find((e) => e.user === '/AutoPPP/');
      if (entry && isPppd(entry.program)) {
        this.out.push({ type: 'log', msg: 'AutoPPP: caller speaks PPP' });
        return this.finish({ type: 'start-ppp', args: entry.args, via: 'autoppp', initial: this.autoppp.frame });
      }
    }
    for (const c of bytes) {
      if (this.phase === 'done' || this.phase === 'checking') return;
      this.key(c & 0x7f);
    }
  }

  private key(c: number): void {
    const echo = this.phase !== 'password';
    // CR LF (a terminal's Enter, or a telnet CR LF) is one line end, not two.
    const afterCr = this.lastCr;
    this.lastCr = c === 0x0d;
    if (c === 0x0a && afterCr) return;
    if (c === 0x0d || c === 0x0a) {
      const text = this.buf;
      this.buf = '';
      if (echo && text) this.send(CRLF);
      return this.line(text);
    }
    if (c === 0x08 || c === 0x7f) {
      if (this.buf) {
        this.buf = this.buf.slice(0, -1);
        if (echo) this.send('\b \b');
      }
      return;
    }
    if (c < 0x20 || this.buf.length >= 64) return; // control characters and overlong names
    this.buf += String.fromCharCode(c);
    if (echo) this.send(String.fromCharCode(c));
  }

  private line(text: string): void {
    switch (this.phase) {
      case 'login': {
        const name = text.trim();
        if (!name) {
          // Enter at an empty login: prompt again, as mgetty does (getlogname() starts over
          // on an empty line): people press Enter to wake a line up and see the prompt.
          return this.send(`${CRLF}${this.cfg.prompt}`);
        }
        this.user = name;
        const entry = matchLogin(this.cfg.login, name);
        // A login.config entry for this very user that runs pppd starts PPP without a
        // password (mgetty: the seeds' `ppp - a_ppp /usr/sbin/pppd auth -chap +pap login`).
        if (entry && entry.user === name && isPppd(entry.program)) {
          return this.finish({ type: 'start-ppp', args: entry.args, user: name, via: 'login-config' });
        }
        this.phase = 'password';
        return this.send('Password: ');
      }
      case 'password':
        this.phase = 'checking';
        this.out.push({ type: 'check-password', user: this.user, password: text });
        return;
      case 'shell':
        return this.shell(text.trim());
    }
  }

  private shell(cmd: string): void {
    const words = cmd.split(/\s+/).filter(Boolean);
    if (words[0] === 'exec') words.shift();
    const [program, ...args] = words;
    if (!program) return this.send('$ ');
    if (program === 'ppp') return this.finish({ type: 'start-ppp', args: ['-detach'], user: this.user, via: 'shell' });
    if (isPppd(program)) return this.finish({ type: 'start-ppp', args, user: this.user, via: 'shell' });
    const mode = slipHandler(program);
    if (mode) return this.finish({ type: 'start-slip', mode, user: this.user, via: 'shell' });
    if (program === 'exit' || program === 'logout') {
      this.send(`logout${CRLF}`);
      return this.finish({ type: 'hangup', reason: 'logout' });
    }
    this.send(`sh: ${program}: command not found${CRLF}$ `);
  }

  private send(s: string): void {
    this.out.push({ type: 'send', data: Buffer.from(s, 'latin1') });
  }

  private finish(o: DialogOutput): void {
    this.phase = 'done';
    this.out.push(o);
  }
}
