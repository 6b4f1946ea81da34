/** Plain HTTP helpers for tests that talk to a Stratus child process. */
export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
  ms: number;
}

export async function call(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  mv?: string,
): Promise<CallResult> {
  const started = Date.now();
  const res = await fetch(url + path, {
    method,
    signal: AbortSignal.timeout(30000),
    headers: {
      ...(token ? { 'x-auth-token': token } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(mv ? { 'openstack-api-version': `compute ${mv}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, ms: Date.now() - started };
}

/** A project-scoped token for a demo-cloud user (password `secret`). */
export async function token(url: string, user: string, project: string): Promise<string> {
  const res = await call(url, 'POST', '/identity/v3/auth/tokens', undefined, {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, domain: { name: 'Default' }, password: 'secret' } },
      },
      scope: { project: { name: project, domain: { name: 'Default' } } },
    },
  });
  if (res.status !== 201) throw new Error(`token for ${user}: ${res.status}`);
  return res.headers.get('x-subject-token')!;
}
