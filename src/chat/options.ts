/**
 * chat's command line: `chat [-e] [-E] [-v] [-V] [-s] [-S] [-t timeout] [-r report-file]
 * [-T phone] [-U phone2] {-f chat-file | script words...}`.
 *
 * Parsed the way chat's own little getopt does it: options only before the first word that does
 * not start with '-' (a lone "-" is a word, "--" ends the options), letters may be bundled
 * ("-vs"), an option's argument may be glued on ("-t5") or be the next word whatever it looks
 * like. An unknown letter or a missing argument to -f/-t/-T/-U is a usage error (exit 1); a
 * missing argument to -r is silently ignored, as chat does.
 */
import type { ChatEngineOptions } from './engine.js';
import { argToBinary, atoi } from './escapes.js';

export interface ChatCommandLine {
  echo: boolean; // -e
  useEnv: boolean; // -E
  verbose: boolean; // -v
  stderrVerbose: boolean; // -V
  toStderr: boolean; // -s
  toSyslog: boolean; // false with -S
  /** -t, as chat's atoi() reads it; undefined when not given (chat's default: 45). */
  timeout?: number;
  /** -f */
  chatFile?: string;
  /** -T / -U (as given, not yet converted to bytes) */
  phone?: string;
  phone2?: string;
  /**
   * Every -r in order. chat opens each one (append mode) as it parses it, closing the previous
   * one, and writes `Opening "file"...` into it only if -v came *before* that -r.
   */
  reportFiles: Array<{ path: string; verboseWhenOpened: boolean }>;
  /** The script words after the options (empty with -f). */
  words: string[];
}

export type ParseResult = { ok: true; cmd: ChatCommandLine } | { ok: false; usage: true };

export const USAGE_TEXT = (program: string): string =>
  `Usage: ${program} [-e] [-E] [-v] [-V] [-t timeout] [-r report-file]\n` +
  `     [-T phone-number] [-U phone-number2] {-f chat-file | chat-script}\n`;

export function parseCommandLine(args: readonly string[]): ParseResult {
  const cmd: ChatCommandLine = {
    echo: false,
    useEnv: false,
    verbose: false,
    stderrVerbose: false,
    toStderr: false,
    toSyslog: true,
    reportFiles: [],
    words: [],
  };
  let i = 0;
  outer: while (i < args.length) {
    const word = args[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (word.length < 2 || word[0] !== '-') break;
    i++;
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      // The argument of an option letter: the rest of this word, or else the next word.
      const takeArg = (): string | undefined => {
        const rest = word.slice(j + 1);
        j = word.length;
        if (rest !== '') return rest;
        if (i < args.length) return args[i++];
        return undefined;
      };
      switch (letter) {
        case 'e':
          cmd.echo = true;
          break;
        case 'E':
          cmd.useEnv = true;
          break;
        case 'v':
          cmd.verbose = true;
          break;
        case 'V':
          cmd.stderrVerbose = true;
          break;
        case 's':
          cmd.toStderr = true;
          break;
        case 'S':
          cmd.toSyslog = false;
          break;
        case 'f': {
          const a = takeArg();
          if (a === undefined) return { ok: false, usage: true };
          cmd.chatFile = a;
          break;
        }
        case 't': {
          const a = takeArg();
          if (a === undefined) return { ok: false, usage: true };
          cmd.timeout = atoi(a);
          break;
        }
        case 'r': {
          const a = takeArg();
          if (a !== undefined) cmd.reportFiles.push({ path: a, verboseWhenOpened: cmd.verbose });
          // chat's getopt gives up on the rest of the command line when -r is last.
          if (a === undefined) break outer;
          break;
        }
        case 'T': {
          const a = takeArg();
          if (a === undefined) return { ok: false, usage: true };
          cmd.phone = a;
          break;
        }
        case 'U': {
          const a = takeArg();
          if (a === undefined) return { ok: false, usage: true };
          cmd.phone2 = a;
          break;
        }
        default:
          return { ok: false, usage: true };
      }
    }
  }
  cmd.words = args.slice(i);
  if (cmd.chatFile !== undefined && cmd.words.length > 0) return { ok: false, usage: true };
  return { ok: true, cmd };
}

/**
 * The engine options a command line asks for. `env` is only read with -E. Report file handling
 * (opening, "Opening" lines) and reading a -f file are left to the caller, being IO.
 */
export function toEngineOptions(cmd: ChatCommandLine, env: Readonly<Record<string, string | undefined>> = {}): ChatEngineOptions {
  const binEnv: Record<string, string> = {};
  if (cmd.useEnv) {
    for (const [k, v] of Object.entries(env)) if (v !== undefined) binEnv[argToBinary(k)] = argToBinary(v);
  }
  const last = cmd.reportFiles[cmd.reportFiles.length - 1];
  return {
    verbose: cmd.verbose,
    stderrVerbose: cmd.stderrVerbose,
    echo: cmd.echo,
    useEnv: cmd.useEnv,
    env: binEnv,
    timeout: cmd.timeout,
    phone: cmd.phone === undefined ? undefined : argToBinary(cmd.phone),
    phone2: cmd.phone2 === undefined ? undefined : argToBinary(cmd.phone2),
    reportFile: last === undefined ? undefined : argToBinary(last.path),
  };
}
