/**
 * wvdial.conf: the ini-style file wvdial(1) reads, and the options it resolves from it.
 *
 * Format (wvdial.conf(5), WvConf): `[Section]` headers, `Key = Value` lines, `#` or `;`
 * comment lines. Keys are case-insensitive; a key repeated (in a later file too) replaces the
 * earlier value. wvdial loads /etc/wvdial.conf then ~/.wvdialrc (or only the `--config`
 * file), so the files are merged in order.
 *
 * Resolution (wvdial's load_options over WvConf::fuzzy_get): for each key, the sections named
 * on the command line are searched in order (`Command-Line` for KEY=value arguments first,
 * then `[Dialer NAME]` for each NAME), each followed along its `Inherits` chain (a loop is
 * cut), and `[Dialer Defaults]` last; the first section that has the key wins.
 */

export class WvConfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WvConfError';
  }
}

/** Section name (lowercased) → key (lowercased) → value; plus the names as written. */
export interface WvConf {
  sections: Map<string, { name: string; entries: Map<string, string> }>;
}

/** Longest line and most sections/keys we keep: a config file is small; a hostile one is bounded. */
const MAX_LINE = 4096;
const MAX_SECTIONS = 1000;
const MAX_KEYS = 200;

export function emptyConf(): WvConf {
  return { sections: new Map() };
}

/** Merges `text` into `conf` (later files override earlier ones, key by key). */
export function loadConf(conf: WvConf, text: string): WvConf {
  let current: { name: string; entries: Map<string, string> } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.slice(0, MAX_LINE).trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      const name = sec[1]!.trim();
      const key = name.toLowerCase();
      current = conf.sections.get(key);
      if (!current) {
        if (conf.sections.size >= MAX_SECTIONS) throw new WvConfError(`more than ${MAX_SECTIONS} sections`);
        current = { name, entries: new Map() };
        conf.sections.set(key, current);
      }
      continue;
    }
    const eq = line.indexOf('=');
    // WvConf ignores lines that are neither a section nor key=value; so do we.
    if (eq <= 0 || !current) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    if (!current.entries.has(key) && current.entries.size >= MAX_KEYS) throw new WvConfError(`section [${current.name}] has more than ${MAX_KEYS} keys`);
    current.entries.set(key, line.slice(eq + 1).trim());
  }
  return conf;
}

export function setConf(conf: WvConf, section: string, key: string, value: string): void {
  const k = section.toLowerCase();
  let s = conf.sections.get(k);
  if (!s) conf.sections.set(k, (s = { name: section, entries: new Map() }));
  s.entries.set(key.toLowerCase(), value);
}

/** WvConf::fuzzy_get, then [Dialer Defaults]. */
export function lookup(conf: WvConf, sections: readonly string[], key: string): string | undefined {
  const k = key.toLowerCase();
  for (const name of [...sections, 'Dialer Defaults']) {
    const seen = new Set<string>();
    let s = conf.sections.get(name.toLowerCase());
    while (s && !seen.has(s.name.toLowerCase())) {
      const v = s.entries.get(k);
      if (v !== undefined) return v;
      seen.add(s.name.toLowerCase());
      const inh = s.entries.get('inherits');
      s = inh === undefined ? undefined : conf.sections.get(inh.toLowerCase());
    }
  }
  return undefined;
}

/** Warnings wvdial prints for sections named on the command line or inherited that do not exist. */
export function missingSections(conf: WvConf, sections: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of sections) {
    if (s !== 'Command-Line' && !conf.sections.has(s.toLowerCase())) out.push(`Warning: section [${s}] does not exist in wvdial.conf.`);
  }
  for (const s of conf.sections.values()) {
    const inh = s.entries.get('inherits');
    if (inh !== undefined && !conf.sections.has(inh.toLowerCase())) out.push(`Warning: inherited section [${inh}] does not exist in wvdial.conf`);
  }
  return out;
}

/** The options wvdial understands (wvdial.conf(5)), with wvdial 1.61's defaults. */
export interface DialOptions {
  modem: string;
  baud: number;
  /** Init1..Init9 (`Init` is Init1); empty strings are skipped. */
  init: string[];
  /** Phone, then Phone1..Phone4 (dialled in turn after BUSY). */
  phones: string[];
  dialPrefix: string;
  areaCode: string;
  dialCommand: string;
  username: string;
  password: string;
  loginPrompt: string;
  passwordPrompt: string;
  pppdPath: string;
  pppdOption: string;
  forceAddress: string;
  remoteName: string;
  defaultReply: string;
  carrierCheck: boolean;
  stupidMode: boolean;
  newPppd: boolean;
  autoReconnect: boolean;
  dialAttempts: number;
  abortOnBusy: boolean;
  abortOnNoDialtone: boolean;
  compuserve: boolean;
  tonline: boolean;
  autoDns: boolean;
  idleSeconds: number;
  isdn: boolean;
  askPassword: boolean;
  /** Seconds to wait for the modem's answer to the dial command. */
  dialTimeout: number;
  provider: string;
  product: string;
  homepage: string;
  dialMessage1: string;
  dialMessage2: string;
}

