import type { Executor } from '../executor.js';
import type { Insertable, Updateable } from 'kysely';
import type { DomainsTable, ProjectsTable, TokensTable, UsersTable } from '../schema.js';

export async function findDomain(ex: Executor, ref: { id?: string; name?: string }) {
  let q = ex.selectFrom('domains').selectAll();
  if (ref.id) q = q.where('id', '=', ref.id);
  else if (ref.name) q = q.where('name', '=', ref.name);
  else return undefined;
  return q.executeTakeFirst();
}

export async function findUser(ex: Executor, ref: { id?: string; name?: string; domainId?: string }) {
  let q = ex.selectFrom('users').selectAll();
  if (ref.id) q = q.where('id', '=', ref.id);
  else if (ref.name && ref.domainId) q = q.where('name', '=', ref.name).where('domain_id', '=', ref.domainId);
  else return undefined;
  return q.executeTakeFirst();
}

export async function findProject(ex: Executor, ref: { id?: string; name?: string; domainId?: string }) {
  let q = ex.selectFrom('projects').selectAll();
  if (ref.id) q = q.where('id', '=', ref.id);
  else if (ref.name && ref.domainId) q = q.where('name', '=', ref.name).where('domain_id', '=', ref.domainId);
  else return undefined;
  return q.executeTakeFirst();
}

export async function roleNamesFor(ex: Executor, userId: string, projectId: string): Promise<string[]> {
  const rows = await ex
    .selectFrom('role_assignments')
    .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select(['roles.name'])
    .where('role_assignments.user_id', '=', userId)
    .where('role_assignments.project_id', '=', projectId)
    .execute();
  return rows.map((r) => r.name);
}

export async function allRoles(ex: Executor) {
  return ex.selectFrom('roles').selectAll().execute();
}

export async function insertToken(ex: Executor, row: TokensTable): Promise<void> {
  await ex.insertInto('tokens').values(row).execute();
}

/**
 * The token row with its user's current password generation and enabled flag (no row: unknown
 * token or user gone), whether the user's domain is enabled, and for a project-scoped token
 * whether its project is still there and enabled (null: gone; unscoped tokens have no project).
 */
