/**
 * The conformance corpus: chat scripts x modem transcripts. Each case is run against real chat and
 * `dialtone chat` (see conformance.test.ts); both must exit with `code` and write the same bytes on
 * the line, and where `compareStderr` is set, the same stderr (REPORT time stamps masked).
 *
 * Timeouts are kept at 1-3 s so that the suite stays quick; the seed scripts are used unchanged,
 * which is why some of their cases take a few seconds (their TIMEOUT 3).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modem, REPO_ROOT, type Step } from './responder.js';

export interface Case {
  name: string;
  args?: string[];
  /** A shell script (seed) that runs /usr/sbin/chat. */
  shell?: string;
  env?: Record<string, string>;
  files?: Record<string, string>;
  steps: Step[];
  /** The exit code both must give (checked against real chat too, to keep the corpus honest). */
  code: number;
  /** Also compare stderr byte for byte: only where it must match (without -s, chat logs to syslog and dialtone to stderr; see src/cli/chat.ts). */
  compareStderr?: boolean;
  /** Also compare this file (written by the program in its working directory). */
  compareFile?: string;
  /**
   * Timing-dependent line: the two lines must agree on their common prefix and differ in length
   * by at most this many bytes (see the case's note).
   */
  lineTolerance?: number;
  /** Pairs of stderr lines real chat prints one or the other of, by timing: either matches. */
  stderrEither?: [string, string][];
  /** Why a case is as it is, or what difference is tolerated. */
  note?: string;
}

const SEEDS = path.join(REPO_ROOT, 'test', 'fixtures', 'seed-configs');
const seed = (rel: string): string => fs.readFileSync(path.join(SEEDS, rel), 'latin1');
const seedPath = (rel: string): string => path.join(SEEDS, rel);

const DIALER_ENV = { TELEPHONE: '555-1212', ACCOUNT: 'george', PASSWORD: 'gracie' };

/**
 * The start of ppp-on-dialer's conversation. The HOWTO writes `\rAT` unquoted, so the shell
 * turns it into "rAT" before chat sees it; that is what goes on the line, from either program.
 */
const dialerStart: Step[] = [...modem.at('rAT'), ...modem.at('ATH0')];

