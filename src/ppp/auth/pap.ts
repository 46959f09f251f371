/**
 * PAP (RFC 1334 §2), both roles, with pppd's timers and messages (upap.c).
 */
import { emitControl, parseControl } from '../packet.js';
import { lengthPrefixed, type AuthHost } from './host.js';
import { printableText } from '../log.js';
import type { Timer } from '../timers.js';
import { PROTO_PAP } from '../protocols.js';
import { shortOption, type AuthMethod } from './methods.js';
import type { ExternalVerifier } from './external.js';

const AuthReq = 1;
const AuthAck = 2;
const AuthNak = 3;

export interface PapClientConfig {
  user: string;
  password: string;
  /** pap-restart, seconds */
  restart: number;
  /** pap-max-authreq */
  maxAuthReq: number;
}

/** Authenticates us to the peer. */
export class PapClient {
  private id = 0;
  private transmits = 0;
  private state: 'idle' | 'authreq' | 'open' | 'badauth' = 'idle';
  private readonly timer: Timer;

  constructor(private readonly cfg: PapClientConfig, private readonly host: AuthHost) {
    this.timer = host.timers.create(() => this.timeout());
  }

  start(): void {
    this.transmits = 0;
    this.state = 'authreq';
    this.sendRequest();
  }

  stop(): void {
    this.timer.stop();
    this.state = 'idle';
  }

  input(raw: Buffer): void {
    const pkt = parseControl(raw);
    if (!pkt || this.state !== 'authreq') return;
    if (pkt.code !== AuthAck && pkt.code !== AuthNak) return;
    // RFC 1334 §2.2.2: Msg-Length then Message; a short packet is discarded.
    const msgLen = pkt.data.length ? pkt.data[0]! : 0;
    if (pkt.data.length && pkt.data.length - 1 < msgLen) return;
    const msg = pkt.data.subarray(1, 1 + msgLen);
    this.timer.stop();
    if (msg.length) this.host.log('info', `Remote message: ${printableText(msg)}`);
    if (pkt.code === AuthAck) {
      this.state = 'open';
      this.host.done(true);
    } else {
      this.state = 'badauth';
      this.host.log('error', 'PAP authentication failed');
      this.host.done(false);
    }
  }

  private sendRequest(): void {
    const data = Buffer.concat([lengthPrefixed(Buffer.from(this.cfg.user)), lengthPrefixed(Buffer.from(this.cfg.password))]);
    this.id = (this.id + 1) & 0xff;
    this.host.send(emitControl(AuthReq, this.id, data));
    this.transmits++;
    this.timer.start(this.cfg.restart * 1000);
  }

  private timeout(): void {
    if (this.state !== 'authreq') return;
    if (this.transmits >= this.cfg.maxAuthReq) {
      this.host.log('error', 'No response to PAP authenticate-requests');
      this.state = 'badauth';
      this.host.done(false);
      return;
    }
    this.sendRequest();
  }
}

export interface PapServerConfig {
  /** pap-timeout, seconds (0 = wait forever) */
  timeout: number;
  /** Decides a user/password pair. */
  check(user: string, password: Buffer): { ok: boolean; message: string };
  /** An asynchronous judge instead of `check` (RADIUS): the verdict comes later. */
  verify?: ExternalVerifier;
}

/** Authenticates the peer. */
export class PapServer {
  private state: 'idle' | 'listen' | 'verifying' | 'open' | 'badauth' = 'idle';
  private readonly timer: Timer;

  constructor(private readonly cfg: PapServerConfig, private readonly host: AuthHost) {
    this.timer = host.timers.create(() => this.reqTimeout());
  }

  start(): void {
    this.state = 'listen';
    if (this.cfg.timeout > 0) this.timer.start(this.cfg.timeout * 1000);
  }

  stop(): void {
    this.timer.stop();
    this.state = 'idle';
  }

  input(raw: Buffer): void {
    const pkt = parseControl(raw);
    if (!pkt || pkt.code !== AuthReq) return;
    // pppd upap_rauthreq: a repeated request after the verdict gets the same verdict again
    // (our Ack or Nak may have been lost).
    if (this.state === 'open') return this.respond(AuthAck, pkt.id, '');
    if (this.state === 'badauth') return this.respond(AuthNak, pkt.id, '');
    if (this.state !== 'listen') return;
    const d = pkt.data;
    const userLen = d[0];
    if (userLen === undefined || d.length < 1 + userLen + 1) return;
    const user = d.subarray(1, 1 + userLen);
    const pwLen = d[1 + userLen]!;
    if (d.length < 2 + userLen + pwLen) return;
    const password = d.subarray(2 + userLen, 2 + userLen + pwLen);
    const name = printableText(user);
    if (this.cfg.verify) {
      // Asked elsewhere; a retransmitted Authenticate-Request meanwhile is ignored (state).
      this.state = 'verifying';
      const copy = Buffer.from(password);
      password.fill(0);
      this.cfg.verify({ method: 'pap', user: user.toString('latin1'), password: copy }, (v) => {
        copy.fill(0);
        if (this.state !== 'verifying') return;
        this.state = 'listen';
        this.verdict(pkt.id, Buffer.from(user), name, { ok: v.ok, message: v.message?.toString('latin1') ?? (v.ok ? 'Login ok' : 'Login incorrect') });
      });
      return;
    }
    const verdict = this.cfg.check(user.toString('latin1'), Buffer.from(password));
    password.fill(0);
    this.verdict(pkt.id, user, name, verdict);
  }

  private verdict(id: number, user: Buffer, name: string, verdict: { ok: boolean; message: string }): void {
    this.respond(verdict.ok ? AuthAck : AuthNak, id, verdict.message);
    this.timer.stop();
    if (verdict.ok) {
      this.state = 'open';
      this.host.log('notice', `PAP peer authentication succeeded for ${name}`);
      this.host.done(true, user.toString('latin1'));
    } else {
      this.state = 'badauth';
      this.host.log('warn', `PAP peer authentication failed for ${name}`);
      this.host.done(false, user.toString('latin1'));
    }
  }

  private respond(code: number, id: number, message: string): void {
    this.host.send(emitControl(code, id, lengthPrefixed(Buffer.from(message.slice(0, 255)))));
  }

  private reqTimeout(): void {
    if (this.state !== 'listen') return;
    this.state = 'badauth';
    this.host.done(false);
  }
}

/** PAP's options (pppd upap.c). */
export interface PapOptions {
  papRestart: number;
  papMaxAuthReq: number;
  papTimeout: number;
}

export const PAP_DEFAULTS: PapOptions = { papRestart: 3, papMaxAuthReq: 10, papTimeout: 30 };

export const papMethod: AuthMethod = {
  id: 'pap',
  protocol: PROTO_PAP,
  option: shortOption(PROTO_PAP),
  logName: 'PAP',
  secrets: 'pap',
  required: (o) => o.requirePap,
  refused: (o) => o.refusePap,
  server: (s) =>
    new PapServer(
      {
        timeout: s.options.papTimeout,
        verify: s.options.verifyCredentials,
        check: (user, password) => {
          const ok = s.checkPap(user, password) !== undefined;
          // pppd check_passwd's messages.
          return { ok, message: ok ? 'Login ok' : 'Login incorrect' };
        },
      },
      s.host,
    ),
  client: (s) => {
    const password = s.selfSecret('pap', s.options.remoteName);
    if (password === undefined) s.host.log('warn', `no PAP secret found for ${s.userName}`);
    return new PapClient(
      { user: s.userName, password: password ?? '', restart: s.options.papRestart, maxAuthReq: s.options.papMaxAuthReq },
      s.host,
    );
  },
};
