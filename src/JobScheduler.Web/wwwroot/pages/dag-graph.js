import { h, s } from '../dom.js';

const W = 150, H = 44, GX = 60, GY = 18, PAD = 16;

/**
 * A DAG run drawn as SVG: steps in columns by their depth (longest path from a root), edges from each dependency,
 * each node coloured by its step's state and labelled with its id and state in text (not colour alone).
 */
export function dagGraph(steps, states, onSelect) {
  const byId = new Map(steps.map(step => [step.id, step]));
  const depth = new Map();
  const depthOf = id => {
    if (depth.has(id)) return depth.get(id);
    depth.set(id, 0);
    const deps = (byId.get(id)?.dependsOn ?? []).filter(d => byId.has(d));
    const value = deps.length ? 1 + Math.max(...deps.map(depthOf)) : 0;
    depth.set(id, value);
    return value;
  };
  steps.forEach(step => depthOf(step.id));
  const columns = [];
  for (const step of steps) (columns[depth.get(step.id)] ??= []).push(step.id);
  const at = new Map();
  columns.forEach((ids, x) => ids.forEach((id, y) => at.set(id, { x: PAD + x * (W + GX), y: PAD + y * (H + GY) })));
  const width = PAD * 2 + columns.length * W + (columns.length - 1) * GX;
  const height = PAD * 2 + Math.max(...columns.map(c => c.length)) * (H + GY) - GY;

  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-labelledby': 'graph-title', 'data-testid': 'dag-graph' },
    s('title', { id: 'graph-title' }, 'The run\'s steps and their dependencies; the table below says the same.'),
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }))));
  for (const step of steps) {
    for (const dep of step.dependsOn ?? []) {
      const from = at.get(dep), to = at.get(step.id);
      if (!from || !to) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2;
      svg.append(s('path', { class: 'edge', d: `M ${x1} ${y1} C ${x1 + GX / 2} ${y1}, ${x2 - GX / 2} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)' }));
    }
  }
  for (const step of steps) {
    const { x, y } = at.get(step.id);
    const state = states.get(step.id) ?? 'pending';
    const node = s('g', { 'data-testid': `dag-step-${step.id}`, 'data-state': state, tabindex: 0, role: 'button' },
      s('rect', { x, y, width: W, height: H, rx: 6, class: `n-${state}` }),
      s('text', { x: x + 8, y: y + 18 }, clip(step.id)),
      s('text', { x: x + 8, y: y + 35 }, state));
    if (onSelect) {
      node.addEventListener('click', () => onSelect(step.id));
      node.addEventListener('keydown', e => { if (e.key === 'Enter') onSelect(step.id); });
    }
    svg.append(node);
  }
  return h('div', { class: 'graph' }, svg);
}

function clip(text) {
  return text.length > 20 ? `${text.slice(0, 19)}…` : text;
}
