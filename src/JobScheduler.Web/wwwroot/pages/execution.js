import { h, badge, time, duration, table, announce } from '../dom.js';
import { api, seg, canChange } from '../api.js';

/** One execution: state, attempts, and the latest attempt's output tail, polled every second until it ends; Cancel. */
export async function executionPage(main, id) {
  const heading = h('h1', {}, id);
  const facts = h('dl', { class: 'facts' });
  const buttons = h('div', { class: 'actions' });
  const attempts = h('div');
  const output = h('pre', { class: 'output', role: 'log', 'aria-label': 'Output', 'data-testid': 'output-tail' });
  main.append(heading, facts, buttons, h('h2', {}, 'Attempts'), attempts, h('h2', {}, 'Output (tail)'), output);

  let timer = null;
  async function load() {
    const e = await api('GET', `/executions/${seg(id)}`);
    const first = e.attempts[0];
    facts.replaceChildren(
      h('dt', {}, 'State'), h('dd', {}, badge(e.state, 'execution-state')),
      h('dt', {}, 'Job'), h('dd', {}, h('a', { href: `#/jobs/${seg(e.jobId)}` }, e.jobId)),
      e.dagRunId ? [h('dt', {}, 'DAG run'), h('dd', {}, h('a', { href: `#/dag-runs/${seg(e.dagRunId)}` }, e.dagRunId))] : [],
      h('dt', {}, 'Trigger'), h('dd', {}, e.trigger),
      h('dt', {}, 'Scheduled'), h('dd', {}, time(e.scheduledAt)),
      h('dt', {}, 'Started'), h('dd', {}, time(first?.startedAt)),
      h('dt', {}, 'Finished'), h('dd', {}, time(e.finishedAt)),
      h('dt', {}, 'Duration'), h('dd', {}, duration(first?.startedAt, e.finishedAt)),
      e.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', {}, time(e.nextAttemptAt))] : []);
    buttons.replaceChildren(canChange() && !terminal(e.state)
      ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        try {
          await api('POST', `/executions/${seg(id)}/cancel`);
          announce('Cancel requested.');
          await load();
        } catch (err) {
          announce(`Cancel: ${err.message}`);
        }
      } }, 'Cancel')
      : '');
    attempts.replaceChildren(e.attempts.length === 0
      ? h('p', { class: 'muted' }, 'No attempt has started yet.')
      : table('Each try at running the action', ['#', 'Node', 'Started', 'Duration', 'Outcome', 'Exit / HTTP', 'Error'],
        e.attempts.map(a => ({
          testid: `attempt-${a.number}`,
          cells: [String(a.number), a.node, time(a.startedAt), duration(a.startedAt, a.finishedAt),
            a.outcome ? badge(a.outcome) : badge('running'), String(a.exitCode ?? a.httpStatus ?? '—'), a.error ?? ''],
        }))));
    const last = e.attempts[e.attempts.length - 1];
    // While an attempt runs, the API answers with its output so far (read from the node that runs it), so each poll
    // shows the tail growing; the tail is recorded for good when the attempt ends.
    output.textContent = last?.output ? `${last.outputTruncated ? '…\n' : ''}${last.output}`
      : last && !last.finishedAt ? '(running: no output yet)' : '(no output)';
    if (terminal(e.state) && timer) {
      clearInterval(timer);
      timer = null;
    }
    return e;
  }
  const first = await load();
  if (!terminal(first.state)) timer = setInterval(() => load().catch(() => {}), 1000);
  return () => { if (timer) clearInterval(timer); };
}

function terminal(state) {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}
