/**
 * Config parsers: pppd options (command line and options file), pap/chap-secrets, isp.conf,
 * mgetty.config and login.config, chat scripts (and chat's escape cleaning), the modem
 * phone book and the address pool. Random text built from each grammar's own words mixed
 * with control characters, quotes, backslashes, comments, huge tokens and long lines.
 *
 * Invariant: a parser returns, or throws its own error type (OptionError/EarlyExit, 
 * IspConfigError, PhoneBookError...); never TypeError, RangeError or a stack overflow.
 * A second target, config-scaling, checks that time grows roughly linearly with the input.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine, parseOptionsFile, OptionError, EarlyExit } from '../../src/pppd/options.js';
import { OPTION_TABLE } from '../../src/pppd/option-table.js';
import { parseSecrets } from '../../src/config/secrets.js';
import { tokenizeOptions } from '../../src/config/words.js';
import { parseIspConfig, IspConfigError } from '../../src/isp/config.js';
import { parseMgettyConfig, parseLoginConfig } from '../../src/getty/config.js';
import { parseChatFile, splitSubexpects } from '../../src/chat/script.js';
import { clean } from '../../src/chat/escapes.js';
import { PhoneBook, PhoneBookError } from '../../src/modem/phonebook.js';
import { AddressPool } from '../../src/isp/pool.js';
import { invariant, cpuMs, judgeScaling, type Counter, type Target } from '../lib.js';

/** pppd options that touch the file system (open, create, read other files) or print. */
const UNSAFE = new Set(['file', 'call', 'logfile', '+ua', 'pcap', 'record', 'dump', 'dryrun', 'plugin', 'logfd']);
const PPPD_WORDS = OPTION_TABLE.filter((d) => !d.wild && !UNSAFE.has(d.name)).map((d) => d.name);
const ISP_WORDS = ['listen-ppp', 'listen-modem', 'modem-lines', 'modem-speed', 'phone', 'gateway', 'dns', 'pool', 'auth', 'secrets-dir', 'account', 'forward', 'status', 'accounting', 'max-sessions', 'lcp-echo-interval', 'lcp-echo-failure', 'allow-outbound', 'debug', 'tcp', 'udp', 'off', 'yes', 'pap', 'chap', '127.0.0.1:2323', '10.0.2.0/24'];
const GETTY_WORDS = ['speed', 'direct', 'rings', 'login-time', 'answer-chat-timeout', 'init-chat', 'answer-chat', 'toggle-dtr', 'debug', 'issue-file', 'login-prompt', 'login-ppp', 'modem-type', 'data-only', 'fax-only', 'modem-quirks', 'port', 'port-owner', 'port-group', 'port-mode', 'toggle-dtr-waittime', 'ttyS0', '/AutoPPP/', '*', '@', '/usr/sbin/pppd', 'yes', 'no'];
const CHAT_WORDS = ['ABORT', 'REPORT', 'TIMEOUT', 'SAY', 'HANGUP', 'CLR_ABORT', 'CLR_REPORT', 'ECHO', 'ON', 'OFF', 'ATZ', 'OK', 'CONNECT', 'BUSY', 'ogin:--ogin:', '\\c', '\\d\\d', '^C', '\\q', '\\T', '\\U', '\\177', '\\x', 'EOT', 'BREAK', '""', "''"];
const SECRETS_WORDS = ['*', '-', '""', 'fred', 'server', 'wilma', '10.0.0.2', '10.0.0.0/24', '!10.0.0.5', '+', '@/etc/ppp/x', 'login', '--', '*.example.com'];
const PHONE_WORDS = ['5551212', 'handler:isp', 'tcp:127.0.0.1:2323', 'busy', 'no-answer', 'speed:', '#', '='];

export const PARSERS = ['pppd-argv', 'pppd-file', 'secrets', 'words', 'isp', 'mgetty', 'login', 'chat', 'chat-clean', 'phonebook', 'pool'] as const;
export type Parser = (typeof PARSERS)[number];

