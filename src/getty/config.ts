/**
 * mgetty's two configuration files, as the seeds use them:
 *   mgetty.config  `key value` lines, global first, then `port NAME` sections overriding
 *   login.config   `username userid utmp_entry login_program [arguments...]`
 * Unknown keys and malformed lines produce warnings naming file and line, never a crash.
 */

export interface MgettyConfig {
  speed: number;
  /** mgetty `direct`: no modem on the line (a null-modem cable or a raw TCP caller). */
  direct: boolean;
  rings: number;
  loginTime: number;
  answerChatTimeout: number;
  initChat: string;
  answerChat: string;
  toggleDtr: boolean;
  debug: number;
  issueFile?: string;
  loginPrompt: string;
  /** dialtone: start PPP as soon as a text login succeeds, without a shell prompt. */
  loginPpp: boolean;
}

export const MGETTY_DEFAULTS: MgettyConfig = {
  speed: 38400,
  direct: false,
  rings: 1,
  loginTime: 240,
  answerChatTimeout: 80,
  // mgetty's compiled-in defaults (policy.h): init-chat and answer-chat.
  initChat: '"" ATQ0V1H0 OK ATS0=0Q0&D3&C1 OK',
  answerChat: '"" ATA CONNECT \\c \\r',
  toggleDtr: true,
  debug: 0,
  loginPrompt: '@ login: ',
  loginPpp: false,
};

export interface Parsed<T> {
  value: T;
  warnings: string[];
}

