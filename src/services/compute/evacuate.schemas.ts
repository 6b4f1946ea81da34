/**
 * The body of evacuate (nova/api/openstack/compute/schemas/evacuate.py): `host`, `adminPass`,
 * `onSharedStorage` (required before 2.14, gone from 2.14), `force` (2.29 to 2.67); no other key.
 * Messages as Nova's jsonschema validator words them.
 */
import { invalid } from '../../domain/errors.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';
import type { EvacuateRequest } from './evacuate.js';

// Nova formats the value with %s: a string bare, anything else as Python prints it.
const bad = (field: string, value: unknown, message: string) =>
  invalid(
    `Invalid input for field/attribute ${field}. Value: ${typeof value === 'string' ? value : pyRepr(value)}. ${message}`,
  );

function bool(field: string, value: unknown): boolean {
  if (!NOVA_BOOLEANS.includes(value as boolean | string))
    throw bad(field, value, `${pyRepr(value)} is not one of ${pyRepr(NOVA_BOOLEANS)}`);
  return NOVA_BOOLEANS.indexOf(value as boolean | string) < NOVA_BOOLEANS.indexOf(false);
}

export function parseEvacuate(value: unknown, mv: { v14: boolean; v29: boolean; v68: boolean; v95: boolean }) {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad('evacuate', value, `${pyRepr(value)} is not of type 'object'`);
  const v = value as Record<string, unknown>;
  const allowed = ['host', 'adminPass'];
  if (!mv.v14) allowed.push('onSharedStorage');
  if (mv.v29 && !mv.v68) allowed.push('force');
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length > 0)
    throw bad(
      'evacuate',
      v,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  if (!mv.v14 && !('onSharedStorage' in v)) throw bad('evacuate', v, "'onSharedStorage' is a required property");
  let host: string | null = null;
  if ('host' in v) {
    const h = v.host;
    // parameter_types.fqdn: a string of 1 to 255 characters.
    if (typeof h !== 'string') throw bad('host', h, `${pyRepr(h)} is not of type 'string'`);
    if (h.length === 0) throw bad('host', h, `${pyRepr(h)} is too short`);
    if (h.length > 255) throw bad('host', h, `${pyRepr(h)} is too long`);
    host = h;
  }
  let adminPass: string | null = null;
  if ('adminPass' in v) {
    if (typeof v.adminPass !== 'string')
      throw bad('adminPass', v.adminPass, `${pyRepr(v.adminPass)} is not of type 'string'`);
    adminPass = v.adminPass;
  }
  const req: EvacuateRequest = {
    host,
    adminPass,
    onSharedStorage: mv.v14 ? null : bool('onSharedStorage', v.onSharedStorage),
    force: 'force' in v ? bool('force', v.force) : false,
    targetStopped: mv.v95,
  };
  return req;
}
