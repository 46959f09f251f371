// FreeRADIUS's `detail` file read back: one record per blank-line-separated block, a date line
// then `\tAttribute = value` lines (values unquoted here; integers as FreeRADIUS prints them).
import fs from 'node:fs';

export type DetailRecord = Record<string, string>;

export function readDetail(file: string): DetailRecord[] {
  if (!fs.existsSync(file)) return [];
  const out: DetailRecord[] = [];
  for (const block of fs.readFileSync(file, 'utf8').split(/\n\s*\n/)) {
    const rec: DetailRecord = {};
    for (const line of block.split('\n')) {
      const m = /^\s+([A-Za-z0-9-]+) = (.*)$/.exec(line);
      if (m) rec[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
    }
    if (rec['Acct-Status-Type']) out.push(rec);
  }
  return out;
}
