import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import { serverForCheck } from './server-actions.js';
import * as volumeApi from '../volume/volume-api.js';
import {
  beginDetachingIn,
  hostAttachmentComplete,
  hostAttachmentDelete,
  hostDeleteVolume,
} from '../volume/volume-host.js';
import { runVolumeWork, type VolumeWork } from './server-volumes.js';
import type { Executor } from '../../db/executor.js';
import * as bdms from '../../db/repositories/block-devices.repository.js';
import * as servers from '../../db/repositories/servers.repository.js';
import type { BlockDeviceRow } from '../../db/repositories/block-devices.repository.js';
import type { ServerRow } from '../../db/repositories/servers.repository.js';
import { iso } from '../../domain/clock.js';
import { DomainError, invalidState, serverLocked, serverNotReady } from '../../domain/errors.js';
import { LIFECYCLE, checkAction, type ServerAction } from '../../domain/lifecycle.js';
import {
  cinderRefused,
  detachRefused,
  notMutable,
  rootVolumeDetach,
  volumeAlreadyAttached,
  volumeNotAttached,
  volumeNotMigrating,
} from '../../domain/volume-attachment-errors.js';
import type { AttachBody, UpdateBody } from './volume-attachments.schemas.js';

/**
 * os-volume_attachments (nova/api/openstack/compute/volume_attachments.py → compute/api.py
 * attach_volume / detach_volume). The API reserves synchronously, in one transaction: the
 * server's lock/state check, Cinder's attachment_create (available → reserved; of two
 * concurrent attaches of one volume exactly one wins) and the block device mapping; then the
 * node connects the volume (src/agent/volume-handlers.ts). A shelved-offloaded server has no
 * node: the API completes (attach) or cleans up (detach) itself, as Nova's local paths do.
 */

const MAX_LIMIT = 1000;
const shelved = (row: ServerRow) => row.vm_state === 'shelved' || row.vm_state === 'shelved_offloaded';

/** _check_request_version: shelved servers need 2.20. */
function checkShelvedVersion(row: ServerRow, minor: number, method: string) {
  if (shelved(row) && minor < 20) throw invalidState(method, row.id, 'vm_state', row.vm_state);
}

/** The lock/state check repeated in the write (a lock or task that lands meanwhile wins). */
async function claimServer(deps: Deps, tx: Executor, caller: Caller, row: ServerRow, action: ServerAction) {
  const ok = await servers.casUpdateServer(
    tx,
    row.id,
    null,
    { updated_at: iso(deps.clock.now()) },
    { expectUnlocked: !caller.isAdmin },
  );
  if (!ok) {
    const now = await servers.getServer(tx, row.id);
    if (now && now.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
    throw invalidState(LIFECYCLE[action].novaAction, row.id, 'task_state', now?.task_state ?? null);
  }
}

/** The next free device name after the root disk (Nova's reserve_block_device_name: vdb, vdc…). */
function nextDevice(used: BlockDeviceRow[]): string {
  const taken = new Set(['/dev/vda', ...used.map((b) => b.device_name).filter((d): d is string => !!d)]);
  for (let i = 1; i < 26 * 27; i++) {
    const name =
      i < 26
        ? String.fromCharCode(97 + i)
        : String.fromCharCode(96 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26));
    if (!taken.has(`/dev/vd${name}`)) return `/dev/vd${name}`;
  }
  return '/dev/vdzz';
}

/** GET /servers/{id}/os-volume_attachments: the mappings with a volume, `common.limited`. */
export async function listVolumeAttachments(
  deps: Deps,
  caller: Caller,
  serverId: string,
  q: { limit?: number; offset?: number },
): Promise<BlockDeviceRow[]> {
  const row = await findServer(deps.db, caller, serverId);
  authorize(deps, caller, 'os_compute_api:os-volumes-attachments:index', { project_id: row.project_id });
  const all = await bdms.blockDevicesOfServer(deps.db, row.id);
  const offset = q.offset ?? 0;
  const limit = Math.min(MAX_LIMIT, q.limit || MAX_LIMIT);
  return all.slice(offset, offset + limit).filter((b) => b.volume_id);
}

