/**
 * `dialtone isp status`: the status document as a person reads it: who is online (one row
 * each), the modem lines, totals, and the last sessions with how they ended. Reads the JSON
 * of any version of the server (fields a server does not send are shown empty).
 */
import { exitStatusWords } from './exit-status.js';

interface SessionDoc {
  id: number;
  user?: string;
  address?: string;
  origin?: string;
  line?: number;
  number?: string;
  speed?: number;
  upAt?: number;
  phase?: string;
  counters?: { bytesIn?: number; bytesOut?: number };
  rateIn?: number;
  rateOut?: number;
}

export interface StatusDoc {
  time?: number;
  sessions?: SessionDoc[];
  pool?: { size?: number; inUse?: number };
  maxSessions?: number;
  connections?: number;
  totals?: { sessions?: number; refused?: number; bytesIn?: number; bytesOut?: number; reloads?: number };
  modemLines?: { line: number; state: string; caller?: string; number?: string; session?: number }[];
  recent?: { id: number; user?: string; address?: string; origin?: string; upAt?: number; endedAt: number; status: number; reason?: string }[];
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !(ms >= 0)) return '';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h ? `${h}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

const rate = (n: number | undefined) => (n === undefined ? '' : `${bytes(Math.round(n))}/s`);

/** Columns padded to their widest cell; the numeric ones right-aligned. */
function table(head: string[], rows: string[][], right: Set<number>): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export function formatStatus(doc: StatusDoc, recent = 5): string {
  const now = doc.time ?? Date.now();
  const sessions = doc.sessions ?? [];
  const t = doc.totals ?? {};
  const out: string[] = [];
  out.push(`dialtone isp: ${sessions.length} online${doc.maxSessions !== undefined ? ` (max ${doc.maxSessions})` : ''}, pool ${doc.pool?.inUse ?? '?'}/${doc.pool?.size ?? '?'} in use, ${doc.connections ?? '?'} connection(s) now`);
  out.push('');
  if (sessions.length) {
    out.push(...table(
      ['ID', 'USER', 'ADDRESS', 'LINE/ORIGIN', 'SPEED', 'UPTIME', 'IN', 'OUT', 'RATE IN', 'RATE OUT'],
      sessions.map((s) => [
        String(s.id), s.user ?? '', s.address ?? '', s.line !== undefined ? `line ${s.line}${s.number ? ` (${s.number})` : ''}` : s.origin ?? '',
        s.speed ? String(s.speed) : '', duration(s.upAt !== undefined ? now - s.upAt : undefined),
        bytes(s.counters?.bytesIn), bytes(s.counters?.bytesOut), rate(s.rateIn), rate(s.rateOut),
      ]),
      new Set([0, 4, 5, 6, 7, 8, 9]),
    ));
  } else {
    out.push('nobody online');
  }
  if (doc.modemLines?.length) {
    out.push('', `modem lines: ${doc.modemLines.map((l) => `${l.line} ${l.state === 'getty' ? 'getty dialog' : l.state}${l.number ? ` (dialled ${l.number}${l.caller ? ` from ${l.caller}` : ''})` : ''}`).join(', ')}`);
  }
  out.push('', `totals: ${t.sessions ?? 0} session(s) since start, ${t.refused ?? 0} refused; ended sessions ${bytes(t.bytesIn ?? 0)} in, ${bytes(t.bytesOut ?? 0)} out; ${t.reloads ?? 0} reload(s)`);
  const ended = (doc.recent ?? []).slice(0, recent);
  if (ended.length) {
    out.push('', 'recent sessions:');
    for (const r of ended) {
      const took = r.upAt !== undefined ? ` after ${duration(r.endedAt - r.upAt)}` : ' before IP up';
      out.push(`  ${r.id} ${r.user ?? '-'} ${r.address ?? '-'} ${r.origin ?? ''}: ended ${new Date(r.endedAt).toISOString()}${took}, ${r.reason ?? exitStatusWords(r.status)} (exit status ${r.status})`);
    }
  }
  return `${out.join('\n')}\n`;
}
