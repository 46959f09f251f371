// The configuration files the seed HOWTOs tell users to write (test/fixtures/seed-configs),
// read UNCHANGED by dialtone pppd: parsed results, `dryrun` output, and links that use them.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadOptions, printOptions, resolveConfig } from './options.js';
import { fileSecrets, readSecretsFiles, haveSecret } from './secrets-files.js';
import { stopAll, pppDir, seed, command, inProcess, freePort, waitFor } from './harness.test.js';
import { parseIp4 } from '../wire/ipv4.js';

const ip = (s: string) => parseIp4(s)!;
afterEach(stopAll);

test('howto-client/options as /etc/ppp/options: the PPP-HOWTO client', async () => {
  const dir = pppDir({ options: seed('howto-client/options') });
  const loaded = loadOptions({ args: ['/dev/ttyS0', '38400', '0.0.0.0:0.0.0.0', 'connect', '/etc/ppp/ppp-on-dialer'], pppDir: dir });
  const c = loaded.cfg;
  assert.equal(c.nodetach, true, '-detach');
  assert.equal(c.modem, true);
  assert.equal(c.lock, true);
  assert.equal(c.crtscts, 1);
  assert.equal(c.defaultroute, true);
  assert.equal(c.asyncmap, 0);
  assert.equal(c.mtu, 552);
  assert.equal(c.session.mru, 552);
  assert.equal(c.idle, 600);
  assert.deepEqual(c.line, { kind: 'device', path: '/dev/ttyS0' });
  assert.equal(c.speed, 38400);
  assert.equal(c.connect, '/etc/ppp/ppp-on-dialer');
  assert.equal(c.notYet.length, 0, 'nothing in the HOWTO client options is unsupported');
  const r = await resolveConfig(c);
  assert.equal(r.localAddr, 0, '0.0.0.0 means "ask the peer"');
  assert.equal(r.remoteAddr, 0);
});

test('dialup-server: options with -detach and disconnect /etc/ppp-off, options.ttyS0 with 128.231.54.227:192.168.100.4', async () => {
  const dir = pppDir({ options: seed('dialup-server/options'), 'options.ttyS0': seed('dialup-server/options.ttyS0'), 'pap-secrets': seed('dialup-server/pap-secrets') });
  // mgetty's login.config runs `/usr/sbin/pppd auth -chap +pap login` on the line: the device is stdin.
  const loaded = loadOptions({ args: ['auth', '-chap', '+pap', 'login'], pppDir: dir, defaultDevice: '/dev/ttyS0' });
  const c = loaded.cfg;
  assert.equal(c.nodetach, true);
  assert.equal(c.asyncmap, 0);
  assert.equal(c.netmask, '255.255.254.0');
  assert.equal(c.proxyarp, true);
  assert.equal(c.lock, true);
  assert.equal(c.crtscts, 1);
  assert.equal(c.usehostname, true);
  assert.equal(c.modem, true);
  assert.equal(c.disconnect, '/etc/ppp-off');
  assert.equal(c.defaultroute, false);
  assert.equal(c.nodefaultroute, true);
  assert.equal(c.debug, true);
  assert.equal(c.session.silent, true, 'from options.ttyS0');
  assert.equal(c.localName, '128.231.54.227');
  assert.equal(c.remoteName, '192.168.100.4');
  // The command line's auth beats the options file's noauth (same option group, higher priority).
  assert.equal(c.authRequired, true);
  assert.equal(c.requirePap, true);
  assert.equal(c.session.refuseChap, true);
  assert.equal(c.login, true);
  const r = await resolveConfig(c);
  assert.equal(r.localAddr, ip('128.231.54.227'));
  assert.equal(r.remoteAddr, ip('192.168.100.4'));
  // `* * "" *`: any client may try; with `login` the system password decides.
  const files = readSecretsFiles(dir, () => undefined);
  assert.equal(haveSecret(files.pap, null, 'anyhost').ok, true);
  const asked: string[] = [];
  const secrets = fileSecrets(files, { login: true, systemPassword: (u, p) => (asked.push(`${u}/${p}`), u === 'tjnelson' && p === 'potatoe'), log: () => undefined });
  assert.ok(secrets.verifyPap!('tjnelson', 'potatoe', 'anyhost'));
  assert.equal(secrets.verifyPap!('tjnelson', 'wrong', 'anyhost'), undefined);
  assert.deepEqual(asked, ['tjnelson/potatoe', 'tjnelson/wrong']);
  // Without `login`, "" accepts any password (pppd check_passwd).
  assert.ok(fileSecrets(files, { log: () => undefined }).verifyPap!('anyone', 'anything', 'anyhost'));
});

