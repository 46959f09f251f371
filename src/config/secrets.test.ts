import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  parseSecrets,
  findSecret,
  matchRank,
  compileAddresses,
  addressAllowed,
  someAddressOk,
  suggestedAddress,
  permissionWarning,
  secretsEqual,
  papPasswordCheck,
  isBadAddress,
  inetAton,
  formatIp,
  NONWILD_CLIENT,
  NONWILD_SERVER,
  type SecretEntry,
} from './secrets.js';

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

/** Dotted quad to u32. */
const ip = (s: string): number => {
  const a = inetAton(s);
  assert.ok(a !== undefined, s);
  return a;
};

const entries = (text: string, opts?: Parameters<typeof parseSecrets>[2]): SecretEntry[] =>
  parseSecrets(text, '/etc/ppp/pap-secrets', opts).entries;

/** Compact view: [client, server, secret, addressWords, options, line]. */
const view = (es: SecretEntry[]): Array<[string, string, string, string[], string[], number]> =>
  es.map((e) => [e.client, e.server, e.secret, e.addressWords, e.options, e.line]);

describe('scan_authfile: grouping words into entries', () => {
  test('one entry per line; the rest of the line is addresses, then -- options', () => {
    const es = entries('fred * flint 10.0.0.1 !10.0.0.2 -- debug mtu 296\nbarney srv "a b"\n');
    assert.deepEqual(view(es), [
      ['fred', '*', 'flint', ['10.0.0.1', '!10.0.0.2'], ['debug', 'mtu', '296'], 1],
      ['barney', 'srv', 'a b', [], [], 2],
    ]);
    assert.equal(es[0]!.file, '/etc/ppp/pap-secrets');
  });
  test('lines with fewer than three words are ignored; a short line does not swallow the next', () => {
    const es = entries('lonely\nfred server\nbarney srv pw 1.2.3.4\nfred\n');
    assert.deepEqual(view(es), [['barney', 'srv', 'pw', ['1.2.3.4'], [], 3]]);
  });
  test('client, server and secret must share a line: the next line starts a new entry', () => {
    // "fred *" then newline: the partial entry is dropped and "pw x y" is an entry of its own
    const es = entries('fred *\npw x y\n');
    assert.deepEqual(view(es), [['pw', 'x', 'y', [], [], 2]]);
  });
  test('an entry spans lines only via backslash-newline or a quoted newline', () => {
    const es = entries('fred \\\n  * \\\n  flint \\\n  10.0.0.1\nbarney * "two\nlines" 10.0.0.2\n');
    assert.deepEqual(view(es), [
      ['fred', '*', 'flint', ['10.0.0.1'], [], 1],
      ['barney', '*', 'two\nlines', ['10.0.0.2'], [], 5],
    ]);
  });
  test('comments, blank lines, CRLF', () => {
    const es = entries('# header\r\n\r\nfred * flint # comment 1.2.3.4\r\n  # indented comment\r\nx y z\r\n');
    assert.deepEqual(view(es), [
      ['fred', '*', 'flint', [], [], 3],
      ['x', 'y', 'z', [], [], 5],
    ]);
  });
  test('the first word of the file starts an entry even without a preceding newline', () => {
    assert.deepEqual(view(entries('a b c')), [['a', 'b', 'c', [], [], 1]]);
  });
  test('only the first -- splits; later -- are options', () => {
    assert.deepEqual(entries('a b c 1.2.3.4 -- x -- y\n')[0]!.options, ['x', '--', 'y']);
    assert.deepEqual(entries('a b c -- debug\n')[0]!.addressWords, []);
  });
  test('word warnings are reported with pppd wording', () => {
    const r = parseSecrets('a b "unterminated', 'pap');
    assert.deepEqual(r.warnings, ['warning: quoted word runs to end of file (pap...)']);
    assert.equal(r.entries[0]!.secret, 'unterminated');
  });
  test('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const r = parseSecrets(s, 'f', { readFile: () => undefined });
        for (const e of r.entries) findSecret(r.entries, e.client, e.server);
      }),
    );
  });
});

