/**
 * The destination's half of an evacuation (nova/compute/manager.py rebuild_instance with
 * recreate=True): the migration is claimed (accepted -> pre-migrating), the server walks
 * REBUILDING -> REBUILD_BLOCK_DEVICE_MAPPING -> REBUILD_SPAWNING while the guest is spawned here
 * from the server's spec (the source is down: nothing is destroyed there now), then the server is
 * this node's, its ports bound here, and the migration `done` (resource_tracker
 * finish_evacuation). A failure leaves ERROR with a fault and the migration `failed`. A delete in
 * the middle wins: whatever this node started goes again.
 */
import * as servers from '../db/repositories/servers.repository.js';
import * as migrations from '../db/repositories/migrations.repository.js';
import { bindServerPorts } from '../services/network/ports.js';
import { lifecycleOfTask } from '../domain/lifecycle.js';
import { PowerState, type TaskState } from '../domain/states.js';
import { guestSpec } from './guests.js';
import { makeMoveTaskSupport, type MoveContext, type MoveTaskHandler, moveFault } from './move-task-support.js';

export function makeEvacuateHandlers(ctx: MoveContext): { evacuate: MoveTaskHandler } {
  const { deps, host } = ctx;
  const { now, payloadOf, migrationOf, applies, event, step } = makeMoveTaskSupport<{
    migrationId?: number;
    stopped?: boolean;
  }>(ctx);
  const spec = lifecycleOfTask('evacuate');

  return {
    async evacuate(task, row) {
      if (!applies('evacuate', row)) return false;
      const { stopped } = payloadOf(task);
      const mig = await migrationOf(task);
      // A migration a delete failed (or gone) means the evacuation was abandoned.
      if (!mig || !['accepted', 'pre-migrating', 'completed'].includes(mig.status)) return false;
      const driver = ctx.driverFor('evacuate');
      let state = row.task_state as TaskState;
      let superseded = false;
      const finished = await event(
        'evacuate',
        task,
        row,
        async () => {
          // rt.rebuild_claim -> _claim_existing_migration: the destination takes the migration.
          await migrations.casMigrationStatus(deps.db, mig.id, ['accepted'], 'pre-migrating', now());
          if (state === 'rebuilding') {
            if (!(await step(row.id, 'rebuilding', 'rebuild_block_device_mapping'))) {
              superseded = true;
              return;
            }
            state = 'rebuild_block_device_mapping';
          }
          if (state === 'rebuild_block_device_mapping') {
            if (!(await step(row.id, 'rebuild_block_device_mapping', 'rebuild_spawning'))) {
              superseded = true;
              return;
            }
            state = 'rebuild_spawning';
          }
          await driver.spawn(await guestSpec(deps.db, row));
          // A stopped server is stopped again (manager: "bringing vm to original state"), and
          // from 2.95 every evacuated server is (target_state STOPPED).
          if (stopped) await driver.powerOff(row.id);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'rebuild_spawning', {
              vm_state: stopped ? 'stopped' : spec.completion!.vmState,
              task_state: null,
              power_state: stopped ? PowerState.SHUTDOWN : spec.completion!.powerState,
              host,
              launched_at: now(),
              updated_at: now(),
            }));
            if (superseded) return;
            await bindServerPorts(deps, tx, row.id, host);
            await migrations.casMigrationStatus(tx, mig.id, ['pre-migrating'], 'done', now());
          };
        },
        // _error_out_instance_on_exception: ERROR with the fault; the migration `failed`; the host stays the source's.
        async (tx, err) => {
          superseded = true; // nothing of a failed spawn may stay here
          await servers.casUpdateServer(tx, row.id, state, {
            vm_state: 'error',
            task_state: null,
            fault: moveFault(err, now()),
            updated_at: now(),
          });
          await migrations.casMigrationStatus(tx, mig.id, ['accepted', 'pre-migrating'], 'failed', now());
        },
      );
      // Deleted (or failed) meanwhile: the server is not this node's, so no guest of it stays here.
      if (superseded) {
        const cur = await servers.getServer(deps.db, row.id, { readDeleted: true });
        if (!cur || cur.deleted !== 0 || cur.host !== host) await ctx.driverFor('destroy').destroy(row.id);
      }
      return finished;
    },
  };
}
