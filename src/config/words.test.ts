import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  MAXWORDLEN,
  WordReader,
  tokenizeOptions,
  unrecognizedOptionInFile,
  tooFewParametersInFile,
  unrecognizedOptionOnCommandLine,
  tooFewParametersOnCommandLine,
  unrecognizedOptionInSecrets,
  tooFewParametersInSecrets,
  cantOpenOptionsFile,
  type Word,
} from './words.js';

const texts = (s: string): string[] => tokenizeOptions(s, 'f').map((w) => w.text);

/** The seed-config fixtures, found from the compiled test's location (dist/src/config). */
function seedDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('repo root not found');
    d = up;
  }
  return join(d, 'test', 'fixtures', 'seed-configs');
}
const seed = (rel: string): string => readFileSync(join(seedDir(), rel), 'latin1');

/** [text, line, quoted] triples for compact fixture assertions. */
const triples = (ws: Word[]): Array<[string, number, boolean]> => ws.map((w) => [w.text, w.line, w.quoted]);

describe('getword: words and white space', () => {
  test('splits on every C isspace character', () => {
    assert.deepEqual(texts('a b\tc\nd\re\vf\fg'), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });
  test('CRLF files: \\r is white space', () => {
    assert.deepEqual(texts('lock\r\nmtu 552\r\n'), ['lock', 'mtu', '552']);
  });
  test('empty and blank input give no words', () => {
    assert.deepEqual(texts(''), []);
    assert.deepEqual(texts('  \n\t\n'), []);
  });
  test('carries file and 1-based line of the word start', () => {
    const ws = tokenizeOptions('\n\n  lock\nmtu   552', '/etc/ppp/options');
    assert.deepEqual(
      ws.map((w) => [w.text, w.file, w.line]),
      [
        ['lock', '/etc/ppp/options', 3],
        ['mtu', '/etc/ppp/options', 4],
        ['552', '/etc/ppp/options', 4],
      ],
    );
  });
  test('newline flag is getword newlinep: set iff an unescaped newline precedes the word', () => {
    const ws = tokenizeOptions('a b\nc #x\nd \\\ne', 'f');
    assert.deepEqual(
      ws.map((w) => [w.text, w.newline]),
      [
        ['a', false],
        ['b', false],
        ['c', true],
        ['d', true],
        ['e', false], // backslash-newline between words is not a line break
      ],
    );
  });
});

describe('getword: comments', () => {
  test('# at the start of a line or word comments to end of line', () => {
    assert.deepEqual(texts('# all comment\nlock # trailing\n  #x y z\nmodem'), ['lock', 'modem']);
  });
  test('# inside an unquoted word ends the word and starts a comment', () => {
    assert.deepEqual(texts('foo#bar baz\nqux'), ['foo', 'qux']);
  });
  test('# is ordinary inside quotes and when escaped', () => {
    assert.deepEqual(texts('"a#b" \'#c\' \\#d e\\#f'), ['a#b', '#c', '#d', 'e#f']);
  });
  test('backslash-newline does not continue a comment', () => {
    assert.deepEqual(texts('# comment \\\nlock'), ['lock']);
  });
  test('comment after a value (fixture style)', () => {
    assert.deepEqual(texts('ms-dns 192.0.2.53        # reconstructed\n'), ['ms-dns', '192.0.2.53']);
  });
});

describe('getword: quoting', () => {
  test('double and single quotes keep white space', () => {
    assert.deepEqual(texts('"a b" \'c\td\' "x\ny"'), ['a b', 'c\td', 'x\ny']);
  });
  test('adjacent quoted and unquoted parts join into one word', () => {
    assert.deepEqual(texts('ab"c d"e\'f g\'h'), ['abc def gh']);
    assert.deepEqual(texts('""abc \'\'\'\'x'), ['abc', 'x']);
  });
  test('the other quote character is ordinary inside quotes', () => {
    assert.deepEqual(texts('"it\'s" \'say "hi"\''), ["it's", 'say "hi"']);
  });
  test('backslash escapes ARE processed inside single quotes (unlike a shell)', () => {
    assert.deepEqual(texts("'a\\tb' '\\'' 'c\\\\d'"), ['a\tb', "'", 'c\\d']);
  });
  test('escaped quote characters are literal', () => {
    assert.deepEqual(texts('\\"a\\" it\\\'s'), ['"a"', "it's"]);
  });
  test('quoted flag', () => {
    const ws = tokenizeOptions('plain "q" a\'b\'c \\"x', 'f');
    assert.deepEqual(
      ws.map((w) => [w.text, w.quoted]),
      [
        ['plain', false],
        ['q', true],
        ['abc', true],
        ['"x', false],
      ],
    );
  });
  test('"" followed by white space is an empty word', () => {
    const ws = tokenizeOptions('a "" b\n\'\'\n', 'f');
    assert.deepEqual(
      ws.map((w) => [w.text, w.quoted]),
      [
        ['a', false],
        ['', true],
        ['b', false],
        ['', true],
      ],
    );
  });
  test('quoted word spanning lines reports the line it starts on', () => {
    const ws = tokenizeOptions('x\n"a\nb\nc" y', 'f');
    assert.deepEqual(triples(ws), [
      ['x', 1, false],
      ['a\nb\nc', 2, true],
      ['y', 4, false],
    ]);
  });
});

describe('getword: backslash escapes', () => {
  test('C escapes and \\s', () => {
    assert.deepEqual(texts('\\a\\b\\f\\n\\r\\s\\t'), ['\x07\b\f\n\r \t']);
  });
  test('octal: up to three digits, stops at a non-octal digit', () => {
    assert.deepEqual(texts('\\101 \\1011 \\18 \\7'), ['A', 'A1', '\x018', '\x07']);
  });
  test('octal values above 0377 wrap to 8 bits like a C char', () => {
    assert.deepEqual(texts('\\777'), ['\xff']);
  });
  test('hex: up to two digits, either case', () => {
    assert.deepEqual(texts('\\x41 \\x4a \\x4Ag \\xf'), ['A', 'J', 'Jg', '\x0f']);
  });
  test('NUL from \\0, \\x00 or a digitless \\x ends the (C string) word', () => {
    assert.deepEqual(texts('ab\\0cd x\\x00y p\\xq'), ['ab', 'x', 'p']);
    // the word still exists (length counted) - it is just empty
    assert.deepEqual(texts('\\0 z'), ['', 'z']);
  });
  test('backslash + other character is that character', () => {
    assert.deepEqual(texts('\\q \\\\ \\  a\\ b'), ['q', '\\', ' ', 'a b']);
  });
  test('backslash-newline inside a word is dropped and the word continues', () => {
    const ws = tokenizeOptions('con\\\nnect x', 'f');
    assert.deepEqual(triples(ws), [
      ['connect', 1, false],
      ['x', 2, false],
    ]);
  });
  test('an escaped character can start a word (line of the backslash)', () => {
    const ws = tokenizeOptions('\n\\x41b', 'f');
    assert.deepEqual(triples(ws), [['Ab', 2, false]]);
  });
  test('trailing backslash at EOF is dropped', () => {
    assert.deepEqual(texts('abc\\'), ['abc']);
    assert.deepEqual(texts('abc \\'), ['abc']);
    assert.deepEqual(texts('\\'), []);
  });
});

describe('getword: malformed input and limits', () => {
  test('unterminated quote at EOF: word kept, pppd warning names the FILE (pppd format bug)', () => {
    const ws = tokenizeOptions('lock "abc def', '/etc/ppp/peers/provider-long-name');
    assert.equal(ws.length, 2);
    assert.equal(ws[1]!.text, 'abc def');
    // options.c: option_error("warning: quoted word runs to end of file (%.20s...)", filename, word)
    assert.deepEqual(ws[1]!.warnings, ['warning: quoted word runs to end of file (/etc/ppp/peers/provi...)']);
    assert.equal(ws[0]!.warnings, undefined);
  });
  test('a lone quote or a final "" with no newline is no word at all (len 0 at EOF)', () => {
    assert.deepEqual(texts('lock "'), ['lock']);
    assert.deepEqual(texts('lock ""'), ['lock']);
    assert.deepEqual(texts("a ''"), ['a']);
    assert.deepEqual(texts('lock ""\n'), ['lock', '']);
  });
  test('1023 characters is fine; 1024 is too long: truncated with pppd warning', () => {
    const ok = tokenizeOptions('x'.repeat(MAXWORDLEN - 1), 'opts');
    assert.equal(ok[0]!.text.length, 1023);
    assert.equal(ok[0]!.warnings, undefined);
    const long = tokenizeOptions('y'.repeat(5000) + ' next', 'opts');
    assert.equal(long.length, 2);
    assert.equal(long[0]!.text, 'y'.repeat(1023));
    assert.deepEqual(long[0]!.warnings, [`warning: word in file opts too long (${'y'.repeat(20)}...)`]);
    assert.equal(long[1]!.text, 'next');
  });
  test('unterminated quote that is also too long gets both warnings in pppd order', () => {
    const ws = tokenizeOptions('"' + 'z'.repeat(2000), 'f');
    assert.deepEqual(ws[0]!.warnings, [
      'warning: quoted word runs to end of file (f...)',
      `warning: word in file f too long (${'z'.repeat(20)}...)`,
    ]);
  });
  test('never throws on arbitrary input; WordReader agrees with tokenizeOptions', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const all = tokenizeOptions(s, 'f');
        const r = new WordReader(s, 'f');
        const one: Word[] = [];
        for (let w = r.next(); w !== undefined; w = r.next()) one.push(w);
        assert.deepEqual(one, all);
        for (const w of all) {
          assert.ok(w.text.length <= MAXWORDLEN - 1);
          assert.ok(!w.text.includes('\0'));
          assert.ok(w.line >= 1);
        }
      }),
    );
  });
  test('plain words round-trip', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9.:\/_+=-]{1,20}$/);
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 20 }), fc.constantFrom(' ', '\n', '\t', ' \n '), (ws, sep) => {
        assert.deepEqual(texts(ws.join(sep)), ws);
      }),
    );
  });
});

