/**
 * Runs a sans-IO Session on a real line with real time: the only place where the PPP
 * core meets timers and streams.
 */
import { Session, type SessionEvent } from '../ppp/session.js';
import { EXIT } from '../ppp/exit-codes.js';
import type { Line } from './line.js';

/** Where IP packets go that are not for the link itself (the NAT and TUN issues plug in here). */
export interface NetworkBackend {
  /** A packet from the peer. */
  deliver(packet: Buffer): void;
  /** The backend calls `send` for packets towards the peer. */
  attach(send: (packet: Buffer) => void): void;
  detach(): void;
}

export interface DriveOptions {
  onEvent(ev: SessionEvent): void;
  backend?: NetworkBackend;
  /** Milliseconds; defaults to Date.now. Tests of the driver may pass their own. */
  now?: () => number;
}

export interface Driven {
  /** Resolves with pppd's exit status when the link is dead. */
  done: Promise<number>;
  session: Session;
  /** An administrative close (a signal): Terminate-Request, then dead. */
  close(reason: string, status: number): void;
  /** Writes out what the session has queued (after calling it from outside the driver). */
  flush(): void;
}

export function drive(session: Session, line: Line, opts: DriveOptions): Driven {
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  let resolveDone!: (status: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const flush = () => {
    for (const b of session.takeOutput()) {
      if (!line.stream.destroyed && line.stream.writable) line.stream.write(b);
    }
    for (const ev of session.takeEvents()) {
      opts.onEvent(ev);
      if (ev.type === 'ip') opts.backend?.deliver(ev.packet);
      if (ev.type === 'ip-up') opts.backend?.attach((p) => {
        session.sendIp(p, now());
        flush();
      });
      if (ev.type === 'ip-down') opts.backend?.detach();
      if (ev.type === 'dead') finish(ev.status);
    }
    schedule();
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (finished) return;
    const at = session.nextDeadline();
    if (at === undefined) return;
    timer = setTimeout(() => {
      session.tick(now());
      flush();
    }, Math.max(0, at - now()));
  };

  const finish = (status: number) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    // Let the last Terminate-Ack reach the wire before the line goes.
    line.stream.end(() => {
      line.close();
      resolveDone(status);
    });
    setTimeout(() => {
      line.close();
      resolveDone(status);
    }, 500).unref();
  };

  line.stream.on('data', (chunk: Buffer) => {
    if (finished) return;
    session.input(chunk, now());
    flush();
  });
  const hangup = () => {
    if (finished) return;
    // pppd get_input: end of file on the line is "Modem hangup", status EXIT_HANGUP.
    session.lowerDown(now(), EXIT.HANGUP);
    flush();
  };
  line.stream.on('end', () => {
    if (!finished) opts.onEvent({ type: 'log', level: 'notice', msg: 'Modem hangup' });
    hangup();
  });
  line.stream.on('close', hangup);
  line.stream.on('error', (err) => {
    opts.onEvent({ type: 'log', level: 'error', msg: `${line.name}: ${err.message}` });
    hangup();
  });

  session.start(now());
  flush();
  return {
    done,
    session,
    flush,
    close: (reason, status) => {
      if (finished) return;
      session.close(reason, now(), status);
      flush();
    },
  };
}
