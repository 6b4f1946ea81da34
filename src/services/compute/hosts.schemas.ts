/**
 * The body of PUT /os-hosts/{host} (nova/api/openstack/compute/schemas/hosts.py update): `status`
 * and/or `maintenance_mode`, each enable or disable in one of three spellings, nothing else.
 * Checked in jsonschema's keyword order (type, properties, anyOf, additionalProperties).
 */
import { invalid } from '../../domain/errors.js';
import { pyRepr } from './nova-validation.js';

const VALUES = ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkValue(field: string, v: unknown): boolean {
  const shown = typeof v === 'string' ? v : pyRepr(v);
  if (typeof v !== 'string')
    throw invalid(`Invalid input for field/attribute ${field}. Value: ${shown}. ${pyRepr(v)} is not of type 'string'`);
  if (!VALUES.includes(v))
    throw invalid(
      `Invalid input for field/attribute ${field}. Value: ${shown}. ${pyRepr(v)} is not one of ${pyRepr(VALUES)}`,
    );
  // Nova's read_enabled: "enable" in any case means true.
  return v.trim().toLowerCase() === 'enable';
}

export function parseHostUpdate(body: unknown): { enabled?: boolean; maintenance?: boolean } {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const out: { enabled?: boolean; maintenance?: boolean } = {};
  if ('status' in body) out.enabled = checkValue('status', body.status);
  if ('maintenance_mode' in body) out.maintenance = checkValue('maintenance_mode', body.maintenance_mode);
  if (!('status' in body) && !('maintenance_mode' in body))
    throw invalid(`${pyRepr(body)} is not valid under any of the given schemas`);
  const extras = Object.keys(body).filter((k) => k !== 'status' && k !== 'maintenance_mode');
  if (extras.length)
    throw invalid(
      `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${extras.length === 1 ? 'was' : 'were'} unexpected)`,
    );
  return out;
}
