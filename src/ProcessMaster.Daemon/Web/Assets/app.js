// processmaster web console. Live state comes pushed over Server-Sent Events (stream, logs);
// actions go through JSON-RPC at rpc with the CSRF token. The DOM is only ever filled with textContent.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const $ = (id) => document.getElementById(id);
const history = new Map(); // service -> [{t, cpu, memory}], for the details charts
const maxSamples = 150;
let statuses = [];
let events = [];

// ---- helpers ---------------------------------------------------------------------------------

async function rpc(method, params = {}) {
  const response = await fetch('rpc', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify({ jsonrpc: '2.0', id: Date.now(), method, params }),
  });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  const reply = await response.json();
  if (reply.error) throw new Error(reply.error.message);
  return reply.result;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function button(label, action, name, className) {
  const b = el('button', label, className);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.name = name;
  return b;
}

function uptime(seconds) {
  if (seconds === null || seconds === undefined) return '-';
  const s = Math.round(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return d ? `${d}d${pad(h)}h` : h ? `${h}h${pad(m)}m` : m ? `${m}m${pad(s % 60)}s` : `${s}s`;
}

function bytes(value) {
  if (value === null || value === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function time(value) {
  if (!value) return '-';
  const d = new Date(value);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

function lastExit(s) {
  if (s.last_run_overtime) return 'overtime';
  if (s.last_exit_signal) return s.last_exit_signal;
  if (s.last_exit_code !== null && s.last_exit_code !== undefined) return `exit ${s.last_exit_code}`;
  if (s.last_error) return 'start failed';
  return '-';
}

function showAlert(text, kind) {
  const alert = $('alert');
  alert.textContent = text;
  alert.className = `alert ${kind || ''}`;
  alert.hidden = false;
  clearTimeout(showAlert.timer);
  showAlert.timer = setTimeout(() => { alert.hidden = true; }, kind === 'error' ? 12000 : 6000);
}

function confirmAction(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.returnValue = 'no';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
  });
}

// ---- tables --------------------------------------------------------------------------------------

function stateCell(s) {
  const td = el('td');
  td.append(el('span', s.state, `pill ${s.state}`));
  if (s.waiting_for) td.append(el('span', `waiting for ${s.waiting_for}`, 'flag'));
  if (s.outdated) td.append(el('span', 'outdated', 'flag'));
  if (s.stopped_by_operator && s.state === 'STOPPED') td.append(el('span', 'stopped by operator', 'flag'));
  if (s.last_error && s.state !== 'RUNNING') td.title = s.last_error;
  return td;
}

// Health from the service's probes; what it said over sd_notify (STATUS=) as the tooltip.
function healthCell(s) {
  const td = el('td');
  if (s.health) td.append(el('span', s.health, `pill health-${s.health}`));
  else td.textContent = '-';
  if (s.notify_status) td.title = s.notify_status;
  return td;
}

// Operators' flags as chips, each with its remove button, and a button to add more. The cell carries a
// signature of what it shows, so live updates replace it only when the flags changed.
function flagsCell(s) {
  const td = el('td');
  td.dataset.sig = JSON.stringify(s.flags);
  for (const f of s.flags) {
    const chip = el('span', f.name, 'chip');
    if (f.expires_at) chip.title = `expires ${time(f.expires_at)}`;
    const remove = button('×', 'unflag', s.name);
    remove.dataset.flag = f.name;
    remove.setAttribute('aria-label', `remove flag ${f.name}`);
    chip.append(remove);
    td.append(chip);
  }
  const add = button('+', 'flag', s.name, 'chip-add');
  add.setAttribute('aria-label', `flag ${s.name}`);
  td.append(add);
  return td;
}

function nameCell(s) {
  const td = el('td');
  td.append(button(s.name, 'details', s.name, 'name'));
  return td;
}

// Live updates change rows in place: the rows and their buttons stay the same elements, so a click
// that is under way when an update arrives (every two seconds) is never lost to a re-render.
function updateRows(body, rows) {
  const existing = new Map([...body.rows].map((tr) => [tr.dataset.name, tr]));
  const kept = rows.map((tr) => {
    const old = existing.get(tr.dataset.name);
    if (!old || old.cells.length !== tr.cells.length) return tr;
    [...tr.cells].forEach((cell, i) => {
      const was = old.cells[i];
      const changed = cell.dataset.sig !== undefined
        ? cell.dataset.sig !== was.dataset.sig
        : !cell.querySelector('button') && (cell.innerHTML !== was.innerHTML || cell.className !== was.className || cell.title !== was.title);
      if (changed) {
        if (cell.dataset.sig !== undefined) was.dataset.sig = cell.dataset.sig;
        was.className = cell.className;
        was.title = cell.title;
        was.replaceChildren(...cell.childNodes);
      }
    });
    return old;
  });
  const same = kept.length === body.rows.length && kept.every((tr, i) => body.rows[i] === tr);
  if (!same) body.replaceChildren(...kept);
}

// Sorting by a clicked header, remembered in the browser.
// What the browser remembers, or the default when it holds nothing usable.
function remembered(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

let sort = remembered('pm-sort', { key: 'name', dir: 1 });
const sortValue = {
  name: (s) => s.name, state: (s) => s.state, health: (s) => s.health || '', uptime: (s) => s.uptime_seconds ?? -1,
  cpu: (s) => s.cpu_percent ?? -1, memory: (s) => s.memory_bytes ?? -1, restarts: (s) => s.restarts, enabled: (s) => (s.enabled ? 1 : 0),
};

function sorted(rows) {
  const value = sortValue[sort.key] || sortValue.name;
  return [...rows].sort((a, b) => {
    const x = value(a), y = value(b);
    const order = typeof x === 'string' ? x.localeCompare(y) : x - y;
    return sort.dir * (order || a.name.localeCompare(b.name));
  });
}

function sortBy(key) {
  sort = { key, dir: sort.key === key ? -sort.dir : 1 };
  localStorage.setItem('pm-sort', JSON.stringify(sort));
  renderServices();
}

// Columns the operator chose to hide, remembered in the browser.
let hiddenColumns = new Set(remembered('pm-hidden-columns', []));

// Marks the cells of hidden columns in a row. New rows are marked before they are compared with the
// shown ones, so a live update changes nothing that is the same.
function hideCells(tr) {
  const headers = $('services').tHead.rows[0].cells;
  [...tr.cells].forEach((td, i) => td.classList.toggle('col-hidden', hiddenColumns.has(headers[i]?.dataset.col)));
}

function applyColumns() {
  const table = $('services');
  for (const th of table.tHead.rows[0].cells) {
    th.classList.toggle('col-hidden', hiddenColumns.has(th.dataset.col));
    th.classList.toggle('sorted-asc', th.dataset.sort === sort.key && sort.dir > 0);
    th.classList.toggle('sorted-desc', th.dataset.sort === sort.key && sort.dir < 0);
  }
  for (const tr of table.tBodies[0].rows) hideCells(tr);
}

function openColumnsMenu() {
  const menu = $('columns-menu');
  if (!menu.hidden) { menu.hidden = true; return; }
  menu.replaceChildren(...[...$('services').tHead.rows[0].cells].filter((th) => th.dataset.col).map((th) => {
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = !hiddenColumns.has(th.dataset.col);
    box.dataset.col = th.dataset.col;
    box.addEventListener('change', () => {
      if (box.checked) hiddenColumns.delete(box.dataset.col); else hiddenColumns.add(box.dataset.col);
      localStorage.setItem('pm-hidden-columns', JSON.stringify([...hiddenColumns]));
      applyColumns();
    });
    label.append(box, ` ${th.dataset.col}`);
    return label;
  }));
  menu.hidden = false;
}

function renderServices() {
  const body = $('services').tBodies[0];
  const rows = sorted(statuses.filter((s) => s.kind === 'service'));
  updateRows(body, rows.map((s) => {
    const tr = el('tr');
    tr.dataset.name = s.name;
    tr.append(nameCell(s), stateCell(s), healthCell(s), el('td', s.pids.join(' ') || '-', 'pids'), el('td', uptime(s.uptime_seconds)),
      el('td', s.cpu_percent === null || s.cpu_percent === undefined ? '-' : `${s.cpu_percent.toFixed(1)}%`, 'num'),
      el('td', bytes(s.memory_bytes), 'num'), el('td', String(s.restarts), 'num'), el('td', s.enabled ? 'yes' : 'no'),
      flagsCell(s), el('td', lastExit(s)));
    const actions = el('td', null, 'actions');
    actions.append(button('Start', 'start', s.name), button('Stop', 'stop', s.name), button('Restart', 'restart', s.name), button('Logs', 'logs', s.name));
    tr.append(actions);
    hideCells(tr);
    return tr;
  }));
  applyColumns();
  $('services-empty').hidden = rows.length > 0;
  $('count-services').textContent = `(${rows.length})`;
}

function renderCron() {
  const body = $('cron').tBodies[0];
  const rows = statuses.filter((s) => s.kind === 'cron');
  updateRows(body, rows.map((s) => {
    const tr = el('tr');
    tr.dataset.name = s.name;
    tr.append(nameCell(s), el('td', s.schedule, 'pids'), stateCell(s), el('td', time(s.next_run)), el('td', time(s.last_run)),
      el('td', lastExit(s)), el('td', s.enabled ? 'yes' : 'no'));
    const actions = el('td', null, 'actions');
    actions.append(button('Run now', 'start', s.name), button('Stop', 'stop', s.name), button('Logs', 'logs', s.name));
    tr.append(actions);
    return tr;
  }));
  $('cron-empty').hidden = rows.length > 0;
  $('count-cron').textContent = `(${rows.length})`;
}

function eventItem(e) {
  const li = el('li');
  li.append(el('span', `${new Date(e.ts).toLocaleString()} `, 'time'), el('span', `[${e.component}] `, 'component'),
    document.createTextNode(`${e.app ? `app=${e.app} ` : ''}${e.message}`));
  li.dataset.search = `${e.app || ''} ${e.component} ${e.message}`.toLowerCase();
  return li;
}

function renderEvents() {
  const filter = $('event-filter').value.trim().toLowerCase();
  const items = events.slice().reverse().map(eventItem).filter((li) => !filter || li.dataset.search.includes(filter));
  $('events').replaceChildren(...items);
}

function recordSamples(generatedAt) {
  const t = new Date(generatedAt).getTime();
  for (const s of statuses) {
    const samples = history.get(s.name) || [];
    samples.push({ t, cpu: s.cpu_percent, memory: s.memory_bytes });
    if (samples.length > maxSamples) samples.shift();
    history.set(s.name, samples);
  }
  if (!$('details').open) return;
  drawCharts($('details').dataset.name);
}

// ---- live updates ------------------------------------------------------------------------------

function connect() {
  const source = new EventSource('stream');
  source.onopen = () => { $('connection').textContent = 'live'; $('connection').className = 'connection live'; };
  source.onerror = () => { $('connection').textContent = 'reconnecting…'; $('connection').className = 'connection'; };
  // The stream carries the control protocol's messages: the replies to status.follow (id 1) and
  // events.follow (id 2), then their notifications.
  source.onmessage = (message) => {
    const msg = JSON.parse(message.data);
    if (msg.id === 1 || msg.method === 'status.changed') {
      const status = msg.result || msg.params;
      statuses = status.services;
      renderServices();
      renderCron();
      recordSamples(status.generated_at);
    } else if (msg.method === 'events.event') {
      events.push(msg.params);
      if (events.length > 1000) events = events.slice(-1000);
      if (!$('tab-events').hidden) renderEvents();
    }
  };
}

// ---- actions -----------------------------------------------------------------------------------

// "all" is what pmctl means by it: start and restart the enabled services (cron jobs keep their schedule),
// stop everything that runs, cron runs included.
const bulkQuestion = {
  start: 'Start all enabled services?',
  stop: 'Stop all services (and running cron jobs)?',
  restart: 'Restart all enabled services?',
};

async function lifecycle(action, name) {
  const service = statuses.find((s) => s.name === name);
  const verb = action === 'start' && service && service.kind === 'cron' ? 'run' : action;
  const force = action !== 'stop' && service && !service.enabled;
  const question = name === 'all' ? bulkQuestion[action] : `${verb[0].toUpperCase()}${verb.slice(1)} ${name}${force ? ' (it is disabled: run it once anyway)' : ''}?`;
  if (!await confirmAction(question)) return;
  try {
    const result = await rpc(action, action === 'stop' ? { name } : { name, force: !!force });
    const lines = result.results.map((r) => `${r.name}: ${r.message}`).join('\n');
    showAlert(lines, result.ok ? 'ok' : 'error');
  } catch (error) {
    showAlert(error.message, 'error');
  }
}

async function reloadDefinitions() {
  if (!await confirmAction('Reload every service definition and apply the changes?')) return;
  try {
    const result = await rpc('update');
    const parts = [result.message];
    if (result.added.length) parts.push(`added: ${result.added.join(', ')}`);
    if (result.removed.length) parts.push(`removed: ${result.removed.join(', ')}`);
    if (result.restarted.length) parts.push(`restarted: ${result.restarted.join(', ')}`);
    if (result.stopped.length) parts.push(`stopped: ${result.stopped.join(', ')}`);
    parts.push(...result.errors.map((e) => `error: ${e}`));
    parts.push(...result.warnings.map((w) => `warning: ${w}`));
    showAlert(parts.join('\n'), result.errors.length ? 'error' : result.warnings.length ? '' : 'ok');
  } catch (error) {
    showAlert(error.message, 'error');
  }
}

// ---- logs --------------------------------------------------------------------------------------

const ansiPattern = /\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-B]|\x1b./g;

function appendAnsi(target, text) {
  // SGR colours become spans; every other escape sequence is dropped.
  let style = appendAnsi.style || (appendAnsi.style = {});
  let last = 0;
  const flush = (chunk) => {
    if (!chunk) return;
    const classes = [];
    if (style.bold) classes.push('ansi-bold');
    if (style.dim) classes.push('ansi-dim');
    if (style.italic) classes.push('ansi-italic');
    if (style.underline) classes.push('ansi-underline');
    if (style.fg !== undefined) classes.push(`ansi-fg-${style.fg}`);
    if (style.bg !== undefined) classes.push(`ansi-bg-${style.bg}`);
    target.append(classes.length ? el('span', chunk, classes.join(' ')) : document.createTextNode(chunk));
  };
  for (const match of text.matchAll(ansiPattern)) {
    flush(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[1] === undefined) continue;
    const codes = match[1] === '' ? [0] : match[1].split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) style = appendAnsi.style = {};
      else if (c === 1) style.bold = true;
      else if (c === 2) style.dim = true;
      else if (c === 3) style.italic = true;
      else if (c === 4) style.underline = true;
      else if (c === 22) { style.bold = false; style.dim = false; }
      else if (c >= 30 && c <= 37) style.fg = c - 30;
      else if (c === 39) style.fg = undefined;
      else if (c >= 40 && c <= 47) style.bg = c - 40;
      else if (c === 49) style.bg = undefined;
      else if (c >= 90 && c <= 97) style.fg = c - 90 + 8;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) i += 2;
      else if ((c === 38 || c === 48) && codes[i + 1] === 2) i += 4;
    }
  }
  flush(text.slice(last));
}

