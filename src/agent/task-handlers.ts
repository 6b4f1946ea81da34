import type { TaskRow } from '../tasks/queue.js';
import type { Selectable } from 'kysely';
import type { ComputeDriver } from '../drivers/driver.js';
import type { TasksTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import { finishTask, setTaskResult } from '../db/repositories/tasks.repository.js';
import { setServerPortsHost } from '../db/repositories/network.repository.js';
import * as catalog from '../db/repositories/catalog.repository.js';
import { removeMember } from '../db/repositories/server-groups.repository.js';
import { bindServerPorts, releaseServerPorts } from '../services/network/ports.js';
import { iso } from '../domain/clock.js';
import { PowerState, type TaskState } from '../domain/states.js';
import { tailLog } from '../domain/console-log.js';
import { lifecycleOfTask, type TaskKind } from '../domain/lifecycle.js';
import type { AgentDeps } from './agent-deps.js';
import { guestSpec } from './guests.js';
import { runAsInstanceEvent, type EventCompletion, type Writer } from './instance-event.js';
import { makeTerminateBatch } from './terminate-batch.js';
import { makeMigrationHandlers } from './migration-handlers.js';
import { makeRescueHandlers } from './rescue-handlers.js';
import { discardImage, openImageFile, saveImageData } from '../services/image/image-store.js';
import { insertSnapshotImage } from '../services/compute/server-image-actions.js';
import { makeInterfaceHandlers } from './interface-handlers.js';
import { connectServerVolumes, detachServerVolumes, makeVolumeHandlers } from './volume-handlers.js';
import { releaseServerVolumes, runVolumeWork, type VolumeWork } from '../services/compute/server-volumes.js';
import { makeBackupHandlers } from './backup-handlers.js';
import { zoneOfHost } from '../services/compute/zones.js';
import { makeLiveMigrationHandlers } from './live-migration-handlers.js';
import { makeEvacuateHandlers } from './evacuate-handlers.js';
import { prepareBootVolumes } from './boot-volume-handlers.js';
import { currentSteps, step as recordStep } from './task-steps.js';
import type { AgentReads } from './turn-reads.js';

type ServerRow = servers.ServerRow;

/** Runs one task for a live server; true when it finished the task itself (in its own transaction). */
export type TaskHandler = (task: TaskRow, row: ServerRow) => Promise<boolean>;

export interface HandlerContext {
  deps: AgentDeps;
  host: string;
  /** The real driver (for questions: no fault injection). */
  driver: ComputeDriver;
  /** The driver decorated with the faults injected for `operation` (a task kind, `spawn` or `destroy`). */
  driverFor(operation: string): ComputeDriver;
  /** Reads shared by the tasks started in one turn. */
  reads: AgentReads;
}

/** One handler per task kind; the states each expects and leaves come from the lifecycle table. */
export function makeTaskHandlers(ctx: HandlerContext): Record<TaskKind, TaskHandler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const event = (
    task: TaskRow,
    row: ServerRow,
    work: () => Promise<Writer | void>,
    onError: (tx: Executor, err: Error) => Promise<void>,
    batch?: (c: EventCompletion) => Promise<void>,
  ) =>
    runAsInstanceEvent(
      deps,
      host,
      task,
      lifecycleOfTask(task.kind as TaskKind).completion!.event,
      row,
      work,
      onError,
      batch,
    );
  const terminateBatch = makeTerminateBatch(deps);
  /** Whether the task still applies: a server in another task_state was taken over (by a delete, say). */
  const applies = (kind: TaskKind, row: ServerRow) =>
    row.task_state !== null && lifecycleOfTask(kind).runsWhile.includes(row.task_state);

  const finishState = (tx: Executor, id: string, expected: TaskState | null, set: servers.ServerChanges) =>
    servers.casUpdateServer(tx, id, expected, { ...set, updated_at: now() }).then(() => undefined);
  const recordFault = async (
    tx: Executor,
    id: string,
    expected: TaskState | null,
    err: Error,
    set: servers.ServerChanges,
  ) => {
    const fault = JSON.stringify({
      code: 500,
      message: err.message.slice(0, 255),
      details: err.stack ?? err.message,
      created: now(),
    });
    return servers.casUpdateServer(tx, id, expected, { ...set, fault, updated_at: now() });
  };
  /** Nova's reverts_task_state: the operation failed, the server keeps its vm_state. */
  const revertTask = (row: ServerRow) => async (tx: Executor) => {
    await servers.casUpdateServer(tx, row.id, row.task_state, { task_state: null, updated_at: now() });
  };

  /** A task that only changes the guest's power: the driver call, then the table's completion state. */
  const power =
    (kind: TaskKind, op: (d: ComputeDriver, id: string, t: TaskRow) => Promise<void>): TaskHandler =>
    async (task, row) => {
      if (!applies(kind, row)) return false;
      const { completion } = lifecycleOfTask(kind);
      return event(
        task,
        row,
        async () => {
          await op(ctx.driverFor(kind), row.id, task);
          return (tx) =>
            finishState(tx, row.id, row.task_state, {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
            });
        },
        revertTask(row),
      );
    };

  const store = { db: deps.db, clock: deps.clock, dataDir: deps.config.data };
  /** One step of a multi-step task (Nova's expected_task_state): false when a delete took over. */
  const step = (id: string, from: TaskState, to: TaskState) =>
    deps.transact((tx) => servers.casUpdateServer(tx, id, from, { task_state: to, updated_at: now() }));

  /**
   * Snapshots the guest into the queued image `imageId` (Nova's driver.snapshot + the upload to
   * Glance), walking the task states `steps` (pending upload, uploading); false when superseded.
   */
  const snapshotInto = async (row: ServerRow, imageId: string, steps: [TaskState, TaskState, TaskState]) => {
    let state = row.task_state as TaskState;
    if (state === steps[0]) {
      if (!(await step(row.id, steps[0], steps[1]))) return false;
      state = steps[1];
    }
    const data = await ctx.driverFor('snapshot').snapshot(row.id);
    if (state === steps[1]) {
      if (!(await step(row.id, steps[1], steps[2]))) return false;
    }
    // A retry finds the image already active: its data is there.
    await saveImageData(store, imageId, data);
    return true;
  };

  /** Nova's _shelve_offload_instance: the guest goes, the node lets go of the server. */
  const offload = async (row: ServerRow): Promise<Writer> => {
    await ctx.driverFor('destroy').destroy(row.id);
    const { completion } = lifecycleOfTask('shelve_offload');
    return async (tx) => {
      if (
        await servers.casUpdateServer(tx, row.id, 'shelving_offloading', {
          vm_state: completion!.vmState,
          task_state: null,
          power_state: completion!.powerState,
          host: null,
          updated_at: now(),
        })
      )
        await setServerPortsHost(tx, row.id, '', now());
    };
  };

  return {
    ...makeMigrationHandlers(ctx),
    async rebuild(task, row) {
      if (!applies('rebuild', row)) return false;
      const { wasStopped } = JSON.parse(task.payload) as { wasStopped?: boolean };
      const { completion } = lifecycleOfTask('rebuild');
      const driver = ctx.driverFor('rebuild');
      let state = row.task_state as TaskState;
      let superseded = false;
      const finished = await event(
        task,
        row,
        async () => {
          // REBUILDING → REBUILD_BLOCK_DEVICE_MAPPING (the old guest goes) → REBUILD_SPAWNING.
          if (state === 'rebuilding') {
            if (!(await step(row.id, 'rebuilding', 'rebuild_block_device_mapping'))) {
              superseded = true;
              return;
            }
            state = 'rebuild_block_device_mapping';
          }
          await driver.destroy(row.id);
          if (state === 'rebuild_block_device_mapping') {
            if (!(await step(row.id, 'rebuild_block_device_mapping', 'rebuild_spawning'))) {
              superseded = true;
              return;
            }
            state = 'rebuild_spawning';
          }
          // The row as the API left it: the new image, name, personality.
          const now2 = await servers.getServer(deps.db, row.id);
          if (!now2) {
            superseded = true;
            return;
          }
          await driver.spawn(await guestSpec(deps.db, now2));
          if (wasStopped) await driver.powerOff(row.id);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'rebuild_spawning', {
              vm_state: wasStopped ? 'stopped' : completion!.vmState,
              task_state: null,
              power_state: wasStopped ? PowerState.SHUTDOWN : completion!.powerState,
              launched_at: now(),
              updated_at: now(),
            }));
          };
        },
        // Nova: a failed rebuild leaves the server in ERROR with its fault.
        async (tx, err) => {
          await recordFault(tx, row.id, state, err, { vm_state: 'error', task_state: null });
        },
      );
      // Deleted while rebuilding: no guest may survive the delete (the terminate may have run
      // already). Only then: a reset of the state meanwhile leaves the guest alone (review).
      if (superseded) {
        const now3 = await servers.getServer(deps.db, row.id, { readDeleted: true });
        if (!now3 || now3.deleted !== 0 || now3.task_state === 'deleting') await driver.destroy(row.id);
      }
      return finished;
    },

    async snapshot(task, row) {
      if (!applies('snapshot', row)) return false;
      const { imageId } = JSON.parse(task.payload) as { imageId: string };
      let superseded = false;
      const finished = await event(
        task,
        row,
        async () => {
          if (!(await snapshotInto(row, imageId, ['image_snapshot', 'image_pending_upload', 'image_uploading']))) {
            superseded = true;
            return;
          }
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, 'image_uploading', {
              task_state: null,
              updated_at: now(),
            }));
          };
        },
        // Nova: a failed snapshot deletes the image and reverts the task state.
        async (tx, err) => {
          await servers.casUpdateServer(tx, row.id, undefined, { task_state: null, updated_at: now() });
          await catalog.deleteImage(tx, imageId);
          deps.log.warn({ server: row.id, image: imageId, err: err.message }, 'snapshot failed');
        },
      );
      // Deleted while snapshotting: Nova's manager deletes the image it was making.
      if (superseded) await discardImage(store, imageId);
      return finished;
    },

    // Nova's shelve_instance: power off, snapshot into `<name>-shelved` (the image's id kept as
    // shelved_image_id), SHELVED; with shelved_offload_time 0 offloaded at once.
    async shelve(task, row) {
      if (!applies('shelve', row)) return false;
      const { completion } = lifecycleOfTask('shelve');
      const driver = ctx.driverFor('shelve');
      let superseded = false;
      let imageId = row.shelved_image_id ?? null;
      const finished = await event(
        task,
        row,
        async () => {
          if (!imageId || !(await catalog.getImage(deps.db, imageId))) {
            const id = deps.ids.uuid();
            await deps.transact(async (tx) => {
              await insertSnapshotImage(deps, tx, row, id, `${row.name}-shelved`, { image_type: 'snapshot' });
              await servers.casUpdateServer(tx, row.id, undefined, { shelved_image_id: id, updated_at: now() });
            });
            imageId = id;
          }
          if ((await driver.power(row.id)) !== 'missing') await driver.powerOff(row.id);
          if (
            !(await snapshotInto(row, imageId, [
              'shelving',
              'shelving_image_pending_upload',
              'shelving_image_uploading',
            ]))
          ) {
            superseded = true;
            return;
          }
          const offloadNow = deps.config.shelvedOffloadTime === 0;
          const shelved = await deps.transact((tx) =>
            servers.casUpdateServer(tx, row.id, 'shelving_image_uploading', {
              vm_state: completion!.vmState,
              task_state: offloadNow ? 'shelving_offloading' : null,
              power_state: completion!.powerState,
              // Nova's system_metadata shelved_at: _poll_shelved_instances offloads from it.
              shelved_at: now(),
              updated_at: now(),
            }),
          );
          if (!shelved) {
            superseded = true;
            return;
          }
          if (offloadNow) return offload(row);
        },
        revertTask(row),
      );
      if (superseded && imageId) await discardImage(store, imageId);
      return finished;
    },

    ...makeLiveMigrationHandlers(ctx),
    async spawn(task, row) {
      const spawning: TaskState = 'spawning';
      // Claim the server for this host; a delete that won the race leaves nothing to build.
      if (row.task_state === 'scheduling') {
        const claimed = await deps.transact(async (tx) => {
          if (
            !(await servers.casUpdateServer(tx, row.id, 'scheduling', {
              host,
              task_state: spawning,
              updated_at: now(),
            }))
          )
            return false;
          await bindServerPorts(deps, tx, row.id, host);
          return true;
        });
        if (!claimed) return false;
      } else if (row.task_state !== spawning || row.host !== host) {
        return false;
      }
      const spec = await guestSpec(deps.db, row);
      const { completion } = lifecycleOfTask('spawn');
      const driver = ctx.driverFor('spawn');
      let superseded = false;
      let buildVolumeWork: VolumeWork[] = [];
      const finished = await event(
        task,
        row,
        async () => {
          // Boot from volume: the volumes are made and attached first (boot-volume-handlers.ts).
          spec.blockDevices = await prepareBootVolumes(
            deps,
            row,
            host,
            (JSON.parse(task.payload) as { requestId?: string }).requestId ?? '',
          );
          await driver.spawn(spec);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, spawning, {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              launched_at: now(),
              updated_at: now(),
            }));
          };
        },
        async (tx, err) => {
          const failed = await recordFault(tx, row.id, spawning, err, {
            vm_state: 'error',
            task_state: null,
            power_state: PowerState.NOSTATE,
          });
          // Nova's _do_build_and_run_instance → _cleanup_volumes on a failed build: every volume
          // detached (available), delete_on_termination ones deleted. Not when a delete took the
          // server meanwhile: its terminate releases them.
          if (failed) buildVolumeWork = await releaseServerVolumes(deps, tx, row.id);
        },
      );
      await runVolumeWork(deps, buildVolumeWork);
      // Deleted while spawning (docs/delete-server.md B5): Nova's UnexpectedDeletingTaskStateError; the terminate task finishes the job.
      if (superseded) await driver.destroy(row.id);
      return finished;
    },

    async terminate(task, row) {
      if (!applies('terminate', row)) return false; // not (or no longer) being deleted
      const { completion } = lifecycleOfTask('terminate');
      let volumes: Awaited<ReturnType<typeof detachServerVolumes>> | undefined;
      const steps = currentSteps(task);
      const finished = await event(
        task,
        row,
        async () => {
          await ctx.driverFor('destroy').destroy(row.id);
          volumes = await detachServerVolumes(ctx, row.id, await ctx.reads.blockDevices(row.id)); // docs/delete-server.md B59-B61
          // Server row first, then ports, then volumes: the same lock order as the API's delete (no
          // deadlock), and only if the delete is still ours (a local delete may have finished it meanwhile).
          const writer: Writer = async (tx) => {
            if (await servers.markServerDeleted(tx, row.id, now(), completion!.vmState, 'deleting')) {
              await recordStep(
                steps,
                'ports.released',
                () => releaseServerPorts(deps, tx, row.id),
                (r) => `${r.deleted} deleted, ${r.unbound} unbound`,
              );
              await removeMember(tx, row.id); // the deleted server leaves its server group
              await volumes!.release(tx);
              // The record's deletion shows with the releases, at this transaction's commit.
              steps?.recorder.point('deleted');
            }
          };
          // Without volumes, concurrent terminates complete together (terminate-batch.ts).
          writer.batchable = volumes.none && completion!.vmState === 'deleted';
          return writer;
        },
        async (tx, err) => {
          await recordFault(tx, row.id, 'deleting', err, { vm_state: 'error', task_state: null });
        },
        terminateBatch,
      );
      await volumes?.afterCommit();
      return finished;
      // docs/delete-server.md B42 on failure: ERROR with a fault; the row stays and a later DELETE starts again.
    },

    async shelve_offload(task, row) {
      if (!applies('shelve_offload', row)) return false;
      return event(task, row, () => offload(row), revertTask(row));
    },

    async unshelve(task, row) {
      if (!applies('unshelve', row)) return false;
      const spec = await guestSpec(deps.db, row);
      const { completion } = lifecycleOfTask('unshelve');
      const finished = await event(
        task,
        row,
        async () => {
          const driver = ctx.driverFor('spawn');
          if ((await driver.power(row.id)) === 'missing') {
            // Offloaded: the guest boots from the shelved snapshot's data (Nova's unshelve_instance
            // spawns from shelved_image_id), a fresh disk only when that image has no data.
            const data = row.shelved_image_id ? await openImageFile(deps.config.data, row.shelved_image_id) : null;
            await driver.spawn(spec, data ? { disk: data.stream } : undefined);
          } else await driver.powerOn(row.id);
          await connectServerVolumes(ctx, row.id); // volumes attached while shelved get their device now
          // The server is in the zone of the node it now runs on (Nova: instance.availability_zone).
          const zone = await zoneOfHost(deps.db, host);
          return async (tx) => {
            await finishState(tx, row.id, 'unshelving', {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              host,
              shelved_image_id: null,
              shelved_at: null,
              ...(zone ? { availability_zone: zone } : {}),
            });
            await bindServerPorts(deps, tx, row.id, host);
            // Nova's unshelve deletes the shelved snapshot once the server runs again.
            if (row.shelved_image_id) await catalog.deleteImage(tx, row.shelved_image_id);
          };
        },
        revertTask(row),
      );
      if (finished && row.shelved_image_id) await discardImage(store, row.shelved_image_id);
      return finished;
    },

    // A question, not a state change: the API request is waiting for the answer, which stays
    // in the task row until it has been read.
    async console(task, row) {
      const { lines } = JSON.parse(task.payload) as { lines?: number };
      const output = tailLog(await ctx.driver.consoleOutput(row.id), typeof lines === 'number' ? lines : undefined);
      await deps.transact(async (tx) => {
        await setTaskResult(tx, task.id, output);
        await finishTask(tx, task.id, task.lease_owner ?? '', 'done', now(), null, true);
      });
      return true;
    },

    power_off: power('power_off', (d, id) => d.powerOff(id)),
    power_on: power('power_on', (d, id) => d.powerOn(id)),
    reboot: power('reboot', (d, id, t) => d.reboot(id, JSON.parse(t.payload).rebootType === 'HARD')),
    pause: power('pause', (d, id) => d.pause(id)),
    unpause: power('unpause', (d, id) => d.unpause(id)),
    suspend: power('suspend', (d, id) => d.suspend(id)),
    resume: power('resume', (d, id) => d.resume(id)),
    restore: power('restore', (d, id) => d.powerOn(id)),
    soft_delete: power('soft_delete', async (d, id) => {
      if ((await d.power(id)) !== 'missing') await d.powerOff(id);
    }),
    // rescue, unrescue, changePassword, diagnostics: src/agent/rescue-handlers.ts
    ...makeRescueHandlers(ctx),
    ...makeInterfaceHandlers(ctx),
    ...makeVolumeHandlers(ctx),
    ...makeEvacuateHandlers(ctx),
    ...makeBackupHandlers(ctx),
  };
}
