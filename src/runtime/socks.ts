/**
 * The server side of SOCKS version 5 (RFC 1928) with optional username/password
 * authentication (RFC 1929), as a sans-IO state machine: bytes from the SOCKS client in,
 * actions out (bytes to write, a CONNECT to perform, a close). The adapter performs the
 * CONNECT and finishes the exchange with `reply()`.
 *
 * Supported: the CONNECT command with ATYP IPv4 (1) and DOMAINNAME (3); methods 0x00 (no
 * authentication) or, when credentials are configured, only 0x02 (username/password).
 * Answered with an error reply, then closed:
 *  - BIND (2) and UDP ASSOCIATE (3): 0x07 "command not supported" (the link's stack offers
 *    TCP towards the peer only; DNS is done by the proxy for DOMAINNAME requests);
 *  - ATYP IPv6 (4), an IPv6 literal as a domain name, or an unknown ATYP: 0x08 "address
 *    type not supported" (the PPP link carries IPv4 only);
 *  - a domain name with bytes outside printable ASCII or of length 0: 0x04 "host unreachable";
 *  - a request whose VER is not 5: 0x01 "general failure".
 * A greeting whose methods do not include ours gets 05 FF (RFC 1928 §3), then a close; bad
 * credentials get 01 01 (RFC 1929 §2), then a close. A SOCKS4 greeting gets SOCKS4's
 * "request rejected" (00 5B ...), any other first byte a close. Input is never thrown on.
 */
import { timingSafeEqual, createHash } from 'node:crypto';

export const SOCKS_VERSION = 5;

export const METHOD = { NO_AUTH: 0x00, GSSAPI: 0x01, USERPASS: 0x02, NO_ACCEPTABLE: 0xff } as const;
export const CMD = { CONNECT: 0x01, BIND: 0x02, UDP_ASSOCIATE: 0x03 } as const;
export const ATYP = { IPV4: 0x01, DOMAIN: 0x03, IPV6: 0x04 } as const;
/** RFC 1928 §6 reply codes. */
export const REP = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;

export interface SocksTarget {
  /** 'ipv4': host is a dotted quad; 'domain': a name for the proxy to resolve. */
  type: 'ipv4' | 'domain';
  host: string;
  port: number;
}

export type SocksAction =
  | { type: 'write'; data: Buffer }
  /** Open a connection to `target`, then call reply() with the outcome. */
  | { type: 'connect'; target: SocksTarget }
  /** Close the connection after the writes before this action. */
  | { type: 'close'; reason: string };

export type SocksState = 'greeting' | 'auth' | 'request' | 'connecting' | 'open' | 'closed';

export interface SocksServerOptions {
  /** Require RFC 1929 username/password: these credentials, or a checker. */
  auth?: { user: string; password: string } | ((user: string, password: string) => boolean);
}

/** Longest a client may make us buffer before the request is complete. */
const MAX_HANDSHAKE = 1024;

export class Socks5Server {
  state: SocksState = 'greeting';
  /** The user name that authenticated (RFC 1929), if any. */
  user?: string;
  private buf: Buffer = Buffer.alloc(0);
  private readonly auth?: (user: string, password: string) => boolean;

  constructor(opts: SocksServerOptions = {}) {
    const a = opts.auth;
    if (typeof a === 'function') this.auth = a;
    else if (a) this.auth = (u, p) => sameSecret(u, a.user) && sameSecret(p, a.password);
  }

  /** Bytes from the SOCKS client. In 'connecting' they are kept for after the reply (takeRest). */
  push(data: Buffer): SocksAction[] {
    const out: SocksAction[] = [];
    if (this.state === 'closed' || this.state === 'open') return out;
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : Buffer.from(data);
    while (this.step(out)) {
      // one message per step, until more input is needed or the exchange ended
    }
    const st = this.state as SocksState;
    if (st !== 'closed' && st !== 'connecting' && this.buf.length > MAX_HANDSHAKE) {
      this.fail(out, 'handshake too long');
    }
    return out;
  }

  /**
   * The CONNECT's outcome: the reply to write (RFC 1928 §6). With REP.SUCCEEDED the
   * state becomes 'open' (splice from here on: write takeRest() first), otherwise 'closed'
   * (write the reply, then close).
   */
  reply(rep: number, bind: { addr: string; port: number } = { addr: '0.0.0.0', port: 0 }): Buffer {
    if (this.state !== 'connecting') throw new Error(`reply in state ${this.state}`);
    this.state = rep === REP.SUCCEEDED ? 'open' : 'closed';
    return buildReply(rep, bind.addr, bind.port);
  }

