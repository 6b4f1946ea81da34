/**
 * Request checks of the flavor APIs, after nova/api/openstack/compute/schemas/flavor_manage.py,
 * flavor_access.py, flavors_extraspecs.py and flavors.py (index_query), with the texts Nova's
 * validator gives ("Invalid input for field/attribute <field>. Value: <v>. <jsonschema message>").
 */
import { invalid } from '../../domain/errors.js';
import type { Query } from '../../http/query.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';

const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extras = (keys: string[]) =>
  `Additional properties are not allowed (${keys.map(pyRepr).join(', ')} ${keys.length > 1 ? 'were' : 'was'} unexpected)`;
const isNum = (v: unknown): v is number => typeof v === 'number';

/** db.MAX_INT and SQL_SP_FLOAT_MAX (nova/db/constants.py). */
const MAX_INT = 2147483647;
const FLOAT_MAX = 3.40282e38;

/** Nova's _is_printable over the BMP, and no whitespace at the edges (parameter_types.name, format 'name'). */
const PRINTABLE = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*$/u;
const EDGE = /^[\p{C}\p{Z}\u{10000}-\u{10FFFF}]$/u;
const ID_PATTERN = '^(?! )[a-zA-Z0-9. _-]+(?<! )$';
const ID_RE = /^(?! )[a-zA-Z0-9. _-]+(?<! )$/;
const INT_PATTERN = '^[0-9]*$';
const RXTX_PATTERN = '^[0-9]+(\\.[0-9]+)?$';
const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];

export interface CreateFlavorBody {
  name: string;
  id?: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtxFactor: number;
  isPublic: boolean;
  description: string | null;
}

function checkName(value: unknown): string {
  if (typeof value !== 'string') throw fieldError('name', value, `${pyRepr(value)} is not of type 'string'`);
  const chars = [...value];
  if (!PRINTABLE.test(value) || (chars.length > 0 && (EDGE.test(chars[0]) || EDGE.test(chars[chars.length - 1]))))
    throw invalid(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
  if (chars.length < 1) throw fieldError('name', value, `${pyRepr(value)} should be non-empty`);
  if (chars.length > 255) throw fieldError('name', value, `${pyRepr(value)} is too long`);
  return value;
}

/** flavor_param_positive / _non_negative: an integer, or a string of digits; then flavors.create's validate_integer. */
function checkCount(field: string, value: unknown, min: number, label = field): number {
  if (!(typeof value === 'string' || (isNum(value) && Number.isInteger(value))))
    throw fieldError(field, value, `${pyRepr(value)} is not of type 'integer', 'string'`);
  if (typeof value === 'string') {
    if (!/^[0-9]*$/.test(value)) throw fieldError(field, value, `${pyRepr(value)} does not match '${INT_PATTERN}'`);
  } else {
    if (value < min) throw fieldError(field, value, `${value} is less than the minimum of ${min}`);
    if (value > MAX_INT) throw fieldError(field, value, `${value} is greater than the maximum of ${MAX_INT}`);
  }
  // nova.utils.validate_integer (InvalidInput).
  if (value === '') throw invalid(`Invalid input received: ${label} must be an integer`);
  const n = Number(value);
  if (n < min) throw invalid(`Invalid input received: ${label} must be >= ${min}`);
  if (n > MAX_INT) throw invalid(`Invalid input received: ${label} must be <= ${MAX_INT}`);
  return n;
}

function checkRxtx(value: unknown): number {
  if (!(typeof value === 'string' || isNum(value)))
    throw fieldError('rxtx_factor', value, `${pyRepr(value)} is not of type 'number', 'string'`);
  if (typeof value === 'string') {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(value))
      throw fieldError(
        'rxtx_factor',
        value,
        `${pyRepr(value)} does not match '${RXTX_PATTERN.replace(/\\/g, '\\\\')}'`,
      );
  } else {
    if (value <= 0) throw fieldError('rxtx_factor', value, `${value} is less than or equal to the minimum of 0`);
    if (value > FLOAT_MAX)
      throw fieldError('rxtx_factor', value, `${value} is greater than the maximum of 3.40282e+38`);
  }
  const n = Number(value);
  if (n <= 0 || n > FLOAT_MAX)
    throw invalid("Invalid input received: 'rxtx_factor' argument must be a float between 0 and 3.40282e+38");
  return n;
}

