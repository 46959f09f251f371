/**
 * pap-secrets / chap-secrets (and srp-secrets) with pppd 2.4.9's semantics, as pure functions.
 *
 * pppd never builds a table: for every lookup, auth.c `scan_authfile` re-reads the file with
 * options.c `getword` and keeps the best match. This module parses once into entries and then
 * reproduces the scan's outcome; the mapping is exact because getword is context-free. Behaviour
 * determined from the 2.4.9 source (auth.c unless noted):
 *
 * Entries (scan_authfile). An entry starts with a word that has an (unescaped) newline before it
 * (the first word of the file counts as such). The client, server and secret must all be on that
 * same line: if the next word begins a new line, the partial entry is dropped and that word is
 * tried as a new client. Every further word up to the next newline (or EOF) belongs to the entry.
 * So entries are single lines; they "span lines" only through backslash-newline (which getword
 * drops without reporting a newline) or a newline inside quotes. Lines of one or two words are
 * ignored silently.
 *
 * Matching and ranking. `*` (the whole word, quoted or not: getword strips quotes so pppd cannot
 * tell) matches any name. A lookup may leave the client or server unknown (pppd passes NULL);
 * then every word matches it, but a non-`*` word still counts as non-wild. Each match scores
 * NONWILD_CLIENT (2) | NONWILD_SERVER (1), and an entry replaces the current best only if its
 * score is strictly greater. Hence: exact client + exact server (3) > exact client + `*` server
 * (2) > `*` client + exact server (1) > `* *` (0), and among equal scores the FIRST entry in the
 * file wins. (The man page says "the match with the fewest wildcards"; the code additionally
 * prefers a specific client over a specific server.) Comparison is case-sensitive strcmp.
 *
 * `@/path` secrets. Only a secret word beginning with `@/` is indirect (`@login`, `@foo` are
 * literal). pppd reads the FIRST WORD of that file with getword (so comments, quoting and escapes
 * apply; not the first line). It does so only when the lookup wants the secret and only for an
 * entry that would become the new best; if the file cannot be opened ("can't open indirect secret
 * file %s") or holds no word ("no secret in indirect secret file %s") the entry is skipped and the
 * scan continues, so a lower-ranked entry can win. Here the file is read at parse time through the
 * injected reader and failures are recorded on the entry; `findSecret` skips such entries and
 * reports the warnings at the moment pppd would print them.
 *
 * Addresses (set_allowed_addrs, auth_ip_addr, ip_addr_check, some_ip_ok). Words after the secret,
 * up to a `--` word, are addresses; words after `--` are extra options. The compiled list is
 * checked first-match-wins and always ends with an implicit "deny everything". `-` stops the list
 * (nothing after it is used); `*` permits everything and stops the list; `!a` denies; `a/n` is a
 * subnet; `a/n+` is the host (unit+1) inside the subnet; names go through gethostbyname, then
 * getnetbyname (which, without `/n`, gets its classful mask), then inet_addr. With NO address
 * words at all pppd has no list, and auth_ip_addr falls back to "allowed only if authentication
 * was not required": since the peer was authenticated because we required it, that means NO
 * address is acceptable (man page: "If there are only 3 words on the line, or if the first word is
 * "-", then all IP addresses are disallowed"). Loopback (127/8), multicast (224/4) and class E
 * (240/4, which includes 255.255.255.255) are always refused (bad_ip_adrs).
 *
 * All addresses are u32 numbers in host order (192.0.2.1 === 0xc0000201).
 */

import { tokenizeOptions, WordReader, type Word } from './words.js';

/** auth.c: bit in scan_authfile's result when the entry's server is not `*`. */
export const NONWILD_SERVER = 1;
/** auth.c: bit in scan_authfile's result when the entry's client is not `*`. */
export const NONWILD_CLIENT = 2;

/** One compiled element of pppd's `struct permitted_ip` list. */
export interface AddrRule {
  /** The word it came from (including any `!` and `/n`). */
  word: string;
  /** false for `!a` exclusions. */
  permit: boolean;
  /** Network base (already masked), host order. */
  base: number;
  /** Netmask, host order. */
  mask: number;
}

export interface AddressOptions {
  /** gethostbyname() stand-in for names that are not dotted numbers; u32 host order. */
  resolveHost?: (name: string) => number | undefined;
  /** getnetbyname() stand-in: the network number (n_net), u32 host order, e.g. 0x0a000000. */
  resolveNet?: (name: string) => number | undefined;
  /** The ppp interface unit (pppd's `ifunit`), used by the `a/n+` form. Default 0. */
  ifunit?: number;
}

