/**
 * The compute nodes' halves of a resize (nova/compute/manager.py): `resize` on the source
 * (resize_instance: RESIZE_MIGRATING -> RESIZE_MIGRATED, the guest stopped), `finish_resize` on
 * the destination (RESIZE_FINISH -> VERIFY_RESIZE, the guest started with the new flavor),
 * `confirm_resize` on the source (the old guest dropped), `revert_resize` on the destination
 * (its guest dropped) and `finish_revert_resize` on the source (the old guest booted again with
 * the old flavor). The migration record moves with them: pre-migrating, migrating,
 * post-migrating, finished, then confirming/confirmed or reverting/reverted; error on failure.
 */
import type { TaskRow } from '../tasks/queue.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as migrations from '../db/repositories/migrations.repository.js';
import { setServerPortsHost } from '../db/repositories/network.repository.js';
import { PowerState, type TaskState, type VmState } from '../domain/states.js';
import { guestSpec } from './guests.js';
import { receiveDisk, sendDisk } from './move-disk.js';
import { makeMoveTaskSupport, type MoveContext, type MoveTaskHandler, moveFault } from './move-task-support.js';

type ServerRow = servers.ServerRow;
type MigrationKind = 'resize' | 'finish_resize' | 'confirm_resize' | 'revert_resize' | 'finish_revert_resize';

interface Payload {
  actionId?: string;
  requestId?: string;
  migrationId?: number;
  /** A delete abandoned the move: drop this node's guest of the server, if it is not the server's. */
  cleanup?: boolean;
}

