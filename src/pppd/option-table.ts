/**
 * pppd 2.4.9's options, in pppd's table order (options.c general_options, auth.c
 * auth_options, tty.c tty_options, then the protocols lcp, pap, chap, cbcp, ipcp, ipv6cp,
 * ccp, ecp, ipxcp, eap) as Debian builds it (SYSTEMD, USE_EAPTLS, CBCP_SUPPORT, IPX_CHANGE),
 * each with pppd's argument count, priority grouping (OPT_PRIO / OPT_PRIOSUB), checks,
 * messages and `dump` format, and with what dialtone does with it:
 *
 *  - most options are in effect;
 *  - options for the kernel's network side (defaultroute, proxyarp, netmask, ktune, mtu...)
 *    are recorded and reported ("not applied"), since dialtone has no kernel PPP interface;
 *  - options dialtone does not implement yet are accepted with a "not supported yet"
 *    warning when the link still works without them, and refused (exit 2) when going
 *    ahead would do something else than asked (plugin, sync, papcrypt...).
 *
 * Privileged options (OPT_PRIV, OPT_PRIVFIX) are treated as if pppd ran as root: dialtone is
 * never setuid, so there is nobody to protect the options from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inetAton, isBadAddress } from '../config/secrets.js';
import { ip4ToString } from '../wire/ipv4.js';
import { parseIp6 } from '../wire/ipv6.js';
import { llv6, validIdentifier } from '../ppp/ipv6cp.js';
import { parseLineSpec, type LineSpec } from '../lines/line.js';
import { OptionError, type ParseContext, type PppdConfig } from './options-types.js';
import { strerror } from '../runtime/strerror.js';
import { parseListen, parseLocalForward } from '../runtime/client-backend.js';

/** Checks a value with a parser that throws TypeError, as an option error; returns the text. */
function checked(value: string, parse: (v: string) => unknown): string {
  try {
    parse(value);
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  return value;
}

export interface OptionDef {
  /** The option word; for wild options (matched by shape) pppd's descriptive name. */
  name: string;
  args: 0 | 1;
  /** OPT_PRIO: the group keeps the priority of the value it holds. */
  prio?: boolean;
  /** OPT_PRIOSUB: member of the group of the option above. */
  sub?: boolean;
  /** OPT_DEVEQUIV: chooses the device; not allowed once the device is fixed. */
  devequiv?: boolean;
  /** OPT_NOPRINT: never in `dump`. */
  noprint?: boolean;
  /** o_wild: whether a word is this option. */
  wild?: (word: string) => boolean;
  apply(ctx: ParseContext, arg: string, word: string): void;
  /** The `dump` text for the option (pppd print_option, without the source comment). */
  print(cfg: PppdConfig): string;
}

// ---- pppd's number parsing ---------------------------------------------------------------

/** C strtoul(str, &end, base) for base 0 or 16: the value (mod 2^64, as unsigned long) or undefined if no digits. */
export function strtoul(str: string, base: 0 | 10 | 16): bigint | undefined {
  let i = 0;
  while (i < str.length && ' \t\n\v\f\r'.includes(str[i]!)) i++;
  let neg = false;
  if (str[i] === '+' || str[i] === '-') neg = str[i++] === '-';
  let b: number = base;
  const hexDigit = (c: string | undefined) => c !== undefined && /[0-9a-f]/i.test(c);
  if ((b === 0 || b === 16) && str[i] === '0' && (str[i + 1] === 'x' || str[i + 1] === 'X') && hexDigit(str[i + 2])) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = str[i] === '0' ? 8 : 10;
  }
  const valid = b === 16 ? /[0-9a-f]/i : b === 8 ? /[0-7]/ : /[0-9]/;
  let v = 0n;
  let digits = 0;
  const max = (1n << 64n) - 1n;
  let overflow = false;
  for (; i < str.length && valid.test(str[i]!); i++, digits++) {
    v = v * BigInt(b) + BigInt(parseInt(str[i]!, 16));
    if (v > max) overflow = true;
  }
  if (digits === 0) return undefined;
  if (overflow) return max;
  return neg ? (-v) & max : v;
}

/** pppd int_option: strtoul base 0, the unconsumed rest ignored, the value cast to int. */
export function intOption(arg: string, name: string): number {
  const v = strtoul(arg, 0);
  if (v === undefined) throw new OptionError(`invalid numeric parameter '${arg}' for ${name} option`);
  return Number(BigInt.asIntN(32, v));
}

function hexOption(arg: string, name: string): number {
  const v = strtoul(arg, 16);
  if (v === undefined) throw new OptionError(`invalid numeric parameter '${arg}' for ${name} option`);
  return Number(BigInt.asUintN(32, v));
}

/** pppd's %q: backslash before `"` and `\`, C escapes for control characters. */
export function q(s: string | undefined): string {
  if (s === undefined) return '<NULL>';
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += '\\';
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      const named = ({ 9: 't', 10: 'n', 8: 'b', 12: 'f' } as Record<number, string | undefined>)[c];
      out += '\\' + (named ?? `x${c.toString(16).padStart(2, '0')}`);
    } else out += ch;
  }
  return out;
}

/** pppd's parse_dotted_ip: 1-4 decimal parts, the number of characters used (0 = none). */
function parseDottedIp(p: string): { value: number; used: number } {
  let i = 0;
  let value = 0;
  let parts = 0;
  for (;;) {
    let n = 0;
    const start = i;
    while (i < p.length && /[0-9]/.test(p[i]!)) n = n * 10 + Number(p[i++]);
    if (i === start) return { value: 0, used: start };
    if (n > 255) return { value: 0, used: 0 };
    value = value * 256 + n;
    parts++;
    if (parts === 4 || p[i] !== '.' || !/[0-9]/.test(p[i + 1] ?? '')) break;
    i++;
  }
  value = value * 256 ** (4 - parts);
  return { value: value >>> 0, used: i };
}

// ---- helpers to declare options -----------------------------------------------------------

type Flags = Partial<Pick<OptionDef, 'prio' | 'sub' | 'devequiv' | 'noprint'>>;
const T: OptionDef[] = [];

function bool(name: string, set: (c: PppdConfig, ctx: ParseContext) => void, flags: Flags = {}): void {
  T.push({ name, args: 0, ...flags, apply: (ctx) => set(ctx.cfg, ctx), print: () => name });
}

interface IntFlags extends Flags {
  min?: number;
  max?: number;
  zeroOk?: boolean;
}

function int(name: string, set: (c: PppdConfig, n: number) => void, get: (c: PppdConfig) => number | undefined, flags: IntFlags = {}): void {
  const { min, max, zeroOk, ...f } = flags;
  T.push({
    name,
    args: 1,
    ...f,
    apply: (ctx, arg) => {
      const n = intOption(arg, name);
      const low = min !== undefined && n < min;
      const high = max !== undefined && n > max;
      if ((low || high) && !(zeroOk && n === 0)) {
        const zok = zeroOk ? ' zero or' : '';
        if (min !== undefined && max !== undefined) throw new OptionError(`${name} value must be${zok} between ${min} and ${max}`);
        if (min !== undefined) throw new OptionError(`${name} value must be${zok} >= ${min}`);
        throw new OptionError(`${name} value must be${zok} <= ${max}`);
      }
      set(ctx.cfg, n);
    },
    print: (c) => `${name} ${get(c) ?? 0}`,
  });
}

