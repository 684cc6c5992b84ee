import { h, badge, time, table, announce } from '../dom.js';
import { api, seg, canChange, isAdmin } from '../api.js';
import { jobActions } from './job-actions.js';

const STATES = ['', 'active', 'paused', 'completed'];

/** Jobs: the caller's own (an admin's: everyone's, or one owner's), filtered by state and tag, searched by id or name. */
export async function jobsPage(main, params) {
  const state = params.get('state') ?? '';
  const tag = params.get('tag') ?? '';
  const q = params.get('q') ?? '';
  const owner = params.get('owner') ?? '';

  const stateSelect = h('select', { id: 'f-state', name: 'state' }, STATES.map(v => h('option', { value: v, selected: v === state }, v || 'any')));
  const tagInput = h('input', { id: 'f-tag', name: 'tag', value: tag, placeholder: 'key or key:value' });
  const search = h('input', { id: 'f-q', name: 'q', type: 'search', value: q, placeholder: 'id or name' });
  const ownerInput = isAdmin() ? h('input', { id: 'f-owner', name: 'owner', value: owner, placeholder: 'anyone' }) : null;
  const form = h('form', { class: 'filters', role: 'search', onsubmit: event => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (stateSelect.value) next.set('state', stateSelect.value);
    if (tagInput.value) next.set('tag', tagInput.value);
    if (search.value) next.set('q', search.value);
    if (ownerInput?.value) next.set('owner', ownerInput.value);
    location.hash = `#/jobs?${next}`;
  } },
  h('label', { for: 'f-state' }, 'State', stateSelect),
  h('label', { for: 'f-tag' }, 'Tag', tagInput),
  h('label', { for: 'f-q' }, 'Search', search),
  ownerInput && h('label', { for: 'f-owner' }, 'Owner', ownerInput),
  h('button', { type: 'submit' }, 'Filter'));

  const list = h('div');
  const more = h('div');
  main.append(h('h1', {}, 'Jobs'), form, list, more);

  const query = new URLSearchParams({ limit: '100' });
  if (state) query.set('state', state);
  if (tag) query.set('tag', tag);
  if (owner) query.set('owner', owner);
  const rows = [];

  async function load(cursor) {
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', `/jobs?${query}`);
    const needle = q.toLowerCase();
    rows.push(...page.items.filter(j => !needle || j.id.toLowerCase().includes(needle) || (j.name ?? '').toLowerCase().includes(needle)));
    list.replaceChildren(rows.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'jobs-empty' }, 'No jobs match.')
      : table(`${rows.length} job${rows.length === 1 ? '' : 's'}`,
        ['Job', 'Owner', 'State', 'Schedule', 'Next fire', 'Last fire', canChange() ? 'Actions' : null].filter(Boolean),
        rows.map(job => ({
          testid: `job-row-${job.id}`,
          cells: [
            h('a', { href: `#/jobs/${seg(job.id)}` }, job.name ? `${job.name} (${job.id})` : job.id),
            job.owner,
            badge(job.state),
            schedule(job.schedule),
            time(job.nextFireAt),
            time(job.lastFireAt),
            canChange() ? jobActions(job, () => { announce(`Job ${job.id} changed.`); window.dispatchEvent(new HashChangeEvent('hashchange')); }) : null,
          ].filter(c => c !== null),
        }))));
    more.replaceChildren(page.next ? h('button', { type: 'button', onclick: () => load(page.next) }, 'More') : '');
  }
  await load();
}

/** A schedule in words. */
export function schedule(spec) {
  if (!spec) return '—';
  switch (spec.kind) {
    case 'cron': return `cron ${spec.expression}${spec.timeZone ? ` (${spec.timeZone})` : ''}`;
    case 'interval': return `every ${spec.every}`;
    case 'once': return `once at ${new Date(spec.at).toLocaleString()}`;
    default: return spec.kind;
  }
}
