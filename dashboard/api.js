// The dashboard's only way to the cloud: the public APIs, with the user's token in a header.
const SESSION_KEY = 'stratus.dashboard.session';
export const COMPUTE_VERSION = 'compute 2.73';

/** The session: token, endpoints, user; in memory, mirrored in sessionStorage (never a URL). */
let session = load();

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (s && Date.parse(s.expiresAt) > Date.now()) return s;
  } catch {
    /* a broken entry is no session */
  }
  return null;
}

export function currentSession() {
  return session;
}

export function logout() {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
}

/** An API error, with the message the service itself gave. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The message of any OpenStack fault body: Nova/Cinder, Keystone, Neutron, Glance. */
export function faultMessage(status, body) {
  if (body && typeof body === 'object') {
    if (body.error?.message) return String(body.error.message);
    if (body.NeutronError?.message) return String(body.NeutronError.message);
    if (typeof body.message === 'string') return body.message;
    const keys = Object.keys(body);
    if (keys.length === 1 && body[keys[0]] && typeof body[keys[0]].message === 'string') return body[keys[0]].message;
  }
  return `HTTP ${status}`;
}

/** Same-origin path of a catalog URL: the page may only talk to its own origin (CSP connect-src). */
function pathOf(url) {
  return new URL(url, location.origin).pathname.replace(/\/+$/, '');
}

export async function login(user, password, project) {
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
      scope: { project: { name: project, domain: { name: 'Default' } } },
    },
  };
  const res = await fetch('/identity/v3/auth/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, faultMessage(res.status, data));
  const token = res.headers.get('x-subject-token');
  const t = data.token;
  const endpoints = {};
  for (const svc of t.catalog ?? []) {
    const ep = svc.endpoints.find((e) => e.interface === 'public') ?? svc.endpoints[0];
    if (ep) endpoints[svc.type] = pathOf(ep.url);
  }
  const roles = (t.roles ?? []).map((r) => r.name);
  session = {
    token,
    expiresAt: t.expires_at,
    user: t.user.name,
    userId: t.user.id,
    project: t.project.name,
    projectId: t.project.id,
    roles,
    isAdmin: roles.includes('admin'),
    endpoints,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** The base path of a service: from the catalog; Stratus' own API is not in it. */
export function endpoint(service) {
  if (service === 'stratus') return '/stratus/v1';
  const e = session?.endpoints ?? {};
  const path = service === 'volume' ? (e.volumev3 ?? e['block-storage']) : e[service];
  if (!path) throw new ApiError(0, `The catalog has no ${service} service`);
  return path;
}

/** Logged-out listeners (a 401 anywhere ends the session). */
const onExpired = new Set();
export function whenExpired(fn) {
  onExpired.add(fn);
  return () => onExpired.delete(fn);
}
export function expire(message) {
  logout();
  for (const fn of onExpired) fn(message);
}

export function authHeaders(service) {
  const h = { 'x-auth-token': session?.token ?? '', accept: 'application/json' };
  if (service === 'compute') h['openstack-api-version'] = COMPUTE_VERSION;
  return h;
}

/** One API call: JSON in, JSON out; a refusal throws ApiError with the service's message. */
export async function api(service, method, path, body) {
  const headers = authHeaders(service);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(endpoint(service) + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const message = faultMessage(res.status, data);
    if (res.status === 401) expire(message);
    throw new ApiError(res.status, message);
  }
  return data;
}