describe('scan_authfile: wildcards and ranking', () => {
  const text = [
    '*     *     wild-wild', // 0
    '*     srv   wild-srv', // NONWILD_SERVER = 1
    'fred  *     fred-wild', // NONWILD_CLIENT = 2
    'fred  srv   exact', // 3
    'fred  srv   exact-second', // 3, later
    '*     *     wild-wild-second',
    '',
  ].join('\n');
  const es = entries(text);
  const secretFor = (c: string | null, s: string | null): string | undefined => findSecret(es, c, s)?.secret;

  test('exact client+server beats client-only beats server-only beats * *', () => {
    assert.equal(secretFor('fred', 'srv'), 'exact');
    assert.equal(secretFor('fred', 'other'), 'fred-wild');
    assert.equal(secretFor('barney', 'srv'), 'wild-srv');
    assert.equal(secretFor('barney', 'other'), 'wild-wild');
  });
  test('pppd prefers a specific client over a specific server (flags 2 vs 1)', () => {
    const e2 = entries('* srv by-server\nfred * by-client\n');
    assert.equal(findSecret(e2, 'fred', 'srv')!.secret, 'by-client');
    const e3 = entries('fred * by-client\n* srv by-server\n');
    assert.equal(findSecret(e3, 'fred', 'srv')!.secret, 'by-client');
    assert.equal(NONWILD_CLIENT, 2);
    assert.equal(NONWILD_SERVER, 1);
  });
  test('ties: the first entry in the file wins', () => {
    assert.equal(secretFor('fred', 'srv'), 'exact');
    assert.equal(secretFor('nobody', 'nothing'), 'wild-wild');
  });
  test('null (unknown) client/server matches anything, non-* words still rank higher', () => {
    assert.equal(secretFor('fred', null), 'exact');
    assert.equal(secretFor(null, 'srv'), 'exact');
    assert.equal(secretFor(null, null), 'exact');
    assert.equal(matchRank(es[3]!, null, null), 3);
  });
  test('a literal "*" name is compared literally (it is not "any")', () => {
    assert.equal(secretFor('*', 'srv'), 'wild-srv');
    assert.equal(findSecret(entries('fred srv x\n'), '*', 'srv'), undefined);
  });
  test('case-sensitive; no match gives undefined', () => {
    const e = entries('Fred srv x\n');
    assert.equal(findSecret(e, 'fred', 'srv'), undefined);
    assert.equal(findSecret(e, 'Fred', 'srv')!.secret, 'x');
    assert.equal(matchRank(e[0]!, 'fred', 'srv'), -1);
  });
  test('a quoted "*" is still a wildcard (getword strips the quotes)', () => {
    assert.equal(findSecret(entries('"*" \'*\' q\n'), 'anyone', 'anywhere')!.secret, 'q');
  });
  test('an empty-string server is NOT a wildcard', () => {
    const e = entries('user "" pw\n');
    assert.equal(findSecret(e, 'user', 'isp'), undefined);
    assert.equal(findSecret(e, 'user', '')!.secret, 'pw');
    assert.equal(findSecret(e, 'user', null)!.secret, 'pw');
  });
});

