import type { Executor } from '../../db/executor.js';
import * as bdms from '../../db/repositories/block-devices.repository.js';
import { getServer } from '../../db/repositories/servers.repository.js';
import { type HostVolumeDeps, hostAttachmentDelete, hostDeleteVolume } from '../volume/volume-host.js';

/** Work to run once the caller's transaction committed (the files of deleted volumes). */
export type VolumeWork = () => Promise<void>;

/**
 * What a delete does to a server's volumes (Nova's _cleanup_volumes on the node, and
 * _local_cleanup_bdm_volumes for a local delete): every mapped volume's attachment is deleted
 * (in-use/detaching/reserved → available), `delete_on_termination` ones are then deleted
 * (→ deleting; the returned work removes file and row after the commit), and the mappings go.
 * Call it after the server row's write in the same transaction (lock order: server, then
 * volumes). Idempotent: a second run finds no mapping.
 *
 * Only volumes of the server's own project are deleted: Nova deletes them with the deleting
 * user's context, and Cinder refuses (404) another project's volume (an admin may have attached
 * one), so Nova logs the failure and the volume survives, available. Stratus keeps it the same way.
 */
export async function releaseServerVolumes(
  deps: HostVolumeDeps,
  tx: Executor,
  serverId: string,
  /** Counts the volumes released (for the timeline). */
  released: { volumes: number } = { volumes: 0 },
): Promise<VolumeWork[]> {
  const work: VolumeWork[] = [];
  const owner = (await getServer(tx, serverId, { readDeleted: true }))?.project_id;
  for (const bdm of await bdms.blockDevicesOfServer(tx, serverId)) {
    if (bdm.volume_id && bdm.destination_type === 'volume') {
      released.volumes++;
      if (bdm.attachment_id) await hostAttachmentDelete(deps, tx, bdm.attachment_id);
      if (bdm.delete_on_termination) {
        const w = await hostDeleteVolume(deps, tx, bdm.volume_id, owner);
        if (w) work.push(w);
      }
    }
    await bdms.deleteBlockDevice(tx, bdm.id, serverId);
  }
  return work;
}

/** Runs the work `releaseServerVolumes` returned, one after another; a failure is logged (the volume is error_deleting). */
export async function runVolumeWork(deps: Pick<HostVolumeDeps, 'log'>, work: VolumeWork[]): Promise<void> {
  for (const w of work) {
    try {
      await w();
    } catch (err) {
      deps.log.warn({ err }, 'volume delete after server delete failed');
    }
  }
}

/** os-extended-volumes:volumes_attached of many servers at once (the list's batch read). */
export async function volumesAttachedOf(
  deps: Pick<HostVolumeDeps, 'db'>,
  serverIds: string[],
): Promise<(id: string) => Array<{ id: string; delete_on_termination: boolean }>> {
  const rows = await bdms.blockDevicesOfServers(deps.db, serverIds);
  const by = new Map<string, Array<{ id: string; delete_on_termination: boolean }>>();
  for (const r of rows) {
    if (!r.volume_id) continue;
    const list = by.get(r.server_id) ?? [];
    list.push({ id: r.volume_id, delete_on_termination: r.delete_on_termination === 1 });
    by.set(r.server_id, list);
  }
  return (id) => by.get(id) ?? [];
}
