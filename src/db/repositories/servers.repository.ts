import { sql, type Insertable, type Selectable, type SqlBool, type Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';
import { prepared } from '../prepared.js';
import type { ServersTable } from '../schema.js';
import type { TaskState, VmState } from '../../domain/states.js';
import { purgeOrphanTags, whereTags, type TagFilters } from './server-tags.repository.js';

/**
 * A server as read: vm_state and task_state are the domain's unions. Only this module writes
 * them, and only values of those unions (the column types in schema.ts are plain text).
 */
export type ServerRow = Omit<Selectable<ServersTable>, 'vm_state' | 'task_state'> & {
  vm_state: VmState;
  task_state: TaskState | null;
};
/** What a compare-and-set may change. */
export type ServerChanges = Omit<Updateable<ServersTable>, 'vm_state' | 'task_state'> & {
  vm_state?: VmState;
  task_state?: TaskState | null;
};

export type NewServer = Omit<Insertable<ServersTable>, 'vm_state' | 'task_state'> & {
  vm_state: VmState;
  task_state: TaskState | null;
};

export async function insertServer(ex: Executor, row: NewServer): Promise<void> {
  await ex.insertInto('servers').values(row).execute();
}

/** A live (not DB-deleted) server by id; `projectId` restricts to one project (non-admin scope). */
export async function getServer(
  ex: Executor,
  id: string,
  opts: { projectId?: string; readDeleted?: boolean } = {},
): Promise<ServerRow | undefined> {
  return (await selectServer(ex, id, opts.projectId, opts.readDeleted === true)).rows[0] as ServerRow | undefined;
}
const selectServer = prepared((ex: Executor, id: string, projectId: string | undefined, readDeleted: boolean) => {
  let q = ex.selectFrom('servers').selectAll().where('id', '=', id);
  if (!readDeleted) q = q.where('deleted', '=', 0);
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q;
});

/**
 * `deleted = 0` as a condition no index answers, for statements that pick servers by a list of
 * ids: SQLite (no statistics) otherwise chose the servers_live index for `deleted = 0`, i.e.
 * walked every live server per statement, instead of the primary key for the ids.
 */
export const notDeletedUnindexed = sql<SqlBool>`${sql.ref('servers.deleted')} + 0 = 0`;

/** The live (not deleted) servers among `ids`, in no order. */
export async function getServers(ex: Executor, ids: string[]): Promise<ServerRow[]> {
  if (ids.length === 0) return [];
  return (await ex
    .selectFrom('servers')
    .selectAll()
    .where('id', 'in', ids)
    .where(notDeletedUnindexed)
    .execute()) as ServerRow[];
}

/**
 * The server (its row locked for the transaction) and, in the same
 * round trip, the liveness of its compute node's service: what a delete needs to choose between
 * a remote and a local delete.
 */
export async function getServerAndNodeForUpdate(
  ex: Executor,
  id: string,
): Promise<{ server: ServerRow; node: { forced_down: number; last_seen_at: string } | undefined } | undefined> {
  const r = (await selectServerAndNode(ex, id)).rows[0];
  if (!r) return undefined;
  // The row keeps the two node_* columns: cheaper than copying thirty others into a new object.
  return {
    server: r as ServerRow,
    node:
      r.node_last_seen_at === null
        ? undefined
        : { forced_down: Number(r.node_forced_down), last_seen_at: r.node_last_seen_at },
  };
}
const selectServerAndNode = prepared((ex: Executor, id: string) => {
  const q = ex
    .selectFrom('servers')
    .leftJoin('services', (j) =>
      j.onRef('services.host', '=', 'servers.host').on('services.binary', '=', 'nova-compute'),
    )
    .selectAll('servers')
    .select(['services.forced_down as node_forced_down', 'services.last_seen_at as node_last_seen_at'])
    .where('servers.id', '=', id)
    .where('servers.deleted', '=', 0);
  return dialectOf(ex).lockRows(q, 'servers');
});

/**
 * Compare-and-set: applies `changes` only when the row is live and its task_state is still
 * `expectedTaskState` (null = no task; undefined = any), and, with `expectUnlocked`, nobody
 * holds a lock. Returns whether a row changed.
 */
export async function casUpdateServer(
  ex: Executor,
  id: string,
  expectedTaskState: TaskState | null | undefined,
  changes: ServerChanges,
  opts: { expectUnlocked?: boolean } = {},
): Promise<boolean> {
  return changed(await casUpdate(ex, id, expectedTaskState, changes, opts.expectUnlocked === true));
}
const casUpdate = prepared(
  (
    ex: Executor,
    id: string,
    expectedTaskState: TaskState | null | undefined,
    changes: ServerChanges,
    expectUnlocked: boolean,
  ) => {
    let q = ex.updateTable('servers').set(changes).where('id', '=', id).where('deleted', '=', 0);
    if (expectUnlocked) q = q.where('locked_by', 'is', null);
    if (expectedTaskState === null) q = q.where('task_state', 'is', null);
    else if (expectedTaskState !== undefined) q = q.where('task_state', '=', expectedTaskState);
    return q;
  },
);

/** Whether a write changed at least one row. */
const changed = (r: { numAffectedRows?: bigint }): boolean => Number(r.numAffectedRows ?? 0) > 0;

/**
 * Marks the row deleted (Nova's soft-deleted row: readable by admins and changes-since).
 * With `expectedTaskState`, only if the server is still in that task (compare-and-set).
 */
export async function markServerDeleted(
  ex: Executor,
  id: string,
  nowIso: string,
  vmState: VmState = 'deleted',
  expectedTaskState?: TaskState,
): Promise<boolean> {
  return changed(await markDeleted(ex, id, nowIso, vmState, expectedTaskState));
}
const markDeleted = prepared(
  (ex: Executor, id: string, nowIso: string, vmState: VmState, expectedTaskState: TaskState | undefined) => {
    const q = ex
      .updateTable('servers')
      .set({
        deleted: 1,
        deleted_at: nowIso,
        terminated_at: nowIso,
        updated_at: nowIso,
        vm_state: vmState,
        task_state: null,
        power_state: 0,
      })
      .where('id', '=', id)
      .where('deleted', '=', 0);
    return expectedTaskState !== undefined ? q.where('task_state', '=', expectedTaskState) : q;
  },
);

export interface ServerListFilter {
  projectId?: string;
  name?: string;
  vmStates?: string[];
  taskStates?: Array<string | null>;
  changesSince?: string;
  changesBefore?: string;
  /** 'no': live rows except soft-deleted; 'only': DB-deleted or soft-deleted; 'any': everything. */
  deleted: 'no' | 'only' | 'any';
  imageId?: string;
  flavorId?: string;
  host?: string;
  reservationId?: string;
  locked?: boolean;
  userId?: string;
  tags?: TagFilters;
  sortKey: keyof ServersTable;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: ServerRow;
}

export async function listServers(ex: Executor, f: ServerListFilter): Promise<ServerRow[]> {
  let q = ex.selectFrom('servers').selectAll();
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (f.deleted === 'no') q = q.where('deleted', '=', 0).where('vm_state', '!=', 'soft-delete');
  else if (f.deleted === 'only')
    q = q.where((eb) => eb.or([eb('deleted', '=', 1), eb('vm_state', '=', 'soft-delete')]));
  // Nova parity: the name filter is a regular expression searched anywhere in the name, case-sensitive (db/main/api.py _regex_instance_filter).
  if (f.name !== undefined) q = q.where(dialectOf(ex).regexpMatch('name', f.name));
  if (f.vmStates) q = q.where('vm_state', 'in', f.vmStates.length ? f.vmStates : ['-none-']);
  if (f.taskStates) {
    const named = f.taskStates.filter((t): t is string => t !== null);
    const withNull = f.taskStates.includes(null);
    q = q.where((eb) =>
      eb.or([
        ...(named.length ? [eb('task_state', 'in', named)] : []),
        ...(withNull ? [eb('task_state', 'is', null)] : []),
      ]),
    );
  }
  if (f.changesSince !== undefined) q = q.where('updated_at', '>=', f.changesSince);
  if (f.changesBefore !== undefined) q = q.where('updated_at', '<=', f.changesBefore);
  if (f.imageId !== undefined) q = q.where('image_id', '=', f.imageId);
  if (f.flavorId !== undefined) q = q.where('flavor_id', '=', f.flavorId);
  if (f.host !== undefined) q = q.where('host', '=', f.host);
  if (f.reservationId !== undefined) q = q.where('reservation_id', '=', f.reservationId);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.locked !== undefined) q = q.where('locked_by', f.locked ? 'is not' : 'is', null);
  q = whereTags(q, f.tags);
  const key = f.sortKey;
  const desc = f.sortDir === 'desc';
  const cmp = desc ? '<' : '>';
  // NULL sorts below every value on both dialects, as on MySQL (Nova's reference database) and
  // SQLite: first ascending, last descending. The marker's page continues past the NULL group.
  if (f.marker) {
    const mv = f.marker[key] as string | number | null;
    const mid = f.marker.id;
    if (mv === null) {
      q = q.where((eb) =>
        eb.or([eb.and([eb(key, 'is', null), eb('id', cmp, mid)]), ...(desc ? [] : [eb(key, 'is not', null)])]),
      );
    } else {
      q = q.where((eb) =>
        eb.or([
          eb(key, cmp, mv),
          eb.and([eb(key, '=', mv), eb('id', cmp, mid)]),
          ...(desc && NULLABLE_SORT_KEYS.has(key) ? [eb(key, 'is', null)] : []),
        ]),
      );
    }
  }
  // PostgreSQL's default is the opposite (NULL above every value); said only for nullable keys,
  // so the listing of a NOT NULL key still reads its index in order.
  const ordered = NULLABLE_SORT_KEYS.has(key)
    ? q.orderBy(key, (ob) => (desc ? ob.desc().nullsLast() : ob.asc().nullsFirst()))
    : q.orderBy(key, f.sortDir);
  return ordered.orderBy('id', f.sortDir).limit(f.limit).execute() as Promise<ServerRow[]>;
}

