import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../executor.js';
import type { ServerGroupsTable } from '../schema.js';
import { dialectOf } from '../dialects/dialect.js';

export type ServerGroupRow = Selectable<ServerGroupsTable>;
export type NewServerGroup = Insertable<ServerGroupsTable>;

export async function insertGroup(ex: Executor, row: NewServerGroup): Promise<ServerGroupRow> {
  return ex.insertInto('server_groups').values(row).returningAll().executeTakeFirstOrThrow();
}

/** One group; with `projectId`, only if it is that project's. */
export async function getGroup(
  ex: Executor,
  id: string,
  opts: { projectId?: string } = {},
): Promise<ServerGroupRow | undefined> {
  let q = ex.selectFrom('server_groups').selectAll().where('id', '=', id);
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  return q.executeTakeFirst();
}

/**
 * Locks the group's row until the transaction ends (PostgreSQL: SELECT … FOR UPDATE; SQLite's
 * one writer already serialises), so that creates into one group place their servers one after
 * the other. Undefined when the group is gone.
 */
export async function lockGroup(ex: Executor, id: string): Promise<ServerGroupRow | undefined> {
  const q = ex.selectFrom('server_groups').selectAll().where('id', '=', id);
  return dialectOf(ex).lockRows(q, 'server_groups').executeTakeFirst();
}

/** A page of groups in creation order (Nova lists them by id), of one project or (undefined) of all. */
export async function listGroups(
  ex: Executor,
  opts: { projectId?: string; limit: number; offset?: number },
): Promise<ServerGroupRow[]> {
  let q = ex.selectFrom('server_groups').selectAll();
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  q = q.orderBy('seq', 'asc').limit(opts.limit);
  if (opts.offset) q = q.offset(opts.offset);
  return q.execute();
}

/** Deletes a group and its memberships; false when there was none. */
export async function deleteGroup(ex: Executor, id: string): Promise<boolean> {
  await ex.deleteFrom('server_group_members').where('group_id', '=', id).execute();
  const r = await ex.deleteFrom('server_groups').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countGroups(ex: Executor, projectId: string): Promise<number> {
  const row = await ex
    .selectFrom('server_groups')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function addMember(
  ex: Executor,
  groupId: string,
  serverId: string,
  host: string | null,
  nowIso: string,
): Promise<void> {
  await ex
    .insertInto('server_group_members')
    .values({ group_id: groupId, server_id: serverId, host, created_at: nowIso })
    .execute();
}

/** Removes a server from its group (if any); false when it was in none. */
export async function removeMember(ex: Executor, serverId: string): Promise<boolean> {
  const r = await ex.deleteFrom('server_group_members').where('server_id', '=', serverId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * The members of the groups `groupIds` whose server rows are not deleted (Nova shows only those),
 * with the host each one runs on: the server's own once the agent claimed it, else the host
 * chosen at create.
 */
export async function liveMembers(
  ex: Executor,
  groupIds: string[],
): Promise<Array<{ group_id: string; server_id: string; host: string | null }>> {
  if (groupIds.length === 0) return [];
  const rows = await ex
    .selectFrom('server_group_members as m')
    .innerJoin('servers as s', 's.id', 'm.server_id')
    .select(['m.group_id', 'm.server_id', 'm.host as chosen', 's.host as host'])
    .where('m.group_id', 'in', groupIds)
    .where('s.deleted', '=', 0)
    .orderBy('m.created_at', 'asc')
    .orderBy('m.server_id', 'asc')
    .execute();
  return rows.map((r) => ({ group_id: r.group_id, server_id: r.server_id, host: r.host ?? r.chosen }));
}

/** The group of each of `serverIds` that is in one. */
export async function groupsOfServers(ex: Executor, serverIds: string[]): Promise<Map<string, string>> {
  if (serverIds.length === 0) return new Map();
  const rows = await ex
    .selectFrom('server_group_members')
    .select(['server_id', 'group_id'])
    .where('server_id', 'in', serverIds)
    .execute();
  return new Map(rows.map((r) => [r.server_id, r.group_id]));
}

/** How many live servers the group holds (the server_group_members quota counts these). */
export async function countMembers(ex: Executor, groupId: string): Promise<number> {
  const row = await ex
    .selectFrom('server_group_members as m')
    .innerJoin('servers as s', 's.id', 'm.server_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('m.group_id', '=', groupId)
    .where('s.deleted', '=', 0)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
