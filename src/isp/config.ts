/**
 * isp.conf: `dialtone isp`'s one configuration file. `key value...` lines, `#` comments,
 * in the spirit of pppd's and mgetty's files. Every key is documented in
 * examples/isp.conf; a bad line is reported with file and line, never ignored silently.
 */
import { randomBytes } from 'node:crypto';
import { parseIp4 } from '../wire/ipv4.js';
import { canonicalIp, ip6ToString, parseIp6 } from '../wire/ipv6.js';
import { parsePrefix64 } from '../net/config.js';
import { ulaPrefix } from '../net/ndp.js';
import { AddressPool } from './pool.js';
import { parseNamedPool, checkNamedPools, type NamedPoolSpec } from './named-pools.js';
import { parseRateLimit, type RateLimit } from './rate-limits.js';

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
  /** More modem-bank lines: tcpser's ip232 (DTR/DCD/RI over TCP), and WebSocket (browser emulators). */
  listenModemIp232?: { host: string; port: number };
  listenModemWs?: { host: string; port: number };
  /**
   * Direct-connect answer port: each TCP caller has already dialled (DOSBox's and 86Box's
   * softmodems do the AT dialogue themselves, then open TCP) and gets the getty dialog at
   * once, as if a modem had answered. `listenDirectWs`: the same over WebSocket.
   */
  listenDirect?: { host: string; port: number };
  listenDirectWs?: { host: string; port: number };
  modemLines: number;
  /**
   * SLIP (RFC 1055) or CSLIP (RFC 1144) at once on every connection, with no login (for
   * emulators and scripts that configure SLIP statically): each caller gets a pool address.
   */
  listenSlip?: { host: string; port: number; mode: 'slip' | 'cslip' };
  /** The MTU of SLIP sessions (the banner tells it; RFC 1055's Berkeley 1006). */
  slipMtu: number;
  modemSpeed: number;
  /** The number callers dial on the modem bank. */
  phone: string;
  /** The server's address on every link, and the virtual network's gateway. */
  gateway: string;
  dns: string;
  pool: string;
  /** Which authentication the server asks for. */
  auth: 'pap' | 'chap' | 'any' | 'none' | 'eap';
  /** The directory holding pap-secrets / chap-secrets. */
  secretsDir?: string;
  /** Extra accounts, `user password` (the demo's test account). */
  accounts: { user: string; password: string }[];
  forwards: Forward[];
  /** Loopback HTTP endpoint serving status JSON. */
  status?: { host: string; port: number };
  /**
   * Lets the web console's changes (disconnect) come from off loopback with this token
   * (Authorization: Bearer TOKEN). Unset: only loopback may change anything.
   */
  consoleToken?: string;
  /** Accounting records (JSON lines), appended and flushed per record. */
  accounting?: string;
  maxSessions: number;
  lcpEchoInterval: number;
  lcpEchoFailure: number;
  /** Let clients reach addresses beyond the host (true) or only the host itself (false). */
  allowOutbound: boolean;
  /**
   * IPv6 for clients that negotiate IPV6CP: 'ula' (the default: fdXX:XXXX:XXXX::/64 from
   * ipv6UlaGlobalId, RFC 4193), a /64 such as '2001:db8:1::/64', or 'off' (no IPV6CP).
   */
  ipv6Prefix: string;
  /** The 40-bit ULA global id, 10 hex digits (default: random at each start, RFC 4193 §3.2.2). */
  ipv6UlaGlobalId: string;
  debug: boolean;

  // ---- L2TP (RFC 2661): an LNS on UDP (src/l2tp) ----
  /** Answer L2TP tunnels (LACs such as xl2tpd) on this UDP address; each call is a PPP session. */
  listenL2tp?: { host: string; port: number };
  /** The tunnel secret: tunnel authentication (§4.4.3) and hidden AVPs (§4.3). Unset: none. */
  l2tpSecret?: string;
  /** Our Host Name AVP in SCCRP. */
  l2tpHostname: string;

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
  /** Seconds a modem-bank DTE may sit in command mode without a byte before it is dropped; 0 = never. */
  modemIdleTimeout: number;
  /** Modem-bank lines one client address may hold at once. */
  modemLinesPerSource: number;

  // ---- Scale (docs/isp-scale.md) ----
  /** The virtual network, CIDR (e.g. 100.64.0.0/10 for a big pool); unset: the /24 around the gateway. */
  subnet?: string;
  /** Processes serving sessions (node:cluster); 1 = this process alone. */
  workers: number;

  // ---- PPPoE (RFC 2516): an access concentrator on Ethernet interfaces (root or CAP_NET_RAW) ----
  /** Interfaces to answer PADIs on (`listen-pppoe IFACE`, repeatable). */
  listenPppoe: string[];
  /** Service-Names offered (`pppoe-service`, repeatable); none = any Service-Name is served. */
  pppoeServices: string[];
  /** The AC-Name in PADOs (`pppoe-ac-name`; default the host name, as pppoe-server). */
  pppoeAcName?: string;
  // ---- The TUN network backend (src/tun; root) ----
  /** 'nat': the userspace NAT (default); 'tun': a real pppN interface per session, routed. */
  network?: 'nat' | 'tun';
  /** With network tun: a proxy ARP entry for each client on the LAN interface of its subnet. */
  proxyarp?: boolean;
  /** With network tun: scripts run as pppd runs /etc/ppp/ip-up and ip-down. */
  ipUp?: string;
  ipDown?: string;
  // ---- RADIUS accounting and dynamic authorization (src/radius/accounting.ts, dae.ts) ----
  /** `radius-acct HOST[:PORT] [SECRET]`, repeatable: accounting servers in failover order. */
  radiusAcct: { host: string; port: number; secret?: string }[];
  /** Seconds between Interim-Updates (0: none unless the Access-Accept asks). */
  radiusAcctInterim: number;
  /** The durable spool and live-session state directory. */
  accountingSpool?: string;
  /** The spool's bound in bytes of undelivered records (see src/radius/spool.ts for the policy). */
  accountingSpoolMax: number;
  /** RFC 5176 listener: `dae-listen ADDR:PORT`. */
  daeListen?: { host: string; port: number };
  /** `dae-client ADDR SECRET`, repeatable: who may send Disconnect/CoA. */
  daeClients: { address: string; secret: string }[];
  /** Seconds of Event-Timestamp skew accepted on DAE requests (RFC 5176 §3.x replay window). */
  daeWindow: number;
  // ---- RADIUS authentication (src/radius) ----
  /** `radius-auth HOST[:PORT]`, repeatable: authentication servers in failover order. */
  radiusAuth: { host: string; port: number }[];
  /** `radius-secret`: the shared secret (never logged). */
  radiusSecret?: string;
  /** `nas-identifier` (RFC 2865 §5.32). */
  nasIdentifier: string;
  /** `nas-ip-address` (RFC 2865 §5.4). */
  nasIpAddress?: string;
  /** `radius-timeout` seconds before the first retransmission (doubled each time). */
  radiusTimeout: number;
  /** `radius-retries`: retransmissions to one server before the next. */
  radiusRetries: number;
  /** `radius-dictionary FILE`: a FreeRADIUS-format dictionary for vendor attributes. */
  radiusDictionary?: string;
  // ---- MPPE (src/isp/mppe-policy.ts) ----
  /** `mppe no|optional|require`: MPPE 128-bit stateless for MS-CHAP sessions (unset: no). */
  mppe?: 'no' | 'optional' | 'require';
  // ---- RADIUS session attributes (src/isp/named-pools.ts, rate-limits.ts) ----
  /** `pool-name NAME RANGE`, repeatable: pools a Framed-Pool picks. */
  namedPools: NamedPoolSpec[];
  /** `rate-limit NAME DOWN-KBIT UP-KBIT [BURST-KB]`, repeatable: rates a Filter-Id picks. */
  rateLimits: RateLimit[];
}

