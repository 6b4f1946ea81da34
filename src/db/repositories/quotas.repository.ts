import { sql } from 'kysely';
import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';

/** Limits set for a project as a whole (user_id ''), by resource. */
export async function projectLimits(ex: Executor, projectId: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .where('user_id', '=', '')
    .execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

/** Limits of a quota class, by resource. */
export async function classLimits(ex: Executor, className: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('quota_classes')
    .select(['resource', 'hard_limit'])
    .where('class_name', '=', className)
    .execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

export async function setProjectLimit(
  ex: Executor,
  projectId: string,
  resource: string,
  limit: number,
  nowIso: string,
): Promise<void> {
  await ex
    .insertInto('quotas')
    .values({ project_id: projectId, user_id: '', resource, hard_limit: limit, updated_at: nowIso })
    .onConflict((oc) =>
      oc.columns(['project_id', 'user_id', 'resource']).doUpdateSet({ hard_limit: limit, updated_at: nowIso }),
    )
    .execute();
}

/** Limits set for one user in a project (Nova's per-user quotas), by resource. */
export async function userLimits(ex: Executor, projectId: string, userId: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .where('user_id', '!=', '')
    .execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

/**
 * The sum of the per-user limits of a project, by resource (Nova's get_project_quotas with
 * remains: every user row's hard_limit, -1 included, is taken from the project's limit).
 */
export async function userLimitSums(ex: Executor, projectId: string): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('quotas')
    .select(['resource', sql<number | string>`sum(hard_limit)`.as('total')])
    .where('project_id', '=', projectId)
    .where('user_id', '!=', '')
    .groupBy('resource')
    .execute();
  return new Map(rows.map((r) => [r.resource, Number(r.total)]));
}

export async function setUserLimit(
  ex: Executor,
  projectId: string,
  userId: string,
  resource: string,
  limit: number,
  nowIso: string,
): Promise<void> {
  await ex
    .insertInto('quotas')
    .values({ project_id: projectId, user_id: userId, resource, hard_limit: limit, updated_at: nowIso })
    .onConflict((oc) =>
      oc.columns(['project_id', 'user_id', 'resource']).doUpdateSet({ hard_limit: limit, updated_at: nowIso }),
    )
    .execute();
}

/** Removes one user's limits in a project (Nova's destroy_all_by_project_and_user); the project's stay. */
export async function deleteUserLimits(ex: Executor, projectId: string, userId: string): Promise<void> {
  await ex.deleteFrom('quotas').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
}

/** Removes a project's limits, its users' limits included (Nova's destroy_all_by_project). */
export async function deleteProjectLimits(ex: Executor, projectId: string): Promise<void> {
  await ex.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}

export async function setClassLimit(
  ex: Executor,
  className: string,
  resource: string,
  limit: number,
  nowIso: string,
): Promise<void> {
  await ex
    .insertInto('quota_classes')
    .values({ class_name: className, resource, hard_limit: limit, updated_at: nowIso })
    .onConflict((oc) => oc.columns(['class_name', 'resource']).doUpdateSet({ hard_limit: limit, updated_at: nowIso }))
    .execute();
}

/**
 * Locks the project's quota row until the transaction ends (PostgreSQL: the row is created if
 * missing, then SELECT … FOR UPDATE; a second transaction waits here until the first commits,
 * and its counts, read after the wait, see the first one's rows. SQLite: its one writer already
 * runs transactions one after the other).
 */
export async function lockProject(ex: Executor, projectId: string): Promise<void> {
  await ex
    .insertInto('quota_locks')
    .values({ project_id: projectId })
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  const q = ex.selectFrom('quota_locks').select('project_id').where('project_id', '=', projectId);
  await dialectOf(ex).lockRows(q, 'quota_locks').execute();
}

export interface ServerUsage {
  instances: number;
  cores: number;
  ram: number;
}

/**
 * What a project's servers hold (Nova's InstanceList.get_counts): live rows (deleted = 0, so a
 * server being deleted counts until its delete finishes), except soft-deleted ones, which hold
 * nothing until they are restored (a restore in progress counts again). vcpus and RAM come from
 * the flavor each server was booted with. With `userId`, only that user's servers in the project.
 */
export async function serverUsage(ex: Executor, projectId: string, userId?: string): Promise<ServerUsage> {
  const d = dialectOf(ex);
  let q = ex
    .selectFrom('servers')
    .select([
      sql<number | string>`count(*)`.as('instances'),
      sql<number | string | null>`sum(${d.jsonNumber('servers.flavor', 'vcpus')})`.as('cores'),
      sql<number | string | null>`sum(${d.jsonNumber('servers.flavor', 'ram')})`.as('ram'),
    ])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb('vm_state', '!=', 'soft-delete'), eb('task_state', '=', 'restoring')]));
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirstOrThrow();
  return { instances: Number(row.instances), cores: Number(row.cores ?? 0), ram: Number(row.ram ?? 0) };
}

/** Neutron resources a project owns, by Neutron's quota resource name. */
export async function networkUsage(ex: Executor, projectId: string): Promise<Record<string, number>> {
  const count = async (table: 'networks' | 'subnets' | 'ports') =>
    Number(
      (
        await ex
          .selectFrom(table)
          .select(sql<number | string>`count(*)`.as('n'))
          .where('project_id', '=', projectId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { network: await count('networks'), subnet: await count('subnets'), port: await count('ports') };
}
