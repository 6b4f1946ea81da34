import { HttpFault } from '../../http/fault-mapper.js';
import type { Query } from '../../http/query.js';
import type { CreateVolumeInput, VolumeListQuery } from './volumes.js';

/**
 * Body and query parsers for the volume API with the messages of Cinder's validation
 * (cinder/api/validation/validators.py: required and additionalProperties errors verbatim,
 * others "Invalid input for field/attribute <path>. Value: <value>. <reason>").
 */
const bad = (msg: string) => new HttpFault(400, 'badRequest', msg);
const py = (v: unknown): string =>
  v === null ? 'None' : v === true ? 'True' : v === false ? 'False' : typeof v === 'string' ? v : JSON.stringify(v);
const field = (path: string, value: unknown, reason: string) =>
  bad(`Invalid input for field/attribute ${path}. Value: ${py(value)}. ${reason}`);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function requireKey(body: unknown, key: string): Record<string, unknown> {
  if (!isObj(body)) throw bad(`'${key}' is a required property`);
  if (!(key in body)) throw bad(`'${key}' is a required property`);
  const v = body[key];
  if (!isObj(v)) throw field(key, v, `${py(v)} is not of type 'object'`);
  return v;
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) throw bad(`Additional properties are not allowed ('${k}' was unexpected)`);
}

/** Cinder's name/description formats: strings up to 255 characters, null allowed, surrounding blanks removed. */
function text(obj: Record<string, unknown>, key: string, max = 255): string | null | undefined {
  if (!(key in obj)) return undefined;
  const v = obj[key];
  if (v === null) return null;
  if (typeof v !== 'string') throw field(key, v, `${py(v)} is not of type 'string', 'null'`);
  const t = v.trim();
  if (t.length > max) throw field(key, v, `'${v}' is too long`);
  return t;
}

function metadata(obj: Record<string, unknown>, key: string): Record<string, string> | undefined {
  if (!(key in obj) || obj[key] === null) return undefined;
  const v = obj[key];
  if (!isObj(v)) throw field(key, v, `${py(v)} is not of type 'object'`);
  for (const [k, x] of Object.entries(v)) {
    if (k.length < 1 || k.length > 255)
      throw field(`${key}`, v, `'${k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'`);
    if (typeof x !== 'string') throw field(`${key}/${k}`, x, `${py(x)} is not of type 'string'`);
    if (x.length > 255) throw field(`${key}/${k}`, x, `'${x}' is too long`);
  }
  return v as Record<string, string>;
}

function optionalUuid(obj: Record<string, unknown>, key: string): string | null | undefined {
  if (!(key in obj) || obj[key] === null) return obj[key] === null ? null : undefined;
  const v = obj[key];
  if (typeof v !== 'string') throw field(key, v, `${py(v)} is not of type 'string', 'null'`);
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v))
    throw field(key, v, `'${v}' is not a 'uuid'`);
  return v;
}

/** A positive integer, or a string of one (cinderclient sends strings); null allowed where noted. */
function size(obj: Record<string, unknown>, key: string, nullable: boolean): number | null | undefined {
  if (!(key in obj)) return undefined;
  const v = obj[key];
  if (v === null && nullable) return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) throw field(key, v, `${py(v)} is not valid under any of the given schemas`);
  if (n < 1) throw field(key, v, `${py(v)} is less than the minimum of 1`);
  if (n > 2147483647) throw field(key, v, `${py(v)} is greater than the maximum of 2147483647`);
  return n;
}

