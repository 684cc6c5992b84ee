import { h } from '../dom.js';
import { login } from '../api.js';

/** The login form; after it, back to where the browser was sent from (the Orleans dashboard) or the overview. */
export function loginPage(main) {
  const error = h('p', { class: 'error', role: 'alert' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'login', onsubmit: async event => {
    event.preventDefault();
    error.textContent = '';
    try {
      await login(username.value, password.value);
      const back = new URLSearchParams(location.search).get('ReturnUrl');
      if (back && /^\/orleans(\/|$)/.test(back)) {
        location.href = back;
      } else {
        location.hash = '#/';
      }
    } catch (e) {
      error.textContent = e.status === 429 ? 'Too many attempts; wait a minute.' : e.message;
    }
  } },
  h('h1', {}, 'Log in'),
  h('label', { for: 'username' }, 'Username', username),
  h('label', { for: 'password' }, 'Password', password),
  h('button', { type: 'submit' }, 'Log in'),
  error);
  main.append(form);
  username.focus();
}