function checkBoolean(field: string, value: unknown): boolean {
  if (!(typeof value === 'string' || typeof value === 'boolean'))
    throw fieldError(field, value, `${pyRepr(value)} is not of type 'boolean', 'string'`);
  if (!NOVA_BOOLEANS.includes(value))
    throw fieldError(field, value, `${pyRepr(value)} is not one of ${pyRepr(NOVA_BOOLEANS)}`);
  return typeof value === 'boolean' ? value : TRUE_STRINGS.includes(value.toLowerCase());
}

/** flavor_description (2.55): a string of printable characters (whitespace allowed) up to 65535, or null. */
function checkDescription(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string')
    throw fieldError('description', value, `${pyRepr(value)} is not of type 'string', 'null'`);
  if ([...value].length > 65535) throw fieldError('description', value, `${pyRepr(value)} is too long`);
  // valid_description_regex: printable characters (_is_printable) and whitespace.
  if (!/^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]*$/u.test(value.replace(/\s/g, '')))
    throw fieldError('description', value, `${pyRepr(value)} does not match the printable characters pattern`);
  return value;
}

function wrapper(body: unknown, key: string): Record<string, unknown> {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  return body;
}

function topLevelDone(body: Record<string, unknown>, key: string): void {
  if (!Object.hasOwn(body, key)) throw invalid(`${pyRepr(key)} is a required property`);
  const extra = Object.keys(body).filter((k) => k !== key);
  if (extra.length) throw invalid(extras(extra.sort()));
}

/** POST /flavors (create, plus description from 2.55). */
export function parseCreateFlavor(body: unknown, minor: number): CreateFlavorBody {
  const b = wrapper(body, 'flavor');
  const f = b.flavor;
  if (Object.hasOwn(b, 'flavor') && !isObject(f)) throw fieldError('flavor', f, `${pyRepr(f)} is not of type 'object'`);
  topLevelDone(b, 'flavor');
  const v = f as Record<string, unknown>;
  const known = [
    'name',
    'id',
    'ram',
    'vcpus',
    'disk',
    'OS-FLV-EXT-DATA:ephemeral',
    'swap',
    'rxtx_factor',
    'os-flavor-access:is_public',
    ...(minor >= 55 ? ['description'] : []),
  ];
  // jsonschema order: properties, then required, then additionalProperties.
  const name = Object.hasOwn(v, 'name') ? checkName(v.name) : undefined;
  let id: string | undefined;
  if (Object.hasOwn(v, 'id') && v.id !== null) {
    const raw = v.id;
    if (typeof raw === 'string') {
      if (raw.length < 1) throw fieldError('id', raw, `${pyRepr(raw)} should be non-empty`);
      if ([...raw].length > 255) throw fieldError('id', raw, `${pyRepr(raw)} is too long`);
      if (!ID_RE.test(raw)) throw fieldError('id', raw, `${pyRepr(raw)} does not match '${ID_PATTERN}'`);
      id = raw;
    } else if (isNum(raw)) id = String(raw);
    else throw fieldError('id', raw, `${pyRepr(raw)} is not of type 'string', 'number', 'null'`);
  }
  const ram = Object.hasOwn(v, 'ram') ? checkCount('ram', v.ram, 1) : undefined;
  const vcpus = Object.hasOwn(v, 'vcpus') ? checkCount('vcpus', v.vcpus, 1) : undefined;
  const disk = Object.hasOwn(v, 'disk') ? checkCount('disk', v.disk, 0) : undefined;
  const eph = 'OS-FLV-EXT-DATA:ephemeral';
  const ephemeral = Object.hasOwn(v, eph) ? checkCount(eph, v[eph], 0, 'ephemeral') : 0;
  const swap = Object.hasOwn(v, 'swap') ? checkCount('swap', v.swap, 0) : 0;
  const rxtxFactor = Object.hasOwn(v, 'rxtx_factor') ? checkRxtx(v.rxtx_factor) : 1;
  const pub = 'os-flavor-access:is_public';
  const isPublic = Object.hasOwn(v, pub) ? checkBoolean(pub, v[pub]) : true;
  const description = minor >= 55 && Object.hasOwn(v, 'description') ? checkDescription(v.description) : null;
  for (const r of ['name', 'ram', 'vcpus', 'disk'])
    if (!Object.hasOwn(v, r)) throw fieldError('flavor', v, `${pyRepr(r)} is a required property`);
  const extra = Object.keys(v).filter((k) => !known.includes(k));
  if (extra.length) throw fieldError('flavor', v, extras(extra.sort()));
  return {
    // flavors.create strips the name (the 2.1 schema already refuses edge whitespace).
    name: (name as string).trim(),
    id,
    ram: ram as number,
    vcpus: vcpus as number,
    disk: disk as number,
    ephemeral,
    swap,
    rxtxFactor,
    isPublic,
    description,
  };
}

