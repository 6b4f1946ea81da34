/**
 * Query validation of the admin read APIs (os-hypervisors, os-simple-tenant-usage,
 * os-migrations), with the messages of Nova's query-schema validator
 * (nova/api/validation/validators.py: "Invalid input for query parameters <name>. Value: <v>. <why>").
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from '../../domain/errors.js';
import { baseUrl } from '../../http/request.js';
import type { Query } from '../../http/query.js';
import { NOVA_BOOLEANS, pyRepr } from './nova-validation.js';

const last = (q: Query, key: string) => {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
};

const queryError = (name: string, value: string, why: string) =>
  invalid(`Invalid input for query parameters ${name}. Value: ${value}. ${why}`);

/** parameter_types.non_negative_integer, as a query parameter (a string). */
export function nonNegativeInteger(q: Query, name: string): number | undefined {
  const v = last(q, name);
  if (v === undefined) return undefined;
  if (v === '') throw queryError(name, v, "'' should be non-empty");
  if (!/^[0-9]*$/.test(v)) throw queryError(name, v, `${pyRepr(v)} does not match '^[0-9]*$'`);
  return Number(v);
}

const BOOLEAN_ENUM = NOVA_BOOLEANS.filter((v): v is string => typeof v === 'string');
const TRUE_VALUES = new Set(['true', '1', 'on', 'yes']);

/** parameter_types.boolean, then strutils.bool_from_string(strict=True). */
export function booleanParam(q: Query, name: string): boolean | undefined {
  const v = last(q, name);
  if (v === undefined) return undefined;
  if (!BOOLEAN_ENUM.includes(v))
    throw queryError(
      name,
      v,
      `${pyRepr(v)} is not one of [True, ${BOOLEAN_ENUM.slice(0, 10).map(pyRepr).join(', ')}, False, ${BOOLEAN_ENUM.slice(10).map(pyRepr).join(', ')}]`,
    );
  return TRUE_VALUES.has(v.toLowerCase());
}

/** parameter_types.fqdn (a host name pattern). */
export function fqdnParam(q: Query, name: string): string | undefined {
  const v = last(q, name);
  if (v === undefined) return undefined;
  if (!/^[a-zA-Z0-9-._]*$/.test(v)) throw queryError(name, v, `${pyRepr(v)} does not match '^[a-zA-Z0-9-._]*$'`);
  if (v.length < 1) throw queryError(name, v, "'' should be non-empty");
  if (v.length > 255) throw queryError(name, v, `${pyRepr(v)} is too long`);
  return v;
}

export function stringParam(q: Query, name: string): string | undefined {
  return last(q, name);
}

/** `additionalProperties: False` of a query schema: an unknown parameter is a 400. */
export function noOtherParams(q: Query, allowed: readonly string[]): void {
  const extra = Object.keys(q)
    .filter((k) => !allowed.includes(k))
    .sort();
  if (extra.length === 0) return;
  throw invalid(
    `Additional properties are not allowed (${extra.map(pyRepr).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
  );
}

/**
 * Nova's _get_collection_links: a `next` link when the page is as long as the limit asked for
 * (capped at max_limit), or as max_limit when none was; its query is the request's, sorted,
 * with the marker set to the last item.
 */
export function nextLinks(
  request: FastifyRequest,
  collection: string,
  q: Query,
  count: number,
  lastId: string | undefined,
  maxLimit: number,
): Array<{ rel: 'next'; href: string }> | undefined {
  const asked = nonNegativeInteger(q, 'limit');
  const max = Math.min(asked ?? maxLimit, maxLimit);
  if (max === 0 || count !== max || lastId === undefined) return undefined;
  const params: Record<string, string> = {};
  for (const k of Object.keys(q)) {
    const v = last(q, k);
    if (v !== undefined) params[k] = v;
  }
  params.marker = lastId;
  const search = new URLSearchParams(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
  const p = (request.params as { project_id?: string }).project_id;
  return [{ rel: 'next', href: `${baseUrl(request)}/v2.1${p ? `/${p}` : ''}/${collection}?${search.toString()}` }];
}