export interface AddressList {
  /** The raw address words (the entry's words between the secret and `--`). */
  addressWords: string[];
  /** The compiled list pppd checks, in order, without the implicit final deny-all. */
  addresses: AddrRule[];
  /**
   * set_allowed_addrs' suggested_ip: the first single-host address in the list. pppd offers it to
   * the peer when the peer's requested address is absent or not authorised; it insists on it only
   * when it is the list's sole element (otherwise it sets accept_remote).
   */
  suggestedRemote?: number;
}

/** What a `readFile` injection may return: the text, optionally with the file's mode bits. */
export type ReadFileResult = string | { text: string; mode?: number } | undefined;

export interface ParseSecretsOptions extends AddressOptions {
  /** Reads an `@/path` indirect secret file; undefined means it cannot be opened. */
  readFile?: (path: string) => ReadFileResult;
}

export interface SecretEntry extends AddressList {
  client: string;
  server: string;
  /**
   * The secret. `""` means "any password" for PAP (with the `login` option: "whatever the system
   * password database accepts"; see papPasswordCheck). For an `@/path` entry this is the first
   * word of that file; if the file could not be used, it is the raw `@/path` word, `secretError`
   * is set, and findSecret never returns the entry when a secret is wanted.
   */
  secret: string;
  /** For `@/path` secrets: the path (without the `@`). */
  secretFile?: string;
  /** Why an `@/path` secret could not be read, in pppd's wording. */
  secretError?: string;
  /** Warnings pppd prints while reading an `@/path` file (permissions, word warnings). */
  secretWarnings?: string[];
  /** Words after `--`: pppd options applied for this peer (options_from_list). */
  options: string[];
  file: string;
  /** Line of the client word. */
  line: number;
}

export interface ParsedSecrets {
  entries: SecretEntry[];
  /** Word and address warnings, in pppd's wording, in file order. */
  warnings: string[];
}

/** auth.c check_access: pppd warns if any group or other permission bit is set. */
export function permissionWarning(file: string, mode: number): string | undefined {
  // S_IRWXG | S_IRWXO: not only "readable" - any of rwx for group/other triggers it.
  if ((mode & 0o077) !== 0) return `Warning - secret file ${file} has world and/or group access`;
  return undefined;
}

/** pppd's `%v` ("visible") formatting, used in the address-list warnings (utils.c vslprintf). */
function visible(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i) & 0xff;
    if (c >= 0x80) {
      out += 'M-';
      c -= 0x80;
    }
    if (c < 0x20 || c === 0x7f) out += c === 0x09 ? '\t' : '^' + String.fromCharCode(c ^ 0x40);
    else out += String.fromCharCode(c);
  }
  return out;
}

function isAsciiSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/**
 * inet_aton(3) as glibc implements it (which is what gethostbyname's numeric path and inet_addr
 * use): 1 to 4 parts, each decimal, 0-octal or 0x-hex; `a.b` = a.0.0.b style packing; trailing
 * white space ends the address. Returns undefined if invalid.
 */
export function inetAton(s: string): number | undefined {
  const parts: number[] = [];
  let i = 0;
  let val = 0;
  for (;;) {
    const c0 = s[i];
    if (c0 === undefined || c0 < '0' || c0 > '9') return undefined;
    // strtoul(cp, &endp, 0)
    let base = 10;
    if (c0 === '0') {
      const c1 = s[i + 1];
      if ((c1 === 'x' || c1 === 'X') && /^[0-9a-fA-F]$/.test(s[i + 2] ?? '')) {
        base = 16;
        i += 2;
      } else {
        base = 8;
      }
    }
    val = 0;
    for (;;) {
      const ch = s[i];
      if (ch === undefined) break;
      const d = parseInt(ch, 16);
      if (Number.isNaN(d) || d >= base) break;
      val = val * base + d;
      if (val > 0xffffffff) val = Infinity; // out of range for every part; rejected below
      i++;
    }
    if (s[i] === '.') {
      if (parts.length > 2 || val > 0xff) return undefined;
      parts.push(val);
      i++;
      continue;
    }
    break;
  }
  if (!(i === s.length || isAsciiSpace(s[i]))) return undefined;
  const max = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length]!;
  if (val > max) return undefined;
  let r = val;
  if (parts.length >= 1) r += parts[0]! * 0x1000000;
  if (parts.length >= 2) r += parts[1]! * 0x10000;
  if (parts.length >= 3) r += parts[2]! * 0x100;
  return r >>> 0;
}