export function makeMigrationHandlers(ctx: MoveContext): Record<MigrationKind, MoveTaskHandler> {
  const { deps, host } = ctx;
  const { now, payloadOf, migrationOf, applies, event } = makeMoveTaskSupport<Payload>(ctx);
  /** Nova's _error_out_instance_on_exception: ERROR with a fault; the migration is `error`. */
  const failMove =
    (row: ServerRow, migrationId: number, expected: TaskState | null) => async (tx: Executor, err: Error) => {
      await servers.casUpdateServer(tx, row.id, expected, {
        vm_state: 'error',
        task_state: null,
        fault: moveFault(err, now()),
        updated_at: now(),
      });
      await migrations.casMigrationStatus(tx, migrationId, migrations.IN_PROGRESS_STATUSES, 'error', now());
    };
  const powerOf = (vm: string) => (vm === 'stopped' ? PowerState.SHUTDOWN : PowerState.RUNNING);
  const flavorIdOf = (json: string, fallback: string) => String((JSON.parse(json) as { id?: string }).id ?? fallback);

  return {
    async resize(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('resize', row)) return false;
      if (row.task_state === 'resize_prep') {
        const moved = await deps.transact(async (tx) => {
          if (
            !(await servers.casUpdateServer(tx, row.id, 'resize_prep', {
              task_state: 'resize_migrating',
              updated_at: now(),
            }))
          )
            return false;
          await migrations.casMigrationStatus(tx, mig.id, ['pre-migrating'], 'migrating', now());
          return true;
        });
        if (!moved) return false;
      }
      let next: TaskRow | undefined;
      const done = await event(
        'resize',
        task,
        row,
        async () => {
          // migrate_disk_and_power_off: the guest stops; its disk stays for a revert, and a copy
          // goes to another target node.
          const driver = ctx.driverFor('resize');
          const p = await driver.power(row.id);
          if (p !== 'missing' && p !== 'shutdown') await driver.powerOff(row.id);
          if (mig.dest_compute && mig.dest_compute !== host && p !== 'missing')
            await sendDisk(deps.config.data, driver, row.id, mig.uuid);
          return async (tx) => {
            if (
              !(await servers.casUpdateServer(tx, row.id, 'resize_migrating', {
                task_state: 'resize_migrated',
                updated_at: now(),
              }))
            )
              return; // deleted meanwhile: the terminate drops the guest
            await migrations.casMigrationStatus(tx, mig.id, ['migrating'], 'post-migrating', now());
            next = await deps.tasks.enqueue(tx, {
              kind: 'finish_resize',
              serverId: row.id,
              host: mig.dest_compute ?? host,
              payload: { ...payloadOf(task), migrationId: mig.id },
            });
          };
        },
        failMove(row, mig.id, 'resize_migrating'),
      );
      deps.tasks.dispatch([next]);
      return done;
    },

    async finish_resize(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('finish_resize', row)) return false;
      if (row.task_state === 'resize_migrated') {
        if (
          !(await servers.casUpdateServer(deps.db, row.id, 'resize_migrated', {
            task_state: 'resize_finish',
            updated_at: now(),
          }))
        )
          return false;
      }
      const spec = await guestSpec(deps.db, { ...row, flavor: mig.new_flavor });
      const stopped = mig.old_vm_state === 'stopped';
      const driver = ctx.driverFor('finish_resize');
      let superseded = false;
      const done = await event(
        'finish_resize',
        task,
        row,
        async () => {
          // The guest (re)starts from the new flavor: the process driver grows its sparse disk
          // (on another node, the disk the source sent).
          if (mig.source_compute !== host) {
            const moved = await receiveDisk(deps.config.data, mig.uuid, (m) => deps.log.warn({ host }, m));
            await driver.spawn(spec, moved.opts);
            await moved.done();
          } else await driver.spawn(spec);
          // Nova's finish_resize(power_on=False) for a server that was stopped.
          if (stopped) await driver.powerOff(row.id);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'resize_finish', {
              vm_state: 'resized',
              task_state: null,
              power_state: stopped ? PowerState.SHUTDOWN : PowerState.RUNNING,
              host,
              flavor: mig.new_flavor,
              flavor_id: mig.new_flavor_id,
              updated_at: now(),
            }));
            if (superseded) return;
            await setServerPortsHost(tx, row.id, host, now());
            await migrations.casMigrationStatus(tx, mig.id, ['post-migrating'], 'finished', now());
          };
        },
        failMove(row, mig.id, 'resize_finish'),
      );
      // Deleted while finishing: the terminate runs on the source; this node drops what it started.
      if (superseded && mig.source_compute !== host) await driver.destroy(row.id);
      return done;
    },

    async confirm_resize(task, row) {
      const mig = await migrationOf(task);
      if (!mig) return false;
      const cleanup = payloadOf(task).cleanup === true;
      if (!cleanup && mig.status !== 'confirming') return false; // already confirmed
      const work = async () => {
        // The old guest goes, unless this node is also where the server now runs (same-host resize).
        if (row.deleted !== 0 || row.host !== host) await ctx.driverFor('confirm_resize').destroy(row.id);
        return async (tx: Executor) => {
          if (cleanup) return;
          await migrations.casMigrationStatus(tx, mig.id, ['confirming'], 'confirmed', now());
          // Nova's confirm_resize: ACTIVE, or STOPPED if the guest is powered off.
          if (row.deleted === 0 && row.vm_state === 'resized' && row.task_state === null) {
            const vm: VmState = row.power_state === PowerState.SHUTDOWN ? 'stopped' : 'active';
            await servers.casUpdateServer(tx, row.id, null, { vm_state: vm, updated_at: now() });
          }
        };
      };
      if (cleanup || !payloadOf(task).actionId) {
        await work().then((w) => deps.transact(async (tx) => w(tx)));
        return false;
      }
      return event('confirm_resize', task, row, work, async (tx, err) => {
        await migrations.casMigrationStatus(tx, mig.id, ['confirming'], 'error', now());
        if (row.deleted === 0) await failMove(row, mig.id, null)(tx, err);
      });
    },

    async revert_resize(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('revert_resize', row) || mig.status !== 'reverting') return false;
      let next: TaskRow | undefined;
      const done = await event(
        'revert_resize',
        task,
        row,
        async () => {
          const driver = ctx.driverFor('revert_resize');
          // Another node: drop the new guest. The same node: stop it, the source half boots the old flavor.
          if (mig.source_compute !== host) await driver.destroy(row.id);
          else if ((await driver.power(row.id)) !== 'missing') await driver.powerOff(row.id);
          return async (tx) => {
            next = await deps.tasks.enqueue(tx, {
              kind: 'finish_revert_resize',
              serverId: row.id,
              host: mig.source_compute ?? host,
              payload: { ...payloadOf(task), migrationId: mig.id },
            });
          };
        },
        failMove(row, mig.id, 'resize_reverting'),
      );
      deps.tasks.dispatch([next]);
      return done;
    },

    async finish_revert_resize(task, row) {
      const mig = await migrationOf(task);
      if (!mig || !applies('finish_revert_resize', row) || mig.status !== 'reverting') return false;
      const old = mig.old_vm_state as VmState;
      const spec = await guestSpec(deps.db, { ...row, flavor: mig.old_flavor });
      const driver = ctx.driverFor('finish_revert_resize');
      let superseded = false;
      const done = await event(
        'finish_revert_resize',
        task,
        row,
        async () => {
          await driver.spawn(spec); // the stopped source guest boots again from the old flavor
          if (old === 'stopped') await driver.powerOff(row.id);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'resize_reverting', {
              vm_state: old,
              task_state: null,
              power_state: powerOf(old),
              host,
              flavor: mig.old_flavor,
              flavor_id: flavorIdOf(mig.old_flavor, mig.old_flavor_id),
              updated_at: now(),
            }));
            if (superseded) return;
            await setServerPortsHost(tx, row.id, host, now());
            await migrations.casMigrationStatus(tx, mig.id, ['reverting'], 'reverted', now());
          };
        },
        failMove(row, mig.id, 'resize_reverting'),
      );
      if (superseded && mig.dest_compute !== host) await driver.destroy(row.id);
      return done;
    },
  };
}
