import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginDialog, type DialogOutput } from './dialog.js';
import { parseLoginConfig } from './config.js';

const LOGIN = parseLoginConfig('/AutoPPP/ - a_ppp /usr/sbin/pppd auth -chap +pap login\nppp - a_ppp /usr/sbin/pppd auth -chap +pap login\n* - - /bin/login @\n', 'login.config').value;

function dialog(over: Partial<ConstructorParameters<typeof LoginDialog>[0]> = {}) {
  const d = new LoginDialog({ issue: 'Welcome\r\n', prompt: 'box login: ', login: LOGIN, loginTime: 30, loginPpp: false, ...over });
  d.start(0);
  const text = (o: DialogOutput[]) => o.filter((x) => x.type === 'send').map((x) => (x as { data: Buffer }).data.toString('latin1')).join('');
  return { d, text };
}

test('AutoPPP: an LCP frame at the login prompt starts pppd with the /AutoPPP/ arguments', () => {
  const { d, text } = dialog();
  assert.equal(text(d.takeActions()), 'Welcome\r\nbox login: ');
  d.input(Buffer.from('7eff7d23c0217d21', 'hex'));
  const out = d.takeActions();
  assert.deepEqual(out.find((o) => o.type === 'start-ppp'), {
    type: 'start-ppp',
    args: ['auth', '-chap', '+pap', 'login'],
    via: 'autoppp',
    initial: Uint8Array.from(Buffer.from('7eff7d23c0217d21', 'hex')),
  });
});

test('AutoPPP hands PPP the whole first frame, even when it arrives in pieces after typed noise', () => {
  const frame = Buffer.from('7eff7d23c0217d217d217d207d2e7d227d26ffff7e', 'hex');
  for (const split of [1, 2, 3, 5, 8]) {
    const { d } = dialog();
    d.takeActions();
    d.input(Buffer.from('\r~x'));
    d.input(frame.subarray(0, split));
    d.input(frame.subarray(split));
    const start = d.takeActions().find((o) => o.type === 'start-ppp');
    assert.ok(start && start.type === 'start-ppp', `split at ${split}`);
    // Detection needs 6 bytes (7E FF 7D 23 C0 21); what comes after that input is not the
    // dialog's: it stays in the stream for PPP.
    assert.deepEqual(Buffer.from(start.initial!), split >= 6 ? frame.subarray(0, split) : frame, `split at ${split}`);
  }
  // No opening flag: the frame starts at the FF.
  const { d } = dialog();
  d.takeActions();
  d.input(Buffer.from('ff03c021010100', 'hex'));
  const start = d.takeActions().find((o) => o.type === 'start-ppp');
  assert.ok(start && start.type === 'start-ppp');
  assert.deepEqual(Buffer.from(start.initial!), Buffer.from('ff03c021010100', 'hex'));
});

test('Enter (CR, LF or CR LF) at an empty login: prompt shows the prompt again, once per Enter', () => {
  const { d, text } = dialog();
  d.takeActions();
  d.input(Buffer.from('\r'));
  assert.equal(text(d.takeActions()), '\r\nbox login: ');
  d.input(Buffer.from('\r\n'));
  assert.equal(text(d.takeActions()), '\r\nbox login: ');
  d.input(Buffer.from('\n'));
  assert.equal(text(d.takeActions()), '\r\nbox login: ');
  d.input(Buffer.from('fred\r\n'));
  assert.equal(text(d.takeActions()), 'fred\r\nPassword: ');
});