export function parseCreateVolume(body: unknown, mv: number): CreateVolumeInput {
  if (isObj(body)) onlyKeys(body, ['volume', 'OS-SCH-HNT:scheduler_hints']);
  const v = requireKey(body, 'volume');
  // 3.53: the volume body has additionalProperties false (before, unknown keys are ignored).
  if (mv >= 53)
    onlyKeys(v, [
      'name',
      'description',
      'display_name',
      'display_description',
      'volume_type',
      'metadata',
      'snapshot_id',
      'source_volid',
      'consistencygroup_id',
      'size',
      'availability_zone',
      'multiattach',
      'image_id',
      'imageRef',
      'group_id',
      'backup_id',
    ]);
  if ('multiattach' in v && v.multiattach !== null && typeof v.multiattach !== 'boolean')
    throw field('multiattach', v.multiattach, `${py(v.multiattach)} is not of type 'boolean'`);
  // Cinder: the multiattach flag is gone; multiattach comes from the volume type.
  if (v.multiattach === true)
    throw bad(
      'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.',
    );
  const imageRef = (() => {
    for (const k of ['imageRef', 'image_id']) {
      if (!(k in v) || v[k] === null) continue;
      const x = v[k];
      if (typeof x !== 'string') throw field(k, x, `${py(x)} is not of type 'string', 'null'`);
      if (x.length > 255) throw field(k, x, `'${x}' is too long`);
      return x;
    }
    return null;
  })();
  const volumeType = text(v, 'volume_type');
  const az = 'availability_zone' in v ? v.availability_zone : undefined;
  if (az !== undefined && az !== null && (typeof az !== 'string' || az.length > 255))
    throw field('availability_zone', az, `${py(az)} is not of type 'string', 'null'`);
  const sz = size(v, 'size', true) ?? null;
  const snapshotId = optionalUuid(v, 'snapshot_id') ?? null;
  const sourceVolid = optionalUuid(v, 'source_volid') ?? null;
  if (sz === null && !snapshotId && !sourceVolid && !imageRef)
    throw bad(
      'Invalid input received: Invalid volume size provided for create request: None (size argument must be an integer (or string representation of an integer) and greater than zero).',
    );
  return {
    size: sz,
    name: text(v, 'name') ?? text(v, 'display_name') ?? null,
    description: text(v, 'description') ?? text(v, 'display_description') ?? null,
    volumeType: volumeType ?? null,
    metadata: metadata(v, 'metadata') ?? {},
    availabilityZone: (az as string | null | undefined) ?? null,
    snapshotId,
    sourceVolid,
    imageRef,
  };
}

export function parseUpdateVolume(body: unknown, mv: number) {
  if (isObj(body)) onlyKeys(body, ['volume']);
  const v = requireKey(body, 'volume');
  onlyKeys(v, ['name', 'description', 'display_name', 'display_description', 'metadata']);
  if (mv >= 53 && Object.keys(v).length === 0) throw bad(`${py(v)} is not valid under any of the given schemas`);
  return {
    name: text(v, 'name') ?? text(v, 'display_name'),
    description: text(v, 'description') ?? text(v, 'display_description'),
    metadata: metadata(v, 'metadata'),
  };
}

