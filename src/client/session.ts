/** A Keystone v3 session as the `openstack` CLI makes one: a token and the endpoints of its catalog. */
import { ClientError } from './client-error.js';
import type { CloudAuth } from './cloud-config.js';

export interface Session {
  token: string;
  /** The catalog's compute endpoint (e.g. http://127.0.0.1:8774/v2.1). */
  computeUrl: string;
  /** The watch API: the compute endpoint with its `/v2.1…` path replaced by `/stratus/v1/events`. */
  eventsUrl: string;
  /** The token's project. */
  projectId?: string;
}

export interface ApiResult {
  status: number;
  body: unknown;
}

/** `…/identity`, `…/identity/v3/`, `…/v2.0` → `…/identity/v3`. */
export function identityV3(authUrl: string): string {
  const u = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(u)) return u;
  if (/\/v2\.0$/.test(u)) return u.replace(/\/v2\.0$/, '/v3');
  return `${u}/v3`;
}

/** Stratus serves every API on one origin: the events route sits beside the compute API. */
export function eventsUrlOf(computeUrl: string): string {
  const u = new URL(computeUrl);
  const path = u.pathname.replace(/\/+$/, '');
  const m = path.match(/^(.*?)\/v2(?:\.[0-9]+)?(?:\/.*)?$/);
  u.pathname = `${m ? m[1] : path}/stratus/v1/events`;
  u.search = '';
  return u.toString();
}

/** The service's own message from an OpenStack error body ({"itemNotFound": {"message": …}}, {"error": …}). */
export function faultMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    for (const v of Object.values(body as Record<string, unknown>)) {
      if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string')
        return (v as { message: string }).message;
    }
  }
  return typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}`;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const domainRef = (id?: string, name?: string) => (id ? { id } : name ? { name } : { id: 'default' });

/** Password or token authentication; every failure here is exit code 2 (auth/config). */
export async function authenticate(c: CloudAuth, signal: AbortSignal): Promise<Session> {
  const base = identityV3(c.authUrl);
  const url = `${base}/auth/tokens`;
  const project =
    c.projectId || c.projectName
      ? {
          project: c.projectId
            ? { id: c.projectId }
            : { name: c.projectName, domain: domainRef(c.projectDomainId, c.projectDomainName) },
        }
      : undefined;
  let res: Response;
  try {
    if (c.authType === 'token') {
      // A token is used as it is, in its own scope: validating it reads its catalog (Keystone lets
      // a token see itself; Stratus has no `token` auth method to rescope with).
      res = await fetch(url, { headers: { 'x-auth-token': c.token!, 'x-subject-token': c.token! }, signal });
    } else {
      const identity = {
        methods: ['password'],
        password: {
          user: c.userId
            ? { id: c.userId, password: c.password }
            : { name: c.username, domain: domainRef(c.userDomainId, c.userDomainName), password: c.password },
        },
      };
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity, ...(project ? { scope: project } : {}) } }),
        signal,
      });
    }
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ClientError(`cannot reach ${url}: ${causeOf(err)}`, 2);
  }
  const body = (await readBody(res)) as { token?: { catalog?: CatalogEntry[]; project?: { id?: string } } } | null;
  if (res.status !== 200 && res.status !== 201)
    throw new ClientError(
      `authentication failed (${c.source}): ${faultMessage(body, res.status)} (HTTP ${res.status})`,
      2,
    );
  const token = c.authType === 'token' ? c.token! : res.headers.get('x-subject-token');
  if (!token) throw new ClientError(`authentication at ${url} gave no X-Subject-Token`, 2);
  const computeUrl = endpoint(body?.token?.catalog ?? [], 'compute', c);
  return { token, computeUrl, eventsUrl: eventsUrlOf(computeUrl), projectId: body?.token?.project?.id };
}

interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }>;
}

function endpoint(catalog: CatalogEntry[], type: string, c: CloudAuth): string {
  const svc = catalog.find((s) => s.type === type);
  const e = svc?.endpoints.find(
    (x) => x.interface === c.interface && (!c.regionName || x.region_id === c.regionName || x.region === c.regionName),
  );
  if (!e)
    throw new ClientError(
      `the token's catalog has no ${type} endpoint for interface ${c.interface}${c.regionName ? ` in region ${c.regionName}` : ''} (is the project set?)`,
      2,
    );
  return e.url.replace(/\/+$/, '');
}

export function causeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** A JSON GET against the compute API (path relative to the compute endpoint). */
export async function computeGet(s: Session, path: string, signal: AbortSignal): Promise<ApiResult> {
  let res: Response;
  try {
    res = await fetch(`${s.computeUrl}${path}`, {
      headers: { 'x-auth-token': s.token, accept: 'application/json' },
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ClientError(`cannot reach ${s.computeUrl}: ${causeOf(err)}`, 1);
  }
  return { status: res.status, body: await readBody(res) };
}