export function defaultIspConfig(): IspConfig {
  return {
    modemLines: 4,
    slipMtu: 1006,
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
    ipv6Prefix: 'ula',
    ipv6UlaGlobalId: randomBytes(5).toString('hex'),
    debug: false,
    l2tpHostname: 'dialtone',
    // Admission control and shutdown.
    maxUnauthenticated: 64,
    maxUnauthenticatedPerSource: 8,
    authTimeout: 10,
    radiusAuth: [],
    nasIdentifier: 'dialtone',
    radiusTimeout: 3,
    radiusRetries: 2,
    maxUnauthenticatedBytes: 16384,
    authFailDelay: 1,
    authFailDelayMax: 30,
    stopTimeout: 5,
    // 300 s: a person at a terminal typing AT commands, or an emulator's dial script that
    // pauses between commands, never waits that long, while a client that connects and
    // never dials gives its line back within minutes (off, lines are held for ever).
    modemIdleTimeout: 300,
    modemLinesPerSource: 8,
    workers: 1,
    radiusAcct: [],
    radiusAcctInterim: 0,
    accountingSpoolMax: 64 * 1024 * 1024,
    daeClients: [],
    daeWindow: 300,
    listenPppoe: [],
    pppoeServices: [],
    namedPools: [],
    rateLimits: [],
  };
}

