/**
 * wvdial's prompt heuristics (the "brain"): what the text after CONNECT is asking for.
 * The text is lowercased, parity-stripped terminal output since the last answer.
 *
 * A *prompt* is a last line ending in punctuation (`)>}]:.|-?$%=` or ^Q) with no newline
 * after it. A named prompt (`login`, `password`, ...) is a last line that contains the name,
 * followed only by blanks and at least one punctuation mark ("Username: ", "login:").
 */

const PROMPT_PUNCT = ')>}]:.|-?$%=\x11';
const isNewline = (c: string) => c === '\n' || c === '\r';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

/** The last line of `text` with leading blanks removed. */
function lastLine(text: string): string {
  let i = text.length - 1;
  while (i >= 0 && !isNewline(text[i]!)) i--;
  return text.slice(i + 1).replace(/^[ \t\v\f]+/, '');
}

/**
 * Is the last line a prompt for `name`? With `dotsWild`, `.` in `name` matches any character
 * (`user.id` matches "user id" and "user-id").
 */
export function isNamedPrompt(text: string, name: string, dotsWild = false): boolean {
  const line = lastLine(text);
  let at: number;
  if (!dotsWild) {
    at = line.lastIndexOf(name);
    if (at < 0) return false;
  } else {
    const re = new RegExp(name.replace(/[\\^$*+?()[\]{}|]/g, '\\$&'));
    const m = re.exec(line);
    if (!m) return false;
    at = m.index;
  }
  let punct = false;
  for (const c of line.slice(at + name.length)) {
    if (PROMPT_PUNCT.includes(c)) punct = true;
    else if (!isSpace(c)) return false;
  }
  return punct;
}

/**
 * Any prompt: the last non-blank character is punctuation on a line with no newline after
 * it. With `haveGuess` (a menu suggested an answer), blank lines at the end are skipped.
 */
export function isAnyPrompt(text: string, haveGuess = false): boolean {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i]!;
    if (isNewline(c)) {
      if (!haveGuess) return false;
      continue;
    }
    if (PROMPT_PUNCT.includes(c)) return true;
    if (!isSpace(c)) return false;
  }
  return false;
}

/**
 * A user-given `Login Prompt` / `Password Prompt`: wvdial compares it with the lowercased
 * text, so it is lowercased here; trailing punctuation in it ("Username:") counts as the
 * punctuation the prompt must end with.
 */
function isCustomPrompt(text: string, custom: string): boolean {
  if (!custom) return false;
  const c = custom.toLowerCase().trim();
  if (isNamedPrompt(text, c)) return true;
  const bare = c.replace(new RegExp(`[${PROMPT_PUNCT.replace(/[\]\\^-]/g, '\\$&')}\\s]+$`), '');
  if (bare !== c && bare) {
    const line = lastLine(text);
    const at = line.lastIndexOf(c);
    return at >= 0 && line.slice(at + c.length).trim() === '';
  }
  return false;
}

export function isLoginPrompt(text: string, loginPrompt = ''): boolean {
  return (
    isNamedPrompt(text, 'login') ||
    isNamedPrompt(text, 'name') ||
    isNamedPrompt(text, 'user') ||
    isNamedPrompt(text, 'id') ||
    isNamedPrompt(text, 'userid') ||
    isNamedPrompt(text, 'user.id', true) ||
    isNamedPrompt(text, 'signon') ||
    isNamedPrompt(text, 'sign.on', true) ||
    isNamedPrompt(text, 'usuario') ||
    isCustomPrompt(text, loginPrompt)
  );
}

export function isPasswordPrompt(text: string, passwordPrompt = ''): boolean {
  return isNamedPrompt(text, 'password') || isCustomPrompt(text, passwordPrompt);
}

/** Compuserve's first question ("Host Name:"). */
export function isCompuservePrompt(text: string): boolean {
  return isNamedPrompt(text, 'host name');
}

/** After the password: servers that print the link parameters have started PPP. */
export function isWelcome(text: string): boolean {
  return text.includes('mtu') || text.includes('ip address is');
}

/**
 * PPP from the server: an async-HDLC LCP frame has `}!}` / `!}!` in it (0x7d-escaped
 * control characters of the Configure-Request), which is what wvdial looks for.
 */
export function hasPppMarker(text: string): boolean {
  return text.includes('}!}') || text.includes('!}!');
}