function str(name: string, set: (c: PppdConfig, v: string, ctx: ParseContext) => void, get: (c: PppdConfig) => string | undefined, flags: Flags & { hide?: boolean } = {}): void {
  const { hide, ...f } = flags;
  T.push({ name, args: 1, ...f, apply: (ctx, arg) => set(ctx.cfg, arg, ctx), print: (c) => `${name} ${hide ? '??????' : q(get(c))}` });
}

/**
 * Accepted, with a "not supported yet" warning when the daemon starts. `also` runs first: it
 * checks the argument as pppd does (throwing pppd's message) and may record something.
 */
function notYet(name: string, args: 0 | 1, why: string, flags: Flags = {}, also?: (c: PppdConfig, arg: string) => void): void {
  T.push({
    name,
    args,
    ...flags,
    apply: (ctx, arg) => {
      also?.(ctx.cfg, arg);
      const text = `${name}: ${why}`;
      if (!ctx.cfg.notYet.includes(text)) ctx.cfg.notYet.push(text);
    },
    print: () => name + (args ? ' xxx # [not supported by dialtone yet]' : ''),
  });
}

/** A notYet check for an o_int option: pppd's number parsing and OPT_LLIMIT message. */
function intCheck(name: string, min?: number): (c: PppdConfig, arg: string) => void {
  return (_c, arg) => {
    if (intOption(arg, name) < (min ?? -Infinity)) throw new OptionError(`${name} value must be >= ${min}`);
  };
}

/** Accepted: dialtone behaves that way anyway (a note at debug level, no warning). */
function inherent(name: string, args: 0 | 1, why: string, flags: Flags = {}): void {
  T.push({
    name,
    args,
    ...flags,
    apply: (ctx) => {
      const text = `${name}: ${why}`;
      if (!ctx.cfg.notes.includes(text)) ctx.cfg.notes.push(text);
    },
    print: () => name,
  });
}

/** Refused: dialtone cannot do it, and going ahead without it would not be what was asked. */
function refused(name: string, args: 0 | 1, why: string, flags: Flags = {}): void {
  T.push({
    name,
    args,
    ...flags,
    apply: () => {
      throw new OptionError(`${name} option is not supported by dialtone yet (${why})`);
    },
    print: () => name,
  });
}

/** Sets the session field; the session gets these when the link starts. */
const S = (c: PppdConfig) => c.session;

function setLine(ctx: ParseContext, line: LineSpec, from: string): void {
  ctx.cfg.line = line;
  ctx.cfg.lineFrom = from;
}

// ---- options.c general_options ------------------------------------------------------------