export class IspConfigError extends Error {}

/**
 * Ranges checked at load time, so that a bad value stops `dialtone isp` before it listens
 * instead of failing later inside a session (a `forward` port of 70000 used to pass here and
 * throw `RangeError: bad port` in the NAT stack when the first session came up).
 */
export const LIMITS = {
  /** TCP/UDP ports (RFC 793 / RFC 768: 16 bits; 0 is not a port one can forward or dial). */
  port: [1, 65535],
  /** Lines of the modem bank: one TCP client each. */
  modemLines: [1, 256],
  /** CONNECT speeds: Bell 103's 300 bit/s up to V.90/V.92's 56000, and ISDN's 64000/128000. */
  modemSpeed: [300, 128000],
  /** SLIP MTU: IPv4's minimum datagram every host takes (RFC 791: 576) up to 16 bits of length. */
  slipMtu: [576, 65535],
  maxSessions: [1, 65535],
  /** pppd lcp-echo-interval: seconds, 0 = no echo requests. One day is plenty. */
  lcpEchoInterval: [0, 86400],
  /** pppd lcp-echo-failure: 0 = never give up on unanswered echoes. */
  lcpEchoFailure: [0, 1000],
} as const satisfies Record<string, readonly [number, number]>;

/** Longest value of a text key (phone number, user, password, path) we keep. */
const MAX_VALUE = 1024;

/** Where each key was set, for errors found only once the whole file has been read. */
type Seen = Map<string, number>;

const NETWORK_BITS = 24; // src/isp/backend.ts: the virtual network is the /24 around the gateway

function ipText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * `anyPort`: port 0 lets the OS pick a free port (listeners: the banner says which; tests
 * use it). `forward` ports must be real.
 */
function hostPort(v: string, err: (m: string) => IspConfigError, anyPort = false): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(v);
  if (!m) throw err(`want [HOST:]PORT, got '${v}'`);
  const port = Number(m[2]);
  if (!(anyPort && port === 0) && (port < LIMITS.port[0] || port > LIMITS.port[1])) throw err(`port ${m[2]} out of range (${LIMITS.port[0]}-${LIMITS.port[1]})`);
  const host = m[1] ?? '127.0.0.1';
  // An IPv4 address, a [IPv6] address or a host name (RFC 1123 letters, digits, '-', '.').
  const ok = parseIp4(host) !== undefined || /^\[[0-9A-Fa-f:.]+\]$/.test(host) || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(host);
  if (!ok) throw err(`bad host '${host}' (want an IPv4 address, [IPv6] or a host name)`);
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Parses isp.conf. Every error is an IspConfigError reading `FILE:LINE: KEY: what is wrong`,
 * thrown here at load time; `dialtone isp` prints it and exits 2 before listening.
 */
