/**
 * Request checks of the unshelve and createBackup actions, after
 * nova/api/openstack/compute/schemas/shelve.py (unshelve_v277, unshelve_v291) and
 * schemas/create_backup.py: checked by hand, in the order jsonschema meets the keywords, with
 * the messages Nova's validator gives.
 */
import { invalid } from '../../domain/errors.js';
import { atLeast, type Microversion } from '../../http/microversion.js';
import { pyRepr } from './nova-validation.js';
import type { UnshelveInput } from './unshelve.js';

const printed = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${printed(value)}. ${message}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const extrasMessage = (extras: string[]) =>
  `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`;

/** Nova's _is_printable over the BMP, and no whitespace at either end (format 'name'). */
const PRINTABLE = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*$/u;
const EDGE = /^[\p{C}\p{Z}\u{10000}-\u{10FFFF}]$/u;

/** parameter_types.name: type, minLength, maxLength, then the name format. */
function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw fieldError(field, value, `${pyRepr(value)} is not of type 'string'`);
  const chars = [...value];
  if (chars.length < 1) throw fieldError(field, value, `${pyRepr(value)} should be non-empty`);
  if (chars.length > 255) throw fieldError(field, value, `${pyRepr(value)} is too long`);
  if (!PRINTABLE.test(value) || EDGE.test(chars[0]) || EDGE.test(chars[chars.length - 1]))
    throw invalid(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
  return value;
}

/**
 * The unshelve body per microversion: before 2.77 not validated (Nova: body may be null);
 * 2.77–2.90 null or {availability_zone: name} exactly; from 2.91 null or an object of
 * availability_zone (string or null) and host (string), anything else "not valid under any
 * of the given schemas" (the oneOf).
 */
export function parseUnshelve(mv: Microversion, value: unknown): UnshelveInput {
  if (!atLeast(mv, 77)) return {};
  if (!atLeast(mv, 91)) {
    if (value === null) return {};
    if (!isObject(value)) throw fieldError('unshelve', value, `${pyRepr(value)} is not of type 'object', 'null'`);
    if (Object.hasOwn(value, 'availability_zone')) checkName('availability_zone', value.availability_zone);
    if (!Object.hasOwn(value, 'availability_zone'))
      throw fieldError('unshelve', value, "'availability_zone' is a required property");
    const extras = Object.keys(value).filter((k) => k !== 'availability_zone');
    if (extras.length) throw fieldError('unshelve', value, extrasMessage(extras));
    return { zone: value.availability_zone as string };
  }
  if (value === null) return {};
  const ok =
    isObject(value) &&
    Object.keys(value).every((k) => k === 'availability_zone' || k === 'host') &&
    (!Object.hasOwn(value, 'availability_zone') ||
      value.availability_zone === null ||
      typeof value.availability_zone === 'string') &&
    (!Object.hasOwn(value, 'host') || typeof value.host === 'string');
  if (!ok) throw fieldError('unshelve', value, `${pyRepr(value)} is not valid under any of the given schemas`);
  const v = value as { availability_zone?: string | null; host?: string };
  const out: UnshelveInput = {};
  if (Object.hasOwn(v, 'availability_zone')) out.zone = v.availability_zone;
  // Nova: an empty host is no host (API.unshelve tests `if host`).
  if (v.host) out.host = v.host;
  return out;
}

export interface CreateBackupInput {
  name: string;
  backupType: string;
  rotation: number;
  metadata: Record<string, string>;
}

/** parameter_types.non_negative_integer: an integer or a string of digits, at least 0. */
function checkRotation(value: unknown): number {
  const isInt = typeof value === 'number' && Number.isInteger(value);
  if (!isInt && typeof value !== 'string')
    throw fieldError('rotation', value, `${pyRepr(value)} is not of type 'integer', 'string'`);
  if (typeof value === 'string') {
    if (!/^[0-9]*$/.test(value)) throw fieldError('rotation', value, `${pyRepr(value)} does not match '^[0-9]*$'`);
    if (value === '') throw fieldError('rotation', value, "'' should be non-empty");
    return Number(value);
  }
  if ((value as number) < 0) throw fieldError('rotation', value, `${value} is less than the minimum of 0`);
  return value as number;
}

/** parameter_types.metadata: an object of keys matching the pattern, string values up to 255. */
function checkMetadata(value: unknown): Record<string, string> {
  if (!isObject(value)) throw fieldError('metadata', value, `${pyRepr(value)} is not of type 'object'`);
  const key = /^[a-zA-Z0-9-_:. ]{1,255}$/;
  for (const [k, v] of Object.entries(value)) {
    if (!key.test(k)) continue;
    if (typeof v !== 'string') throw fieldError(k, v, `${pyRepr(v)} is not of type 'string'`);
    if (v.length > 255) throw fieldError(k, v, `${pyRepr(v)} is too long`);
  }
  const bad = Object.keys(value).filter((k) => !key.test(k));
  if (bad.length)
    throw fieldError(
      'metadata',
      value,
      `${bad.map(pyRepr).join(', ')} ${bad.length === 1 ? 'does' : 'do'} not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`,
    );
  return value as Record<string, string>;
}

/** schemas/create_backup.py create_backup: name, backup_type, rotation required; metadata; nothing else. */
export function parseCreateBackup(value: unknown): CreateBackupInput {
  if (!isObject(value)) throw fieldError('createBackup', value, `${pyRepr(value)} is not of type 'object'`);
  const has = (k: string) => Object.hasOwn(value, k);
  const name = has('name') ? checkName('name', value.name) : undefined;
  if (has('backup_type') && typeof value.backup_type !== 'string')
    throw fieldError('backup_type', value.backup_type, `${pyRepr(value.backup_type)} is not of type 'string'`);
  const rotation = has('rotation') ? checkRotation(value.rotation) : undefined;
  const metadata = has('metadata') ? checkMetadata(value.metadata) : {};
  for (const k of ['name', 'backup_type', 'rotation'])
    if (!has(k)) throw fieldError('createBackup', value, `'${k}' is a required property`);
  const extras = Object.keys(value).filter((k) => !['name', 'backup_type', 'rotation', 'metadata'].includes(k));
  if (extras.length) throw fieldError('createBackup', value, extrasMessage(extras));
  return { name: name!, backupType: value.backup_type as string, rotation: rotation!, metadata };
}
