/**
 * The compute nodes' halves of a live migration (nova/compute/manager.py): `live_migration` on
 * the source (queued -> preparing), `pre_live_migration` on the destination (the guest starts
 * there from the same spec; preparing -> running), `post_live_migration` on the source (its
 * guest goes, the server is the destination's; running -> post-migrating -> completed, task_state
 * cleared, no confirm step). This is NOT a memory copy: the destination boots a new guest from the
 * server's spec (process driver: a new process in the destination's instance directory) and the
 * source's guest is destroyed once that guest runs. A failure rolls back as Nova's
 * _rollback_live_migration: the server stays ACTIVE (or PAUSED) on its source, the migration `error`.
 */
import type { TaskRow } from '../tasks/queue.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as migrations from '../db/repositories/migrations.repository.js';
import { setServerPortsHost } from '../db/repositories/network.repository.js';
import { guestSpec } from './guests.js';
import { receiveDisk, sendDisk } from './move-disk.js';
import { makeMoveTaskSupport, type MoveContext, type MoveTaskHandler } from './move-task-support.js';

type ServerRow = servers.ServerRow;
type LiveKind = 'live_migration' | 'pre_live_migration' | 'post_live_migration';

export function makeLiveMigrationHandlers(ctx: MoveContext): Record<LiveKind, MoveTaskHandler> {
  const { deps, host } = ctx;
  const { now, payloadOf, migrationOf, applies, event } = makeMoveTaskSupport(ctx);
  /** _rollback_live_migration: back to no task on the source; the migration is `error`. */
  const rollback = (row: ServerRow, migrationId: number) => async (tx: Executor) => {
    if (await migrations.casMigrationStatus(tx, migrationId, ['queued', 'preparing', 'running'], 'error', now()))
      await servers.casUpdateServer(tx, row.id, 'migrating', { task_state: null, updated_at: now() });
  };

  return {
    async live_migration(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('live_migration', row) || mig.status !== 'queued') return false;
      let next: TaskRow | undefined;
      const done = await event(
        'live_migration',
        task,
        row,
        async () => {
          // check_can_live_migrate_source: there must be a guest to move; its disk goes ahead of it.
          const source = ctx.driverFor('live_migration');
          if ((await source.power(row.id)) === 'missing')
            throw new Error(`Instance ${row.id} has no guest on ${host} to migrate`);
          await sendDisk(deps.config.data, source, row.id, mig.uuid);
          return async (tx) => {
            if (!(await migrations.casMigrationStatus(tx, mig.id, ['queued'], 'preparing', now()))) return; // aborted
            next = await deps.tasks.enqueue(tx, {
              kind: 'pre_live_migration',
              serverId: row.id,
              host: mig.dest_compute!,
              payload: payloadOf(task),
            });
          };
        },
        rollback(row, mig.id),
      );
      deps.tasks.dispatch([next]);
      return done;
    },

    async pre_live_migration(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('pre_live_migration', row) || mig.status !== 'preparing') return false;
      const driver = ctx.driverFor('pre_live_migration');
      const spec = await guestSpec(deps.db, row);
      let next: TaskRow | undefined;
      let dropped = false;
      const done = await event(
        'pre_live_migration',
        task,
        row,
        async () => {
          const moved = await receiveDisk(deps.config.data, mig.uuid, (m) => deps.log.warn({ host }, m));
          await driver.spawn(spec, moved.opts);
          await moved.done();
          if (row.vm_state === 'paused') await driver.pause(row.id);
          return async (tx) => {
            // Aborted or deleted while the guest started: it goes again (below).
            dropped = !(await migrations.casMigrationStatus(tx, mig.id, ['preparing'], 'running', now()));
            if (dropped) return;
            next = await deps.tasks.enqueue(tx, {
              kind: 'post_live_migration',
              serverId: row.id,
              host: mig.source_compute!,
              payload: payloadOf(task),
            });
          };
        },
        async (tx) => {
          dropped = true;
          await rollback(row, mig.id)(tx);
        },
      );
      if (dropped) await ctx.driverFor('destroy').destroy(row.id);
      deps.tasks.dispatch([next]);
      return done;
    },

    async post_live_migration(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('post_live_migration', row) || mig.status !== 'running') return false;
      // From here the move cannot be aborted (abort takes queued, preparing, running).
      if (!(await migrations.casMigrationStatus(deps.db, mig.id, ['running'], 'post-migrating', now()))) return false;
      const dest = mig.dest_compute!;
      return event(
        'post_live_migration',
        task,
        row,
        async () => {
          await ctx.driverFor('post_live_migration').destroy(row.id);
          return async (tx) => {
            // Deleted meanwhile: the delete failed the migration and told the destination to drop its guest.
            if (
              !(await servers.casUpdateServer(tx, row.id, 'migrating', {
                task_state: null,
                host: dest,
                updated_at: now(),
              }))
            )
              return;
            await setServerPortsHost(tx, row.id, dest, now());
            await migrations.casMigrationStatus(tx, mig.id, ['post-migrating'], 'completed', now());
          };
        },
        async (tx) => {
          // The source guest could not be dropped: the destination's runs, so the server moves anyway
          // and the source's reaper removes the leftover (Nova's _post_live_migration logs and goes on).
          if (
            await servers.casUpdateServer(tx, row.id, 'migrating', { task_state: null, host: dest, updated_at: now() })
          )
            await setServerPortsHost(tx, row.id, dest, now());
          await migrations.casMigrationStatus(tx, mig.id, ['post-migrating'], 'completed', now());
        },
      );
    },
  };
}
