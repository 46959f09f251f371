/**
 * Dial strings: what follows `ATD`.
 *
 * Besides Hayes phone numbers with modifiers, a dial string may name an Internet host the way
 * tcpser users are used to (`ATDT bbs.example.org:23`, `ATDT 127.0.0.1`): a dial string is a
 * host when, after the leading T/P, it contains anything a phone number cannot (a dot, a
 * colon, or a letter that is not a dial modifier).
 */

export type DialKind = 'number' | 'host' | 'stored' | 'last';

export interface DialString {
  kind: DialKind;
  /**
   * For `number`: the digits (0-9 * # +), modifiers and punctuation removed.
   * For `host`: the host text as typed (without spaces), maybe with `:port`.
   * For `stored`/`last`: '' (the interpreter resolves them).
   */
  number: string;
  /** Stored-number slot for `stored` (`DS=n`). */
  slot: number;
  /** P seen (or the profile default was pulse and no T overrode it). Informational only. */
  pulse: boolean;
  /** Trailing `;`: return to command mode after dialling instead of waiting for carrier. */
  returnToCommand: boolean;
}

/** Characters a phone-number dial string may consist of: digits and Hayes modifiers. */
const PHONE_LIKE = /^[0-9*#+,;!@WTPR\-()/]*$/i;

/**
 * Parse a dial string. One leading T or P is always taken as the dialling method (as tcpser
 * does), so `ATDTbbs.example.org` works; a host whose name starts with T or P therefore needs
 * the explicit `ATDT`.
 */
export function parseDialString(text: string, defaultPulse = false): DialString {
  let s = text.replace(/\s+/g, '');
  let pulse = defaultPulse;
  const first = s[0]?.toUpperCase();
  if (first === 'T' || first === 'P') {
    pulse = first === 'P';
    s = s.slice(1);
  }
  const base = { number: '', slot: 0, pulse, returnToCommand: false };

  if (/^L;?$/i.test(s)) return { ...base, kind: 'last', returnToCommand: s.endsWith(';') };
  const stored = /^S=?([0-9]?);?$/i.exec(s);
  if (stored) return { ...base, kind: 'stored', slot: Number(stored[1] || '0'), returnToCommand: s.endsWith(';') };

  if (PHONE_LIKE.test(s)) {
    let digits = '';
    for (const ch of s) {
      const u = ch.toUpperCase();
      if ((ch >= '0' && ch <= '9') || ch === '*' || ch === '#' || ch === '+') digits += ch;
      else if (u === 'P') pulse = true;
      else if (u === 'T') pulse = false;
    }
    return { ...base, kind: 'number', number: digits, pulse, returnToCommand: s.endsWith(';') };
  }
  return { ...base, kind: 'host', number: s.replace(/;$/, '') };
}

/**
 * The key under which a dialled number is looked up: digits only for phone-like strings (so
 * `555-1212`, `(555) 1212` and `T5551212` all match `5551212`), lower case otherwise (aliases
 * and host names).
 */
export function normalizeNumber(text: string): string {
  const s = text.replace(/\s+/g, '');
  if (PHONE_LIKE.test(s)) return s.replace(/[^0-9*#+]/g, '');
  return s.toLowerCase();
}

/** Split `host`, `host:port`, `[v6]` or `[v6]:port`; undefined port means "use the default". */
export function splitHostPort(text: string): { host: string; port: number | undefined } | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    portText = rest ? rest.slice(1) : undefined;
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 1) {
      [host, portText] = text.split(':') as [string, string];
    } else if (colons === 0) {
      host = text;
    } else {
      host = text; // a bare IPv6 address
    }
  }
  if (!host) return undefined;
  if (portText === undefined) return { host, port: undefined };
  if (!/^[0-9]{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}
