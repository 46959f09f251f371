// The client guides (docs/clients/*.md) are recipes: every dialtone command and config block
// in them must parse and point where the page says. Shell lines are split like a shell does;
// `dialtone pppd` and real `pppd` lines go through dialtone's pppd option parser (pppd 2.4.9's
// option table), `dialtone modem` through its argument parser, isp.conf / wvdial.conf / peers
// files / chat scripts through their parsers, and every TCP address a bridge (socat, QEMU,
// DOSBox, websockify) connects to must be one of the ISP's ports from the same guides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, parseOptionsFile } from '../../src/pppd/options.js';
import { parseModemArgs } from '../../src/cli/modem.js';
import { defaultIspConfig, parseIspConfig } from '../../src/isp/config.js';
import { emptyConf, loadConf, resolveOptions, sectionsFromArgs } from '../../src/dial/config.js';
import { pppdCommand } from '../../src/dial/pppd-args.js';
import { parseChatFile } from '../../src/chat/script.js';
import { normalizeNumber } from '../../src/modem/dialstring.js';
import { parseLineSpec } from '../../src/lines/line.js';
import { blocks, commands, shellWords } from './markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOCS = path.join(ROOT, 'docs/clients');
const GUIDES = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md'));

const all = GUIDES.map((f) => ({ file: f, md: fs.readFileSync(path.join(DOCS, f), 'utf8') }));
const allBlocks = all.flatMap((g) => blocks(g.md).map((b) => ({ ...b, file: g.file })));
const isp = (() => {
  const b = allBlocks.find((x) => x.name === 'isp.conf');
  assert.ok(b, 'the README of the guides has an isp.conf block');
  return parseIspConfig(b.text, 'isp.conf');
})();
// The ports the demo (no config) and the guide's isp.conf listen on.
const ISP_PORTS = new Set([2323, 6400, isp.listenPpp!.port, isp.listenModem!.port]);
const PHONES = new Set([normalizeNumber(defaultIspConfig().phone), normalizeNumber(isp.phone)]);

function checkTcpTarget(where: string, hostPort: string): void {
  const m = /^(?:tcp:)?([\d.]+|localhost):(\d+)$/i.exec(hostPort);
  assert.ok(m, `${where}: '${hostPort}' is not HOST:PORT`);
  assert.ok(ISP_PORTS.has(Number(m[2])), `${where}: port ${m[2]} is not one of the ISP's (${[...ISP_PORTS].join(', ')})`);
}

