import { h, badge, time, table } from '../dom.js';
import { api, seg } from '../api.js';
import { schedule } from './jobs.js';

/** DAGs: the caller's own (an admin's: everyone's). */
export async function dagsPage(main) {
  const page = await api('GET', '/dags?limit=200');
  main.append(h('h1', {}, 'DAGs'), page.items.length === 0
    ? h('p', { class: 'muted' }, 'No DAGs yet.')
    : table(`${page.items.length} DAG${page.items.length === 1 ? '' : 's'}`, ['DAG', 'Owner', 'State', 'Schedule', 'Steps', 'Next fire'],
      page.items.map(d => ({
        testid: `dag-row-${d.id}`,
        cells: [h('a', { href: `#/dags/${seg(d.id)}` }, d.name ? `${d.name} (${d.id})` : d.id), d.owner, badge(d.state), schedule(d.schedule),
          String(d.steps?.length ?? 0), time(d.nextFireAt)],
      }))));
}
