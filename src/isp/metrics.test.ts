import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { IspServer } from './server.js';
import { defaultIspConfig } from './config.js';
import { natBackendFactory } from './backend.js';
import { staticSecrets } from '../ppp/secrets.js';
import { PppLink } from '../runtime/link.js';
import { runChat } from '../runtime/chat-run.js';
import { waitUntil } from '../runtime/wait-until.js';
import { icmpEchoRequest, parseIp4 } from '../wire/ipv4.js';
import { IspMonitor } from './console/monitor.js';
import { renderMetrics } from './metrics.js';

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Family { type: string; help: string; samples: Sample[] }

/**
 * A strict reader of the text exposition format 0.0.4: HELP and TYPE once per family and
 * before its samples, names and labels as the grammar says, every sample in a declared
 * family, counters named *_total, histograms as _bucket{le}/_sum/_count with cumulative
 * buckets ending in +Inf = _count. Throws on anything else.
 */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line))) {
      const f = families.get(m[2]!) ?? { type: '', help: '', samples: [] };
      if (f.samples.length) throw new Error(`${m[1]} after samples of ${m[2]}`);
      if (m[1] === 'TYPE') {
        if (f.type) throw new Error(`second TYPE for ${m[2]}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type ${m[3]}`);
        f.type = m[3]!;
      } else f.help = m[3]!;
      families.set(m[2]!, f);
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/gy;
      let l: RegExpExecArray | null;
      let at = 0;
      while (at < m[2].length && (l = re.exec(m[2]))) {
        labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_x, c: string) => (c === 'n' ? '\n' : c));
        at = re.lastIndex;
      }
      if (at !== m[2].length) throw new Error(`bad labels: ${m[2]}`);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    const name = m[1]!;
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
    if (!family?.type) throw new Error(`sample ${name} before its TYPE`);
    family.samples.push({ name, labels, value });
  }
  for (const [name, f] of families) {
    if (!f.help) throw new Error(`${name} has no HELP`);
    if (f.type === 'counter') {
      assert.match(name, /_total$/, `counter ${name} ends in _total`);
      for (const s of f.samples) assert.ok(s.value >= 0, `${name} is not negative`);
    }
    if (f.type === 'histogram') {
      const buckets = f.samples.filter((s) => s.name === `${name}_bucket`);
      assert.ok(buckets.every((b) => 'le' in b.labels), 'buckets have le');
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(Number(buckets[i]!.labels.le === '+Inf' ? Infinity : buckets[i]!.labels.le) > Number(buckets[i - 1]!.labels.le), 'le ascends');
        assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
      }
      assert.equal(buckets.at(-1)!.labels.le, '+Inf');
      const count = f.samples.find((s) => s.name === `${name}_count`);
      assert.ok(f.samples.some((s) => s.name === `${name}_sum`), `${name}_sum`);
      assert.equal(buckets.at(-1)!.value, count?.value, '+Inf bucket = _count');
    }
  }
  return families;
}

function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = fams.get(name.replace(/_(bucket|sum|count)$/, '')) ?? fams.get(name);
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  if (!s) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return s.value;
}

test('metrics text escapes label values and keeps a family together', () => {
  const monitor = new IspMonitor(4);
  monitor.ended({ id: 1, origin: 'x', startedAt: 0 }, 11, { bytesIn: 5, bytesOut: 6, framesIn: 1, framesOut: 1, ipPacketsIn: 0, ipPacketsOut: 0, framesDropped: 0 },
    { tcpOpened: 0, udpOpened: 0, drops: { 'odd "reason"\\\n': 2 } }, 10);
  monitor.authenticated(120);
  const text = renderMetrics({ links: [], monitor, totals: { sessions: 1, refused: 0, reloads: 0 }, pool: { size: 2, inUse: 0 }, maxSessions: 2, unauthenticated: 0, lines: [] });
  const fams = parseExposition(text);
  assert.equal(value(fams, 'dialtone_isp_nat_drops_total', { reason: 'odd "reason"\\\n' }), 2);
  assert.equal(value(fams, 'dialtone_isp_session_setup_failures_total', { status: '11', reason: 'peer failed to authenticate' }), 1);
  assert.equal(value(fams, 'dialtone_isp_auth_duration_seconds_bucket', { le: '0.1' }), 0);
  assert.equal(value(fams, 'dialtone_isp_auth_duration_seconds_bucket', { le: '0.25' }), 1);
  assert.equal(value(fams, 'dialtone_isp_bytes_total', { direction: 'out' }), 6);
});

