/**
 * `dialtone dial`: a wvdial-compatible dialer (and `--probe`, wvdialconf's modem scan).
 * See src/dial/ for the pieces and docs/dial.md for the user's view.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { emptyConf, loadConf, missingSections, resolveOptions, sectionsFromArgs, unknownKeys, WvConfError } from '../dial/config.js';
import { startDial } from '../dial/run.js';
import { runProbe } from '../dial/probe-run.js';

export const DIAL_USAGE = `usage: dialtone dial [OPTIONS] [SECTION]... [KEY=value]...
       dialtone dial --probe DEVICE [--config FILE]

A wvdial-compatible dialer: reads /etc/wvdial.conf and ~/.wvdialrc (or --config FILE),
dials the modem with [Dialer Defaults] and the [Dialer SECTION]s named (later names and
KEY=value words win), logs in when the server asks, then runs dialtone pppd on the line.

options:
  -C, --config FILE   read this file instead of /etc/wvdial.conf and ~/.wvdialrc
  --probe DEVICE      probe a modem like wvdialconf (speeds, ATQ0 V1 E1, ATI) and write
                      its [Dialer Defaults] (Modem, Baud, Init1, Init2) to the config file
                      (--config FILE, default /etc/wvdial.conf)
  -v, --verbose       also print every pppd log line
  -n, --no-syslog     accepted (wvdial's; dialtone dial logs to standard error only)
  -h, --help          this text
  --version           print the version

Modem = /dev/ttyS0 (a serial port or pty), tcp:HOST:PORT (a modem bank: dialtone modem,
dialtone isp) or pty:COMMAND. PPPD Path = /usr/sbin/pppd runs real pppd instead.
Exit status: 0 when the dialer ended normally, 1 on errors (as wvdial).
`;

async function askPassword(): Promise<string> {
  process.stderr.write('--> Please enter password (or empty password to stop):\n');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return line;
}

export async function run(args: string[]): Promise<number> {
  let configFile: string | undefined;
  let probe: string | undefined;
  let verbose = false;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => args[++i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(DIAL_USAGE);
      return 0;
    } else if (a === '--version') {
      const { VERSION } = await import('../version.js');
      process.stdout.write(`dialtone dial ${VERSION} (WvDial 1.61 compatible)\n`);
      return 0;
    } else if (a === '-C' || a === '--config') {
      configFile = value();
      if (configFile === undefined) return usageError(`${a} needs a file name`);
    } else if (a.startsWith('--config=')) {
      configFile = a.slice(9);
    } else if (a === '--probe') {
      probe = value();
      if (probe === undefined) return usageError('--probe needs a device');
    } else if (a === '-v' || a === '--verbose') {
      verbose = true;
    } else if (a === '-n' || a === '--no-syslog') {
      // wvdial's: nothing to turn off.
    } else if (a === '-c' || a === '--chat') {
      return usageError('--chat (wvdial as pppd\'s connect program) is not supported: use dialtone chat');
    } else if (a.startsWith('-') && !a.includes('=')) {
      return usageError(`unknown option ${a}`);
    } else {
      words.push(a);
    }
  }

  if (probe !== undefined) {
    return runProbe({ device: probe, configFile: configFile ?? '/etc/wvdial.conf', out: (l) => process.stdout.write(`${l}\n`) });
  }

  const conf = emptyConf();
  try {
    if (configFile !== undefined) {
      if (!fs.existsSync(configFile)) {
        process.stderr.write(`Cannot read \`${configFile}'\n`);
        return 1;
      }
      loadConf(conf, fs.readFileSync(configFile, 'latin1'));
    } else {
      for (const f of ['/etc/wvdial.conf', path.join(os.homedir(), '.wvdialrc')]) {
        if (fs.existsSync(f)) loadConf(conf, fs.readFileSync(f, 'latin1'));
      }
    }
  } catch (err) {
    if (!(err instanceof WvConfError) && !(err instanceof Error)) throw err;
    process.stderr.write(`--> ${err.message}\n`);
    return 1;
  }
  const sections = sectionsFromArgs(conf, words);
  const opts = resolveOptions(conf, sections);
  const warnings = [...missingSections(conf, sections), ...unknownKeys(conf).map((k) => `Warning: unknown key ${k} ignored.`)];
  if (opts.askPassword) {
    opts.password = await askPassword();
    if (!opts.password) return 1;
  }

  const out = (l: string) => process.stderr.write(`${l}\n`);
  const d = startDial({ opts, warnings, out, verbose });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    out(`Caught signal ${os.constants.signals[sig]}:  Attempting to exit gracefully...`);
    d.stop();
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    return await d.done;
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

function usageError(msg: string): number {
  process.stderr.write(`dialtone dial: ${msg}\n${DIAL_USAGE}`);
  return 1;
}