describe('@/path indirect secrets', () => {
  const files: Record<string, string> = {
    '/etc/ppp/fred.secret': '# the secret\n\n  "top secret"  ignored words\nsecond line\n',
    '/etc/ppp/empty': '# nothing here\n   \n',
    '/etc/ppp/one': 'oneword',
  };
  const readFile = (p: string): string | undefined => files[p];

  test('the secret is the first WORD of the file (getword rules), not the first line', () => {
    const es = entries('fred * @/etc/ppp/fred.secret\n', { readFile });
    assert.equal(es[0]!.secret, 'top secret');
    assert.equal(es[0]!.secretFile, '/etc/ppp/fred.secret');
    assert.equal(es[0]!.secretError, undefined);
    assert.equal(entries('a b @/etc/ppp/one\n', { readFile })[0]!.secret, 'oneword');
  });
  test('only @/ is indirect: @login and @name are literal secrets', () => {
    const es = entries('a b @login\nc d @name\n', { readFile });
    assert.deepEqual(
      es.map((e) => [e.secret, e.secretFile]),
      [
        ['@login', undefined],
        ['@name', undefined],
      ],
    );
  });
  test('unreadable or empty file: entry skipped with pppd message, lower-ranked entry wins', () => {
    const text = '* * fallback\nfred * @/etc/ppp/missing\nfred srv @/etc/ppp/empty\n';
    const es = entries(text, { readFile });
    assert.equal(es[1]!.secretError, "can't open indirect secret file /etc/ppp/missing");
    assert.equal(es[2]!.secretError, 'no secret in indirect secret file /etc/ppp/empty');
    const msgs: string[] = [];
    const got = findSecret(es, 'fred', 'srv', { onWarning: (m) => msgs.push(m) });
    assert.equal(got!.secret, 'fallback');
    assert.deepEqual(msgs, [
      "can't open indirect secret file /etc/ppp/missing",
      'no secret in indirect secret file /etc/ppp/empty',
    ]);
  });
  test('when the secret is not needed (have_*_secret checks) the file is not consulted', () => {
    const es = entries('fred * @/etc/ppp/missing 10.0.0.1\n', { readFile });
    assert.equal(findSecret(es, 'fred', 'srv'), undefined);
    assert.equal(findSecret(es, 'fred', 'srv', { needSecret: false })!.client, 'fred');
  });
  test('without a readFile injection an indirect file cannot be opened', () => {
    assert.equal(entries('a b @/x\n')[0]!.secretError, "can't open indirect secret file /x");
    assert.equal(entries('a b @/x\n')[0]!.secret, '@/x');
  });
  test('the indirect file is permission-checked too when the reader supplies a mode', () => {
    const es = entries('a b @/s\n', { readFile: () => ({ text: 'pw\n', mode: 0o100644 }) });
    assert.equal(es[0]!.secret, 'pw');
    assert.deepEqual(es[0]!.secretWarnings, ['Warning - secret file /s has world and/or group access']);
    const msgs: string[] = [];
    findSecret(es, 'a', 'b', { onWarning: (m) => msgs.push(m) });
    assert.deepEqual(msgs, ['Warning - secret file /s has world and/or group access']);
  });
});

