/**
 * Request checks of os-server-groups, after nova/api/openstack/compute/schemas/server_groups.py:
 * create (2.1 `policies` [affinity|anti-affinity], 2.15 the soft ones too, 2.64 `policy` and
 * `rules`), the index query (all_projects, limit, offset; nothing else from 2.75), and the
 * `group` scheduler hint of server create. Checked by hand, in the order jsonschema meets the
 * keywords, with the messages Nova's validator gives (jsonschema 4.2x wording).
 */
import { invalid } from '../../domain/errors.js';
import { GROUP_POLICIES, type GroupPolicy, type GroupRules } from '../../domain/server-groups.js';
import type { Query } from '../../http/query.js';
import { pyRepr } from './nova-validation.js';

export interface CreateServerGroupBody {
  name: string;
  policy: GroupPolicy;
  rules: GroupRules;
}

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string | number, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extrasMessage = (extras: string[]) =>
  `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;

/** Nova's _is_printable over the BMP, and no whitespace at either end (format 'name'). */
const PRINTABLE = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*$/u;
const EDGE = /^[\p{C}\p{Z}\u{10000}-\u{10FFFF}]$/u;

/** parameter_types.name: type, minLength, maxLength, then the name format. */
function checkName(value: unknown): string {
  if (typeof value !== 'string') throw fieldError('name', value, `${pyRepr(value)} is not of type 'string'`);
  const chars = [...value];
  if (chars.length < 1) throw fieldError('name', value, `${pyRepr(value)} should be non-empty`);
  if (chars.length > 255) throw fieldError('name', value, `${pyRepr(value)} is too long`);
  if (!PRINTABLE.test(value) || EDGE.test(chars[0]) || EDGE.test(chars[chars.length - 1]))
    throw invalid(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
  return value;
}

/** The `policies` list before 2.64: one policy, of those the microversion knows. */
function checkPolicies(value: unknown, allowed: readonly string[]): GroupPolicy {
  if (!Array.isArray(value)) throw fieldError('policies', value, `${pyRepr(value)} is not of type 'array'`);
  if (value.length > 0) {
    const first = value[0];
    if (typeof first !== 'string') throw fieldError(0, first, `${pyRepr(first)} is not of type 'string'`);
    if (!allowed.includes(first)) throw fieldError(0, first, `${pyRepr(first)} is not one of ${pyRepr([...allowed])}`);
  }
  if (new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
    throw fieldError('policies', value, `${pyRepr(value)} has non-unique elements`);
  if (value.length < 1) throw fieldError('policies', value, `${pyRepr(value)} should be non-empty`);
  if (value.length > 1) throw fieldError('policies', value, `${pyRepr(value)} is too long`);
  return value[0] as GroupPolicy;
}

/** parameter_types.positive_integer (an integer, or a string of digits, at least 1). */
function checkPositiveInteger(field: string, value: unknown): number {
  const isInt = typeof value === 'number' && Number.isInteger(value);
  if (!isInt && typeof value !== 'string')
    throw fieldError(field, value, `${pyRepr(value)} is not of type 'integer', 'string'`);
  if (typeof value === 'string' && !/^[0-9]*$/.test(value))
    throw fieldError(field, value, `${pyRepr(value)} does not match '^[0-9]*$'`);
  const n = Number(value);
  if (value !== '' && n < 1) throw fieldError(field, value, `${n} is less than the minimum of 1`);
  if (value === '') throw fieldError(field, value, `'' should be non-empty`);
  return n;
}

function checkRules(value: unknown): GroupRules {
  if (!isObject(value)) throw fieldError('rules', value, `${pyRepr(value)} is not of type 'object'`);
  const out: GroupRules = {};
  if (Object.hasOwn(value, 'max_server_per_host'))
    out.max_server_per_host = checkPositiveInteger('max_server_per_host', value.max_server_per_host);
  const extras = Object.keys(value).filter((k) => k !== 'max_server_per_host');
  if (extras.length) throw fieldError('rules', value, extrasMessage(extras));
  return out;
}

/** The body of POST /os-server-groups at microversion `minor`. */
export function parseCreateServerGroup(body: unknown, minor: number): CreateServerGroupBody {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const sg = body.server_group;
  if (sg !== undefined) {
    if (!isObject(sg)) throw fieldError('server_group', sg, `${pyRepr(sg)} is not of type 'object'`);
    if (Object.hasOwn(sg, 'name')) checkName(sg.name);
    let policy: GroupPolicy | undefined;
    let rules: GroupRules = {};
    const v264 = minor >= 64;
    if (v264) {
      if (Object.hasOwn(sg, 'policy')) {
        if (typeof sg.policy !== 'string')
          throw fieldError('policy', sg.policy, `${pyRepr(sg.policy)} is not of type 'string'`);
        if (!(GROUP_POLICIES as readonly string[]).includes(sg.policy))
          throw fieldError('policy', sg.policy, `${pyRepr(sg.policy)} is not one of ${pyRepr([...GROUP_POLICIES])}`);
        policy = sg.policy as GroupPolicy;
      }
      if (Object.hasOwn(sg, 'rules')) rules = checkRules(sg.rules);
    } else if (Object.hasOwn(sg, 'policies')) {
      policy = checkPolicies(sg.policies, minor >= 15 ? GROUP_POLICIES : ['anti-affinity', 'affinity']);
    }
    const required = ['name', v264 ? 'policy' : 'policies'];
    for (const r of required)
      if (!Object.hasOwn(sg, r)) throw fieldError('server_group', sg, `${pyRepr(r)} is a required property`);
    const known = ['name', ...(v264 ? ['policy', 'rules'] : ['policies'])];
    const extras = Object.keys(sg).filter((k) => !known.includes(k));
    if (extras.length) throw fieldError('server_group', sg, extrasMessage(extras));
    const extraTop = Object.keys(body).filter((k) => k !== 'server_group');
    if (extraTop.length) throw invalid(extrasMessage(extraTop));
    return { name: sg.name as string, policy: policy!, rules };
  }
  throw invalid("'server_group' is a required property");
}

export interface ServerGroupQuery {
  allProjects: boolean;
  limit?: number;
  offset?: number;
}

/** The index query: every value of limit/offset must be a non-negative integer; the last counts (WebOb's GET[...]). */
export function parseServerGroupQuery(q: Query, minor: number): ServerGroupQuery {
  if (minor >= 75) {
    const extras = Object.keys(q).filter((k) => !['all_projects', 'limit', 'offset'].includes(k));
    if (extras.length) throw invalid(extrasMessage(extras));
  }
  const out: ServerGroupQuery = { allProjects: q.all_projects !== undefined };
  for (const key of ['limit', 'offset'] as const) {
    const raw = q[key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (!/^[0-9]*$/.test(v))
        throw invalid(`Invalid input for query parameters ${key}. Value: ${v}. ${pyRepr(v)} does not match '^[0-9]*$'`);
      if (v === '') throw invalid(`Invalid input for query parameters ${key}. Value: . '' should be non-empty`);
    }
    out[key] = Number(values[values.length - 1]);
  }
  return out;
}

const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * The `group` scheduler hint of server create (schemas/servers.py: a uuid, or a list of uuids,
 * oneOf). Returns the group asked for (the first of a list), undefined without one.
 */
export function parseGroupHint(hints: unknown): string | undefined {
  if (!isObject(hints) || !Object.hasOwn(hints, 'group')) return undefined;
  const g = hints.group;
  const ok =
    (typeof g === 'string' && UUID_LIKE.test(g)) ||
    (Array.isArray(g) && g.every((x) => typeof x === 'string' && UUID_LIKE.test(x)));
  if (!ok) throw fieldError('group', g, `${pyRepr(g)} is not valid under any of the given schemas`);
  const id = Array.isArray(g) ? g[0] : g;
  return id as string | undefined;
}
