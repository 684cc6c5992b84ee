import { h, badge, time, duration, table, announce } from '../dom.js';
import { api, seg, canChange } from '../api.js';
import { schedule } from './jobs.js';

/** One DAG: its steps, its runs (latest first, refreshed every 2 s), and for operators trigger, pause and resume. */
export async function dagPage(main, id) {
  const dag = await api('GET', `/dags/${seg(id)}`);
  const path = `/dags/${seg(id)}`;
  const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const act = (label, call) => async () => {
    try { await call(); announce(`${label}: done.`); } catch (e) { announce(`${label}: ${e.message}`); }
  };
  const runs = h('div');
  main.append(
    h('h1', {}, dag.name ? `${dag.name} (${dag.id})` : dag.id),
    h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', {}, badge(dag.state)),
      h('dt', {}, 'Owner'), h('dd', {}, dag.owner),
      h('dt', {}, 'Schedule'), h('dd', {}, schedule(dag.schedule)),
      h('dt', {}, 'Steps'), h('dd', {}, dag.steps.map(s => s.dependsOn?.length ? `${s.id} ← ${s.dependsOn.join(', ')}` : s.id).join('; '))),
    canChange() ? h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: act('Trigger', async () => {
        const run = await api('POST', `${path}/trigger`);
        location.hash = `#/dag-runs/${seg(run.id)}`;
      }) }, 'Trigger now'),
      dag.state === 'paused'
        ? h('button', { type: 'button', onclick: act('Resume', async () => { await api('POST', `${path}/resume`); refresh(); }) }, 'Resume')
        : h('button', { type: 'button', onclick: act('Pause', async () => { await api('POST', `${path}/pause`); refresh(); }) }, 'Pause')) : '',
    h('h2', {}, 'Runs'), runs);

  async function load() {
    const page = await api('GET', `${path}/runs?limit=25`);
    runs.replaceChildren(page.items.length === 0
      ? h('p', { class: 'muted' }, 'No runs yet.')
      : table('Latest first', ['Run', 'State', 'Trigger', 'Started', 'Duration', 'Steps'],
        page.items.map(r => ({
          testid: `dag-run-row-${r.id}`,
          cells: [h('a', { href: `#/dag-runs/${seg(r.id)}` }, r.id), badge(r.state), r.trigger, time(r.startedAt),
            duration(r.startedAt, r.finishedAt), r.steps.map(s => `${s.id}: ${s.state}`).join(', ')],
        }))));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 2000);
  return () => clearInterval(timer);
}
