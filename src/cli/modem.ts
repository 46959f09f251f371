/**
 * `dialtone modem`: run a bank of virtual Hayes modems on TCP until interrupted.
 */
import { readFile } from 'node:fs/promises';
import { ModemBank } from '../runtime/modem-bank.js';
import { runPppdChild } from '../runtime/pppd-child.js';
import { PhoneBook, PhoneBookError } from '../modem/phonebook.js';
import { splitHostPort } from '../modem/dialstring.js';
import type { TelnetMode } from '../modem/telnet.js';

export const MODEM_USAGE = `usage: dialtone modem [OPTIONS]

A bank of virtual Hayes modems. Each TCP client is the serial cable of one line
(point an emulator's serial port, or a terminal, at it); dialling goes by the phone book.

options:
  --listen [HOST:]PORT   listen address (default 127.0.0.1:6400)
  --lines N              number of lines (default 4)
  --phonebook FILE       phone book: "NUMBER TARGET [delay=MS] [speed=BPS]" per line;
                         TARGET is line:N, tcp:HOST[:PORT], handler:NAME, busy,
                         no-answer, no-carrier or no-dialtone
  --speed BPS            CONNECT speed and line pacing (default 33600)
  --no-pace              pass data at full speed instead of pacing it
  --telnet auto|on|off   telnet on the DTE side (default auto: when the client sends IAC)
  --ip232                the DTE side speaks tcpser's ip232 (DTR in, DCD and RI out), as
                         VICE's and other emulators' IP232 serial ports do
  --websocket            clients connect with WebSocket (binary frames carry the serial
                         bytes): browser emulators such as v86 (docs/v86.md)
  --ring-interval MS     time between RINGs (default 6000)
  --default-port PORT    port for "ATDT host" without one (default 23)
  --ppp-server "ARGS"    answer calls to handler:ppp with a PPP server: dialtone pppd
                         with these pppd options (e.g. "auth require-pap 10.0.0.1:10.0.0.2")
  -v, --verbose          log connections and calls to stderr
  -h, --help             this text

Lines without a phone book entry are reached by dialling their number: ATDT2 rings line 2.
ATDT host[:port] connects to a TCP host. ATI7 shows a line's number.
`;

export class UsageError extends Error {}

export interface ModemCliOptions {
  host: string;
  port: number;
  lines: number;
  phoneBookPath: string | undefined;
  speed: number;
  pace: boolean;
  telnet: TelnetMode;
  ip232: boolean;
  websocket: boolean;
  ringIntervalMs: number;
  defaultTcpPort: number;
  verbose: boolean;
  help: boolean;
  /** pppd options for the built-in PPP server behind `handler:ppp`. */
  pppServer: string[] | undefined;
}

function intArg(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) throw new UsageError(`${name} needs a number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}`);
  return n;
}

export function parseModemArgs(args: string[]): ModemCliOptions {
  const o: ModemCliOptions = {
    host: '127.0.0.1',
    port: 6400,
    lines: 4,
    phoneBookPath: undefined,
    speed: 33600,
    pace: true,
    telnet: 'auto',
    ip232: false,
    websocket: false,
    ringIntervalMs: 6000,
    defaultTcpPort: 23,
    verbose: false,
    help: false,
    pppServer: undefined,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string | undefined => (eq > 0 ? a.slice(eq + 1) : args[++i]);
    switch (flag) {
      case '--listen': {
        const v = value();
        if (!v) throw new UsageError('--listen needs [HOST:]PORT');
        if (/^[0-9]+$/.test(v)) o.port = intArg('--listen', v, 0, 65535);
        else {
          // Port 0 (pick a free one) is fine for listening, unlike for dialling.
          const m = /^(.*):([0-9]+)$/.exec(v);
          const hp = m ? splitHostPort(`${m[1]}:1`) : undefined;
          if (!m || !hp) throw new UsageError(`bad --listen '${v}'`);
          o.host = hp.host;
          o.port = intArg('--listen', m[2], 0, 65535);
        }
        break;
      }
      case '--lines':
        o.lines = intArg(flag, value(), 1, 1000);
        break;
      case '--phonebook':
      case '--phone-book': {
        const v = value();
        if (!v) throw new UsageError(`${flag} needs a file name`);
        o.phoneBookPath = v;
        break;
      }
      case '--speed':
        o.speed = intArg(flag, value(), 75, 10_000_000);
        break;
      case '--no-pace':
        o.pace = false;
        break;
      case '--telnet': {
        const v = value();
        if (v !== 'auto' && v !== 'on' && v !== 'off') throw new UsageError('--telnet is auto, on or off');
        o.telnet = v;
        break;
      }
      case '--ip232':
        o.ip232 = true;
        break;
      case '--websocket':
        o.websocket = true;
        break;
      case '--ring-interval':
        o.ringIntervalMs = intArg(flag, value(), 1, 600_000);
        break;
      case '--default-port':
        o.defaultTcpPort = intArg(flag, value(), 1, 65535);
        break;
      case '--ppp-server': {
        const v = value();
        if (v === undefined) throw new UsageError('--ppp-server needs pppd options');
        o.pppServer = v.split(/\s+/).filter(Boolean);
        break;
      }
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option '${a}'`);
    }
  }
  return o;
}

export async function run(args: string[]): Promise<number> {
  let o: ModemCliOptions;
  try {
    o = parseModemArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dialtone modem: ${err.message}\n${MODEM_USAGE}`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(MODEM_USAGE);
    return 0;
  }

  let phoneBook: PhoneBook | undefined;
  if (o.phoneBookPath) {
    try {
      phoneBook = PhoneBook.parse(await readFile(o.phoneBookPath, 'utf8'), { defaultPort: o.defaultTcpPort });
    } catch (err) {
      const msg = err instanceof PhoneBookError ? err.message : (err as Error).message;
      process.stderr.write(`dialtone modem: ${o.phoneBookPath}: ${msg}\n`);
      return 1;
    }
  }

  const log = (m: string): void => {
    process.stderr.write(`dialtone modem: ${m}\n`);
  };
  const framing = o.ip232 ? 'ip232' : o.telnet === 'on' ? 'telnet' : o.telnet === 'off' ? 'raw' : 'auto';
  const bank = new ModemBank({
    listeners: [{ host: o.host, port: o.port, framing, websocket: o.websocket }],
    lines: o.lines,
    phoneBook,
    speed: o.speed,
    pace: o.pace,
    telnet: o.telnet,
    ringIntervalMs: o.ringIntervalMs,
    defaultTcpPort: o.defaultTcpPort,
    log: o.verbose ? log : undefined,
  });
  if (o.pppServer) {
    const args = o.pppServer;
    bank.registerHandler('ppp', (call, info) => {
      void runPppdChild(call, args, { log: (m) => log(`line ${info.line}: ${m}`) }).then(() => call.end());
    });
  }
  try {
    const addr = await bank.listen();
    log(`${o.lines} line(s) on ${o.websocket ? 'ws://' : ''}${addr.address}:${addr.port}${o.ip232 ? ' (ip232)' : ''}`);
    for (let i = 1; i <= o.lines; i++) log(`  line ${i}: ${bank.numbersOf(i).join(', ')}`);
  } catch (err) {
    log(`cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`);
    return 1;
  }

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await bank.close();
  return 0;
}
