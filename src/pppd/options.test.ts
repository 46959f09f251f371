import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCommandLine, parseOptionsFile, loadOptions, printOptions, resolveConfig, OptionError, EarlyExit, ttyOptionsFile } from './options.js';
import { emptyConfig } from './options-types.js';
import { strtoul, intOption, q } from './option-table.js';
import { pppDir } from './harness.test.js';
import { parseIp4 } from '../wire/ipv4.js';

const ip = (s: string) => parseIp4(s)!;

test('pppd spelling: device, speed, local:remote, auth and DNS options', async () => {
  const c = parseCommandLine(['tcp:127.0.0.1:2323', '38400', '10.0.0.1:10.0.0.2', 'auth', 'require-chap', 'name', 'server', 'ms-dns', '10.0.0.53', 'ms-dns', '10.0.0.54', 'debug', 'nodetach', 'logfile', '/tmp/dialtone-x.log', 'pcap', '/tmp/x.pcap']);
  assert.deepEqual(c.line, { kind: 'tcp', host: '127.0.0.1', port: 2323 });
  assert.equal(c.speed, 38400);
  assert.equal(c.localName, '10.0.0.1');
  assert.equal(c.remoteName, '10.0.0.2');
  assert.equal(c.authRequired, true);
  assert.equal(c.requireChap, true);
  assert.equal(c.name, 'server');
  assert.ok(c.debug && c.nodetach);
  assert.equal(c.logfile, '/tmp/dialtone-x.log');
  assert.equal(c.pcap, '/tmp/x.pcap');
  const r = await resolveConfig(c);
  assert.deepEqual(r.msDns, [ip('10.0.0.53'), ip('10.0.0.54')]);
  assert.equal(r.localAddr, ip('10.0.0.1'));
});

test('ms-dns: the last two given, one serves as both (ipcp.c setdnsaddr)', async () => {
  assert.deepEqual((await resolveConfig(parseCommandLine(['ms-dns', '10.0.0.53']))).msDns, [ip('10.0.0.53'), ip('10.0.0.53')]);
  assert.deepEqual((await resolveConfig(parseCommandLine(['ms-dns', '1.1.1.1', 'ms-dns', '2.2.2.2', 'ms-dns', '3.3.3.3']))).msDns, [ip('2.2.2.2'), ip('3.3.3.3')]);
  await assert.rejects(resolveConfig(parseCommandLine(['ms-dns', 'no-such-host.invalid'])), new OptionError("invalid address parameter 'no-such-host.invalid' for ms-dns option"));
});

test('local:remote: either side may be omitted; host names allowed; bad addresses refused', async () => {
  const c = parseCommandLine([':10.0.0.9']);
  assert.equal(c.localName, undefined);
  assert.equal(c.remoteName, '10.0.0.9');
  const h = await resolveConfig(parseCommandLine(['10.1:10.0.0.9']));
  assert.equal(h.localAddr, ip('10.0.0.1'), 'inet_aton forms: 10.1 is 10.0.0.1');
  // A host name is looked up (gethostbyname); localhost is on the loopback net, which pppd refuses.
  await assert.rejects(resolveConfig(parseCommandLine(['10.0.0.1:localhost'])), new OptionError('bad remote IP address 127.0.0.1'));
  assert.throws(() => parseCommandLine(['127.0.0.1:10.0.0.2']), new OptionError('bad local IP address 127.0.0.1'));
  await assert.rejects(resolveConfig(parseCommandLine(['10.0.0.1:nosuchhost.invalid'])), new OptionError('unknown host: nosuchhost.invalid'));
});

test('client options: user, password, usepeerdns, noipdefault, remotename', () => {
  const c = parseCommandLine(['/dev/ttyS1', 'noauth', 'user', 'fred', 'password', 'wilma', 'usepeerdns', 'noipdefault', 'remotename', 'isp']);
  assert.deepEqual(c.line, { kind: 'device', path: '/dev/ttyS1' });
  assert.equal(c.user, 'fred');
  assert.equal(c.password, 'wilma');
  assert.equal(c.remotename, 'isp');
  assert.ok(c.usepeerdns && c.noipdefault && c.allowAnyIp && !c.authRequired);
});