export function parseIspConfig(text: string, file: string): IspConfig {
  const c = defaultIspConfig();
  const seen: Seen = new Map();
  const forwardAt = new Map<string, number>();
  // One pass over the lines; each line is cut at '#' and split on blanks: linear in the text.
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const line = (hash >= 0 ? lines[i]!.slice(0, hash) : lines[i]!).trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    const vals = line.split(/[ \t\r\f\v]+/);
    const key = vals.shift()!;
    const err = (m: string) => new IspConfigError(`${where}: ${key}: ${m}`);
    // A control character in a value is a corrupt file, not a name (the split above took blanks).
    // eslint-disable-next-line no-control-regex
    const bad = /[\x00-\x1f\x7f]/.exec(line);
    if (bad) throw err(`control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} in line`);
    const v = vals.join(' ');
    if (v.length > MAX_VALUE) throw err(`value longer than ${MAX_VALUE} characters`);
    const need = (n: number) => {
      if (vals.length < n) throw new IspConfigError(`${where}: ${key} needs ${n} value(s)`);
    };
    const ip = (s: string) => {
      if (parseIp4(s) === undefined) throw err(`not an IPv4 address: '${s}'`);
      return s;
    };
    const int = (s: string, range: readonly [number, number]) => {
      if (!/^\d+$/.test(s)) throw err(`not a number: '${s}'`);
      const n = Number(s);
      if (n < range[0] || n > range[1]) throw err(`${s} out of range (${range[0]}-${range[1]})`);
      return n;
    };
    const bool = (s: string) => {
      if (!/^(yes|no|true|false|on|off)$/i.test(s)) throw err(`want yes or no, got '${s}'`);
      return /^(yes|true|on)$/i.test(s);
    };
    seen.set(key, i + 1);
    switch (key) {
      case 'listen-ppp': need(1); c.listenPpp = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'listen-modem': need(1); c.listenModem = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'listen-slip': {
        need(1);
        if (vals[0] === 'off') {
          c.listenSlip = undefined;
          break;
        }
        if (vals.length > 2 || (vals[1] !== undefined && vals[1] !== 'slip' && vals[1] !== 'cslip')) throw err(`want [HOST:]PORT [slip|cslip], got '${v}'`);
        c.listenSlip = { ...hostPort(vals[0]!, err, true), mode: (vals[1] ?? 'slip') as 'slip' | 'cslip' };
        break;
      }
      case 'slip-mtu': need(1); c.slipMtu = int(v, LIMITS.slipMtu); break;
      case 'listen-modem-ip232': need(1); c.listenModemIp232 = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'listen-modem-ws': need(1); c.listenModemWs = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'listen-direct': need(1); c.listenDirect = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'listen-direct-ws': need(1); c.listenDirectWs = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'modem-lines': need(1); c.modemLines = int(v, LIMITS.modemLines); break;
      case 'modem-speed': need(1); c.modemSpeed = int(v, LIMITS.modemSpeed); break;
      case 'phone':
        need(1);
        // What a modem can dial: digits and the dial-string punctuation people write in numbers.
        if (!/^[0-9A-Da-d*#+().-]+$/.test(v) || !/[0-9]/.test(v)) throw err(`'${v}' is not a phone number (digits, A-D * # + and - ( ) ., no blanks)`);
        c.phone = v;
        break;
      case 'gateway': need(1); c.gateway = ip(v); break;
      case 'dns': need(1); c.dns = ip(v); break;
      case 'pool':
        need(1);
        try {
          AddressPool.parse(v);
        } catch (e) {
          throw new IspConfigError(`${where}: ${(e as Error).message}`);
        }
        c.pool = v;
        break;
      case 'auth':
        need(1);
        if (!['pap', 'chap', 'any', 'none', 'eap'].includes(v)) throw new IspConfigError(`${where}: auth is pap, chap, any, eap or none`);
        c.auth = v as IspConfig['auth'];
        break;
      case 'secrets-dir': need(1); c.secretsDir = v; break;
      case 'account':
        need(2);
        if (vals.length > 2) throw err('want USER PASSWORD (no blanks in either)');
        c.accounts.push({ user: vals[0]!, password: vals[1]! });
        break;
      case 'forward': {
        need(2);
        const m = /^(\d+):(\d+)$/.exec(vals[1]!);
        if ((vals[0] !== 'tcp' && vals[0] !== 'udp') || !m || vals.length > 2) throw new IspConfigError(`${where}: forward tcp|udp HOSTPORT:CLIENTPORT`);
        const [hostP, clientP] = [m[1]!, m[2]!].map((p) => {
          const n = Number(p);
          if (n < LIMITS.port[0] || n > LIMITS.port[1]) throw err(`port ${p} out of range (${LIMITS.port[0]}-${LIMITS.port[1]})`);
          return n;
        }) as [number, number];
        // A host port can be bound once per protocol.
        const id = `${vals[0]} ${hostP}`;
        const before = forwardAt.get(id);
        if (before !== undefined) throw err(`${vals[0]} host port ${hostP} already forwarded on line ${before}`);
        forwardAt.set(id, i + 1);
        c.forwards.push({ proto: vals[0], hostPort: hostP, clientPort: clientP });
        break;
      }
      case 'status': need(1); c.status = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'console-token':
        need(1);
        // One word of printable ASCII (it travels in an HTTP header), long enough not to guess.
        if (vals.length > 1 || !/^[\x21-\x7e]+$/.test(v)) throw err('want one word of printable ASCII (no blanks)');
        if (v.length < 16) throw err(`too short (${v.length} characters; at least 16)`);
        c.consoleToken = v;
        break;
      case 'accounting': need(1); c.accounting = v; break;
      case 'max-sessions': need(1); c.maxSessions = int(v, LIMITS.maxSessions); break;
      case 'lcp-echo-interval': need(1); c.lcpEchoInterval = int(v, LIMITS.lcpEchoInterval); break;
      case 'lcp-echo-failure': need(1); c.lcpEchoFailure = int(v, LIMITS.lcpEchoFailure); break;
      case 'allow-outbound': need(1); c.allowOutbound = bool(v); break;
      case 'network': need(1); if (v !== 'nat' && v !== 'tun') throw err(`want nat or tun, got '${v}'`); c.network = v; break;
      case 'proxyarp': c.proxyarp = vals.length ? bool(v) : true; break;
      case 'ip-up': need(1); c.ipUp = v; break;
      case 'ip-down': need(1); c.ipDown = v; break;
      case 'ipv6-prefix':
        need(1);
        if (v !== 'ula' && v !== 'off') {
          try {
            parsePrefix64(v);
          } catch {
            throw err(`want ula, off or a /64 such as fd12:3456:789a::/64, got '${v}'`);
          }
        }
        c.ipv6Prefix = v;
        break;
      case 'ipv6-ula-global-id':
        need(1);
        if (!/^[0-9a-fA-F]{10}$/.test(v)) throw err(`want 10 hex digits (40 bits, RFC 4193), got '${v}'`);
        c.ipv6UlaGlobalId = v.toLowerCase();
        break;
      case 'debug': c.debug = vals.length ? bool(v) : true; break;
      // ---- Admission control and shutdown (hostile callers) ----
      case 'max-unauthenticated': need(1); c.maxUnauthenticated = int(v, [1, 100000]); break;
      case 'max-unauthenticated-per-source': need(1); c.maxUnauthenticatedPerSource = int(v, [1, 100000]); break;
      case 'auth-timeout': need(1); c.authTimeout = int(v, [1, 3600]); break;
      case 'max-unauthenticated-bytes': need(1); c.maxUnauthenticatedBytes = int(v, [1500, 16777216]); break;
      case 'auth-fail-delay': need(1); c.authFailDelay = int(v, [0, 3600]); break;
      case 'auth-fail-delay-max': need(1); c.authFailDelayMax = int(v, [0, 86400]); break;
      case 'stop-timeout': need(1); c.stopTimeout = int(v, [0, 3600]); break;
      case 'modem-idle-timeout': need(1); c.modemIdleTimeout = int(v, [0, 86400]); break;
      case 'modem-lines-per-source': need(1); c.modemLinesPerSource = int(v, LIMITS.modemLines); break;
      // ---- end of admission control ----
      // ---- Scale (docs/isp-scale.md) ----
      case 'subnet': {
        need(1);
        const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(v);
        if (!m || parseIp4(m[1]!) === undefined || Number(m[2]) < 8 || Number(m[2]) > 30) throw err(`want a CIDR block such as 100.64.0.0/10 (/8 to /30), got '${v}'`);
        c.subnet = v;
        break;
      }
      case 'workers': need(1); c.workers = int(v, [1, 256]); break;
      case 'listen-l2tp': need(1); c.listenL2tp = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'l2tp-secret': need(1); c.l2tpSecret = v; break;
      case 'l2tp-hostname': need(1); c.l2tpHostname = v; break;

      // ---- RADIUS accounting and dynamic authorization ----
      case 'radius-acct': {
        need(1);
        if (vals.length > 2) throw err('want HOST[:PORT] [SECRET]');
        const hp = /:\d+$/.test(vals[0]!) ? hostPort(vals[0]!, err) : { ...hostPort(`${vals[0]!}:1813`, err) };
        c.radiusAcct.push({ ...hp, ...(vals[1] ? { secret: vals[1] } : {}) });
        break;
      }
      case 'radius-acct-interim': need(1); c.radiusAcctInterim = int(v, [0, 86400]); break;
      case 'accounting-spool': need(1); c.accountingSpool = v; break;
      case 'accounting-spool-max': need(1); c.accountingSpoolMax = int(v, [65536, 2 ** 40]); break;
      case 'dae-listen': need(1); c.daeListen = v === 'off' ? undefined : hostPort(v, err, true); break;
      case 'dae-client':
        need(2);
        if (vals.length > 2) throw err('want ADDRESS SECRET (no blanks in either)');
        {
          // IPv4, or IPv6 kept in one text form (src/runtime/dae-udp.ts matches sources so).
          const a = vals[0]!;
          const v6 = parseIp6(a);
          if (parseIp4(a) === undefined && !v6) throw err(`not an IPv4 or IPv6 address: '${a}'`);
          c.daeClients.push({ address: canonicalIp(a), secret: vals[1]! });
        }
        break;
      case 'dae-window': need(1); c.daeWindow = int(v, [1, 86400]); break;
      // ---- end of RADIUS accounting ----
      // ---- RADIUS authentication (src/radius) ----
      case 'radius-auth': {
        need(1);
        const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::(\d+))?$/.exec(v);
        if (!m) throw err(`want HOST[:PORT], got '${v}'`);
        const port = m[2] === undefined ? 1812 : int(m[2], [1, 65535]);
        c.radiusAuth.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
        break;
      }
      case 'radius-secret': need(1); c.radiusSecret = v; break;
      case 'nas-identifier': need(1); if (v.length > 253) throw err('longer than 253 octets'); c.nasIdentifier = v; break;
      case 'nas-ip-address': need(1); c.nasIpAddress = ip(v); break;
      case 'radius-timeout': need(1); c.radiusTimeout = int(v, [1, 60]); break;
      case 'radius-retries': need(1); c.radiusRetries = int(v, [0, 10]); break;
      case 'radius-dictionary': need(1); c.radiusDictionary = v; break;
      case 'mppe':
        need(1);
        if (v !== 'no' && v !== 'optional' && v !== 'require') throw err(`want no, optional or require, got '${v}'`);
        c.mppe = v;
        break;
      case 'listen-pppoe':
        need(1);
        if (v === 'off') {
          c.listenPppoe = [];
          break;
        }
        // An interface name as Linux takes it (IFNAMSIZ 16 with the NUL; no '/' or blanks).
        if (vals.length > 1 || !/^[A-Za-z0-9_.:-]{1,15}$/.test(v)) throw err(`want an interface name such as eth0, got '${v}'`);
        if (!c.listenPppoe.includes(v)) c.listenPppoe.push(v);
        break;
      case 'pppoe-service':
        need(1);
        if (Buffer.byteLength(v) > 255) throw err('longer than 255 octets');
        c.pppoeServices.push(v);
        break;
      case 'pppoe-ac-name':
        need(1);
        if (Buffer.byteLength(v) > 255) throw err('longer than 255 octets');
        c.pppoeAcName = v;
        break;
      // ---- RADIUS session attributes ----
      case 'pool-name':
      case 'rate-limit':
        try {
          if (key === 'pool-name') c.namedPools.push(parseNamedPool(vals, i + 1, c.namedPools));
          else c.rateLimits.push(parseRateLimit(vals, i + 1, c.rateLimits));
        } catch (e) {
          throw err((e as Error).message);
        }
        break;
      default:
        throw new IspConfigError(`${where}: unknown keyword '${key}'`);
    }
  }
  checkNetwork(c, file, seen);
  checkListeners(c, file, seen);
  // Accounting that loses nothing needs somewhere durable for what the server has not taken.
  if (c.radiusAcct.length && c.radiusAcct.some((a) => !a.secret) && c.radiusSecret === undefined) throw new IspConfigError(`${file}:${seen.get('radius-acct')}: radius-acct: needs a SECRET after the address, or radius-secret`);
  if (c.radiusAcct.length && !c.accountingSpool) throw new IspConfigError(`${file}:${seen.get('radius-acct')}: radius-acct: needs accounting-spool DIR (where undelivered records wait)`);
  if (c.radiusAuth.length && c.radiusSecret === undefined) throw new IspConfigError(`${file}:${seen.get('radius-auth')}: radius-auth: needs radius-secret`);
  // RFC 3079 §2: MPPE's keys come from MS-CHAP; PAP and no authentication make none, so no
  // session could ever pass (pppd refuses require-mppe the same way when MS-CHAP is off).
  if (c.mppe === 'require' && (c.auth === 'pap' || c.auth === 'none')) throw new IspConfigError(`${file}:${seen.get('mppe')}: mppe: require needs keys from MS-CHAP, but auth ${c.auth} makes none (use auth chap or any)`);
  if (c.radiusSecret !== undefined && !c.radiusAuth.length && !c.radiusAcct.length) throw new IspConfigError(`${file}:${seen.get('radius-secret')}: radius-secret: without radius-auth`);
  return c;
}

