/**
 * isp.conf: `dialtone isp`'s one configuration file. `key value...` lines, `#` comments,
 * in the spirit of pppd's and mgetty's files. Every key is documented in
 * examples/isp.conf; a bad line is reported with file and line, never ignored silently.
 */
import { parseIp4 } from '../wire/ipv4.js';
import { AddressPool } from './pool.js';

export interface Forward {
  proto: 'tcp' | 'udp';
  hostPort: number;
  clientPort: number;
}

export interface IspConfig {
  /** Raw PPP over TCP: one session per connection. */
  listenPpp?: { host: string; port: number };
  /** A modem bank whose lines answer with the AutoPPP getty dialog. */
  listenModem?: { host: string; port: number };
  modemLines: number;
  modemSpeed: number;
  /** The number callers dial on the modem bank. */
  phone: string;
  /** The server's address on every link, and the virtual network's gateway. */
  gateway: string;
  dns: string;
  pool: string;
  /** Which authentication the server asks for. */
  auth: 'pap' | 'chap' | 'any' | 'none';
  /** The directory holding pap-secrets / chap-secrets. */
  secretsDir?: string;
  /** Extra accounts, `user password` (the demo's test account). */
  accounts: { user: string; password: string }[];
  forwards: Forward[];
  /** Loopback HTTP endpoint serving status JSON. */
  status?: { host: string; port: number };
  /** Accounting records (JSON lines), appended and flushed per record. */
  accounting?: string;
  maxSessions: number;
  lcpEchoInterval: number;
  lcpEchoFailure: number;
  /** Let clients reach addresses beyond the host (true) or only the host itself (false). */
  allowOutbound: boolean;
  debug: boolean;

  // ---- Admission control and shutdown (hostile callers; see examples/isp.conf) ----
  /** Connections not yet authenticated, in all; the oldest is closed when a new one arrives. */
  maxUnauthenticated: number;
  /** Connections not yet authenticated from one source address (or the modem bank). */
  maxUnauthenticatedPerSource: number;
  /** Seconds from connect to authenticated before the connection is closed. */
  authTimeout: number;
  /** Bytes accepted from a connection before it authenticated. */
  maxUnauthenticatedBytes: number;
  /** Seconds: the first delay after a failed authentication (per user, per source), doubled per failure. */
  authFailDelay: number;
  /** Seconds: the longest such delay. */
  authFailDelayMax: number;
  /** Seconds a graceful stop (SIGTERM/SIGINT) waits for Terminate-Acks before hanging up. */
  stopTimeout: number;
}

export function defaultIspConfig(): IspConfig {
  return {
    modemLines: 4,
    modemSpeed: 33600,
    phone: '5551000',
    gateway: '10.0.2.2',
    dns: '10.0.2.3',
    pool: '10.0.2.15-10.0.2.254',
    auth: 'any',
    accounts: [],
    forwards: [],
    maxSessions: 64,
    lcpEchoInterval: 30,
    lcpEchoFailure: 4,
    allowOutbound: true,
    debug: false,
    // Admission control and shutdown.
    maxUnauthenticated: 64,
    maxUnauthenticatedPerSource: 8,
    authTimeout: 10,
    maxUnauthenticatedBytes: 16384,
    authFailDelay: 1,
    authFailDelayMax: 30,
    stopTimeout: 5,
  };
}

export class IspConfigError extends Error {}

function hostPort(v: string, where: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new IspConfigError(`${where}: want [HOST:]PORT, got '${v}'`);
  return { host: m[1] || '127.0.0.1', port };
}

