/**
 * The access concentrator on a real port: the thin shell around access-concentrator.ts.
 * Each session comes out as a SessionStream for the access server to run PPP on; the cookie
 * secret and the first session id are drawn once per process.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { AccessConcentrator } from '../pppoe/access-concentrator.js';
import { macToString } from '../pppoe/frame.js';
import { SessionStream } from './pppoe-session-stream.js';
import type { EthernetPort } from '../pppoe/ethernet.js';
import type { PppoeCounters } from '../pppoe/counters.js';

export interface PppoeSessionInfo {
  sessionId: number;
  /** The client's MAC, as text. */
  peer: string;
  service: string;
  mtu: number;
}

export interface PppoeListenerOptions {
  acName: string;
  services: string[];
  maxSessions: number;
  log(msg: string): void;
  debug?: boolean;
  onSession(stream: SessionStream, info: PppoeSessionInfo): void;
}

export class PppoeListener {
  readonly ac: AccessConcentrator;
  private readonly streams = new Map<number, SessionStream>();
  private closed = false;

  constructor(readonly port: EthernetPort, private readonly o: PppoeListenerOptions) {
    this.ac = new AccessConcentrator({
      mac: port.mac, acName: o.acName, services: o.services, maxSessions: o.maxSessions,
      secret: randomBytes(32), ifMtu: port.mtu, firstSessionId: randomInt(1, 0xffff),
    });
    port.onFrame((f) => {
      if (this.closed) return;
      this.ac.input(f);
      this.pump();
    });
  }

  get counters(): PppoeCounters {
    return this.ac.counters;
  }

  /** PADT to every client, then the port closes. */
  close(why = 'server stopping'): void {
    if (this.closed) return;
    this.ac.closeAll(why);
    this.pump();
    this.closed = true;
    this.port.close();
  }

  private pump(): void {
    for (const f of this.ac.takeOutput()) this.port.send(f);
    for (const e of this.ac.takeEvents()) {
      switch (e.type) {
        case 'log':
          if (e.level !== 'debug' || this.o.debug) this.o.log(`pppoe ${this.port.name}: ${e.msg}`);
          break;
        case 'session-up': {
          const id = e.sessionId;
          const stream = new SessionStream(
            (frame) => {
              this.ac.send(id, frame);
              this.pump();
            },
            () => {
              this.streams.delete(id);
              if (this.closed) return;
              this.ac.close(id, 'PPP ended');
              this.pump();
            },
          );
          this.streams.set(id, stream);
          this.o.onSession(stream, { sessionId: id, peer: macToString(e.peer), service: e.service, mtu: e.mtu });
          break;
        }
        case 'ppp':
          this.streams.get(e.sessionId)?.deliver(e.payload);
          break;
        case 'session-down': {
          const s = this.streams.get(e.sessionId);
          this.streams.delete(e.sessionId);
          if (e.byPeer) this.o.log(`pppoe ${this.port.name}: PADT from the client for session ${e.sessionId}`);
          s?.hangup();
          break;
        }
      }
    }
  }
}
