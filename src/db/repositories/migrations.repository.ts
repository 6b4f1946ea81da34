import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../executor.js';
import type { MigrationsTable } from '../schema.js';

export type MigrationRow = Selectable<MigrationsTable>;
export type NewMigration = Omit<Insertable<MigrationsTable>, 'id'>;

/** Statuses in which a migration is still under way (Nova's MigrationList in-progress filter; 'accepted' starts an evacuation, 'queued' a live migration). */
export const IN_PROGRESS_STATUSES = [
  'accepted',
  'pre-migrating',
  'migrating',
  'post-migrating',
  'finished',
  'confirming',
  'reverting',
  'running',
  'preparing',
  'queued',
] as const;

const normalise = (r: MigrationRow): MigrationRow => ({ ...r, id: Number(r.id) });

export async function insertMigration(ex: Executor, row: NewMigration): Promise<MigrationRow> {
  const out = await ex.insertInto('migrations').values(row).returningAll().executeTakeFirstOrThrow();
  return normalise(out);
}

export async function getMigration(ex: Executor, id: number): Promise<MigrationRow | undefined> {
  const r = await ex.selectFrom('migrations').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? normalise(r) : undefined;
}

/** The newest migration of a server in one of `statuses` (Nova's get_by_instance_and_status). */
export async function serverMigrationIn(
  ex: Executor,
  serverId: string,
  statuses: readonly string[],
): Promise<MigrationRow | undefined> {
  if (statuses.length === 0) return undefined;
  const r = await ex
    .selectFrom('migrations')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('status', 'in', [...statuses])
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return r ? normalise(r) : undefined;
}

/** Compare-and-set of the status: true when the migration was in one of `from` (the move's steps race a delete). */
export async function casMigrationStatus(
  ex: Executor,
  id: number,
  from: readonly string[],
  to: string,
  now: string,
): Promise<boolean> {
  if (from.length === 0) return false;
  const r = await ex
    .updateTable('migrations')
    .set({ status: to, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface MigrationFilter {
  serverId?: string;
  status?: string;
  migrationType?: string;
  /** Source or destination compute (Nova's `host` filter). */
  host?: string;
  sourceCompute?: string;
  projectId?: string;
  userId?: string;
  /** updated_at (created_at before any update) at or after this time. */
  changesSince?: string;
  /** ... at or before this time. */
  changesBefore?: string;
  /** Only migrations older than this one in the list order (paging marker). */
  before?: { createdAt: string; id: number };
  limit?: number;
}

/** Newest first (created_at, then id, descending), as Nova lists them. */
export async function listMigrations(ex: Executor, f: MigrationFilter = {}): Promise<MigrationRow[]> {
  let q = ex.selectFrom('migrations').selectAll();
  if (f.serverId !== undefined) q = q.where('server_id', '=', f.serverId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.migrationType !== undefined) q = q.where('migration_type', '=', f.migrationType);
  if (f.sourceCompute !== undefined) q = q.where('source_compute', '=', f.sourceCompute);
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  const host = f.host;
  if (host !== undefined) q = q.where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]));
  if (f.changesSince !== undefined) {
    const t = f.changesSince;
    q = q.where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '>=', t));
  }
  if (f.changesBefore !== undefined) {
    const t = f.changesBefore;
    q = q.where((eb) => eb(eb.fn.coalesce('updated_at', 'created_at'), '<=', t));
  }
  const before = f.before;
  if (before)
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  q = q.orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  return (await q.execute()).map(normalise);
}

/** Migrations of a server still under way: a delete moves them to `error` (none is left running). */
export async function failOpenMigrations(ex: Executor, serverId: string, now: string): Promise<number> {
  const r = await ex
    .updateTable('migrations')
    .set({ status: 'error', updated_at: now })
    .where('server_id', '=', serverId)
    .where('status', 'in', [...IN_PROGRESS_STATUSES])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Resizes waiting in VERIFY_RESIZE on a destination node since before `finishedBefore` (Nova's _poll_unconfirmed_resizes). */
export async function unconfirmedResizes(
  ex: Executor,
  destHost: string,
  finishedBefore: string,
): Promise<MigrationRow[]> {
  const rows = await ex
    .selectFrom('migrations')
    .selectAll()
    .where('dest_compute', '=', destHost)
    .where('status', '=', 'finished')
    .where('updated_at', '<=', finishedBefore)
    .orderBy('id')
    .execute();
  return rows.map(normalise);
}

/**
 * Of `ids` (guests a node holds), the live servers with a move under way that involves `host`:
 * the orphan reaper leaves these alone (a resize source keeps its guest until confirm or revert).
 */
export async function movingServerIds(ex: Executor, host: string, ids: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await ex
      .selectFrom('migrations')
      .innerJoin('servers', 'servers.id', 'migrations.server_id')
      .select('migrations.server_id')
      .where('migrations.server_id', 'in', ids.slice(i, i + 500))
      .where('servers.deleted', '=', 0)
      .where('migrations.status', 'in', [...IN_PROGRESS_STATUSES])
      .where((eb) => eb.or([eb('migrations.source_compute', '=', host), eb('migrations.dest_compute', '=', host)]))
      .execute();
    for (const r of rows) out.add(r.server_id);
  }
  return out;
}

export async function getMigrationByUuid(ex: Executor, uuid: string): Promise<MigrationRow | undefined> {
  const r = await ex.selectFrom('migrations').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  return r ? normalise(r) : undefined;
}

/** The statuses of an evacuation whose source may still hold the guest (Nova's _destroy_evacuated_instances filter). */
export const EVACUATION_LEFTOVER_STATUSES = ['accepted', 'pre-migrating', 'done'] as const;

/** Evacuations away from `host` it has not cleaned up after yet, deleted servers' included (oldest first). */
export async function evacuationsFromHost(ex: Executor, host: string): Promise<MigrationRow[]> {
  const rows = await ex
    .selectFrom('migrations')
    .selectAll()
    .where('source_compute', '=', host)
    .where('migration_type', '=', 'evacuation')
    .where('status', 'in', [...EVACUATION_LEFTOVER_STATUSES])
    .orderBy('id')
    .execute();
  return rows.map(normalise);
}