let logSource = null;

function openLogs(name) {
  const dialog = $('logs');
  dialog.dataset.name = name;
  $('logs-title').textContent = `Logs of ${name}`;
  if (!dialog.open) dialog.showModal();
  startLogs();
}

function startLogs() {
  const dialog = $('logs');
  const output = $('logs-output');
  if (logSource) logSource.close();
  logSource = null;
  output.replaceChildren();
  appendAnsi.style = {};
  const lines = Number($('logs-lines').value);
  const keep = Math.max(1000, lines * 4);
  const atBottom = () => output.scrollHeight - output.scrollTop - output.clientHeight < 40;
  const add = (nodeText, className) => {
    const stick = atBottom();
    const line = el('div', null, className);
    appendAnsi(line, nodeText);
    output.append(line);
    while (output.childElementCount > keep) output.firstElementChild.remove();
    if (stick) output.scrollTop = output.scrollHeight;
  };
  // Like tail -f on several files: a header whenever the file changes.
  let lastPath = null;
  const header = (path) => { if (path !== lastPath) { add(`==> ${path} <==`, 'file'); lastPath = path; } };
  const source = new EventSource(`logs?name=${encodeURIComponent(dialog.dataset.name)}&n=${lines}`);
  logSource = source;
  // The reply to logs.follow (the last lines of each file), then logs.line and logs.rotated notifications.
  source.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.error) {
      add(msg.error.message, 'file');
      source.close();
      logSource = null;
    } else if (msg.result) {
      // A second reply means the stream reconnected (the daemon re-executed, say): show the tail afresh.
      if (output.childElementCount > 0) { output.replaceChildren(); lastPath = null; }
      for (const tail of msg.result.files) {
        header(tail.path);
        tail.lines.forEach((l) => add(l));
      }
      output.scrollTop = output.scrollHeight;
      if (!$('logs-follow').checked) source.close();
    } else if (msg.method === 'logs.line' && $('logs-follow').checked) {
      header(msg.params.path);
      add(msg.params.line);
    } else if (msg.method === 'logs.rotated') {
      add(`==> ${msg.params.path} was rotated <==`, 'file');
    }
  };
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) logSource = null; };
}

