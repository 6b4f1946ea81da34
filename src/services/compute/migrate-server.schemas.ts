/**
 * The bodies of migrate and os-migrateLive (nova/api/openstack/compute/schemas/migrate_server.py):
 * migrate is not validated before 2.56, then `null` or `{"host": <hostname>|null}`;
 * os-migrateLive needs block_migration, disk_over_commit (removed in 2.25) and host, takes
 * `"auto"` for block_migration from 2.25 and `force` from 2.30 to 2.67. Messages as Nova's
 * jsonschema validator words them.
 */
import { invalid } from '../../domain/errors.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';
import type { LiveMigrateRequest } from './migrate-server.js';

const bad = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyRepr(value)}. ${message}`);

function object(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad(field, value, `${pyRepr(value)} is not of type 'object'`);
  return value as Record<string, unknown>;
}

function onlyKeys(field: string, v: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length > 0)
    throw bad(
      field,
      v,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
}

/** parameter_types.fqdn with null allowed: 1 to 255 characters. */
function host(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw bad('host', value, `${pyRepr(value)} is not of type 'string', 'null'`);
  if (value.length === 0) throw bad('host', value, `${pyRepr(value)} is too short`);
  if (value.length > 255) throw bad('host', value, `${pyRepr(value)} is too long`);
  return value;
}

function bool(field: string, value: unknown, extra: string[] = []): boolean | 'auto' {
  const allowed: Array<boolean | string> = [...extra, ...NOVA_BOOLEANS];
  if (!allowed.includes(value as boolean | string))
    throw bad(field, value, `${pyRepr(value)} is not one of ${pyRepr(allowed)}`);
  if (value === 'auto') return 'auto';
  return NOVA_BOOLEANS.indexOf(value as boolean | string) < NOVA_BOOLEANS.indexOf(false);
}

/** The host a migrate asks for (2.56), or undefined. */
export function parseMigrate(value: unknown, mv56: boolean): string | undefined {
  if (!mv56 || value === null) return undefined;
  const v = object('migrate', value);
  onlyKeys('migrate', v, ['host']);
  return host(v.host ?? null) ?? undefined;
}

export function parseLiveMigrate(value: unknown, mv: { v25: boolean; v30: boolean; v68: boolean }): LiveMigrateRequest {
  const v = object('os-migrateLive', value);
  const keys = ['block_migration', 'host'];
  if (!mv.v25) keys.push('disk_over_commit');
  if (mv.v30 && !mv.v68) keys.push('force');
  onlyKeys('os-migrateLive', v, keys);
  for (const k of mv.v25 ? ['block_migration', 'host'] : ['block_migration', 'disk_over_commit', 'host'])
    if (!(k in v)) throw bad('os-migrateLive', v, `${pyRepr(k)} is a required property`);
  const blockMigration = bool('block_migration', v.block_migration, mv.v25 ? ['auto'] : []);
  if (!mv.v25) bool('disk_over_commit', v.disk_over_commit);
  const h = host(v.host);
  const force = v.force === undefined ? false : bool('force', v.force) === true;
  // migrate_server.py _get_force_param_for_live_migration
  if (force && !h) throw invalid("Can't force to a non-provided destination");
  return { host: h, blockMigration, force };
}