export const cases: Case[] = [
  // ---------------------------------------------------------------- seed scripts
  {
    name: 'seed howto-client/ppp-on-dialer: dial, login, password',
    shell: seed('howto-client/ppp-on-dialer'),
    env: DIALER_ENV,
    steps: [
      ...dialerStart,
      { expect: 'ATDT555-1212\r' },
      { delay: 30 },
      { send: 'ATDT555-1212\r\r\nCONNECT 38400\r\n' },
      { expect: '\r' },
      { send: 'Welcome\r\nlogin: ' },
      { expect: 'george\r' },
      { send: 'george\r\nPassword: ' },
      { expect: 'gracie\r' },
    ],
    code: 0,
  },
  {
    name: 'seed ppp-on-dialer: no OK to AT, so +++ (\\c: no CR) and OK again',
    shell: seed('howto-client/ppp-on-dialer'),
    env: DIALER_ENV,
    steps: [
      { expect: 'rAT\r' },
      // silent: 'OK-+++\c-OK' times out after TIMEOUT 3 and sends +++
      { expect: '+++' },
      { delay: 50 },
      { send: '\r\nOK\r\n' },
      ...modem.at('ATH0'),
      ...modem.at('ATDT555-1212', 'CONNECT 38400'),
      { expect: '\r' },
      { send: 'login:' },
      { expect: 'george\r' },
      { send: 'Password:' },
      { expect: 'gracie\r' },
    ],
    code: 0,
  },
  {
    name: "seed ppp-on-dialer: BUSY matches ABORT '\\nBUSY\\r' (exit 4)",
    shell: seed('howto-client/ppp-on-dialer'),
    env: DIALER_ENV,
    steps: [...dialerStart, ...modem.at('ATDT555-1212', 'BUSY')],
    code: 4,
  },
  {
    name: 'seed ppp-on-dialer: NO ANSWER is the second ABORT (exit 5)',
    shell: seed('howto-client/ppp-on-dialer'),
    env: DIALER_ENV,
    steps: [...dialerStart, ...modem.at('ATDT555-1212', 'NO ANSWER')],
    code: 5,
  },
  {
    name: 'seed ppp-on-dialer: the multi-line RINGING abort (exit 6)',
    shell: seed('howto-client/ppp-on-dialer'),
    env: DIALER_ENV,
    steps: [...dialerStart, ...modem.at('ATDT555-1212', 'RINGING\r\n\r\nRINGING')],
    code: 6,
  },
  {
    name: 'seed howto-client/ppp-on-dialer.pap: ends at CONNECT',
    shell: seed('howto-client/ppp-on-dialer.pap'),
    env: DIALER_ENV,
    steps: [...dialerStart, ...modem.at('ATDT555-1212', 'CONNECT 115200'), { expect: '\r' }],
    code: 0,
  },
  {
    name: 'seed hlw-client/chat-name (-f, -v -s): \\q hides the password in the log',
    args: ['-v', '-s', '-f', seedPath('hlw-client/chat-name')],
    steps: [
      ...modem.at('ATZ'),
      ...modem.at('ATDT5551212', 'CONNECT 57600'),
      { expect: '\r' },
      { send: 'ISP dial-in\r\nUsername: ' },
      { expect: 'username\r' },
      { send: 'username\r\nPassword: ' },
      { expect: 'password\r' },
      { send: '\r\nisp> ' },
      { expect: 'ppp\r' },
    ],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'seed chat-name: NO CARRIER (second ABORT, exit 5), -v -s log',
    args: ['-v', '-s', '-f', seedPath('hlw-client/chat-name')],
    steps: [...modem.at('ATZ'), ...modem.at('ATDT5551212', 'NO CARRIER')],
    code: 5,
    compareStderr: true,
  },
  {
    name: 'seed dialup-server/ppp.script: text login',
    args: ['-v', '-s', '-f', seedPath('dialup-server/ppp.script')],
    steps: [
      ...modem.at('ATZ'),
      ...modem.at('ATM0'),
      ...modem.at('ATDT301-555-1212', 'CONNECT 57600'),
      { expect: '\r' },
      { send: 'Username: ' },
      { expect: 'tjnelson\r' },
      { send: 'tjnelson\r\nPassword: ' },
      { expect: 'potatoe\r' },
      { send: '\r\n' },
      { expect: 'ppp\r' },
    ],
    code: 0,
    compareStderr: true,
  },
  {
    name: "seed ppp.script.suse: a '-' inside an expect splits it; '\\d' send; final expect \\r",
    args: ['-v', '-s', '-f', seedPath('dialup-server/ppp.script.suse')],
    steps: [
      ...modem.at('ATZ'),
      ...modem.at('ATM0'),
      ...modem.at('ATDT301-555-1212', 'CONNECT 57600'),
      { expect: '\r' },
      { send: '\r\nWelcome to SuSE Linux 6.0 (i386) - Kernel 2.0.36 (ttyS1).\r\n\r\n' },
      { expect: '\r' },
      { send: 'tux login: ' },
      { expect: 'ppp\r' },
      { send: 'ppp\r\nPassword: ' },
      { expect: 'actinium\r' },
      { send: '\r\n' },
    ],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'seed lw-isp/dialscript: quoted words, ogin:--ogin: answered',
    args: ['-v', '-s', '-f', seedPath('lw-isp/dialscript')],
    steps: [...modem.at('ATZ'), ...modem.at('ATDT 1234567', 'CONNECT 33600'), { send: 'login:' }, { expect: '\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: "seed dialscript: 'Invalid Login' is ABORT 1 (exit 4)",
    args: ['-f', seedPath('lw-isp/dialscript')],
    steps: [...modem.at('ATZ'), ...modem.at('ATDT 1234567', 'CONNECT 33600'), { send: 'Invalid Login\r\n' }],
    code: 4,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- subexpects and timeouts
  {
    name: "\\~ '': wait for the PPP flag byte",
    args: ['-v', '-s', '', 'ATDT5551212', 'CONNECT', '\\c', '\\~', ''],
    steps: [...modem.at('ATDT5551212', 'CONNECT'), { send: '~\xff}#\xc0!}!' }, { expect: '\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'ogin:--ogin: first prompt lost, CR sent, second prompt answered',
    args: ['-v', '-s', 'TIMEOUT', '1', 'ogin:--ogin:', 'ppp', 'ssword:', '\\qhello2u2'],
    steps: [{ expect: '\r' }, { send: '\r\nlogin: ' }, { expect: 'ppp\r' }, { send: 'Password:' }, { expect: 'hello2u2\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'ogin:-BREAK-ogin: with no answer at all: break, then timeout (exit 3)',
    args: ['-v', '-s', 'TIMEOUT', '1', 'ogin:-BREAK-ogin:', 'ppp'],
    steps: [],
    code: 3,
    compareStderr: true,
  },
  {
    name: 'timeout without a sub-send (exit 3); an unfinished line is not logged',
    args: ['-v', '-s', '-S', 'TIMEOUT', '1', '', 'ATZ', 'OK', 'ATDT'],
    steps: [{ expect: 'ATZ\r' }, { send: 'ATZ\r\r\nERR' }],
    code: 3,
    compareStderr: true,
  },
  {
    name: "'OK--' after a timeout sends CR and carries on as if matched",
    args: ['-v', '-s', 'TIMEOUT', '1', 'OK--', 'next'],
    steps: [{ expect: '\r' }, { expect: 'next\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: "subexpect with a sub-send of '@file' and of EOT",
    args: ['TIMEOUT', '1', 'ready-@wake.txt-ready-EOT-ready', 'go'],
    files: { 'wake.txt': 'WAKE\\r\n' },
    steps: [{ expect: 'WAKE\r\r' }, { expect: '\x04' }, { send: 'ready' }, { expect: 'go\r' }],
    code: 0,
  },
  {
    name: 'an alarm during a send leaves stdin non-blocking: the next expect fails at once',
    args: ['-v', '-s', 'TIMEOUT', '1', 'OK-\\d\\d\\c-OK', 'x'],
    steps: [],
    code: 3,
    compareStderr: true,
    note: "chat's SIGALRM handler sets O_NONBLOCK and only a failed read clears it",
  },
  {
    name: 'a send longer than TIMEOUT allows is cut by the alarm (exit 1)',
    args: ['-v', '-s', 'TIMEOUT', '1', '', 'x'.repeat(150)],
    steps: [],
    code: 1,
    compareStderr: true,
    lineTolerance: 20,
    // Real chat itself prints either, run to run, by where SIGALRM lands in its byte loop: a
    // CI run met "write failed: Success" (errno 0), every earlier one "write timed out", which
    // is what dialtone prints.
    stderrEither: [[' -- write timed out', ' -- write failed: Success']],
    note:
      'chat sleeps 10 ms before each byte, so about 100 bytes fit in the 1 s alarm; real usleep() ' +
      'overshoots a little (chat gets ~98 out), dialtone keeps an exact schedule (100)',
  },
  {
    name: '-t 1 on the command line; TIMEOUT 0 means the default 45',
    args: ['-v', '-s', '-t', '1', 'TIMEOUT', '0', '', 'AT', 'TIMEOUT', '1', 'OK', 'ATZ'],
    steps: [{ expect: 'AT\r' }],
    code: 3,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- ABORT, REPORT
  {
    name: 'CLR_ABORT renumbers the ABORT exit codes',
    args: ['-v', '-s', 'ABORT', 'BUSY', 'ABORT', 'NO\\sCARRIER', 'ABORT', 'ERROR', 'CLR_ABORT', 'BUSY', '', 'ATD1', 'OK', ''],
    steps: [...modem.at('ATD1', 'ERROR')],
    code: 5,
    compareStderr: true,
  },
  {
    name: 'CLR_ABORT with duplicates keeps the last copy (chat loop quirk)',
    args: ['ABORT', 'A1', 'ABORT', 'B2', 'ABORT', 'A1', 'CLR_ABORT', 'A1', '', 'AT', 'OK', ''],
    steps: [...modem.at('AT', 'A1')],
    code: 5,
  },
  {
    name: "ABORT '' aborts on the first byte received",
    args: ['-s', 'ABORT', '', '', 'AT', 'OK', ''],
    steps: [...modem.at('AT')],
    code: 4,
    compareStderr: true,
  },
  {
    name: 'REPORT CONNECT to stderr, rest of the line gathered',
    args: ['-v', '-s', 'REPORT', 'CONNECT', 'ABORT', 'BUSY', '', 'ATDT555', 'CONNECT', '\\c', 'ogin:', 'ppp'],
    steps: [...modem.at('ATDT555', 'CONNECT 57600/V42BIS'), { send: 'login:' }, { expect: 'ppp\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'REPORT to -r file; the last line is gathered at exit (1 s)',
    args: ['-v', '-r', 'report.txt', 'REPORT', 'CONNECT', 'CLR_REPORT', 'NOPE', '', 'ATDT555', 'CONNECT', ''],
    steps: [{ expect: 'ATDT555\r' }, { send: '\r\nCONNECT 115200 ' }, { expect: '\r' }, { send: 'LAPM' }],
    code: 0,
    compareFile: 'report.txt',
  },
  {
    name: 'REPORT with an -r file that cannot be opened: reports and "Closing" go to stderr',
    args: ['-v', '-s', '-r', '/nonexistent/dir/report.txt', 'REPORT', 'CONN', '', 'AT', 'CONN', ''],
    steps: [{ expect: 'AT\r' }, { send: 'CONNECT 1\r\n' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'REPORT gathering at exit cut short by a hangup (exit 2)',
    args: ['-v', '-s', 'REPORT', 'CONN', '', 'AT', 'CONN', ''],
    steps: [{ expect: 'AT\r' }, { send: 'CONNECT 12' }, { expect: '\r' }, { hangup: true }],
    code: 2,
    compareStderr: true,
  },
  {
    name: 'Failed (reason) shows the raw ABORT string; -S keeps it off syslog',
    args: ['-s', '-S', 'ABORT', '\\nBUSY\\r', '', 'ATDT1', 'CONNECT', ''],
    steps: [...modem.at('ATDT1', 'BUSY')],
    code: 4,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- escapes
  {
    name: 'send escapes: \\b \\s \\t \\\\ octal \\n ^A \\p \\d \\c',
    args: ['-v', '-s', '', 'A\\bB\\sC\\tD\\\\E\\101\\nF^AG\\pH\\dI\\c', '', 'x^'],
    steps: [{ expect: 'x^\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'NUL: \\N and \\0 are sent, and cut the send log short',
    args: ['-v', '-s', '', 'X\\NY\\0Z', '', 'ab\\ccd', '', 'end\\'],
    steps: [{ expect: 'end\\\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'expect escapes: \\r \\n \\s \\t \\\\ octal ^G and \\d \\c meaning plain d c',
    args: ['-v', '-s', 'TIMEOUT', '2', '', 'go', 'a\\r\\nb\\sc\\td\\\\e\\101^G\\d\\c', 'ok'],
    steps: [{ expect: 'go\r' }, { send: 'xa\r\nb c\td\\eA\x07dc' }, { expect: 'ok\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '8-bit bytes from octal escapes; ^@ dropped',
    args: ['-v', '-s', '', '\\777\\201^@x\\c'],
    steps: [],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'EOT and BREAK send words',
    args: ['-v', '-s', '', 'EOT', '', 'BREAK', '', 'done'],
    steps: [{ expect: 'done\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-T and -U fill \\T and \\U (only when sending)',
    args: ['-v', '-s', '-T', '5551212', '-U', '99', '', 'ATDT\\T', 'OK', 'AT\\U,\\T', '\\T', '\\U'],
    steps: [...modem.at('ATDT5551212'), ...modem.at('AT99,5551212', '\\T'), { expect: '99\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '\\T without -T sends a plain T',
    args: ['-v', '-s', '', 'ATD\\T\\U'],
    steps: [{ expect: 'ATDTU\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-E: $VARIABLES in send and expect strings',
    args: ['-E', '-v', '-s', '', 'ATDT$PHONE', '$RESULT', 'x$NOPE$\\$y', 'TIMEOUT', '$T', 'ok', ''],
    env: { PHONE: '5551234', RESULT: 'CONNECT', T: '1' },
    steps: [...modem.at('ATDT5551234', 'CONNECT'), { expect: 'x$y\r' }],
    code: 3,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- ECHO, SAY, -V, -e
  {
    name: 'SAY (raw, with the CR chat adds) and ECHO ON/OFF',
    args: ['SAY', 'Dialling\\n', 'ECHO', 'ON', '', 'ATZ', 'OK', 'ATDT1', 'ECHO', 'OFF', 'CONNECT', '', 'SAY', 'up \\d\\c'],
    steps: [...modem.at('ATZ'), ...modem.at('ATDT1', 'CONNECT 2400'), { expect: '\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'SAY with \\q, \\N (cuts it) and \\d (written as is)',
    args: ['SAY', '\\qa\\Nb', 'SAY', 'x\\dy\\c'],
    steps: [],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-e with -v: echo and log interleave; the echo line is ended at exit',
    args: ['-e', '-s', '-v', '', 'AT', 'OK', '', 'TIMEOUT', '1', 'X', 'y'],
    steps: [{ expect: 'AT\r' }, { send: 'OK\r\nabc' }],
    code: 3,
    compareStderr: true,
  },
  {
    name: '-e echoes received characters (control chars as ^X)',
    args: ['-e', '', 'AT', 'OK', ''],
    steps: [{ expect: 'AT\r' }, { send: 'AT\r\r\n\x01\x7fOK\r\n' }, { expect: '\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-V copies received characters to stderr',
    args: ['-V', '', 'AT', 'OK', '', 'TIMEOUT', '1', 'never', ''],
    steps: [{ expect: 'AT\r' }, { send: 'AT\r\r\nOK\r\n' }, { expect: '\r' }, { send: 'more\r\n' }],
    code: 3,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- files, -f parsing
  {
    name: '@file sends the file (final newline dropped, escapes interpreted)',
    args: ['-v', '-s', '', '@pw.txt', '', '@ cmd.txt', '', '@'],
    files: { 'pw.txt': 'secret\n', 'cmd.txt': 'AT\\d&F\\c\n' },
    steps: [{ expect: 'secret\r' }, { expect: 'AT&F' }, { expect: '@\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '@file that does not exist: exit 1',
    args: ['-s', '', 'AT', '', '@missing.txt', '', 'never'],
    steps: [{ expect: 'AT\r' }],
    code: 1,
    compareStderr: true,
  },
  {
    name: '-f file: comments, quotes, tabs, words pairing across lines',
    args: ['-v', '-s', '-f', 'dial.chat'],
    files: {
      'dial.chat': "# a comment line\nABORT 'NO CARRIER'\tABORT \"BUSY\"\n'' \"AT&F\"\n  '#'   'x y'\nOK\nATZ\nOK 'a b'c\n'#' ''\n",
    },
    steps: [
      { expect: 'AT&F\r' },
      { send: '#\r\n' },
      { expect: 'x y\r' },
      { send: 'OK\r\n' },
      { expect: 'ATZ\r' },
      { send: 'OK\r\n' },
      { expect: 'a b\r' },
      { send: 'c' },
      { expect: '#\r' },
    ],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-f file with an unterminated quote: earlier lines run, then exit 1',
    args: ['-s', '-f', 'bad.chat'],
    files: { 'bad.chat': "'' AT\nOK 'oops\n" },
    steps: [...modem.at('AT')],
    code: 1,
    compareStderr: true,
  },
  {
    name: '-f file with CRLF lines: the CR sticks to words, or is a word of its own',
    args: ['-v', '-s', '-f', 'crlf.chat'],
    files: { 'crlf.chat': "'' 'AT'\r\nOK ATZ\r\n" },
    // words: '' AT <CR> OK ATZ<CR>
    steps: [{ expect: 'AT\r' }, { send: '\r' }, { expect: 'OK\r' }, { send: 'ATZ\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-f file: a comment line longer than 1023 bytes goes on as script words',
    args: ['-v', '-s', '-f', 'long.chat'],
    // fgets() reads 1023 bytes: the '#' piece is a comment, the rest of the line is not
    files: { 'long.chat': '#' + 'x'.repeat(1022) + " '' AT\n" },
    steps: [{ expect: 'AT\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '"--" ends the options',
    args: ['-s', '--', '-v', 'x'],
    steps: [{ send: '-v' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: '-f with extra words is a usage error (exit 1)',
    args: ['-f', 'x.chat', 'extra'],
    files: { 'x.chat': "'' AT\n" },
    steps: [],
    code: 1,
  },
  {
    name: 'unknown option is a usage error (exit 1)',
    args: ['-x', '', 'AT'],
    steps: [],
    code: 1,
  },

  // ---------------------------------------------------------------- received-text logging
  {
    name: 'verbose log: long lines cut every 80 characters, blank lines, 8-bit stripped',
    args: ['-v', '-s', '', 'go', 'END', ''],
    steps: [{ expect: 'go\r' }, { send: 'x'.repeat(170) + '\r\n\r\n\n\xc1\xe2c\r\nEND' }, { expect: '\r' }],
    code: 0,
    compareStderr: true,
  },
  {
    name: 'more than 1024 bytes before the match (chat slides its buffer)',
    args: ['-v', '-s', 'ABORT', 'BUSY', '', 'go', 'CONNECT', ''],
    steps: [
      { expect: 'go\r' },
      { send: Array.from({ length: 40 }, (_, i) => `line ${i} ` + 'y'.repeat(i * 3)).join('\r\n') + 'CONN' },
      { delay: 20 },
      { send: 'ECT' },
      { expect: '\r' },
    ],
    code: 0,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- signals
  {
    name: 'SIGTERM while waiting: exit 2',
    args: ['-v', '-s', '', 'ATZ', 'OK', ''],
    steps: [{ expect: 'ATZ\r' }, { delay: 50 }, { signal: 'SIGTERM' }],
    code: 2,
    compareStderr: true,
  },
  {
    name: 'SIGINT while the REPORT line is pending: the report is still written, exit 2',
    args: ['-s', 'REPORT', 'CONNECT', '', 'ATD', 'CONNECT', '\\c', 'ogin:', ''],
    steps: [{ expect: 'ATD\r' }, { send: 'CONNECT 2400' }, { delay: 50 }, { signal: 'SIGINT' }, { delay: 50 }, { send: '/REL\r\n' }],
    code: 2,
    compareStderr: true,
  },
  {
    name: 'SIGHUP ends chat (exit 2) ...',
    args: ['-s', '', 'ATZ', 'OK', ''],
    steps: [{ expect: 'ATZ\r' }, { delay: 50 }, { signal: 'SIGHUP' }],
    code: 2,
    compareStderr: true,
  },
  {
    name: '... but not after HANGUP OFF; HANGUP ON re-arms it',
    args: ['-s', 'HANGUP', 'OFF', '', 'ATZ', 'OK', 'ATD', 'HANGUP', 'ON', 'CONNECT', ''],
    steps: [
      { expect: 'ATZ\r' },
      { delay: 50 },
      { signal: 'SIGHUP' },
      { delay: 50 },
      { send: 'OK\r\n' },
      { expect: 'ATD\r' },
      { delay: 50 },
      { signal: 'SIGHUP' },
    ],
    code: 2,
    compareStderr: true,
  },

  // ---------------------------------------------------------------- hangups
  {
    name: 'HANGUP OFF, then the line goes away: chat fails and cannot restore the tty (exit 2)',
    args: ['-v', '-s', 'HANGUP', 'OFF', '', 'ATZ', 'OK', 'ATDT'],
    steps: [{ expect: 'ATZ\r' }, { send: 'ATZ\r' }, { hangup: true }],
    code: 2,
    compareStderr: true,
  },
  {
    name: 'hangup during ogin:--ogin: (read fails, sub-send write fails)',
    args: ['-v', '-s', 'TIMEOUT', '2', '', 'ATD5', 'CONNECT', '', 'ogin:--ogin:', 'ppp'],
    steps: [...modem.at('ATD5', 'CONNECT'), { expect: '\r' }, { send: 'NO CARRIER\r\n' }, { hangup: true }],
    code: 2,
    compareStderr: true,
  },
];