function closeLogs() {
  if (logSource) logSource.close();
  logSource = null;
  $('logs').close();
}

// ---- flags ---------------------------------------------------------------------------------------

// "2h", "30m", "1h30m", "90s", "1d": seconds, or null when empty; NaN when it is not a duration.
function parseDuration(text) {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  const units = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let seconds = 0;
  const rest = t.replace(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g, (_, n, u) => { seconds += Number(n) * units[u]; return ''; });
  return rest === '' && seconds > 0 ? seconds : NaN;
}

async function addFlag(name) {
  const dialog = $('flag-dialog');
  $('flag-service').textContent = name;
  $('flag-names').value = '';
  $('flag-ttl').value = '';
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'yes') return;
  const flags = $('flag-names').value.split(',').map((f) => f.trim()).filter((f) => f);
  const ttl = parseDuration($('flag-ttl').value);
  if (Number.isNaN(ttl)) { showAlert(`"${$('flag-ttl').value}" is not a duration (e.g. 30m, 2h, 1d)`, 'error'); return; }
  try {
    showAlert((await rpc('flag', ttl === null ? { name, flags } : { name, flags, ttl_seconds: ttl })).message, 'ok');
  } catch (error) {
    showAlert(error.message, 'error');
  }
}

async function removeFlag(name, flag) {
  try {
    showAlert((await rpc('unflag', { name, flags: [flag] })).message, 'ok');
  } catch (error) {
    showAlert(error.message, 'error');
  }
}