test('hlw-client: `call name` reads peers/name (ttyS1 115200 crtscts, the chat connect script)', () => {
  const dir = pppDir({ 'peers/name': seed('hlw-client/peers-name'), 'chap-secrets': seed('hlw-client/chap-secrets'), 'pap-secrets': seed('hlw-client/pap-secrets'), 'chat-name': seed('hlw-client/chat-name') });
  const loaded = loadOptions({ args: ['call', 'name'], pppDir: dir });
  const c = loaded.cfg;
  assert.deepEqual(c.line, { kind: 'device', path: '/dev/ttyS1' });
  assert.equal(c.speed, 115200);
  assert.equal(c.crtscts, 1);
  assert.equal(c.connect, '/usr/sbin/chat -v -f /etc/ppp/chat-name');
  assert.equal(c.session.mru, 1500);
  assert.equal(c.name, 'username');
  assert.equal(c.remotename, 'isp_name');
  assert.equal(c.callFile, 'name');
  const secrets = fileSecrets(readSecretsFiles(dir, () => undefined), { log: () => undefined });
  assert.equal(secrets.lookup('chap', 'username', 'isp_name')?.secret, 'your_password');
  assert.equal(secrets.lookup('chap', 'isp_name', 'username')?.secret, 'their_password');
  assert.equal(secrets.lookup('pap', 'username', 'isp_name')?.secret, 'password');
});

test('lw-isp: auth -chap +pap login proxyarp and two ms-dns; options.ttyR1', async () => {
  const dir = pppDir({ options: seed('lw-isp/options'), 'options.ttyR1': seed('lw-isp/options.ttyR1'), 'pap-secrets': seed('lw-isp/pap-secrets') });
  const loaded = loadOptions({ args: ['/dev/ttyR1', '115200'], pppDir: dir });
  const c = loaded.cfg;
  assert.ok(c.authRequired && c.requirePap && !c.requireChap && c.session.refuseChap && c.login && c.proxyarp);
  assert.equal(c.localName, '192.0.2.1');
  assert.equal(c.remoteName, '192.0.2.201');
  assert.deepEqual((await resolveConfig(c)).msDns, [ip('192.0.2.53'), ip('192.0.2.54')]);
});

test('howto-server: options and options.ttyC0; howto-client options.pap through `file`', () => {
  const dir = pppDir({ options: seed('howto-server/options'), 'options.ttyC0': seed('howto-server/options.ttyC0'), 'options.pap': seed('howto-client/options.pap') });
  const c = loadOptions({ args: ['/dev/ttyC0'], pppDir: dir }).cfg;
  assert.equal(c.netmask, '255.255.255.0');
  assert.ok(c.proxyarp && c.lock && c.modem && c.crtscts === 1);
  assert.equal(c.localName, '192.0.2.1');
  assert.equal(c.remoteName, '192.0.2.101');
  // `file /etc/ppp/options.pap` means the configured ppp directory's file.
  const p = loadOptions({ args: ['file', '/etc/ppp/options.pap'], pppDir: dir }).cfg;
  assert.equal(p.name, 'fred');
  assert.equal(p.remotename, 'pppserver1');
  assert.ok(p.nodetach && p.defaultroute);
});

test('howto-client secrets: PAP by server name, CHAP both ways (fred and barney)', () => {
  const dir = pppDir({ 'pap-secrets': seed('howto-client/pap-secrets'), 'chap-secrets': seed('howto-client/chap-secrets.fred') });
  const s = fileSecrets(readSecretsFiles(dir, () => undefined), { log: () => undefined });
  assert.equal(s.lookup('pap', 'fred', 'pppserver1')?.secret, 'barney');
  assert.equal(s.lookup('pap', 'fred', 'pppserver2')?.secret, 'wilma');
  assert.equal(s.lookup('pap', 'fred', 'elsewhere')?.secret, 'flintstone');
  assert.equal(s.lookup('chap', 'fred', 'barney')?.secret, 'flintstone');
  assert.equal(s.lookup('chap', 'barney', 'fred')?.secret, 'wilma');
});