/**
 * The addresses must fit the virtual network, the /24 around the gateway (src/isp/backend.ts):
 * the DNS address and the pool inside it, the pool clear of the gateway, the DNS address and
 * the network and broadcast addresses (RFC 919/922: host part all zeros or all ones).
 */
function checkNetwork(c: IspConfig, file: string, seen: Seen): void {
  const at = (key: string, fallback: string) => {
    const line = seen.get(key) ?? seen.get(fallback);
    return line === undefined ? `${file}` : `${file}:${line}`;
  };
  const gw = parseIp4(c.gateway)!;
  const bits = c.subnet ? Number(c.subnet.split('/')[1]) : NETWORK_BITS;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  const net = ((c.subnet ? parseIp4(c.subnet.split('/')[0]!)! : gw) & mask) >>> 0;
  const bcast = (net | ~mask) >>> 0;
  const netText = `${ipText(net)}/${bits}`;
  if (((gw & mask) >>> 0) !== net) throw new IspConfigError(`${at('subnet', 'gateway')}: subnet: the gateway ${c.gateway} is outside ${netText}`);
  const inside = (a: number) => ((a & mask) >>> 0) === net;
  if (gw === net || gw === bcast) throw new IspConfigError(`${at('gateway', 'gateway')}: gateway: ${c.gateway} is the network or broadcast address of ${netText}`);
  const dns = parseIp4(c.dns)!;
  if (!inside(dns) || dns === net || dns === bcast) throw new IspConfigError(`${at('dns', 'gateway')}: dns: ${c.dns} is not a host of the network ${netText} (${c.subnet ? 'subnet' : `the /24 around gateway ${c.gateway}`})`);
  if (dns === gw) throw new IspConfigError(`${at('dns', 'gateway')}: dns: ${c.dns} is the gateway's address`);
  const pool = AddressPool.parse(c.pool);
  const where = `${at('pool', 'gateway')}: pool`;
  if (!inside(pool.first) || !inside(pool.last)) throw new IspConfigError(`${where}: ${c.pool} is outside the network ${netText} (${c.subnet ? 'subnet' : `the /24 around gateway ${c.gateway}`})`);
  if (pool.first === net || pool.last === bcast) throw new IspConfigError(`${where}: ${c.pool} includes the network or broadcast address of ${netText}`);
  for (const [name, a] of [['gateway', gw], ['dns', dns]] as const) {
    if (a >= pool.first && a <= pool.last) throw new IspConfigError(`${where}: ${c.pool} includes the ${name} address ${ipText(a)}`);
  }
  const named = checkNamedPools(c.namedPools, { net, mask, netText, gateway: gw, dns, pool });
  if (named) throw new IspConfigError(`${file}:${named[0]}: pool-name: ${named[1]}`);
}