// ---- details and charts --------------------------------------------------------------------------

function drawChart(canvas, samples, value, format, fixedMax) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 24;
  const style = getComputedStyle(document.documentElement);
  ctx.clearRect(0, 0, w, h);
  const values = samples.map(value).filter((v) => v !== null && v !== undefined);
  const max = Math.max(fixedMax || 0, ...values, 1);
  ctx.strokeStyle = style.getPropertyValue('--line');
  ctx.fillStyle = style.getPropertyValue('--muted');
  ctx.font = '11px system-ui';
  ctx.beginPath(); ctx.moveTo(pad, h - pad); ctx.lineTo(w - 4, h - pad); ctx.stroke();
  ctx.fillText(format(max), 4, 12);
  ctx.fillText(values.length ? `now ${format(values[values.length - 1])}` : 'no samples yet', w / 2 - 30, 12);
  if (samples.length < 2) return;
  const t0 = samples[0].t, t1 = samples[samples.length - 1].t || t0 + 1;
  ctx.strokeStyle = style.getPropertyValue('--accent');
  ctx.lineWidth = 2;
  ctx.beginPath();
  let started = false;
  for (const s of samples) {
    const v = value(s);
    if (v === null || v === undefined) continue;
    const x = pad + (w - pad - 4) * (s.t - t0) / Math.max(1, t1 - t0);
    const y = h - pad - (h - pad - 16) * v / max;
    if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
  }
  ctx.stroke();
}