T.push({
  name: 'debug',
  args: 0,
  apply: (ctx) => {
    ctx.cfg.debugLevel++;
    ctx.cfg.debug = true;
    S(ctx.cfg).debug = true;
  },
  print: (c) => Array(Math.max(1, c.debugLevel)).fill('debug').join(' '),
});
T.push({ ...T[T.length - 1]!, name: '-d', print: (c) => Array(Math.max(1, c.debugLevel)).fill('-d').join(' ') });
int('kdebug', (c, n) => {
  c.kdebug = n;
  if (!c.notes.includes('kdebug: no kernel PPP driver to debug')) c.notes.push('kdebug: no kernel PPP driver to debug');
}, (c) => c.kdebug, { prio: true });
bool('nodetach', (c) => (c.nodetach = true), { prio: true });
bool('-detach', (c) => (c.nodetach = true), { sub: true });
// options.c (Debian builds with SYSTEMD): OPT_A2COPY sets nodetach too.
notYet('up_sdnotify', 0, 'systemd is not notified when the link is up; dialtone stays in the foreground as with nodetach', { sub: true }, (c) => {
  c.nodetach = true;
});
bool('updetach', (c) => {
  c.updetach = true;
  c.nodetach = false;
}, { sub: true });
notYet('master_detach', 0, 'multilink is not supported');
int('holdoff', (c, n) => {
  c.holdoff = n;
  c.holdoffSpecified = true;
}, (c) => c.holdoff, { prio: true });
int('idle', (c, n) => (c.idle = n), (c) => c.idle, { prio: true });
int('maxconnect', (c, n) => (c.maxconnect = n), (c) => c.maxconnect, { prio: true, min: 0 });
T.push({
  name: 'domain',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    ctx.cfg.domain = arg;
  },
  print: (c) => `domain ${q(c.domain)}`,
});
T.push({
  name: 'file',
  args: 1,
  noprint: true,
  apply: (ctx, arg) => ctx.readOptionsFile(underPppDir(ctx, arg)),
  print: () => 'file',
});
T.push({
  name: 'call',
  args: 1,
  noprint: true,
  apply: (ctx, arg) => {
    // options.c callfile: no leading '/', no ".." path component.
    const bad = arg === '' || arg.startsWith('/') || arg.split('/').some((part) => part === '..');
    if (bad) throw new OptionError('call option value may not contain .. or start with /');
    ctx.cfg.callFile = arg;
    ctx.readOptionsFile(path.join(ctx.pppDir, 'peers', arg));
  },
  print: () => 'call',
});
bool('persist', (c) => (c.persist = true), { prio: true });
bool('nopersist', (c) => (c.persist = false), { sub: true });
bool('demand', (c) => {
  c.demand = true;
  c.persist = true; // pppd: demand's addr2 is &persist
});
T.push({ name: '--version', args: 0, apply: () => { throw new EarlyExit('version'); }, print: () => '--version' });
T.push({ name: '--help', args: 0, apply: () => { throw new EarlyExit('help'); }, print: () => '--help' });
T.push({ name: '-h', args: 0, apply: () => { throw new EarlyExit('help'); }, print: () => '-h' });
T.push({
  name: 'logfile',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    // options.c setlogfile: opened now, so that a bad path is an option error.
    const file = path.resolve(arg);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
    } catch (err) {
      throw new OptionError(`Can't open log file ${arg}: ${strerror(err)}`);
    }
    fs.closeSync(fd);
    ctx.cfg.logfile = file;
    ctx.cfg.logfd = undefined;
  },
  print: (c) => `logfile ${q(c.logfile)}`,
});
int('logfd', (c, n) => {
  c.logfd = n;
  c.logfile = undefined;
}, (c) => c.logfd, { sub: true });
T.push({ name: 'nolog', args: 0, sub: true, apply: (ctx) => { ctx.cfg.logfd = -1; }, print: () => 'nolog' });
T.push({ name: 'nologfd', args: 0, sub: true, apply: (ctx) => { ctx.cfg.logfd = -1; }, print: () => 'nologfd' });
str('linkname', (c, v) => (c.linkname = v), (c) => c.linkname, { prio: true });
int('maxfail', (c, n) => (c.maxfail = n), (c) => c.maxfail, { prio: true });
bool('ktune', (c) => (c.ktune = true), { prio: true });
bool('noktune', (c) => (c.ktune = false), { sub: true });
int('connect-delay', (c, n) => (c.connectDelay = n), (c) => c.connectDelay, { prio: true });
int('unit', (c, n) => (c.unit = n), (c) => c.unit, { prio: true, min: 0 });
str('ifname', (c, v) => (c.ifname = v), (c) => c.ifname, { prio: true });
bool('dump', (c) => (c.dump = true));
bool('dryrun', (c) => (c.dryrun = true));
int('child-timeout', (c, n) => (c.childTimeout = n), (c) => c.childTimeout, { prio: true });
T.push({
  name: 'set',
  args: 1,
  apply: (ctx, arg) => {
    const eq = arg.indexOf('=');
    if (eq < 0) throw new OptionError(`missing = in name=value: ${arg}`);
    if (eq === 0) throw new OptionError(`missing variable name: ${arg}`);
    ctx.cfg.userEnv.push({ name: arg.slice(0, eq), value: arg.slice(eq + 1), source: ctx.source });
  },
  print: (c) => {
    const set = lastUserEnv(c).filter((e) => e.value !== undefined);
    return set.map((e, i) => `set ${e.name}=${e.value}` + (i < set.length - 1 ? `\t\t# (from ${e.source})` : '')).join('\n');
  },
});
T.push({
  name: 'unset',
  args: 1,
  apply: (ctx, arg) => {
    if (arg.includes('=')) throw new OptionError(`unexpected = in name: ${arg}`);
    if (arg === '') throw new OptionError('missing variable name for unset');
    ctx.cfg.userEnv.push({ name: arg, value: undefined, source: ctx.source });
  },
  print: (c) => {
    const unset = lastUserEnv(c).filter((e) => e.value === undefined);
    return unset.map((e, i) => `unset ${e.name}` + (i < unset.length - 1 ? `\t\t# (from ${e.source})` : '')).join('\n');
  },
});
int('defaultroute-metric', (c, n) => (c.defaultrouteMetric = n), (c) => c.defaultrouteMetric, { min: -1 });
str('ip-up-script', (c, v) => (c.ipUpScript = v), (c) => c.ipUpScript);
str('ip-down-script', (c, v) => (c.ipDownScript = v), (c) => c.ipDownScript);
notYet('multilink', 0, 'multilink is not supported; the link runs as a single link', { prio: true });
notYet('mp', 0, 'multilink is not supported; the link runs as a single link', { sub: true });
inherent('nomultilink', 0, 'dialtone never does multilink', { sub: true });
inherent('nomp', 0, 'dialtone never does multilink', { sub: true });
notYet('bundle', 1, 'multilink is not supported', { prio: true });
// pppd plugins cannot be loaded, but rp-pppoe.so (pppoe.so) is built in (src/pppoe): the
// plugin word turns on its options below, as loading it adds them to pppd's table.
T.push({
  name: 'plugin',
  args: 1,
  apply: (ctx, arg) => {
    if (!/^(rp-)?pppoe\.so$/.test(path.basename(arg))) throw new OptionError('plugin option is not supported by dialtone yet (dialtone cannot load pppd plugins; rp-pppoe.so is built in)');
    ctx.cfg.pppoe ??= { plugin: arg };
  },
  print: (c) => `plugin ${q(c.pppoe?.plugin)}`,
});
/** The rp-pppoe.so options exist only once the plugin is named (pppd: "unrecognized option"). */
function pppoeOption(name: string, set: (p: NonNullable<PppdConfig['pppoe']>, v: string) => void, get: (p: NonNullable<PppdConfig['pppoe']>) => string | number | undefined): void {
  T.push({
    name,
    args: 1,
    apply: (ctx, arg) => {
      if (!ctx.cfg.pppoe) throw new OptionError(`unrecognized option '${name}'`);
      set(ctx.cfg.pppoe, arg);
    },
    print: (c) => `${name} ${q(String(c.pppoe ? get(c.pppoe) ?? '' : ''))}`,
  });
}
pppoeOption('rp_pppoe_service', (p, v) => (p.service = v), (p) => p.service);
pppoeOption('rp_pppoe_ac', (p, v) => (p.acName = v), (p) => p.acName);
pppoeOption('rp_pppoe_mac', (p, v) => {
  if (!/^([0-9a-f]{1,2}[:-]){5}[0-9a-f]{1,2}$/i.test(v)) throw new OptionError(`invalid MAC address '${v}'`);
  p.acMac = v;
}, (p) => p.acMac);
pppoeOption('rp_pppoe_verbose', () => undefined, () => undefined);
pppoeOption('host-uniq', (p, v) => {
  if (!/^([0-9a-f]{2})+$/i.test(v)) throw new OptionError(`invalid host-uniq '${v}' (hex digits)`);
  p.hostUniq = v;
}, (p) => p.hostUniq);
pppoeOption('pppoe-padi-timeout', (p, v) => (p.padiTimeout = Math.max(1, intOption(v, 'pppoe-padi-timeout'))), (p) => p.padiTimeout);
pppoeOption('pppoe-padi-attempts', (p, v) => (p.padiAttempts = Math.max(1, intOption(v, 'pppoe-padi-attempts'))), (p) => p.padiAttempts);
// The plugin's "device name": nic-IFACE, or the name of an interface that exists.
T.push({
  name: 'pppoe device name',
  args: 0,
  devequiv: true,
  wild: (w) => /^nic-./.test(w) || (/^[A-Za-z0-9_.-]{1,15}$/.test(w) && !w.startsWith('.') && fs.existsSync(`/sys/class/net/${w}`)),
  apply: (ctx, _arg, word) => {
    if (!ctx.cfg.pppoe) throw new OptionError(`unrecognized option '${word}'`);
    ctx.cfg.pppoe.ifname = word.replace(/^nic-/, '');
    ctx.cfg.devnam = ctx.cfg.pppoe.ifname;
  },
  print: (c) => c.pppoe?.ifname ?? '',
});
notYet('pass-filter', 1, 'packet filters are not supported; every packet passes', { prio: true });
notYet('active-filter', 1, 'packet filters are not supported; every IP packet counts as activity for idle', { prio: true });
notYet('maxoctets', 1, 'traffic limits are not supported', { prio: true }, intCheck('maxoctets', 0));
notYet('mo', 1, 'traffic limits are not supported', { prio: true }, intCheck('mo', 0));
notYet('mo-direction', 1, 'traffic limits are not supported');
notYet('mo-timeout', 1, 'traffic limits are not supported', { prio: true }, intCheck('mo-timeout', 0));

// ---- auth.c auth_options --------------------------------------------------------------------