function checkPppdArgs(where: string, args: string[]): void {
  const cfg = parseCommandLine(args, undefined, fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-guides-')));
  const pty = cfg.line?.kind === 'pty' ? cfg.line.command : undefined;
  if (pty) checkCommand(`${where} (pty)`, pty);
  if (cfg.connect) {
    const chat = shellWords(cfg.connect);
    if (chat.includes('-f')) return;
    // An inline chat script: its ATD numbers must be the ISP's.
    const script = parseChatFile(chat.filter((w) => !w.startsWith('-') && !w.endsWith('chat')).map((w) => `'${w}'`).join(' '));
    checkDialled(where, JSON.stringify(script));
  }
}

function checkDialled(where: string, text: string): void {
  for (const m of text.matchAll(/ATD[TP]?([0-9-]+)/g)) assert.ok(PHONES.has(normalizeNumber(m[1]!)), `${where}: dials ${m[1]}, not the ISP's number`);
}

function checkCommand(where: string, line: string): void {
  const words = shellWords(line);
  const [cmd0, ...rest] = words[0] === 'sudo' ? words.slice(1) : words;
  switch (cmd0) {
    case './bin/dialtone':
    case 'dialtone': {
      const [sub, ...args] = rest;
      if (sub === 'pppd') return checkPppdArgs(where, args);
      if (sub === 'modem') return void parseModemArgs(args);
      if (sub === 'isp') {
        const i = args.indexOf('--config');
        if (i >= 0) assert.ok(allBlocks.some((b) => b.name === path.basename(args[i + 1]!)), `${where}: no ${args[i + 1]} block`);
        return;
      }
      if (sub === 'dial') {
        const i = args.indexOf('--config');
        assert.ok(i >= 0, `${where}: dialtone dial with --config`);
        const b = allBlocks.find((x) => x.name === path.basename(args[i + 1]!));
        assert.ok(b, `${where}: no ${args[i + 1]} block`);
        const conf = loadConf(emptyConf(), b.text);
        const sections = sectionsFromArgs(conf, args.filter((a, j) => j !== i && j !== i + 1 && !a.startsWith('-')));
        for (const s of sections) assert.ok(conf.sections.has(s.toLowerCase()), `${where}: no [${s}]`);
        return checkWvdial(where, b.text, sections);
      }
      assert.fail(`${where}: unexpected dialtone subcommand ${sub}`);
      return;
    }
    case 'pppd':
      return checkPppdArgs(where, rest);
    case 'socat': {
      assert.equal(rest.length, 2, `${where}: socat takes two addresses`);
      for (const a of rest) {
        if (a === '-') continue;
        if (/^TCP:/i.test(a)) checkTcpTarget(where, a.slice(4).split(',')[0]!);
        else assert.match(a, /^(PTY|\/dev\/tty\w+)(,(rawer|raw|echo=0|link=[\w/.-]+|b\d+|crtscts=1))*$/, `${where}: socat address ${a}`);
      }
      return;
    }
    case 'qemu-system-i386': {
      const i = rest.indexOf('-serial');
      assert.ok(i >= 0, `${where}: -serial`);
      return checkTcpTarget(where, rest[i + 1]!);
    }
    case 'websockify':
      assert.match(rest[0]!, /^127\.0\.0\.1:\d+$/);
      return checkTcpTarget(where, rest[1]!);
    case 'while':
      return;
    default:
      assert.fail(`${where}: a command the guide test does not know: ${line}`);
  }
}

function checkWvdial(where: string, text: string, sections: string[]): void {
  const conf = loadConf(emptyConf(), text);
  const o = resolveOptions(conf, sections);
  const spec = parseLineSpec(o.modem);
  assert.ok(spec && spec.kind === 'tcp', `${where}: Modem ${o.modem}`);
  checkTcpTarget(where, `${spec.host}:${spec.port}`);
  assert.ok(PHONES.has(normalizeNumber(o.phones[0]!)), `${where}: Phone ${o.phones[0]}`);
  assert.ok(o.username && o.password, `${where}: the account`);
  // The pppd command dialtone dial would run parses.
  const cmd = pppdCommand(o, '/dev/null');
  assert.ok(cmd.dialtone);
  parseCommandLine(cmd.args.filter((a, i, arr) => a !== 'file' && arr[i - 1] !== 'file'));
}

for (const g of all) {
  test(`guide ${g.file}: its commands and config blocks parse and point at the ISP`, () => {
    const bs = blocks(g.md);
    assert.ok(bs.length > 0 || g.file === 'README.md');
    for (const [n, b] of bs.entries()) {
      const where = `${g.file} block ${n + 1}`;
      if (b.lang === 'sh') {
        for (const c of commands(b.text)) checkCommand(where, c);
      } else if (b.lang === 'conf') {
        assert.ok(b.name, `${where}: a conf block starts with '# NAME'`);
        const body = b.text.split('\n').slice(1).join('\n');
        switch (b.name) {
          case 'isp.conf':
            parseIspConfig(b.text, 'isp.conf');
            break;
          case 'wvdial.conf': {
            const conf = loadConf(emptyConf(), body);
            for (const s of conf.sections.values()) checkWvdial(`${where} [${s.name}]`, body, [s.name]);
            break;
          }
          case 'dosbox.conf': {
            const m = /^serial1=nullmodem (.*)$/m.exec(body);
            assert.ok(m, `${where}: serial1=nullmodem`);
            const kv = Object.fromEntries(m[1]!.split(/\s+/).map((w) => w.split(':') as [string, string]));
            assert.deepEqual(Object.keys(kv).sort(), ['port', 'server', 'transparent']);
            checkTcpTarget(where, `${kv.server}:${kv.port}`);
            break;
          }
          case 'peers/dialtone': {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialtone-guides-'));
            const file = path.join(dir, 'dialtone');
            fs.writeFileSync(file, body);
            const cfg = parseOptionsFile(file);
            assert.equal(cfg.line?.kind, 'pty');
            assert.match(cfg.connect ?? '', /chat -v -f \/etc\/ppp\/chat-dialtone/);
            assert.ok(bs.some((x) => x.name === 'chat-dialtone'), `${where}: the chat file it names`);
            break;
          }
          case 'chat-dialtone':
            checkDialled(where, JSON.stringify(parseChatFile(body)));
            assert.match(body, /ATDT/);
            break;
          default:
            assert.fail(`${where}: unknown config block ${b.name}`);
        }
      } else if (b.lang === 'js') {
        // Syntax only (v86's `emulator` exists in the page).
        new Function('emulator', b.text);
      } else {
        assert.fail(`${where}: unlabelled code block`);
      }
    }
  });
}

test('README.md links every guide', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const f of GUIDES) assert.ok(readme.includes(`docs/clients/${f === 'README.md' ? '' : f}`), `README.md links docs/clients/${f}`);
});
