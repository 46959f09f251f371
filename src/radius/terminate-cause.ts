/**
 * Acct-Terminate-Cause (RFC 2866 §5.10) from pppd's exit status, as pppd's radius plugin
 * (radius.c, radius_acct_stop) maps it, so FreeRADIUS sees what it sees from pppd.
 */
import { EXIT } from '../ppp/exit-codes.js';

export const TERMINATE_CAUSE = {
  'User-Request': 1,
  'Lost-Carrier': 2,
  'Lost-Service': 3,
  'Idle-Timeout': 4,
  'Session-Timeout': 5,
  'Admin-Reset': 6,
  'Admin-Reboot': 7,
  'Port-Error': 8,
  'NAS-Error': 9,
  'NAS-Request': 10,
  'NAS-Reboot': 11,
  'Port-Unneeded': 12,
  'Port-Preempted': 13,
  'Port-Suspended': 14,
  'Service-Unavailable': 15,
  Callback: 16,
  'User-Error': 17,
  'Host-Request': 18,
} as const;

export type TerminateCauseName = keyof typeof TERMINATE_CAUSE;

export function terminateCause(status: number): TerminateCauseName {
  switch (status) {
    case EXIT.OK:
    case EXIT.USER_REQUEST:
      return 'User-Request';
    case EXIT.HANGUP:
    case EXIT.PEER_DEAD:
    case EXIT.CONNECT_FAILED:
      return 'Lost-Carrier';
    case EXIT.INIT_FAILED:
    case EXIT.OPEN_FAILED:
    case EXIT.LOCK_FAILED:
    case EXIT.PTYCMD_FAILED:
      return 'Port-Error';
    case EXIT.PEER_AUTH_FAILED:
    case EXIT.AUTH_TOPEER_FAILED:
    case EXIT.NEGOTIATION_FAILED:
      return 'Service-Unavailable';
    case EXIT.IDLE_TIMEOUT:
      return 'Idle-Timeout';
    case EXIT.CALLBACK:
      return 'Callback';
    case EXIT.CONNECT_TIME:
      return 'Session-Timeout';
    default:
      return 'NAS-Error';
  }
}
