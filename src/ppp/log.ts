/** Log levels of the protocol core, named as pppd's syslog priorities. */
export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error';

/** pppd prints names and messages with %q / %v: printable, control characters escaped. */
export function printableText(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}
export type LogFn = (level: LogLevel, msg: string) => void;
