import { pyRepr } from './nova-validation.js';
/**
 * Request checks of os-keypairs, after nova/api/openstack/compute/schemas/keypairs.py. The body
 * schema changes with the microversion (2.1, 2.2 `type`, 2.10 `user_id`, 2.92 public_key
 * required and `@` `.` allowed in names), so the body is checked here by hand, in the order
 * jsonschema checks it, with the messages Nova's validator gives (jsonschema 4.2x wording).
 */
import { invalid } from '../../domain/errors.js';
import type { KeypairType } from '../../domain/keypairs.js';
import type { Query } from '../../http/query.js';

export interface KeypairBody {
  name: string;
  type: KeypairType;
  publicKey?: string;
  userId?: string;
}

/** Python's str: a string as itself, anything else as its repr. */
const pyStr = (v: unknown) => (typeof v === 'string' ? v : pyRepr(v));

/** Nova's "Invalid input for field/attribute <field>. Value: <value>. <message>". */
const fieldError = (field: string, value: unknown, message: string) =>
  invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Nova's _is_printable over the BMP: no control/format/unassigned (C*), no line or paragraph separators. */
const PRINTABLE = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*$/u;
const EDGE = /^[\p{C}\p{Z}\u{10000}-\u{10FFFF}]$/u;

/** parameter_types.name, then the keypair-name pattern of the microversion. */
function checkName(value: unknown, v292: boolean): string {
  if (typeof value !== 'string') throw fieldError('name', value, `${pyRepr(value)} is not of type 'string'`);
  const chars = [...value];
  if (!PRINTABLE.test(value) || (chars.length > 0 && (EDGE.test(chars[0]) || EDGE.test(chars[chars.length - 1]))))
    throw invalid(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
  if (chars.length < 1) throw fieldError('name', value, `${pyRepr(value)} should be non-empty`);
  if (chars.length > 255) throw fieldError('name', value, `${pyRepr(value)} is too long`);
  const pattern = v292 ? /^[_\-@. a-zA-Z0-9]+$/ : /^[_\- a-zA-Z0-9]+$/;
  // The patterns as Python's repr prints them (a backslash doubled).
  const shown = v292 ? "'^[_\\\\-\\\\@\\\\. a-zA-Z0-9]+$'" : "'^[_\\\\- a-zA-Z0-9]+$'";
  if (!pattern.test(value)) throw fieldError('name', value, `${pyRepr(value)} does not match ${shown}`);
  return value;
}

/** The body of POST /os-keypairs at microversion `minor`. */
export function parseCreateKeypair(body: unknown, minor: number): KeypairBody {
  if (!isObject(body)) throw invalid(`${pyRepr(body ?? null)} is not of type 'object'`);
  const allowed = ['name', 'public_key', ...(minor >= 2 ? ['type'] : []), ...(minor >= 10 ? ['user_id'] : [])];
  const kp = body.keypair;
  if (kp !== undefined) {
    if (!isObject(kp)) throw fieldError('keypair', kp, `${pyRepr(kp)} is not of type 'object'`);
    // jsonschema walks `properties` in the schema's order, then `required`, then additionalProperties.
    if ('name' in kp) checkName(kp.name, minor >= 92);
    if (minor >= 2 && 'type' in kp && (typeof kp.type !== 'string' || !['ssh', 'x509'].includes(kp.type)))
      throw fieldError(
        'type',
        kp.type,
        typeof kp.type !== 'string'
          ? `${pyRepr(kp.type)} is not of type 'string'`
          : `${pyRepr(kp.type)} is not one of ['ssh', 'x509']`,
      );
    if ('public_key' in kp && typeof kp.public_key !== 'string')
      throw fieldError('public_key', kp.public_key, `${pyRepr(kp.public_key)} is not of type 'string'`);
    if (minor >= 10 && 'user_id' in kp && typeof kp.user_id !== 'string')
      throw fieldError('user_id', kp.user_id, `${pyRepr(kp.user_id)} is not of type 'string'`);
    for (const req of minor >= 92 ? ['name', 'public_key'] : ['name'])
      if (!(req in kp)) throw fieldError('keypair', kp, `'${req}' is a required property`);
    const extra = Object.keys(kp).filter((k) => !allowed.includes(k));
    if (extra.length)
      throw fieldError(
        'keypair',
        kp,
        `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
      );
  }
  if (kp === undefined) throw invalid("'keypair' is a required property");
  const extra = Object.keys(body).filter((k) => k !== 'keypair');
  if (extra.length)
    throw invalid(
      `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
    );
  const k = kp as Record<string, unknown>;
  return {
    name: k.name as string,
    type: (k.type as KeypairType | undefined) ?? 'ssh',
    publicKey: k.public_key as string | undefined,
    userId: k.user_id as string | undefined,
  };
}

/**
 * The query of index/show/delete: `user_id` from 2.10 (its first value, as Nova's getall()[0]),
 * `limit`/`marker` on index from 2.35, and from 2.75 no other parameter.
 */
export function parseKeypairQuery(
  q: Query,
  minor: number,
  opts: { paging: boolean },
): { userId?: string; limit?: number; marker?: string } {
  const known = ['user_id', ...(opts.paging && minor >= 35 ? ['limit', 'marker'] : [])];
  if (minor >= 75) {
    const extra = Object.keys(q).filter((k) => !known.includes(k));
    if (extra.length)
      throw invalid(
        `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
      );
  }
  const values = (k: string) => {
    const v = q[k];
    return v === undefined ? undefined : Array.isArray(v) ? v : [v];
  };
  const out: { userId?: string; limit?: number; marker?: string } = {};
  if (minor >= 10) out.userId = values('user_id')?.[0];
  if (opts.paging && minor >= 35) {
    const limits = values('limit');
    for (const l of limits ?? [])
      if (!/^[0-9]+$/.test(l))
        throw invalid(
          l === ''
            ? "Invalid input for query parameters limit. Value: . '' should be non-empty"
            : `Invalid input for query parameters limit. Value: ${l}. ${pyRepr(l)} does not match '^[0-9]*$'`,
        );
    // WebOb's request.GET[...] answers the last value.
    if (limits) out.limit = Number(limits[limits.length - 1]);
    const markers = values('marker');
    if (markers) out.marker = markers[markers.length - 1];
  }
  return out;
}