test('link options and timers; asyncmap is hex and ORs; escape builds the transmit map', () => {
  const c = parseCommandLine(['mru', '1400', 'asyncmap', '20a0000', 'asyncmap', '1', 'noaccomp', 'nopcomp', 'nomagic', 'lcp-echo-interval', '30', 'lcp-echo-failure', '4', 'lcp-restart', '2', 'lcp-max-configure', '0x5', 'escape', '11,13 ff', 'mtu', '552']);
  assert.equal(c.session.mru, 1400);
  assert.equal(c.asyncmap, 0x20a0001);
  assert.equal(c.session.accomp, false);
  assert.equal(c.session.pcomp, false);
  assert.equal(c.session.magic, false);
  assert.equal(c.session.lcpEchoInterval, 30);
  assert.equal(c.session.lcpEchoFailure, 4);
  assert.equal(c.session.lcpRestart, 2);
  assert.equal(c.session.lcpMaxConfigure, 5);
  assert.equal(c.mtu, 552);
  for (const b of [0x11, 0x13, 0xff, 0x7d, 0x7e]) assert.ok(c.escape[b >> 3]! & (1 << (b & 7)), `0x${b.toString(16)} escaped`);
  assert.equal(c.escape[0x41 >> 3]! & (1 << (0x41 & 7)), 0);
  assert.throws(() => parseCommandLine(['escape', '5e']), new OptionError("can't escape character 0x5e"));
  assert.throws(() => parseCommandLine(['escape', 'zz']), new OptionError("escape parameter contains invalid hex number 'zz'"));
  assert.equal(parseCommandLine(['xonxoff']).asyncmap, 0x000a0000);
});

test('numbers as pppd reads them: strtoul base 0, the rest of the word ignored', () => {
  assert.equal(intOption('0x10', 'mru'), 16);
  assert.equal(intOption('010', 'mru'), 8);
  assert.equal(intOption('1500abc', 'mru'), 1500);
  assert.equal(intOption('-1', 'maxfail'), -1);
  assert.equal(strtoul('ff', 16), 255n);
  assert.throws(() => intOption('lots', 'mru'), new OptionError("invalid numeric parameter 'lots' for mru option"));
  assert.throws(() => parseCommandLine(['mtu', '64']), new OptionError('mtu value must be between 128 and 16384'));
  assert.throws(() => parseCommandLine(['unit', '-1']), new OptionError('unit value must be >= 0'));
  assert.throws(() => parseCommandLine(['vj-max-slots', '20']), new OptionError('vj-max-slots value must be between 2 and 16'));
  assert.equal(q('a"b\\c\td'), 'a\\"b\\\\c\\td');
});

test("errors use pppd's wording", () => {
  assert.throws(() => parseCommandLine(['frobnicate']), new OptionError("unrecognized option 'frobnicate'"));
  assert.throws(() => parseCommandLine(['name']), new OptionError('too few parameters for option name'));
  assert.throws(() => parseCommandLine(['call', '../etc/passwd']), new OptionError('call option value may not contain .. or start with /'));
  assert.throws(() => parseCommandLine(['call', '/etc/ppp/peers/isp']), new OptionError('call option value may not contain .. or start with /'));
  assert.throws(() => parseCommandLine(['call', 'a/../b']), new OptionError('call option value may not contain .. or start with /'));
  assert.throws(() => parseCommandLine(['netmask', '255.255.x']), new OptionError("invalid netmask value '255.255.x'"));
  assert.throws(() => parseCommandLine(['nodefaultroute', 'defaultroute']), new OptionError('defaultroute option is disabled'));
  assert.throws(() => parseCommandLine(['file', '/nonexistent/options']), new OptionError("Can't open options file /nonexistent/options: No such file or directory"));
  assert.throws(() => parseCommandLine(['set', 'NOEQUALS']), new OptionError('missing = in name=value: NOEQUALS'));
  assert.throws(() => parseCommandLine(['--version']), EarlyExit);
});

