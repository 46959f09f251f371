/**
 * Result codes and their framing.
 *
 * Numbers follow the Hayes basic set (0..8) and the Rockwell table for CONNECT speeds, the
 * chipset most 1990s modems (and therefore most .inf files and chat scripts) were built on.
 * Framing follows V.250: verbose results are `<S3><S4>TEXT<S3><S4>`, numeric ones `N<S3>`;
 * information text is `<S3><S4>TEXT<S3><S4>` in verbose and `TEXT<S3><S4>` in numeric mode.
 */
import type { Profile } from './sregs.js';

export type ResultKind = 'ok' | 'connect' | 'ring' | 'no-carrier' | 'error' | 'no-dialtone' | 'busy' | 'no-answer';

export interface Result {
  kind: ResultKind;
  /** Line speed for `connect`; reported only at X1 and above. */
  speed?: number;
}

export const RESULT_NUMBERS: Readonly<Record<ResultKind, number>> = {
  ok: 0,
  connect: 1,
  ring: 2,
  'no-carrier': 3,
  error: 4,
  'no-dialtone': 6,
  busy: 7,
  'no-answer': 8,
};

const RESULT_WORDS: Readonly<Record<ResultKind, string>> = {
  ok: 'OK',
  connect: 'CONNECT',
  ring: 'RING',
  'no-carrier': 'NO CARRIER',
  error: 'ERROR',
  'no-dialtone': 'NO DIALTONE',
  busy: 'BUSY',
  'no-answer': 'NO ANSWER',
};

/** Rockwell numeric codes for `CONNECT <speed>`; speeds not listed report plain 1. */
export const CONNECT_CODES: ReadonlyMap<number, number> = new Map([
  [1200, 5],
  [600, 9],
  [2400, 10],
  [4800, 11],
  [9600, 12],
  [7200, 13],
  [12000, 14],
  [14400, 15],
  [19200, 16],
  [38400, 17],
  [57600, 18],
  [115200, 19],
  [16800, 59],
  [21600, 61],
  [24000, 62],
  [26400, 63],
  [28800, 64],
  [33600, 84],
  [31200, 91],
]);

/**
 * What the X setting lets through. X0 knows only the Hayes Smartmodem 300 codes, so a busy
 * line or a missing dial tone is reported as NO CARRIER; X1 adds the speed to CONNECT; X2
 * adds NO DIALTONE; X3 adds BUSY and NO ANSWER; X4 has everything.
 */
export function applyResultLevel(r: Result, level: number): Result {
  const x = Math.min(level, 4);
  switch (r.kind) {
    case 'connect':
      return x === 0 ? { kind: 'connect' } : r;
    case 'no-dialtone':
      return x === 2 || x === 4 ? r : { kind: 'no-carrier' };
    case 'busy':
    case 'no-answer':
      return x >= 3 ? r : { kind: 'no-carrier' };
    default:
      return r;
  }
}

export function resultWords(r: Result): string {
  // 300 bps is what a bare CONNECT has always meant, so it gets no number.
  if (r.kind === 'connect' && r.speed !== undefined && r.speed !== 300) return `CONNECT ${r.speed}`;
  return RESULT_WORDS[r.kind];
}

export function resultNumber(r: Result): number {
  if (r.kind === 'connect' && r.speed !== undefined) return CONNECT_CODES.get(r.speed) ?? 1;
  return RESULT_NUMBERS[r.kind];
}

/** The bytes for a result code under the profile's Q, V, X, S3 and S4, or '' under Q1. */
export function formatResult(r: Result, p: Profile): string {
  if (p.quiet) return '';
  const shown = applyResultLevel(r, p.resultLevel);
  const cr = String.fromCharCode(p.sregs[3]!);
  const lf = String.fromCharCode(p.sregs[4]!);
  if (p.verbose) return `${cr}${lf}${resultWords(shown)}${cr}${lf}`;
  return `${resultNumber(shown)}${cr}`;
}

/** Information text (I, &V, S?): not affected by Q, framed according to V. */
export function formatInfo(lines: readonly string[], p: Profile): string {
  const cr = String.fromCharCode(p.sregs[3]!);
  const lf = String.fromCharCode(p.sregs[4]!);
  const body = lines.join(`${cr}${lf}`);
  return p.verbose ? `${cr}${lf}${body}${cr}${lf}` : `${body}${cr}${lf}`;
}
