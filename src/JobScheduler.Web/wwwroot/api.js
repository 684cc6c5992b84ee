// The REST API with the signed-in user's bearer token. The token lives in this tab's sessionStorage only; the
// browser-session cookie (HttpOnly) that /ui/session sets is for the Orleans dashboard and the API ignores it.
const KEY = 'jobscheduler-session';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function session() {
  const text = sessionStorage.getItem(KEY);
  if (!text) return null;
  const value = JSON.parse(text);
  return new Date(value.expiresAt) > new Date() ? value : null;
}

export function canChange() {
  const role = session()?.role;
  return role === 'admin' || role === 'operator';
}

export function isAdmin() {
  return session()?.role === 'admin';
}

export async function login(username, password) {
  const response = await fetch('/api/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  const auth = { Authorization: `Bearer ${body.accessToken}` };
  const me = await (await fetch('/api/auth/me', { headers: auth })).json();
  // The dashboard's cookie: only a bearer token buys one.
  await fetch('/ui/session', { method: 'POST', headers: auth });
  sessionStorage.setItem(KEY, JSON.stringify({ token: body.accessToken, expiresAt: body.expiresAt, name: me.name, role: me.role }));
}

export async function logout() {
  sessionStorage.removeItem(KEY);
  await fetch('/ui/session', { method: 'DELETE' }).catch(() => {});
}

/** Calls the API: path under /api, JSON body when given; answers the parsed JSON (null for 204). */
export async function api(method, path, body) {
  const current = session();
  if (!current) {
    location.hash = '#/login';
    throw new ApiError(401, { title: 'Not logged in.' });
  }
  const headers = { Accept: 'application/json', Authorization: `Bearer ${current.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    location.hash = '#/login';
  }
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

/** One path segment, escaped (ids may hold '@' and ':'). */
export const seg = encodeURIComponent;