/** strtol(s, &endp, 10) as far as pppd's `/n` parsing needs it: [value, index of endp]. */
function strtol10(s: string): [number, number] {
  let i = 0;
  while (isAsciiSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const start = i;
  let v = 0;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
    v = Math.min(v * 10 + (s.charCodeAt(i) - 48), Number.MAX_SAFE_INTEGER);
    i++;
  }
  if (i === start) return [0, 0]; // no digits: strtol returns 0 and endp = s
  return [neg ? -v : v, i];
}

/** u32 formatting for messages and tests. */
export { ip4ToString as formatIp } from '../wire/ipv4.js';

/**
 * Compile address words into pppd's permitted-IP list, as set_allowed_addrs does (including its
 * warnings, in pppd's wording). Pass the entry's words followed by any `allow-ip` words (pppd
 * appends noauth_addrs to the entry's list) to get exactly pppd's list.
 */
export function compileAddresses(
  words: readonly string[],
  opts: AddressOptions = {},
): AddressList & { warnings: string[] } {
  const warnings: string[] = [];
  const addresses: AddrRule[] = [];
  let suggested = 0;
  const ifunit = opts.ifunit ?? 0;

  for (const word of words) {
    // "-" means no (more) addresses authorised, "*" means any address; both end the list.
    if (word === '-') break;
    if (word === '*') {
      addresses.push({ word, permit: true, base: 0, mask: 0 });
      break;
    }
    let permit = true;
    let ptrWord = word;
    if (ptrWord.startsWith('!')) {
      permit = false;
      ptrWord = ptrWord.slice(1);
    }

    let mask = 0xffffffff;
    let offset = 0;
    let name = ptrWord;
    const slash = ptrWord.indexOf('/');
    if (slash >= 0) {
      const lenText = ptrWord.slice(slash + 1);
      const [bits, digitsEnd] = strtol10(lenText);
      let end = digitsEnd;
      if (bits <= 0 || bits > 32) {
        warnings.push(`invalid address length ${visible(lenText)} in auth. address list`);
        continue;
      }
      if (lenText[end] === '+') {
        offset = ifunit + 1;
        ++end;
      }
      if (end !== lenText.length) {
        warnings.push(`invalid address length syntax: ${visible(lenText)}`);
        continue;
      }
      mask = (0xffffffff << (32 - bits)) >>> 0;
      name = ptrWord.slice(0, slash);
    }

    // gethostbyname: glibc answers all-digits-and-dots names numerically without any lookup.
    let a: number | undefined;
    const digitsDots = /^[0-9][0-9.]*$/.test(name) && !name.endsWith('.');
    a = digitsDots ? inetAton(name) : opts.resolveHost?.(name);
    if (a === undefined) {
      const net = opts.resolveNet?.(name);
      if (net !== undefined) {
        a = net >>> 0;
        if (slash < 0) {
          // getnetbyname result without /n: use the classful netmask of the network number
          if ((a & 0x80000000) === 0) mask = 0xff000000;
          else if ((a & 0xc0000000) >>> 0 === 0x80000000) mask = 0xffff0000;
          else if ((a & 0xe0000000) >>> 0 === 0xc0000000) mask = 0xffffff00;
        }
      } else {
        // inet_addr: INADDR_NONE (0xffffffff) on failure - and also for 255.255.255.255 itself,
        // which pppd therefore rejects as an "unknown host".
        a = inetAton(name) ?? 0xffffffff;
      }
    }
    a >>>= 0;
    if (a === 0xffffffff) {
      warnings.push(`unknown host ${word} in auth. address list`);
      continue;
    }
    if (offset !== 0) {
      if (offset >= (~mask >>> 0)) {
        warnings.push(`interface unit ${ifunit} too large for subnet ${visible(ptrWord)}`);
        continue;
      }
      a = (((a & mask) >>> 0) + offset) >>> 0;
      mask = 0xffffffff;
    }
    addresses.push({ word, permit, base: (a & mask) >>> 0, mask });
    // Note: pppd tests only the mask, not `permit`, so an excluded single host (`!a`) can become
    // the suggestion. Reproduced as is.
    if (mask === 0xffffffff && suggested === 0) suggested = a;
  }

  const list: AddressList & { warnings: string[] } = { addressWords: [...words], addresses, warnings };
  if (suggested !== 0) list.suggestedRemote = suggested;
  return list;
}

