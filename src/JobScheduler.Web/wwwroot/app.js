// The router: each hash route (#/jobs, #/jobs/{id}, …) renders one page into <main>. A page may return a function
// that stops what it started (a poll), called when the route changes. The URL holds all view state.
import { h, announce } from './dom.js';
import { session, logout, isAdmin } from './api.js';
import { loginPage } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { jobsPage } from './pages/jobs.js';
import { jobPage } from './pages/job.js';
import { executionPage } from './pages/execution.js';
import { dagsPage } from './pages/dags.js';
import { dagPage } from './pages/dag.js';
import { dagRunPage } from './pages/dag-run.js';
import { nodesPage } from './pages/nodes.js';

const routes = [
  [/^\/login$/, loginPage, 'login'],
  [/^\/$/, overviewPage, '#/'],
  [/^\/jobs$/, jobsPage, '#/jobs'],
  [/^\/jobs\/([^/]+)$/, jobPage, '#/jobs'],
  [/^\/executions\/([^/]+)$/, executionPage, '#/jobs'],
  [/^\/dags$/, dagsPage, '#/dags'],
  [/^\/dags\/([^/]+)$/, dagPage, '#/dags'],
  [/^\/dag-runs\/([^/]+)$/, dagRunPage, '#/dags'],
  [/^\/nodes$/, nodesPage, '#/nodes'],
];

let stop = null;

async function render() {
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const params = new URLSearchParams(query ?? '');
  const main = document.getElementById('main');
  if (stop) { stop(); stop = null; }
  const current = session();
  if (!current && path !== '/login') {
    location.hash = '#/login';
    return;
  }
  showHeader(current);
  const match = routes.map(([pattern, page, nav]) => [pattern.exec(path), page, nav]).find(([m]) => m);
  main.replaceChildren();
  if (!match) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  const [m, page, nav] = match;
  for (const link of document.querySelectorAll('#nav a')) {
    link.toggleAttribute('aria-current', false);
    if (link.getAttribute('href') === nav) link.setAttribute('aria-current', 'page');
  }
  try {
    stop = await page(main, ...m.slice(1).map(decodeURIComponent), params) ?? null;
  } catch (error) {
    main.append(h('p', { class: 'error', role: 'alert' }, error.status === 404 ? 'Not found (or not yours).' : error.message));
  }
}

function showHeader(current) {
  document.getElementById('nav').hidden = !current;
  document.getElementById('who').hidden = !current;
  document.getElementById('nav-nodes').hidden = !isAdmin();
  document.getElementById('nav-orleans').hidden = !isAdmin();
  document.getElementById('who-name').textContent = current ? `${current.name} (${current.role})` : '';
}

document.getElementById('logout').addEventListener('click', async () => {
  await logout();
  announce('Logged out.');
  location.hash = '#/login';
});
window.addEventListener('hashchange', render);
render();