bool('auth', (c) => (c.authRequired = true), { prio: true });
bool('noauth', (c) => {
  c.authRequired = false;
  c.allowAnyIp = true;
}, { sub: true });
bool('require-pap', (c) => {
  c.requirePap = true;
  c.authRequired = true;
}, { sub: true });
bool('+pap', (c) => {
  c.requirePap = true;
  c.authRequired = true;
}, { sub: true });
bool('require-chap', (c) => {
  c.requireChap = true;
  c.authRequired = true;
}, { sub: true });
bool('+chap', (c) => {
  c.requireChap = true;
  c.authRequired = true;
}, { sub: true });
for (const o of ['require-mschap', '+mschap']) bool(o, (c) => {
  S(c).requireMschap = true;
  c.authRequired = true;
}, { sub: true });
for (const o of ['require-mschap-v2', '+mschap-v2']) bool(o, (c) => {
  S(c).requireMschapV2 = true;
  c.authRequired = true;
}, { sub: true });
bool('refuse-pap', (c) => (S(c).refusePap = true));
bool('-pap', (c) => (S(c).refusePap = true));
bool('refuse-chap', (c) => (S(c).refuseChap = true));
bool('-chap', (c) => (S(c).refuseChap = true));
bool('refuse-mschap', (c) => (S(c).refuseMschap = true));
bool('-mschap', (c) => (S(c).refuseMschap = true));
bool('refuse-mschap-v2', (c) => (S(c).refuseMschapV2 = true));
bool('-mschap-v2', (c) => (S(c).refuseMschapV2 = true));
bool('require-eap', (c) => {
  S(c).requireEap = true;
  c.authRequired = true;
}, { sub: true });
bool('refuse-eap', (c) => (S(c).refuseEap = true));
str('name', (c, v) => (c.name = v), (c) => c.name, { prio: true });
T.push({
  name: '+ua',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    // auth.c setupapfile: the user name on the first line, the password on the second.
    const file = underPppDir(ctx, arg);
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch (err) {
      throw new OptionError(`unable to open user login data file ${file}: ${strerror(err)}`);
    }
    const [u = '', p = ''] = text.split('\n');
    ctx.cfg.user = u.replace(/\r$/, '');
    ctx.cfg.explicitUser = true;
    ctx.cfg.password = p.replace(/\r$/, '');
    ctx.cfg.explicitPassword = true;
    ctx.cfg.uaFile = file;
  },
  print: (c) => `+ua ${q(c.uaFile)}`,
});
str('user', (c, v) => {
  c.user = v;
  c.explicitUser = true;
}, (c) => c.user, { prio: true });
str('password', (c, v) => {
  c.password = v;
  c.explicitPassword = true;
}, (c) => c.password, { prio: true, hide: true });
bool('usehostname', (c) => (c.usehostname = true));
str('remotename', (c, v) => {
  c.remotename = v;
  c.explicitRemote = true;
}, (c) => c.remotename, { prio: true });
bool('login', (c) => (c.login = true));
notYet('enable-session', 0, 'session accounting (utmp/wtmp, PAM sessions) is not done');
refused('papcrypt', 0, 'crypt(3)-encrypted PAP secrets cannot be checked');
inherent('privgroup', 1, 'dialtone is not setuid: every option is allowed to everyone');
T.push({
  name: 'allow-ip',
  args: 1,
  apply: (ctx, arg) => {
    ctx.cfg.allowIp.push({ word: arg, source: ctx.source });
    const text = 'allow-ip: not supported yet; a peer must authenticate when authentication is required';
    if (!ctx.cfg.notYet.includes(text)) ctx.cfg.notYet.push(text);
  },
  print: (c) => listPrint('allow-ip', c.allowIp),
});
notYet('remotenumber', 1, 'there is no caller number to check', { prio: true });
notYet('allow-number', 1, 'there is no caller number to check');
// auth.c, USE_EAPTLS (Debian's build has it): plain strings, checked only when EAP-TLS runs.
const NO_EAPTLS = 'EAP-TLS is not supported; certificates, keys and CRLs are not used';
for (const o of ['ca', 'capath', 'cert', 'key', 'crl-dir', 'crl', 'max-tls-version']) notYet(o, 1, NO_EAPTLS);
notYet('need-peer-eap', 0, 'EAP-TLS is not supported; the peer is not required to authenticate us with EAP');

// ---- tty.c tty_options ----------------------------------------------------------------------

