/**
 * pppd's option language: the read order, the priorities and the messages of pppd 2.4.9
 * (main.c, options.c, tty.c), over the option table in option-table.ts.
 *
 * Read order (pppd main): $DIALTONE_PPP_DIR/options (default /etc/ppp/options), ~/.ppprc,
 * the command line (with `file` and `call` read where they appear), then - once the device
 * is known - options.TTYNAME for a device line. Files have priority 1, the command line 2
 * (files it pulls in with `file`/`call` inherit 2): for options pppd marks OPT_PRIO a value
 * from options.TTYNAME does not override one from the command line; for the others the last
 * value read wins, as in pppd.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dns from 'node:dns/promises';
import { tokenizeOptions, tooFewParametersInFile, tooFewParametersOnCommandLine, unrecognizedOptionInFile, unrecognizedOptionOnCommandLine, cantOpenOptionsFile, type Word } from '../config/words.js';
import { inetAton } from '../config/secrets.js';
import { ip4ToString } from '../wire/ipv4.js';
import { OPTION_INDEX, OPTION_TABLE, groupHead, lineWord } from './option-table.js';
import { OPRIO, OptionError, emptyConfig, type ParseContext, type PppdConfig } from './options-types.js';
import { strerror } from '../runtime/strerror.js';

export { OptionError, emptyConfig, type PppdConfig } from './options-types.js';
export { EarlyExit } from './option-table.js';

/** pppd's usage text (options.c usage_string), for an unrecognized command-line option. */
export function usageText(version: string): string {
  return `dialtone pppd version ${version} (pppd 2.4.9 compatible)
Usage: dialtone pppd [ options ], where options are:
	<device>	Communicate over the named device
	<speed>		Set the baud rate to <speed>
	<loc>:<rem>	Set the local and/or remote interface IP
			addresses.  Either one may be omitted.
	asyncmap <n>	Set the desired async map to hex <n>
	auth		Require authentication from peer
        connect <p>     Invoke shell command <p> to set up the serial line
	crtscts		Use hardware RTS/CTS flow control
	defaultroute	Add default route through interface
	file <f>	Take options from file <f>
	modem		Use modem control lines
	mru <n>		Set MRU value to <n> for negotiation
	tcp:HOST:PORT, tcp-listen:HOST:PORT, -, pty:COMMAND	dialtone's stream lines
See pppd(8) and dialtone's README for more options.
`;
}

export interface LoadOptionsInput {
  args: readonly string[];
  /** The ppp directory: DIALTONE_PPP_DIR, default /etc/ppp. */
  pppDir: string;
  /** The home directory for ~/.ppprc (undefined = none). */
  home?: string;
  /** The terminal on standard input: pppd's device when none is given (for options.TTYNAME). */
  defaultDevice?: string;
}

export interface LoadedOptions {
  cfg: PppdConfig;
  ctx: ParseContext;
}

function newContext(cfg: PppdConfig, pppDir: string): ParseContext {
  const ctx: ParseContext = {
    cfg,
    source: 'command line',
    priority: OPRIO.CMDLINE,
    devnamFixed: false,
    pppDir,
    groups: new Map(),
    addrPrio: { local: 0, remote: 0, local6: 0, remote6: 0 },
    depth: 0,
    readOptionsFile: (file) => optionsFromFile(ctx, file, true),
  };
  return ctx;
}

/** options.c process_option: priorities, the device check, then the option's own work. */
function processOption(ctx: ParseContext, index: number, word: string, arg: string): void {
  const def = OPTION_TABLE[index]!;
  const head = groupHead(index);
  const group = ctx.groups.get(head);
  if (OPTION_TABLE[head]!.prio && group && ctx.priority < group.priority) return; // a lower priority does not override
  if (def.devequiv && ctx.devnamFixed) {
    throw new OptionError(`the ${def.name}${def.wild ? '' : ' option'} may not be changed in ${ctx.source}`);
  }
  def.apply(ctx, arg, word);
  ctx.groups.set(head, { priority: ctx.priority, source: ctx.source, winner: index });
}