/** GET /servers/{id}/os-volume_attachments/{volume_id}. */
export async function showVolumeAttachment(
  deps: Deps,
  caller: Caller,
  serverId: string,
  volumeId: string,
): Promise<BlockDeviceRow> {
  const row = await findServer(deps.db, caller, serverId);
  authorize(deps, caller, 'os_compute_api:os-volumes-attachments:show', { project_id: row.project_id });
  const bdm = await bdms.blockDeviceOfVolume(deps.db, row.id, volumeId.toLowerCase());
  if (!bdm) throw volumeNotAttached(serverId, volumeId);
  return bdm;
}

/** POST /servers/{id}/os-volume_attachments (200, Nova's TODO says it should be 202). */
export async function attachVolume(
  deps: Deps,
  caller: Caller,
  serverId: string,
  body: AttachBody,
  minor: number,
): Promise<BlockDeviceRow> {
  const row = await findServer(deps.db, caller, serverId);
  const spec = LIFECYCLE.attachVolume;
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkShelvedVersion(row, minor, 'attach_volume');
  checkAction('attachVolume', serverForCheck(row), caller.isAdmin);
  const offloaded = row.vm_state === 'shelved_offloaded';
  if (!offloaded && !row.host) throw serverNotReady(row.id);
  const { bdm, task } = await deps.transact(async (tx) => {
    await claimServer(deps, tx, caller, row, 'attachVolume');
    const volume = (await volumeApi.get(deps, tx, caller, body.volumeId)).row;
    const holder = await bdms.blockDeviceHoldingVolume(tx, volume.id);
    if (holder) throw volumeAlreadyAttached(volume.id, [holder.server_id]);
    let attachment: Awaited<ReturnType<typeof volumeApi.attachmentCreate>>;
    try {
      attachment = await volumeApi.attachmentCreate(deps, tx, caller, volume.id, row.id);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'InvalidVolume') throw cinderRefused(e.message);
      throw e;
    }
    const now = iso(deps.clock.now());
    const mapping = {
      id: deps.ids.uuid(),
      server_id: row.id,
      volume_id: volume.id,
      attachment_id: attachment.id,
      source_type: 'volume',
      destination_type: 'volume',
      boot_index: null,
      // The node picks the name in Nova; a shelved-offloaded server gets one when it is unshelved.
      device_name: offloaded ? null : nextDevice(await bdms.blockDevicesOfServer(tx, row.id)),
      delete_on_termination: body.deleteOnTermination ? 1 : 0,
      volume_size: volume.size,
      volume_type: null,
      image_id: null,
      snapshot_id: null,
      disk_bus: null,
      device_type: null,
      guest_format: null,
      tag: body.tag ?? null,
      created_at: now,
      updated_at: now,
    };
    // The unique volume_id settles a race the reads above did not see.
    if (!(await bdms.insertBlockDevice(tx, mapping))) {
      const other = await bdms.blockDeviceHoldingVolume(tx, volume.id);
      throw volumeAlreadyAttached(volume.id, other ? [other.server_id] : []);
    }
    if (offloaded) {
      // _attach_volume_shelved_offloaded: no connector; complete so the volume shows in-use.
      await hostAttachmentComplete(deps, tx, attachment.id);
      await recordAction(deps, tx, caller, row.id, spec.novaAction, { finished: true });
      return { bdm: mapping as BlockDeviceRow, task: null };
    }
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    const task = await deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, bdmId: mapping.id, volumeId: volume.id },
    });
    return { bdm: mapping as BlockDeviceRow, task };
  });
  if (task) deps.tasks.dispatch([task]);
  return bdm;
}

