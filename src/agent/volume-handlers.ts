import * as bdms from '../db/repositories/block-devices.repository.js';
import { finishTask } from '../db/repositories/tasks.repository.js';
import type { Executor } from '../db/executor.js';
import type { ServerRow } from '../db/repositories/servers.repository.js';
import {
  hostAttachmentComplete,
  hostAttachmentDelete,
  hostAttachmentUpdate,
  hostRollDetaching,
} from '../services/volume/volume-host.js';
import { releaseServerVolumes, runVolumeWork, type VolumeWork } from '../services/compute/server-volumes.js';
import { iso } from '../domain/clock.js';
import type { TaskKind } from '../domain/lifecycle.js';
import type { ComputeDriver } from '../drivers/driver.js';
import type { TaskRow } from '../tasks/queue.js';
import type { AgentDeps } from './agent-deps.js';
import { runAsInstanceEvent } from './instance-event.js';
import { currentSteps, step as recordStep } from './task-steps.js';

/** The part of task-handlers.ts's HandlerContext these use (declared here: that module imports this one). */
interface VolumeContext {
  deps: AgentDeps;
  host: string;
  driverFor(operation: string): ComputeDriver;
}
type TaskHandler = (task: TaskRow, row: ServerRow) => Promise<boolean>;
type VolumeKind = Extract<TaskKind, 'attach_volume' | 'detach_volume'>;

const deleting = (taskState: string | null) => taskState === 'deleting' || taskState === 'soft-deleting';

/**
 * os-volume_attachments on the compute node (nova/compute/manager.py attach_volume /
 * detach_volume, nova/virt/block_device.py): attach = attachment_update with this host's
 * connector, the driver connects the connection_info's file, attachment_complete (in-use);
 * detach = the driver disconnects, attachment_delete (available), the mapping goes. Both are
 * idempotent: a task run again after a crash finds its steps done (the driver's too).
 */
export function makeVolumeHandlers(ctx: VolumeContext): Record<VolumeKind, TaskHandler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const payloadOf = (t: TaskRow) => JSON.parse(t.payload) as { bdmId: string; volumeId: string };
  const done = async (taskId: string, owner: string | null) => {
    await finishTask(deps.db, taskId, owner ?? '', 'done', now(), null);
    return true;
  };

  return {
    async attach_volume(task, row) {
      const { bdmId, volumeId } = payloadOf(task);
      const bdm = (await bdms.blockDevicesOfServer(deps.db, row.id)).find((b) => b.id === bdmId);
      if (!bdm || !bdm.attachment_id) return done(task.id, task.lease_owner); // the mapping is gone: nothing to connect
      const attachmentId = bdm.attachment_id;
      if (deleting(row.task_state)) {
        // A delete took over before the volume was connected: its reservation is released (the
        // volume available again), so neither a restore nor a failed terminate keeps it reserved.
        await deps.transact(async (tx) => {
          await hostAttachmentDelete(deps, tx, attachmentId);
          await bdms.deleteBlockDevice(tx, bdm.id, row.id);
        });
        return done(task.id, task.lease_owner);
      }
      return runAsInstanceEvent(
        deps,
        host,
        task,
        'compute_attach_volume',
        row,
        async () => {
          const conn = await deps.transact((tx) =>
            hostAttachmentUpdate(deps, tx, attachmentId, { host, initiator: null, mountpoint: bdm.device_name }),
          );
          if (!conn) throw new Error(`Volume ${volumeId} can no longer be attached`);
          await ctx
            .driverFor('attach_volume')
            .attachVolume(row.id, { volumeId, devicePath: conn.devicePath, device: bdm.device_name });
          return async (tx) => {
            await hostAttachmentComplete(deps, tx, attachmentId);
          };
        },
        // Nova parity (_attach_volume's failure): the attachment is deleted (the volume available
        // again) and the mapping destroyed; the instance action's event records the error.
        async (tx) => {
          await hostAttachmentDelete(deps, tx, attachmentId);
          await bdms.deleteBlockDevice(tx, bdm.id, row.id);
        },
      );
    },

    async detach_volume(task, row) {
      const { bdmId, volumeId } = payloadOf(task);
      const bdm = (await bdms.blockDevicesOfServer(deps.db, row.id)).find((b) => b.id === bdmId);
      if (!bdm) return done(task.id, task.lease_owner);
      if (deleting(row.task_state)) {
        // A delete took over before the detach: the volume goes back in-use (still connected); the
        // terminate detaches it with the others, a soft delete keeps it for a restore or the reclaim.
        await deps.transact((tx) => hostRollDetaching(deps, tx, volumeId));
        return done(task.id, task.lease_owner);
      }
      return runAsInstanceEvent(
        deps,
        host,
        task,
        'compute_detach_volume',
        row,
        async () => {
          await ctx.driverFor('detach_volume').detachVolume(row.id, volumeId);
          return async (tx) => {
            if (bdm.attachment_id) await hostAttachmentDelete(deps, tx, bdm.attachment_id);
            await bdms.deleteBlockDevice(tx, bdm.id, row.id);
          };
        },
        // Nova parity: a failed detach rolls the volume back (roll_detaching: in-use), mapping kept.
        async (tx) => {
          await hostRollDetaching(deps, tx, volumeId);
        },
      );
    },
  };
}

