import { h, badge, time, duration, table, announce } from '../dom.js';
import { api, seg, canChange } from '../api.js';
import { dagGraph } from './dag-graph.js';

const LEGEND = ['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

/** One DAG run: the graph of its steps by state, the same as a table, Cancel and Retry; refreshed every second until it ends. */
export async function dagRunPage(main, runId) {
  const path = `/dag-runs/${seg(runId)}`;
  const first = await api('GET', path);
  const dag = await api('GET', `/dags/${seg(first.dagId)}`);
  const facts = h('dl', { class: 'facts' });
  const buttons = h('div', { class: 'actions' });
  const graph = h('div');
  const steps = h('div');
  main.append(h('h1', {}, runId), facts, buttons,
    h('h2', {}, 'Graph'), h('div', { class: 'legend' }, LEGEND.map(state => badge(state))), graph,
    h('h2', {}, 'Steps'), steps);

  let timer = null;
  function show(run) {
    facts.replaceChildren(
      h('dt', {}, 'State'), h('dd', {}, badge(run.state, 'dag-run-state')),
      h('dt', {}, 'DAG'), h('dd', {}, h('a', { href: `#/dags/${seg(run.dagId)}` }, run.dagId)),
      h('dt', {}, 'Trigger'), h('dd', {}, run.trigger),
      h('dt', {}, 'Started'), h('dd', {}, time(run.startedAt)),
      h('dt', {}, 'Duration'), h('dd', {}, duration(run.startedAt, run.finishedAt)),
      h('dt', {}, 'Retries'), h('dd', {}, String(run.retries ?? 0)));
    const act = (label, call) => async () => {
      try { await call(); announce(`${label}: done.`); show(await api('GET', path)); start(); } catch (e) { announce(`${label}: ${e.message}`); }
    };
    buttons.replaceChildren(!canChange() ? '' : run.state === 'running'
      ? h('button', { type: 'button', class: 'danger', onclick: act('Cancel', () => api('POST', `${path}/cancel`)) }, 'Cancel run')
      : run.state === 'failed' || run.state === 'cancelled'
        ? h('button', { type: 'button', onclick: act('Retry', () => api('POST', `${path}/retry`)) }, 'Retry failed steps')
        : '');
    const states = new Map(run.steps.map(step => [step.id, step.state]));
    const byId = new Map(run.steps.map(step => [step.id, step]));
    graph.replaceChildren(dagGraph(dag.steps, states, id => {
      const executionId = byId.get(id)?.executionId;
      if (executionId) location.hash = `#/executions/${seg(executionId)}`;
    }));
    steps.replaceChildren(table('Each step of the run', ['Step', 'State', 'Depends on', 'Started', 'Duration', 'Tries', 'Reason'],
      dag.steps.map(spec => {
        const step = byId.get(spec.id) ?? { state: 'pending' };
        return {
          testid: `dag-step-row-${spec.id}`,
          cells: [step.executionId ? h('a', { href: `#/executions/${seg(step.executionId)}` }, spec.id) : spec.id,
            badge(step.state), (spec.dependsOn ?? []).join(', ') || '—', time(step.startedAt), duration(step.startedAt, step.finishedAt),
            String(step.tries ?? 0), step.reason ?? ''],
        };
      })));
    if (run.state !== 'running' && timer) {
      clearInterval(timer);
      timer = null;
    }
  }
  function start() {
    if (!timer) timer = setInterval(() => api('GET', path).then(show).catch(() => {}), 1000);
  }
  show(first);
  if (first.state === 'running') start();
  return () => { if (timer) clearInterval(timer); };
}