/** The nullable columns of servers (schema.ts): a listing sorted by one places its NULLs explicitly. */
const NULLABLE_SORT_KEYS = new Set<keyof ServersTable>([
  'description',
  'task_state',
  'host',
  'launched_at',
  'terminated_at',
  'locked_by',
  'locked_reason',
  'key_name',
  'user_data',
  'fault',
  'deleted_at',
]);

/** Servers on a host that the database says are gone but whose guests may still run (orphans). */
export async function deletedServerIdsOnHost(ex: Executor, host: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const liveSet = new Set<string>();
  // Chunks keep each statement well under the dialects' bound-parameter limits.
  for (let i = 0; i < ids.length; i += 500) {
    const live = await ex
      .selectFrom('servers')
      .select('id')
      .where('id', 'in', ids.slice(i, i + 500))
      .where('deleted', '=', 0)
      .where('host', '=', host)
      .execute();
    for (const r of live) liveSet.add(r.id);
  }
  return ids.filter((id) => !liveSet.has(id));
}

/** Soft-deleted servers on a host whose reclaim time has passed. */
export async function reclaimableServers(ex: Executor, host: string, deletedBefore: string): Promise<ServerRow[]> {
  return ex
    .selectFrom('servers')
    .selectAll()
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .where('vm_state', '=', 'soft-delete')
    .where('task_state', 'is', null)
    .where('deleted_at', '<', deletedBefore)
    .limit(100)
    .execute() as Promise<ServerRow[]>;
}