function drawCharts(name) {
  const samples = history.get(name) || [];
  const service = statuses.find((s) => s.name === name);
  drawChart($('chart-cpu'), samples, (s) => s.cpu, (v) => `${v.toFixed(1)}%`);
  drawChart($('chart-memory'), samples, (s) => s.memory, bytes, service && service.memory_limit_bytes);
}

// The same tree as pmctl ps: a process whose parent is outside the cgroup is a root.
function processTree(service) {
  if (service.processes.length === 0) return '(no processes)';
  const pids = new Set(service.processes.map((p) => p.pid));
  const children = new Map();
  for (const p of service.processes) {
    if (pids.has(p.ppid) && p.ppid !== p.pid) children.set(p.ppid, [...(children.get(p.ppid) || []), p]);
  }
  const rows = [['PID', 'USER', 'CPU', 'RSS', 'UPTIME', 'COMMAND']];
  const now = Date.now();
  const add = (p, indent, branch) => {
    rows.push([String(p.pid), p.user, `${p.cpu_seconds.toFixed(1)}s`, bytes(p.rss_bytes),
      uptime(Math.max(0, now - Date.parse(p.started_at)) / 1000), indent + branch + p.command]);
    const kids = (children.get(p.pid) || []).sort((a, b) => a.pid - b.pid);
    const deeper = branch === '' ? indent : indent + (branch === '└─ ' ? '   ' : '│  ');
    kids.forEach((k, i) => add(k, deeper, i === kids.length - 1 ? '└─ ' : '├─ '));
  };
  service.processes.filter((p) => !pids.has(p.ppid) || p.ppid === p.pid).sort((a, b) => a.pid - b.pid).forEach((p) => add(p, '', ''));
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => [r[0].padStart(widths[0]), ...[1, 2, 3, 4].map((c) => (c === 2 || c === 3 ? r[c].padStart(widths[c]) : r[c].padEnd(widths[c]))), r[5]].join('  ')).join('\n');
}

