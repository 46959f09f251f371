/**
 * pppd's option-file word reader (pppd 2.4.9 options.c `getword`), as a pure function.
 *
 * The same reader is used by pppd for /etc/ppp/options, ~/.ppprc, `file`/`call` option files,
 * the pap/chap/srp secrets files (auth.c `scan_authfile`) and `@/path` indirect secret files,
 * so every quirk here is shared by all of them. Summary of getword's behaviour, which this module
 * reproduces character for character:
 *
 *  - Words are separated by white space (C `isspace`: space, \t, \n, \v, \f, \r).
 *  - An unquoted, unescaped `#` starts a comment running to the end of the line. It does not have
 *    to begin a word: getword ends the current word at `#` (it pushes the `#` back), so `foo#bar`
 *    is the word `foo` followed by a comment.
 *  - `"` and `'` quote; inside a quoted section white space and `#` are ordinary characters, and
 *    the other quote character is ordinary. Quoted and unquoted parts join: `a"b c"d` is `ab cd`.
 *  - Backslash escapes are processed everywhere, INCLUDING inside single quotes (getword tests for
 *    the escape before it looks at quoting; there is no shell-like "single quotes are literal").
 *    `\a \b \f \n \r \t` are the C escapes, `\s` is a space, `\ooo` is up to three octal digits,
 *    `\xHH` up to two hex digits (`\x` with no hex digit yields a NUL byte), backslash-newline is
 *    dropped (inside or between words, and it does not count as a line break for the secrets
 *    files' "new entry" rule), and backslash + any other character is that character.
 *  - A word is at most MAXWORDLEN-1 = 1023 characters; longer words are truncated with a warning.
 *  - The word is a C string: a NUL produced by an escape (`\0`, `\x`, `\x00`) ends it.
 *  - At end of file: an unterminated quote yields the word read so far plus a warning; a word of
 *    length zero is not a word at all, so a trailing `""` (or a lone `"`) with no newline after it
 *    is silently lost, while `""` followed by white space is an empty word.
 *
 * Characters: the input is a JS string and each UTF-16 code unit counts as one character. pppd
 * works on bytes, so for byte-exact behaviour (word length limit, `%.20s` in messages) decode the
 * file as 'latin1'. Escapes always produce code units 0..255 (octal values wrap to 8 bits, as
 * storing into a C `char` does).
 */

/** pppd.h: `#define MAXWORDLEN 1024  /* max length of word in file (incl null) *\/`. */
export const MAXWORDLEN = 1024;

export interface Word {
  /** The word after quote removal and escape processing (truncated to MAXWORDLEN-1, cut at NUL). */
  text: string;
  /** The file name the word came from, as given to the tokenizer. */
  file: string;
  /** 1-based line on which the word begins. */
  line: number;
  /** True if any part of the word was inside quotes (so `""` can be told apart from nothing). */
  quoted: boolean;
  /**
   * getword's `*newlinep`: true if an unescaped newline occurred between the previous word (or
   * the start of the file) and this word. scan_authfile uses this to find the start of entries.
   */
  newline: boolean;
  /**
   * Warnings pppd prints (via option_error) when it reads this word, in pppd's wording and
   * order: a quoted word that ran to end of file, then a word that was too long.
   */
  warnings?: string[];
}

/** pppd's isspace() in the C locale. */
function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7';
}

function hexValue(c: string | undefined): number | undefined {
  if (c === undefined) return undefined;
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  const u = c.toUpperCase();
  if (u.length === 1 && u >= 'A' && u <= 'F') return u.charCodeAt(0) - 55;
  return undefined;
}

/** The single-character C escapes getword knows. */
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  s: ' ',
  t: '\t',
};

/**
 * Incremental reader mirroring getword(): each call to `next()` returns the next word or
 * undefined at end of input. Tokenizing is context-free, so `tokenizeOptions` (all words at once)
 * gives the same result; the reader exists for callers that, like pppd, want to stop early.
 */
export class WordReader {
  private pos = 0;
  private lineNo = 1;

  constructor(
    private readonly text: string,
    readonly file: string,
  ) {}

  /** getc(): the next character, or undefined at EOF; keeps the line count. */
  private getc(): string | undefined {
    if (this.pos >= this.text.length) return undefined;
    const c = this.text[this.pos++]!;
    if (c === '\n') this.lineNo++;
    return c;
  }

  /** ungetc() of the character just read. */
  private ungetc(c: string): void {
    this.pos--;
    if (c === '\n') this.lineNo--;
  }