export function parseIspConfig(text: string, file: string): IspConfig {
  const c = defaultIspConfig();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const where = `${file}:${i + 1}`;
    const [key, ...vals] = line.split(/\s+/) as [string, ...string[]];
    const v = vals.join(' ');
    const need = (n: number) => {
      if (vals.length < n) throw new IspConfigError(`${where}: ${key} needs ${n} value(s)`);
    };
    const ip = (s: string) => {
      if (parseIp4(s) === undefined) throw new IspConfigError(`${where}: ${key}: not an IPv4 address: '${s}'`);
      return s;
    };
    const int = (s: string) => {
      if (!/^\d+$/.test(s)) throw new IspConfigError(`${where}: ${key}: not a number: '${s}'`);
      return Number(s);
    };
    const bool = (s: string) => {
      if (!/^(yes|no|true|false|on|off)$/i.test(s)) throw new IspConfigError(`${where}: ${key}: want yes or no, got '${s}'`);
      return /^(yes|true|on)$/i.test(s);
    };
    switch (key) {
      case 'listen-ppp': need(1); c.listenPpp = v === 'off' ? undefined : hostPort(v, where); break;
      case 'listen-modem': need(1); c.listenModem = v === 'off' ? undefined : hostPort(v, where); break;
      case 'modem-lines': need(1); c.modemLines = int(v); break;
      case 'modem-speed': need(1); c.modemSpeed = int(v); break;
      case 'phone': need(1); c.phone = v; break;
      case 'gateway': need(1); c.gateway = ip(v); break;
      case 'dns': need(1); c.dns = ip(v); break;
      case 'pool':
        need(1);
        try {
          AddressPool.parse(v);
        } catch (err) {
          throw new IspConfigError(`${where}: ${(err as Error).message}`);
        }
        c.pool = v;
        break;
      case 'auth':
        need(1);
        if (!['pap', 'chap', 'any', 'none'].includes(v)) throw new IspConfigError(`${where}: auth is pap, chap, any or none`);
        c.auth = v as IspConfig['auth'];
        break;
      case 'secrets-dir': need(1); c.secretsDir = v; break;
      case 'account': need(2); c.accounts.push({ user: vals[0]!, password: vals[1]! }); break;
      case 'forward': {
        need(2);
        const m = /^(\d+):(\d+)$/.exec(vals[1]!);
        if ((vals[0] !== 'tcp' && vals[0] !== 'udp') || !m) throw new IspConfigError(`${where}: forward tcp|udp HOSTPORT:CLIENTPORT`);
        c.forwards.push({ proto: vals[0], hostPort: Number(m[1]), clientPort: Number(m[2]) });
        break;
      }
      case 'status': need(1); c.status = v === 'off' ? undefined : hostPort(v, where); break;
      case 'accounting': need(1); c.accounting = v; break;
      case 'max-sessions': need(1); c.maxSessions = int(v); break;
      case 'lcp-echo-interval': need(1); c.lcpEchoInterval = int(v); break;
      case 'lcp-echo-failure': need(1); c.lcpEchoFailure = int(v); break;
      case 'allow-outbound': need(1); c.allowOutbound = bool(v); break;
      case 'debug': c.debug = vals.length ? bool(v) : true; break;
      // ---- Admission control and shutdown (hostile callers) ----
      case 'max-unauthenticated': need(1); c.maxUnauthenticated = atLeast(1, int(v), where, key); break;
      case 'max-unauthenticated-per-source': need(1); c.maxUnauthenticatedPerSource = atLeast(1, int(v), where, key); break;
      case 'auth-timeout': need(1); c.authTimeout = atLeast(1, int(v), where, key); break;
      case 'max-unauthenticated-bytes': need(1); c.maxUnauthenticatedBytes = atLeast(1500, int(v), where, key); break;
      case 'auth-fail-delay': need(1); c.authFailDelay = atLeast(0, int(v), where, key); break;
      case 'auth-fail-delay-max': need(1); c.authFailDelayMax = atLeast(0, int(v), where, key); break;
      case 'stop-timeout': need(1); c.stopTimeout = atLeast(0, int(v), where, key); break;
      // ---- end of admission control ----
      default:
        throw new IspConfigError(`${where}: unknown keyword '${key}'`);
    }
  });
  return c;
}

// ---- Admission control keys' checks ----
function atLeast(min: number, n: number, where: string, key: string): number {
  if (n < min) throw new IspConfigError(`${where}: ${key}: at least ${min}, got ${n}`);
  return n;
}
