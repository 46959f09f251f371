/**
 * AC-Cookie (RFC 2516 §5.2, Appendix A): what the AC hands out in a PADO and must see again
 * in the PADR. It is an HMAC of the client's MAC under a secret the process draws at start,
 * so checking a PADR needs no state: a flood of PADIs or forged PADRs creates none, and a
 * cookie from an earlier process (another secret) is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const COOKIE_LENGTH = 16;

export function makeCookie(secret: Buffer, clientMac: Buffer): Buffer {
  return createHmac('sha256', secret).update(clientMac).digest().subarray(0, COOKIE_LENGTH);
}

export function cookieOk(secret: Buffer, clientMac: Buffer, cookie: Buffer | undefined): boolean {
  return !!cookie && cookie.length === COOKIE_LENGTH && timingSafeEqual(cookie, makeCookie(secret, clientMac));
}