/** Keys wvdial reads that dialtone accepts without using them (SuSE's checks, descriptions). */
const IGNORED = ['check dns', 'dns test1', 'dns test2', 'check def route', 'country', 'modem name', 'modem type', 'inherits'];

/** Every key this module knows, lowercased (for `unknownKeys`). */
const KNOWN = new Set([
  'modem', 'baud', 'init', ...Array.from({ length: 9 }, (_, i) => `init${i + 1}`), 'phone', 'phone1', 'phone2', 'phone3', 'phone4',
  'dial prefix', 'area code', 'dial command', 'username', 'login', 'password', 'login prompt', 'password prompt', 'pppd path',
  'pppd option', 'pppd options', 'force address', 'remote name', 'default reply', 'carrier check', 'stupid mode', 'new pppd',
  'auto reconnect', 'dial attempts', 'abort on busy', 'abort on no dialtone', 'compuserve', 'tonline', 'auto dns', 'idle seconds',
  'isdn', 'ask password', 'dial timeout', 'provider', 'product', 'homepage', 'dialmessage1', 'dialmessage2', ...IGNORED,
]);

/** Keys in the file that wvdial does not know (dialtone warns; wvdial silently ignores them). */
export function unknownKeys(conf: WvConf): string[] {
  const out: string[] = [];
  for (const s of conf.sections.values()) for (const k of s.entries.keys()) if (!KNOWN.has(k)) out.push(`[${s.name}] ${k}`);
  return out;
}

/** WvConf's getint: a number (C strtol, base 0), or yes/no, true/false, on/off, enable(d)/disable(d). */
export function parseIntValue(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const t = v.trim().toLowerCase();
  if (/^[-+]?0x[0-9a-f]+$/.test(t)) return parseInt(t, 16);
  if (/^[-+]?[0-9]+/.test(t)) return parseInt(t, 10);
  if (['yes', 'true', 'on', 'enable', 'enabled'].includes(t)) return 1;
  if (['no', 'false', 'off', 'disable', 'disabled'].includes(t)) return 0;
  return def;
}

export function resolveOptions(conf: WvConf, sections: readonly string[]): DialOptions {
  const str = (key: string, def: string) => lookup(conf, sections, key) ?? def;
  const int = (key: string, def: number) => parseIntValue(lookup(conf, sections, key), def);
  const bool = (key: string, def: boolean) => int(key, def ? 1 : 0) !== 0;
  const init = Array.from({ length: 9 }, (_, i) => str(`Init${i + 1}`, i === 0 ? 'ATZ' : ''));
  const initAlias = lookup(conf, sections, 'Init');
  if (initAlias !== undefined) init[0] = initAlias;
  const phones = [str('Phone', '')];
  // dial(): Phone1..Phone4 count only while they are set in order.
  for (let i = 1; i <= 4; i++) {
    const p = str(`Phone${i}`, '');
    if (!p) break;
    phones.push(p);
  }
  return {
    modem: str('Modem', '/dev/modem'),
    baud: int('Baud', 57600),
    init,
    phones,
    dialPrefix: str('Dial Prefix', ''),
    areaCode: str('Area Code', ''),
    dialCommand: str('Dial Command', 'ATDT'),
    username: lookup(conf, sections, 'Username') ?? str('Login', ''),
    password: str('Password', ''),
    loginPrompt: str('Login Prompt', ''),
    passwordPrompt: str('Password Prompt', ''),
    pppdPath: str('PPPD Path', ''),
    pppdOption: lookup(conf, sections, 'PPPD Option') ?? str('PPPD Options', ''),
    forceAddress: str('Force Address', ''),
    remoteName: str('Remote Name', '*'),
    defaultReply: str('Default Reply', 'ppp'),
    carrierCheck: bool('Carrier Check', true),
    stupidMode: bool('Stupid Mode', false),
    newPppd: bool('New PPPD', true),
    autoReconnect: bool('Auto Reconnect', true),
    dialAttempts: int('Dial Attempts', 0),
    abortOnBusy: bool('Abort on Busy', false),
    abortOnNoDialtone: bool('Abort on No Dialtone', true),
    compuserve: bool('Compuserve', false),
    tonline: bool('Tonline', false),
    autoDns: bool('Auto DNS', true),
    idleSeconds: int('Idle Seconds', 0),
    isdn: bool('ISDN', false),
    askPassword: bool('Ask Password', false),
    dialTimeout: int('Dial Timeout', 60),
    provider: str('Provider', ''),
    product: str('Product', ''),
    homepage: str('Homepage', ''),
    dialMessage1: str('DialMessage1', ''),
    dialMessage2: str('DialMessage2', ''),
  };
}

/**
 * wvdial's command line: SECTION words become `Dialer SECTION`, KEY=value words go to a
 * `Command-Line` section searched first. No SECTION means `Dialer Defaults`.
 */
export function sectionsFromArgs(conf: WvConf, words: readonly string[]): string[] {
  const sections: string[] = [];
  let cmdline = false;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq >= 0) {
      setConf(conf, 'Command-Line', w.slice(0, eq).trim(), w.slice(eq + 1).trim());
      cmdline = true;
    } else {
      sections.push(`Dialer ${w}`);
    }
  }
  if (!sections.length) sections.push('Dialer Defaults');
  if (cmdline) sections.unshift('Command-Line');
  return sections;
}
