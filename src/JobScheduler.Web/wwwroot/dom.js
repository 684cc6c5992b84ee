// Builds elements without ever parsing markup: every string becomes a text node (textContent), so API data cannot
// inject HTML or script. Attributes are set one by one; "on*" attributes are refused.
const SVG = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) {
      if (typeof value !== 'function') throw new Error(`${name} must be a function`);
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.setAttribute('class', value);
    } else if (name === 'text') {
      element.textContent = String(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h('a', { href: '#/' }, 'text', otherElement). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

/** A state badge: its name as text (not colour alone). */
export function badge(state, testid) {
  const name = String(state ?? 'unknown');
  return h('span', { class: `state s-${name.replace(/[^a-z]/g, '')}`, 'data-testid': testid }, name);
}

/** A time as the browser's local time, with the ISO instant in the title. */
export function time(value) {
  if (!value) return h('span', { class: 'muted' }, '—');
  const date = new Date(value);
  return h('time', { datetime: value, title: value }, date.toLocaleString());
}

/** A duration between two instants, or up to now while running. */
export function duration(start, end) {
  if (!start) return '—';
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** A table with a caption and column headers; each row is an array of cells (strings or nodes). */
export function table(caption, headers, rows, options = {}) {
  return h('table', { class: options.cards === false ? undefined : 'cards-small', 'data-testid': options.testid },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(name => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.map(row => {
      const tr = h('tr', { 'data-testid': row.testid });
      row.cells.forEach((cell, i) => tr.append(h('td', { 'data-label': headers[i] }, cell)));
      return tr;
    })));
}

/** Announces a short message to everyone (role=status) and clears it after a while. */
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = message;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { status.textContent = ''; }, 4000);
}
