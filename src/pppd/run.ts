/**
 * `dialtone pppd`: options -> a Session on a line, with pppd's log lines, signals and exit
 * status. The protocol work is all in src/ppp; this is wiring.
 */
import os from 'node:os';
import dns from 'node:dns/promises';
import { Session, defaultSessionOptions } from '../ppp/session.js';
import { EXIT } from '../ppp/exit-codes.js';
import { parseIp4 } from '../wire/ipv4.js';
import { openLine, describeLine } from '../io/line.js';
import { drive } from '../io/driver.js';
import { OptionError, parseCommandLine, type PppdConfig } from './options.js';
import { createLogger } from './logger.js';
import { openPcapFile } from './pcap-file.js';
import { loadSecrets } from './secrets-files.js';
import { VERSION, PPPD_COMPAT } from '../version.js';

async function resolveAddr(name: string | undefined): Promise<number> {
  if (!name) return 0;
  const literal = parseIp4(name);
  if (literal !== undefined) return literal;
  const { address } = await dns.lookup(name, { family: 4 });
  return parseIp4(address)!;
}

export async function runPppd(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let cfg: PppdConfig;
  try {
    cfg = parseCommandLine(args);
  } catch (err) {
    if (err instanceof OptionError) {
      process.stderr.write(`dialtone pppd: ${err.message}\n`);
      return EXIT.OPTION_ERROR;
    }
    throw err;
  }
  const line = cfg.line ?? { kind: 'stdio' as const };
  const log = createLogger({ logfile: cfg.logfile, useStderr: line.kind === 'stdio', debug: cfg.debug });
  const pppDir = env.DIALTONE_PPP_DIR ?? '/etc/ppp';
  const user = os.userInfo();
  log.log('notice', `dialtone ${VERSION} (pppd ${PPPD_COMPAT} compatible) started by ${user.username}, uid ${user.uid}`);
  if (!cfg.nodetach) log.log('info', 'dialtone pppd stays in the foreground (as with nodetach)');
  for (const n of cfg.notYet) log.log('warn', `not supported yet: ${n}`);

  let localAddr: number;
  let remoteAddr: number;
  try {
    localAddr = await resolveAddr(cfg.localName);
    remoteAddr = await resolveAddr(cfg.remoteName);
  } catch (err) {
    log.log('error', `unknown host in local:remote: ${(err as Error).message}`);
    await log.close();
    return EXIT.OPTION_ERROR;
  }
  const secrets = loadSecrets(pppDir, (m) => log.log('warn', m));
  const pcap = cfg.pcap ? openPcapFile(cfg.pcap) : undefined;
  const options = defaultSessionOptions({
    name: os.hostname(),
    ...cfg.session,
    localAddr,
    remoteAddr,
    secrets,
    tapFrames: !!pcap,
  });

  let lineOpen;
  try {
    if (line.kind === 'tcp-listen') log.log('notice', `Waiting for a connection on ${line.host}:${line.port}`);
    lineOpen = await openLine(line, { onListening: (port) => log.log('info', `Listening on ${line.kind === 'tcp-listen' ? line.host : ''}:${port}`) });
  } catch (err) {
    log.log('error', `Failed to open ${describeLine(line)}: ${(err as Error).message}`);
    await log.close();
    return line.kind === 'pty' ? EXIT.PTYCMD_FAILED : EXIT.OPEN_FAILED;
  }
  log.log('info', 'Serial connection established.');
  log.log('info', 'Using interface ppp0');
  log.log('notice', `Connect: ppp0 <--> ${lineOpen.name}`);

  const session = new Session(options, Date.now());
  const link = drive(session, lineOpen, {
    onEvent: (ev) => {
      if (ev.type === 'log') log.log(ev.level, ev.msg);
      else if (ev.type === 'frame') pcap?.frame(ev.time, ev.dir, ev.protocol, ev.payload);
    },
  });

  const onSignal = (sig: NodeJS.Signals) => {
    if (sig === 'SIGUSR1') {
      cfg.debug = !cfg.debug;
      log.setDebug(cfg.debug);
      session.options.debug = cfg.debug;
      return;
    }
    if (sig === 'SIGHUP') {
      log.log('info', 'Hangup (SIGHUP)');
      link.close('User request', EXIT.HANGUP);
      return;
    }
    log.log('info', sig === 'SIGINT' ? 'Interrupt received: terminating link' : `Terminating on signal ${os.constants.signals[sig]}`);
    link.close('User request', EXIT.USER_REQUEST);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'];
  for (const s of signals) process.on(s, onSignal);
  const status = await link.done;
  for (const s of signals) process.off(s, onSignal);
  log.log('info', 'Exit.');
  await pcap?.close();
  await log.close();
  return status;
}