/** `stratus db purge`: removes deleted rows (and their actions) older than `before`. */
export async function purgeDeletedServers(ex: Executor, before: string): Promise<number> {
  const ids = ex.selectFrom('servers').select('id').where('deleted', '=', 1).where('deleted_at', '<', before);
  await ex
    .deleteFrom('instance_action_events')
    .where('action_id', 'in', ex.selectFrom('instance_actions').select('id').where('server_id', 'in', ids))
    .execute();
  await ex.deleteFrom('instance_actions').where('server_id', 'in', ids).execute();
  await ex.deleteFrom('task_steps').where('server_id', 'in', ids).execute();
  const r = await ex.deleteFrom('servers').where('deleted', '=', 1).where('deleted_at', '<', before).executeTakeFirst();
  await purgeOrphanTags(ex);
  return Number(r.numDeletedRows);
}

/** Live servers a node holds (for the fake driver's adoption at start). */
export async function liveServersOnHost(ex: Executor, host: string): Promise<ServerRow[]> {
  return ex.selectFrom('servers').selectAll().where('host', '=', host).where('deleted', '=', 0).execute() as Promise<
    ServerRow[]
  >;
}

/** Servers the database believes run idle on a node (the power-state sync checks them). */
export async function activeIdleServerIdsOnHost(ex: Executor, host: string): Promise<string[]> {
  const rows = await ex
    .selectFrom('servers')
    .select('id')
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .where('task_state', 'is', null)
    .where('vm_state', '=', 'active')
    .execute();
  return rows.map((r) => r.id);
}

/** Marks an idle ACTIVE server SHUTOFF (its guest is not running); false if it changed meanwhile. */
export async function markStoppedIfIdle(ex: Executor, id: string, nowIso: string): Promise<boolean> {
  const r = await ex
    .updateTable('servers')
    .set({ vm_state: 'stopped', power_state: 4, updated_at: nowIso })
    .where('id', '=', id)
    .where('vm_state', '=', 'active')
    .where('task_state', 'is', null)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The end of a reclaimed soft delete; false if it was restored or deleted meanwhile. */
export async function markReclaimed(ex: Executor, id: string, nowIso: string): Promise<boolean> {
  const r = await ex
    .updateTable('servers')
    .set({
      deleted: 1,
      terminated_at: nowIso,
      updated_at: nowIso,
      vm_state: 'deleted',
      task_state: null,
      power_state: 0,
    })
    .where('id', '=', id)
    .where('vm_state', '=', 'soft-delete')
    .where('task_state', '=', 'deleting')
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Live servers per host, for placement. */
export async function liveServerCounts(ex: Executor, hosts: string[]): Promise<Map<string, number>> {
  if (hosts.length === 0) return new Map();
  const rows = await ex
    .selectFrom('servers')
    .select(['host'])
    .select((eb) => eb.fn.count<number>('id').as('n'))
    .where('deleted', '=', 0)
    .where('host', 'in', hosts)
    .groupBy('host')
    .execute();
  return new Map(rows.map((r) => [r.host ?? '', Number(r.n)]));
}

/** Unlocks a server if its lock is still the one the caller was authorised against (compare-and-set). */
export async function unlockIfLockedBy(
  ex: Executor,
  id: string,
  seenLockedBy: string | null,
  nowIso: string,
): Promise<boolean> {
  let q = ex
    .updateTable('servers')
    .set({ locked_by: null, locked_reason: null, updated_at: nowIso })
    .where('id', '=', id)
    .where('deleted', '=', 0);
  q = seenLockedBy === null ? q.where('locked_by', 'is', null) : q.where('locked_by', '=', seenLockedBy);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
