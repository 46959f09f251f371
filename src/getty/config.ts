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

function lines(text: string): { no: number; words: string[]; rest: string }[] {
  const out: { no: number; words: string[]; rest: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (!line || line.startsWith('#')) return;
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    out.push({ no: i + 1, words: line.split(/\s+/), rest: m[2]! });
  });
  return out;
}

const yes = (v: string) => /^(y|yes|true|1|on)$/i.test(v);

/** The configuration that applies to `port` (e.g. ttyS0). */
export function parseMgettyConfig(text: string, file: string, port: string): Parsed<MgettyConfig> {
  const cfg: MgettyConfig = { ...MGETTY_DEFAULTS };
  const warnings: string[] = [];
  let section: string | undefined;
  for (const { no, words, rest } of lines(text)) {
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
  for (const { no, words } of lines(text)) {
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