/** Read one `@/path` secret file as scan_authfile does. */
function readIndirect(
  path: string,
  readFile: ((p: string) => ReadFileResult) | undefined,
): { secret?: string; error?: string; warnings: string[] } {
  const warnings: string[] = [];
  const got = readFile?.(path);
  if (got === undefined) return { error: `can't open indirect secret file ${path}`, warnings };
  const text = typeof got === 'string' ? got : got.text;
  if (typeof got !== 'string' && got.mode !== undefined) {
    const w = permissionWarning(path, got.mode); // pppd calls check_access on it too
    if (w !== undefined) warnings.push(w);
  }
  // Only the first word is read (getword), not the first line.
  const first = new WordReader(text, path).next();
  if (first === undefined) return { error: `no secret in indirect secret file ${path}`, warnings };
  if (first.warnings) for (const w of first.warnings) warnings.push(w);
  return { secret: first.text, warnings };
}

/**
 * Parse a secrets file. Never throws. `file` is used for entry locations and pppd's messages.
 * Address words are compiled with `opts` (resolvers, ifunit) - see compileAddresses.
 */
export function parseSecrets(text: string, file: string, opts: ParseSecretsOptions = {}): ParsedSecrets {
  const words = tokenizeOptions(text, file);
  const warnings: string[] = [];
  // No push(...list): spreading a list as call arguments overflows the stack at ~100,000
  // elements, which a secrets line with that many address words produced.
  for (const w of words) if (w.warnings) for (const m of w.warnings) warnings.push(m);

  // Group words into lines as scan_authfile sees them: a word with newlinep set starts a line;
  // scan_authfile forces newline = 1 for the first word of the file.
  const lines: Word[][] = [];
  for (const w of words) {
    if (lines.length === 0 || w.newline) lines.push([w]);
    else lines[lines.length - 1]!.push(w);
  }

  const entries: SecretEntry[] = [];
  for (const ws of lines) {
    if (ws.length < 3) continue; // client/server/secret must share a line; pppd skips silently
    const [c, s, sec] = ws as [Word, Word, Word, ...Word[]];
    const rest = ws.slice(3).map((w) => w.text);
    const dashdash = rest.indexOf('--');
    const addrWords = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    const options = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
    const compiled = compileAddresses(addrWords, opts);
    for (const m of compiled.warnings) warnings.push(m);

    const entry: SecretEntry = {
      client: c.text,
      server: s.text,
      secret: sec.text,
      addressWords: compiled.addressWords,
      addresses: compiled.addresses,
      options,
      file,
      line: c.line,
    };
    if (compiled.suggestedRemote !== undefined) entry.suggestedRemote = compiled.suggestedRemote;
    if (sec.text.startsWith('@/')) {
      const path = sec.text.slice(1);
      entry.secretFile = path;
      const r = readIndirect(path, opts.readFile);
      if (r.warnings.length > 0) entry.secretWarnings = r.warnings;
      if (r.secret !== undefined) entry.secret = r.secret;
      else entry.secretError = r.error!;
    }
    entries.push(entry);
  }
  return { entries, warnings };
}

function isWild(word: string): boolean {
  return word === '*';
}

/**
 * scan_authfile's score for one entry: -1 if it does not match, else the NONWILD_* bits.
 * `null` for client or server means "unknown, match anything" (pppd's NULL). A name that is
 * literally "*" is compared literally (so it only matches `*` entries), exactly as pppd does -
 * it must not be used to mean "any", or a peer calling itself "*" would match every line.
 */
export function matchRank(entry: Pick<SecretEntry, 'client' | 'server'>, client: string | null, server: string | null): number {
  let flag = 0;
  if (client !== null && entry.client !== client && !isWild(entry.client)) return -1;
  if (!isWild(entry.client)) flag = NONWILD_CLIENT;
  if (!isWild(entry.server)) {
    if (server !== null && entry.server !== server) return -1;
    flag |= NONWILD_SERVER;
  }
  return flag;
}

export interface FindSecretOptions {
  /**
   * Whether the caller wants the secret (pppd passes a non-NULL `secret` buffer). Default true.
   * Only then are `@/path` files consulted, and entries whose file failed are skipped. The
   * "do we have any secret" checks (have_pap_secret, have_chap_secret) pass false.
   */
  needSecret?: boolean;
  /** Receives the messages pppd prints during the scan (indirect-file problems). */
  onWarning?: (message: string) => void;
}