describe('pppd option messages (options.c wording)', () => {
  test('files', () => {
    assert.equal(unrecognizedOptionInFile('/etc/ppp/options', 'foo'), "In file /etc/ppp/options: unrecognized option 'foo'");
    assert.equal(tooFewParametersInFile('/etc/ppp/options', 'mtu'), "In file /etc/ppp/options: too few parameters for option 'mtu'");
    assert.equal(cantOpenOptionsFile('/etc/ppp/peers/x', 'No such file or directory'), "Can't open options file /etc/ppp/peers/x: No such file or directory");
  });
  test('command line and secrets file', () => {
    assert.equal(unrecognizedOptionOnCommandLine('foo'), "unrecognized option 'foo'");
    assert.equal(tooFewParametersOnCommandLine('mtu'), 'too few parameters for option mtu');
    assert.equal(unrecognizedOptionInSecrets('foo'), "In secrets file: unrecognized option 'foo'");
    assert.equal(tooFewParametersInSecrets('mtu'), "In secrets file: too few parameters for option 'mtu'");
  });
});

describe('seed configuration files, unchanged', () => {
  const load = (rel: string): Word[] => {
    const ws = tokenizeOptions(seed(rel), `/etc/ppp/${rel}`);
    for (const w of ws) assert.equal(w.warnings, undefined, `${rel}: unexpected warning`);
    return ws;
  };
  const unquoted = (pairs: Array<[string, number]>): Array<[string, number, boolean]> =>
    pairs.map(([t, l]) => [t, l, false]);

  test('howto-client/options', () => {
    assert.deepEqual(
      triples(load('howto-client/options')),
      unquoted([
        ['-detach', 3],
        ['modem', 5],
        ['lock', 7],
        ['crtscts', 9],
        ['defaultroute', 11],
        ['asyncmap', 13],
        ['0', 13],
        ['mtu', 15],
        ['552', 15],
        ['mru', 17],
        ['552', 17],
        ['idle', 19],
        ['600', 19],
      ]),
    );
  });
  test('howto-client/options.pap', () => {
    assert.deepEqual(
      triples(load('howto-client/options.pap')),
      unquoted([
        ['-detach', 2],
        ['modem', 3],
        ['lock', 4],
        ['crtscts', 5],
        ['defaultroute', 6],
        ['asyncmap', 7],
        ['0', 7],
        ['name', 8],
        ['fred', 8],
        ['remotename', 9],
        ['pppserver1', 9],
      ]),
    );
  });
  test('hlw-client/peers-name: the quoted connect command is one word', () => {
    const ws = load('hlw-client/peers-name');
    assert.deepEqual(triples(ws), [
      ['ttyS1', 2, false],
      ['115200', 2, false],
      ['crtscts', 2, false],
      ['connect', 3, false],
      ['/usr/sbin/chat -v -f /etc/ppp/chat-name', 3, true],
      ['mru', 4, false],
      ['1500', 4, false],
      ['name', 5, false],
      ['username', 5, false],
      ['remotename', 6, false],
      ['isp_name', 6, false],
    ]);
    assert.equal(ws[0]!.file, '/etc/ppp/hlw-client/peers-name');
  });
  test('lw-isp/options: trailing "# reconstructed" comments are dropped', () => {
    assert.deepEqual(
      triples(load('lw-isp/options')),
      unquoted([
        ['auth', 2],
        ['-chap', 3],
        ['+pap', 4],
        ['login', 5],
        ['proxyarp', 6],
        ['ms-dns', 7],
        ['192.0.2.53', 7],
        ['ms-dns', 8],
        ['192.0.2.54', 8],
      ]),
    );
  });
  test('lw-isp/options.ttyR1', () => {
    assert.deepEqual(triples(load('lw-isp/options.ttyR1')), unquoted([['192.0.2.1:192.0.2.201', 1]]));
  });
  test('dialup-server/options', () => {
    assert.deepEqual(
      triples(load('dialup-server/options')),
      unquoted([
        ['-detach', 1],
        ['asyncmap', 2],
        ['0', 2],
        ['netmask', 3],
        ['255.255.254.0', 3],
        ['proxyarp', 4],
        ['lock', 5],
        ['crtscts', 6],
        ['noauth', 7],
        ['usehostname', 8],
        ['modem', 9],
        ['disconnect', 10],
        ['/etc/ppp-off', 10],
        ['nodefaultroute', 11],
        ['debug', 12],
      ]),
    );
  });
  test('dialup-server/options.ttyS0', () => {
    assert.deepEqual(
      triples(load('dialup-server/options.ttyS0')),
      unquoted([
        ['128.231.54.227:192.168.100.4', 1],
        ['modem', 2],
        ['crtscts', 3],
        ['silent', 4],
        ['proxyarp', 5],
      ]),
    );
  });
  test('howto-server/options', () => {
    assert.deepEqual(
      triples(load('howto-server/options')),
      unquoted([
        ['asyncmap', 2],
        ['0', 2],
        ['netmask', 3],
        ['255.255.255.0', 3],
        ['proxyarp', 4],
        ['lock', 5],
        ['crtscts', 6],
        ['modem', 7],
      ]),
    );
  });
  test('howto-server/options.ttyC0', () => {
    assert.deepEqual(triples(load('howto-server/options.ttyC0')), unquoted([['192.0.2.1:192.0.2.101', 2]]));
  });
});
