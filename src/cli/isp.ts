/**
 * `dialtone isp [--config FILE]`: the dial-up ISP in a box. Without a config file it runs
 * a demo ISP on 127.0.0.1 with a test account and prints how to connect.
 * `dialtone isp status [--json] [URL]`: the running server's status as a table (who is online,
 * modem lines, totals, recent sessions), or its JSON document with --json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IspServer } from '../isp/server.js';
import { defaultIspConfig, IspConfigError, parseIspConfig, type IspConfig } from '../isp/config.js';
import { loadSecrets } from '../pppd/secrets-files.js';
import { fileSecrets } from '../config/secrets-provider.js';
import { parseSecrets } from '../config/secrets.js';
import type { Secrets } from '../ppp/secrets.js';
import { natBackendFactory } from '../isp/backend.js';
import { ispBackendFactory } from '../tun/isp-backend.js';
import { formatStatus, type StatusDoc } from '../isp/console/status-table.js';
import { numericDialString } from '../modem/phonebook.js';
import { NamedPools } from '../isp/named-pools.js';
import { isIspWorker, runPrimary, workerContext, workerStatus } from '../isp/workers.js';
import { boundYoungGeneration, MemoryRelief } from '../runtime/memory-relief.js';
import { batchedLog } from '../runtime/batched-log.js';

const USAGE = 'usage: dialtone isp [--config FILE] | dialtone isp status [--json] [http://127.0.0.1:PORT[/status]]\n';
const DEMO_STATUS = 'http://127.0.0.1:6480/status';

function demoConfig(): IspConfig {
  return {
    ...defaultIspConfig(),
    listenPpp: { host: '127.0.0.1', port: 2323 },
    listenModem: { host: '127.0.0.1', port: 6400 },
    listenDirect: { host: '127.0.0.1', port: 2390 },
    status: { host: '127.0.0.1', port: 6480 },
    accounts: [{ user: 'demo', password: 'dialtone' }],
  };
}

/** Secrets files from the configured directory, plus `account` lines, as one Secrets. */
function secretsFor(c: IspConfig, log: (m: string) => void): Secrets {
  const files = c.secretsDir ? loadSecrets(c.secretsDir, log) : undefined;
  const text = c.accounts.map((a) => `${JSON.stringify(a.user)} * ${JSON.stringify(a.password)} *\n`).join('');
  const accounts = { file: 'isp.conf accounts', entries: parseSecrets(text, 'isp.conf accounts').entries };
  const inline = fileSecrets({ pap: accounts, chap: accounts }, { log: (_l, m) => log(m) });
  return {
    lookup: (kind, client, server) => files?.lookup(kind, client, server) ?? inline.lookup(kind, client, server),
    hasSecretsFor: (kind, client) => !!files?.hasSecretsFor?.(kind, client) || !!inline.hasSecretsFor?.(kind, client),
    verifyPap: (user, password, server) => files?.verifyPap?.(user, password, server) ?? inline.verifyPap?.(user, password, server),
  };
}