const WORDS: Record<Parser, readonly string[]> = {
  'pppd-argv': PPPD_WORDS, 'pppd-file': PPPD_WORDS, secrets: SECRETS_WORDS, words: PPPD_WORDS, isp: ISP_WORDS,
  mgetty: GETTY_WORDS, login: GETTY_WORDS, chat: CHAT_WORDS, 'chat-clean': CHAT_WORDS, phonebook: PHONE_WORDS, pool: ['10.0.2.0/24', '10.0.0.1-10.0.0.9', ','],
};

export interface ConfigCase {
  parser: Parser;
  /** The input (argv joined by \n for pppd-argv). */
  text: string;
}

let tmpDir: string | undefined;
function tmpFile(text: string): string {
  tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-fuzz-'));
  const f = path.join(tmpDir, 'options');
  fs.writeFileSync(f, text, 'latin1');
  return f;
}

/** Runs one parser on `text`; returns the error it threw, if any. */
export function parse(parser: Parser, text: string): unknown {
  try {
    switch (parser) {
      case 'pppd-argv': parseCommandLine(text.split('\n').filter((w) => !UNSAFE.has(w)), undefined, tmpDir ?? os.tmpdir()); break;
      case 'pppd-file': parseOptionsFile(tmpFile(text)); break;
      case 'secrets': parseSecrets(text, 'pap-secrets'); break;
      case 'words': tokenizeOptions(text, 'options'); break;
      case 'isp': parseIspConfig(text, 'isp.conf'); break;
      case 'mgetty': parseMgettyConfig(text, 'mgetty.config', 'ttyS0'); break;
      case 'login': parseLoginConfig(text, 'login.config'); break;
      case 'chat': for (const w of parseChatFile(text).words) splitSubexpects(w); break;
      case 'chat-clean': clean(text, true); clean(text, false); break;
      case 'phonebook': PhoneBook.parse(text); break;
      case 'pool': AddressPool.parse(text); break;
    }
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error types each parser may throw for bad input. */
function allowed(parser: Parser, e: unknown): boolean {
  switch (parser) {
    case 'pppd-argv': case 'pppd-file': return e instanceof OptionError || e instanceof EarlyExit;
    case 'isp': return e instanceof IspConfigError;
    case 'phonebook': return e instanceof PhoneBookError;
    // AddressPool.parse signals a bad pool with a RangeError by design; isp.conf wraps it
    // into IspConfigError. Anything else (a stray RangeError from deep inside) is a bug.
    case 'pool': return e instanceof RangeError && /^(bad|empty) pool/.test(e.message);
    default: return false; // "never throws"
  }
}

export function check(c: ConfigCase, counter: Counter = { n: 0 }): void {
  counter.n += c.parser === 'pppd-argv' ? 1 : Math.max(1, c.text.split('\n').length);
  const t0 = performance.now();
  const e = parse(c.parser, c.text);
  const dt = performance.now() - t0;
  invariant(e === undefined || allowed(c.parser, e), `${c.parser}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? String(e)}`);
  invariant(dt < 2000 + c.text.length / 100, `${c.parser}: ${dt.toFixed(0)} ms for ${c.text.length} chars`);
}

// ---- arbitraries ---------------------------------------------------------------------------

const control = fc.constantFrom('\0', '\x01', '\x1b', '\x7f', '\xff', '\r', '\t', '\v', '\f', '\u2028', '\ufeff', '\x85');
const punct = fc.constantFrom('"', "'", '\\', '#', '=', ':', '-', '/', '@', '$', '^', ',', '\\\n', '""', "''", '\\\\');
const hugeToken = fc.tuple(fc.constantFrom('a', '"', '\\', ' ', '9', '\t', "'", '#', 'x\\'), fc.integer({ min: 500, max: 5000 })).map(([c, n]) => c.repeat(n));

function token(parser: Parser): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...WORDS[parser]) },
    { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 2, arbitrary: fc.oneof(fc.nat(), fc.integer(), fc.constantFrom(0xffffffff, 2 ** 53, -1)).map(String) },
    { weight: 2, arbitrary: control },
    { weight: 2, arbitrary: punct },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    { weight: 1, arbitrary: hugeToken },
    { weight: 1, arbitrary: fc.nat(40).map((n) => '"'.repeat(n) + "'".repeat(n) + '\\'.repeat(n)) },
  );
}

