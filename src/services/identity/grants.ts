import type { Caller, Deps } from '../context.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import {
  duplicateName,
  projectNotFound,
  roleAssignmentNotFound,
  roleNotFound,
  userNotFound,
} from '../../domain/identity-errors.js';
import { authorizeIdentity } from './admin-access.js';
import type { AssignmentRow, RoleRow } from './identity.view.js';
import type { TokenService } from './tokens.js';

/** Roles, grants (PUT/HEAD/DELETE /v3/projects/{p}/users/{u}/roles/{r}) and role assignments. */

export async function listRoles(deps: Deps, caller: Caller, f: { name?: string }): Promise<RoleRow[]> {
  await authorizeIdentity(deps, caller, 'identity:list_roles');
  const all = await repo.allRoles(deps.db);
  return all.filter((r) => f.name === undefined || r.name === f.name).sort((a, b) => a.id.localeCompare(b.id));
}

export async function showRole(deps: Deps, caller: Caller, id: string): Promise<RoleRow> {
  const r = await repo.findRole(deps.db, { id });
  if (!r) throw roleNotFound(id);
  await authorizeIdentity(deps, caller, 'identity:get_role', { 'target.role.id': r.id, 'target.role.name': r.name });
  return r;
}

export async function createRole(deps: Deps, caller: Caller, name: string): Promise<RoleRow> {
  await authorizeIdentity(deps, caller, 'identity:create_role');
  const id = deps.ids.uuid().replace(/-/g, '');
  try {
    await repo.insertRole(deps.db, { id, name });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName('role', name);
    throw err;
  }
  return { id, name };
}

/**
 * Deleting a role takes it from everyone, and the tokens that carry it stop validating: each
 * holder's tokens on the project they held it on are revoked in the same transaction (tokens
 * keep their roles, so clearing the cache alone would leave them valid; found in review).
 */
export async function deleteRole(deps: Deps, tokens: TokenService, caller: Caller, id: string): Promise<void> {
  const r = await repo.findRole(deps.db, { id });
  if (!r) throw roleNotFound(id);
  await authorizeIdentity(deps, caller, 'identity:delete_role', { 'target.role.id': r.id });
  const n = await tokens.invalidating(
    (i) => i.roles.includes(r.name),
    () =>
      deps.transact(async (tx) => {
        for (const a of await repo.listAssignments(tx, { roleId: id }))
          await repo.revokeProjectTokensOf(tx, a.user_id, a.project_id);
        return repo.deleteRole(tx, id);
      }),
  );
  if (n === 0) throw roleNotFound(id);
}

/**
 * Keystone builds a grant's policy target from the entities, looking each up first: an unknown
 * project, user or role is its 404 (in that order: the project, then the user, then the role).
 */
async function grantTarget(deps: Deps, projectId: string, userId: string, roleId?: string) {
  const project = await repo.findProject(deps.db, { id: projectId });
  if (!project) throw projectNotFound(projectId);
  const user = await repo.findUser(deps.db, { id: userId });
  if (!user) throw userNotFound(userId);
  let role: RoleRow | undefined;
  if (roleId !== undefined) {
    role = await repo.findRole(deps.db, { id: roleId });
    if (!role) throw roleNotFound(roleId);
  }
  const target = {
    'target.project.id': project.id,
    'target.project.domain_id': project.domain_id,
    'target.user.id': user.id,
    'target.user.domain_id': user.domain_id,
    'target.role.id': role?.id,
    'target.role.name': role?.name,
  };
  return { project, user, role, target };
}

export async function checkGrant(deps: Deps, caller: Caller, p: string, u: string, r: string): Promise<void> {
  const { target } = await grantTarget(deps, p, u, r);
  await authorizeIdentity(deps, caller, 'identity:check_grant', target);
  const held = await repo.listAssignments(deps.db, { projectId: p, userId: u, roleId: r });
  if (held.length === 0) throw roleAssignmentNotFound(r, u, p);
}

export async function createGrant(deps: Deps, caller: Caller, p: string, u: string, r: string): Promise<void> {
  const { target } = await grantTarget(deps, p, u, r);
  await authorizeIdentity(deps, caller, 'identity:create_grant', target);
  await repo.grantRole(deps.db, { projectId: p, userId: u, roleId: r });
}

/** Revoking ends the user's tokens on that project (they carry the old roles; Keystone revokes them too). */
export async function revokeGrant(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  p: string,
  u: string,
  r: string,
): Promise<void> {
  const { target } = await grantTarget(deps, p, u, r);
  await authorizeIdentity(deps, caller, 'identity:revoke_grant', target);
  const n = await tokens.invalidating(
    (i) => i.userId === u && i.projectId === p,
    () =>
      deps.transact(async (tx) => {
        const removed = await repo.revokeRole(tx, { projectId: p, userId: u, roleId: r });
        if (removed > 0) await repo.revokeProjectTokensOf(tx, u, p);
        return removed;
      }),
  );
  if (n === 0) throw roleAssignmentNotFound(r, u, p);
}

/** GET /v3/projects/{p}/users/{u}/roles */
export async function listGrants(deps: Deps, caller: Caller, p: string, u: string): Promise<RoleRow[]> {
  const { target } = await grantTarget(deps, p, u);
  await authorizeIdentity(deps, caller, 'identity:list_grants', target);
  const rows = await repo.listAssignments(deps.db, { projectId: p, userId: u });
  return rows.map((a) => ({ id: a.role_id, name: a.role_name }));
}

export interface AssignmentFilter {
  userId?: string;
  projectId?: string;
  roleId?: string;
  /** A filter Stratus has no assignments for (groups, domains, the system): the answer is empty. */
  none?: boolean;
}

export async function listRoleAssignments(
  deps: Deps,
  caller: Caller,
  f: AssignmentFilter,
): Promise<{ rows: AssignmentRow[]; domainNames: Map<string, string> }> {
  await authorizeIdentity(deps, caller, 'identity:list_role_assignments');
  const rows = f.none ? [] : await repo.listAssignments(deps.db, f);
  const domainNames = new Map((await repo.listDomains(deps.db)).map((d) => [d.id, d.name]));
  return { rows, domainNames };
}
