/**
 * Runs a sans-IO Session on a real line with real time: the only place where the PPP
 * core meets timers and streams.
 */
import { Session, type SessionEvent } from '../ppp/session.js';
import { EXIT } from '../ppp/exit-codes.js';
import type { Line } from '../lines/line.js';
import { DeadlineTimer } from './deadline-timer.js';
import { joinAdjacent } from '../wire/join-adjacent.js';
import { turnClock } from './turn-clock.js';

/** The link's addresses at ip-up (IPv4 as numbers; 0 = none), for backends that need them. */
export interface IpUpInfo {
  local: number;
  remote: number;
  dns: [number, number];
  /**
   * `send` takes TCP super-segments (src/wire/gso.ts): the session cuts them into the
   * link's segments (in the framer where it can), so the backend's stack may offload.
   */
  gso?: boolean;
}

/** Where IP packets go that are not for the link itself (the NAT and TUN issues plug in here). */
export interface NetworkBackend {
  /** A packet from the peer. */
  deliver(packet: Buffer): void;
  /** The backend calls `send` for packets towards the peer; `info` is what IPCP negotiated. */
  attach(send: (packet: Buffer) => void, info?: IpUpInfo): void;
  detach(): void;
  /**
   * IPV6CP is up (optional: a backend without it gets no IPv6). `send` takes IPv6 packets
   * for the peer; `deliver` then also receives the peer's IPv6 packets.
   */
  ipv6Up?(send: (packet: Buffer) => void, info: Ipv6UpInfo): void;
  ipv6Down?(): void;
}

/** The interface identifiers (8 octets each) IPV6CP negotiated. */
export interface Ipv6UpInfo {
  local: Buffer;
  remote: Buffer;
}

export interface DriveOptions {
  onEvent(ev: SessionEvent): void;
  backend?: NetworkBackend;
  /** Milliseconds; defaults to Date.now, read once per event-loop turn (turn-clock.ts). Tests of the driver may pass their own. */
  now?: () => number;
  /** Bytes that arrived before the driver took the line (pppd's connect-delay wait), fed after start. */
  initialInput?: Buffer[];
  /** Called after every round of output and events (e.g. to watch the session's counters). */
  onFlush?(): void;
  /**
   * Leave the line open when the link is dead (pppd runs the disconnect script on it and
   * closes it itself): the driver lets queued output drain, then lets go of the stream.
   */
  keepLineOpen?: boolean;
  /** Every byte read from and written to the line, as it goes (pppd's `record`). */
  onLineBytes?(dir: 'in' | 'out', bytes: Buffer): void;
}

export interface Driven {
  /** Resolves with pppd's exit status when the link is dead. */
  done: Promise<number>;
  session: Session;
  /** An administrative close (a signal): Terminate-Request, then dead. */
  close(reason: string, status: number): void;
  /** Writes out what the session has queued (after calling it from outside the driver). */
  flush(): void;
  /**
   * A packet from a network backend for the peer (IPv4, or IPv6 with `v6`), written with the
   * rest of this event-loop turn's; dropped (false) when the line already holds
   * MAX_LINE_BACKLOG unwritten. For a caller that attaches its backend itself (pppd's daemon).
   */
  sendIp(packet: Buffer, v6?: boolean): boolean;
  /** IP packets from the backend dropped because the line had MAX_LINE_BACKLOG unwritten. */
  readonly droppedForBacklog: number;
}

/**
 * The most a line may hold unwritten before IP packets from the network backend are
 * dropped (as a router drops on a full queue; TCP recovers, UDP is best effort). A fast
 * UDP sender on a slow (33.6k) line must not grow memory; control frames always go out.
 */
export const MAX_LINE_BACKLOG = 128 * 1024;

