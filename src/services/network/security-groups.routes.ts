import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  createSecurityGroup,
  createSecurityGroupRule,
  deleteSecurityGroup,
  deleteSecurityGroupRule,
  listSecurityGroupRules,
  listSecurityGroups,
  parsePrefix,
  showSecurityGroup,
  showSecurityGroupRule,
  updateSecurityGroup,
  type SecurityGroup,
  type SecurityGroupRuleRow,
} from './security-groups.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import { list, type Query } from '../../http/query.js';
import { sgInvalid } from '../../domain/security-group-errors.js';

const neutronTime = (s: string) => s.replace(/\.\d{3}Z$/, 'Z');

export function renderRule(r: SecurityGroupRuleRow, inDefaultGroup: boolean) {
  return {
    id: r.id,
    project_id: r.project_id,
    tenant_id: r.project_id,
    security_group_id: r.security_group_id,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_ip_prefix: r.remote_ip_prefix,
    remote_group_id: r.remote_group_id,
    normalized_cidr: r.remote_ip_prefix ? (parsePrefix(r.remote_ip_prefix)?.network ?? null) : null,
    description: r.description,
    belongs_to_default_sg: inDefaultGroup,
    tags: [],
    created_at: neutronTime(r.created_at),
    updated_at: neutronTime(r.updated_at),
    revision_number: 0,
  };
}

export function renderGroup(sg: SecurityGroup) {
  const g = sg.group;
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    stateful: g.stateful === 1,
    tenant_id: g.project_id,
    project_id: g.project_id,
    shared: false,
    security_group_rules: sg.rules.map((r) => renderRule(r, sg.isDefault)),
    tags: JSON.parse(g.tags) as string[],
    created_at: neutronTime(g.created_at),
    updated_at: neutronTime(g.updated_at),
    revision_number: g.revision_number,
  };
}

type Item = Record<string, unknown>;

/**
 * Neutron's list query: every attribute named is a filter accepting any of its values (booleans
 * as `True`/`true`), `fields` picks the attributes shown; paging and sorting keys are not filters.
 */
export function applyListQuery<T extends Item>(items: T[], q: Query): Item[] {
  const skip = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir']);
  let out = items;
  for (const key of Object.keys(q)) {
    if (skip.has(key) || items.length === 0 || !(key in items[0])) continue;
    const wanted = (list(q, key) ?? []).map((v) => v.toLowerCase());
    out = out.filter((i) => {
      const v = i[key];
      return wanted.includes(v === null ? '' : String(v).toLowerCase());
    });
  }
  const fields = list(q, 'fields');
  if (!fields) return out;
  return out.map((i) => Object.fromEntries(Object.entries(i).filter(([k]) => fields.includes(k))));
}

/** Neutron's body checks: the resource key, an object, and only the attributes the resource allows. */
function resourceBody(request: FastifyRequest, key: string, allowed: string[]): Item {
  const body = request.body as Item | null | undefined;
  const res = body && typeof body === 'object' && !Array.isArray(body) ? body[key] : undefined;
  if (res === undefined) throw sgInvalid('HTTPBadRequest', `Unable to find '${key}' in request body`);
  if (!res || typeof res !== 'object' || Array.isArray(res))
    throw sgInvalid('HTTPBadRequest', `Invalid input for operation: '${JSON.stringify(res)}' is not a dictionary.`);
  const unknown = Object.keys(res).filter((k) => !allowed.includes(k));
  if (unknown.length) throw sgInvalid('HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
  return res as Item;
}

const GROUP_CREATE = ['name', 'description', 'stateful', 'project_id', 'tenant_id'];
const GROUP_UPDATE = ['name', 'description', 'stateful'];
const RULE_CREATE = [
  'security_group_id',
  'direction',
  'ethertype',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_ip_prefix',
  'remote_group_id',
  'description',
  'project_id',
  'tenant_id',
];

/** /networking/v2.0/security-groups and /security-group-rules (Neutron's securitygroup extension). */
export function registerSecurityGroupRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const base = '/networking/v2.0';
  const q = (request: FastifyRequest) => request.query as Query;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  const filters = { listQuery: 'all' } as const;
  const one = (request: FastifyRequest, item: Item) => applyListQuery([item], q(request))[0];

  r.add(
    'GET',
    `${base}/security-groups`,
    async (request) => {
      const f = q(request);
      const groups = await listSecurityGroups(deps, callerOf(request), {
        ids: list(f, 'id'),
        names: list(f, 'name'),
        projectIds: list(f, 'project_id') ?? list(f, 'tenant_id'),
      });
      return { security_groups: applyListQuery(groups.map(renderGroup), f) };
    },
    filters,
  );
  r.add(
    'GET',
    `${base}/security-groups/:id`,
    async (request) => ({
      security_group: one(request, renderGroup(await showSecurityGroup(deps, callerOf(request), id(request)))),
    }),
    filters,
  );
  r.add('POST', `${base}/security-groups`, async (request, reply) => {
    const body = resourceBody(request, 'security_group', GROUP_CREATE);
    const sg = await createSecurityGroup(deps, callerOf(request), body);
    reply.code(201);
    return { security_group: renderGroup(sg) };
  });
  r.add('PUT', `${base}/security-groups/:id`, async (request) => {
    const body = resourceBody(request, 'security_group', GROUP_UPDATE);
    return { security_group: renderGroup(await updateSecurityGroup(deps, callerOf(request), id(request), body)) };
  });
  r.add('DELETE', `${base}/security-groups/:id`, async (request, reply) => {
    await deleteSecurityGroup(deps, callerOf(request), id(request));
    reply.code(204);
    return null;
  });

  r.add(
    'GET',
    `${base}/security-group-rules`,
    async (request) => {
      const f = q(request);
      const rules = await listSecurityGroupRules(deps, callerOf(request), {
        ids: list(f, 'id'),
        groupIds: list(f, 'security_group_id'),
        projectIds: list(f, 'project_id') ?? list(f, 'tenant_id'),
      });
      return {
        security_group_rules: applyListQuery(
          rules.map((x) => renderRule(x.rule, x.inDefaultGroup)),
          f,
        ),
      };
    },
    filters,
  );
  r.add(
    'GET',
    `${base}/security-group-rules/:id`,
    async (request) => {
      const x = await showSecurityGroupRule(deps, callerOf(request), id(request));
      return { security_group_rule: one(request, renderRule(x.rule, x.inDefaultGroup)) };
    },
    filters,
  );
  r.add('POST', `${base}/security-group-rules`, async (request, reply) => {
    const body = resourceBody(request, 'security_group_rule', RULE_CREATE);
    const rule = await createSecurityGroupRule(deps, callerOf(request), body);
    reply.code(201);
    const x = await showSecurityGroupRule(deps, callerOf(request), rule.id);
    return { security_group_rule: renderRule(x.rule, x.inDefaultGroup) };
  });
  r.add('DELETE', `${base}/security-group-rules/:id`, async (request, reply) => {
    await deleteSecurityGroupRule(deps, callerOf(request), id(request));
    reply.code(204);
    return null;
  });
  r.finish();
}

/** The extension `GET /v2.0/extensions` lists, so clients (and Tempest) know groups are served. */
export const SECURITY_GROUP_EXTENSION = {
  alias: 'security-group',
  name: 'security-group',
  description: 'The security groups extension.',
  updated: '2012-10-05T10:00:00-00:00',
  links: [],
};
