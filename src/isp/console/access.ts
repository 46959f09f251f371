/**
 * Who may change state through the console (a POST: disconnect a session). Reads stay open
 * on the status address, as /status always was; changes are refused unless
 *  - the request is not cross-origin: a browser names the page's origin in `Origin` (RFC 6454
 *    §7) and it must be this server (`Host`), so a web page elsewhere cannot make a visitor's
 *    browser post here (CSRF); and
 *  - it comes from loopback, addressed to a loopback name (so that a DNS name rebound to
 *    127.0.0.1 by a hostile page does not pass as local), or it carries the configured
 *    `console-token` (Authorization: Bearer TOKEN, or X-Console-Token).
 */
import crypto from 'node:crypto';
import net from 'node:net';

export interface AccessRequest {
  method: string;
  /** The TCP peer's address as the socket reports it. */
  remoteAddress: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export type AccessDecision = { ok: true } | { ok: false; status: 403 | 401; why: string };

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/i, '');
  if (net.isIPv4(a)) return a.startsWith('127.');
  return a === '::1';
}

/** The host part of a Host header value (`[::1]:6480`, `localhost:6480`, `127.0.0.1`). */
function hostName(host: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(host) ?? /^([^:]*)(?::\d+)?$/.exec(host);
  return (m?.[1] ?? host).toLowerCase();
}

function header(h: AccessRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameSecret(a: string, b: string): boolean {
  // Compared as digests so that the time taken says nothing about the token.
  const da = crypto.createHash('sha256').update(a).digest();
  const db = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(da, db);
}

export function checkChange(req: AccessRequest, token: string | undefined): AccessDecision {
  if (req.method !== 'POST') return { ok: false, status: 403, why: 'changes are POST requests' };
  const host = header(req.headers, 'host');
  const origin = header(req.headers, 'origin');
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (!host || originHost?.toLowerCase() !== host.toLowerCase()) return { ok: false, status: 403, why: 'cross-origin request refused' };
  }
  const auth = header(req.headers, 'authorization');
  const given = header(req.headers, 'x-console-token') ?? (auth && /^Bearer\s+(\S+)$/i.exec(auth)?.[1]);
  if (token && given && sameSecret(given, token)) return { ok: true };
  if (given) return { ok: false, status: 401, why: 'wrong console token' };
  const name = host ? hostName(host) : '';
  const loopbackName = name === 'localhost' || isLoopback(name);
  if (isLoopback(req.remoteAddress) && loopbackName) return { ok: true };
  return { ok: false, status: 401, why: token ? 'off loopback: the console token is required' : 'off loopback: set console-token in isp.conf to allow changes from elsewhere' };
}