export function drive(session: Session, line: Line, opts: DriveOptions): Driven {
  const now = opts.now ?? turnClock();
  const timer = new DeadlineTimer(() => {
    session.tick(now());
    flush();
  }, now);
  let finished = false;
  let droppedForBacklog = 0;
  let resolveDone!: (status: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  /**
   * The backend's packets of one event-loop turn (the segments one host read or one
   * batch of ACKs lets out) go to the line together: one flush, in a microtask, and one
   * corked write (a single writev) instead of a write call per frame.
   */
  let flushQueued = false;
  /** Octets of packets handed to the session since the last flush (counted as backlog). */
  let queuedBytes = 0;
  const flushSoon = () => {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(() => {
      flushQueued = false;
      flush();
    });
  };
  const sendIp = (p: Buffer, v6 = false): boolean => {
    if (line.stream.writableLength + queuedBytes > MAX_LINE_BACKLOG) {
      droppedForBacklog++;
      return false;
    }
    queuedBytes += p.length;
    const sent = v6 ? session.sendIpv6(p, now()) : session.sendIp(p, now());
    flushSoon();
    return sent;
  };

  const flush = () => {
    queuedBytes = 0;
    // Frames built one after another lie back to back in the encoder's slab: on a byte
    // stream each run goes as one write (see joinAdjacent), not one chunk per frame.
    const out = session.link.byteStream ? joinAdjacent(session.takeOutput()) : session.takeOutput();
    const s = line.stream;
    const cork = out.length > 1 && !s.destroyed && s.writable;
    if (cork) s.cork();
    for (const b of out) {
      if (!s.destroyed && s.writable) {
        opts.onLineBytes?.('out', b);
        s.write(b);
      }
    }
    if (cork) s.uncork();
    for (const ev of session.takeEvents()) {
      opts.onEvent(ev);
      if (ev.type === 'ip') opts.backend?.deliver(ev.packet);
      if (ev.type === 'ip-up') opts.backend?.attach((p) => sendIp(p), { local: ev.local, remote: ev.remote, dns: ev.dns, gso: true });
      if (ev.type === 'ip-down') opts.backend?.detach();
      if (ev.type === 'ipv6' && opts.backend?.ipv6Up) opts.backend.deliver(ev.packet);
      if (ev.type === 'ipv6-up') opts.backend?.ipv6Up?.((p) => sendIp(p, true), { local: ev.local, remote: ev.remote });
      if (ev.type === 'ipv6-down') opts.backend?.ipv6Down?.();
      if (ev.type === 'dead') finish(ev.status);
    }
    opts.onFlush?.();
    schedule();
  };

  const schedule = () => {
    if (finished) timer.stop();
    else timer.arm(session.nextDeadline());
  };

  const finish = (status: number) => {
    if (finished) return;
    finished = true;
    timer.stop();
    if (opts.keepLineOpen) {
      const release = () => {
        line.stream.off('data', onData);
        line.stream.off('end', onEnd);
        line.stream.off('close', hangup);
        line.stream.off('error', onError);
        resolveDone(status);
      };
      if (line.stream.writableNeedDrain) {
        line.stream.once('drain', release);
        setTimeout(release, 500).unref();
      } else {
        setImmediate(release);
      }
      return;
    }
    const release = () => {
      line.close();
      resolveDone(status);
    };
    // A line that is already gone (the peer reset it): Node never calls end()'s callback
    // on a destroyed stream, so release it now rather than after the guard below.
    if (line.stream.destroyed || line.stream.writableFinished) {
      release();
      return;
    }
    // Let the last Terminate-Ack reach the wire before the line goes.
    line.stream.end(release);
    setTimeout(release, 500).unref();
  };

  const feed = (chunk: Buffer) => {
    opts.onLineBytes?.('in', chunk);
    session.input(chunk, now());
  };
  const onData = (chunk: Buffer) => {
    if (finished) return;
    feed(chunk);
    flush();
  };
  line.stream.on('data', onData);
  const hangup = () => {
    if (finished) return;
    // pppd get_input: end of file on the line is "Modem hangup", status EXIT_HANGUP.
    session.lowerDown(now(), EXIT.HANGUP);
    flush();
  };
  const onEnd = () => {
    if (!finished) opts.onEvent({ type: 'log', level: 'notice', msg: 'Modem hangup' });
    hangup();
  };
  const onError = (err: Error) => {
    opts.onEvent({ type: 'log', level: 'error', msg: `${line.name}: ${err.message}` });
    hangup();
  };
  line.stream.on('end', onEnd);
  line.stream.on('close', hangup);
  line.stream.on('error', onError);

  session.start(now());
  flush();
  for (const chunk of opts.initialInput ?? []) {
    if (finished) break;
    feed(chunk);
    flush();
  }
  return {
    done,
    session,
    flush,
    sendIp,
    get droppedForBacklog() {
      return droppedForBacklog;
    },
    close: (reason, status) => {
      if (finished) return;
      session.close(reason, now(), status);
      flush();
    },
  };
}
