import type { Caller, Deps } from '../context.js';
import * as repo from '../../db/repositories/identity.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import {
  domainNotFound,
  identityForbidden,
  identityInvalid,
  projectNotFound,
  storeConflict,
  userNotFound,
} from '../../domain/identity-errors.js';
import { authorizeIdentity, callerDomainId } from './admin-access.js';
import type { TokenService } from './tokens.js';
import type { ProjectRow } from './identity.view.js';

export interface ProjectRef {
  id: string;
  name: string;
  domain_id: string;
}

/**
 * The projects the caller may scope a token to (`GET /v3/auth/projects`): the enabled projects
 * it holds a role on, as Keystone lists them.
 */
export async function callerProjects(deps: Deps, caller: Caller): Promise<ProjectRow[]> {
  return repo.listProjects(deps.db, { userId: caller.userId, enabled: true });
}

const target = (p: { id: string; domain_id: string }) => ({
  'target.project.id': p.id,
  'target.project.domain_id': p.domain_id,
});

async function findOr404(deps: Deps, id: string): Promise<ProjectRow> {
  const p = await repo.findProject(deps.db, { id });
  if (!p) throw projectNotFound(id);
  return p;
}

export async function showProject(deps: Deps, caller: Caller, id: string): Promise<ProjectRow> {
  // Keystone builds the target from the project before enforcing: an unknown id is 404 for anyone.
  const p = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:get_project', target(p));
  return p;
}

export interface ProjectListFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  parentId?: string;
  isDomain?: boolean;
}

export async function listProjects(deps: Deps, caller: Caller, f: ProjectListFilter): Promise<ProjectRow[]> {
  await authorizeIdentity(deps, caller, 'identity:list_projects', { 'target.domain_id': f.domainId });
  // No project acts as a domain in Stratus.
  if (f.isDomain === true) return [];
  let parentId: string | null | undefined = f.parentId;
  let domainId = f.domainId;
  if (f.parentId !== undefined && (await repo.findDomain(deps.db, { id: f.parentId }))) {
    // A top-level project's parent is its domain (Keystone's parent_id).
    if (domainId !== undefined && domainId !== f.parentId) return [];
    parentId = null;
    domainId = f.parentId;
  }
  return repo.listProjects(deps.db, { name: f.name, domainId, enabled: f.enabled, parentId });
}

/** GET /v3/users/{id}/projects: the projects the user holds a role on. */
export async function listUserProjects(
  deps: Deps,
  caller: Caller,
  userId: string,
  f: { name?: string; domainId?: string; enabled?: boolean },
): Promise<ProjectRow[]> {
  const user = await repo.findUser(deps.db, { id: userId });
  if (!user) throw userNotFound(userId);
  await authorizeIdentity(deps, caller, 'identity:list_user_projects', {
    'target.user.id': user.id,
    'target.user.domain_id': user.domain_id,
  });
  const rows = await repo.listProjects(deps.db, { userId, name: f.name, domainId: f.domainId, enabled: f.enabled });
  return rows;
}

export interface ProjectInput {
  name: string;
  description?: string | null;
  domain_id?: string;
  parent_id?: string | null;
  enabled?: boolean;
  is_domain?: boolean;
  extra: Record<string, unknown>;
}

const conflict = (name: string, id: string) =>
  storeConflict(
    'project',
    `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${id}`,
  );

export async function createProject(deps: Deps, caller: Caller, input: ProjectInput): Promise<ProjectRow> {
  const domainId = input.domain_id ?? (await callerDomainId(deps, caller));
  await authorizeIdentity(deps, caller, 'identity:create_project', { 'target.project.domain_id': domainId });
  if (input.is_domain) throw identityInvalid('Projects acting as domains are not supported by Stratus.');
  const domain = await repo.findDomain(deps.db, { id: domainId });
  if (!domain) throw domainNotFound(domainId);
  let parentId: string | null = null;
  if (input.parent_id && input.parent_id !== domainId) {
    const parent = await repo.findProject(deps.db, { id: input.parent_id });
    if (!parent) throw projectNotFound(input.parent_id);
    if (parent.domain_id !== domainId)
      throw identityInvalid(
        `Cannot create project, since it specifies its domain_id ${domainId}, but specifies a parent in a different domain (${parent.domain_id}).`,
      );
    if (!parent.enabled)
      throw identityInvalid(`cannot create a project in a branch containing a disabled project: ${parent.id}`);
    parentId = parent.id;
  }
  const id = deps.ids.uuid().replace(/-/g, '');
  try {
    await repo.insertProject(deps.db, {
      id,
      name: input.name,
      domain_id: domainId,
      description: input.description ?? '',
      enabled: input.enabled === false ? 0 : 1,
      parent_id: parentId,
      extra: JSON.stringify(input.extra),
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(input.name, id);
    throw err;
  }
  return findOr404(deps, id);
}

export interface ProjectPatch {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  domain_id?: string;
  parent_id?: string | null;
  is_domain?: boolean;
  extra: Record<string, unknown>;
}

export async function updateProject(
  deps: Deps,
  tokens: TokenService,
  caller: Caller,
  id: string,
  patch: ProjectPatch,
): Promise<ProjectRow> {
  const p = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:update_project', target(p));
  // Keystone's ResourceManager.update_project refusals, in its order.
  if (patch.domain_id !== undefined && patch.domain_id !== p.domain_id)
    throw identityInvalid('Cannot change Domain ID');
  if (patch.parent_id !== undefined && patch.parent_id !== (p.parent_id ?? p.domain_id))
    throw identityForbidden('Update of `parent_id` is not allowed.');
  if (patch.is_domain !== undefined && patch.is_domain !== false)
    throw identityInvalid('Update of `is_domain` is not allowed.');
  const set: Parameters<typeof repo.updateProject>[2] = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description ?? '';
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  if (Object.keys(patch.extra).length > 0) set.extra = JSON.stringify({ ...JSON.parse(p.extra), ...patch.extra });
  if (Object.keys(set).length > 0) {
    try {
      // Disabling a project ends the tokens scoped to it (Keystone revokes them).
      await tokens.invalidating(
        (i) => i.projectId === id,
        () => repo.updateProject(deps.db, id, set),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(patch.name ?? p.name, id);
      throw err;
    }
  }
  return findOr404(deps, id);
}

export async function deleteProject(deps: Deps, tokens: TokenService, caller: Caller, id: string): Promise<void> {
  const p = await findOr404(deps, id);
  await authorizeIdentity(deps, caller, 'identity:delete_project', target(p));
  if (await repo.hasChildProjects(deps.db, id))
    throw identityForbidden(
      `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
    );
  const n = await tokens.invalidating(
    (i) => i.projectId === id,
    () => deps.transact((tx) => repo.deleteProject(tx, id)),
  );
  if (n === 0) throw projectNotFound(id);
}