async function status(args: string[]): Promise<number> {
  let json = false;
  let url = DEMO_STATUS;
  for (const a of args) {
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') return process.stdout.write(USAGE), 0;
    else if (/^https?:\/\//.test(a)) url = a;
    else return process.stderr.write(`dialtone isp status: unexpected '${a}'\n${USAGE}`), 2;
  }
  // The status address itself is fine too: the document is at /status.
  if (/^https?:\/\/[^/]+\/?$/.test(url)) url = `${url.replace(/\/$/, '')}/status`;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = (await res.json()) as StatusDoc;
    process.stdout.write(json ? `${JSON.stringify(doc, null, 2)}\n` : formatStatus(doc));
    return 0;
  } catch (err) {
    process.stderr.write(`dialtone isp status: ${url}: ${(err as Error).message}\n`);
    return 1;
  }
}

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'status') return status(args.slice(1));
  // Memory after a flood goes back to what it was (src/runtime/memory-relief.ts): set early, before the heap grows.
  const youngBounded = boundYoungGeneration();
  let configFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config' && args[i + 1]) configFile = args[++i];
    else if (args[i] === '-h' || args[i] === '--help') return process.stdout.write(USAGE), 0;
    else return process.stderr.write(`dialtone isp: unexpected '${args[i]}'\n${USAGE}`), 2;
  }
  let config: IspConfig;
  try {
    config = configFile ? parseIspConfig(fs.readFileSync(configFile, 'utf8'), path.resolve(configFile)) : demoConfig();
  } catch (err) {
    if (err instanceof IspConfigError || (err as NodeJS.ErrnoException).code) {
      process.stderr.write(`dialtone isp: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
  // `workers N`: this process forks N workers and serves the merged status (src/isp/workers.ts).
  if (config.workers > 1 && !isIspWorker()) return primary(config, configFile);
  const worker = isIspWorker() ? await workerContext(config) : undefined;
  const tag = worker ? `isp[${worker.index + 1}]` : 'isp';
  // Batched per event-loop turn (batched-log.ts): a write(2) per line cost more than a setup.
  const stderr = batchedLog((text) => process.stderr.write(text));
  const log = (m: string) => stderr(`${tag}: ${m}\n`);
  const server = new IspServer({ config: worker?.config ?? config, secrets: secretsFor(config, log), backend: ispBackendFactory(config, log, natBackendFactory), log, pool: worker?.pool,
    // With workers, each process hands out its own stripe of every named pool (named-pools.ts).
    ...(worker ? { namedPools: new NamedPools(config.namedPools, { index: worker.index, of: config.workers }) } : {}) });
  worker?.onStatus((kind) => (kind === 'metrics' ? server.metrics() : workerStatus(worker.index, server.status(), server.liveCount, worker.pool)));
  // SIGTERM/SIGINT: a graceful stop (Terminate-Request on every link, accounting, bounded by
  // stop-timeout); a second signal exits at once. Caught from before the start: the start's
  // accounting (Stops for a crash's sessions, Accounting-On) goes out before its listeners
  // are all open, and a signal then must still get Accounting-Off, not the default death.
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signals++ === 0) return resolveStop(sig);
    log(`${sig} again: exiting now`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  let resolveStop!: (sig: NodeJS.Signals) => void;
  const stopSignal = new Promise<NodeJS.Signals>((r) => (resolveStop = r));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await server.start();
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return 1;
  }
  if (!worker) printHowTo(server, config, !configFile);
  let debugOn = (worker?.config ?? config).debug;
  const debug = (m: string) => void (debugOn && log(m));
  if (!youngBounded) debug('memory relief: node was started with its own semi-space size; leaving V8\'s young generation as given');
  const relief = new MemoryRelief({ quiet: () => server.admission.size === 0, debug }).start();
  // SIGHUP: reread isp.conf; a bad file is reported (file:line) and the running config kept.
  const reload = () => {
    if (!configFile) return log('SIGHUP: no --config file to reload (demo configuration)');
    let next: IspConfig;
    try {
      next = parseIspConfig(fs.readFileSync(configFile, 'utf8'), path.resolve(configFile));
    } catch (err) {
      return log(`SIGHUP: ${(err as Error).message}; keeping the running configuration`);
    }
    debugOn = next.debug;
    const notes = server.reload({ config: next, secrets: secretsFor(next, log), backend: ispBackendFactory(next, log, natBackendFactory) });
    log(`SIGHUP: reloaded ${path.resolve(configFile)}; new sessions use it${notes.map((n) => ` (${n})`).join('')}`);
  };
  process.on('SIGHUP', reload);
  const signalled = await stopSignal;
  log(`${signalled}: shutting down (terminating ${server.liveCount} link(s), at most ${config.stopTimeout} s)`);
  relief.stop();
  await server.stop();
  process.off('SIGHUP', reload);
  log('stopped');
  // Nothing the server owned keeps the process alive; a stray handle must not either.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

/** The primary of `workers N`: forks, serves /status and /metrics, forwards SIGHUP and SIGTERM. */
async function primary(config: IspConfig, configFile: string | undefined): Promise<number> {
  const log = (m: string) => process.stderr.write(`isp: ${m}\n`);
  let handle;
  try {
    handle = await runPrimary(config, log);
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    return 1;
  }
  const st = handle.status;
  process.stdout.write(`dialtone isp: running on ${config.workers} workers (${configFile ?? 'demo'})${config.listenPpp ? `, raw PPP on ${config.listenPpp.host}:${config.listenPpp.port}` : ''}${st ? `, status http://${st.address}:${st.port}/status` : ''}\n`);
  process.on('SIGHUP', () => handle.reload());
  const sig = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log(`${sig}: stopping ${config.workers} workers`);
  await handle.stop();
  log('stopped');
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}

function printHowTo(server: IspServer, c: IspConfig, demo: boolean): void {
  const a = server.addresses;
  const acct = c.accounts[0];
  const user = demo && acct ? acct.user : 'USER';
  // Only the demo's well-known test password is printed; a configured one never is.
  const pass = demo && acct ? acct.password : 'PASSWORD';
  const lines = [`dialtone isp: ${demo ? 'demo ISP (no --config given)' : 'running'}`];
  if (demo && acct) lines.push(`  test account: user ${acct.user}, password ${acct.password}`);
  lines.push(`  addresses: gateway ${c.gateway}, DNS ${c.dns}, clients from ${c.pool}`);
  if (a.ppp) {
    const hp = `${a.ppp.address}:${a.ppp.port}`;
    lines.push(`  raw PPP on ${hp}. Connect with:`);
    lines.push(`    real pppd:     pppd pty "socat - TCP:${hp}" user ${user} password ${pass} noauth usepeerdns nodetach`);
    lines.push(`    dialtone pppd: dialtone pppd tcp:${hp} user ${user} password ${pass} usepeerdns nodetach`);
  }
  if (a.modem) {
    lines.push(`  modem bank on ${a.modem.address}:${a.modem.port} (${c.modemLines} lines).`);
    lines.push(`    emulator (86Box, DOSBox-X serial modem): connect the serial port to ${a.modem.address}:${a.modem.port}, dial ATDT${c.phone}`);
    lines.push('    then PPP (Windows Dial-Up Networking), or log in at the prompt and type ppp');
  }
  if (a.modemIp232) lines.push(`  modem bank, tcpser ip232 (VICE and other IP232 serial ports: DTR, DCD, RI) on ${a.modemIp232.address}:${a.modemIp232.port}: dial ATDT${c.phone}`);
  if (a.modemWs) lines.push(`  modem bank over WebSocket (browser emulators, v86: see docs/v86.md) on ws://${a.modemWs.address}:${a.modemWs.port}/: dial ATDT${c.phone}`);
  for (const [what, d] of [['direct-connect port', a.direct], ['direct-connect WebSocket', a.directWs]] as const) {
    if (!d) continue;
    // A wildcard address is not dialable: the emulator on this machine reaches loopback.
    const host = d.address === '0.0.0.0' || d.address === '::' ? '127.0.0.1' : d.address;
    const digits = numericDialString(host, d.port);
    if (what === 'direct-connect port') {
      lines.push(`  ${what} on ${d.address}:${d.port}: already-dialled callers get the login prompt or AutoPPP at once.`);
      lines.push(`    DOSBox / DOSBox-X (serial1=modem) or 86Box modem: ATDT${host}:${d.port}${digits ? `  (digits only: ATDT${digits})` : ''}`);
    } else {
      lines.push(`  ${what} on ws://${d.address}:${d.port}/: the same for browser emulators (docs/v86.md)`);
    }
  }
  if (a.status) {
    const base = `http://${a.status.address.includes(':') ? `[${a.status.address}]` : a.status.address}:${a.status.port}`;
    lines.push(`  status: ${base}/status  (dialtone isp status ${base}/status; --json for the JSON)`);
    lines.push(`  console: ${base}/ in a browser; Prometheus metrics at ${base}/metrics`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