test('options dialtone cannot honour: refused or reported, never silently ignored', () => {
  assert.throws(() => parseCommandLine(['plugin', 'radius.so']), /plugin option is not supported by dialtone yet/);
  assert.throws(() => parseCommandLine(['papcrypt']), /papcrypt option is not supported/);
  assert.throws(() => parseCommandLine(['sync']), /sync option is not supported/);
  const c = parseCommandLine(['lcp-echo-adaptive', 'predictor1', 'record', '/tmp/rec', 'allow-ip', '10.0.0.5', 'stop-bits', '2']);
  assert.deepEqual(c.notYet.map((n) => n.split(':')[0]), ['lcp-echo-adaptive', 'predictor1', 'allow-ip', 'stop-bits']);
  const inherent = parseCommandLine(['hide-password', 'nopredictor1', 'nodefaultroute6']);
  assert.equal(inherent.notYet.length, 0, 'things dialtone never does anyway are fine');
  assert.equal(inherent.notes.length, 3, inherent.notes.join('; '));
  for (const o of ['persist', 'updetach', 'demand', 'idle 60', 'maxconnect 60', 'holdoff 5', 'maxfail 3', 'lock', 'connect true', 'defaultroute', 'proxyarp', 'ktune', 'kdebug 1', 'linkname x', 'ipparam y', 'login', 'usehostname', 'domain example.com']) {
    assert.equal(parseCommandLine(o.split(' ')).notYet.length, 0, o);
  }
});

test('priorities (options.c process_option): options.TTY cannot override the command line for OPT_PRIO options', () => {
  const dir = pppDir({
    options: 'lcp-echo-interval 10\nmru 1000\nasyncmap 1\n',
    'options.ttyS3': 'lcp-echo-interval 99\nmru 1200\nasyncmap 2\nsilent\n192.0.2.1:192.0.2.2\n',
  });
  const { cfg } = loadOptions({ args: ['/dev/ttyS3', 'mru', '1400', '10.0.0.1:'], pppDir: dir });
  assert.equal(cfg.session.mru, 1400, 'command line beats options.ttyS3 (OPT_PRIO)');
  assert.equal(cfg.session.lcpEchoInterval, 99, 'options.ttyS3 comes after /etc/ppp/options (same priority)');
  assert.equal(cfg.asyncmap, 3, 'asyncmap (no OPT_PRIO) ORs every value');
  assert.equal(cfg.session.silent, true);
  assert.equal(cfg.localName, '10.0.0.1', 'local from the command line');
  assert.equal(cfg.remoteName, '192.0.2.2', 'remote from options.ttyS3');
  assert.equal(ttyOptionsFile(dir, cfg), path.join(dir, 'options.ttyS3'));
  assert.throws(() => loadOptions({ args: ['/dev/ttyS3'], pppDir: pppDir({ 'options.ttyS3': 'pty cat\n' }) }), /the pty option may not be changed in .*options\.ttyS3/);
});

test('read order: options, ~/.ppprc, command line, call peers/NAME, options.TTY', () => {
  const dir = pppDir({ options: 'debug\n', 'peers/isp': 'user fred\nipparam from-peers\n' });
  const home = pppDir({ '.ppprc': 'ipparam from-ppprc\nidle 5\n' });
  const { cfg } = loadOptions({ args: ['call', 'isp', 'idle', '7'], pppDir: dir, home });
  assert.equal(cfg.debugLevel, 1);
  assert.equal(cfg.user, 'fred');
  assert.equal(cfg.ipparam, 'from-peers', 'call on the command line has command-line priority');
  assert.equal(cfg.idle, 7);
  assert.equal(cfg.callFile, 'isp');
});

test('an error in a file names the file (pppd) and the line (dialtone)', () => {
  const dir = pppDir({ options: '# comment\nlock\n\nfrobnicate\n', 'peers/bad': 'user fred\nmru\n', 'peers/num': 'mru lots\n' });
  assert.throws(() => loadOptions({ args: [], pppDir: dir }), (e: OptionError) => e.message === `In file ${dir}/options: unrecognized option 'frobnicate'` && e.where?.line === 4 && e.status === 2);
  const d2 = pppDir({ 'peers/bad': 'user fred\nmru\n', 'peers/num': 'user x\n  mru lots\n' });
  assert.throws(() => loadOptions({ args: ['call', 'bad'], pppDir: d2 }), (e: OptionError) => e.message === `In file ${d2}/peers/bad: too few parameters for option 'mru'` && e.where?.line === 2);
  assert.throws(() => loadOptions({ args: ['call', 'num'], pppDir: d2 }), (e: OptionError) => e.message === "invalid numeric parameter 'lots' for mru option" && e.where?.line === 2);
  assert.throws(() => loadOptions({ args: ['call', 'missing'], pppDir: d2 }), new OptionError(`Can't open options file ${d2}/peers/missing: No such file or directory`));
});

