/**
 * Per-session limits that the AAA server sets (Session-Timeout, Idle-Timeout, Filter-Id; from
 * an Access-Accept, or changed later by a CoA-Request, RFC 5176 §3.1). Session-Timeout ends the
 * session that many seconds after it is set (pppd's maxconnect: exit status 13, Acct-Terminate-
 * Cause Session-Timeout); Idle-Timeout ends it when no IP packet went either way for that long
 * (pppd's idle: exit 12, Idle-Timeout). 0 removes a limit. The IO shell: one timer per limit.
 */
export interface LimitTarget {
  /** IP packets both ways so far (what pppd's check_idle looks at). */
  ipPackets(): number;
  end(cause: 'Session-Timeout' | 'Idle-Timeout', why: string): void;
}

export interface Limits {
  sessionTimeout?: number;
  idleTimeout?: number;
  filterId?: string;
}

export class SessionLimits {
  readonly current: Limits = {};
  private sessionTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private lastPackets = -1;
  private lastActive = 0;

  constructor(private readonly target: LimitTarget, private readonly now: () => number = Date.now) {}

  set(l: Limits): void {
    if (l.sessionTimeout !== undefined) {
      clearTimeout(this.sessionTimer);
      this.current.sessionTimeout = l.sessionTimeout || undefined;
      if (l.sessionTimeout > 0) {
        const s = l.sessionTimeout;
        this.sessionTimer = setTimeout(() => this.target.end('Session-Timeout', `Session-Timeout of ${s} s reached`), s * 1000);
        this.sessionTimer.unref();
      }
    }
    if (l.idleTimeout !== undefined) {
      clearTimeout(this.idleTimer);
      this.current.idleTimeout = l.idleTimeout || undefined;
      if (l.idleTimeout > 0) {
        this.lastPackets = this.target.ipPackets();
        this.lastActive = this.now();
        this.armIdle(l.idleTimeout);
      }
    }
    if (l.filterId !== undefined) this.current.filterId = l.filterId || undefined;
  }

  /** pppd auth.c check_idle: look again when the link would be idle that long since its last packet. */
  private armIdle(idle: number): void {
    const due = this.lastActive + idle * 1000 - this.now();
    this.idleTimer = setTimeout(() => {
      const p = this.target.ipPackets();
      if (p !== this.lastPackets) {
        this.lastPackets = p;
        this.lastActive = this.now();
        this.armIdle(idle);
        return;
      }
      this.target.end('Idle-Timeout', `Idle-Timeout of ${idle} s reached`);
    }, Math.max(due, 100));
    this.idleTimer.unref();
  }

  clear(): void {
    clearTimeout(this.sessionTimer);
    clearTimeout(this.idleTimer);
  }
}