  next(): Word | undefined {
    let newline = false;
    let escape = false;
    let comment = false;
    let quoted: string | null = null;
    let everQuoted = false;
    let startLine = this.lineNo;
    // Characters of the word, as char codes; pppd stores at most MAXWORDLEN of them.
    const chars: string[] = [];
    let len = 0;
    const store = (ch: string): void => {
      if (len < MAXWORDLEN) {
        chars.push(ch);
        ++len;
      }
    };

    // Phase 1 (getword's first loop): skip white space and comments.
    let c: string | undefined;
    for (;;) {
      c = this.getc();
      if (c === undefined) break;
      if (c === '\n') {
        // A newline ends a comment; an escaped newline is ignored and is not a line break
        // as far as newlinep is concerned.
        if (!escape) {
          newline = true;
          comment = false;
        } else {
          escape = false;
        }
        continue;
      }
      if (comment) continue; // backslashes inside comments are not escapes
      if (escape) break; // an escaped character starts a word
      if (c === '\\') {
        escape = true;
        startLine = this.lineNo;
        continue;
      }
      if (c === '#') {
        comment = true;
        continue;
      }
      if (!isSpace(c)) {
        startLine = this.lineNo;
        break;
      }
    }

    // Phase 2: collect the word.
    while (c !== undefined) {
      if (escape) {
        escape = false;
        if (c === '\n') {
          // backslash-newline inside a word is dropped; the word continues
          c = this.getc();
          continue;
        }
        let value: number;
        let got = false; // true when c already holds the character after the escape
        const simple = SIMPLE_ESCAPES[c];
        if (simple !== undefined) {
          value = simple.charCodeAt(0);
        } else if (isOctal(c)) {
          value = 0;
          for (let n = 0; n < 3 && isOctal(c); ++n) {
            value = (value << 3) + (c!.charCodeAt(0) & 7);
            c = this.getc();
          }
          got = true;
        } else if (c === 'x') {
          value = 0;
          c = this.getc();
          for (let n = 0; n < 2; ++n) {
            const d = hexValue(c);
            if (d === undefined) break;
            value = (value << 4) + d;
            c = this.getc();
          }
          got = true;
        } else {
          value = c.charCodeAt(0); // any other character stands for itself
        }
        // The value goes into a C `char`, so octal escapes like \777 wrap to 8 bits.
        store(String.fromCharCode(value > 0xff ? value & 0xff : value));
        if (!got) c = this.getc();
        continue;
      }

      if (c === '\\') {
        escape = true;
        c = this.getc();
        continue;
      }

      if (quoted !== null) {
        if (c === quoted) {
          quoted = null;
          c = this.getc();
          continue;
        }
      } else if (c === '"' || c === "'") {
        quoted = c;
        everQuoted = true;
        c = this.getc();
        continue;
      } else if (isSpace(c) || c === '#') {
        // The delimiter is pushed back, so a following newline is seen by the next call (and
        // sets its newlinep) and a `#` starts a comment there.
        this.ungetc(c);
        break;
      }

      store(c);
      c = this.getc();
    }

    const warnings: string[] = [];
    if (c === undefined) {
      // A zero-length word at EOF is "no word": this is why a final `""` without a trailing
      // newline disappears, and why a lone unterminated `"` produces nothing and no warning.
      if (len === 0) return undefined;
      if (quoted !== null) {
        // pppd 2.4.9 options.c passes (filename, word) to a format with a single %.20s, so what
        // is actually printed is the first 20 characters of the FILE NAME. Reproduced verbatim.
        warnings.push(`warning: quoted word runs to end of file (${this.file.slice(0, 20)}...)`);
      }
    }

    // getword stores into a C buffer and then treats it as a C string: a NUL ends the word.
    let text = chars.join('');
    const nul = text.indexOf('\0');
    const cstr = nul >= 0 ? text.slice(0, nul) : text;
    if (len >= MAXWORDLEN) {
      // Same check as pppd: MAXWORDLEN includes the terminating NUL, so 1024 stored characters
      // are one too many and the word is cut to 1023.
      warnings.push(`warning: word in file ${this.file} too long (${cstr.slice(0, 20)}...)`);
      text = text.slice(0, MAXWORDLEN - 1);
    }
    const z = text.indexOf('\0');
    if (z >= 0) text = text.slice(0, z);

    const word: Word = { text, file: this.file, line: startLine, quoted: everQuoted, newline };
    if (warnings.length > 0) word.warnings = warnings;
    return word;
  }
}

/**
 * Split the text of an options (or secrets) file into words exactly as pppd's getword does.
 * Never throws; malformed input is handled as pppd handles it (see the module comment), with the
 * warnings pppd would print attached to the word concerned.
 */
export function tokenizeOptions(text: string, file: string): Word[] {
  const reader = new WordReader(text, file);
  const words: Word[] = [];
  for (let w = reader.next(); w !== undefined; w = reader.next()) words.push(w);
  return words;
}

/*
 * pppd's messages about options, in pppd 2.4.9's exact wording (options.c). option_error()
 * prefixes "pppd: " (progname) when it writes to stderr during initialisation and logs the bare
 * text to syslog; these helpers return the bare text.
 */

/** options.c options_from_file: `In file %s: unrecognized option '%s'`. */
export function unrecognizedOptionInFile(file: string, option: string): string {
  return `In file ${file}: unrecognized option '${option}'`;
}

/** options.c options_from_file: `In file %s: too few parameters for option '%s'`. */
export function tooFewParametersInFile(file: string, option: string): string {
  return `In file ${file}: too few parameters for option '${option}'`;
}

/** options.c parse_args (command line): `unrecognized option '%s'` (pppd then prints usage). */
export function unrecognizedOptionOnCommandLine(option: string): string {
  return `unrecognized option '${option}'`;
}

/** options.c parse_args: `too few parameters for option %s` (note: no quotes here). */
export function tooFewParametersOnCommandLine(option: string): string {
  return `too few parameters for option ${option}`;
}

/** options.c options_from_list (options after `--` in a secrets entry). */
export function unrecognizedOptionInSecrets(option: string): string {
  return `In secrets file: unrecognized option '${option}'`;
}

/** options.c options_from_list. */
export function tooFewParametersInSecrets(option: string): string {
  return `In secrets file: too few parameters for option '${option}'`;
}

/** options.c options_from_file when a required file (`file`, `call`) cannot be opened. */
export function cantOpenOptionsFile(file: string, reason: string): string {
  return `Can't open options file ${file}: ${reason}`;
}
