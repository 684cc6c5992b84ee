import { h, s, table } from '../dom.js';
import { api, seg, isAdmin } from '../api.js';

const JOBS = 50, PER_JOB = 50, MINUTES = 60;

/**
 * The overview: runs and failures per minute over the last hour, and fire lateness (first attempt's start minus the
 * scheduled instant, for scheduled fires), from the latest executions of the caller's jobs — the same the REST API
 * shows them, so a user sees their own and an admin everyone's. Admins also get /api/stats's counts by state.
 */
export async function overviewPage(main) {
  main.append(h('h1', {}, 'Overview'));
  const now = Date.now();
  const from = new Date(now - MINUTES * 60000).toISOString();
  const jobs = (await api('GET', `/jobs?limit=${JOBS}`)).items;
  const lists = await Promise.all(jobs.map(j => api('GET', `/jobs/${seg(j.id)}/executions?limit=${PER_JOB}&from=${encodeURIComponent(from)}`)
    .then(p => p.items).catch(() => [])));
  const executions = lists.flat();
  const runs = new Array(MINUTES).fill(0), fails = new Array(MINUTES).fill(0);
  const lateness = [];
  for (const e of executions) {
    const started = e.attempts[0]?.startedAt;
    const at = new Date(e.finishedAt ?? started ?? e.createdAt).getTime();
    const minute = MINUTES - 1 - Math.floor((now - at) / 60000);
    if (minute >= 0 && minute < MINUTES) {
      runs[minute]++;
      if (e.state === 'failed') fails[minute]++;
    }
    if (started && e.trigger === 'schedule') lateness.push(new Date(started) - new Date(e.scheduledAt));
  }
  lateness.sort((a, b) => a - b);
  const pct = p => lateness.length ? `${lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))]} ms` : '—';
  const total = runs.reduce((a, b) => a + b, 0), failed = fails.reduce((a, b) => a + b, 0);
  const running = executions.filter(e => e.state === 'running' || e.state === 'retrying').length;
  main.append(h('div', { class: 'cards' },
    card('Runs, last hour', total, 'overview-runs'),
    card('Runs per minute (last 10 min)', (runs.slice(-10).reduce((a, b) => a + b, 0) / 10).toFixed(1), 'overview-rate'),
    card('Failures, last hour', failed, 'overview-failures'),
    card('Running now', running, 'overview-running'),
    card('Lateness p50', pct(0.5), 'overview-p50'),
    card('Lateness p95', pct(0.95), 'overview-p95')),
  h('h2', {}, 'Runs and failures per minute'),
  chart(runs, fails),
  h('p', { class: 'muted' }, `From the latest ${PER_JOB} executions of each of ${jobs.length} job${jobs.length === 1 ? '' : 's'} in the last ${MINUTES} minutes.`));

  if (isAdmin()) {
    const stats = await api('GET', '/stats');
    main.append(h('h2', {}, 'Whole cluster'),
      table('Jobs by state', ['State', 'Jobs'], Object.entries(stats.jobs).map(([k, v]) => ({ cells: [k, String(v)] })), { testid: 'stats-jobs', cards: false }),
      table('Executions kept, by state', ['State', 'Executions'], Object.entries(stats.executions).map(([k, v]) => ({ cells: [k, String(v)] })), { testid: 'stats-executions', cards: false }));
  }
}

function card(label, value, testid) {
  return h('div', { class: 'card' }, h('div', { class: 'value', 'data-testid': testid }, String(value)), h('div', { class: 'label' }, label));
}

function chart(runs, fails) {
  const max = Math.max(1, ...runs);
  const w = 600, hgt = 120, bw = w / runs.length;
  const svg = s('svg', { viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Runs (blue) and failures (red) per minute, oldest left' },
    s('line', { class: 'axis', x1: 0, y1: hgt - 0.5, x2: w, y2: hgt - 0.5 }));
  runs.forEach((n, i) => {
    const rh = (n / max) * (hgt - 4), fh = (fails[i] / max) * (hgt - 4);
    if (n) svg.append(s('rect', { class: 'runs', x: i * bw + 1, y: hgt - rh, width: bw - 2, height: rh }, s('title', {}, `${MINUTES - i} min ago: ${n} runs`)));
    if (fails[i]) svg.append(s('rect', { class: 'fails', x: i * bw + 1, y: hgt - fh, width: bw - 2, height: fh }));
  });
  return h('div', { class: 'chart' }, svg);
}