/**
 * The entry pppd's scan_authfile would select for `client` authenticating to `server`, or
 * undefined (pppd: -1, no secret). Best score wins; ties go to the first entry in the file.
 */
export function findSecret(
  entries: readonly SecretEntry[],
  client: string | null,
  server: string | null,
  opts: FindSecretOptions = {},
): SecretEntry | undefined {
  const needSecret = opts.needSecret ?? true;
  let best: SecretEntry | undefined;
  let bestFlag = -1;
  for (const e of entries) {
    const flag = matchRank(e, client, server);
    if (flag < 0 || flag <= bestFlag) continue; // only a strictly better match replaces the best
    if (needSecret && e.secretFile !== undefined) {
      // pppd opens the indirect file only at this point, so this is when its messages appear.
      for (const w of e.secretWarnings ?? []) opts.onWarning?.(w);
      if (e.secretError !== undefined) {
        opts.onWarning?.(e.secretError);
        continue;
      }
    }
    best = e;
    bestFlag = flag;
  }
  return best;
}

/** auth.c bad_ip_adrs: loopback net, multicast and class E addresses are never acceptable. */
export function isBadAddress(ip: number): boolean {
  const a = ip >>> 0;
  return a >>> 24 === 127 || (a & 0xf0000000) >>> 0 === 0xe0000000 || (a & 0xf0000000) >>> 0 === 0xf0000000;
}

export interface AddressCheckOptions {
  /**
   * pppd's auth_required. Matters only when the entry has no address words at all. Default true,
   * because a secrets entry's addresses are only consulted for a peer we made authenticate.
   */
  authRequired?: boolean;
  /**
   * What pppd does without a list when authentication was not required:
   * `allow_any_ip || privileged || !have_route_to(addr)`. Not decidable here; default false.
   */
  unlisted?: (ip: number) => boolean;
}

/** auth_ip_addr + ip_addr_check for the peer whose secret is `entry`. */
export function addressAllowed(
  entry: Pick<AddressList, 'addressWords' | 'addresses'>,
  ip: number,
  opts: AddressCheckOptions = {},
): boolean {
  const a = ip >>> 0;
  if (isBadAddress(a)) return false;
  if (entry.addressWords.length > 0) {
    // pppd builds a list whenever there was at least one word (even if every word was invalid
    // or the first was "-"); the list is first-match-wins and ends in an implicit deny-all.
    for (const r of entry.addresses) if (((a & r.mask) >>> 0) === r.base) return r.permit;
    return false;
  }
  if (opts.authRequired ?? true) return false; // "no addresses authorized"
  return opts.unlisted?.(a) ?? false;
}

/** auth.c some_ip_ok: does the (raw) address list authorise any address at all? */
export function someAddressOk(entry: Pick<AddressList, 'addressWords'>): boolean {
  // pppd looks only at first characters: a word starting with '-' ends the scan, any word not
  // starting with '!' counts (even one that later fails to resolve).
  for (const w of entry.addressWords) {
    if (w.startsWith('-')) break;
    if (!w.startsWith('!')) return true;
  }
  return false;
}

/** set_allowed_addrs' suggested remote address (first single-host address), if any. */
export function suggestedAddress(entry: Pick<AddressList, 'suggestedRemote'>): number | undefined {
  return entry.suggestedRemote;
}

/**
 * How check_passwd (PAP, authenticating the peer) uses an entry's secret:
 *  - `systemPassword`: check user/password against the system password database - when the
 *    `login` option is on, or the secret is the literal `@login`;
 *  - `compareSecret`: the password must equal the secret (or crypt(password, secret) must equal
 *    it) - whenever the secret is not "" and not `@login`.
 * Both can apply. Note that with secret "" and no `login` option NEITHER applies: pppd accepts any
 * password for that user.
 */
export function papPasswordCheck(
  entry: Pick<SecretEntry, 'secret'>,
  useLogin: boolean,
): { systemPassword: boolean; compareSecret: boolean } {
  const loginSecret = entry.secret === '@login';
  return {
    systemPassword: useLogin || loginSecret,
    compareSecret: entry.secret !== '' && !loginSecret,
  };
}

export { secretsEqual } from '../ppp/secrets.js';