describe('addresses: set_allowed_addrs / auth_ip_addr', () => {
  const allowed = (words: string[], a: string, opts = {}): boolean =>
    addressAllowed(compileAddresses(words, opts), ip(a));

  test('no address words at all: no address is acceptable (auth was required)', () => {
    const [e] = entries('fred * flint\n');
    assert.deepEqual(e!.addressWords, []);
    assert.equal(addressAllowed(e!, ip('10.0.0.1')), false);
    assert.equal(someAddressOk(e!), false);
    assert.equal(suggestedAddress(e!), undefined);
  });
  test('no address words and auth not required: pppd falls back to its route check (injected)', () => {
    const [e] = entries('fred * flint\n');
    assert.equal(addressAllowed(e!, ip('10.0.0.1'), { authRequired: false }), false);
    assert.equal(addressAllowed(e!, ip('10.0.0.1'), { authRequired: false, unlisted: () => true }), true);
    // but never loopback/multicast
    assert.equal(addressAllowed(e!, ip('127.0.0.2'), { authRequired: false, unlisted: () => true }), false);
  });
  test('"-" means none, and stops the list', () => {
    assert.equal(allowed(['-'], '10.0.0.1'), false);
    assert.equal(allowed(['-', '10.0.0.1'], '10.0.0.1'), false);
    assert.equal(allowed(['10.0.0.1', '-', '10.0.0.2'], '10.0.0.1'), true);
    assert.equal(allowed(['10.0.0.1', '-', '10.0.0.2'], '10.0.0.2'), false);
    // "-" with auth not required: a list exists, so the fallback is NOT used
    assert.equal(addressAllowed(compileAddresses(['-']), ip('10.0.0.1'), { authRequired: false, unlisted: () => true }), false);
  });
  test('"*" allows any address and stops the list', () => {
    assert.equal(allowed(['*'], '203.0.113.9'), true);
    assert.equal(allowed(['*', '!203.0.113.9'], '203.0.113.9'), true);
    assert.equal(allowed(['!203.0.113.9', '*'], '203.0.113.9'), false);
    assert.equal(allowed(['!203.0.113.9', '*'], '203.0.113.8'), true);
  });
  test('loopback, multicast and class E are always refused', () => {
    for (const a of ['127.0.0.1', '127.255.0.1', '224.0.0.1', '239.1.2.3', '240.0.0.1', '255.255.255.255']) {
      assert.equal(allowed(['*'], a), false, a);
      assert.equal(isBadAddress(ip(a)), true, a);
    }
    assert.equal(isBadAddress(ip('0.0.0.0')), false);
    assert.equal(isBadAddress(ip('223.255.255.255')), false);
  });
  test('single hosts, first match wins, implicit deny at the end', () => {
    const w = ['10.0.0.1', '10.0.0.2'];
    assert.equal(allowed(w, '10.0.0.1'), true);
    assert.equal(allowed(w, '10.0.0.2'), true);
    assert.equal(allowed(w, '10.0.0.3'), false);
  });
  test('subnets and exclusions', () => {
    const w = ['!192.168.1.1', '!192.168.1.128/25', '192.168.1.0/24', '10.0.0.0/8'];
    assert.equal(allowed(w, '192.168.1.1'), false);
    assert.equal(allowed(w, '192.168.1.2'), true);
    assert.equal(allowed(w, '192.168.1.200'), false);
    assert.equal(allowed(w, '10.200.3.4'), true);
    assert.equal(allowed(w, '11.0.0.1'), false);
    // order matters: an earlier permit shadows a later exclusion
    assert.equal(allowed(['10.0.0.0/8', '!10.0.0.5'], '10.0.0.5'), true);
    // only exclusions: everything else is denied by the terminator
    assert.equal(allowed(['!10.0.0.5'], '10.0.0.6'), false);
  });
  test('compiled rules (base masked, host order)', () => {
    const c = compileAddresses(['10.1.2.3/8', '!192.0.2.1', '*']);
    assert.deepEqual(
      c.addresses.map((r) => [r.word, r.permit, formatIp(r.base), formatIp(r.mask)]),
      [
        ['10.1.2.3/8', true, '10.0.0.0', '255.0.0.0'],
        ['!192.0.2.1', false, '192.0.2.1', '255.255.255.255'],
        ['*', true, '0.0.0.0', '0.0.0.0'],
      ],
    );
    assert.deepEqual(c.warnings, []);
  });
  test('a/n+ : host part = interface unit + 1', () => {
    assert.equal(formatIp(compileAddresses(['10.0.0.0/24+'], { ifunit: 0 }).suggestedRemote!), '10.0.0.1');
    const c = compileAddresses(['10.0.0.0/24+'], { ifunit: 4 });
    assert.equal(formatIp(c.suggestedRemote!), '10.0.0.5');
    assert.equal(addressAllowed(c, ip('10.0.0.5')), true);
    assert.equal(addressAllowed(c, ip('10.0.0.6')), false);
    assert.deepEqual(compileAddresses(['10.0.0.0/30+'], { ifunit: 2 }).warnings, [
      'interface unit 2 too large for subnet 10.0.0.0/30+',
    ]);
    assert.deepEqual(compileAddresses(['10.0.0.0/32+']).warnings, ['interface unit 0 too large for subnet 10.0.0.0/32+']);
  });
  test('bad words: pppd warnings, word skipped, list still exists', () => {
    const c = compileAddresses(['1.2.3.4/33', '1.2.3.4/0', '1.2.3.4/', '1.2.3.4/8x', 'no.such.host', '255.255.255.255', '1.2.3.999']);
    assert.deepEqual(c.warnings, [
      'invalid address length 33 in auth. address list',
      'invalid address length 0 in auth. address list',
      'invalid address length  in auth. address list',
      'invalid address length syntax: 8x',
      'unknown host no.such.host in auth. address list',
      'unknown host 255.255.255.255 in auth. address list',
      'unknown host 1.2.3.999 in auth. address list',
    ]);
    assert.deepEqual(c.addresses, []);
    assert.equal(addressAllowed(c, ip('1.2.3.4')), false);
    // some_ip_ok only looks at first characters, so it thinks these allow something
    assert.equal(someAddressOk(c), true);
  });
  test('/+n is accepted (strtol), unknown host message shows the whole word', () => {
    assert.deepEqual(compileAddresses(['10.0.0.0/+8']).addresses[0]!.mask, 0xff000000);
    assert.deepEqual(compileAddresses(['!bogus/8']).warnings, ['unknown host !bogus/8 in auth. address list']);
  });
  test('host names via the injected resolver; networks get a classful mask', () => {
    const opts = {
      resolveHost: (n: string) => ({ gw: ip('192.0.2.1') })[n],
      resolveNet: (n: string) => ({ labnet: ip('172.16.0.0'), tiny: ip('192.0.2.0') })[n],
    };
    const c = compileAddresses(['gw', 'labnet', 'tiny/28', '!gw/24'], opts);
    assert.deepEqual(c.warnings, []);
    assert.deepEqual(
      c.addresses.map((r) => [formatIp(r.base), formatIp(r.mask), r.permit]),
      [
        ['192.0.2.1', '255.255.255.255', true],
        ['172.16.0.0', '255.255.0.0', true],
        ['192.0.2.0', '255.255.255.240', true],
        ['192.0.2.0', '255.255.255.0', false],
      ],
    );
  });
  test('inet_aton forms are accepted like gethostbyname/inet_addr do', () => {
    assert.equal(formatIp(inetAton('10.1')!), '10.0.0.1');
    assert.equal(formatIp(inetAton('10.1.2')!), '10.1.0.2');
    assert.equal(formatIp(inetAton('0x0a.0.0.010')!), '10.0.0.8');
    assert.equal(formatIp(inetAton('167772161')!), '10.0.0.1');
    for (const bad of ['', '1.2.3.4.', '08.1.1.1', '1.2.3.256', '1..2', 'a.b.c.d', '4294967296', '0x']) {
      assert.equal(inetAton(bad), undefined, bad);
    }
  });
  test('suggested remote: first single-host address (even an excluded one - pppd quirk)', () => {
    assert.equal(formatIp(suggestedAddress(compileAddresses(['10.0.0.0/8', '10.0.0.7', '10.0.0.8']))!), '10.0.0.7');
    assert.equal(formatIp(suggestedAddress(compileAddresses(['!10.0.0.1', '10.0.0.2']))!), '10.0.0.1');
    assert.equal(suggestedAddress(compileAddresses(['10.0.0.0/8', '*'])), undefined);
  });
  test('some_ip_ok: stops at a word starting with "-", ignores "!" words', () => {
    assert.equal(someAddressOk({ addressWords: ['*'] }), true);
    assert.equal(someAddressOk({ addressWords: ['!1.2.3.4', '-'] }), false);
    assert.equal(someAddressOk({ addressWords: ['!1.2.3.4', '1.2.3.5'] }), true);
    assert.equal(someAddressOk({ addressWords: ['-', '1.2.3.5'] }), false);
    assert.equal(someAddressOk({ addressWords: [] }), false);
  });
});

