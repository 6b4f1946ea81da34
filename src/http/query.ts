/**
 * One rule for repeated query parameters, for every service. A parameter a route declares as a
 * list (`listQuery`) keeps every value, as an array even when given once; any other parameter
 * keeps its last value: Nova and Glance read query strings through WebOb's MultiDict, whose
 * `get` answers the last value, and take every value only for their list filters (Nova's
 * `status`); Neutron treats every filter as a list of accepted values (`'all'`).
 */
import { HttpFault } from './fault-mapper.js';
import { NUL_MESSAGE } from './json-body.js';

export type ListQuery = readonly string[] | 'all';

export type Query = Record<string, string | string[] | undefined>;

export function normalizeQuery(raw: unknown, lists: ListQuery = []): Query {
  // A null prototype: `?__proto__=x` or `?constructor=y` are plain keys here, never inherited members.
  const out: Query = Object.create(null);
  if (!raw || typeof raw !== 'object') return out;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value]).map((v) => String(v ?? ''));
    if (key.includes('\0') || values.some((v) => v.includes('\0'))) throw new HttpFault(400, 'badRequest', NUL_MESSAGE);
    const isList = lists === 'all' || lists.includes(key);
    out[key] = isList ? values : values[values.length - 1];
  }
  return out;
}

/** A scalar parameter after normalizeQuery (a list parameter's last value, should a route ask). */
export function scalar(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A list parameter after normalizeQuery (undefined when absent). */
export function list(q: Query, key: string): string[] | undefined {
  const v = q[key];
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

/** Nova's all_tenants: present and not one of its false spellings (`?all_tenants` alone is true). */
export function allTenantsFlag(q: Query): boolean {
  return (
    q.all_tenants !== undefined &&
    !['0', 'false', 'f', 'off', 'no', 'n'].includes((scalar(q, 'all_tenants') ?? '').toLowerCase())
  );
}