test('dump: pppd print_options format, table order, winning alias and source', () => {
  const dir = pppDir({ options: '-detach\nasyncmap 0\nms-dns 10.0.0.1\n' });
  const loaded = loadOptions({ args: ['tcp:127.0.0.1:1', 'nodetach', 'debug', 'debug', 'password', 's3cret', 'user', 'a"b c', 'ms-dns', '10.0.0.2', 'local'], pppDir: dir });
  assert.deepEqual(printOptions(loaded), [
    'pppd options in effect:',
    'debug debug\t\t# (from command line)',
    'nodetach\t\t# (from command line)',
    'user a\\"b c\t\t# (from command line)',
    'password ??????\t\t# (from command line)',
    'tcp:127.0.0.1:1\t\t# (from command line)',
    'local\t\t# (from command line)',
    'asyncmap 0\t\t# (from ' + dir + '/options)',
    // pppd names the source of the NEXT value after each list value
    'ms-dns 10.0.0.1\t\t# (from command line)',
    'ms-dns 10.0.0.2\t\t# (from command line)',
  ]);
});

test('parseOptionsFile reads one file; words use getword rules (quotes, escapes, comments)', () => {
  const dir = pppDir({ f: 'connect "/usr/sbin/chat -v -f /etc/ppp/chat-name"  # dial\nname fred\\ flintstone\nremotename \'isp one\'\n' });
  const c = parseOptionsFile(path.join(dir, 'f'), emptyConfig());
  assert.equal(c.connect, '/usr/sbin/chat -v -f /etc/ppp/chat-name');
  assert.equal(c.name, 'fred flintstone');
  assert.equal(c.remotename, 'isp one');
  fs.rmSync(dir, { recursive: true });
});

test('MPPE options set the strengths wanted as pppd ccp.c does (require-mppe both, -40/-128 one each, nomppe none)', () => {
  const s = (words: string[]) => parseCommandLine(words).session;
  assert.deepEqual([s(['require-mppe']).mppe40, s(['require-mppe']).mppe128], [true, true]);
  assert.deepEqual([s(['require-mppe', 'nomppe-40']).mppe40, s(['require-mppe', 'nomppe-40']).mppe128], [false, true]);
  assert.deepEqual([s(['require-mppe-128']).mppe40, s(['require-mppe-128']).mppe128], [undefined, true]);
  assert.deepEqual([s(['+mppe-40']).mppe40, s(['+mppe-40']).mppe128], [true, undefined]);
  assert.deepEqual([s(['require-mppe', 'nomppe']).mppe40, s(['require-mppe', '-mppe']).mppe128], [false, false]);
  assert.equal(s(['mppe-stateful']).refuseMppeStateful, false);
  assert.equal(s(['mppe-stateful', 'nomppe-stateful']).refuseMppeStateful, true);
  assert.equal(s(['mppe-prefer-stateful']).mppePreferStateful, true);
});

test('CCP options as pppd ccp.c takes them: noccp, deflate n[,m], bsdcomp n[,m], nodeflate, nobsdcomp, nodeflatedraft', () => {
  const c = parseCommandLine(['deflate', '12,15', 'bsdcomp', '9', 'nodeflatedraft']);
  assert.deepEqual([c.session.deflateWant, c.session.deflateAllow, c.session.bsdWant, c.session.bsdAllow, c.session.deflateDraft], [12, 15, 9, 9, false]);
  assert.notEqual(c.session.noccp, true);
  const off = parseCommandLine(['nodeflate', 'nobsdcomp', 'noccp']);
  assert.deepEqual([off.session.deflateWant, off.session.deflateAllow, off.session.bsdWant, off.session.bsdAllow, off.session.noccp], [0, 0, 0, 0, true]);
  assert.throws(() => parseCommandLine(['bsdcomp', '16']), /bsdcomp option values must be 0 or 9 \.\. 15/);
  assert.throws(() => parseCommandLine(['deflate', '15x']), /invalid parameter '15x' for deflate option/);
  const eight = parseCommandLine(['deflate', '8']);
  assert.equal(eight.session.deflateWant, 9);
  assert.ok(eight.warnings.some((w) => /changed to 9 to avoid zlib bug/.test(w)));
});