T.push({
  name: 'device name',
  args: 0,
  devequiv: true,
  wild: (w) => deviceWord(w) !== undefined,
  apply: (ctx, _arg, word) => {
    const line = deviceWord(word)!;
    if (line.kind === 'device') {
      // tty.c setdevname: a node that exists must be a character device.
      try {
        const st = fs.statSync(line.path);
        if (!st.isCharacterDevice()) throw new OptionError(`${line.path} is not a character device`);
      } catch (err) {
        if (err instanceof OptionError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') throw new OptionError(`Couldn't stat ${line.path}: ${strerror(err)}`);
      }
    }
    setLine(ctx, line, 'device name');
    ctx.cfg.devnam = word;
  },
  print: (c) => q(c.line && c.lineFrom === 'device name' ? lineWord(c.line) : ''),
});
T.push({
  name: 'tty speed',
  args: 0,
  prio: true,
  wild: (w) => speedWord(w) !== undefined,
  apply: (ctx, _arg, word) => {
    ctx.cfg.speed = speedWord(word)!;
  },
  print: (c) => q(String(c.speed ?? '')),
});
T.push({ name: 'lock', args: 0, prio: true, apply: (ctx) => { ctx.cfg.lock = true; }, print: (c) => (c.lock ? 'lock' : '') });
bool('nolock', (c) => (c.lock = false), { sub: true });
str('init', (c, v) => (c.init = v), (c) => c.init, { prio: true });
str('connect', (c, v) => (c.connect = v), (c) => c.connect, { prio: true });
str('disconnect', (c, v) => (c.disconnect = v), (c) => c.disconnect, { prio: true });
str('welcome', (c, v) => (c.welcome = v), (c) => c.welcome, { prio: true });
str('pty', (c, v, ctx) => {
  c.ptyCommand = v;
  setLine(ctx, { kind: 'pty', command: v }, 'pty');
}, (c) => c.ptyCommand, { prio: true, devequiv: true });
bool('notty', (c, ctx) => {
  c.notty = true;
  setLine(ctx, { kind: 'stdio' }, 'notty');
}, { devequiv: true });
str('socket', (c, v, ctx) => {
  // tty.c open_socket: "host:port"; dialtone connects with its tcp: line.
  const i = v.lastIndexOf(':');
  const port = i < 0 ? NaN : Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new OptionError(`socket option value must be host:port, not ${v}`);
  c.socket = v;
  setLine(ctx, { kind: 'tcp', host: v.slice(0, i) || '127.0.0.1', port }, 'socket');
}, (c) => c.socket, { prio: true, devequiv: true });
// tty.c: the line's bytes both ways, in pppdump's format (appended to FILE): record-file.ts.
str('record', (c, v) => {
  c.record = path.resolve(v);
}, (c) => c.record, { prio: true });
T.push({ name: 'crtscts', args: 0, prio: true, apply: (ctx) => { ctx.cfg.crtscts = 1; }, print: () => 'crtscts' });
T.push({ name: 'cdtrcts', args: 0, sub: true, apply: (ctx) => { ctx.cfg.crtscts = 2; }, print: () => 'cdtrcts' });
T.push({ name: 'nocrtscts', args: 0, sub: true, apply: (ctx) => { ctx.cfg.crtscts = -1; }, print: () => 'nocrtscts' });
T.push({ name: '-crtscts', args: 0, sub: true, apply: (ctx) => { ctx.cfg.crtscts = -1; }, print: () => '-crtscts' });
T.push({ name: 'nocdtrcts', args: 0, sub: true, apply: (ctx) => { ctx.cfg.crtscts = -1; }, print: () => 'nocdtrcts' });
T.push({
  name: 'xonxoff',
  args: 0,
  sub: true,
  apply: (ctx) => {
    // tty.c setxonxoff: escape ^S and ^Q, software flow control.
    ctx.cfg.asyncmap = ((ctx.cfg.asyncmap ?? 0) | 0x000a0000) >>> 0;
    ctx.cfg.crtscts = -2;
  },
  print: () => 'xonxoff',
});
int('stop-bits', (c, n) => {
  c.stopBits = n;
  const text = 'stop-bits: not supported yet; the serial line keeps its stop bits';
  if (!c.notYet.includes(text)) c.notYet.push(text);
}, (c) => c.stopBits, { prio: true, min: 1, max: 2 });
// print_option shows a bool only while it still has its value (pppd clears lock and modem for pty lines).
T.push({ name: 'modem', args: 0, prio: true, apply: (ctx) => { ctx.cfg.modem = true; }, print: (c) => (c.modem ? 'modem' : '') });
T.push({ name: 'local', args: 0, sub: true, apply: (ctx) => { ctx.cfg.modem = false; }, print: (c) => (c.modem ? '' : 'local') });
refused('sync', 0, 'synchronous HDLC serial lines are not supported');
notYet('datarate', 1, 'rate limiting of pty/notty/record lines is not supported', { prio: true }, intCheck('datarate'));
T.push({
  name: 'escape',
  args: 1,
  apply: (ctx, arg) => {
    // tty.c setescape: hex numbers separated by commas or spaces.
    let p = arg;
    let ok = true;
    while (p.length > 0) {
      const m = /^\s*[+-]?(0x)?[0-9a-f]+/i.exec(p);
      if (!m) throw new OptionError(`escape parameter contains invalid hex number '${p}'`);
      const n = parseInt(m[0].trim(), 16);
      p = p.slice(m[0].length);
      if (n < 0 || n === 0x5e || n > 0xff) {
        ctx.cfg.warnings.push(`can't escape character 0x${(n >>> 0).toString(16)}`);
        ok = false;
      } else {
        ctx.cfg.escape[n >> 3]! |= 1 << (n & 7);
      }
      p = p.replace(/^[, ]+/, '');
    }
    if (!ok) throw new OptionError(ctx.cfg.warnings.pop()!);
  },
  print: (c) => {
    const list: string[] = [];
    for (let n = 0; n < 256; n++) {
      if (n === 0x7d) n += 2;
      if (c.escape[n >> 3]! & (1 << (n & 7))) list.push(n.toString(16));
    }
    return `escape ${list.length ? list.join(',') : 'oops # nothing escaped'}`;
  },
});

// ---- lcp.c ----------------------------------------------------------------------------------

notYet('-all', 0, 'LCP options are negotiated as usual');
bool('noaccomp', (c) => (S(c).accomp = false));
bool('-ac', (c) => (S(c).accomp = false));
T.push({
  name: 'asyncmap',
  args: 1,
  apply: (ctx, arg, word) => {
    ctx.cfg.asyncmap = ((ctx.cfg.asyncmap ?? 0) | hexOption(arg, word)) >>> 0;
  },
  print: (c) => `asyncmap ${(c.asyncmap ?? 0).toString(16)}`,
});
T.push({ ...T[T.length - 1]!, name: '-as', print: (c) => `-as ${(c.asyncmap ?? 0).toString(16)}` });
bool('default-asyncmap', (c) => (c.defaultAsyncmap = true));
bool('-am', (c) => (c.defaultAsyncmap = true));
bool('nomagic', (c) => (S(c).magic = false));
bool('-mn', (c) => (S(c).magic = false));
int('mru', (c, n) => (S(c).mru = n), (c) => c.session.mru, { prio: true });
bool('default-mru', (c) => (S(c).mru = 1500), { sub: true });
bool('-mru', (c) => (S(c).mru = 1500), { sub: true });
int('mtu', (c, n) => (c.mtu = n), (c) => c.mtu, { min: 128, max: 16384 });
bool('nopcomp', (c) => (S(c).pcomp = false));
bool('-pc', (c) => (S(c).pcomp = false));
bool('passive', (c) => (S(c).passive = true));
bool('-p', (c) => (S(c).passive = true));
bool('silent', (c) => (S(c).silent = true));
int('lcp-echo-failure', (c, n) => (S(c).lcpEchoFailure = n), (c) => c.session.lcpEchoFailure, { prio: true });
int('lcp-echo-interval', (c, n) => (S(c).lcpEchoInterval = n), (c) => c.session.lcpEchoInterval, { prio: true });
notYet('lcp-echo-adaptive', 0, 'echo-requests are sent at every interval, traffic or not');
int('lcp-restart', (c, n) => (S(c).lcpRestart = n), (c) => c.session.lcpRestart, { prio: true });
int('lcp-max-terminate', (c, n) => (S(c).lcpMaxTerminate = n), (c) => c.session.lcpMaxTerminate, { prio: true });
int('lcp-max-configure', (c, n) => (S(c).lcpMaxConfigure = n), (c) => c.session.lcpMaxConfigure, { prio: true });
int('lcp-max-failure', (c, n) => (S(c).lcpMaxFailure = n), (c) => c.session.lcpMaxFailure, { prio: true });
notYet('receive-all', 0, 'control characters in the receive asyncmap are still dropped');
notYet('mrru', 1, 'multilink is not supported', { prio: true }, intCheck('mrru'));
notYet('mpshortseq', 0, 'multilink is not supported', { prio: true });
inherent('nompshortseq', 0, 'dialtone never does multilink', { sub: true });
notYet('endpoint', 1, 'multilink is not supported', { prio: true });
// lcp.c: neither propose an endpoint discriminator (dialtone never does) nor accept the peer's.
bool('noendpoint', (c) => (S(c).noendpoint = true));

// ---- upap.c, chap-new.c ---------------------------------------------------------------------

inherent('hide-password', 0, 'dialtone never prints passwords', { prio: true });
notYet('show-password', 0, 'dialtone never prints passwords, even with debug', { sub: true });
int('pap-restart', (c, n) => (S(c).papRestart = n), (c) => c.session.papRestart, { prio: true });
int('pap-max-authreq', (c, n) => (S(c).papMaxAuthReq = n), (c) => c.session.papMaxAuthReq, { prio: true });
int('pap-timeout', (c, n) => (S(c).papTimeout = n), (c) => c.session.papTimeout, { prio: true });
int('chap-restart', (c, n) => (S(c).chapRestart = n), (c) => c.session.chapRestart, { prio: true });
int('chap-max-challenge', (c, n) => (S(c).chapMaxChallenge = n), (c) => c.session.chapMaxChallenge, { prio: true });
int('chap-interval', (c, n) => (S(c).chapInterval = n), (c) => c.session.chapInterval, { prio: true });
int('chap-timeout', (c, n) => (S(c).chapTimeout = n), (c) => c.session.chapTimeout, { prio: true });
bool('chapms-strip-domain', (c) => (S(c).chapmsStripDomain = true));

// ---- cbcp.c ---------------------------------------------------------------------------------

notYet('callback', 1, 'CBCP callback is not supported; the link stays on the call we made, as with a peer that declines CBCP', { prio: true });

// ---- ipcp.c ---------------------------------------------------------------------------------

bool('noip', (c) => (c.noip = true));
bool('-ip', (c) => (c.noip = true));
// ipcp.c: VJ header compression (RFC 1144) is asked for and accepted unless turned off.
bool('novj', (c) => (S(c).vj = false));
bool('-vj', (c) => (S(c).vj = false));
bool('novjccomp', (c) => (S(c).vjCcomp = false));
bool('-vjccomp', (c) => (S(c).vjCcomp = false));
T.push({
  name: 'vj-max-slots',
  args: 1,
  prio: true,
  apply: (ctx, arg, word) => {
    const n = intOption(arg, word);
    // ipcp.c setvjslots.
    if (n < 2 || n > 16) throw new OptionError('vj-max-slots value must be between 2 and 16');
    S(ctx.cfg).vjMaxSlots = n;
  },
  print: (c) => `vj-max-slots ${c.session.vjMaxSlots}`,
});
bool('ipcp-accept-local', (c) => (S(c).acceptLocal = true));
bool('ipcp-accept-remote', (c) => (S(c).acceptRemote = true));
str('ipparam', (c, v) => (c.ipparam = v), (c) => c.ipparam, { prio: true });
bool('noipdefault', (c) => (c.noipdefault = true));
T.push({
  name: 'ms-dns',
  args: 1,
  apply: (ctx, arg) => void ctx.cfg.msDns.push({ word: arg, source: ctx.source }),
  print: (c) => listPrint('ms-dns', c.msDns),
});
T.push({
  name: 'ms-wins',
  args: 1,
  apply: (ctx, arg) => void ctx.cfg.msWins.push({ word: arg, source: ctx.source }),
  print: (c) => listPrint('ms-wins', c.msWins),
});
int('ipcp-restart', (c, n) => (S(c).ipcpRestart = n), (c) => c.session.ipcpRestart, { prio: true });
int('ipcp-max-terminate', (c, n) => (S(c).ipcpMaxTerminate = n), (c) => c.session.ipcpMaxTerminate, { prio: true });
int('ipcp-max-configure', (c, n) => (S(c).ipcpMaxConfigure = n), (c) => c.session.ipcpMaxConfigure, { prio: true });
int('ipcp-max-failure', (c, n) => (S(c).ipcpMaxFailure = n), (c) => c.session.ipcpMaxFailure, { prio: true });
bool('defaultroute', (c) => {
  // ipcp.c: OPT_ENABLE on ipcp_allowoptions.default_route, which nodefaultroute clears.
  if (c.nodefaultroute) throw new OptionError('defaultroute option is disabled');
  c.defaultroute = true;
});
for (const o of ['nodefaultroute', '-defaultroute']) {
  bool(o, (c) => {
    c.defaultroute = false;
    c.nodefaultroute = true;
  });
}
bool('replacedefaultroute', (c) => (c.replacedefaultroute = true));
bool('noreplacedefaultroute', (c) => (c.replacedefaultroute = false));
bool('proxyarp', (c) => {
  if (c.noproxyarp) throw new OptionError('proxyarp option is disabled');
  c.proxyarp = true;
});
for (const o of ['noproxyarp', '-proxyarp']) {
  bool(o, (c) => {
    c.proxyarp = false;
    c.noproxyarp = true;
  });
}
bool('usepeerdns', (c) => (c.usepeerdns = true));
T.push({
  name: 'netmask',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    const { value, used } = parseDottedIp(arg);
    if (used === 0 || used !== arg.length) throw new OptionError(`invalid netmask value '${arg}'`);
    ctx.cfg.netmask = ip4ToString(value);
  },
  print: (c) => `netmask ${q(c.netmask)}`,
});
notYet('ipcp-no-addresses', 0, 'the old IP-Addresses option is never used anyway');
notYet('ipcp-no-address', 0, 'IP addresses are always negotiated');
notYet('noremoteip', 0, 'the peer must have an IP address');
notYet('nosendip', 0, 'our IP address is always sent');
T.push({
  name: 'IP addresses',
  args: 0,
  wild: (w) => w.includes(':'),
  apply: (ctx, _arg, word) => {
    // ipcp.c setipaddr: split at the first colon; each side keeps the highest priority.
    const colon = word.indexOf(':');
    const local = word.slice(0, colon);
    const remote = word.slice(colon + 1);
    if (local && ctx.priority >= ctx.addrPrio.local) {
      checkAddressWord(local, 'local');
      ctx.cfg.localName = local;
      ctx.addrPrio.local = ctx.priority;
    }
    if (remote && ctx.priority >= ctx.addrPrio.remote) {
      checkAddressWord(remote, 'remote');
      ctx.cfg.remoteName = remote;
      ctx.addrPrio.remote = ctx.priority;
    }
  },
  print: (c) => `${c.localName ?? ''}:${c.remoteName ?? ''}`,
});

