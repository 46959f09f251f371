/**
 * pppd's options, by pppd's names, as one table: each entry says how many arguments it
 * takes and what it sets. The command line and (with the daemon issue) option files go
 * through the same table, so an option means the same everywhere.
 */
import type { SessionOptions } from '../ppp/session.js';
import { parseIp4 } from '../wire/ipv4.js';
import { parseLineSpec, type LineSpec } from '../io/line.js';
import { tooFewParametersOnCommandLine, unrecognizedOptionOnCommandLine } from '../config/words.js';

export interface PppdConfig {
  line?: LineSpec;
  speed?: number;
  session: Partial<SessionOptions>;
  /** local:remote as written, host names resolved later. */
  localName?: string;
  remoteName?: string;
  debug: boolean;
  nodetach: boolean;
  logfile?: string;
  pcap?: string;
  /** Options accepted but not in effect yet, with the reason (reported, never silent). */
  notYet: string[];
}

export function emptyConfig(): PppdConfig {
  return { session: {}, debug: false, nodetach: false, notYet: [] };
}

export class OptionError extends Error {}

type Apply = (cfg: PppdConfig, arg: string, name: string) => void;
interface OptionDef {
  args: 0 | 1;
  apply: Apply;
}

function int(name: string, arg: string): number {
  // pppd number_option: decimal, 0x hex or 0 octal, like strtoul(..., 0).
  const n = /^0x[0-9a-f]+$/i.test(arg) ? parseInt(arg, 16) : /^0[0-7]+$/.test(arg) ? parseInt(arg, 8) : /^-?\d+$/.test(arg) ? Number(arg) : NaN;
  if (!Number.isFinite(n)) throw new OptionError(`invalid numeric parameter '${arg}' for ${name} option`);
  return n;
}

function ip(name: string, arg: string): number {
  const a = parseIp4(arg);
  if (a === undefined) throw new OptionError(`invalid IP address '${arg}' for ${name} option`);
  return a;
}

const flag = (set: (s: Partial<SessionOptions>) => void): OptionDef => ({ args: 0, apply: (c) => set(c.session) });
const num = (set: (s: Partial<SessionOptions>, n: number) => void): OptionDef => ({ args: 1, apply: (c, a, n) => set(c.session, int(n, a)) });
const str = (set: (s: Partial<SessionOptions>, v: string) => void): OptionDef => ({ args: 1, apply: (c, a) => set(c.session, a) });

/** pppd setdnsaddr/setwinsaddr: the last two given; a single one serves as both. */
function pushPair(pair: [number, number] | undefined, a: number): [number, number] {
  if (!pair || pair[1] === 0) return [a, a];
  return [pair[1], a];
}

const notYet = (why: string): OptionDef => ({ args: 0, apply: (c, _a, n) => c.notYet.push(`${n}: ${why}`) });

