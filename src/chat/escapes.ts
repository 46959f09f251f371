/**
 * chat(8)'s string escapes and its ways of printing bytes.
 *
 * Every string in the chat engine is a *binary string*: one JS char per byte (0..255), the way the
 * C program sees its argv and files. Callers convert at the edges with `Buffer.from(s, 'latin1')`
 * and `buf.toString('latin1')` (argv words are UTF-8 encoded first, see `argToBinary`).
 *
 * `clean()` mirrors what chat does to a word before using it. Notably it does not turn a send
 * string into the final bytes: pacing escapes (\d \p \K), a literal backslash and a NUL stay as
 * two-byte "\x" pairs that the sender interprets, and that intermediate form is also what the
 * verbose log shows ("send (ATDT\d5551212^M)"), so it is kept as chat keeps it.
 */

/** What `clean()` needs besides the string. */
export interface CleanContext {
  /** -E: substitute $NAME from `env`. */
  useEnv?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
  /** -T / -U values (binary strings); only used when sending. */
  phone?: string;
  phone2?: string;
}

export interface Cleaned {
  /** The cleaned string; may contain NUL bytes (from \N or \0 when sending). */
  text: string;
  /** True when the word contained \q (hide it from the log). */
  quiet: boolean;
}

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
}

/**
 * Interpret chat's escapes in one script word.
 * @param sending true for strings written to the line (and SAY), false for expect/ABORT/REPORT/TIMEOUT.
 */
export function clean(s: string, sending: boolean, ctx: CleanContext = {}): Cleaned {
  // chat works on C strings: a word never reaches it past a NUL.
  s = cString(s);
  let out = '';
  let addReturn = sending;
  let quiet = false;
  let i = 0;
  while (i < s.length) {
    let c = s[i++]!;
    if (c === '^') {
      const next = s[i++];
      if (next === undefined) {
        out += '^';
        break;
      }
      // ^C is the control character of C; ^@ (and anything else mapping to 0) vanishes, since a
      // NUL would end the C string.
      const code = next.charCodeAt(0) & 0x1f;
      if (code !== 0) out += String.fromCharCode(code);
      continue;
    }
    if (ctx.useEnv && c === '$') {
      let j = i;
      while (isNameChar(s[j])) j++;
      const value = ctx.env?.[s.slice(i, j)];
      i = j;
      if (value !== undefined) out += cString(value);
      continue;
    }
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[i++];
    if (e === undefined) {
      // A trailing lone backslash is sent as a backslash and ignored in an expect string.
      if (sending) out += '\\\\';
      break;
    }
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'c':
        // Only a final \c means "no carriage return"; elsewhere it is a plain 'c'.
        if (sending && i >= s.length) addReturn = false;
        else out += 'c';
        break;
      case '\\':
      case 'K':
      case 'p':
      case 'd':
        // Kept as escape pairs for the sender; in an expect string just the character.
        if (sending) out += '\\';
        out += e;
        break;
      case 'T':
      case 'U': {
        const value = e === 'T' ? ctx.phone : ctx.phone2;
        if (sending && value !== undefined) out += cString(value);
        else out += '\\' + e;
        break;
      }
      case 'q':
        quiet = true;
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 's':
        out += ' ';
        break;
      case 't':
        out += '\t';
        break;
      case 'N':
        // A NUL cannot live in a C string, so the sender gets it as the pair "\<NUL>".
        if (sending) out += '\\\0';
        else out += 'N';
        break;
      default: {
        if (e === '$' && ctx.useEnv) {
          out += '$';
          break;
        }
        if (isOctal(e)) {
          let v = e.charCodeAt(0) & 7;
          if (isOctal(s[i])) {
            v = (v << 3) | (s.charCodeAt(i++) - 48);
            if (isOctal(s[i])) v = (v << 3) | (s.charCodeAt(i++) - 48);
          }
          v &= 0xff; // chat keeps it in a char
          if (v !== 0 || sending) {
            if (sending && (v === 0x5c || v === 0)) out += '\\';
            out += String.fromCharCode(v);
          }
          break;
        }
        if (sending) out += '\\';
        out += e;
        break;
      }
    }
  }
  if (addReturn) out += '\r';
  return { text: out, quiet };
}

/** The part of `s` before its first NUL, as C sees it. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** One byte as chat's `character()` prints it for -e echo and -V: ^X, ^?, M- prefix. */
export function character(c: number): string {
  const meta = c & 0x80 ? 'M-' : '';
  c &= 0x7f;
  if (c < 32) return meta + '^' + String.fromCharCode(c + 64);
  if (c === 127) return meta + '^?';
  return meta + String.fromCharCode(c);
}

/**
 * chat's "%v" format: control characters as ^X (tab kept), bytes >= 0x80 as M- plus the low part.
 * With `count` the exact number of bytes is printed (NULs included, as "%0.*v" does); without it
 * the string ends at its first NUL.
 */
export function visible(s: string, count?: number): string {
  const src = count === undefined ? cString(s) : s.slice(0, count);
  let out = '';
  for (let i = 0; i < src.length; i++) {
    let c = src.charCodeAt(i) & 0xff;
    if (c >= 0x80) {
      out += 'M-';
      c -= 0x80;
    }
    if (c < 0x20 || c === 0x7f) {
      out += c === 9 ? '\t' : '^' + String.fromCharCode(c ^ 0x40);
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** C's atoi as glibc does it (strtol clamped to long, then truncated to int). */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (!m) return 0;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return Number(BigInt.asIntN(32, v));
}

/** A command-line word as chat sees it: the bytes of its UTF-8 encoding. */
export function argToBinary(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