// ---- ipv6cp.c, ccp.c ------------------------------------------------------------------------

T.push({
  name: 'ipv6',
  args: 1,
  apply: (ctx, arg) => {
    // ipv6cp.c setifaceid: "<local>,<remote>", either side may be empty; each identifier is
    // written as an IPv6 address with only the low 64 bits set; each side keeps its priority.
    const comma = arg.indexOf(',');
    const local = comma < 0 ? arg : arg.slice(0, comma);
    const remote = comma < 0 ? '' : arg.slice(comma + 1);
    const ident = (text: string, side: string) => {
      const a = parseIp6(text);
      if (!a || !validIdentifier(a)) throw new OptionError(`Illegal interface identifier (${side}): ${text}`);
      return a.subarray(8);
    };
    if (local) {
      const id = ident(local, 'local');
      if (ctx.priority >= ctx.addrPrio.local6) {
        S(ctx.cfg).ipv6LocalId = id;
        ctx.addrPrio.local6 = ctx.priority;
      }
    }
    if (remote) {
      const id = ident(remote, 'remote');
      if (ctx.priority >= ctx.addrPrio.remote6) {
        S(ctx.cfg).ipv6RemoteId = id;
        ctx.addrPrio.remote6 = ctx.priority;
      }
    }
    // override_value("+ipv6", ...): naming identifiers enables IPv6 unless a stronger noipv6 said no.
    const head = T.findIndex((d) => d.name === '+ipv6');
    const g = ctx.groups.get(head);
    if (!g || ctx.priority >= g.priority) {
      S(ctx.cfg).noipv6 = false;
      ctx.groups.set(head, { priority: ctx.priority, source: ctx.source, winner: head });
    }
  },
  print: (c) => `ipv6 ${c.session.ipv6LocalId ? llv6(c.session.ipv6LocalId) : ''},${c.session.ipv6RemoteId ? llv6(c.session.ipv6RemoteId) : ''}`,
});
bool('+ipv6', (c) => (S(c).noipv6 = false), { prio: true });
bool('noipv6', (c) => (S(c).noipv6 = true), { sub: true });
bool('-ipv6', (c) => (S(c).noipv6 = true), { sub: true });
bool('ipv6cp-accept-local', (c) => (S(c).ipv6cpAcceptLocal = true));
bool('ipv6cp-accept-remote', (c) => (S(c).ipv6cpAcceptRemote = true));
notYet('defaultroute6', 0, 'not applied (no kernel PPP interface; see README)');
for (const o of ['nodefaultroute6', '-defaultroute6']) inherent(o, 0, 'no IPv6 route is ever added');
bool('ipv6cp-use-ipaddr', (c) => (S(c).ipv6cpUseIpaddr = true));
bool('ipv6cp-use-persistent', (c) => (c.ipv6cpUsePersistent = true));
int('ipv6cp-restart', (c, n) => (S(c).ipv6cpRestart = n), (c) => c.session.ipv6cpRestart, { prio: true });
int('ipv6cp-max-terminate', (c, n) => (S(c).ipv6cpMaxTerminate = n), (c) => c.session.ipv6cpMaxTerminate, { prio: true });
int('ipv6cp-max-configure', (c, n) => (S(c).ipv6cpMaxConfigure = n), (c) => c.session.ipv6cpMaxConfigure, { prio: true });
int('ipv6cp-max-failure', (c, n) => (S(c).ipv6cpMaxFailure = n), (c) => c.session.ipv6cpMaxFailure, { prio: true });
bool('noccp', (c) => (S(c).noccp = true));
bool('-ccp', (c) => (S(c).noccp = true));
/**
 * ccp.c setbsdcomp / setdeflate: `n` or `n,m` (strtol base 0), each 0 or in range; n is
 * what we ask for (receive), m what we allow (send).
 */