/** PUT /flavors/{id} (2.55): `{"flavor": {"description": ...}}`, required and alone. */
export function parseUpdateFlavor(body: unknown): string | null {
  const b = wrapper(body, 'flavor');
  const f = b.flavor;
  if (Object.hasOwn(b, 'flavor') && !isObject(f)) throw fieldError('flavor', f, `${pyRepr(f)} is not of type 'object'`);
  topLevelDone(b, 'flavor');
  const v = f as Record<string, unknown>;
  const description = Object.hasOwn(v, 'description') ? checkDescription(v.description) : undefined;
  if (description === undefined) throw fieldError('flavor', v, "'description' is a required property");
  const extra = Object.keys(v).filter((k) => k !== 'description');
  if (extra.length) throw fieldError('flavor', v, extras(extra.sort()));
  return description;
}

/** addTenantAccess / removeTenantAccess: `{"tenant": "<project id>"}` (other keys are allowed). */
export function parseTenantAction(action: string, value: unknown): string {
  if (!isObject(value)) throw fieldError(action, value, `${pyRepr(value)} is not of type 'object'`);
  const t = value.tenant;
  if (Object.hasOwn(value, 'tenant')) {
    if (typeof t !== 'string') throw fieldError('tenant', t, `${pyRepr(t)} is not of type 'string'`);
    if (t.length < 1) throw fieldError('tenant', t, `${pyRepr(t)} should be non-empty`);
    if ([...t].length > 255) throw fieldError('tenant', t, `${pyRepr(t)} is too long`);
  } else throw fieldError(action, value, "'tenant' is a required property");
  return t;
}

/** parameter_types.metadata with number values allowed (flavors_extraspecs.py). */
const SPEC_KEY_PATTERN = '^[a-zA-Z0-9-_:. ]{1,255}$';
const SPEC_KEY_RE = /^[a-zA-Z0-9_:. -]{1,255}$/;

