// The dialtone isp web console: no framework, no build step. Reads /events (Server-Sent
// Events: a `history` event on connect, then a `tick` each second with the status document
// and the latest throughput point), draws the tables and the graph, and posts disconnects.
'use strict';

const MAX_POINTS = 300;
const COLORS = ['#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#ff7f0e'];
const state = { status: null, points: [], sort: { key: 'id', dir: 1 } };
const $ = (sel) => document.querySelector(sel);

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
const rate = (n) => `${bytes(Math.round(n))}/s`;
function duration(ms) {
  if (!(ms >= 0)) return '';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x) => String(x).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
const speed = (bps) => (bps ? `${bps} bit/s` : '');
const origin = (s) => (s.line ? `line ${s.line}${s.number ? ` (dialled ${s.number})` : ''}` : s.origin);
const time = (ms) => new Date(ms).toLocaleTimeString();

function rows(status) {
  return status.sessions.map((s) => ({
    id: s.id, user: s.user ?? '', address: s.address ?? '', origin: origin(s), speed: s.speed ?? 0,
    uptime: s.upAt ? status.time - s.upAt : 0, bytesIn: s.counters.bytesIn, bytesOut: s.counters.bytesOut,
    rateIn: s.rateIn ?? 0, rateOut: s.rateOut ?? 0,
  }));
}

function renderSessions() {
  const st = state.status;
  const list = rows(st);
  const { key, dir } = state.sort;
  list.sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : a.id - b.id));
  const body = $('#sessions tbody');
  body.replaceChildren(...list.map((r) => el('tr', { 'data-id': r.id },
    el('td', null, r.id), el('td', { class: 'user' }, r.user), el('td', { class: 'address' }, r.address), el('td', null, r.origin),
    el('td', { class: 'num' }, speed(r.speed)), el('td', { class: 'num' }, duration(r.uptime)),
    el('td', { class: 'num bytes-in' }, bytes(r.bytesIn)), el('td', { class: 'num bytes-out' }, bytes(r.bytesOut)),
    el('td', { class: 'num rate-in', 'data-value': r.rateIn }, rate(r.rateIn)),
    el('td', { class: 'num rate-out', 'data-value': r.rateOut }, rate(r.rateOut)),
    el('td', null, el('button', { class: 'disconnect', 'data-id': r.id, type: 'button' }, 'Disconnect')),
  )));
  $('#no-sessions').hidden = list.length > 0;
  $('#online-count').textContent = `(${list.length})`;
  for (const th of document.querySelectorAll('#sessions th[data-key]')) {
    th.classList.toggle('sorted-asc', th.dataset.key === key && dir > 0);
    th.classList.toggle('sorted-desc', th.dataset.key === key && dir < 0);
  }
}

function renderLines() {
  const lines = state.status.modemLines;
  $('#no-lines').hidden = !!lines;
  $('#lines').hidden = !lines;
  if (!lines) return;
  $('#lines tbody').replaceChildren(...lines.map((l) => el('tr', { 'data-line': l.line },
    el('td', null, l.line), el('td', { class: `state state-${l.state}` }, l.state === 'getty' ? 'getty dialog' : l.state),
    el('td', null, l.caller ?? ''), el('td', null, l.number ?? ''), el('td', { class: 'num' }, speed(l.speed)), el('td', null, l.session ?? ''))));
}

function renderTotals() {
  const st = state.status;
  const t = st.totals;
  const items = [
    ['Pool in use', `${st.pool.inUse} of ${st.pool.size}`], ['Authenticated sessions', `${st.authenticated} (max ${st.maxSessions})`],
    ['Connections now', st.connections], ['Not yet authenticated', st.admission?.unauthenticated ?? 0],
    ['Sessions since start', t.sessions], ['Refused', t.refused],
    ['Bytes in (ended sessions)', bytes(t.bytesIn)], ['Bytes out (ended sessions)', bytes(t.bytesOut)], ['Reloads', t.reloads],
  ];
  $('#totals tbody').replaceChildren(...items.map(([k, v]) => el('tr', null, el('th', null, k), el('td', { class: 'num' }, v))));
  const last = state.points[state.points.length - 1];
  $('#summary').textContent = `${st.sessions.length} online, pool ${st.pool.inUse}/${st.pool.size}` + (last ? `, ${rate(last.total.in)} in, ${rate(last.total.out)} out` : '');
}

function renderRecent() {
  $('#recent tbody').replaceChildren(...state.status.recent.map((r) => el('tr', { 'data-id': r.id, 'data-status': r.status },
    el('td', null, r.id), el('td', null, r.user ?? ''), el('td', null, r.address ?? ''), el('td', null, r.origin), el('td', null, time(r.endedAt)),
    el('td', { class: 'num' }, duration(r.upAt ? r.endedAt - r.upAt : 0)), el('td', { class: 'num' }, bytes(r.bytesIn)), el('td', { class: 'num' }, bytes(r.bytesOut)),
    el('td', { class: 'reason' }, `${r.reason} (${r.status})`))));
}