export async function findToken(ex: Executor, tokenHash: string) {
  return ex
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .leftJoin('domains', 'domains.id', 'users.domain_id')
    .leftJoin('projects', 'projects.id', 'tokens.project_id')
    .selectAll('tokens')
    .select([
      'users.password_generation as user_password_generation',
      'users.enabled as user_enabled',
      'domains.enabled as domain_enabled',
      'projects.enabled as project_enabled',
    ])
    .where('tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Sets a user's password hash and moves the user to the next password generation, in one write. */
export async function setUserPassword(ex: Executor, userId: string, passwordHash: string): Promise<void> {
  await ex
    .updateTable('users')
    .set((eb) => ({ password_hash: passwordHash, password_generation: eb('password_generation', '+', 1) }))
    .where('id', '=', userId)
    .execute();
}

/** A new hash of the same password (a new salt): tokens stay valid, the generation does not move. */
export async function resaltUserPassword(ex: Executor, userId: string, passwordHash: string): Promise<void> {
  await ex.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function revokeToken(ex: Executor, tokenHash: string): Promise<number> {
  const r = await ex
    .updateTable('tokens')
    .set({ revoked: 1 })
    .where('token_hash', '=', tokenHash)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** A trivial query: is the database answering? */
export async function ping(ex: Executor): Promise<void> {
  await ex.selectFrom('domains').select('id').limit(1).execute();
}

// ---------------------------------------------------------------------------------------------
// Keystone's admin API: domains, projects, users, role assignments.

export async function listDomains(ex: Executor, f: { name?: string; enabled?: boolean } = {}) {
  let q = ex.selectFrom('domains').selectAll();
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  return q.orderBy('id').execute();
}

export async function insertDomain(ex: Executor, row: Insertable<DomainsTable>): Promise<void> {
  await ex.insertInto('domains').values(row).execute();
}

/** The number of domains changed (0: no such domain). */
export async function updateDomain(ex: Executor, id: string, patch: Updateable<DomainsTable>): Promise<number> {
  const r = await ex.updateTable('domains').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteDomain(ex: Executor, id: string): Promise<number> {
  const r = await ex.deleteFrom('domains').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Whether a domain still holds projects or users (Stratus refuses to delete it then; Keystone deletes them with it). */
export async function domainInUse(ex: Executor, id: string): Promise<boolean> {
  const p = await ex.selectFrom('projects').select('id').where('domain_id', '=', id).limit(1).execute();
  const u = await ex.selectFrom('users').select('id').where('domain_id', '=', id).limit(1).execute();
  return p.length + u.length > 0;
}

export interface ProjectFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  /** null: top-level projects only. */
  parentId?: string | null;
  /** Only the projects this user holds a role on. */
  userId?: string;
}

export async function listProjects(ex: Executor, f: ProjectFilter = {}) {
  let q = ex.selectFrom('projects').selectAll('projects');
  if (f.name !== undefined) q = q.where('projects.name', '=', f.name);
  if (f.domainId !== undefined) q = q.where('projects.domain_id', '=', f.domainId);
  if (f.enabled !== undefined) q = q.where('projects.enabled', '=', f.enabled ? 1 : 0);
  if (f.parentId === null) q = q.where('projects.parent_id', 'is', null);
  else if (f.parentId !== undefined) q = q.where('projects.parent_id', '=', f.parentId);
  if (f.userId !== undefined) {
    const userId = f.userId;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('role_assignments')
          .select('role_assignments.project_id')
          .whereRef('role_assignments.project_id', '=', 'projects.id')
          .where('role_assignments.user_id', '=', userId),
      ),
    );
  }
  return q.orderBy('projects.id').execute();
}

export async function insertProject(ex: Executor, row: Insertable<ProjectsTable>): Promise<void> {
  await ex.insertInto('projects').values(row).execute();
}

export async function updateProject(ex: Executor, id: string, patch: Updateable<ProjectsTable>): Promise<number> {
  const r = await ex.updateTable('projects').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Whether a project has child projects (Keystone refuses to delete those). */
export async function hasChildProjects(ex: Executor, id: string): Promise<boolean> {
  const rows = await ex.selectFrom('projects').select('id').where('parent_id', '=', id).limit(1).execute();
  return rows.length > 0;
}

/** Deletes a project and the role assignments on it; the number of projects deleted. */
export async function deleteProject(ex: Executor, id: string): Promise<number> {
  await ex.deleteFrom('role_assignments').where('project_id', '=', id).execute();
  const r = await ex.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listUsers(ex: Executor, f: { name?: string; domainId?: string; enabled?: boolean } = {}) {
  let q = ex.selectFrom('users').selectAll();
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.domainId !== undefined) q = q.where('domain_id', '=', f.domainId);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  return q.orderBy('id').execute();
}

export async function insertUser(ex: Executor, row: Insertable<UsersTable>): Promise<void> {
  await ex.insertInto('users').values(row).execute();
}

/** Changes a user's attributes other than the password (setUserPassword does that). */
export async function updateUser(
  ex: Executor,
  id: string,
  patch: Omit<Updateable<UsersTable>, 'password_hash' | 'password_generation'>,
): Promise<number> {
  const r = await ex.updateTable('users').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Deletes a user and its role assignments and tokens; the number of users deleted. */
export async function deleteUser(ex: Executor, id: string): Promise<number> {
  await ex.deleteFrom('role_assignments').where('user_id', '=', id).execute();
  await ex.deleteFrom('tokens').where('user_id', '=', id).execute();
  const r = await ex.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function findRole(ex: Executor, ref: { id?: string; name?: string }) {
  let q = ex.selectFrom('roles').selectAll();
  if (ref.id) q = q.where('id', '=', ref.id);
  else if (ref.name) q = q.where('name', '=', ref.name);
  else return undefined;
  return q.executeTakeFirst();
}

export interface Assignment {
  userId: string;
  projectId: string;
  roleId: string;
}

/** Grants a role; granting one the user already holds changes nothing (Keystone's PUT is idempotent). */
export async function grantRole(ex: Executor, a: Assignment): Promise<void> {
  await ex
    .insertInto('role_assignments')
    .values({ user_id: a.userId, project_id: a.projectId, role_id: a.roleId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The number of assignments removed (0: there was none). */
export async function revokeRole(ex: Executor, a: Assignment): Promise<number> {
  const r = await ex
    .deleteFrom('role_assignments')
    .where('user_id', '=', a.userId)
    .where('project_id', '=', a.projectId)
    .where('role_id', '=', a.roleId)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Role assignments with the names of their user, project, role and domains, filtered. */
export async function listAssignments(ex: Executor, f: Partial<Assignment> = {}) {
  let q = ex
    .selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.user_id')
    .innerJoin('projects', 'projects.id', 'role_assignments.project_id')
    .innerJoin('roles', 'roles.id', 'role_assignments.role_id')
    .select([
      'role_assignments.user_id',
      'role_assignments.project_id',
      'role_assignments.role_id',
      'users.name as user_name',
      'users.domain_id as user_domain_id',
      'projects.name as project_name',
      'projects.domain_id as project_domain_id',
      'roles.name as role_name',
    ]);
  if (f.userId !== undefined) q = q.where('role_assignments.user_id', '=', f.userId);
  if (f.projectId !== undefined) q = q.where('role_assignments.project_id', '=', f.projectId);
  if (f.roleId !== undefined) q = q.where('role_assignments.role_id', '=', f.roleId);
  return q
    .orderBy('role_assignments.user_id')
    .orderBy('role_assignments.project_id')
    .orderBy('role_assignments.role_id')
    .execute();
}

/** Revokes the user's tokens scoped to one project (a role on it was taken away); the number revoked. */
export async function revokeProjectTokensOf(ex: Executor, userId: string, projectId: string): Promise<number> {
  const r = await ex
    .updateTable('tokens')
    .set({ revoked: 1 })
    .where('user_id', '=', userId)
    .where('project_id', '=', projectId)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function insertRole(ex: Executor, row: { id: string; name: string }): Promise<void> {
  await ex.insertInto('roles').values(row).execute();
}

/** Deletes a role and every assignment of it; the number of roles deleted. */
export async function deleteRole(ex: Executor, id: string): Promise<number> {
  await ex.deleteFrom('role_assignments').where('role_id', '=', id).execute();
  const r = await ex.deleteFrom('roles').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}
