import { h, badge, time, table, announce } from '../dom.js';
import { api, seg, isAdmin } from '../api.js';

/** Nodes (admin): state, capacity reserved and used, running count, heartbeat; drain and activate. Refreshed every 3 s. */
export async function nodesPage(main) {
  const list = h('div');
  main.append(h('h1', {}, 'Nodes'), list);
  async function load() {
    const page = await api('GET', '/nodes');
    list.replaceChildren(table(`${page.items.length} node${page.items.length === 1 ? '' : 's'}`,
      ['Node', 'State', 'CPU reserved', 'Memory reserved', 'CPU used', 'Running', 'Heartbeat', 'Action'],
      page.items.map(n => ({
        testid: `node-row-${n.id}`,
        cells: [n.id, badge(n.state, 'node-state'),
          meter(n.reservedCpuMillis, n.cpuMillis, 'm'), meter(n.reservedMemoryMb, n.memoryMb, ' MB'),
          `${n.cpuUsagePercent.toFixed(0)} %`, String(n.running.length), time(n.lastHeartbeat),
          isAdmin() && n.state !== 'down' ? h('button', { type: 'button', onclick: async () => {
            const state = n.state === 'draining' ? 'active' : 'draining';
            try {
              await api('PUT', `/nodes/${seg(n.id)}`, { state });
              announce(`Node ${n.id}: ${state}.`);
              await load();
            } catch (e) {
              announce(`Node ${n.id}: ${e.message}`);
            }
          } }, n.state === 'draining' ? 'Activate' : 'Drain') : ''],
      }))));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 3000);
  return () => clearInterval(timer);
}

function meter(used, total, unit) {
  const bar = h('span');
  bar.style.width = `${total > 0 ? Math.min(100, (100 * used) / total) : 0}%`;
  return h('div', {}, h('div', { class: 'bar', role: 'img', 'aria-label': `${used} of ${total}${unit}` }, bar), `${used} / ${total}${unit}`);
}
