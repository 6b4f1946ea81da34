import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';
/**
 * Request checks of os-quota-sets, os-quota-class-sets and limits, after
 * nova/api/openstack/compute/schemas/quota_sets.py, quota_classes.py and limits.py. The set of
 * keys a body may hold depends on the microversion, so these are hand-written checks with the
 * messages Nova's JSON-schema validator gives, rather than one static route schema.
 */
import { invalid } from '../../domain/errors.js';
import { atLeast, type Microversion } from '../../http/microversion.js';
import { scalar, type Query } from '../../http/query.js';
import type { Limits, QuotaResource } from '../../domain/quota.js';

/** The order of Nova's schema (_quota_resources), which is the order its validator reports in. */
const SCHEMA_ORDER: QuotaResource[] = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'server_groups',
  'server_group_members',
];
const NETWORK: QuotaResource[] = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'];
const INJECTED: QuotaResource[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
const MAX_LIMIT = 0x7fffffff;

/** Resources os-quota-sets hides at this microversion (2.36: nova-network's, 2.57: personality files). */
export function hiddenQuotaSetResources(mv: Microversion): QuotaResource[] {
  if (atLeast(mv, 57)) return [...NETWORK, ...INJECTED];
  if (atLeast(mv, 36)) return NETWORK;
  return [];
}

/** Resources os-quota-class-sets hides (before 2.50 the server group ones as well, Nova bug 1693168). */
export function hiddenQuotaClassResources(mv: Microversion): QuotaResource[] {
  if (atLeast(mv, 57)) return [...NETWORK, ...INJECTED];
  if (atLeast(mv, 50)) return NETWORK;
  return ['server_groups', 'server_group_members'];
}

/** Python's str: strings bare, everything else as repr. */
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));

const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);

const unexpected = (keys: string[]) =>
  keys.length === 1
    ? `Additional properties are not allowed ('${keys[0]}' was unexpected)`
    : `Additional properties are not allowed (${keys.map((k) => `'${k}'`).join(', ')} were unexpected)`;

/** One limit: an integer, or a string of digits, from -1 (unlimited) to 2^31-1. */
function limitValue(field: string, v: unknown): number {
  if (typeof v !== 'number' && typeof v !== 'string')
    throw fieldError(field, v, `${pyRepr(v)} is not of type 'integer', 'string'`);
  if (typeof v === 'number' && !Number.isInteger(v))
    throw fieldError(field, v, `${pyRepr(v)} is not of type 'integer', 'string'`);
  if (typeof v === 'string' && !/^-?[0-9]+$/.test(v))
    throw fieldError(field, v, `${pyRepr(v)} does not match '^-?[0-9]+$'`);
  // Nova's schema bounds integers only; a string out of range is refused here too.
  const n = Number(v);
  if (n < -1) throw fieldError(field, v, `${n} is less than the minimum of -1`);
  if (n > MAX_LIMIT) throw fieldError(field, v, `${n} is greater than the maximum of ${MAX_LIMIT}`);
  return n;
}

/** The body of PUT os-quota-sets/{id} or os-quota-class-sets/{id}: the limits it sets (and `force`). */
function parseLimitsBody(
  body: unknown,
  key: 'quota_set' | 'quota_class_set',
  allowed: QuotaResource[],
  withForce: boolean,
): { changes: Partial<Limits>; force: boolean } {
  const root = body === undefined || body === null ? {} : body;
  if (typeof root !== 'object' || Array.isArray(root)) throw invalid(`${pyRepr(root)} is not of type 'object'`);
  const r = root as Record<string, unknown>;
  const set = r[key];
  if (set !== undefined && (typeof set !== 'object' || set === null || Array.isArray(set)))
    throw fieldError(key, set, `${pyRepr(set)} is not of type 'object'`);
  if (set === undefined) throw invalid(`'${key}' is a required property`);
  const extraTop = Object.keys(r).filter((k) => k !== key);
  if (extraTop.length) throw invalid(unexpected(extraTop));
  const s = set as Record<string, unknown>;
  const changes: Partial<Limits> = {};
  for (const res of SCHEMA_ORDER) {
    if (!allowed.includes(res) || !Object.hasOwn(s, res)) continue;
    changes[res] = limitValue(res, s[res]);
  }
  let force = false;
  if (withForce && Object.hasOwn(s, 'force')) {
    const f = s.force;
    if (typeof f !== 'boolean' && typeof f !== 'string')
      throw fieldError('force', f, `${pyRepr(f)} is not of type 'boolean', 'string'`);
    if (!NOVA_BOOLEANS.includes(f)) throw fieldError('force', f, `${pyRepr(f)} is not one of ${pyRepr(NOVA_BOOLEANS)}`);
    force = f === true || (typeof f === 'string' && ['true', '1', 'on', 'yes'].includes(f.toLowerCase()));
  }
  const extra = Object.keys(s).filter((k) => !(allowed as string[]).includes(k) && !(withForce && k === 'force'));
  if (extra.length) throw fieldError(key, s, unexpected(extra));
  return { changes, force };
}

export function parseQuotaSetUpdate(body: unknown, mv: Microversion) {
  const hidden = hiddenQuotaSetResources(mv);
  return parseLimitsBody(
    body,
    'quota_set',
    SCHEMA_ORDER.filter((r) => !hidden.includes(r)),
    true,
  );
}

export function parseQuotaClassUpdate(body: unknown, mv: Microversion) {
  // The body always accepts the server group resources (only the response hid them before 2.50).
  const hidden = atLeast(mv, 57) ? [...NETWORK, ...INJECTED] : atLeast(mv, 50) ? NETWORK : [];
  return parseLimitsBody(
    body,
    'quota_class_set',
    SCHEMA_ORDER.filter((r) => !hidden.includes(r)),
    false,
  ).changes;
}

/**
 * From 2.75 these query strings take only the parameters Nova's query schema names
 * (additionalProperties: False); before, others are ignored. Returns the last value of each.
 */
export function strictQuery(q: Query, mv: Microversion, names: string[]): Record<string, string | undefined> {
  if (atLeast(mv, 75)) {
    const extra = Object.keys(q).filter((k) => !names.includes(k));
    if (extra.length) throw invalid(unexpected(extra));
  }
  const out: Record<string, string | undefined> = {};
  for (const n of names) out[n] = scalar(q, n);
  return out;
}
