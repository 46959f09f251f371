/**
 * The IO shell of `dialtone dial --probe DEVICE`: opens the line, runs the ModemProbe (a
 * serial port is reopened at each speed it asks for; a TCP modem bank has no speed), and
 * writes what wvdialconf writes into the config file's [Dialer Defaults].
 */
import fs from 'node:fs';
import { ModemProbe, type ProbeResult } from './probe.js';
import { openDialLine, type DialLine } from './line.js';
import { updateSection } from './conf-write.js';

export interface ProbeRunOptions {
  device: string;
  configFile: string;
  out: (line: string) => void;
  timeoutScale?: number;
}

/** The device as wvdial.conf names it: /dev/ttyS0 for ttyS0; tcp: and pty: words as given. */
function modemWord(device: string): string {
  return /^tty/.test(device) ? `/dev/${device}` : device;
}

function shortName(device: string): string {
  return device.startsWith('/dev/') ? device.slice(5) : device;
}

export async function probeModem(device: string, out: (line: string) => void, timeoutScale = 1): Promise<ProbeResult | undefined> {
  const word = modemWord(device);
  const isSerial = word.startsWith('/');
  const probe = new ModemProbe({ name: shortName(word), timeoutScale });
  let line: DialLine | undefined;
  let speed = 2400;
  let timer: NodeJS.Timeout | undefined;
  let reopening: Promise<void> = Promise.resolve();
  const attach = (l: DialLine) => {
    line = l;
    l.stream.on('data', (b: Buffer) => {
      if (line !== l) return;
      probe.input(b, Date.now());
      pump();
    });
    l.stream.on('error', () => undefined);
  };
  let resolveDone!: (r: ProbeResult | undefined) => void;
  const done = new Promise<ProbeResult | undefined>((r) => (resolveDone = r));
  const pump = () => {
    for (const a of probe.takeActions()) {
      switch (a.type) {
        case 'log':
          out(a.text);
          break;
        case 'write': {
          const data = a.data;
          void reopening.then(() => line?.stream.write(data));
          break;
        }
        case 'speed':
          if (isSerial && a.bps !== speed) {
            speed = a.bps;
            const old = line;
            line = undefined;
            old?.close();
            reopening = openDialLine(word, speed).then(attach, () => undefined);
          }
          break;
        case 'done':
          if (timer) clearTimeout(timer);
          line?.close();
          line = undefined;
          resolveDone(a.result);
          return;
      }
    }
    if (timer) clearTimeout(timer);
    const at = probe.nextDeadline();
    if (at !== undefined) {
      timer = setTimeout(() => {
        probe.tick(Date.now());
        pump();
      }, Math.max(0, at - Date.now()));
    }
  };
  try {
    attach(await openDialLine(word, speed));
  } catch (err) {
    out(`${shortName(word)}<Info>: ${(err as Error).message}`);
    return undefined;
  }
  probe.start(Date.now());
  pump();
  return done;
}

/** wvdialconf: probe, then update [Dialer Defaults]. Exit status 0 when a modem was found. */
export async function runProbe(o: ProbeRunOptions): Promise<number> {
  o.out(`Editing \`${o.configFile}'.`);
  o.out('');
  o.out('Scanning your serial ports for a modem.');
  o.out('');
  const r = await probeModem(o.device, o.out, o.timeoutScale);
  if (!r) {
    o.out('');
    o.out('Sorry, no modem was detected!  Is it in use by another program?');
    o.out('Did you configure it properly with setserial?');
    return 1;
  }
  const word = modemWord(o.device);
  o.out('');
  o.out(`Found a modem on ${word}.`);
  const old = fs.existsSync(o.configFile) ? fs.readFileSync(o.configFile, 'latin1') : '';
  const values: Array<[string, string]> = [
    ['Modem', word],
    ['Baud', String(r.baud)],
    ['Init1', 'ATZ'],
    ['Init2', r.init],
    ['ISDN', '0'],
    ['Modem Name', r.identifier ?? ''],
    ['Modem Type', 'Analog Modem'],
  ];
  let text = updateSection(old, 'Dialer Defaults', values);
  // Like wvdialconf, leave the account keys for the user to fill in (commented out).
  if (!/^\s*;?\s*phone\s*=/im.test(text)) {
    text = updateSection(text, 'Dialer Defaults', [['; Phone', '<Target Phone Number>'], ['; Username', '<Your Login Name>'], ['; Password', '<Your Password>']]);
  }
  fs.writeFileSync(o.configFile, text, { mode: 0o600 });
  o.out(`Modem configuration written to ${o.configFile}.`);
  return 0;
}
