/**
 * The modem bank's phone book: which dialled number reaches what.
 *
 * ## File format
 *
 * One entry per line, fields separated by blanks, `#` starts a comment:
 *
 *     # NUMBER     TARGET                 [OPTIONS]
 *     5551001      line:1                 # rings line 1 of the bank
 *     555-1002     line:2     delay=500   # rings line 2 half a second after dialling
 *     5550000      busy
 *     5550001      no-answer  delay=5000
 *     5550002      no-carrier
 *     5550003      no-dialtone
 *     5551212      tcp:127.0.0.1:2323     speed=14400
 *     bbs          tcp:bbs.example.org    # alias; port defaults to 23
 *     5557000      handler:ppp            # a handler registered by other code (e.g. the PPP server)
 *
 * NUMBER is matched after normalisation (normalizeNumber): for phone-like numbers only the
 * digits, `*`, `#` and `+` count, so `555-1002` is dialled as `ATDT5551002`; anything else is
 * an alias matched case-insensitively (`ATDT bbs`).
 *
 * TARGET is one of
 *   `line:N`           line N (1-based) of the bank; it gets RING and answers with ATA or S0
 *   `tcp:HOST[:PORT]`  an outgoing TCP connection (HOST:PORT alone also works)
 *   `handler:NAME`     a call handler registered under NAME (NO CARRIER if none is)
 *   `busy`, `no-answer`, `no-carrier`, `no-dialtone`  the call fails with that result
 *
 * OPTIONS are `key=value`:
 *   `delay=MS`   wait this long (ms; `2s` also works) before the first ring, the connection,
 *                or the failure result
 *   `speed=BPS`  the CONNECT speed (and pacing rate) for calls to this entry
 */
import { normalizeNumber, splitHostPort } from './dialstring.js';

export type FailReason = 'busy' | 'no-answer' | 'no-carrier' | 'no-dialtone';

export type Target =
  | { kind: 'line'; line: number }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'handler'; name: string }
  | { kind: 'fail'; reason: FailReason };

export interface PhoneBookEntry {
  /** As written in the file. */
  number: string;
  /** normalizeNumber(number). */
  key: string;
  target: Target;
  delayMs: number;
  speed: number | undefined;
  /** 1-based line of the file (0 for entries made in code). */
  sourceLine: number;
}

export class PhoneBookError extends Error {
  constructor(
    readonly sourceLine: number,
    message: string,
  ) {
    super(`phone book line ${sourceLine}: ${message}`);
    this.name = 'PhoneBookError';
  }
}

const FAIL_TARGETS: Readonly<Record<string, FailReason>> = {
  busy: 'busy',
  'no-answer': 'no-answer',
  noanswer: 'no-answer',
  'no-carrier': 'no-carrier',
  nocarrier: 'no-carrier',
  'no-dialtone': 'no-dialtone',
  nodialtone: 'no-dialtone',
};

/** Parse a TARGET field; `defaultPort` is used for `tcp:HOST` without a port. */
export function parseTarget(text: string, defaultPort = 23): Target | undefined {
  const lower = text.toLowerCase();
  const fail = FAIL_TARGETS[lower];
  if (fail) return { kind: 'fail', reason: fail };
  if (lower.startsWith('line:')) {
    const rest = text.slice(5);
    if (!/^[0-9]+$/.test(rest) || Number(rest) < 1) return undefined;
    return { kind: 'line', line: Number(rest) };
  }
  if (lower.startsWith('handler:')) {
    const name = text.slice(8);
    return name ? { kind: 'handler', name } : undefined;
  }
  const hostText = lower.startsWith('tcp:') ? text.slice(4) : text.includes(':') ? text : undefined;
  if (hostText === undefined) return undefined;
  const hp = splitHostPort(hostText);
  if (!hp) return undefined;
  return { kind: 'tcp', host: hp.host, port: hp.port ?? defaultPort };
}

function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s)?$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2]?.toLowerCase() === 's' ? Math.round(n * 1000) : Math.round(n);
}

export class PhoneBook {
  private readonly byKey = new Map<string, PhoneBookEntry>();

