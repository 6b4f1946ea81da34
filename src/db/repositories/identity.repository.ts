import type { Executor } from '../executor.js';
import type { TokensTable } from '../schema.js';

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

/** The token row with its user's current password generation and enabled flag (no row: unknown token or user gone). */
export async function findToken(ex: Executor, tokenHash: string) {
  return ex
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .selectAll('tokens')
    .select(['users.password_generation as user_password_generation', 'users.enabled as user_enabled'])
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