/** options.c find_option: the named options first, then the wild ones in table order. */
function findOption(word: string): number | undefined {
  const i = OPTION_INDEX.get(word);
  if (i !== undefined) return i;
  for (let j = 0; j < OPTION_TABLE.length; j++) if (OPTION_TABLE[j]!.wild?.(word)) return j;
  return undefined;
}

/** options.c parse_args. */
function parseArgs(ctx: ParseContext, args: readonly string[]): void {
  ctx.source = 'command line';
  ctx.priority = OPRIO.CMDLINE;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const index = findOption(word);
    if (index === undefined) {
      const e = new OptionError(unrecognizedOptionOnCommandLine(word));
      (e as OptionError & { usage?: boolean }).usage = true;
      throw e;
    }
    const def = OPTION_TABLE[index]!;
    let arg = '';
    if (def.args === 1) {
      if (i + 1 >= args.length) throw new OptionError(tooFewParametersOnCommandLine(word));
      arg = args[++i]!;
    }
    // process_option may read files (file, call), which change the source while they run.
    processOption(ctx, index, word, arg);
    ctx.source = 'command line';
  }
}

/** options.c options_from_file. `mustExist` false: a missing file is no error. */
function optionsFromFile(ctx: ParseContext, file: string, mustExist: boolean): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new OptionError(`Error reading ${file}: ${strerror(err)}`, 1);
    if (!mustExist) {
      if (code !== 'ENOENT' && code !== 'ENOTDIR') ctx.cfg.warnings.push(`Warning: can't open options file ${file}: ${strerror(err)}`);
      return;
    }
    throw new OptionError(cantOpenOptionsFile(file, strerror(err)));
  }
  if (ctx.depth > 64) throw new OptionError(`In file ${file}: options files nested too deeply`);
  const words = tokenizeOptions(text, file);
  const saved = ctx.source;
  ctx.depth++;
  try {
    let i = 0;
    const warn = (w: Word) => {
      for (const m of w.warnings ?? []) ctx.cfg.warnings.push(m);
    };
    while (i < words.length) {
      const w = words[i++]!;
      warn(w);
      ctx.source = file;
      const index = findOption(w.text);
      const where = { file, line: w.line };
      if (index === undefined) throw new OptionError(unrecognizedOptionInFile(file, w.text), 2, where);
      const def = OPTION_TABLE[index]!;
      let arg = '';
      if (def.args === 1) {
        const a = words[i++];
        if (!a) throw new OptionError(tooFewParametersInFile(file, w.text), 2, where);
        warn(a);
        arg = a.text;
      }
      try {
        processOption(ctx, index, w.text, arg);
      } catch (err) {
        if (err instanceof OptionError && !err.where) throw new OptionError(err.message, err.status, where);
        throw err;
      }
    }
  } finally {
    ctx.depth--;
    ctx.source = saved;
  }
}

/** The per-tty options file name (options.c options_for_tty), or undefined for stream lines. */
export function ttyOptionsFile(pppDir: string, cfg: PppdConfig, defaultDevice?: string): string | undefined {
  let dev: string;
  if (cfg.line?.kind === 'device') dev = cfg.line.path;
  else if (!cfg.line && defaultDevice) dev = defaultDevice;
  else return undefined;
  const i = dev.indexOf('/dev/');
  if (i >= 0) dev = dev.slice(i + 5);
  if (dev === '' || dev === 'tty') return undefined;
  return path.join(pppDir, `options.${dev.replace(/\//g, '.')}`);
}

/** All of pppd's option sources, in pppd's order. Throws OptionError (or EarlyExit). */
export function loadOptions(input: LoadOptionsInput): LoadedOptions {
  const cfg = emptyConfig();
  const ctx = newContext(cfg, input.pppDir);
  ctx.priority = OPRIO.CFGFILE;
  // pppd requires /etc/ppp/options only of non-root users; dialtone never does (see README).
  optionsFromFile(ctx, path.join(input.pppDir, 'options'), false);
  if (input.home) {
    ctx.priority = OPRIO.CFGFILE;
    optionsFromFile(ctx, path.join(input.home, '.ppprc'), false);
  }
  parseArgs(ctx, input.args);
  ctx.devnamFixed = true;
  const ttyFile = ttyOptionsFile(input.pppDir, cfg, input.defaultDevice);
  if (ttyFile) {
    ctx.priority = OPRIO.CFGFILE;
    optionsFromFile(ctx, ttyFile, false);
  }
  return { cfg, ctx };
}