describe('helpers', () => {
  test('permissionWarning: any group/other bit (not only read)', () => {
    const msg = 'Warning - secret file /etc/ppp/pap-secrets has world and/or group access';
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100600), undefined);
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100400), undefined);
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100644), msg);
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100640), msg);
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100601), msg);
    assert.equal(permissionWarning('/etc/ppp/pap-secrets', 0o100610), msg);
  });
  test('secretsEqual', () => {
    assert.equal(secretsEqual('flintstone', 'flintstone'), true);
    assert.equal(secretsEqual('flintstone', 'flintstonE'), false);
    assert.equal(secretsEqual('flintstone', 'flint'), false);
    assert.equal(secretsEqual('', ''), true);
    assert.equal(secretsEqual('\xe9', 'é'), true);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => secretsEqual(a, b) === (a === b)));
  });
  test('papPasswordCheck follows check_passwd', () => {
    assert.deepEqual(papPasswordCheck({ secret: '' }, true), { systemPassword: true, compareSecret: false });
    assert.deepEqual(papPasswordCheck({ secret: '' }, false), { systemPassword: false, compareSecret: false });
    assert.deepEqual(papPasswordCheck({ secret: 'pw' }, true), { systemPassword: true, compareSecret: true });
    assert.deepEqual(papPasswordCheck({ secret: 'pw' }, false), { systemPassword: false, compareSecret: true });
    assert.deepEqual(papPasswordCheck({ secret: '@login' }, false), { systemPassword: true, compareSecret: false });
  });
});