const ONE = (q: Query, k: string): string | undefined => {
  const v = q[k];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

function limitOf(q: Query): number | undefined {
  const l = ONE(q, 'limit');
  if (l === undefined) return undefined;
  if (!/^-?\d+$/.test(l)) throw bad('Invalid input received: limit param must be an integer');
  const n = Number(l);
  if (n < 0) throw bad('Invalid input received: limit param must be positive');
  return n;
}

function boolOf(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw bad(`Invalid input received: Invalid value '${v}' for ${name}`);
}

/** GET /volumes(/detail) query: Cinder's filters, sort (sort=key:dir,… or sort_key/sort_dir), paging. */
export function parseVolumeListQuery(q: Query): VolumeListQuery & { withCount: boolean } {
  const sort: VolumeListQuery['sort'] = [];
  const s = ONE(q, 'sort');
  const dirOf = (d: string | undefined) => {
    const x = (d ?? 'desc').toLowerCase();
    if (x !== 'asc' && x !== 'desc')
      throw bad(`Invalid input received: Unknown sort direction, must be 'desc' or 'asc'`);
    return x as 'asc' | 'desc';
  };
  if (s !== undefined) {
    for (const part of s.split(',')) {
      const [k, d] = part.trim().split(':');
      sort.push({ key: k, dir: dirOf(d) });
    }
  } else if (ONE(q, 'sort_key') !== undefined)
    sort.push({ key: ONE(q, 'sort_key') as string, dir: dirOf(ONE(q, 'sort_dir')) });
  let metadata: Record<string, string> | undefined;
  const m = ONE(q, 'metadata');
  if (m !== undefined) {
    try {
      // Cinder reads metadata as a Python literal ({'k': 'v'}); JSON with single quotes swapped.
      const parsed = JSON.parse(m.replace(/'/g, '"'));
      if (!isObj(parsed)) throw new Error('not a dict');
      metadata = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      throw bad(`Invalid input received: Invalid filter metadata=${m}`);
    }
  }
  const offset = ONE(q, 'offset');
  if (offset !== undefined && !/^\d+$/.test(offset))
    throw bad('Invalid input received: offset param must be an integer');
  return {
    allTenants: boolOf(ONE(q, 'all_tenants'), 'all_tenants') ?? false,
    projectId: ONE(q, 'project_id'),
    name: ONE(q, 'name') ?? ONE(q, 'display_name'),
    status: ONE(q, 'status'),
    availabilityZone: ONE(q, 'availability_zone'),
    bootable: boolOf(ONE(q, 'bootable'), 'bootable'),
    metadata,
    limit: limitOf(q),
    marker: ONE(q, 'marker'),
    offset: offset === undefined ? undefined : Number(offset),
    sort,
    withCount: boolOf(ONE(q, 'with_count'), 'with_count') ?? false,
  };
}

export function parseSnapshotListQuery(q: Query) {
  return {
    allTenants: boolOf(ONE(q, 'all_tenants'), 'all_tenants') ?? false,
    volumeId: ONE(q, 'volume_id'),
    status: ONE(q, 'status'),
    name: ONE(q, 'name'),
    limit: limitOf(q),
    marker: ONE(q, 'marker'),
  };
}

export function parseAttachmentListQuery(q: Query) {
  return {
    allTenants: boolOf(ONE(q, 'all_tenants'), 'all_tenants') ?? false,
    volumeId: ONE(q, 'volume_id'),
    instanceId: ONE(q, 'instance_id'),
    status: ONE(q, 'status'),
  };
}

export function parseCreateSnapshot(body: unknown) {
  if (isObj(body)) onlyKeys(body, ['snapshot']);
  const s = requireKey(body, 'snapshot');
  if (!('volume_id' in s)) throw bad("'volume_id' is a required property");
  const volumeId = optionalUuid(s, 'volume_id');
  if (!volumeId) throw field('volume_id', s.volume_id, `${py(s.volume_id)} is not of type 'string'`);
  let force = false;
  if ('force' in s) {
    const f = s.force;
    const b = typeof f === 'boolean' ? f : typeof f === 'string' ? boolOf(f, 'force') : undefined;
    if (b === undefined) throw field('force', f, `${py(f)} is not valid under any of the given schemas`);
    force = b;
  }
  return {
    volumeId,
    name: text(s, 'name') ?? text(s, 'display_name') ?? null,
    description: text(s, 'description') ?? text(s, 'display_description') ?? null,
    force,
    metadata: metadata(s, 'metadata') ?? {},
  };
}

export function parseUpdateSnapshot(body: unknown) {
  if (isObj(body)) onlyKeys(body, ['snapshot']);
  const s = requireKey(body, 'snapshot');
  onlyKeys(s, ['name', 'description', 'display_name', 'display_description']);
  return {
    name: text(s, 'name') ?? text(s, 'display_name'),
    description: text(s, 'description') ?? text(s, 'display_description'),
  };
}

export function parseCreateType(body: unknown) {
  if (isObj(body)) onlyKeys(body, ['volume_type']);
  const t = requireKey(body, 'volume_type');
  onlyKeys(t, ['name', 'description', 'extra_specs', 'os-volume-type-access:is_public', 'is_public']);
  if (!('name' in t)) throw bad("'name' is a required property");
  const name = text(t, 'name');
  if (!name) throw field('name', t.name, `${py(t.name)} is too short`);
  let isPublic = true;
  for (const k of ['os-volume-type-access:is_public', 'is_public']) {
    if (!(k in t)) continue;
    const v = t[k];
    const b = typeof v === 'boolean' ? v : typeof v === 'string' ? boolOf(v, k) : undefined;
    if (b === undefined) throw field(k, v, `${py(v)} is not valid under any of the given schemas`);
    isPublic = b;
  }
  return { name, description: text(t, 'description'), isPublic, extraSpecs: metadata(t, 'extra_specs') ?? {} };
}

export function parseAttachmentCreate(body: unknown, mv: number) {
  if (isObj(body)) onlyKeys(body, ['attachment']);
  const a = requireKey(body, 'attachment');
  onlyKeys(
    a,
    mv >= 54 ? ['volume_uuid', 'instance_uuid', 'connector', 'mode'] : ['volume_uuid', 'instance_uuid', 'connector'],
  );
  if (!('volume_uuid' in a)) throw bad("'volume_uuid' is a required property");
  const volumeId = optionalUuid(a, 'volume_uuid');
  if (!volumeId) throw field('volume_uuid', a.volume_uuid, `${py(a.volume_uuid)} is not of type 'string'`);
  const instanceUuid = optionalUuid(a, 'instance_uuid') ?? null;
  const connector = 'connector' in a ? a.connector : null;
  if (connector !== null && !isObj(connector))
    throw field('connector', connector, `${py(connector)} is not of type 'object', 'null'`);
  let mode: string | undefined;
  if ('mode' in a) {
    if (a.mode !== 'rw' && a.mode !== 'ro') throw field('mode', a.mode, `${py(a.mode)} is not one of ['rw', 'ro']`);
    mode = a.mode;
  }
  return { volumeId, instanceUuid, connector: connector as Record<string, unknown> | null, mode };
}

export function parseAttachmentUpdate(body: unknown) {
  if (isObj(body)) onlyKeys(body, ['attachment']);
  const a = requireKey(body, 'attachment');
  onlyKeys(a, ['connector']);
  if (!('connector' in a)) throw bad("'connector' is a required property");
  if (!isObj(a.connector)) throw field('connector', a.connector, `${py(a.connector)} is not of type 'object'`);
  return a.connector;
}

/** The one key of an action body; its value checked by the caller. */
export function actionOf(body: unknown): [string, unknown] {
  if (!isObj(body) || Object.keys(body).length !== 1) throw bad('Malformed request body');
  const [k] = Object.keys(body);
  return [k, body[k]];
}

export function parseExtend(v: unknown): number {
  if (!isObj(v)) throw field('os-extend', v, `${py(v)} is not of type 'object'`);
  onlyKeys(v, ['new_size']);
  if (!('new_size' in v)) throw bad("'new_size' is a required property");
  return size(v, 'new_size', false) as number;
}

export function parseBoolField(v: unknown, action: string, key: string): boolean {
  if (!isObj(v)) throw field(action, v, `${py(v)} is not of type 'object'`);
  if (!(key in v)) throw bad(`'${key}' is a required property`);
  const x = v[key];
  const b =
    typeof x === 'boolean'
      ? x
      : typeof x === 'string'
        ? (() => {
            try {
              return boolOf(x, key);
            } catch {
              return undefined;
            }
          })()
        : undefined;
  if (b === undefined) throw field(key, x, `${py(x)} is not valid under any of the given schemas`);
  return b;
}

export function parseResetStatus(v: unknown) {
  if (!isObj(v)) throw field('os-reset_status', v, `${py(v)} is not of type 'object'`);
  onlyKeys(v, ['status', 'attach_status', 'migration_status']);
  for (const k of ['status', 'attach_status', 'migration_status'])
    if (k in v && typeof v[k] !== 'string') throw field(k, v[k], `${py(v[k])} is not of type 'string'`);
  return v as { status?: string; attach_status?: string; migration_status?: string };
}

export function parseQuotaSet(body: unknown): Record<string, unknown> {
  if (isObj(body)) onlyKeys(body, ['quota_set']);
  return requireKey(body, 'quota_set');
}

export const isObject = isObj;
