import type { Query } from '../../http/query.js';
import { invalid } from '../../domain/errors.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';

/**
 * Bodies and queries of /servers/{id}/os-volume_attachments, after nova/api/openstack/compute/
 * schemas/volume_attachments.py: `create` (volumeId, device), `create_v249` (+ tag),
 * `create_v279` (+ delete_on_termination), `update` (volumeId), `update_v285` (the GET view's
 * keys), the index query (limit/offset; unknown keys refused from 2.75). Messages as Nova's
 * jsonschema validator gives them.
 */

export interface AttachBody {
  volumeId: string;
  device: string | null;
  tag?: string;
  deleteOnTermination: boolean;
}
export interface UpdateBody {
  volumeId: string;
  id?: string;
  serverId?: string;
  device?: string | null;
  tag?: string;
  deleteOnTermination?: boolean;
}

const DEVICE_PATTERN = '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$';
const UUID_LIKE = /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i;
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const unexpected = (keys: string[]) =>
  `Additional properties are not allowed (${keys.map((k) => pyRepr(k)).join(', ')} ${keys.length > 1 ? 'were' : 'was'} unexpected)`;

function uuidField(field: string, v: unknown): string {
  if (typeof v !== 'string') throw fieldError(field, v, `${pyRepr(v)} is not of type 'string'`);
  if (!UUID_LIKE.test(v)) throw fieldError(field, v, `${pyRepr(v)} is not a 'uuid'`);
  return v;
}
function deviceField(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw fieldError('device', v, `${pyRepr(v)} is not of type 'string', 'null'`);
  if (!new RegExp(DEVICE_PATTERN).test(v))
    throw fieldError('device', v, `${pyRepr(v)} does not match '${DEVICE_PATTERN}'`);
  return v;
}
function tagField(t: unknown): string {
  if (typeof t !== 'string') throw fieldError('tag', t, `${pyRepr(t)} is not of type 'string'`);
  if ([...t].length < 1) throw fieldError('tag', t, `${pyRepr(t)} should be non-empty`);
  if ([...t].length > 60) throw fieldError('tag', t, `${pyRepr(t)} is too long`);
  if (/[,/]/.test(t)) throw fieldError('tag', t, `${pyRepr(t)} does not match '^[^,/]*$'`);
  return t;
}
/** parameter_types.boolean: a JSON boolean or one of oslo's boolean strings. */
function booleanField(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean' && typeof v !== 'string')
    throw fieldError(field, v, `${pyRepr(v)} is not of type 'boolean', 'string'`);
  if (!NOVA_BOOLEANS.includes(v)) throw fieldError(field, v, `${pyRepr(v)} is not one of ${pyRepr(NOVA_BOOLEANS)}`);
  return v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes'].includes(v.toLowerCase()));
}

function envelope(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const a = body.volumeAttachment;
  if (a === undefined) throw invalid("'volumeAttachment' is a required property");
  const extra = Object.keys(body).filter((k) => k !== 'volumeAttachment');
  if (!isObject(a)) throw fieldError('volumeAttachment', a, `${pyRepr(a)} is not of type 'object'`);
  if (extra.length) throw invalid(unexpected(extra));
  return a;
}

/** POST: `create` / `create_v249` / `create_v279`. */
export function parseAttachBody(body: unknown, minor: number): AttachBody {
  const a = envelope(body);
  const allowed = [
    'volumeId',
    'device',
    ...(minor >= 49 ? ['tag'] : []),
    ...(minor >= 79 ? ['delete_on_termination'] : []),
  ];
  if ('volumeId' in a) uuidField('volumeId', a.volumeId);
  if ('device' in a) deviceField(a.device);
  if (minor >= 49 && 'tag' in a) tagField(a.tag);
  if (minor >= 79 && 'delete_on_termination' in a) booleanField('delete_on_termination', a.delete_on_termination);
  if (!('volumeId' in a)) throw fieldError('volumeAttachment', a, "'volumeId' is a required property");
  const extra = Object.keys(a).filter((k) => !allowed.includes(k));
  if (extra.length) throw fieldError('volumeAttachment', a, unexpected(extra));
  return {
    volumeId: a.volumeId as string,
    device: 'device' in a ? (a.device as string | null) : null,
    tag: minor >= 49 && 'tag' in a ? (a.tag as string) : undefined,
    deleteOnTermination:
      minor >= 79 && 'delete_on_termination' in a
        ? booleanField('delete_on_termination', a.delete_on_termination)
        : false,
  };
}

/** PUT: `update` (volumeId only) before 2.85, `update_v285` from it. */
export function parseUpdateBody(body: unknown, minor: number): UpdateBody {
  const a = envelope(body);
  const allowed = minor >= 85 ? ['volumeId', 'device', 'tag', 'delete_on_termination', 'serverId', 'id'] : ['volumeId'];
  if ('volumeId' in a) uuidField('volumeId', a.volumeId);
  const out: UpdateBody = { volumeId: (a.volumeId as string) ?? '' };
  if (minor >= 85) {
    if ('device' in a) out.device = deviceField(a.device);
    if ('tag' in a) out.tag = tagField(a.tag);
    if ('delete_on_termination' in a)
      out.deleteOnTermination = booleanField('delete_on_termination', a.delete_on_termination);
    if ('serverId' in a) out.serverId = uuidField('serverId', a.serverId);
    if ('id' in a) out.id = uuidField('id', a.id);
  }
  if (!('volumeId' in a)) throw fieldError('volumeAttachment', a, "'volumeId' is a required property");
  const extra = Object.keys(a).filter((k) => !allowed.includes(k));
  if (extra.length) throw fieldError('volumeAttachment', a, unexpected(extra));
  return out;
}

/** The index query: limit/offset non-negative integers (the last value counts); other keys refused from 2.75. */
export function parseAttachmentsQuery(q: Query, minor: number): { limit?: number; offset?: number } {
  if (minor >= 75) {
    const extras = Object.keys(q).filter((k) => !['limit', 'offset'].includes(k));
    if (extras.length) throw invalid(unexpected(extras));
  }
  const out: { limit?: number; offset?: number } = {};
  for (const key of ['limit', 'offset'] as const) {
    const raw = q[key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (v === '') throw invalid(`Invalid input for query parameters ${key}. Value: . '' should be non-empty`);
      if (!/^[0-9]*$/.test(v))
        throw invalid(`Invalid input for query parameters ${key}. Value: ${v}. ${pyRepr(v)} does not match '^[0-9]*$'`);
    }
    out[key] = Number(values[values.length - 1]);
  }
  return out;
}