function compressionPair(arg: string, name: string, min: number, max: number): [number, number] {
  const m = /^\s*([+-]?(?:0[xX][0-9a-fA-F]+|[0-9]+))(?:,\s*([+-]?(?:0[xX][0-9a-fA-F]+|[0-9]+)))?$/.exec(arg);
  if (!m) throw new OptionError(`invalid parameter '${arg}' for ${name} option`);
  const r = intOption(m[1]!, name);
  const a = m[2] === undefined ? r : intOption(m[2], name);
  const bad = (n: number) => n !== 0 && (n < min || n > max);
  if (bad(r) || bad(a)) throw new OptionError(`${name} option values must be 0 or ${min} .. ${max}`);
  return [r, a];
}
const pairText = (r: number, a: number) => (r === a ? `${r}` : `${r},${a}`);
T.push({
  name: 'bsdcomp',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    [S(ctx.cfg).bsdWant, S(ctx.cfg).bsdAllow] = compressionPair(arg, 'bsdcomp', 9, 15);
  },
  print: (c) => `bsdcomp ${pairText(c.session.bsdWant ?? 15, c.session.bsdAllow ?? 15)}`,
});
for (const o of ['nobsdcomp', '-bsdcomp']) {
  bool(o, (c) => {
    S(c).bsdWant = 0;
    S(c).bsdAllow = 0;
  }, { sub: true });
}
T.push({
  name: 'deflate',
  args: 1,
  prio: true,
  apply: (ctx, arg) => {
    let [r, a] = compressionPair(arg, 'deflate', 8, 15);
    if (r === 8 || a === 8) {
      // ccp.c: DEFLATE_MIN_SIZE works around a zlib bug.
      if (r === 8) r = 9;
      if (a === 8) a = 9;
      ctx.cfg.warnings.push('deflate option value of 8 changed to 9 to avoid zlib bug');
    }
    S(ctx.cfg).deflateWant = r;
    S(ctx.cfg).deflateAllow = a;
  },
  print: (c) => `deflate ${pairText(c.session.deflateWant ?? 15, c.session.deflateAllow ?? 15)}`,
});
for (const o of ['nodeflate', '-deflate']) {
  bool(o, (c) => {
    S(c).deflateWant = 0;
    S(c).deflateAllow = 0;
  }, { sub: true });
}
bool('nodeflatedraft', (c) => (S(c).deflateDraft = false));
notYet('predictor1', 0, 'Predictor-1 is not implemented (nor in Linux); other methods are offered');
for (const o of ['nopredictor1', '-predictor1']) inherent(o, 0, 'Predictor-1 is never used', { sub: true });
// MPPE (ccp.c built with MPPE): the strengths wanted are ccp_wantoptions.mppe's bits;
// require-mppe sets both, nomppe clears both, the -40/-128 forms OR in or clear one bit
// (OPT_A2OR / OPT_A2CLRB). Stateful mode is refused unless mppe-stateful.
const mppeWant = (c: PppdConfig, bits: { b40?: boolean; b128?: boolean }): void => {
  if (bits.b40 !== undefined) S(c).mppe40 = bits.b40;
  if (bits.b128 !== undefined) S(c).mppe128 = bits.b128;
};
for (const o of ['require-mppe', '+mppe']) bool(o, (c) => mppeWant(c, { b40: true, b128: true }), { prio: true });
for (const o of ['nomppe', '-mppe']) bool(o, (c) => mppeWant(c, { b40: false, b128: false }), { prio: true });
for (const o of ['require-mppe-40', '+mppe-40']) bool(o, (c) => mppeWant(c, { b40: true }), { prio: true });
for (const o of ['nomppe-40', '-mppe-40']) bool(o, (c) => mppeWant(c, { b40: false }), { sub: true });
for (const o of ['require-mppe-128', '+mppe-128']) bool(o, (c) => mppeWant(c, { b128: true }), { prio: true });
for (const o of ['nomppe-128', '-mppe-128']) bool(o, (c) => mppeWant(c, { b128: false }), { sub: true });
bool('mppe-stateful', (c) => (S(c).refuseMppeStateful = false), { prio: true });
bool('nomppe-stateful', (c) => (S(c).refuseMppeStateful = true), { prio: true });

// ---- ecp.c, ipxcp.c -------------------------------------------------------------------------

