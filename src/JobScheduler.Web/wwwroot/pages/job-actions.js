import { h, announce } from '../dom.js';
import { api, seg } from '../api.js';

/**
 * Pause or resume, trigger, and delete (asked twice) for one job. Only rendered for operators and admins; the API
 * checks every call again (another user's job answers 404).
 */
export function jobActions(job, changed, onTriggered) {
  const path = `/jobs/${seg(job.id)}`;
  const run = (label, action) => async () => {
    try {
      const result = await action();
      announce(`${label}: done.`);
      return result;
    } catch (e) {
      announce(`${label}: ${e.message}`);
      return undefined;
    }
  };
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
  del.addEventListener('click', run('Delete', async () => {
    if (del.dataset.confirm !== 'yes') {
      del.dataset.confirm = 'yes';
      del.textContent = `Really delete ${job.id}?`;
      return;
    }
    await api('DELETE', path);
    changed();
  }));
  return h('div', { class: 'actions' },
    job.state === 'paused'
      ? h('button', { type: 'button', onclick: run('Resume', async () => { await api('POST', `${path}/resume`); changed(); }) }, 'Resume')
      : h('button', { type: 'button', onclick: run('Pause', async () => { await api('POST', `${path}/pause`); changed(); }) }, 'Pause'),
    h('button', { type: 'button', onclick: run('Trigger', async () => {
      const execution = await api('POST', `${path}/trigger`);
      (onTriggered ?? changed)(execution);
    }) }, 'Trigger now'),
    del);
}
