// The desk page: every number on it comes from the documented API. REST calls carry the key in the
// Authorization header; the stream, which a browser cannot give headers, takes it as ?apiKey=. The key never
// sits in the page's URL: it comes from the form or the #apiKey= fragment, which the browser never sends.
//
//   /v1/stream ─quote frames─► corridor rows (rate, mid, spread parts, tradeable) + the mid chart
//   /v1/desk/live (1 s) ─────► routes with tick ages, partner health, config version, why not tradeable
//   /v1/desk/changes?status=pending (1 s), /v1/desk/audit (3 s) ─► pending changes, audit
const WINDOW_MS = 5 * 60_000;
const $ = (sel) => document.querySelector(sel);
const state = { key: '', socket: undefined, timers: [], corridors: [], rows: new Map(), mids: new Map(), chart: undefined, pendingIds: '' };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ''));
  return e;
}

function say(text, error = false) {
  const m = $('#message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${state.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw Object.assign(new Error(json?.detail ?? `${res.status}`), { code: json?.code ?? String(res.status) });
  return json;
}

/** Runs an action the desk asked for, and says how it went. */
async function act(what, fn) {
  try {
    const out = await fn();
    say(`${what}: ${out?.status ?? 'done'}${out?.configVersion ? ` (config ${out.configVersion})` : ''}`);
    await refresh();
  } catch (err) {
    say(`${what} refused: ${err.code} — ${err.message}`, true);
  }
}

// ---- corridors ----------------------------------------------------------------------------------------

function corridorRow(id) {
  const cells = Object.fromEntries(['rate', 'mid', 'tier', 'closed', 'vol', 'skew', 'total', 'tradeable', 'route', 'config', 'action'].map((k) => [k, el('td', { class: k })]));
  for (const k of ['rate', 'mid', 'tier', 'closed', 'vol', 'skew', 'total']) cells[k].classList.add('num');
  const tr = el('tr', { 'data-testid': 'corridor-row', 'data-corridor': id }, el('th', {}, id), Object.values(cells));
  $('#corridors tbody').append(tr);
  return { tr, cells };
}

function onQuote(q) {
  const row = state.rows.get(q.corridor);
  if (!row) return;
  const c = row.cells;
  c.rate.textContent = q.rate ?? '—';
  c.mid.textContent = q.mid ?? '—';
  c.tier.textContent = q.spread?.tierBps ?? '';
  c.closed.textContent = q.spread?.marketClosedBps ?? '';
  c.vol.textContent = q.spread?.volatilityBps ?? '';
  c.skew.textContent = q.spread?.skewBps ?? '';
  c.total.textContent = q.spreadBps ?? '';
  c.config.textContent = q.configVersion;
  setTradeable(row, q.tradeable, q.reason);
  if (q.mid) addMid(q.corridor, q.ts / 1000, q.mid);
}

function setTradeable(row, tradeable, reason, detail) {
  row.cells.tradeable.replaceChildren(tradeable ? el('span', { class: 'ok' }, 'yes') : el('span', { class: 'bad', title: detail ?? '' }, `no: ${reason ?? '?'}`));
  row.tr.classList.toggle('down', !tradeable);
}

function onLive(live) {
  $('#config-version').textContent = live.configVersion;
  for (const c of live.corridors) {
    const row = state.rows.get(c.id);
    if (!row) continue;
    row.tr.classList.toggle('halted', c.halted);
    if (!c.tradeable) setTradeable(row, false, c.reason, c.reasonDetail);
    row.cells.route.replaceChildren(el('span', { class: 'legs' }, c.route.map((l) => `${l.partner} ${l.pair} ${l.ageMs} ms`).join(' → ') || '—'));
    row.cells.action.replaceChildren(c.halted
      ? el('span', { class: 'bad' }, 'halted')
      : el('button', { class: 'halt', 'data-testid': 'halt', onclick: () => act(`halt ${c.id}`, () => api('POST', '/v1/desk/changes', { patch: { corridors: { [c.id]: { halted: true } } }, reason: 'halted from the desk page' })) }, 'halt'));
  }
  $('#partners tbody').replaceChildren(...live.partners.map((p) => {
    const stale = p.pairs.filter((x) => x.stale).map((x) => x.pair);
    const held = p.pairs.filter((x) => x.heldOut).map((x) => x.pair);
    const oldest = Math.max(-1, ...p.pairs.map((x) => x.ageMs ?? -1));
    return el('tr', { 'data-testid': 'partner-row', 'data-partner': p.id },
      el('th', {}, p.id), el('td', {}, p.enabled ? 'yes' : el('span', { class: 'bad' }, 'disabled')), el('td', {}, p.feed ?? '—'),
      el('td', { class: 'num ticks' }, String(p.ticksPerSecond)), el('td', { class: 'num' }, `${p.heldOut}${held.length ? ` (${held.join(', ')})` : ''}`),
      el('td', {}, stale.length ? el('span', { class: 'bad' }, stale.join(', ')) : 'none'), el('td', { class: 'num age' }, oldest < 0 ? '—' : `${oldest} ms`));
  }));
}

// ---- the mid chart: uPlot, one line per corridor, as bps moves so every corridor shares one axis ----------

function addMid(corridor, atMs, mid) {
  const points = state.mids.get(corridor);
  if (!points) return;
  points.push([atMs, Number(mid)]); // a chart needs numbers: display only, never arithmetic on money
  while (points.length && points[0][0] < atMs - WINDOW_MS) points.shift();
}

function drawChart() {
  const ids = state.corridors;
  const times = [...new Set(ids.flatMap((id) => state.mids.get(id).map((p) => Math.round(p[0] / 1000))))].sort((a, b) => a - b);
  const series = ids.map((id) => {
    const points = state.mids.get(id);
    const base = points[0]?.[1];
    const bySecond = new Map(points.map((p) => [Math.round(p[0] / 1000), ((p[1] / base) - 1) * 10_000]));
    let last = null;
    return times.map((t) => (bySecond.has(t) ? (last = bySecond.get(t)) : last));
  });
  const data = [times, ...series];
  if (!state.chart) {
    const colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
    state.chart = new uPlot({
      width: Math.max(600, $('#chart').clientWidth - 10), height: 260,
      series: [{}, ...ids.map((id, i) => ({ label: id, stroke: colours[i % colours.length], width: 1.5, spanGaps: true }))],
      axes: [{}, { label: 'bps', size: 60 }],
    }, data, $('#chart'));
  } else state.chart.setData(data);
}

// ---- changes, proposals, audit ------------------------------------------------------------------------

function onPending({ changes }) {
  const ids = changes.map((c) => c.id).join();
  if (ids === state.pendingIds) return;
  state.pendingIds = ids;
  $('#pending tbody').replaceChildren(...(changes.length ? changes.map((c) => el('tr', { 'data-testid': 'pending-row', 'data-change': c.id },
    el('td', {}, el('code', {}, c.id)), el('td', {}, c.proposedBy), el('td', {}, c.reason), el('td', {}, el('pre', {}, JSON.stringify(c.patch, null, 1))),
    el('td', {},
      el('button', { 'data-testid': 'approve', onclick: () => act(`approve ${c.id}`, () => api('POST', `/v1/desk/changes/${c.id}/approve`)) }, 'approve'), ' ',
      el('button', { 'data-testid': 'reject', onclick: () => act(`reject ${c.id}`, () => api('POST', `/v1/desk/changes/${c.id}/reject`)) }, 'reject'))))
    : [el('tr', {}, el('td', { colspan: 5 }, 'none'))]));
}

function onAudit({ entries }) {
  $('#audit').replaceChildren(...entries.slice(0, 30).map((e) => el('li', {},
    `${e.at.slice(11, 19)} ${e.action} by ${e.by}${e.changeId ? ` ${e.changeId}` : ''}${e.configVersion ? ` → ${e.configVersion}` : ''}`)));
}

async function fillProposal() {
  const form = $('#propose');
  const { config } = await api('GET', '/v1/desk/config');
  const c = config.corridors[form.corridor.value];
  if (!c) return;
  form.tiers.value = c.tiers.map((t) => (t.upTo === undefined ? t.spreadBps : `${t.upTo} ${t.spreadBps}`)).join('\n');
  form.skewBps.value = c.skewBps;
  form.quoteTtlMs.value = String(c.quoteTtlMs);
}

function proposal(form) {
  const tiers = form.tiers.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [a, b] = l.split(/\s+/);
    return b === undefined ? { spreadBps: a } : { upTo: a, spreadBps: b };
  });
  const ttl = form.quoteTtlMs.value.trim();
  // Strings stay strings (the API refuses a number for bps); the TTL is a count of ms, a number.
  const corridor = { tiers, skewBps: form.skewBps.value.trim(), quoteTtlMs: /^\d+$/.test(ttl) ? Number(ttl) : ttl };
  return { patch: { corridors: { [form.corridor.value]: corridor } }, reason: form.reason.value };
}