  /** Data the client sent after its request (before our reply): the connection's first bytes. */
  takeRest(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  /** One parsing step; false when more input is needed. */
  private step(out: SocksAction[]): boolean {
    const b = this.buf;
    switch (this.state) {
      case 'greeting': {
        if (b.length < 1) return false;
        if (b[0] === 4) {
          // A SOCKS4(a) client: "request rejected or failed" in its own format, then close.
          out.push({ type: 'write', data: Buffer.from([0x00, 0x5b, 0, 0, 0, 0, 0, 0]) });
          return this.fail(out, 'SOCKS4 is not supported', false);
        }
        if (b[0] !== SOCKS_VERSION) return this.fail(out, `not SOCKS5 (version byte ${b[0]})`, false);
        if (b.length < 2) return false;
        const n = b[1]!;
        if (b.length < 2 + n) return false;
        const methods = b.subarray(2, 2 + n);
        this.buf = b.subarray(2 + n);
        const want = this.auth ? METHOD.USERPASS : METHOD.NO_AUTH;
        if (!methods.includes(want)) {
          out.push({ type: 'write', data: Buffer.from([SOCKS_VERSION, METHOD.NO_ACCEPTABLE]) });
          return this.fail(out, this.auth ? 'client does not offer username/password' : 'client offers no method without authentication', false);
        }
        out.push({ type: 'write', data: Buffer.from([SOCKS_VERSION, want]) });
        this.state = this.auth ? 'auth' : 'request';
        return true;
      }
      case 'auth': {
        // RFC 1929 §2: VER(1)=1 ULEN UNAME PLEN PASSWD
        if (b.length < 2) return false;
        const ulen = b[1]!;
        if (b.length < 2 + ulen + 1) return false;
        const plen = b[2 + ulen]!;
        if (b.length < 3 + ulen + plen) return false;
        const ver = b[0]!;
        const user = b.subarray(2, 2 + ulen).toString('utf8');
        const password = b.subarray(3 + ulen, 3 + ulen + plen).toString('utf8');
        this.buf = b.subarray(3 + ulen + plen);
        let ok = false;
        try {
          ok = ver === 1 && ulen > 0 && this.auth!(user, password);
        } catch {
          ok = false;
        }
        if (!ok) {
          out.push({ type: 'write', data: Buffer.from([0x01, 0x01]) });
          return this.fail(out, ver === 1 ? 'authentication failed' : `bad username/password version ${ver}`, false);
        }
        this.user = user;
        out.push({ type: 'write', data: Buffer.from([0x01, 0x00]) });
        this.state = 'request';
        return true;
      }
      case 'request': {
        // VER CMD RSV ATYP DST.ADDR DST.PORT
        if (b.length < 4) return false;
        const [ver, cmd, , atyp] = [b[0]!, b[1]!, b[2]!, b[3]!];
        if (ver !== SOCKS_VERSION) return this.fail(out, `request version ${ver}`, true, REP.GENERAL_FAILURE);
        let end: number;
        if (atyp === ATYP.IPV4) end = 4 + 4 + 2;
        else if (atyp === ATYP.IPV6) end = 4 + 16 + 2;
        else if (atyp === ATYP.DOMAIN) {
          if (b.length < 5) return false;
          end = 5 + b[4]! + 2;
        } else {
          return this.fail(out, `address type ${atyp}`, true, REP.ADDRESS_TYPE_NOT_SUPPORTED);
        }
        if (b.length < end) return false;
        const port = b.readUInt16BE(end - 2);
        this.buf = b.subarray(end);
        if (cmd !== CMD.CONNECT) {
          const name = cmd === CMD.BIND ? 'BIND' : cmd === CMD.UDP_ASSOCIATE ? 'UDP ASSOCIATE' : `command ${cmd}`;
          return this.fail(out, `${name} is not supported`, true, REP.COMMAND_NOT_SUPPORTED);
        }
        if (atyp === ATYP.IPV6) return this.fail(out, 'IPv6 destinations are not supported', true, REP.ADDRESS_TYPE_NOT_SUPPORTED);
        let target: SocksTarget;
        if (atyp === ATYP.IPV4) {
          target = { type: 'ipv4', host: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port };
        } else {
          const raw = b.subarray(5, 5 + b[4]!);
          if (raw.length === 0 || raw.some((c) => c <= 0x20 || c >= 0x7f)) return this.fail(out, 'bad domain name', true, REP.HOST_UNREACHABLE);
          const name = raw.toString('latin1');
          if (name.includes(':')) return this.fail(out, 'IPv6 destinations are not supported', true, REP.ADDRESS_TYPE_NOT_SUPPORTED);
          const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
          target = quad && quad.slice(1).every((x) => Number(x) <= 255)
            ? { type: 'ipv4', host: quad.slice(1).map(Number).join('.'), port }
            : { type: 'domain', host: name, port };
        }
        this.state = 'connecting';
        out.push({ type: 'connect', target });
        return true;
      }
      default:
        return false;
    }
  }

  /** Optionally an error reply, then close. Returns false (stop parsing). */
  private fail(out: SocksAction[], reason: string, replyFirst = true, rep: number = REP.GENERAL_FAILURE): boolean {
    if (replyFirst && this.state === 'request') out.push({ type: 'write', data: buildReply(rep) });
    this.state = 'closed';
    this.buf = Buffer.alloc(0);
    out.push({ type: 'close', reason });
    return false;
  }
}

/** A reply (RFC 1928 §6): VER REP RSV ATYP=IPv4 BND.ADDR BND.PORT. */
export function buildReply(rep: number, addr = '0.0.0.0', port = 0): Buffer {
  const b = Buffer.alloc(10);
  b[0] = SOCKS_VERSION;
  b[1] = rep & 0xff;
  b[2] = 0;
  b[3] = ATYP.IPV4;
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr)?.slice(1).map(Number) ?? [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) b[4 + i] = (parts[i] ?? 0) & 0xff;
  b.writeUInt16BE(port & 0xffff, 8);
  return b;
}

/** A message for a reply code (logs, the test client). */
export function replyText(rep: number): string {
  switch (rep) {
    case REP.SUCCEEDED: return 'succeeded';
    case REP.GENERAL_FAILURE: return 'general SOCKS server failure';
    case REP.NOT_ALLOWED: return 'connection not allowed by ruleset';
    case REP.NETWORK_UNREACHABLE: return 'network unreachable';
    case REP.HOST_UNREACHABLE: return 'host unreachable';
    case REP.CONNECTION_REFUSED: return 'connection refused';
    case REP.TTL_EXPIRED: return 'TTL expired';
    case REP.COMMAND_NOT_SUPPORTED: return 'command not supported';
    case REP.ADDRESS_TYPE_NOT_SUPPORTED: return 'address type not supported';
    default: return `reply ${rep}`;
  }
}

/** Constant-time comparison of secrets of any length (hashes compared). */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