/**
 * Connects every mapped volume to a guest that was (re)built on this host (unshelve: Nova's
 * _unshelve_instance → _prep_block_device attaches the BDMs, a volume attached while the server
 * was offloaded gets its device name now). Each step is idempotent, so a retried unshelve is too.
 */
export async function connectServerVolumes(ctx: VolumeContext, serverId: string): Promise<void> {
  const { deps, host } = ctx;
  const all = await bdms.blockDevicesOfServer(deps.db, serverId);
  const taken = new Set(['/dev/vda', ...all.map((b) => b.device_name).filter((d): d is string => !!d)]);
  for (const bdm of all) {
    if (!bdm.volume_id || !bdm.attachment_id || bdm.boot_index === 0) continue;
    let device = bdm.device_name;
    if (!device) {
      for (let c = 98; c <= 122 && !device; c++)
        if (!taken.has(`/dev/vd${String.fromCharCode(c)}`)) device = `/dev/vd${String.fromCharCode(c)}`;
      device = device ?? '/dev/vdzz';
      taken.add(device);
      await bdms.updateBlockDevice(deps.db, bdm.id, serverId, {
        device_name: device,
        updated_at: iso(deps.clock.now()),
      });
    }
    const attachmentId = bdm.attachment_id;
    const conn = await deps.transact((tx) =>
      hostAttachmentUpdate(deps, tx, attachmentId, { host, initiator: null, mountpoint: device }),
    );
    if (!conn) continue;
    await ctx
      .driverFor('attach_volume')
      .attachVolume(serverId, { volumeId: bdm.volume_id, devicePath: conn.devicePath, device });
    await deps.transact((tx) => hostAttachmentComplete(deps, tx, attachmentId));
  }
}

/**
 * The volume half of a terminate (Nova's _shutdown_instance → driver detach of each volume, then
 * _cleanup_volumes): after the guest is destroyed, every mapped volume is disconnected through the
 * driver (operation `detach_volume`, so fault injection can fail it: the terminate then fails as
 * a whole and the volumes stay in-use with their attachment for the next DELETE). Returns the
 * writer's part: release the volumes inside the completing transaction, and the work to run
 * after its commit (the files of delete_on_termination volumes).
 */
export async function detachServerVolumes(
  ctx: Pick<VolumeContext, 'deps' | 'driverFor'>,
  serverId: string,
  /** The server's mappings when the caller has read them already. */
  read?: bdms.BlockDeviceRow[],
): Promise<{ release: (tx: Executor) => Promise<void>; afterCommit: () => Promise<void>; none: boolean }> {
  const devices = read ?? (await bdms.blockDevicesOfServer(ctx.deps.db, serverId));
  const volumeIds = devices.flatMap((b) => (b.volume_id ? [b.volume_id] : []));
  // Timeline steps only for a server that had volumes.
  const steps = volumeIds.length > 0 ? currentSteps() : undefined;
  const asStep = <T>(name: string, work: () => Promise<T>, message?: (v: T) => string | null) =>
    recordStep(steps, name, work, message);
  await asStep(
    'volumes.detached',
    async () => {
      for (const id of volumeIds) await ctx.driverFor('detach_volume').detachVolume(serverId, id);
    },
    () => `${volumeIds.length} volume(s)`,
  );
  let work: VolumeWork[] = [];
  return {
    none: devices.length === 0,
    release: async (tx) => {
      const released = { volumes: 0 };
      work = await asStep(
        'volumes.released',
        () => releaseServerVolumes(ctx.deps, tx, serverId, released),
        () => `${released.volumes} volume(s)`,
      );
    },
    afterCommit: () => runVolumeWork(ctx.deps, work),
  };
}