test('isp /metrics: valid exposition whose counters match /status, through sessions, traffic, a modem call in the getty dialog, and ends', { timeout: 60_000 }, async () => {
  const config = { ...defaultIspConfig(), listenPpp: { host: '127.0.0.1', port: 0 }, listenModem: { host: '127.0.0.1', port: 0 }, status: { host: '127.0.0.1', port: 0 }, lcpEchoInterval: 0, phone: '555-1000', modemLines: 2 };
  const isp = new IspServer({ config, secrets: staticSecrets([{ client: 'demo', server: '*', secret: 'dialtone' }]), backend: natBackendFactory(config), log: () => undefined });
  await isp.start();
  const base = `http://127.0.0.1:${isp.addresses.status!.port}`;
  const get = async () => {
    const res = await fetch(`${base}/metrics`);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };
  type St = ReturnType<IspServer['status']>;
  const status = async () => (await (await fetch(`${base}/status`)).json()) as St;

  // Two raw-PPP sessions, each pinging the gateway 20 times.
  const links = [0, 1].map(() => new PppLink(net.connect(isp.addresses.ppp!.port, '127.0.0.1'), { user: 'demo', password: 'dialtone' }));
  let replies = 0;
  for (const l of links) l.on('ip', () => replies++);
  const ups = await Promise.all(links.map((l) => new Promise<{ local: string; remote: string }>((r) => l.on('ip-up', r))));
  links.forEach((l, i) => {
    for (let s = 0; s < 20; s++) l.sendIp(icmpEchoRequest(parseIp4(ups[i]!.local)!, parseIp4(ups[i]!.remote)!, 1, s, Buffer.alloc(300)));
  });
  await waitUntil(() => replies === 40, 60_000, 'the echo replies');

  // A modem caller, in the getty dialog (it has dialled and not logged in).
  const modem = net.connect(isp.addresses.modem!.port, '127.0.0.1');
  assert.equal((await runChat("'' ATZ OK ATDT5551000 CONNECT '' login:", modem, { timeout: 30 })).code, 0);
  let st = await status();
  const line = st.modemLines!.find((l) => l.state === 'getty');
  assert.ok(line, JSON.stringify(st.modemLines));
  assert.equal(line.number, '5551000');
  assert.match(line.caller!, /^127\.0\.0\.1:\d+$/);

  let m = await get();
  st = await status();
  assert.equal(value(m, 'dialtone_isp_sessions', { phase: 'Network' }), st.sessions.length);
  assert.equal(value(m, 'dialtone_isp_session_setups_total'), 2);
  assert.equal(value(m, 'dialtone_isp_connections_total'), st.totals.sessions);
  assert.equal(value(m, 'dialtone_isp_modem_lines', { state: 'getty' }), 1);
  assert.equal(value(m, 'dialtone_isp_modem_lines', { state: 'free' }), 1);
  assert.equal(value(m, 'dialtone_isp_pool_addresses', { state: 'in_use' }), st.pool.inUse);
  // No traffic is flowing now: the counters of the two documents are the same numbers.
  const sum = (k: 'bytesIn' | 'bytesOut' | 'framesIn' | 'framesOut' | 'ipPacketsIn' | 'ipPacketsOut') => st.sessions.reduce((s, x) => s + x.counters[k], 0);
  assert.equal(value(m, 'dialtone_isp_bytes_total', { direction: 'in' }), st.totals.bytesIn + sum('bytesIn'));
  assert.equal(value(m, 'dialtone_isp_bytes_total', { direction: 'out' }), st.totals.bytesOut + sum('bytesOut'));
  assert.equal(value(m, 'dialtone_isp_frames_total', { direction: 'in' }), sum('framesIn'));
  assert.equal(value(m, 'dialtone_isp_ip_packets_total', { direction: 'in' }), 40);
  assert.equal(value(m, 'dialtone_isp_ip_packets_total', { direction: 'out' }), sum('ipPacketsOut'));
  assert.equal(value(m, 'dialtone_isp_auth_duration_seconds_count'), 2);

  // The caller hangs up in the dialog, one session ends from our side, one from its client.
  modem.destroy();
  isp.disconnect(st.sessions[0]!.id);
  links[1]!.close();
  await Promise.all(links.map((l) => l.done));
  await waitUntil(() => isp.status().sessions.length === 0 && isp.modemLines().every((l) => l.state === 'free'), 60_000, 'the sessions and the call to end');
  m = await get();
  st = await status();
  assert.equal(value(m, 'dialtone_isp_bytes_total', { direction: 'in' }), st.totals.bytesIn);
  assert.equal(value(m, 'dialtone_isp_bytes_total', { direction: 'out' }), st.totals.bytesOut);
  assert.equal(value(m, 'dialtone_isp_ip_packets_total', { direction: 'in' }), 40);
  assert.equal(value(m, 'dialtone_isp_console_disconnects_total'), 1);
  const ends = m.get('dialtone_isp_session_ends_total')!.samples;
  assert.equal(ends.reduce((s, x) => s + x.value, 0), 2);
  assert.equal(st.recent.length, 2);
  for (const r of st.recent) assert.equal(value(m, 'dialtone_isp_session_ends_total', { status: String(r.status) }) > 0, true);
  assert.ok(st.recent.some((r) => /disconnected from the console/.test(r.reason)));
  assert.equal(value(m, 'dialtone_isp_sessions', { phase: 'Network' }), 0);
  await isp.stop();
});