function specsObject(field: string | undefined, value: unknown, one: boolean): Record<string, string> {
  const err = (message: string) => (field ? fieldError(field, value, message) : invalid(message));
  if (!isObject(value)) throw err(`${pyRepr(value ?? null)} is not of type 'object'`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!SPEC_KEY_RE.test(k)) continue;
    if (typeof v !== 'string' && !isNum(v)) throw fieldError(k, v, `${pyRepr(v)} is not of type 'string', 'number'`);
    if (typeof v === 'string' && [...v].length > 255) throw fieldError(k, v, `${pyRepr(v)} is too long`);
    // _check_extra_specs_value: a number's text is held to 255 too, and stored as a string.
    const s = String(v);
    if (isNum(v) && s.length > 255)
      throw invalid('Invalid input received: extra_specs value has more than 255 characters.');
    out[k] = s;
  }
  const bad = Object.keys(value)
    .filter((k) => !SPEC_KEY_RE.test(k))
    .sort();
  if (bad.length)
    throw err(
      `${bad.map(pyRepr).join(', ')} ${bad.length === 1 ? 'does' : 'do'} not match any of the regexes: ${pyRepr(SPEC_KEY_PATTERN)}`,
    );
  const n = Object.keys(value).length;
  if (one && n < 1) throw err(`${pyRepr(value)} should be non-empty`);
  if (one && n > 1) throw err(`${pyRepr(value)} has too many properties`);
  return out;
}

/** POST /flavors/{id}/os-extra_specs: `{"extra_specs": {...}}`. */
export function parseExtraSpecsBody(body: unknown): Record<string, string> {
  const b = wrapper(body, 'extra_specs');
  const specs = Object.hasOwn(b, 'extra_specs') ? specsObject('extra_specs', b.extra_specs, false) : undefined;
  topLevelDone(b, 'extra_specs');
  return specs as Record<string, string>;
}

/** PUT /flavors/{id}/os-extra_specs/{key}: `{"<key>": "<value>"}`, exactly one item. */
export function parseExtraSpecItem(body: unknown): Record<string, string> {
  return specsObject(undefined, body, true);
}

export const FLAVOR_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
] as const;
export type FlavorSortKey = (typeof FLAVOR_SORT_KEYS)[number];
const SORT_DIRS = ['asc', 'desc', 'ASC', 'DESC'];

export interface FlavorListQuery {
  limit?: number;
  marker?: string;
  isPublic?: string;
  minRam?: string;
  minDisk?: string;
  sortKey?: FlavorSortKey;
  sortDir?: 'asc' | 'desc';
}

/** flavors.py index_query (2.75: no other parameter). Values are read last-wins, as WebOb's params. */
export function parseFlavorListQuery(q: Query, minor: number): FlavorListQuery {
  const known = ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir'];
  if (minor >= 75) {
    const extra = Object.keys(q).filter((k) => !known.includes(k));
    if (extra.length) throw invalid(extras(extra.sort()));
  }
  const last = (k: string) => {
    const v = q[k];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const qError = (name: string, value: string, message: string) =>
    invalid(`Invalid input for query parameters ${name}. Value: ${value}. ${message}`);
  const out: FlavorListQuery = {};
  const limit = last('limit');
  if (limit !== undefined) {
    if (limit === '') throw qError('limit', limit, "'' should be non-empty");
    if (!/^[0-9]+$/.test(limit)) throw qError('limit', limit, `${pyRepr(limit)} does not match '^[0-9]*$'`);
    out.limit = Number(limit);
  }
  out.marker = last('marker');
  out.isPublic = last('is_public');
  out.minRam = last('minRam');
  out.minDisk = last('minDisk');
  const sk = last('sort_key');
  if (sk !== undefined) {
    if (!(FLAVOR_SORT_KEYS as readonly string[]).includes(sk))
      throw qError('sort_key', sk, `${pyRepr(sk)} is not one of ${pyRepr([...FLAVOR_SORT_KEYS])}`);
    out.sortKey = sk as FlavorSortKey;
  }
  const sd = last('sort_dir');
  if (sd !== undefined) {
    if (!SORT_DIRS.includes(sd)) throw qError('sort_dir', sd, `${pyRepr(sd)} is not one of ${pyRepr(SORT_DIRS)}`);
    out.sortDir = sd.toLowerCase() as 'asc' | 'desc';
  }
  return out;
}
