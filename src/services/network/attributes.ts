// Neutron's API-layer attribute checks (neutron/api/v2/base.py prepare_request_body and
// neutron_lib/api/validators.py, converters.py), with Neutron's messages, for the resources
// written here (networks, subnets, routers, quotas).
import type { Caller, Deps } from '../context.js';
import { allowed } from '../access.js';
import { neutronInvalidAttr, neutronPolicyRefused, sgInvalid } from '../../domain/security-group-errors.js';
import { DomainError } from '../../domain/errors.js';

export type Item = Record<string, unknown>;

/** Python's repr of a JSON value, as Neutron's messages quote it. */
export const pyish = (v: unknown): string =>
  v === null
    ? 'None'
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : Array.isArray(v)
          ? `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyish(x))).join(', ')}]`
          : typeof v === 'object'
            ? `{${Object.entries(v as Item)
                .map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : pyish(x)}`)
                .join(', ')}}`
            : String(v);

/** The resource object of a body: present, a dictionary, only the attributes allowed. */
export function resourceOf(body: unknown, key: string, allowedKeys: readonly string[]): Item {
  const res = body && typeof body === 'object' && !Array.isArray(body) ? (body as Item)[key] : undefined;
  if (res === undefined) throw sgInvalid('HTTPBadRequest', `Unable to find '${key}' in request body`);
  if (!res || typeof res !== 'object' || Array.isArray(res))
    throw sgInvalid('HTTPBadRequest', `Invalid input for operation: '${pyish(res)}' is not a dictionary.`);
  const unknown = Object.keys(res).filter((k) => !allowedKeys.includes(k));
  if (unknown.length) throw sgInvalid('HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
  return res as Item;
}

/** `Failed to parse request. Required attribute '<attr>' not specified` */
export function required(body: Item, ...attrs: string[]): void {
  for (const a of attrs)
    if (body[a] === undefined)
      throw sgInvalid('HTTPBadRequest', `Failed to parse request. Required attribute '${a}' not specified`);
}

/** validate_string with a maximum length (name, description: 255). */
export function stringAttr(attr: string, v: unknown, max = 255): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid string`);
  if (v.length > max) throw neutronInvalidAttr(attr, `'${v}' exceeds maximum length of ${max}`);
  return v;
}

/** convert_to_boolean. */
export function booleanAttr(attr: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false', '1', '0'].includes(v.toLowerCase()))
    return v.toLowerCase() === 'true' || v === '1';
  if (v === 0 || v === 1) return v === 1;
  throw neutronInvalidAttr(attr, `'${pyish(v)}' cannot be converted to boolean`);
}

/** convert_to_int. */
export function intAttr(attr: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || typeof v === 'boolean')
    throw neutronInvalidAttr(attr, `'${pyish(v)}' is not an integer`);
  return n;
}

/** A uuid attribute (validate_uuid): the value as sent when it is one. */
export function uuidAttr(attr: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v))
    throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid UUID`);
  return v.toLowerCase();
}

/** The project a create is for: another project's only for an admin (Neutron's words otherwise). */
export function projectOf(caller: Caller, body: Item): string {
  const p = body.project_id ?? body.tenant_id;
  if (p === undefined || p === caller.projectId) return caller.projectId;
  if (typeof p !== 'string') throw neutronInvalidAttr('project_id', `'${pyish(p)}' is not a valid string`);
  if (!caller.isAdmin)
    throw sgInvalid(
      'HTTPBadRequest',
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    );
  return p;
}

/** Neutron's policy check of an action (neutron/policy.py enforce): rule names as Neutron's. */
export function enforce(deps: Deps, caller: Caller, rule: string, projectId: string): void {
  if (!allowed(deps, caller, rule, { project_id: projectId })) throw neutronPolicyRefused(rule);
}

/**
 * The check of an attribute with its own rule (create_network:shared…): Neutron builds
 * `(rule:<action> and rule:<action>:<attr>)` and names that in its refusal.
 */
export function enforceAttribute(deps: Deps, caller: Caller, action: string, attr: string, projectId: string): void {
  if (!allowed(deps, caller, `${action}:${attr}`, { project_id: projectId }))
    throw new DomainError(
      'forbidden',
      'PolicyNotAuthorized',
      `(rule:${action} and rule:${action}:${attr}) is disallowed by policy`,
      { rule: `${action}:${attr}` },
    );
}
