/**
 * The bodies of rescue, unrescue and changePassword, checked as Nova's JSON schemas do
 * (nova/api/openstack/compute/schemas/rescue.py, admin_password.py) and refused with the
 * messages its validator writes.
 */
import { invalid } from '../../domain/errors.js';
import { canonicalUuid } from '../access.js';
import { pyRepr } from './nova-validation.js';
import type { RescueInput } from './rescue.js';

/** Nova's "Value: %s" is Python's str() of the value: a string bare, anything else its repr. */
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));
const refuse = (field: string, value: unknown, why: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${why}`);
const typeIs = (v: unknown, t: 'string' | 'object') =>
  t === 'string' ? typeof v === 'string' : typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(field: string, value: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw refuse(
      field,
      value,
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
    );
}

/** `{"rescue": null | {"adminPass"?: string, "rescue_image_ref"?: uuid}}` */
export function parseRescue(value: unknown): RescueInput {
  if (value === null) return {};
  if (!typeIs(value, 'object')) throw refuse('rescue', value, `${pyRepr(value)} is not of type 'object', 'null'`);
  const v = value as Record<string, unknown>;
  onlyKeys('rescue', v, ['adminPass', 'rescue_image_ref']);
  const out: RescueInput = {};
  if (v.adminPass !== undefined) {
    if (!typeIs(v.adminPass, 'string'))
      throw refuse('adminPass', v.adminPass, `${pyRepr(v.adminPass)} is not of type 'string'`);
    out.adminPass = v.adminPass as string;
  }
  if (v.rescue_image_ref !== undefined) {
    const ref = v.rescue_image_ref;
    if (!typeIs(ref, 'string')) throw refuse('rescue_image_ref', ref, `${pyRepr(ref)} is not of type 'string'`);
    if (!canonicalUuid(ref as string)) throw refuse('rescue_image_ref', ref, `${pyRepr(ref)} is not a 'uuid'`);
    out.rescueImageRef = ref as string;
  }
  return out;
}

/** `{"changePassword": {"adminPass": string}}` */
export function parseChangePassword(value: unknown): string {
  if (!typeIs(value, 'object')) throw refuse('changePassword', value, `${pyRepr(value)} is not of type 'object'`);
  const v = value as Record<string, unknown>;
  onlyKeys('changePassword', v, ['adminPass']);
  if (v.adminPass === undefined) throw refuse('changePassword', v, "'adminPass' is a required property");
  if (!typeIs(v.adminPass, 'string'))
    throw refuse('adminPass', v.adminPass, `${pyRepr(v.adminPass)} is not of type 'string'`);
  return v.adminPass as string;
}
