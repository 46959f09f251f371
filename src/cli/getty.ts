/**
 * `dialtone getty [-r] [-s SPEED] [-x LEVEL] [--port NAME] [--config FILE]
 *  [--login-config FILE] [--calls N] LINE`: mgetty's command line where it makes sense.
 * LINE is a device, `tcp:HOST:PORT` (a line of `dialtone modem`) or `tcp-listen:HOST:PORT`
 * (direct callers, no modem). Config files default to $DIALTONE_MGETTY_DIR (/etc/mgetty).
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseLineSpec } from '../lines/line.js';
import { serveLine } from '../runtime/getty.js';
import { parseLoginConfig, parseMgettyConfig, MGETTY_DEFAULTS, type LoginEntry } from '../getty/config.js';
import { loadSecrets } from '../pppd/secrets-files.js';
import { syncPasswordChecker } from '../pppd/system-password.js';

const USAGE = 'usage: dialtone getty [-r] [-s speed] [-x level] [--port NAME] [--config FILE] [--login-config FILE] [--calls N] LINE\n';

/** mgetty's compiled-in login.config when there is none: AutoPPP to pppd, others to login. */
const DEFAULT_LOGIN = '/AutoPPP/ - a_ppp /usr/sbin/pppd auth -chap +pap login\n* - - /bin/login @\n';

export async function run(args: string[]): Promise<number> {
  let direct = false;
  let speed: number | undefined;
  let debug: number | undefined;
  let port: string | undefined;
  let calls: number | undefined;
  const mgettyDir = process.env.DIALTONE_MGETTY_DIR ?? '/etc/mgetty';
  let configFile = path.join(mgettyDir, 'mgetty.config');
  let loginFile = path.join(mgettyDir, 'login.config');
  let lineWord: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '-r') direct = true;
      else if (a === '-s') speed = Number(next());
      else if (a === '-x') debug = Number(next());
      else if (a === '--port') port = next();
      else if (a === '--config') configFile = next();
      else if (a === '--login-config') loginFile = next();
      else if (a === '--calls') calls = Number(next());
      else if (a === '-h' || a === '--help') return process.stdout.write(USAGE), 0;
      else if (!lineWord) lineWord = a;
      else throw new Error(`unexpected argument '${a}'`);
    } catch (err) {
      process.stderr.write(`dialtone getty: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  const line = lineWord ? parseLineSpec(lineWord) : undefined;
  if (!line) {
    process.stderr.write(`dialtone getty: no line given\n${USAGE}`);
    return 2;
  }
  port ??= line.kind === 'device' ? path.basename(line.path) : line.kind;
  const log = (msg: string) => process.stderr.write(`getty ${port}: ${msg}\n`);

  const readOr = (file: string, fallback: string) => {
    try {
      return fs.readFileSync(file, 'latin1');
    } catch {
      return fallback;
    }
  };
  const mg = parseMgettyConfig(readOr(configFile, ''), configFile, port);
  const lc = parseLoginConfig(readOr(loginFile, DEFAULT_LOGIN), loginFile);
  [...mg.warnings, ...lc.warnings].forEach(log);
  const config = { ...MGETTY_DEFAULTS, ...mg.value };
  if (direct || line.kind === 'tcp-listen') config.direct = true;
  if (speed) config.speed = speed;
  if (debug !== undefined) config.debug = debug;

  const pppDir = process.env.DIALTONE_PPP_DIR ?? '/etc/ppp';
  // A text login is checked like a PAP peer under pppd's `login`: the user needs a
  // pap-secrets entry, and an empty (or @login) secret means the system password decides -
  // the seeds' `* * "" *` line.
  const system = syncPasswordChecker();
  const secrets = loadSecrets(pppDir, log, { login: true, systemPassword: (u, p) => system.check(u, p) });
  const login: LoginEntry[] = lc.value;
  await serveLine({
    line,
    port,
    config,
    login,
    pppDir,
    log,
    calls,
    checkPassword: async (user, password) => secrets.verifyPap?.(user, password, os.hostname()) !== undefined,
  });
  return 0;
}
