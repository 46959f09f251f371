/**
 * chat scripts: the words, from argv or from a `-f` file.
 *
 * A script is a flat list of words taken alternately as expect and send strings (keywords such as
 * ABORT sit in the expect position and take the following word as their argument). A file is
 * turned into the same list. chat reads its file while it runs, so a syntax error on line 7 only
 * stops it after lines 1-6 have been acted on; `ChatScript.error` records such an error so the
 * engine can raise it at the same point.
 */

export interface ChatScript {
  /** Binary strings (one char per byte), alternately expect and send. */
  words: string[];
  /** A fatal error found after `words`: chat exits with `code` after logging `message`. */
  error?: { code: number; message: string };
}

/** chat's fgets() buffer: longer lines are read in pieces of this many bytes minus one. */
const LINE_BUFFER = 1024;

/**
 * Split a chat file the way chat's do_file() does.
 * @param text the file's bytes as a binary string.
 *
 * Rules (from chat): a line whose first byte is '#' is a comment; words are separated by spaces
 * and tabs only; a word starting with ' or " runs to the matching quote, a backslash protecting
 * the next byte (the backslash is kept: escapes are interpreted later); a closing quote ends the
 * word even without a blank after it, so `'a b'c` is two words; quotes inside an unquoted word
 * are ordinary bytes.
 * Words pair up across lines.
 */
export function parseChatFile(text: string): ChatScript {
  const words: string[] = [];
  let lineNo = 0;
  for (const piece of fgetsPieces(text)) {
    // fgets keeps the newline; chat cuts the line at it (and C strings end at a NUL).
    let line = piece;
    const nl = line.indexOf('\n');
    if (nl >= 0) line = line.slice(0, nl);
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul);
    lineNo++;
    if (line[0] === '#') continue;
    let i = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      let word: string;
      if (c === '"' || c === "'") {
        const quote = c;
        const start = ++i;
        while (line[i] !== quote) {
          if (i >= line.length) {
            return { words, error: { code: 1, message: `unterminated quote (line ${lineNo})` } };
          }
          if (line[i++] === '\\' && i < line.length) i++;
        }
        word = line.slice(start, i);
      } else {
        const start = i;
        while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
        word = line.slice(start, i);
      }
      // chat overwrites the terminating byte (closing quote, space or tab) and resumes after it.
      if (i < line.length) i++;
      words.push(word);
    }
  }
  return { words };
}

/** The successive strings fgets(buf, 1024, f) returns for this file content. */
function* fgetsPieces(text: string): Generator<string> {
  let pos = 0;
  // The newline ending the current line, found once per line: searching afresh for every
  // 1023-byte piece made a long line without newlines quadratic to split.
  let nl = -1;
  while (pos < text.length) {
    if (nl < pos) {
      nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
    }
    const lineEnd = Math.min(nl + 1, text.length);
    const end = Math.min(lineEnd, pos + LINE_BUFFER - 1);
    yield text.slice(pos, end);
    pos = end;
  }
}

/**
 * Split an expect word into its expect-send-expect... parts, as chat's expect_strtok() does: '-'
 * separates, a backslash protects the next byte (and is kept for clean()), an empty part is a
 * real (empty) part except at the very end.
 */
export function splitSubexpects(word: string): string[] {
  const parts: string[] = [];
  let pos = 0;
  while (pos < word.length) {
    let i = pos;
    let escaped = false;
    while (i < word.length) {
      if (escaped) escaped = false;
      else if (word[i] === '\\') escaped = true;
      else if (word[i] === '-') break;
      i++;
    }
    parts.push(word.slice(pos, i));
    pos = i < word.length ? i + 1 : i;
  }
  return parts;
}