function renderLog() {
  const pre = $('#log');
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = state.status.log.map((l) => `${time(l.time)}  ${l.message}`).join('\n');
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

/** kppp's Graph: total in/out thick, each session's in+out thin, over the points we hold. */
function renderGraph() {
  const canvas = $('#graph');
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  const pad = { l: 70, r: 10, t: 10, b: 20 };
  ctx.clearRect(0, 0, W, H);
  const pts = state.points;
  const series = [
    { name: 'total in', color: '#1f77b4', width: 2.5, v: (p) => p.total.in },
    { name: 'total out', color: '#d62728', width: 2.5, dash: [6, 4], v: (p) => p.total.out },
  ];
  const ids = [...new Set(pts.flatMap((p) => Object.keys(p.sessions)))].sort((a, b) => a - b);
  // One line per session that moved bytes in the window (in + out), thin, under the totals;
  // a point leaves out the sessions idle in its interval (rate 0).
  ids.forEach((id, i) => series.push({ name: `#${id}`, color: COLORS[i % COLORS.length], width: 1, v: (p) => (p.sessions[id] ? p.sessions[id].in + p.sessions[id].out : 0) }));
  let max = 1024;
  for (const p of pts) for (const s of series) max = Math.max(max, s.v(p) ?? 0);
  max *= 1.1;
  ctx.strokeStyle = '#d8dde6';
  ctx.fillStyle = '#6b7280';
  ctx.font = '11px sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.t + ((H - pad.t - pad.b) * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(W - pad.r, y); ctx.stroke();
    ctx.fillText(rate((max * (4 - i)) / 4), 2, y + 4);
  }
  const t1 = pts.length ? pts[pts.length - 1].t : 0;
  // The window grows from one minute to the whole history, then scrolls (kppp's Graph).
  const span = Math.min(MAX_POINTS * 1000, Math.max(60_000, pts.length ? t1 - pts[0].t : 0));
  const x = (t) => pad.l + (W - pad.l - pad.r) * (1 - (t1 - t) / span);
  const y = (v) => H - pad.b - ((H - pad.t - pad.b) * v) / max;
  ctx.fillText(span >= 120_000 ? `-${Math.round(span / 60000)} min` : `-${Math.round(span / 1000)} s`, pad.l, H - 5);
  ctx.fillText('now', W - pad.r - 22, H - 5);
  for (const s of [...series].reverse()) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width;
    ctx.setLineDash(s.dash ?? []);
    ctx.beginPath();
    let pen = false;
    for (const p of pts) {
      const v = s.v(p);
      if (v == null) { pen = false; continue; }
      if (pen) ctx.lineTo(x(p.t), y(v)); else ctx.moveTo(x(p.t), y(v));
      pen = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  canvas.dataset.points = String(pts.length);
  canvas.dataset.series = series.map((s) => s.name).join(',');
  canvas.dataset.max = String(Math.round(max));
  $('#legend').replaceChildren(...series.map((s) => el('span', null, el('i'), s.name)));
  [...$('#legend').children].forEach((span, i) => { span.firstChild.style.background = series[i].color; });
}

function render() {
  if (!state.status) return;
  renderSessions();
  renderLines();
  renderTotals();
  renderRecent();
  renderLog();
  renderGraph();
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => { $('#conn').textContent = 'live'; $('#conn').className = 'conn on'; });
  es.addEventListener('error', () => { $('#conn').textContent = 'reconnecting...'; $('#conn').className = 'conn off'; });
  es.addEventListener('history', (e) => {
    const d = JSON.parse(e.data);
    state.points = d.points.slice(-MAX_POINTS);
    state.status = d.status;
    render();
  });
  es.addEventListener('tick', (e) => {
    const d = JSON.parse(e.data);
    state.points.push(d.point);
    if (state.points.length > MAX_POINTS) state.points.splice(0, state.points.length - MAX_POINTS);
    state.status = d.status;
    render();
  });
}

async function disconnect(id) {
  const headers = {};
  const token = sessionStorage.getItem('dialtone-console-token');
  if (token) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`/sessions/${id}/disconnect`, { method: 'POST', headers });
  const body = await res.json().catch(() => ({}));
  $('#action-msg').textContent = res.ok ? `Disconnecting session ${id}...` : `Session ${id}: ${body.error ?? res.statusText}`;
  if (res.status === 401) $('#token-form').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
  for (const th of document.querySelectorAll('#sessions th[data-key]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.key;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      render();
    });
  }
  $('#sessions tbody').addEventListener('click', (e) => {
    const b = e.target.closest('button.disconnect');
    if (b) void disconnect(Number(b.dataset.id));
  });
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem('dialtone-console-token', $('#token').value);
    $('#token-form').hidden = true;
    $('#action-msg').textContent = 'Token set; try again.';
  });
  connect();
});
