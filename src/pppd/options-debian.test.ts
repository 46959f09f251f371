// Every option Debian's pppd 2.4.9 accepts is accepted by dialtone (test/fixtures/pppd-2.4.9-options.txt,
// made by probing /usr/sbin/pppd), and Debian's stock /etc/ppp/options (test/fixtures/debian-ppp-options,
// verbatim from the ppp package) loads unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOptions, parseCommandLine, parseOptionsFile, printOptions, OptionError, EarlyExit } from './options.js';
import { emptyConfig } from './options-types.js';
import { OPTION_INDEX, OPTION_TABLE } from './option-table.js';
import { pppDir, command } from './harness.test.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');
const debianOptions = () => fs.readFileSync(path.join(FIXTURES, 'debian-ppp-options'), 'latin1');

/** The fixture's names and argument counts, in pppd's order. */
function pppdOptions(): Array<{ name: string; args: number }> {
  const text = fs.readFileSync(path.join(FIXTURES, 'pppd-2.4.9-options.txt'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name = '', args = ''] = l.split('\t');
      return { name, args: Number(args) };
    });
}

test("Debian's stock /etc/ppp/options loads unchanged through the daemon's option reader", () => {
  const dir = pppDir({ options: debianOptions() });
  const { cfg } = loadOptions({ args: ['tcp:127.0.0.1:9'], pppDir: dir, home: dir });
  assert.equal(cfg.asyncmap, 0);
  assert.equal(cfg.authRequired, true);
  assert.equal(cfg.crtscts, 1);
  assert.equal(cfg.lock, true);
  assert.equal(cfg.modem, true);
  assert.equal(cfg.session.lcpEchoInterval, 30);
  assert.equal(cfg.session.lcpEchoFailure, 4);
  assert.deepEqual(cfg.notYet, [], 'nothing in the stock file draws a "not supported yet" warning');
  assert.deepEqual(cfg.warnings, []);
  assert.ok(cfg.notes.some((n) => n.startsWith('noipx:')), 'noipx: dialtone never runs IPXCP');
  fs.rmSync(dir, { recursive: true });
});

