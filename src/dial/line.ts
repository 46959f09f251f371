/**
 * The dialler's modem line: what `Modem =` names. A device path opens the serial port at
 * `Baud` (a pseudo-terminal works too); `tcp:HOST:PORT` reaches a modem bank such as
 * `dialtone modem` / `dialtone isp`'s listen-modem; `pty:COMMAND` talks to a command.
 */
import type { Duplex } from 'node:stream';
import { openLine, parseLineSpec } from '../lines/line.js';
import { openSerial } from '../lines/serial.js';

export interface DialLine {
  name: string;
  stream: Duplex;
  /** The file descriptor of a serial port (real pppd gets it as its standard input). */
  fd?: number;
  close(): void;
}

export async function openDialLine(word: string, baud: number): Promise<DialLine> {
  const spec = parseLineSpec(word) ?? (word.startsWith('/') ? { kind: 'device' as const, path: word } : undefined);
  if (!spec || spec.kind === 'stdio' || spec.kind === 'tcp-listen') throw new Error(`not a modem line: ${word}`);
  if (spec.kind === 'device') {
    // CLOCAL: the dialler talks to the modem before there is a carrier.
    const s = await openSerial(spec.path, { speed: baud, modem: false });
    return { name: s.name, stream: s.stream, ...(s.fd !== undefined ? { fd: s.fd } : {}), close: () => s.close() };
  }
  const l = await openLine(spec);
  return { name: l.name, stream: l.stream, close: () => l.close() };
}