/** mgetty reads its files with isspace() separating words: blank, tab, CR, LF, VT, FF. */
function isBlank(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * The file's non-comment lines, split into words. One left-to-right scan per line, no
 * backtracking regular expressions: linear in the size of the text (a line of 40,000 blanks
 * used to take 1.5 s through `replace(/^\s+|\s+$/g)`, which is quadratic in a run of blanks),
 * and a CR inside a line (an editor's stray carriage return) is a blank like in mgetty, where
 * it used to make a `.`-based regular expression fail and the parser throw a TypeError.
 */
function lines(text: string, file: string, warnings: string[]): { no: number; words: string[]; rest: string }[] {
  const out: { no: number; words: string[]; rest: string }[] = [];
  let no = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    no++;
    const words: string[] = [];
    let restStart = start; // `rest` runs from the second word to the end of the last one
    let restEnd = start;
    for (let i = start; i < end; ) {
      while (i < end && isBlank(text.charCodeAt(i))) i++;
      if (i >= end) break;
      const w = i;
      while (i < end && !isBlank(text.charCodeAt(i))) i++;
      if (words.length === 1) restStart = w;
      words.push(text.slice(w, i));
      restEnd = i;
    }
    if (words.length > 0 && !words[0]!.startsWith('#')) {
      // Other control characters (NUL, ESC, ...) mean a corrupt or binary file: say where and
      // skip the line rather than take them into a program name or a chat script.
      // eslint-disable-next-line no-control-regex
      const bad = /[\x00-\x08\x0e-\x1f\x7f]/.exec(text.slice(start, end));
      if (bad) {
        warnings.push(`${file}:${no}: control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} in line: ignored`);
        start = end + 1;
        continue;
      }
      out.push({ no, words, rest: words.length > 1 ? text.slice(restStart, restEnd) : '' });
    }
    start = end + 1;
  }
  return out;
}

const yes = (v: string) => /^(y|yes|true|1|on)$/i.test(v);

/** The configuration that applies to `port` (e.g. ttyS0). */
export function parseMgettyConfig(text: string, file: string, port: string): Parsed<MgettyConfig> {
  const cfg: MgettyConfig = { ...MGETTY_DEFAULTS };
  const warnings: string[] = [];
  let section: string | undefined;
  for (const { no, words, rest } of lines(text, file, warnings)) {
    const key = words[0]!.toLowerCase();
    if (key === 'port') {
      section = words[1];
      continue;
    }
    if (section !== undefined && section !== port) continue;
    const num = () => {
      const n = Number(words[1]);
      if (!Number.isFinite(n)) warnings.push(`${file}:${no}: ${key} needs a number, got '${rest}'`);
      return Number.isFinite(n) ? n : undefined;
    };
    switch (key) {
      case 'speed': cfg.speed = num() ?? cfg.speed; break;
      case 'direct': cfg.direct = yes(rest); break;
      case 'rings': cfg.rings = num() ?? cfg.rings; break;
      case 'login-time': cfg.loginTime = num() ?? cfg.loginTime; break;
      case 'answer-chat-timeout': cfg.answerChatTimeout = num() ?? cfg.answerChatTimeout; break;
      case 'init-chat': cfg.initChat = rest; break;
      case 'answer-chat': cfg.answerChat = rest; break;
      case 'toggle-dtr': cfg.toggleDtr = yes(rest); break;
      case 'debug': cfg.debug = num() ?? cfg.debug; break;
      case 'issue-file': cfg.issueFile = rest; break;
      case 'login-prompt': cfg.loginPrompt = rest; break;
      case 'login-ppp': cfg.loginPpp = yes(rest); break;
      case 'modem-type':
        // `data` is the only kind dialtone's modems are; anything else still answers as data.
        if (!/^(data|auto)$/i.test(rest)) warnings.push(`${file}:${no}: modem-type ${rest}: dialtone answers data calls only`);
        break;
      case 'data-only':
      case 'fax-only':
      case 'modem-quirks':
      case 'port-owner':
      case 'port-group':
      case 'port-mode':
      case 'toggle-dtr-waittime':
        break; // meaningful for real tty devices and fax; nothing to do for dialtone's lines
      default:
        warnings.push(`${file}:${no}: unknown keyword '${words[0]}' ignored`);
    }
  }
  return { value: cfg, warnings };
}

export interface LoginEntry {
  /** A user name, `*` (anyone), or `/AutoPPP/`. */
  user: string;
  userid: string;
  utmp: string;
  program: string;
  args: string[];
  line: number;
}

export function parseLoginConfig(text: string, file: string): Parsed<LoginEntry[]> {
  const entries: LoginEntry[] = [];
  const warnings: string[] = [];
  for (const { no, words } of lines(text, file, warnings)) {
    if (words.length < 4) {
      warnings.push(`${file}:${no}: '${words.join(' ')}' is not 'user userid utmp program [args]': ignored`);
      continue;
    }
    const [user, userid, utmp, program, ...args] = words as [string, string, string, string, ...string[]];
    entries.push({ user, userid, utmp, program, args, line: no });
  }
  return { value: entries, warnings };
}

/** mgetty login.config: the first entry naming the user, else the first `*`. */
export function matchLogin(entries: readonly LoginEntry[], user: string): LoginEntry | undefined {
  return entries.find((e) => e.user === user) ?? entries.find((e) => e.user === '*');
}

/** mgetty's `@` in arguments and the login prompt stand for the user name / host name. */
export function substituteAt(words: readonly string[], value: string): string[] {
  return words.map((w) => (w === '@' ? value : w));
}

/** Whether a login.config program is pppd, which dialtone runs as `dialtone pppd`. */
export function isPppd(program: string): boolean {
  return /(^|\/)pppd$/.test(program) || program === 'dialtone-pppd';
}

/**
 * Whether a login.config program or a shell command starts SLIP, and which kind: `slip`,
 * `cslip` (VJ header compression, RFC 1144), and the same under a path or as `dialtone-slip`
 * / `dialtone-cslip`.
 */
export function slipHandler(program: string): 'slip' | 'cslip' | undefined {
  const m = /(?:^|\/)(?:dialtone-)?(c?slip)$/.exec(program);
  return m ? (m[1] as 'slip' | 'cslip') : undefined;
}