test('text login: name echoed, password not, then a shell where `ppp` starts pppd -detach', () => {
  const { d, text } = dialog();
  d.takeActions();
  d.input(Buffer.from('fred\r'));
  assert.equal(text(d.takeActions()), 'fred\r\nPassword: ');
  d.input(Buffer.from('wilma\r'));
  assert.deepEqual(d.takeActions(), [{ type: 'check-password', user: 'fred', password: 'wilma' }]);
  d.passwordResult(true);
  assert.equal(text(d.takeActions()), '\r\n$ ');
  d.input(Buffer.from('ls\r'));
  assert.equal(text(d.takeActions()), 'ls\r\nsh: ls: command not found\r\n$ ');
  d.input(Buffer.from('ppp\r'));
  assert.deepEqual(d.takeActions().at(-1), { type: 'start-ppp', args: ['-detach'], user: 'fred', via: 'shell' });
});

test('a user with its own pppd entry in login.config (the seed\'s `ppp`) gets PPP without a password', () => {
  const { d } = dialog();
  d.takeActions();
  d.input(Buffer.from('ppp\n'));
  assert.deepEqual(d.takeActions().at(-1), { type: 'start-ppp', args: ['auth', '-chap', '+pap', 'login'], user: 'ppp', via: 'login-config' });
});

test('wrong passwords: "Login incorrect", a new prompt, and a hang-up after three', () => {
  const { d, text } = dialog();
  d.takeActions();
  for (let i = 0; i < 3; i++) {
    d.input(Buffer.from('fred\rbad\r'));
    d.takeActions();
    d.passwordResult(false);
    const t = text(d.takeActions());
    assert.match(t, /Login incorrect/);
  }
  assert.equal(d.nextDeadline(), undefined);
});

test('login-time: an idle caller is hung up; backspace edits the name', () => {
  const { d, text } = dialog({ loginTime: 30 });
  d.takeActions();
  d.input(Buffer.from('frex\x08d\r'));
  assert.equal(text(d.takeActions()), 'frex\b \bd\r\nPassword: ');
  d.tick(29_999);
  assert.deepEqual(d.takeActions(), []);
  d.tick(30_000);
  assert.deepEqual(d.takeActions().at(-1), { type: 'hangup', reason: 'login time exceeded' });
});

test('login-ppp: PPP starts right after a successful text login', () => {
  const { d } = dialog({ loginPpp: true });
  d.takeActions();
  d.input(Buffer.from('fred\rwilma\r'));
  d.takeActions();
  d.passwordResult(true);
  assert.deepEqual(d.takeActions().at(-1), { type: 'start-ppp', args: [], user: 'fred', via: 'login' });
});

test('text login then `slip` or `cslip` (or `exec /usr/sbin/cslip`) at the shell prompt switches the line to SLIP', () => {
  for (const [cmd, mode] of [['slip', 'slip'], ['cslip', 'cslip'], ['exec /usr/sbin/cslip', 'cslip'], ['dialtone-slip', 'slip']] as const) {
    const { d } = dialog();
    d.takeActions();
    d.input(Buffer.from('fred\rwilma\r'));
    d.takeActions();
    d.passwordResult(true);
    d.takeActions();
    d.input(Buffer.from(`${cmd}\r`));
    assert.deepEqual(d.takeActions().at(-1), { type: 'start-slip', mode, user: 'fred', via: 'shell' }, cmd);
  }
});

test('a login.config SLIP handler (`fred - - cslip`) starts CSLIP right after the password is accepted, never before', () => {
  const login = parseLoginConfig('fred - - /usr/sbin/cslip\n* - - /bin/login @\n', 'login.config').value;
  const { d } = dialog({ login });
  d.takeActions();
  d.input(Buffer.from('fred\r'));
  assert.ok(!d.takeActions().some((o) => o.type === 'start-slip'));
  d.input(Buffer.from('wilma\r'));
  d.takeActions();
  d.passwordResult(false);
  assert.ok(!d.takeActions().some((o) => o.type === 'start-slip'));
  d.input(Buffer.from('fred\rwilma\r'));
  d.takeActions();
  d.passwordResult(true);
  assert.deepEqual(d.takeActions().at(-1), { type: 'start-slip', mode: 'cslip', user: 'fred', via: 'login-config' });
});