test("`dialtone pppd ... dump dryrun` with Debian's stock options exits 0 and dumps noipx", async () => {
  const dir = pppDir({ options: debianOptions() });
  // The stock file says `auth`; without secrets pppd (and dialtone) stop, so the command line says noauth.
  const r = await command(['tcp:127.0.0.1:9', 'noauth', 'dump', 'dryrun'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /unrecognized option/);
  const o = `\t\t# (from ${dir}/options)`;
  for (const line of ['crtscts', 'asyncmap 0', 'lcp-echo-failure 4', 'lcp-echo-interval 30', 'hide-password', 'noipx']) {
    assert.ok(r.out.split('\n').includes(line + o), `${line} in:\n${r.out}`);
  }
  fs.rmSync(dir, { recursive: true });
});

test('the pppd 2.4.9 option list: every name is in the table with pppd\'s argument count', () => {
  const list = pppdOptions();
  assert.equal(list.length, 250);
  const missing = list.filter((o) => !OPTION_INDEX.has(o.name)).map((o) => o.name);
  assert.deepEqual(missing, []);
  for (const o of list) assert.equal(OPTION_TABLE[OPTION_INDEX.get(o.name)!]!.args, o.args, o.name);
});

test('the pppd 2.4.9 option list: every name is accepted on the command line and in a file', () => {
  const dir = pppDir({ empty: '', ua: 'fred\nwilma\n', 'peers/isp': '' });
  const dummy: Record<string, string> = {
    file: path.join(dir, 'empty'),
    call: 'isp',
    '+ua': path.join(dir, 'ua'),
    logfile: path.join(dir, 'log'),
    socket: '127.0.0.1:9',
    netmask: '255.255.255.0',
    set: 'NAME=value',
    unset: 'NAME',
    escape: '11,13',
    asyncmap: '0',
    '-as': '0',
    'ms-dns': '10.0.0.53',
    'ms-wins': '10.0.0.54',
    'allow-ip': '10.0.0.2',
    mtu: '1500',
    mru: '1500',
    'vj-max-slots': '16',
    'stop-bits': '1',
    bsdcomp: '15',
    deflate: '15',
    ipv6: '::1,::2',
    pty: 'cat',
    endpoint: 'IP:10.0.0.1',
    'ipx-node': '12ab:34cd',
    'ipx-network': '1f',
    'ipx-router-name': 'router_1',
    'max-tls-version': '1.2',
  };
  // Recognized, and refused as dialtone documents it (table entries made with refused()).
  const refusal = (name: string) => new RegExp(`^${name.replace(/[+]/g, '\\+')} option is not supported by dialtone yet \\(`);
  const refusedNames: string[] = [];
  for (const { name, args } of pppdOptions()) {
    const words = args ? [name, dummy[name] ?? '1'] : [name];
    for (const where of ['command line', 'file'] as const) {
      try {
        if (where === 'command line') parseCommandLine(words, emptyConfig(), dir);
        else {
          const f = path.join(dir, 'one');
          fs.writeFileSync(f, words.map((w) => `"${w}"`).join(' ') + '\n');
          parseOptionsFile(f, emptyConfig(), dir);
        }
      } catch (err) {
        if (err instanceof EarlyExit && ['--version', '--help', '-h'].includes(name)) continue;
        if (err instanceof OptionError && refusal(name).test(err.message)) {
          if (where === 'file') refusedNames.push(name);
          continue;
        }
        assert.fail(`${words.join(' ')} (${where}): ${(err as Error).message}`);
      }
    }
  }
  // What dialtone refuses outright (the link would not be what was asked); all other names are accepted.
  assert.deepEqual(refusedNames.sort(), ['papcrypt', 'plugin', 'sync']);
  fs.rmSync(dir, { recursive: true });
});

test('names Debian\'s pppd 2.4.9 rejects stay unrecognized (pppd 2.5 EAP-TLS options, builds without MSLANMAN/SRP)', () => {
  for (const name of ['pkcs12', 'tls-verify-method', 'tls-verify-key-usage', 'ms-lanman', 'srp-pn-secret', 'srp-use-pseudonym', 'ipv6cp-noremote', 'show-options']) {
    assert.throws(() => parseCommandLine([name, 'x']), new OptionError(`unrecognized option '${name}'`), name);
  }
});

test('EAP-TLS options: accepted, each with a warning that EAP-TLS is not supported', () => {
  const c = parseCommandLine(['ca', '/etc/ppp/ca.pem', 'capath', '/etc/ssl/certs', 'cert', 'c.pem', 'key', 'k.pem', 'crl-dir', '/crl', 'crl', 'x.crl', 'max-tls-version', '1.3', 'need-peer-eap']);
  assert.deepEqual(c.notYet.map((n) => n.split(':')[0]), ['ca', 'capath', 'cert', 'key', 'crl-dir', 'crl', 'max-tls-version', 'need-peer-eap']);
  for (const n of c.notYet) assert.match(n, /EAP-TLS is not supported/);
  assert.throws(() => parseCommandLine(['ca']), new OptionError('too few parameters for option ca'));
});

test("IPX, ECP, callback, up_sdnotify: pppd's checks, messages and priorities", () => {
  assert.throws(() => parseCommandLine(['ipx-node', 'zz']), new OptionError("invalid parameter 'zz' for ipx-node option"));
  assert.throws(() => parseCommandLine(['ipx-node', '1:2:3']), new OptionError("invalid parameter '1:2:3' for ipx-node option"));
  for (const ok of ['1:2', '1:', ':', '', '0123456789abcdefABCDEF']) parseCommandLine(['ipx-node', ok]);
  assert.throws(() => parseCommandLine(['ipx-router-name', 'a-b']), new OptionError('IPX router name must be alphanumeric or _'));
  assert.throws(() => parseCommandLine(['ipx-router-name', 'a'.repeat(48)]), new OptionError('IPX router name is limited to 47 characters'));
  parseCommandLine(['ipx-router-name', 'a'.repeat(47)]);
  assert.throws(() => parseCommandLine(['ipx-network', 'zz']), new OptionError("invalid numeric parameter 'zz' for ipx-network option"));
  parseCommandLine(['ipx-network', '1g']); // strtoul base 16, the rest ignored
  assert.throws(() => parseCommandLine(['ipx-routing', 'x']), new OptionError("invalid numeric parameter 'x' for ipx-routing option"));
  for (const o of ['ipxcp-restart', 'ipxcp-max-terminate', 'ipxcp-max-configure', 'ipxcp-max-failure']) {
    assert.throws(() => parseCommandLine([o, 'x']), new OptionError(`invalid numeric parameter 'x' for ${o} option`));
  }
  // Existing notYet entries keep pppd's number checks too.
  for (const o of ['maxoctets', 'mo', 'mo-timeout']) assert.throws(() => parseCommandLine([o, '-1']), new OptionError(`${o} value must be >= 0`));
  for (const o of ['maxoctets', 'mo', 'mo-timeout', 'datarate', 'mrru']) {
    assert.throws(() => parseCommandLine([o, 'x']), new OptionError(`invalid numeric parameter 'x' for ${o} option`));
  }
  parseCommandLine(['mrru', '-5', 'datarate', '-1', 'maxoctets', '0']);
  // Things dialtone never does: a debug note, no warning.
  const never = parseCommandLine(['noipx', '-ipx', 'noecp', '-ecp']);
  assert.deepEqual(never.notYet, []);
  assert.equal(never.notes.length, 4);
  // Asking for them: a warning naming the option.
  const asked = parseCommandLine(['ipx', 'ipxcp-accept-local', 'callback', '5551234', 'up_sdnotify']);
  assert.deepEqual(asked.notYet.map((n) => n.split(':')[0]), ['ipx', 'ipxcp-accept-local', 'callback', 'up_sdnotify']);
  assert.equal(asked.nodetach, true, 'up_sdnotify implies nodetach (OPT_A2COPY)');
  assert.equal(parseCommandLine(['updetach', 'up_sdnotify']).nodetach, true);

  // ipx/+ipx/noipx/-ipx are one OPT_PRIO group: options.TTY does not override the command line.
  const dir = pppDir({ options: debianOptions(), 'options.ttyS3': 'noipx\ncallback 1\n' });
  const loaded = loadOptions({ args: ['/dev/ttyS3', 'ipx', 'callback', '2', 'up_sdnotify'], pppDir: dir });
  const dump = printOptions(loaded);
  assert.ok(dump.includes('ipx\t\t# (from command line)'), dump.join('\n'));
  assert.ok(dump.includes('callback xxx # [not supported by dialtone yet]\t\t# (from command line)'), dump.join('\n'));
  assert.ok(dump.includes('up_sdnotify\t\t# (from command line)'), 'up_sdnotify prints as the winner of the nodetach group');
  assert.equal(dump.indexOf('callback xxx # [not supported by dialtone yet]\t\t# (from command line)') < dump.indexOf('ipx\t\t# (from command line)'), true, 'cbcp before ipxcp, as pppd prints');
  fs.rmSync(dir, { recursive: true });
});

test('dump: the new entries print in pppd\'s table order', () => {
  const dir = pppDir({ options: debianOptions() });
  const loaded = loadOptions({ args: ['tcp:127.0.0.1:9', 'noauth', 'ca', '/x', 'need-peer-eap', 'noecp', 'ipx-node', '1:2', 'ipx-routing', '2', 'ipxcp-max-failure', '3', 'eap-timeout', '5'], pppDir: dir });
  const o = `\t\t# (from ${dir}/options)`;
  const c = '\t\t# (from command line)';
  const dump = printOptions(loaded).filter((l) => /^(noauth|ca |need-peer-eap|noecp|noipx|ipx|eap-timeout)/.test(l));
  assert.deepEqual(dump, [
    `noauth${c}`,
    `ca xxx # [not supported by dialtone yet]${c}`,
    `need-peer-eap${c}`,
    `noecp${c}`,
    `noipx${o}`,
    `ipx-node xxx # [not supported by dialtone yet]${c}`,
    `ipx-routing xxx # [not supported by dialtone yet]${c}`,
    `ipxcp-max-failure xxx # [not supported by dialtone yet]${c}`,
    `eap-timeout 5${c}`,
  ]);
  fs.rmSync(dir, { recursive: true });
});