/** The command line alone (no files but those it names), for tests and embedding. */
export function parseCommandLine(args: readonly string[], cfg: PppdConfig = emptyConfig(), pppDir = '/etc/ppp'): PppdConfig {
  const ctx = newContext(cfg, pppDir);
  parseArgs(ctx, args);
  return cfg;
}

/** Reads one options file into a configuration (for tests of single files). */
export function parseOptionsFile(file: string, cfg: PppdConfig = emptyConfig(), pppDir = path.dirname(file)): PppdConfig {
  const ctx = newContext(cfg, pppDir);
  ctx.priority = OPRIO.CFGFILE;
  optionsFromFile(ctx, file, true);
  return cfg;
}

/**
 * options.c print_options: "pppd options in effect:" and one line per option that was set,
 * in pppd's table order, each with the source of its value. Returns the lines.
 */
export function printOptions(loaded: LoadedOptions): string[] {
  const { ctx, cfg } = loaded;
  let text = 'pppd options in effect:\n';
  for (let i = 0; i < OPTION_TABLE.length; i++) {
    const def = OPTION_TABLE[i]!;
    if (def.sub) continue;
    const g = ctx.groups.get(i);
    if (!g) continue;
    const winner = OPTION_TABLE[g.winner]!;
    if (winner.noprint) continue;
    text += `${winner.print(cfg)}\t\t# (from ${g.source})\n`;
  }
  return text.replace(/\n$/, '').split('\n');
}

export interface Resolved {
  localAddr: number;
  remoteAddr: number;
  msDns: [number, number];
  msWins: [number, number];
  /** The remote host name from local:remote, if it was a name (pppd uses it as remotename). */
  remoteHostName?: string;
}

async function lookup(name: string): Promise<number | undefined> {
  const literal = inetAton(name);
  if (literal !== undefined) return literal;
  try {
    const { address } = await dns.lookup(name, { family: 4 });
    return inetAton(address);
  } catch {
    return undefined;
  }
}

/** pppd setdnsaddr/setwinsaddr: the last two given; a single one serves as both. */
function pair(list: number[]): [number, number] {
  let p: [number, number] = [0, 0];
  for (const a of list) p = p[1] === 0 ? [a, a] : [p[1], a];
  return p;
}

/** Resolves the host names pppd resolves while parsing (gethostbyname), with its messages. */
export async function resolveConfig(cfg: PppdConfig): Promise<Resolved> {
  const addr = async (name: string | undefined, which: 'local' | 'remote') => {
    if (!name) return 0;
    const a = await lookup(name);
    if (a === undefined) throw new OptionError(`unknown host: ${name}`);
    if (a >>> 24 === 127 || a >>> 28 === 0xe || a >>> 28 === 0xf) throw new OptionError(`bad ${which} IP address ${ip4ToString(a)}`);
    return a >>> 0;
  };
  const list = async (items: PppdConfig['msDns'], opt: string) => {
    const out: number[] = [];
    for (const { word } of items) {
      const a = await lookup(word);
      if (a === undefined) throw new OptionError(`invalid address parameter '${word}' for ${opt} option`);
      out.push(a >>> 0);
    }
    return pair(out);
  };
  const localAddr = await addr(cfg.localName, 'local');
  const remoteAddr = await addr(cfg.remoteName, 'remote');
  const r: Resolved = { localAddr, remoteAddr, msDns: await list(cfg.msDns, 'ms-dns'), msWins: await list(cfg.msWins, 'ms-wins') };
  if (cfg.remoteName && inetAton(cfg.remoteName) === undefined) r.remoteHostName = cfg.remoteName;
  return r;
}

/** Our name (pppd our_name): `name`, or the host name (with `domain`) by default or with `usehostname`. */
export function ourName(cfg: PppdConfig, hostname = os.hostname()): string {
  let host = hostname;
  if (cfg.domain) host = `${host}${cfg.domain.startsWith('.') ? '' : '.'}${cfg.domain}`;
  return cfg.name && !cfg.usehostname ? cfg.name : host;
}

export { lineWord };