for (const o of ['noecp', '-ecp']) inherent(o, 0, 'ECP is never run; a peer\'s ECP gets a Protocol-Reject');
const NO_IPX = 'IPX is not supported; a peer\'s IPXCP gets a Protocol-Reject';
notYet('ipx', 0, NO_IPX, { prio: true });
notYet('+ipx', 0, NO_IPX, { sub: true });
// Debian's stock /etc/ppp/options says noipx.
for (const o of ['noipx', '-ipx']) inherent(o, 0, 'IPXCP is never run', { sub: true });
notYet('ipx-network', 1, NO_IPX, { prio: true }, (_c, arg) => void hexOption(arg, 'ipx-network'));
notYet('ipxcp-accept-network', 0, NO_IPX);
notYet('ipx-node', 1, NO_IPX, {}, (_c, arg) => {
  // ipxcp.c setipxnode: hex digits, optionally ':' and the peer's hex digits.
  if (!/^[0-9a-f]*(:[0-9a-f]*)?$/i.test(arg)) throw new OptionError(`invalid parameter '${arg}' for ipx-node option`);
});
notYet('ipxcp-accept-local', 0, NO_IPX);
notYet('ipxcp-accept-remote', 0, NO_IPX);
notYet('ipx-routing', 1, NO_IPX, { prio: true }, intCheck('ipx-routing'));
notYet('ipx-router-name', 1, NO_IPX, { prio: true }, (_c, arg) => {
  // ipxcp.c setipxname: each character is checked, then the length (a 48-byte field).
  for (let i = 0; i < arg.length; i++) {
    if (!/[A-Za-z0-9_]/.test(arg[i]!)) throw new OptionError('IPX router name must be alphanumeric or _');
    if (i >= 47) throw new OptionError('IPX router name is limited to 47 characters');
  }
});
for (const o of ['ipxcp-restart', 'ipxcp-max-terminate', 'ipxcp-max-configure', 'ipxcp-max-failure']) {
  notYet(o, 1, NO_IPX, { prio: true }, intCheck(o));
}

// ---- eap.c ----------------------------------------------------------------------------------

int('eap-restart', (c, n) => (S(c).eapRestart = n), (c) => c.session.eapRestart);
int('eap-max-sreq', (c, n) => (S(c).eapMaxSreq = n), (c) => c.session.eapMaxSreq);
int('eap-timeout', (c, n) => (S(c).eapTimeout = n), (c) => c.session.eapTimeout);
int('eap-max-rreq', (c, n) => (S(c).eapMaxRreq = n), (c) => c.session.eapMaxRreq);
int('eap-interval', (c, n) => (S(c).eapInterval = n), (c) => c.session.eapInterval);
notYet('srp-interval', 1, 'EAP-SRP is not supported');

// ---- dialtone's own ---------------------------------------------------------------------------

str('pcap', (c, v) => (c.pcap = path.resolve(v)), (c) => c.pcap);
// The userspace network of a dial-out link: applications here reach the link's network.
str('socks', (c, v) => (c.socks = checked(v, parseListen)), (c) => c.socks);
T.push({
  name: 'local-forward',
  args: 1,
  apply: (ctx, arg) => (ctx.cfg.localForwards = [...(ctx.cfg.localForwards ?? []), checked(arg, parseLocalForward)]),
  print: (c) => (c.localForwards ?? []).map((f) => `local-forward ${f}`).join('\n'),
});
bool('noresolvconf', (c) => (c.noresolvconf = true));
// The kernel interface backend (src/tun): ppp0 with routes, as pppd makes it (needs root).
str('network', (c, v) => {
  if (v !== 'tun' && v !== 'userspace') throw new OptionError(`network: expected tun or userspace, not '${v}'`);
  c.network = v;
}, (c) => c.network);
// pppd never proposes stateful MPPE; this asks for it and Naks a stateless request towards
// it (with mppe-stateful), e.g. to lead a real pppd with mppe-stateful there.
bool('mppe-prefer-stateful', (c) => (S(c).mppePreferStateful = true));
// An `l2tp:HOST[:PORT]` line (LAC, RFC 2661): the tunnel secret and our Host Name AVP.
str('l2tp-secret', (c, v) => (c.l2tpSecret = v), (c) => c.l2tpSecret, { hide: true });
str('l2tp-hostname', (c, v) => (c.l2tpHostname = v), (c) => c.l2tpHostname);

export const OPTION_TABLE: readonly OptionDef[] = T;

/** Index of each non-wild option by word. */
export const OPTION_INDEX: ReadonlyMap<string, number> = new Map(T.map((d, i) => [d.name, i] as const).filter(([, i]) => !T[i]!.wild));

/** Index of the group head (the option that carries the priority) of option i. */
export function groupHead(i: number): number {
  while (i > 0 && T[i]!.sub) i--;
  return i;
}

// ---- helpers ----------------------------------------------------------------------------------

/** `--version` / `--help`: print and exit 0. */
export class EarlyExit extends Error {
  constructor(readonly what: 'version' | 'help') {
    super(what);
  }
}

function lastUserEnv(c: PppdConfig): PppdConfig['userEnv'] {
  const m = new Map<string, PppdConfig['userEnv'][number]>();
  for (const e of c.userEnv) {
    if (!m.has(e.name)) m.set(e.name, e);
    else Object.assign(m.get(e.name)!, e);
  }
  return [...m.values()];
}

/** pppd print_option for OPT_A2LIST (note pppd names the NEXT value's source after each value). */
function listPrint(name: string, list: Array<{ word: string; source: string }>): string {
  let out = `${name} `;
  list.forEach((v, i) => {
    out += q(v.word);
    const next = list[i + 1];
    if (next) out += `\t\t# (from ${next.source})\n${name} `;
  });
  return out;
}

/** A `/etc/ppp/...` path in a `file`/`+ua` option means the configured ppp directory. */
function underPppDir(ctx: ParseContext, p: string): string {
  if (p === '/etc/ppp' || p.startsWith('/etc/ppp/')) return path.join(ctx.pppDir, p.slice('/etc/ppp'.length));
  return p;
}

function checkAddressWord(word: string, which: 'local' | 'remote'): void {
  const a = inetAton(word);
  if (a === undefined) return; // a host name: resolved after parsing ("unknown host")
  if (isBadAddress(a)) throw new OptionError(`bad ${which} IP address ${ip4ToString(a >>> 0)}`);
}

/** tty.c setspeed: strtol(arg, 0) using the whole word, not zero. */
function speedWord(w: string): number | undefined {
  if (!/^[+-]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(w)) return undefined;
  const v = strtoul(w, 0);
  if (v === undefined) return undefined;
  const n = Number(BigInt.asIntN(64, v));
  return n === 0 ? undefined : n;
}

/** The device word: dialtone's stream lines, or a device node (absolute, or under /dev). */
function deviceWord(w: string): LineSpec | undefined {
  if (w === '') return undefined;
  const stream = parseLineSpec(w);
  if (stream && stream.kind !== 'device') return stream;
  // pppd setdevname: "ttyS1" means /dev/ttyS1; a word names the device if such a node exists.
  // dialtone also takes /dev/... and tty... words whose node does not exist (yet), so that a
  // peers file written for another machine still reads; opening it fails with exit 7.
  const p = w.startsWith('/') ? w : `/dev/${w}`;
  if (stream) return { kind: 'device', path: p };
  try {
    if (fs.statSync(p).isCharacterDevice()) return { kind: 'device', path: p };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return { kind: 'device', path: p };
  }
  return undefined;
}

/** The word that names a line, as pppd prints devnam. */
export function lineWord(l: LineSpec): string {
  switch (l.kind) {
    case 'device': return l.path;
    case 'tcp': return `tcp:${l.host}:${l.port}`;
    case 'tcp-listen': return `tcp-listen:${l.host}:${l.port}`;
    case 'stdio': return '-';
    case 'pty': return `pty:${l.command}`;
    case 'l2tp': return `l2tp:${l.host}:${l.port}`;
  }
}
