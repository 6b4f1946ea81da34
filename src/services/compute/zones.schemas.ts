/** Bodies of os-aggregates, after nova/api/openstack/compute/schemas/aggregates.py. */

import { invalid } from '../../domain/errors.js';

const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?!\\s)[\\s\\S]*(?<!\\s)$' };
/** name_with_leading_trailing_spaces: at least one non-space character (the name is trimmed after). */
const spacedName = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' };
/** az_name: printable, no ':' (it separates zone:host in server create), no edge whitespace. */
const azName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?!\\s)[^:]*(?<!\\s)$' };
const zone = { anyOf: [azName, { type: 'null' }] };

export const createAggregate = {
  type: 'object',
  required: ['aggregate'],
  additionalProperties: false,
  properties: {
    aggregate: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name, availability_zone: zone },
    },
  },
};

export const updateAggregate = {
  type: 'object',
  required: ['aggregate'],
  additionalProperties: false,
  properties: {
    aggregate: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: { name: spacedName, availability_zone: zone },
    },
  },
};

const FQDN = /^[a-zA-Z0-9._-]*$/;
const META_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const show = (v: unknown) => JSON.stringify(v);

function fieldError(field: string, value: unknown, message: string) {
  return invalid(`Invalid input for field/attribute ${field}. Value: ${show(value)}. ${message}`);
}

function objectWith(action: string, value: unknown, key: string) {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fieldError(action, value, `${show(value)} is not of type 'object'`);
  const extra = Object.keys(value).filter((k) => k !== key);
  if (extra.length) throw invalid(`Additional properties are not allowed ('${extra[0]}' was unexpected)`);
  if (!(key in value)) throw invalid(`'${key}' is a required property`);
  return (value as Record<string, unknown>)[key];
}

/** `{"add_host": {"host": "<fqdn>"}}` (and remove_host): the host name. */
export function hostAction(action: 'add_host' | 'remove_host', value: unknown): string {
  const host = objectWith(action, value, 'host');
  if (typeof host !== 'string') throw fieldError('host', host, `${show(host)} is not of type 'string'`);
  if (host.length < 1) throw fieldError('host', host, `${show(host)} is too short`);
  if (host.length > 255) throw fieldError('host', host, `${show(host)} is too long`);
  if (!FQDN.test(host)) throw fieldError('host', host, `${show(host)} does not match '^[a-zA-Z0-9-._]*$'`);
  return host;
}

/** `{"set_metadata": {"metadata": {key: string|null}}}` (metadata_with_null). */
export function setMetadataAction(value: unknown): Record<string, string | null> {
  const meta = objectWith('set_metadata', value, 'metadata');
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw fieldError('metadata', meta, `${show(meta)} is not of type 'object'`);
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (!META_KEY.test(k)) throw invalid(`Additional properties are not allowed ('${k}' was unexpected)`);
    if (v !== null && typeof v !== 'string') throw fieldError(k, v, `${show(v)} is not of type 'string', 'null'`);
    if (typeof v === 'string' && v.length > 255) throw fieldError(k, v, `${show(v)} is too long`);
    out[k] = v as string | null;
  }
  return out;
}