async function openDetails(name) {
  const dialog = $('details');
  dialog.dataset.name = name;
  $('details-title').textContent = name;
  $('details-metrics').textContent = 'loading…';
  $('details-processes').textContent = 'loading…';
  if (!dialog.open) dialog.showModal();
  rpc('processes', { name })
    .then((r) => { $('details-processes').textContent = processTree(r.services[0]); })
    .catch((error) => { $('details-processes').textContent = error.message; });
  drawCharts(name);
  try {
    const m = await rpc('perf_metrics', { name });
    const service = statuses.find((s) => s.name === name) || {};
    const lines = [
      `cgroup        ${m.cgroup}`,
      `working dir   ${service.working_directory || '-'}`,
      `definition    ${service.source_file || '(built-in defaults)'}`,
      `pids          ${m.pids.join(' ') || '-'}`,
      `memory        ${bytes(m.memory_current)} of ${m.memory_max === null ? 'unlimited' : bytes(m.memory_max)}`,
      `swap          ${bytes(m.swap_current)} of ${m.swap_max === null ? 'unlimited' : bytes(m.swap_max)}`,
      `cpu.max       ${m.cpu_max}`,
      ...Object.entries(m.cpu_stat).map(([k, v]) => `cpu.stat      ${k} ${v}`),
      ...(m.cpu_throttling ? [`cpu throttled ${m.cpu_throttling.throttled} of ${m.cpu_throttling.periods} periods, ${m.cpu_throttling.throttled_seconds.toFixed(3)} s held back`] : []),
      `io.weight     ${m.io_weight ?? '100 (default)'}`,
      ...(m.io_max || []).map((line) => `io.max        ${line}`),
      ...(m.io ? [`io            read ${bytes(m.io.read_bytes)} (${m.io.read_ops} ops), written ${bytes(m.io.write_bytes)} (${m.io.write_ops} ops)`,
        ...m.io.devices.map((d) => `  ${d.name} (${d.device})`.padEnd(14) + `read ${bytes(d.read_bytes)}, written ${bytes(d.write_bytes)}`)] : []),
    ];
    if (m.memory_pressure && m.memory_pressure.some) lines.push(`memory psi    avg10 ${m.memory_pressure.some.avg10}`);
    if (m.cpu_pressure && m.cpu_pressure.some) lines.push(`cpu psi       avg10 ${m.cpu_pressure.some.avg10}`);
    if (service.last_error) lines.push(`last error    ${service.last_error}`);
    if (service.kind === 'cron') {
      const c = await rpc('schedule', { name });
      const full = (t) => (t ? new Date(t).toLocaleString() : '-');
      lines.push('', `schedule      ${c.expression} (${c.time_zone})`, `not before    ${full(c.not_before)}`, `not after     ${full(c.not_after)}`,
        `max per run   ${c.max_time_per_run_seconds === null ? 'unlimited' : uptime(c.max_time_per_run_seconds)}`,
        ...(c.next_runs.length ? c.next_runs.map((t, i) => (i === 0 ? 'next runs' : '').padEnd(14) + full(t)) : ['next runs     none (past not_after)']));
    }
    $('details-metrics').textContent = lines.join('\n');
  } catch (error) {
    $('details-metrics').textContent = error.message;
  }
}