test('`dialtone pppd call name dryrun` prints pppd\'s option dump for the seed peers file and exits 0', async () => {
  const dir = pppDir({ 'peers/name': seed('hlw-client/peers-name') });
  const r = await command(['call', 'name', 'dryrun'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 0, r.err);
  const src = `# (from ${path.join(dir, 'peers/name')})`;
  assert.equal(r.out, [
    'pppd options in effect:',
    'dryrun\t\t# (from command line)',
    `name username\t\t${src}`,
    `remotename isp_name\t\t${src}`,
    `/dev/ttyS1\t\t${src}`,
    `115200\t\t${src}`,
    `connect /usr/sbin/chat -v -f /etc/ppp/chat-name\t\t${src}`,
    `crtscts\t\t${src}`,
    `mru 1500\t\t${src}`,
    '',
  ].join('\n'));
});

test('`dump` with the dialup-server files: options, options.ttyS0 and the command line', async () => {
  const dir = pppDir({ options: seed('dialup-server/options'), 'options.ttyS0': seed('dialup-server/options.ttyS0') });
  const r = await command(['/dev/ttyS0', 'dump', 'dryrun'], { DIALTONE_PPP_DIR: dir, HOME: dir }).done;
  assert.equal(r.code, 0, r.err);
  const o = `# (from ${dir}/options)`;
  const t = `# (from ${dir}/options.ttyS0)`;
  assert.equal(r.out.split('\n').slice(0, 19).join('\n'), [
    'pppd options in effect:',
    `debug\t\t${o}`,
    `-detach\t\t${o}`,
    'dump\t\t# (from command line)',
    'dryrun\t\t# (from command line)',
    `noauth\t\t${o}`,
    `usehostname\t\t${o}`,
    '/dev/ttyS0\t\t# (from command line)',
    `lock\t\t${o}`,
    `disconnect /etc/ppp-off\t\t${o}`,
    `crtscts\t\t${t}`,
    `modem\t\t${t}`,
    `asyncmap 0\t\t${o}`,
    `silent\t\t${t}`,
    `nodefaultroute\t\t${o}`,
    `proxyarp\t\t${t}`,
    `netmask 255.255.254.0\t\t${o}`,
    `128.231.54.227:192.168.100.4\t\t${t}`,
    '',
  ].join('\n'));
});

test('the fred/barney CHAP secrets with `auth`: no IP address column, so pppd 2.4.9 (and dialtone) refuse to start', async () => {
  // auth.c auth_check_options: an entry with no address allows no IP address (some_ip_ok),
  // so with `auth` there is "no suitable secret" and pppd exits 1 before opening the line.
  const barney = pppDir({ 'chap-secrets': seed('howto-client/chap-secrets.barney') });
  const r = await command(['tcp:127.0.0.1:9', 'auth', 'require-chap', 'name', 'barney', 'nodetach'], { DIALTONE_PPP_DIR: barney, HOME: barney }).done;
  assert.equal(r.code, 1);
  assert.equal(r.err, [
    'dialtone pppd: The remote system is required to authenticate itself',
    "dialtone pppd: but I couldn't find any suitable secret (password) for it to use to do so.",
    'dialtone pppd: (None of the available passwords would let it use an IP address.)',
    '',
  ].join('\n'));
});

test('lw-isp server files in use: `login` checks PAP users against the system passwords (`* * "" *`)', async () => {
  const port = await freePort();
  const dir = pppDir({ options: seed('lw-isp/options'), 'pap-secrets': seed('lw-isp/pap-secrets') });
  const system = (u: string, p: string) => u === 'fred' && p === 'flintstone';
  const srv = inProcess([`tcp-listen:127.0.0.1:${port}`, '192.0.2.1:192.0.2.201'], dir, { deps: { checkPasswordSync: system } });
  await waitFor(srv.log, /Waiting for a connection/);
  const cli = inProcess([`tcp:127.0.0.1:${port}`, 'noauth', 'user', 'fred', 'password', 'flintstone', 'usepeerdns', 'connect-delay', '0'], pppDir());
  const text = await waitFor(cli.log, /primary {3}DNS address 192\.0\.2\.53/);
  assert.match(text, /PAP authentication succeeded/);
  assert.match(srv.log(), /PAP peer authentication succeeded for fred/);
  cli.signal('SIGTERM');
  assert.equal(await cli.done, 5);
  await srv.done;

  // A wrong password: the system says no, "Login incorrect", pppd's exit statuses.
  const port2 = await freePort();
  const srv2 = inProcess([`tcp-listen:127.0.0.1:${port2}`, '192.0.2.1:192.0.2.201'], dir, { deps: { checkPasswordSync: system } }, 'log2');
  await waitFor(srv2.log, /Waiting for a connection/);
  const bad = inProcess([`tcp:127.0.0.1:${port2}`, 'noauth', 'user', 'fred', 'password', 'betty', 'connect-delay', '0'], pppDir());
  assert.equal(await bad.done, 19);
  assert.match(bad.log(), /Remote message: Login incorrect/);
  assert.equal(await srv2.done, 11);
  assert.match(srv2.log(), /PAP peer authentication failed for fred/);
});
