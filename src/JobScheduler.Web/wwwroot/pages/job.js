import { h, badge, time, duration, table } from '../dom.js';
import { api, seg, canChange } from '../api.js';
import { jobActions } from './job-actions.js';
import { schedule } from './jobs.js';

const STATES = ['', 'pending', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'];

/** One job: its definition, actions, and its executions (latest first) with state, timing and attempts, refreshed every 2 s. */
export async function jobPage(main, id, params) {
  const state = params.get('state') ?? '';
  const job = await api('GET', `/jobs/${seg(id)}`);
  const refresh = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const stateSelect = h('select', { id: 'f-exec-state', onchange: () => {
    location.hash = `#/jobs/${seg(id)}${stateSelect.value ? `?state=${stateSelect.value}` : ''}`;
  } }, STATES.map(v => h('option', { value: v, selected: v === state }, v || 'any')));
  const executions = h('div');
  main.append(
    h('h1', {}, job.name ? `${job.name} (${job.id})` : job.id),
    h('dl', { class: 'facts' },
      h('dt', {}, 'State'), h('dd', {}, badge(job.state, 'job-state')),
      h('dt', {}, 'Owner'), h('dd', {}, job.owner),
      h('dt', {}, 'Schedule'), h('dd', {}, schedule(job.schedule)),
      h('dt', {}, 'Action'), h('dd', {}, action(job.action)),
      h('dt', {}, 'Next fire'), h('dd', {}, time(job.nextFireAt)),
      h('dt', {}, 'Tags'), h('dd', {}, Object.entries(job.tags ?? {}).map(([k, v]) => `${k}:${v}`).join(', ') || '—')),
    canChange() ? jobActions(job, () => {
      if (location.hash.startsWith(`#/jobs/${seg(id)}`)) refresh();
    }, execution => { location.hash = `#/executions/${seg(execution.id)}`; }) : '',
    h('h2', {}, 'Executions'),
    h('div', { class: 'filters' }, h('label', { for: 'f-exec-state' }, 'State', stateSelect)),
    executions);

  const query = new URLSearchParams({ limit: '50' });
  if (state) query.set('state', state);
  async function load() {
    const page = await api('GET', `/jobs/${seg(id)}/executions?${query}`);
    executions.replaceChildren(page.items.length === 0
      ? h('p', { class: 'muted' }, 'No executions yet.')
      : table('Latest first', ['Execution', 'State', 'Trigger', 'Scheduled', 'Started', 'Duration', 'Attempts'],
        page.items.map(e => ({
          testid: `execution-row-${e.id}`,
          cells: [
            h('a', { href: `#/executions/${seg(e.id)}` }, e.id),
            badge(e.state, 'execution-row-state'),
            e.trigger,
            time(e.scheduledAt),
            time(e.attempts[0]?.startedAt),
            duration(e.attempts[0]?.startedAt, e.finishedAt),
            String(e.attempts.length),
          ],
        }))));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

/** An action in one line. */
export function action(spec) {
  if (!spec) return '—';
  switch (spec.kind) {
    case 'command': return `command ${[spec.command, ...(spec.args ?? [])].join(' ')}`;
    case 'http': return `http ${spec.method ?? 'GET'} ${spec.url}`;
    case 'handler': return `handler ${spec.handler}`;
    default: return spec.kind;
  }
}
