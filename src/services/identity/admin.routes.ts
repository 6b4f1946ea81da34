import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { baseUrl } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import type { TokenService } from './tokens.js';
import { queryBool } from './admin-access.js';
import { type Schema, types, validate } from './keystone-validation.js';
import { assignmentView, collectionLinks, domainView, projectView, roleView, userView } from './identity.view.js';
import * as domains from './domains.js';
import * as projects from './projects.js';
import * as users from './users.js';
import * as grants from './grants.js';

/**
 * Keystone's admin API (keystone/api/{domains,projects,users,roles,role_assignments}.py): what
 * `openstack project/user/role/domain …` needs. Bodies are validated as Keystone does
 * (keystone/{resource,identity,assignment}/schema.py) by keystone-validation.ts, not by Fastify,
 * so that the 400s carry jsonschema's wording.
 */

const V3 = '/identity/v3';
const v3 = (request: FastifyRequest) => `${baseUrl(request)}${V3}`;
const selfLink = (request: FastifyRequest) => `${baseUrl(request)}${request.url}`;

/** One query parameter (the last, when repeated). */
function param(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown>)[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' ? last : undefined;
}
const boolParam = (request: FastifyRequest, name: string) => {
  const v = param(request, name);
  return v === undefined ? undefined : queryBool(v);
};
/** Keystone treats a present include_names without a value as true. */
const flagParam = (request: FastifyRequest, name: string) => {
  const v = param(request, name);
  return v !== undefined && (v === '' || queryBool(v));
};

/** The entity under `key` of the body (Keystone: request_body_json.get(key, {})), validated. */
function entity(request: FastifyRequest, key: string, schema: Schema): Record<string, unknown> {
  const body = request.body;
  const value =
    body && typeof body === 'object' && !Array.isArray(body) && key in body
      ? (body as Record<string, unknown>)[key]
      : {};
  validate(schema, value);
  return value as Record<string, unknown>;
}

/** The keys outside the schema: Keystone keeps them as the entity's extra attributes. */
function extraOf(value: Record<string, unknown>, schema: Schema): Record<string, unknown> {
  const skip = new Set([...Object.keys(schema.properties ?? {}), 'id', 'links', 'tags', 'options']);
  return Object.fromEntries(Object.entries(value).filter(([k]) => !skip.has(k)));
}

const str = (v: unknown) => v as string | undefined;
const nullableStr = (v: unknown) => v as string | null | undefined;
const bool = (v: unknown) => v as boolean | undefined;

// keystone/resource/schema.py
const projectProps: Record<string, Schema> = {
  name: types.projectName,
  description: types.description,
  domain_id: types.nullableIdString,
  enabled: types.boolean,
  is_domain: types.boolean,
  parent_id: types.nullableIdString,
  tags: types.tags,
};
const projectCreate: Schema = { type: 'object', properties: projectProps, required: ['name'] };
const projectUpdate: Schema = { type: 'object', properties: projectProps, minProperties: 1 };
const domainProps: Record<string, Schema> = {
  name: types.domainName,
  description: types.description,
  enabled: types.boolean,
};
const domainCreate: Schema = { type: 'object', properties: domainProps, required: ['name'] };
const domainUpdate: Schema = { type: 'object', properties: domainProps, minProperties: 1 };
// keystone/identity/schema.py
const userProps: Record<string, Schema> = {
  name: types.name,
  default_project_id: types.nullableIdString,
  domain_id: types.idString,
  enabled: types.boolean,
  password: types.password,
};
const userCreate: Schema = { type: 'object', properties: userProps, required: ['name'] };
const userUpdate: Schema = { type: 'object', properties: userProps, minProperties: 1 };
const passwordChange: Schema = {
  type: 'object',
  properties: { original_password: { type: 'string' }, password: { type: 'string' } },
  required: ['original_password', 'password'],
  additionalProperties: false,
};

// keystone/assignment/schema.py (name only: Stratus roles have no domain, description or options)
const roleCreate: Schema = { type: 'object', properties: { name: types.name }, required: ['name'] };

const noContent = (reply: FastifyReply) => reply.code(204).send();

