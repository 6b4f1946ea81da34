/**
 * The body of the resize action (nova/api/openstack/compute/schemas/servers.py `resize`):
 * `{"resize": {"flavorRef": <string|integer>, "OS-DCF:diskConfig": "AUTO"|"MANUAL"}}`, no other
 * keys; confirmResize and revertResize take null (Nova's schema checks nothing there).
 * Messages as Nova's jsonschema validator words them.
 */
import { invalid } from '../../domain/errors.js';
import { pyRepr } from './nova-validation.js';

const bad = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyRepr(value)}. ${message}`);

export function parseResize(value: unknown): { flavorRef: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad('resize', value, `${pyRepr(value)} is not of type 'object'`);
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => k !== 'flavorRef' && k !== 'OS-DCF:diskConfig');
  if (extra.length > 0)
    throw bad(
      'resize',
      v,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  if (!('flavorRef' in v)) throw bad('resize', v, "'flavorRef' is a required property");
  const ref = v.flavorRef;
  if (typeof ref !== 'string' && !(typeof ref === 'number' && Number.isInteger(ref)))
    throw bad('flavorRef', ref, `${pyRepr(ref)} is not of type 'string', 'integer'`);
  if (typeof ref === 'string' && ref.length === 0) throw bad('flavorRef', ref, "'' is too short");
  const dc = v['OS-DCF:diskConfig'];
  if (dc !== undefined && dc !== 'AUTO' && dc !== 'MANUAL')
    throw bad('OS-DCF:diskConfig', dc, `${pyRepr(dc)} is not one of ['AUTO', 'MANUAL']`);
  return { flavorRef: String(ref) };
}
