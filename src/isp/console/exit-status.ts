/**
 * pppd's exit status in words (pppd(8) EXIT STATUS), for people reading the console and for
 * metric labels. The numbers are src/ppp/exit-codes.ts; the wording follows the man page.
 */
const WORDS: Record<number, string> = {
  0: 'ok',
  1: 'fatal error',
  2: 'option error',
  3: 'not root',
  4: 'no kernel PPP support',
  5: 'terminated by signal or request',
  6: 'serial port lock failed',
  7: 'serial port open failed',
  8: 'connect script failed',
  9: 'pty command failed',
  10: 'PPP negotiation failed',
  11: 'peer failed to authenticate',
  12: 'idle timeout',
  13: 'connect time limit',
  14: 'callback',
  15: 'peer not responding to echo-requests',
  16: 'modem hangup',
  17: 'loopback detected',
  18: 'init script failed',
  19: 'failed to authenticate to the peer',
};

export function exitStatusWords(status: number): string {
  return WORDS[status] ?? `exit status ${status}`;
}