export function registerIdentityAdminRoutes(app: FastifyInstance, deps: Deps, tokens: TokenService): void {
  const r = new RouteTable(app);
  const caller = (request: FastifyRequest) => request.caller!;
  type P = Record<string, string>;

  // Domains
  r.add('GET', `${V3}/domains`, async (request) => {
    const rows = await domains.listDomains(deps, caller(request), {
      name: param(request, 'name'),
      enabled: boolParam(request, 'enabled'),
    });
    return { domains: rows.map((d) => domainView(d, v3(request))), links: collectionLinks(selfLink(request)) };
  });
  r.add('POST', `${V3}/domains`, async (request, reply) => {
    const d = entity(request, 'domain', domainCreate);
    const row = await domains.createDomain(deps, caller(request), {
      name: d.name as string,
      description: nullableStr(d.description),
      enabled: bool(d.enabled),
    });
    reply.code(201);
    return { domain: domainView(row, v3(request)) };
  });
  r.add('GET', `${V3}/domains/:domain_id`, async (request) => {
    const row = await domains.showDomain(deps, caller(request), (request.params as P).domain_id);
    return { domain: domainView(row, v3(request)) };
  });
  r.add('PATCH', `${V3}/domains/:domain_id`, async (request) => {
    const d = entity(request, 'domain', domainUpdate);
    const row = await domains.updateDomain(deps, tokens, caller(request), (request.params as P).domain_id, {
      name: str(d.name),
      description: nullableStr(d.description),
      enabled: bool(d.enabled),
    });
    return { domain: domainView(row, v3(request)) };
  });
  r.add('DELETE', `${V3}/domains/:domain_id`, async (request, reply) => {
    await domains.deleteDomain(deps, caller(request), (request.params as P).domain_id);
    return noContent(reply);
  });

  // Projects
  r.add('GET', `${V3}/projects`, async (request) => {
    const rows = await projects.listProjects(deps, caller(request), {
      name: param(request, 'name'),
      domainId: param(request, 'domain_id'),
      enabled: boolParam(request, 'enabled'),
      parentId: param(request, 'parent_id'),
      isDomain: boolParam(request, 'is_domain'),
    });
    return { projects: rows.map((p) => projectView(p, v3(request))), links: collectionLinks(selfLink(request)) };
  });
  r.add('POST', `${V3}/projects`, async (request, reply) => {
    const p = entity(request, 'project', projectCreate);
    const row = await projects.createProject(deps, caller(request), {
      name: p.name as string,
      description: nullableStr(p.description),
      domain_id: str(p.domain_id ?? undefined),
      parent_id: nullableStr(p.parent_id),
      enabled: bool(p.enabled),
      is_domain: bool(p.is_domain),
      extra: { ...extraOf(p, projectCreate), ...(p.tags ? { tags: p.tags } : {}) },
    });
    reply.code(201);
    return { project: projectView(row, v3(request)) };
  });
  r.add('GET', `${V3}/projects/:project_id`, async (request) => {
    const row = await projects.showProject(deps, caller(request), (request.params as P).project_id);
    return { project: projectView(row, v3(request)) };
  });
  r.add('PATCH', `${V3}/projects/:project_id`, async (request) => {
    const p = entity(request, 'project', projectUpdate);
    const row = await projects.updateProject(deps, tokens, caller(request), (request.params as P).project_id, {
      name: str(p.name),
      description: nullableStr(p.description),
      enabled: bool(p.enabled),
      domain_id: str(p.domain_id ?? undefined),
      parent_id: nullableStr(p.parent_id),
      is_domain: bool(p.is_domain),
      extra: { ...extraOf(p, projectUpdate), ...(p.tags ? { tags: p.tags } : {}) },
    });
    return { project: projectView(row, v3(request)) };
  });
  r.add('DELETE', `${V3}/projects/:project_id`, async (request, reply) => {
    await projects.deleteProject(deps, tokens, caller(request), (request.params as P).project_id);
    return noContent(reply);
  });

  // Users
  r.add('GET', `${V3}/users`, async (request) => {
    const rows = await users.listUsers(deps, caller(request), {
      name: param(request, 'name'),
      domainId: param(request, 'domain_id'),
      enabled: boolParam(request, 'enabled'),
    });
    return { users: rows.map((u) => userView(u, v3(request))), links: collectionLinks(selfLink(request)) };
  });
  r.add('POST', `${V3}/users`, async (request, reply) => {
    const u = entity(request, 'user', userCreate);
    const row = await users.createUser(deps, caller(request), {
      name: u.name as string,
      domain_id: str(u.domain_id),
      default_project_id: nullableStr(u.default_project_id),
      enabled: bool(u.enabled),
      password: nullableStr(u.password),
      extra: extraOf(u, userCreate),
    });
    reply.code(201);
    return { user: userView(row, v3(request)) };
  });
  r.add('GET', `${V3}/users/:user_id`, async (request) => {
    const row = await users.showUser(deps, caller(request), (request.params as P).user_id);
    return { user: userView(row, v3(request)) };
  });
  r.add('PATCH', `${V3}/users/:user_id`, async (request) => {
    const u = entity(request, 'user', userUpdate);
    const row = await users.updateUser(deps, tokens, caller(request), (request.params as P).user_id, {
      name: str(u.name),
      domain_id: str(u.domain_id),
      default_project_id: nullableStr(u.default_project_id),
      enabled: bool(u.enabled),
      password: nullableStr(u.password),
      extra: extraOf(u, userUpdate),
    });
    return { user: userView(row, v3(request)) };
  });
  r.add('DELETE', `${V3}/users/:user_id`, async (request, reply) => {
    await users.deleteUser(deps, tokens, caller(request), (request.params as P).user_id);
    return noContent(reply);
  });
  // Keystone's unenforced API: the original password is the credential, no token needed.
  r.add(
    'POST',
    `${V3}/users/:user_id/password`,
    async (request, reply) => {
      const u = entity(request, 'user', passwordChange);
      await users.changeOwnPassword(
        deps,
        tokens,
        (request.params as P).user_id,
        u.original_password as string,
        u.password as string,
        request.ip,
      );
      return noContent(reply);
    },
    { public: true },
  );
  r.add('GET', `${V3}/users/:user_id/projects`, async (request) => {
    const rows = await projects.listUserProjects(deps, caller(request), (request.params as P).user_id, {
      name: param(request, 'name'),
      domainId: param(request, 'domain_id'),
      enabled: boolParam(request, 'enabled'),
    });
    return { projects: rows.map((p) => projectView(p, v3(request))), links: collectionLinks(selfLink(request)) };
  });

  // Roles and grants
  r.add('GET', `${V3}/roles`, async (request) => {
    const rows = await grants.listRoles(deps, caller(request), { name: param(request, 'name') });
    return { roles: rows.map((x) => roleView(x, v3(request))), links: collectionLinks(selfLink(request)) };
  });
  r.add('POST', `${V3}/roles`, async (request, reply) => {
    const role = entity(request, 'role', roleCreate);
    const row = await grants.createRole(deps, caller(request), role.name as string);
    reply.code(201);
    return { role: roleView(row, v3(request)) };
  });
  r.add('DELETE', `${V3}/roles/:role_id`, async (request, reply) => {
    await grants.deleteRole(deps, tokens, caller(request), (request.params as P).role_id);
    return noContent(reply);
  });
  r.add('GET', `${V3}/roles/:role_id`, async (request) => {
    const row = await grants.showRole(deps, caller(request), (request.params as P).role_id);
    return { role: roleView(row, v3(request)) };
  });
  const grantPath = `${V3}/projects/:project_id/users/:user_id/roles`;
  r.add('GET', grantPath, async (request) => {
    const p = request.params as P;
    const rows = await grants.listGrants(deps, caller(request), p.project_id, p.user_id);
    return { roles: rows.map((x) => roleView(x, v3(request))), links: collectionLinks(selfLink(request)) };
  });
  r.add('PUT', `${grantPath}/:role_id`, async (request, reply) => {
    const p = request.params as P;
    await grants.createGrant(deps, caller(request), p.project_id, p.user_id, p.role_id);
    return noContent(reply);
  });
  r.add('HEAD', `${grantPath}/:role_id`, async (request, reply) => {
    const p = request.params as P;
    await grants.checkGrant(deps, caller(request), p.project_id, p.user_id, p.role_id);
    return noContent(reply);
  });
  r.add('DELETE', `${grantPath}/:role_id`, async (request, reply) => {
    const p = request.params as P;
    await grants.revokeGrant(deps, tokens, caller(request), p.project_id, p.user_id, p.role_id);
    return noContent(reply);
  });
  r.add('GET', `${V3}/role_assignments`, async (request) => {
    const none = ['group.id', 'scope.domain.id', 'scope.system', 'scope.OS-INHERIT:inherited_to'].some(
      (k) => param(request, k) !== undefined,
    );
    const { rows, domainNames } = await grants.listRoleAssignments(deps, caller(request), {
      userId: param(request, 'user.id'),
      projectId: param(request, 'scope.project.id'),
      roleId: param(request, 'role.id'),
      none,
    });
    const names = flagParam(request, 'include_names') ? domainNames : undefined;
    return {
      role_assignments: rows.map((a) => assignmentView(a, v3(request), names)),
      links: collectionLinks(selfLink(request)),
    };
  });
  r.finish();
}
