/**
 * `/metrics`: the access server in Prometheus' text exposition format 0.0.4 (HELP and TYPE
 * lines, counters named *_total, a histogram as _bucket{le=...}/_sum/_count). Counters are the
 * sum of the links that have ended (kept by the monitor) and the links still live, so they
 * only grow; gauges are what is live now.
 */
import type { IspMonitor, LinkCounts } from './console/monitor.js';
import { exitStatusWords } from './console/exit-status.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface LiveLink {
  phase: string;
  counters: LinkCounts;
  /** NatBackend.stats() of an authenticated session, when it has a NAT. */
  nat?: unknown;
}

export interface MetricsInput {
  links: LiveLink[];
  monitor: IspMonitor;
  /** IspServer.totals. */
  totals: { sessions: number; refused: number; reloads: number };
  pool: { size: number; inUse: number };
  maxSessions: number;
  unauthenticated: number;
  lines: { state: string }[];
}

export const PHASES = ['Dead', 'Establish', 'Authenticate', 'Network', 'Terminate'] as const;
export const LINE_STATES = ['free', 'idle', 'dialling', 'ringing', 'getty', 'connected'] as const;

/** Label values escaped as the format says: backslash, double quote and newline. */
function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string | number>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(String(v))}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (n === Infinity) return '+Inf';
  return Number.isFinite(n) ? String(n) : 'NaN';
}

class Exposition {
  private readonly out: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, value: number, l: Record<string, string | number> = {}): this {
    this.out.push(`${name}${labels(l)} ${num(value)}`);
    return this;
  }
  text(): string {
    return `${this.out.join('\n')}\n`;
  }
}

interface NatView {
  tcp?: { active?: number; opened?: number };
  udp?: { flows?: number; opened?: number };
  ip?: { drops?: Record<string, number> };
}

