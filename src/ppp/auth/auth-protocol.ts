/**
 * The table entry for one authentication protocol number (PAP, CHAP or EAP). As in
 * pppd's upap.c/chap-new.c/eap.c, one entry serves both directions: the session starts
 * a server role (we authenticate the peer) and/or a client role (we authenticate to the
 * peer) for the method LCP agreed on, and packets go to whichever role they are for.
 */
import { AUTH_PHASES, type Protent, type SessionContext } from '../protent.js';
import type { AuthHost } from './host.js';
import type { Timers } from '../timers.js';
import type { LogLevel } from '../log.js';
import type { AuthMethod, AuthRole, AuthServices } from './methods.js';

type Role = 'peer' | 'self';

interface Running {
  method: AuthMethod;
  role: AuthRole;
  done: boolean;
}

export class AuthProtocol implements Protent {
  readonly phases = AUTH_PHASES;
  readonly kind = 'auth';
  readonly enabled = true;
  private readonly running: Partial<Record<Role, Running>> = {};

  constructor(
    readonly name: string,
    readonly protocol: number,
    private readonly ctx: SessionContext,
  ) {}

  /** Starts one direction with `method` (called by the session after LCP agreed on it). */
  start(which: Role, method: AuthMethod, services: (host: AuthHost) => AuthServices): void {
    this.running[which]?.role.stop();
    const s = services(new AuthProtocol.HostOf(this, which, method));
    const role = which === 'peer' ? method.server(s) : method.client(s);
    this.running[which] = { method, role, done: false };
    role.start();
  }

  /**
   * What a running role sees of its entry: prototype methods, not four closures per session
   * (as Session's LcpHostOf). Declared inside the class for its privates.
   */
  private static readonly HostOf = class implements AuthHost {
    constructor(
      private readonly p: AuthProtocol,
      private readonly which: Role,
      private readonly method: AuthMethod,
    ) {}
    get timers(): Timers {
      return this.p.ctx.timers;
    }
    send(packet: Buffer): void {
      this.p.ctx.send(this.p.protocol, packet);
    }
    log(level: LogLevel, msg: string): void {
      this.p.ctx.log(level, msg);
    }
    randomBytes(n: number): Buffer {
      return this.p.ctx.random(n);
    }
    done(ok: boolean, peerName?: string): void {
      const r = this.p.running[this.which];
      if (r) r.done = true;
      this.p.ctx.authResult(this.which, this.method, ok, peerName);
    }
  };

  /** MPPE keys of the direction that produced them. */
  keys(which: Role) {
    return this.running[which]?.role.keys;
  }

  input(info: Buffer): void {
    // Either direction may use the protocol; each role ignores packets that are not its.
    for (const which of ['peer', 'self'] as const) this.running[which]?.role.input(info);
  }

  /** The link went down: every exchange stops and its timers are released. */
  lowerDown(): void {
    for (const which of ['peer', 'self'] as const) {
      this.running[which]?.role.stop();
      delete this.running[which];
    }
  }

  protocolRejected(): void {
    // pppd upap_protrej / chap_protrej: an exchange still under way fails.
    const self = this.running.self;
    const peer = this.running.peer;
    if (self && !self.done) {
      this.ctx.log('error', `${self.method.logName} authentication failed due to protocol-reject`);
      self.done = true;
      this.ctx.authResult('self', self.method, false);
    } else if (peer && !peer.done) {
      this.ctx.log('error', `${peer.method.logName} authentication of peer failed (protocol-reject)`);
      peer.done = true;
      this.ctx.authResult('peer', peer.method, false);
    }
  }
}