describe('seed secrets files, unchanged', () => {
  const load = (rel: string): SecretEntry[] => {
    const r = parseSecrets(seed(rel), `/etc/ppp/${rel}`);
    assert.deepEqual(r.warnings, [], rel);
    return r.entries;
  };

  test('howto-client/pap-secrets: remotename picks the server-specific line', () => {
    const es = load('howto-client/pap-secrets');
    assert.deepEqual(view(es), [
      ['fred', '*', 'flintstone', [], [], 3],
      ['fred', 'pppserver1', 'barney', [], [], 4],
      ['fred', 'pppserver2', 'wilma', [], [], 5],
    ]);
    assert.equal(findSecret(es, 'fred', 'pppserver1')!.secret, 'barney');
    assert.equal(findSecret(es, 'fred', 'pppserver2')!.secret, 'wilma');
    assert.equal(findSecret(es, 'fred', 'elsewhere')!.secret, 'flintstone');
    // no remotename (server unknown): the first non-wild server line ranks highest
    assert.equal(findSecret(es, 'fred', null)!.secret, 'barney');
    assert.equal(findSecret(es, 'wilma', 'pppserver1'), undefined);
  });
  test('howto-client/chap-secrets.fred and .barney (the HOWTO example disagrees with itself)', () => {
    const onFred = load('howto-client/chap-secrets.fred');
    const onBarney = load('howto-client/chap-secrets.barney');
    assert.deepEqual(view(onFred), [
      ['fred', 'barney', 'flintstone', [], [], 3],
      ['barney', 'fred', 'wilma', [], [], 4],
    ]);
    assert.deepEqual(view(onBarney), [
      ['barney', 'fred', 'flintstone', [], [], 3],
      ['fred', 'barney', 'wilma', [], [], 4],
    ]);
    // CHAP needs the same secret for (client, server) on both ends; the two files give
    // different secrets for fred->barney and for barney->fred, as in the PPP-HOWTO text.
    assert.notEqual(findSecret(onFred, 'fred', 'barney')!.secret, findSecret(onBarney, 'fred', 'barney')!.secret);
    assert.notEqual(findSecret(onFred, 'barney', 'fred')!.secret, findSecret(onBarney, 'barney', 'fred')!.secret);
  });
  test('hlw-client/pap-secrets', () => {
    const es = load('hlw-client/pap-secrets');
    assert.deepEqual(view(es), [
      ['username', '*', 'password', ['*'], [], 1],
      ['username', 'isp_name', 'password', ['*'], [], 2],
    ]);
    assert.equal(findSecret(es, 'username', 'isp_name')!.line, 2);
    assert.equal(findSecret(es, 'username', 'other')!.line, 1);
    assert.equal(addressAllowed(es[0]!, ip('198.51.100.7')), true);
  });
  test('hlw-client/chap-secrets', () => {
    const es = load('hlw-client/chap-secrets');
    assert.deepEqual(view(es), [
      ['username', 'isp_name', 'your_password', [], [], 1],
      ['isp_name', 'username', 'their_password', [], [], 2],
    ]);
    assert.equal(findSecret(es, 'username', 'isp_name')!.secret, 'your_password');
    assert.equal(findSecret(es, 'isp_name', 'username')!.secret, 'their_password');
  });
  for (const rel of ['lw-isp/pap-secrets', 'dialup-server/pap-secrets']) {
    test(`${rel}: "* * "" *" = anyone, system password database, any address`, () => {
      const es = load(rel);
      assert.deepEqual(view(es), [['*', '*', '', ['*'], [], 3 - (rel.startsWith('lw-isp') ? 1 : 0)]]);
      const e = findSecret(es, 'alice', 'server')!;
      assert.equal(e.secret, '');
      assert.deepEqual(papPasswordCheck(e, true), { systemPassword: true, compareSecret: false });
      assert.equal(addressAllowed(e, ip('192.0.2.201')), true);
      assert.equal(addressAllowed(e, ip('127.0.0.1')), false);
      assert.equal(someAddressOk(e), true);
      assert.equal(suggestedAddress(e), undefined);
    });
  }
  test('lw-isp/pap-secrets.client: "" server only matches an unknown/empty remote name', () => {
    const es = load('lw-isp/pap-secrets.client');
    assert.deepEqual(view(es), [['USERNAME', '', 'PASSWORD', [], [], 3]]);
    assert.equal(findSecret(es, 'USERNAME', null)!.secret, 'PASSWORD');
    assert.equal(findSecret(es, 'USERNAME', '')!.secret, 'PASSWORD');
    assert.equal(findSecret(es, 'USERNAME', 'isp'), undefined);
  });
});