export const OPTIONS: Record<string, OptionDef> = {
  // authentication
  auth: flag((s) => (s.auth = true)),
  noauth: flag((s) => (s.auth = false)),
  'require-pap': flag((s) => (s.requirePap = true)),
  'require-chap': flag((s) => (s.requireChap = true)),
  'refuse-pap': flag((s) => (s.refusePap = true)),
  'refuse-chap': flag((s) => (s.refuseChap = true)),
  name: str((s, v) => (s.name = v)),
  user: str((s, v) => (s.user = v)),
  password: str((s, v) => (s.password = v)),
  remotename: str((s, v) => (s.remoteName = v)),
  // IP
  'ms-dns': { args: 1, apply: (c, a, n) => (c.session.msDns = pushPair(c.session.msDns, ip(n, a))) },
  'ms-wins': { args: 1, apply: (c, a, n) => (c.session.msWins = pushPair(c.session.msWins, ip(n, a))) },
  usepeerdns: flag((s) => (s.usePeerDns = true)),
  noipdefault: flag(() => undefined), // already dialtone's behaviour: with no local address, ask the peer
  'ipcp-accept-local': flag((s) => (s.acceptLocal = true)),
  'ipcp-accept-remote': flag((s) => (s.acceptRemote = true)),
  noip: flag((s) => (s.noip = true)),
  novj: flag(() => undefined), // VJ is never negotiated (always Configure-Rejected)
  noccp: flag(() => undefined), // CCP is not run; a peer's CCP gets a Protocol-Reject
  // link
  mru: num((s, n) => (s.mru = n)),
  asyncmap: { args: 1, apply: (c, a, n) => (c.session.asyncmap = (int(n, /^0x/i.test(a) ? a : `0x${a}`) | (c.session.asyncmap ?? 0)) >>> 0) },
  noaccomp: flag((s) => (s.accomp = false)),
  nopcomp: flag((s) => (s.pcomp = false)),
  nomagic: flag((s) => (s.magic = false)),
  passive: flag((s) => (s.passive = true)),
  silent: flag((s) => (s.silent = true)),
  local: flag(() => undefined), // a stream line has no modem control lines to ignore
  // timers
  'lcp-echo-interval': num((s, n) => (s.lcpEchoInterval = n)),
  'lcp-echo-failure': num((s, n) => (s.lcpEchoFailure = n)),
  'lcp-restart': num((s, n) => (s.lcpRestart = n)),
  'lcp-max-configure': num((s, n) => (s.lcpMaxConfigure = n)),
  'lcp-max-terminate': num((s, n) => (s.lcpMaxTerminate = n)),
  'lcp-max-failure': num((s, n) => (s.lcpMaxFailure = n)),
  'ipcp-restart': num((s, n) => (s.ipcpRestart = n)),
  'ipcp-max-configure': num((s, n) => (s.ipcpMaxConfigure = n)),
  'ipcp-max-terminate': num((s, n) => (s.ipcpMaxTerminate = n)),
  'ipcp-max-failure': num((s, n) => (s.ipcpMaxFailure = n)),
  'pap-restart': num((s, n) => (s.papRestart = n)),
  'pap-max-authreq': num((s, n) => (s.papMaxAuthReq = n)),
  'pap-timeout': num((s, n) => (s.papTimeout = n)),
  'chap-restart': num((s, n) => (s.chapRestart = n)),
  'chap-max-challenge': num((s, n) => (s.chapMaxChallenge = n)),
  'chap-interval': num((s, n) => (s.chapInterval = n)),
  'chap-timeout': num((s, n) => (s.chapTimeout = n)),
  // process
  debug: { args: 0, apply: (c) => { c.debug = true; c.session.debug = true; } },
  '-d': { args: 0, apply: (c) => { c.debug = true; c.session.debug = true; } },
  nodetach: { args: 0, apply: (c) => (c.nodetach = true) },
  '-detach': { args: 0, apply: (c) => (c.nodetach = true) },
  logfile: { args: 1, apply: (c, a) => (c.logfile = a) },
  pcap: { args: 1, apply: (c, a) => (c.pcap = a) },
  // the line
  notty: { args: 0, apply: (c) => (c.line = { kind: 'stdio' }) },
  pty: { args: 1, apply: (c, a) => (c.line = { kind: 'pty', command: a }) },
  persist: notYet('redialling comes with the daemon issue; the link runs once'),
  updetach: notYet('dialtone pppd stays in the foreground (as with nodetach)'),
};

/** Applies one command line, pppd-style. Throws OptionError with pppd's wording. */
export function parseCommandLine(args: readonly string[], cfg: PppdConfig = emptyConfig()): PppdConfig {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const def = OPTIONS[word];
    if (def) {
      if (def.args === 1) {
        const arg = args[++i];
        if (arg === undefined) throw new OptionError(tooFewParametersOnCommandLine(word));
        def.apply(cfg, arg, word);
      } else {
        def.apply(cfg, '', word);
      }
      continue;
    }
    // pppd's positional words: a device, a speed, or local:remote.
    const line = parseLineSpec(word);
    if (line) {
      cfg.line = line;
      continue;
    }
    if (/^\d+$/.test(word)) {
      cfg.speed = Number(word);
      continue;
    }
    const lr = /^([^:\s]*):([^:\s]*)$/.exec(word);
    if (lr) {
      if (lr[1]) cfg.localName = lr[1];
      if (lr[2]) cfg.remoteName = lr[2];
      continue;
    }
    throw new OptionError(unrecognizedOptionOnCommandLine(word));
  }
  return cfg;
}
