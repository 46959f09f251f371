/** What PAP and CHAP need from the session: a way out, a log, timers, randomness, a verdict. */
import type { Timers } from './timers.js';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';

export interface AuthHost {
  /** Sends a packet of this protocol (Information field only). */
  send(packet: Buffer): void;
  log(level: LogLevel, msg: string): void;
  randomBytes(n: number): Buffer;
  timers: Timers;
  /** The exchange ended: `ok` true when authentication succeeded; `peerName` as the peer named itself. */
  done(ok: boolean, peerName?: string): void;
}

/** pppd prints names and messages with %q / %v: printable, control characters escaped. */
export function printableText(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

export function lengthPrefixed(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from([b.length]), b]);
}
