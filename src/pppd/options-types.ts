/**
 * The state `dialtone pppd`'s options build up, and the error they raise. Kept apart from
 * the option table (option-table.ts) and the reader (options.ts) so both can import it.
 */
import type { SessionOptions } from '../ppp/session.js';
import type { LineSpec } from '../lines/line.js';

/** pppd's OPRIO_* (pppd.h): where a value came from decides whether it may be overridden. */
export const OPRIO = { DEFAULT: 0, CFGFILE: 1, CMDLINE: 2, SECFILE: 3 } as const;

/** A message about an option, for the terminal (and the log), in pppd's wording. */
export class OptionError extends Error {
  constructor(
    message: string,
    /** pppd's exit status for it: 2 (EXIT_OPTION_ERROR) unless pppd dies otherwise. */
    readonly status = 2,
    /** Where the offending word was: dialtone prints it after pppd's line. */
    readonly where?: { file: string; line: number },
  ) {
    super(message);
  }
}

export interface Notice {
  level: 'info' | 'warn';
  msg: string;
}

/** pppd's rp-pppoe.so plugin, built in: `plugin rp-pppoe.so` (or pppoe.so) and its options. */
export interface PppoeConfig {
  /** The plugin word as given (for `dump`). */
  plugin: string;
  /** The Ethernet interface (`nic-eth0` or a bare interface name). */
  ifname?: string;
  service?: string;
  acName?: string;
  acMac?: string;
  /** pppoe-padi-timeout (seconds) and pppoe-padi-attempts. */
  padiTimeout?: number;
  padiAttempts?: number;
  hostUniq?: string;
}

export interface PppdConfig {
  /** PPP over Ethernet (RFC 2516) instead of a line; see src/pppoe. */
  pppoe?: PppoeConfig;
  /** The line (pppd's device, `pty`, `notty`, `socket`, or dialtone's tcp:/tcp-listen:). */
  line?: LineSpec;
  /** The option that chose the line ("device name", "pty", "notty", "socket"). */
  lineFrom?: string;
  /** The device word, if one was given (pppd devnam). */
  devnam?: string;
  speed?: number;
  /** Options that map straight onto the PPP session. */
  session: Partial<SessionOptions>;
  /** local:remote as written; host names are resolved after parsing (resolveConfig). */
  localName?: string;
  remoteName?: string;
  /** `debug` count (pppd's debug level). */
  debugLevel: number;
  debug: boolean;
  kdebug?: number;
  nodetach: boolean;
  updetach: boolean;
  logfile?: string;
  /** pppd's log_to_fd: undefined = standard output (the default), -1 = none (`nolog`). */
  logfd?: number;
  pcap?: string;
  /** dialtone `socks [HOST:]PORT`: a SOCKS5 proxy into the link once IP is up. */
  socks?: string;
  /** dialtone `network tun|userspace`: a kernel interface (root), or the userspace default. */
  network?: 'tun' | 'userspace';
  /** dialtone `local-forward [BIND:]LPORT:HOST:PORT`, repeatable: ssh -L through the link. */
  localForwards?: string[];
  /** dialtone `l2tp-secret` / `l2tp-hostname`: the tunnel secret and Host Name of an `l2tp:` line. */
  l2tpSecret?: string;
  l2tpHostname?: string;
  /** Options accepted but not in effect (reported when the daemon starts, never silent). */
  notYet: string[];
  /** Informational notes about options whose effect differs (reported at start). */
  notes: string[];
  /** Warnings met while reading (pppd prints them at once with option_error). */
  warnings: string[];

  // -- process
  linkname?: string;
  unit?: number;
  ifname?: string;
  ipparam?: string;
  dump: boolean;
  dryrun: boolean;
  childTimeout: number;
  /** `set NAME=VALUE` (value) and `unset NAME` (undefined), in order. */
  userEnv: Array<{ name: string; value: string | undefined; source: string }>;
  ipUpScript?: string;
  ipDownScript?: string;
  callFile?: string;
  domain?: string;

  // -- the line
  lock: boolean;
  modem: boolean;
  /** pppd's crtscts: 1 crtscts, 2 cdtrcts, -1 nocrtscts, -2 xonxoff, 0 leave alone. */
  crtscts: number;
  stopBits?: number;
  init?: string;
  connect?: string;
  disconnect?: string;
  welcome?: string;
  ptyCommand?: string;
  notty: boolean;
  socket?: string;
  record?: string;
  connectDelay: number;
  /** pppd's xmit_accm: 256 bits of octets we escape; bit c is escape[c >> 3] & (1 << (c & 7)). */
  escape: Uint8Array;
  /** asyncmap as given (ORed); undefined = never given. */
  asyncmap?: number;
  defaultAsyncmap: boolean;

