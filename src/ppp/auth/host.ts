/** What every authentication protocol needs from the session: a way out, a log, timers, randomness, a verdict. */
import type { Timers } from '../timers.js';
import type { LogLevel } from '../log.js';

export interface AuthHost {
  /** Sends a packet of this protocol (Information field only). */
  send(packet: Buffer): void;
  log(level: LogLevel, msg: string): void;
  randomBytes(n: number): Buffer;
  timers: Timers;
  /** The exchange ended: `ok` true when authentication succeeded; `peerName` as the peer named itself. */
  done(ok: boolean, peerName?: string): void;
}

export function lengthPrefixed(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from([b.length]), b]);
}