/** PUT /servers/{id}/os-volume_attachments/{volume_id}: 2.85 updates delete_on_termination; a volumeId that differs is a swap. */
export async function updateVolumeAttachment(
  deps: Deps,
  caller: Caller,
  serverId: string,
  volumeId: string,
  body: UpdateBody,
  minor: number,
): Promise<void> {
  const row = await findServer(deps.db, caller, serverId);
  const onlySwap = minor < 85;
  const swap = onlySwap || body.volumeId.toLowerCase() !== volumeId.toLowerCase();
  // Nova checks the swap rule with an empty target: Cinder calls it during a volume migration.
  if (swap) authorize(deps, caller, 'os_compute_api:os-volumes-attachments:swap', { project_id: '' });
  else authorize(deps, caller, 'os_compute_api:os-volumes-attachments:update', { project_id: row.project_id });
  if (!onlySwap) {
    const bdm = await bdms.blockDeviceOfVolume(deps.db, row.id, volumeId.toLowerCase());
    if (!bdm) throw volumeNotAttached(serverId, volumeId);
    if (body.id !== undefined && body.id !== volumeId) throw notMutable('id');
    if (body.serverId !== undefined && body.serverId !== row.id) throw notMutable('serverId');
    if (body.device !== undefined && body.device !== bdm.device_name) throw notMutable('device');
    if (body.tag !== undefined && body.tag !== bdm.tag) throw notMutable('tag');
    if (body.deleteOnTermination !== undefined)
      await deps.transact((tx) =>
        bdms.updateBlockDevice(tx, bdm.id, row.id, {
          delete_on_termination: body.deleteOnTermination ? 1 : 0,
          updated_at: iso(deps.clock.now()),
        }),
      );
  }
  if (swap) {
    // _update_volume_swap: the volume of the URI (404), the volume of the body (400, a body's
    // resource that does not exist), then the migration check; Stratus's Cinder never migrates a
    // volume, so a swap always ends in Nova's 409. (Nova checks the migration before the body's
    // volume; the order here keeps the answers older Tempest expects for a missing volume.)
    await volumeApi.get(deps, deps.db, caller, volumeId);
    try {
      await volumeApi.get(deps, deps.db, caller, body.volumeId);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'VolumeNotFound')
        throw new DomainError('invalid', 'VolumeNotFound', e.message);
      throw e;
    }
    throw volumeNotMigrating(volumeId);
  }
}

/** DELETE /servers/{id}/os-volume_attachments/{volume_id} (202): begin_detaching here, the node detaches. */
export async function detachVolume(
  deps: Deps,
  caller: Caller,
  serverId: string,
  volumeId: string,
  minor: number,
): Promise<void> {
  const row = await findServer(deps.db, caller, serverId);
  const spec = LIFECYCLE.detachVolume;
  authorize(deps, caller, spec.rule, { project_id: row.project_id });
  checkShelvedVersion(row, minor, 'detach_volume');
  const volume = (await volumeApi.get(deps, deps.db, caller, volumeId)).row;
  const bdm = await bdms.blockDeviceOfVolume(deps.db, row.id, volume.id);
  if (!bdm) throw volumeNotAttached(serverId, volumeId);
  if (bdm.boot_index === 0) throw rootVolumeDetach();
  checkAction('detachVolume', serverForCheck(row), caller.isAdmin);
  const offloaded = row.vm_state === 'shelved_offloaded';
  if (!offloaded && !row.host) throw serverNotReady(row.id);
  let work: VolumeWork[] = [];
  const task = await deps.transact(async (tx) => {
    await claimServer(deps, tx, caller, row, 'detachVolume');
    if (offloaded) {
      // _detach_volume_shelved_offloaded → _local_cleanup_bdm_volumes: no node to ask.
      if (bdm.attachment_id) await hostAttachmentDelete(deps, tx, bdm.attachment_id);
      if (bdm.delete_on_termination) {
        const w = await hostDeleteVolume(deps, tx, volume.id);
        if (w) work = [w];
      }
      await bdms.deleteBlockDevice(tx, bdm.id, row.id);
      await recordAction(deps, tx, caller, row.id, spec.novaAction, { finished: true });
      return null;
    }
    if (!(await beginDetachingIn(deps, tx, caller, volume.id)))
      throw detachRefused(
        "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
      );
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, bdmId: bdm.id, volumeId: volume.id },
    });
  });
  if (task) deps.tasks.dispatch([task]);
  await runVolumeWork(deps, work);
}