// ---- admin actions -----------------------------------------------------------------------------

async function refreshAdmin() {
  try {
    const [list, ps] = await Promise.all([rpc('admin.list'), rpc('admin.ps')]);
    $('admin-actions').replaceChildren(...list.actions.map((a) => {
      const li = el('li');
      const label = el('span', a.label);
      label.append(el('span', ` (${a.id})`, 'id'));
      li.append(label, button('Run', 'admin-run', a.id));
      return li;
    }));
    if (!list.actions.length) $('admin-actions').replaceChildren(el('li', 'No admin actions are configured.'));
    $('admin-pids').textContent = ps.pids.join(' ') || 'none';
  } catch (error) {
    showAlert(error.message, 'error');
  }
}

async function runAdmin(id) {
  if (!await confirmAction(`Run the admin action ${id}?`)) return;
  try {
    showAlert((await rpc('admin.run', { id })).message, 'ok');
  } catch (error) {
    showAlert(error.message, 'error');
  }
  refreshAdmin();
}

async function killAdmin() {
  if (!await confirmAction('Kill every running admin action?')) return;
  try {
    showAlert((await rpc('admin.kill')).message, 'ok');
  } catch (error) {
    showAlert(error.message, 'error');
  }
  refreshAdmin();
}

// ---- wiring ------------------------------------------------------------------------------------

function applyTheme() {
  const saved = localStorage.getItem('pm-theme');
  const dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

function selectTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const tab of ['services', 'cron', 'events']) $(`tab-${tab}`).hidden = tab !== name;
  if (name === 'events') renderEvents();
}

document.addEventListener('click', (e) => {
  const target = e.target.closest('button[data-action]');
  if (!target) return;
  const { action, name } = target.dataset;
  if (action === 'logs') openLogs(name);
  else if (action === 'details') openDetails(name);
  else if (action === 'admin-run') runAdmin(name);
  else if (action === 'flag') addFlag(name);
  else if (action === 'unflag') removeFlag(name, target.dataset.flag);
  else lifecycle(action, name);
});

document.addEventListener('DOMContentLoaded', async () => {
  applyTheme();
  $('theme').addEventListener('click', () => {
    localStorage.setItem('pm-theme', document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark');
    applyTheme();
  });
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  $('reload').addEventListener('click', reloadDefinitions);
  $('admin').addEventListener('click', () => { $('admin-dialog').showModal(); refreshAdmin(); });
  $('admin-close').addEventListener('click', () => $('admin-dialog').close());
  $('admin-refresh').addEventListener('click', refreshAdmin);
  $('admin-kill').addEventListener('click', killAdmin);
  $('logs-close').addEventListener('click', closeLogs);
  $('logs').addEventListener('cancel', closeLogs);
  $('logs-lines').addEventListener('change', startLogs);
  $('logs-follow').addEventListener('change', () => { if ($('logs-follow').checked) startLogs(); });
  $('details-close').addEventListener('click', () => $('details').close());
  $('event-filter').addEventListener('input', renderEvents);
  for (const th of document.querySelectorAll('#services th[data-sort]')) th.addEventListener('click', () => sortBy(th.dataset.sort));
  $('columns-button').addEventListener('click', openColumnsMenu);
  try {
    events = (await rpc('events', { n: 500 })).events;
  } catch (error) {
    showAlert(error.message, 'error');
  }
  connect();
});