/** Two listeners on one address and port would fail at start-up: say so at load time. */
function checkListeners(c: IspConfig, file: string, seen: Seen): void {
  const taken = new Map<string, string>();
  const at = {
    'listen-ppp': c.listenPpp,
    'listen-modem': c.listenModem,
    'listen-modem-ip232': c.listenModemIp232,
    'listen-modem-ws': c.listenModemWs,
    'listen-direct': c.listenDirect,
    'listen-direct-ws': c.listenDirectWs,
    'listen-slip': c.listenSlip,
    status: c.status,
  } as const;
  for (const key of Object.keys(at) as (keyof typeof at)[]) {
    const a = at[key];
    if (!a || a.port === 0) continue; // any free port: never the same one twice
    const id = `${a.host}:${a.port}`;
    const other = taken.get(id);
    const line = seen.get(key);
    if (other) throw new IspConfigError(`${file}${line === undefined ? '' : `:${line}`}: ${key}: ${id} is already used by ${other}`);
    taken.set(id, key);
  }
}

/** The virtual network (CIDR) the sessions' NAT stacks use: `subnet`, or the /24 around the gateway. */
export function networkOf(c: IspConfig): string {
  return c.subnet ?? `${c.gateway.split('.').slice(0, 3).join('.')}.0/${NETWORK_BITS}`;
}

/** The /64 the server advertises ("fd..::/64"), or undefined when IPv6 is off. */
export function ipv6PrefixOf(c: IspConfig): string | undefined {
  if (c.ipv6Prefix === 'off') return undefined;
  const p = c.ipv6Prefix === 'ula' ? ulaPrefix(c.ipv6UlaGlobalId) : parsePrefix64(c.ipv6Prefix);
  return `${ip6ToString(Buffer.concat([p, Buffer.alloc(8)]))}/64`;
}