  constructor(entries: Iterable<PhoneBookEntry> = []) {
    for (const e of entries) this.add(e);
  }

  /** Parse the file format above; throws PhoneBookError naming the first bad line. */
  static parse(text: string, opts: { defaultPort?: number } = {}): PhoneBook {
    const book = new PhoneBook();
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, idx) => {
      const lineNo = idx + 1;
      const hash = raw.indexOf('#');
      const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
      if (!line) return;
      const [number, targetText, ...options] = line.split(/\s+/) as [string, string | undefined, ...string[]];
      if (targetText === undefined) throw new PhoneBookError(lineNo, `'${number}' has no target`);
      const target = parseTarget(targetText, opts.defaultPort);
      if (!target) throw new PhoneBookError(lineNo, `bad target '${targetText}'`);
      let delayMs = 0;
      let speed: number | undefined;
      for (const opt of options) {
        const eq = opt.indexOf('=');
        const key = eq < 0 ? opt.toLowerCase() : opt.slice(0, eq).toLowerCase();
        const value = eq < 0 ? '' : opt.slice(eq + 1);
        if (key === 'delay') {
          const d = parseDuration(value);
          if (d === undefined) throw new PhoneBookError(lineNo, `bad delay '${value}'`);
          delayMs = d;
        } else if (key === 'speed') {
          if (!/^[0-9]+$/.test(value) || Number(value) < 1) throw new PhoneBookError(lineNo, `bad speed '${value}'`);
          speed = Number(value);
        } else {
          throw new PhoneBookError(lineNo, `unknown option '${opt}'`);
        }
      }
      const key = normalizeNumber(number);
      if (!key) throw new PhoneBookError(lineNo, `'${number}' has no digits`);
      if (book.byKey.has(key)) throw new PhoneBookError(lineNo, `'${number}' is listed twice`);
      book.add({ number, key, target, delayMs, speed, sourceLine: lineNo });
    });
    return book;
  }

  add(entry: PhoneBookEntry): void {
    this.byKey.set(entry.key, entry);
  }

  /** Look a dialled number up (normalised the same way as the entries). */
  lookup(dialled: string): PhoneBookEntry | undefined {
    return this.byKey.get(normalizeNumber(dialled));
  }

  /** The numbers that reach bank line `line`, in file order. */
  numbersOfLine(line: number): string[] {
    return this.entries.filter((e) => e.target.kind === 'line' && e.target.line === line).map((e) => e.key);
  }

  get entries(): PhoneBookEntry[] {
    return [...this.byKey.values()];
  }
}

/**
 * 86Box's and DOSBox's softmodem rule for dialling the Internet with digits only (a phone
 * keypad has no dot): a dialled number of 12 or more digits that is not in the phone book is
 * an IPv4 address of four 3-digit groups, and digits after the twelfth are the TCP port
 * (default 23). `192168001010` is 192.168.1.10:23, `1270000000012323` is 127.0.0.1:2323.
 * Leading zeros of a group are dropped, as 86Box does. A group above 255 or a port outside
 * 1-65535 is no address: undefined (86Box's connect would fail: NO CARRIER).
 */
export function numericAddress(digits: string): { host: string; port: number } | undefined {
  if (!/^[0-9]{12,}$/.test(digits)) return undefined;
  const octets = [0, 3, 6, 9].map((i) => Number(digits.slice(i, i + 3)));
  if (octets.some((o) => o > 255)) return undefined;
  const rest = digits.slice(12);
  // More than five port digits cannot be a port (86Box refuses such numbers with ERROR).
  if (rest.length > 5) return undefined;
  const port = rest === '' ? 23 : Number(rest);
  if (port < 1 || port > 65535) return undefined;
  return { host: octets.join('.'), port };
}

/**
 * The digits that numericAddress() reads back as `host:port` (an IPv4 host only): what to
 * dial from 86Box or DOSBox when the dialer takes digits only.
 */
export function numericDialString(host: string, port: number): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return m.slice(1).map((o) => o.padStart(3, '0')).join('') + (port === 23 ? '' : String(port));
}