  // -- authentication
  authRequired: boolean;
  requirePap: boolean;
  requireChap: boolean;
  /** `noauth` was given (pppd's allow_any_ip). */
  allowAnyIp: boolean;
  name?: string;
  user?: string;
  explicitUser: boolean;
  password?: string;
  explicitPassword: boolean;
  remotename?: string;
  explicitRemote: boolean;
  usehostname: boolean;
  login: boolean;
  papcrypt: boolean;
  allowIp: Array<{ word: string; source: string }>;
  uaFile?: string;

  // -- policy
  persist: boolean;
  maxfail: number;
  holdoff: number;
  holdoffSpecified: boolean;
  demand: boolean;
  idle: number;
  maxconnect: number;

  // -- IP
  noip: boolean;
  noipdefault: boolean;
  netmask?: string;
  defaultroute: boolean;
  /** `nodefaultroute` was given: `defaultroute` is disabled from then on (pppd OPT_ENABLE). */
  nodefaultroute: boolean;
  defaultrouteMetric?: number;
  replacedefaultroute: boolean;
  proxyarp: boolean;
  noproxyarp: boolean;
  ktune: boolean;
  /** ms-dns / ms-wins words as given, with their source (resolved later). */
  msDns: Array<{ word: string; source: string }>;
  msWins: Array<{ word: string; source: string }>;
  usepeerdns: boolean;
  noresolvconf: boolean;
  mtu?: number;
  // -- IPv6
  /** ipv6cp-use-persistent: our identifier from an Ethernet address of the host (resolved at start). */
  ipv6cpUsePersistent?: boolean;
}

export function emptyConfig(): PppdConfig {
  const escape = new Uint8Array(32);
  // pppd tty_init: xmit_accm[3] = 0x60000000, i.e. 0x7d and 0x7e (always escaped anyway).
  escape[0x7d >> 3]! |= 1 << (0x7d & 7);
  escape[0x7e >> 3]! |= 1 << (0x7e & 7);
  return {
    session: {},
    debugLevel: 0,
    debug: false,
    nodetach: false,
    updetach: false,
    notYet: [],
    notes: [],
    warnings: [],
    dump: false,
    dryrun: false,
    childTimeout: 5,
    userEnv: [],
    lock: false,
    modem: true,
    crtscts: 0,
    notty: false,
    connectDelay: 1000,
    escape,
    defaultAsyncmap: false,
    authRequired: false,
    requirePap: false,
    requireChap: false,
    allowAnyIp: false,
    explicitUser: false,
    explicitPassword: false,
    explicitRemote: false,
    usehostname: false,
    login: false,
    papcrypt: false,
    allowIp: [],
    persist: false,
    maxfail: 10,
    holdoff: 30,
    holdoffSpecified: false,
    demand: false,
    idle: 0,
    maxconnect: 0,
    noip: false,
    noipdefault: false,
    defaultroute: false,
    nodefaultroute: false,
    replacedefaultroute: false,
    proxyarp: false,
    noproxyarp: false,
    ktune: false,
    msDns: [],
    msWins: [],
    usepeerdns: false,
    noresolvconf: false,
  };
}

/** Where the reader is: the context pppd keeps in option_source / option_priority. */
export interface ParseContext {
  cfg: PppdConfig;
  /** pppd's option_source: "command line" or the file name. */
  source: string;
  priority: number;
  /** After the command line: the device may no longer change (pppd devnam_fixed). */
  devnamFixed: boolean;
  /** The ppp directory (DIALTONE_PPP_DIR, default /etc/ppp). */
  pppDir: string;
  /** Reads an options file (for `file` and `call`): must exist. */
  readOptionsFile(path: string): void;
  /** Per-option state: pppd's priority/source/winner of each option group. */
  groups: Map<number, { priority: number; source: string; winner: number }>;
  /** The IP-address word's own priorities (pppd setipaddr's prio_local/prio_remote). */
  addrPrio: { local: number; remote: number; local6: number; remote6: number };
  depth: number;
}