export function renderMetrics(m: MetricsInput): string {
  const mon = m.monitor;
  const e = new Exposition();
  const live = (k: keyof LinkCounts) => m.links.reduce((s, l) => s + l.counters[k], mon.gone[k]);

  e.family('dialtone_isp_sessions', 'gauge', 'Live PPP links by phase (RFC 1661 section 3).');
  for (const p of PHASES) e.sample('dialtone_isp_sessions', m.links.filter((l) => l.phase === p).length, { phase: p });
  e.family('dialtone_isp_unauthenticated_connections', 'gauge', 'Connections in the admission pool, not yet authenticated.');
  e.sample('dialtone_isp_unauthenticated_connections', m.unauthenticated);
  e.family('dialtone_isp_max_sessions', 'gauge', 'The max-sessions limit.');
  e.sample('dialtone_isp_max_sessions', m.maxSessions);
  e.family('dialtone_isp_pool_addresses', 'gauge', 'Client addresses in the pool, by use.');
  e.sample('dialtone_isp_pool_addresses', m.pool.inUse, { state: 'in_use' });
  e.sample('dialtone_isp_pool_addresses', m.pool.size - m.pool.inUse, { state: 'free' });

  e.family('dialtone_isp_connections_total', 'counter', 'Connections that started a PPP session (raw PPP or modem call).');
  e.sample('dialtone_isp_connections_total', m.totals.sessions);
  e.family('dialtone_isp_session_setups_total', 'counter', 'Sessions that reached IP up.');
  e.sample('dialtone_isp_session_setups_total', mon.setups);
  e.family('dialtone_isp_sessions_refused_total', 'counter', 'Authenticated sessions refused (max-sessions reached or address pool exhausted).');
  e.sample('dialtone_isp_sessions_refused_total', m.totals.refused);
  e.family('dialtone_isp_session_ends_total', 'counter', "Links that ended, by pppd's exit status.");
  for (const [status, n] of [...mon.ends].sort((a, b) => a[0] - b[0])) e.sample('dialtone_isp_session_ends_total', n, { status, reason: exitStatusWords(status) });
  e.family('dialtone_isp_session_setup_failures_total', 'counter', "Links that ended before IP up, by pppd's exit status.");
  for (const [status, n] of [...mon.failures].sort((a, b) => a[0] - b[0])) e.sample('dialtone_isp_session_setup_failures_total', n, { status, reason: exitStatusWords(status) });
  e.family('dialtone_isp_console_disconnects_total', 'counter', 'Sessions disconnected from the web console.');
  e.sample('dialtone_isp_console_disconnects_total', mon.disconnects);
  e.family('dialtone_isp_config_reloads_total', 'counter', 'SIGHUP reloads of isp.conf.');
  e.sample('dialtone_isp_config_reloads_total', m.totals.reloads);

  e.family('dialtone_isp_bytes_total', 'counter', 'PPP bytes on the lines; in = from the callers, out = to them.');
  e.sample('dialtone_isp_bytes_total', live('bytesIn'), { direction: 'in' });
  e.sample('dialtone_isp_bytes_total', live('bytesOut'), { direction: 'out' });
  e.family('dialtone_isp_frames_total', 'counter', 'PPP frames on the lines; in = from the callers, out = to them.');
  e.sample('dialtone_isp_frames_total', live('framesIn'), { direction: 'in' });
  e.sample('dialtone_isp_frames_total', live('framesOut'), { direction: 'out' });
  e.family('dialtone_isp_ip_packets_total', 'counter', 'IP packets carried; in = from the callers, out = to them.');
  e.sample('dialtone_isp_ip_packets_total', live('ipPacketsIn'), { direction: 'in' });
  e.sample('dialtone_isp_ip_packets_total', live('ipPacketsOut'), { direction: 'out' });
  e.family('dialtone_isp_frames_dropped_total', 'counter', 'Received frames dropped by the framing (bad FCS, runts, too long).');
  e.sample('dialtone_isp_frames_dropped_total', live('framesDropped'));

  const nats = m.links.map((l) => l.nat as NatView | undefined).filter((n): n is NatView => !!n);
  const drops: Record<string, number> = { ...mon.goneNat.drops };
  for (const n of nats) for (const [why, c] of Object.entries(n.ip?.drops ?? {})) drops[why] = (drops[why] ?? 0) + c;
  e.family('dialtone_isp_nat_connections', 'gauge', 'Live NAT connections (TCP) and flows (UDP).');
  e.sample('dialtone_isp_nat_connections', nats.reduce((s, n) => s + (n.tcp?.active ?? 0), 0), { proto: 'tcp' });
  e.sample('dialtone_isp_nat_connections', nats.reduce((s, n) => s + (n.udp?.flows ?? 0), 0), { proto: 'udp' });
  e.family('dialtone_isp_nat_connections_total', 'counter', 'NAT connections (TCP) and flows (UDP) opened.');
  e.sample('dialtone_isp_nat_connections_total', nats.reduce((s, n) => s + (n.tcp?.opened ?? 0), mon.goneNat.tcpOpened), { proto: 'tcp' });
  e.sample('dialtone_isp_nat_connections_total', nats.reduce((s, n) => s + (n.udp?.opened ?? 0), mon.goneNat.udpOpened), { proto: 'udp' });
  e.family('dialtone_isp_nat_drops_total', 'counter', 'IP packets from the callers the NAT dropped, by reason.');
  for (const why of Object.keys(drops).sort()) e.sample('dialtone_isp_nat_drops_total', drops[why]!, { reason: why });

  e.family('dialtone_isp_modem_lines', 'gauge', 'Modem bank lines by state.');
  for (const s of LINE_STATES) e.sample('dialtone_isp_modem_lines', m.lines.filter((l) => l.state === s).length, { state: s });

  const h = mon.authLatency;
  e.family('dialtone_isp_auth_duration_seconds', 'histogram', 'Seconds from a connection to its successful authentication.');
  h.bounds.forEach((b, i) => e.sample('dialtone_isp_auth_duration_seconds_bucket', h.counts[i]!, { le: b }));
  e.sample('dialtone_isp_auth_duration_seconds_bucket', h.count, { le: '+Inf' });
  e.sample('dialtone_isp_auth_duration_seconds_sum', h.sum);
  e.sample('dialtone_isp_auth_duration_seconds_count', h.count);
  return e.text();
}
