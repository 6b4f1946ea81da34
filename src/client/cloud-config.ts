/**
 * Where a client's credentials come from, as the `openstack` CLI (openstacksdk) finds them:
 * a named cloud in clouds.yaml (`--os-cloud` / `OS_CLOUD`), or the `OS_*` environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ClientError } from './client-error.js';

export interface CloudAuth {
  authUrl: string;
  authType: 'password' | 'token';
  username?: string;
  userId?: string;
  password?: string;
  token?: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  regionName?: string;
  /** public | internal | admin. */
  interface: string;
  /** Where it came from, for error messages. */
  source: string;
}

type Env = Record<string, string | undefined>;

/** openstacksdk's search order for clouds.yaml. */
export function cloudsYamlCandidates(env: Env, cwd: string): string[] {
  const home = env.HOME || homedir();
  return [
    ...(env.OS_CLIENT_CONFIG_FILE ? [resolve(cwd, env.OS_CLIENT_CONFIG_FILE)] : []),
    join(cwd, 'clouds.yaml'),
    join(home, '.config', 'openstack', 'clouds.yaml'),
    '/etc/openstack/clouds.yaml',
  ];
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** "publicURL" (the v2 spelling) is "public". */
const iface = (v: string | undefined) => (v ?? 'public').replace(/URL$/, '');

function authType(v: string | undefined, source: string): 'password' | 'token' {
  const t = (v ?? 'password').replace(/^v3/, '');
  if (t === 'password' || t === 'token') return t;
  throw new ClientError(`${source}: auth type ${v} is not supported (password or token)`, 2);
}

/** The credentials to use: `cloud` (flag, else OS_CLOUD) from clouds.yaml, else the OS_* variables. */
export function resolveCloud(env: Env, opts: { cloud?: string; cwd?: string } = {}): CloudAuth {
  const cwd = opts.cwd ?? process.cwd();
  const name = opts.cloud ?? str(env.OS_CLOUD);
  if (name) return fromCloudsYaml(name, env, cwd);
  return fromEnv(env);
}

function fromCloudsYaml(name: string, env: Env, cwd: string): CloudAuth {
  const candidates = cloudsYamlCandidates(env, cwd);
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new ClientError(`cloud ${name}: no clouds.yaml (looked in ${candidates.join(', ')})`, 2);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ClientError(`${file}: ${(err as Error).message}`, 2);
  }
  const clouds = (doc as { clouds?: Record<string, unknown> } | null)?.clouds;
  const cloud =
    clouds && typeof clouds === 'object' ? (clouds[name] as Record<string, unknown> | undefined) : undefined;
  if (!cloud || typeof cloud !== 'object')
    throw new ClientError(`cloud ${name} is not in ${file} (it has: ${Object.keys(clouds ?? {}).join(', ')})`, 2);
  const auth = (cloud.auth ?? {}) as Record<string, unknown>;
  const source = `cloud ${name} in ${file}`;
  const domainId = str(auth.domain_id);
  const domainName = str(auth.domain_name);
  return check({
    authUrl: str(auth.auth_url) ?? '',
    authType: authType(str(cloud.auth_type), source),
    username: str(auth.username),
    userId: str(auth.user_id),
    // As the CLI: a cloud without a password may take it from the environment.
    password: str(auth.password) ?? str(env.OS_PASSWORD),
    token: str(auth.token),
    projectName: str(auth.project_name) ?? str(auth.tenant_name),
    projectId: str(auth.project_id) ?? str(auth.tenant_id),
    userDomainName: str(auth.user_domain_name) ?? domainName,
    userDomainId: str(auth.user_domain_id) ?? domainId,
    projectDomainName: str(auth.project_domain_name) ?? domainName,
    projectDomainId: str(auth.project_domain_id) ?? domainId,
    regionName: str(cloud.region_name),
    interface: iface(str(cloud.interface) ?? str(cloud.endpoint_type)),
    source,
  });
}

function fromEnv(env: Env): CloudAuth {
  const source = 'the OS_* environment';
  return check({
    authUrl: str(env.OS_AUTH_URL) ?? '',
    authType: authType(str(env.OS_AUTH_TYPE), source),
    username: str(env.OS_USERNAME),
    userId: str(env.OS_USER_ID),
    password: str(env.OS_PASSWORD),
    token: str(env.OS_TOKEN),
    projectName: str(env.OS_PROJECT_NAME) ?? str(env.OS_TENANT_NAME),
    projectId: str(env.OS_PROJECT_ID) ?? str(env.OS_TENANT_ID),
    userDomainName: str(env.OS_USER_DOMAIN_NAME) ?? str(env.OS_DOMAIN_NAME),
    userDomainId: str(env.OS_USER_DOMAIN_ID) ?? str(env.OS_DOMAIN_ID),
    projectDomainName: str(env.OS_PROJECT_DOMAIN_NAME) ?? str(env.OS_DOMAIN_NAME),
    projectDomainId: str(env.OS_PROJECT_DOMAIN_ID) ?? str(env.OS_DOMAIN_ID),
    regionName: str(env.OS_REGION_NAME),
    interface: iface(str(env.OS_INTERFACE) ?? str(env.OS_ENDPOINT_TYPE)),
    source,
  });
}

function check(c: CloudAuth): CloudAuth {
  const missing = (what: string) =>
    new ClientError(`${c.source}: ${what} (set OS_CLOUD with a clouds.yaml, or OS_AUTH_URL and the rest)`, 2);
  if (!c.authUrl) throw missing('no auth URL');
  if (!/^https?:\/\//.test(c.authUrl)) throw new ClientError(`${c.source}: auth URL ${c.authUrl} is not http(s)`, 2);
  if (c.authType === 'token') {
    if (!c.token) throw missing('auth type token without a token (OS_TOKEN)');
  } else {
    if (!c.username && !c.userId) throw missing('no user name (OS_USERNAME)');
    if (c.password === undefined) throw missing('no password (OS_PASSWORD)');
  }
  if (!['public', 'internal', 'admin'].includes(c.interface))
    throw new ClientError(`${c.source}: interface ${c.interface} is not public, internal or admin`, 2);
  return c;
}
