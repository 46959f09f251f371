/** What a PPPoE endpoint dropped and why (bad input is counted, never thrown). */
export interface PppoeCounters {
  /** Frames that fail the header or TAG grammar (RFC 2516 §4, Appendix A). */
  malformed: number;
  /** Well-formed frames not for us or not expected now (other hosts' PADOs, a PADS out of turn). */
  ignored: number;
  /** Session frames for no live session (or from the wrong MAC). */
  unknownSession: number;
  /** PADRs whose AC-Cookie is not ours for that MAC (the AC only). */
  badCookie: number;
  /** PADRs refused for max sessions (the AC only). */
  refusedFull: number;
  discoveryIn: number;
  discoveryOut: number;
  sessionIn: number;
  sessionOut: number;
}

export function newCounters(): PppoeCounters {
  return { malformed: 0, ignored: 0, unknownSession: 0, badCookie: 0, refusedFull: 0, discoveryIn: 0, discoveryOut: 0, sessionIn: 0, sessionOut: 0 };
}