// ---- connecting ---------------------------------------------------------------------------------------

async function refresh() {
  const [live, pending] = await Promise.all([api('GET', '/v1/desk/live'), api('GET', '/v1/desk/changes?status=pending')]);
  onLive(live);
  onPending(pending);
}

function openStream() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream?apiKey=${encodeURIComponent(state.key)}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.onopen = () => {
    $('#status').textContent = 'live';
    socket.send(JSON.stringify({ op: 'subscribe', corridors: state.corridors }));
  };
  socket.onmessage = (m) => {
    const frame = JSON.parse(m.data);
    if (frame.type === 'quote') onQuote(frame);
  };
  socket.onclose = () => {
    if (state.socket !== socket) return;
    $('#status').textContent = 'reconnecting';
    setTimeout(() => state.socket === socket && openStream(), 1_000);
  };
}

async function connect(key) {
  for (const t of state.timers) clearInterval(t);
  const old = state.socket;
  state.socket = undefined;
  old?.close();
  state.key = key;
  try {
    const [{ corridors }, live] = await Promise.all([api('GET', '/v1/corridors'), api('GET', '/v1/desk/live')]);
    state.corridors = corridors.map((c) => c.id);
    $('#corridors tbody').replaceChildren();
    state.rows = new Map(state.corridors.map((id) => [id, corridorRow(id)]));
    state.mids = new Map(state.corridors.map((id) => [id, []]));
    for (const c of corridors) {
      const row = state.rows.get(c.id);
      row.cells.rate.textContent = c.rate ?? '—';
      row.cells.mid.textContent = c.mid ?? '—';
      setTradeable(row, c.tradeable, c.reason, c.reasonDetail);
    }
    state.chart?.destroy();
    state.chart = undefined;
    $('#propose').corridor.replaceChildren(...state.corridors.map((id) => el('option', { value: id }, id)));
    onLive(live);
    await Promise.all([fillProposal(), refresh(), api('GET', '/v1/desk/audit').then(onAudit)]);
    $('#who').textContent = 'connected';
    say('');
    openStream();
    state.timers = [
      setInterval(() => refresh().catch((err) => say(`refresh failed: ${err.code}`, true)), 1_000),
      setInterval(() => api('GET', '/v1/desk/audit').then(onAudit, () => {}), 3_000),
      setInterval(drawChart, 1_000),
    ];
  } catch (err) {
    $('#status').textContent = 'not connected';
    say(`cannot connect: ${err.code} — ${err.message}`, true);
  }
}

$('#key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void connect($('#api-key').value.trim());
});
$('#propose').addEventListener('submit', (e) => {
  e.preventDefault();
  const body = proposal(e.target);
  void act(`propose ${e.target.corridor.value}`, () => api('POST', '/v1/desk/changes', body));
});
$('#propose').corridor.addEventListener('change', () => void fillProposal().catch(() => {}));

const fromFragment = new URLSearchParams(location.hash.slice(1)).get('apiKey');
if (fromFragment) {
  $('#api-key').value = fromFragment;
  history.replaceState(null, '', location.pathname); // out of the address bar and the history
  void connect(fromFragment);
}