function text(parser: Parser): fc.Arbitrary<string> {
  const sep = fc.constantFrom(' ', ' ', ' ', '\t', '\n', '\n', '\r\n', '  ', '');
  const line = fc.array(fc.tuple(token(parser), sep), { maxLength: 12 }).map((ts) => ts.map(([t, s]) => t + s).join(''));
  return fc.array(line, { maxLength: 20 }).map((ls) => ls.join('\n'));
}

export const configTarget: Target<ConfigCase> = {
  name: 'config',
  unit: 'lines',
  longCount: 1_000_000,
  runsPerBatch: 200,
  module: '../../fuzz/targets/config.js',
  arbitrary: () => fc.constantFrom(...PARSERS).chain((parser) => text(parser).map((t) => ({ parser, text: t }))),
  check,
};

// ---- scaling ------------------------------------------------------------------------------

/** Pathological shapes of input, as functions of a size. */
export const SHAPES: Record<string, (n: number) => string> = {
  spaces: (n) => ' '.repeat(n) + 'x',
  'spaces-then-newline': (n) => 'x' + ' '.repeat(n) + 'y\n',
  tabs: (n) => 'a' + '\t'.repeat(n) + 'b',
  token: (n) => 'a'.repeat(n),
  quotes: (n) => '"'.repeat(n),
  'open-quote': (n) => '"' + 'a '.repeat(n / 2),
  backslashes: (n) => '\\'.repeat(n),
  'backslash-newlines': (n) => '\\\n'.repeat(n / 2),
  'many-lines': (n) => 'a b c d\n'.repeat(n / 8),
  'many-words': (n) => 'ab '.repeat(n / 3),
  comments: (n) => '#'.repeat(n),
  dashes: (n) => 'a-'.repeat(n / 2),
  'control-chars': (n) => '\x01\x02\r'.repeat(n / 3),
};

export interface ScalingCase {
  parser: Parser;
  shape: string;
}

export const SCALE_SMALL = 2000;
export const SCALE_LARGE = 20_000;

function best(parser: Parser, s: string): number {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = cpuMs();
    parse(parser, s);
    min = Math.min(min, cpuMs() - t0);
    if (min > 100) break; // slow enough to judge from one run
  }
  return min;
}

/**
 * Ten times the input must cost well under a hundred times the CPU time (judgeScaling).
 */
export function checkScaling(c: ScalingCase, counter: Counter = { n: 0 }): void {
  const make = SHAPES[c.shape]!;
  const small = make(SCALE_SMALL);
  const large = make(SCALE_LARGE);
  counter.n += 2;
  judgeScaling(
    () => ({ small: best(c.parser, small), large: best(c.parser, large) }),
    (ts, tl) => `${c.parser} on '${c.shape}': ${ts.toFixed(1)} ms for ${small.length} chars, ${tl.toFixed(1)} ms for ${large.length} chars (superlinear)`,
  );
}

export const configScalingTarget: Target<ScalingCase> = {
  name: 'config-scaling',
  unit: 'inputs',
  longCount: 2 * PARSERS.length * Object.keys(SHAPES).length,
  runsPerBatch: PARSERS.length * Object.keys(SHAPES).length,
  module: '../../fuzz/targets/config.js',
  arbitrary: () => fc.record({ parser: fc.constantFrom(...PARSERS), shape: fc.constantFrom(...Object.keys(SHAPES)) }),
  check: checkScaling,
};
