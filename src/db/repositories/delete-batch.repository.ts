import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';
import {
  writeRemoteDeletesPostgres,
  type RemoteDeleteResult,
  type RemoteDeleteWrite,
} from '../dialects/postgres-delete-batch.js';
import { IN_PROGRESS_STATUSES } from './migrations.repository.js';
import { casUpdateServer, notDeletedUnindexed, type ServerRow } from './servers.repository.js';
import { closeTasksForServer, insertTask } from './tasks.repository.js';
import { insertAction } from './actions.repository.js';
import type { TaskState } from '../../domain/states.js';

export type { RemoteDeleteResult, RemoteDeleteWrite } from '../dialects/postgres-delete-batch.js';

/** A live server as a batched delete sees it: the row, its node, and what would make the delete more than the simple case. */
export interface DeleteCandidate {
  server: ServerRow;
  node: { forced_down: number; last_seen_at: string } | undefined;
  /** A resize or move under way (docs/delete-server.md B11/B12). */
  hasMigration: boolean;
  /** A queued task of one of `imageTaskKinds` (its image goes with the server). */
  hasImageTask: boolean;
}

/**
 * The live servers among `ids` with their nodes, row-locked for the transaction (in id order,
 * so two batches lock in the same order), in one statement; missing ones are absent from the map.
 */
export async function lockServersForDelete(
  ex: Executor,
  ids: string[],
  imageTaskKinds: string[],
): Promise<Map<string, DeleteCandidate>> {
  const out = new Map<string, DeleteCandidate>();
  if (!ids.length) return out;
  const q = ex
    .selectFrom('servers')
    .leftJoin('services', (j) =>
      j.onRef('services.host', '=', 'servers.host').on('services.binary', '=', 'nova-compute'),
    )
    .selectAll('servers')
    .select(['services.forced_down as node_forced_down', 'services.last_seen_at as node_last_seen_at'])
    .select((eb) => [
      eb
        .exists(
          eb
            .selectFrom('migrations')
            .select('migrations.id')
            .whereRef('migrations.server_id', '=', 'servers.id')
            .where('migrations.status', 'in', [...IN_PROGRESS_STATUSES]),
        )
        .as('has_migration'),
      eb
        .exists(
          eb
            .selectFrom('tasks')
            .select('tasks.id')
            .whereRef('tasks.server_id', '=', 'servers.id')
            .where('tasks.state', '=', 'queued')
            .where('tasks.kind', 'in', imageTaskKinds.length ? imageTaskKinds : ['-']),
        )
        .as('has_image_task'),
    ])
    .where('servers.id', 'in', ids)
    .where(notDeletedUnindexed)
    .orderBy('servers.id');
  const rows = await dialectOf(ex).lockRows(q, 'servers').execute();
  for (const r of rows) {
    const { node_forced_down, node_last_seen_at, has_migration, has_image_task, ...server } = r;
    out.set(r.id, {
      server: server as ServerRow,
      node:
        node_last_seen_at === null
          ? undefined
          : { forced_down: Number(node_forced_down), last_seen_at: node_last_seen_at },
      hasMigration: Boolean(Number(has_migration)),
      hasImageTask: Boolean(Number(has_image_task)),
    });
  }
  return out;
}

/**
 * The writes of a batch of remote deletes: compare-and-set of each server's task_state, its
 * superseded queued tasks removed, its `delete` action and its task inserted, the last three
 * only where the compare-and-set matched. Returns the server ids that matched, and (PostgreSQL)
 * those not written because a move or a queued task of `imageTaskKinds` appeared after
 * lockServersForDelete read them: the caller sends those to the single path. PostgreSQL: one
 * statement for the whole batch; SQLite (one writer, no round trips, so the locking read is
 * current): statement by statement.
 */
export async function writeRemoteDeletes(
  ex: Executor,
  now: string,
  writes: RemoteDeleteWrite[],
  supersededKinds: string[],
  imageTaskKinds: string[],
): Promise<RemoteDeleteResult> {
  const blocked = new Set<string>();
  if (!writes.length) return { matched: new Set(), blocked };
  if (dialectOf(ex).name === 'postgres')
    return writeRemoteDeletesPostgres(ex, now, writes, supersededKinds, {
      migrationStatuses: IN_PROGRESS_STATUSES,
      imageTaskKinds: imageTaskKinds.length ? imageTaskKinds : ['-'],
    });
  const matched = new Set<string>();
  for (const w of writes) {
    const ok = await casUpdateServer(ex, w.serverId, w.expectedTaskState as TaskState | null, {
      task_state: w.taskState as TaskState,
      updated_at: now,
    });
    if (!ok) continue;
    matched.add(w.serverId);
    await closeTasksForServer(ex, w.serverId, supersededKinds);
    await insertAction(ex, w.action);
    await insertTask(ex, w.task);
  }
  return { matched, blocked };
}
