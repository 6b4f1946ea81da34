/**
 * The compute node's part of boot from volume (Nova's manager._prep_block_device with
 * nova/virt/block_device.py): the volumes the create asked to be made (image, snapshot or blank
 * source) are created through the volume service, waited for (bounded, as
 * _await_block_device_map_created), then every volume is attached (attachment_update with this
 * host's connector, attachment_complete: in-use) and handed to the driver. On failure the
 * volumes this build made that were to go with the server are deleted (Nova's
 * _cleanup_volumes) and the build aborts with Nova's message.
 */
import type { Deps, Caller } from '../services/context.js';
import type { Config } from '../config/config.js';
import { getServerAndNodeForUpdate, type ServerRow } from '../db/repositories/servers.repository.js';
import type { Executor } from '../db/executor.js';
import * as bdmRepo from '../db/repositories/block-devices.repository.js';
import * as volumeRepo from '../db/repositories/volumes.repository.js';
import type { GuestBlockDevice } from '../drivers/driver.js';
import { Policy } from '../policy/policy.js';
import { iso } from '../domain/clock.js';
import * as volumeApi from '../services/volume/volume-api.js';
import type { AgentDeps } from './agent-deps.js';

/** Nova's block_device_allocate_retries (60) at a short interval: the file work is local. */
const WAIT_ATTEMPTS = 60;
const WAIT_INTERVAL_MS = 50;

/** Nova's BuildAbortException. */
export class BuildAborted extends Error {
  constructor(serverId: string, reason: string) {
    super(`Build of instance ${serverId} aborted: ${reason}`);
  }
}

/**
 * The volume service as this node calls it: with the server owner's project, as an admin
 * service (Nova's compute calls Cinder with the user's token; the API checked the user's policy).
 */
function volumeDeps(deps: AgentDeps): Deps {
  return { ...deps, policy: new Policy(), config: deps.config as Config };
}
function serviceCaller(row: ServerRow, requestId: string): Caller {
  return { userId: row.user_id, projectId: row.project_id, roles: ['admin', 'member'], isAdmin: true, requestId };
}

const letter = (i: number) => String.fromCharCode('a'.charCodeAt(0) + i);

/**
 * Nova's InstanceNotFound during a build ("Instance disappeared during build"): a local delete
 * (node down) took the server while its volumes were being made. Checked with the server's row
 * locked in the transaction that would create or attach a volume, so nothing is made or left
 * in-use for a server that is gone (the delete already released the mappings it found).
 */
async function assertStillBuilding(tx: Executor, serverId: string): Promise<void> {
  if (!(await getServerAndNodeForUpdate(tx, serverId)))
    throw new Error(`Instance ${serverId} disappeared during build.`);
}

/** Makes, waits for and attaches the server's volumes; the block devices for the driver (empty: none). */
export async function prepareBootVolumes(
  agentDeps: AgentDeps,
  row: ServerRow,
  host: string,
  requestId: string,
): Promise<GuestBlockDevice[]> {
  const bdms = await bdmRepo.blockDevicesOfServer(agentDeps.db, row.id);
  if (bdms.length === 0) return [];
  const deps = volumeDeps(agentDeps);
  const caller = serviceCaller(row, requestId);
  const now = () => iso(deps.clock.now());
  const made: Array<{ bdmId: string; volumeId: string; deleteOnTermination: boolean }> = [];
  const devices: GuestBlockDevice[] = [];
  try {
    // Nova's _add_missing_dev_names: the root is vda (the server's own disk when image-backed), then in order.
    let next = bdms.some((b) => b.boot_index === 0) ? 0 : 1;
    for (const bdm of bdms) {
      const deviceName = bdm.device_name ?? `/dev/vd${letter(next)}`;
      next++;
      let volumeId = bdm.volume_id;
      if (!volumeId) {
        // DriverImageBlockDevice / DriverSnapshotBlockDevice / DriverBlankBlockDevice.attach: create the volume.
        const res = await deps.transact(async (tx) => {
          await assertStillBuilding(tx, row.id);
          const r = await volumeApi.create(deps, tx, caller, {
            size: bdm.volume_size ?? 1,
            name: bdm.source_type === 'blank' ? `${row.id}-blank-vol` : `${row.id}-${bdm.source_type}-vol`,
            description: '',
            imageRef: bdm.image_id,
            snapshotId: bdm.snapshot_id,
            volumeType: bdm.volume_type,
          });
          await bdmRepo.updateBlockDevice(tx, bdm.id, row.id, { volume_id: r.volume.row.id, updated_at: now() });
          return r;
        });
        volumeId = res.volume.row.id;
        made.push({ bdmId: bdm.id, volumeId, deleteOnTermination: bdm.delete_on_termination === 1 });
        await res.afterCommit();
        await awaitCreated(deps, volumeId);
      }
      const devicePath = await attach(deps, caller, row, bdm, volumeId, host, deviceName);
      if (!bdm.device_name)
        await deps.transact((tx) =>
          bdmRepo.updateBlockDevice(tx, bdm.id, row.id, { device_name: deviceName, updated_at: now() }),
        );
      devices.push({ volumeId, devicePath, bootIndex: bdm.boot_index, deviceName });
    }
    return devices;
  } catch (err) {
    await cleanupVolumes(deps, caller, row, made);
    const reason = err instanceof Error ? err.message : String(err);
    throw new BuildAborted(row.id, reason);
  }
}

/** Nova's _await_block_device_map_created: available, else VolumeNotCreated after the attempts. */
async function awaitCreated(deps: Deps, volumeId: string): Promise<void> {
  let status = 'missing';
  for (let attempt = 1; attempt <= WAIT_ATTEMPTS; attempt++) {
    status = (await volumeRepo.getVolume(deps.db, volumeId))?.status ?? 'missing';
    if (status === 'available') return;
    if (status === 'error') {
      throw new Error(
        `Volume ${volumeId} did not finish being created even after we waited ${Math.round(((attempt - 1) * WAIT_INTERVAL_MS) / 1000)} seconds or ${attempt} attempts. And its status is ${status}.`,
      );
    }
    await new Promise((r) => setTimeout(r, WAIT_INTERVAL_MS));
  }
  throw new Error(
    `Volume ${volumeId} did not finish being created even after we waited ${Math.round((WAIT_ATTEMPTS * WAIT_INTERVAL_MS) / 1000)} seconds or ${WAIT_ATTEMPTS} attempts. And its status is ${status}.`,
  );
}

/**
 * DriverVolumeBlockDevice.attach with the 3.27 attachments: create (unless the API reserved the
 * volume already), update with the connector, complete. A retried spawn finds the attachment
 * attached and only reads its connection_info.
 */
async function attach(
  deps: Deps,
  caller: Caller,
  row: ServerRow,
  bdm: bdmRepo.BlockDeviceRow,
  volumeId: string,
  host: string,
  deviceName: string,
): Promise<string> {
  const now = iso(deps.clock.now());
  return deps.transact(async (tx) => {
    await assertStillBuilding(tx, row.id);
    let attachmentId = bdm.attachment_id ?? (await bdmRepo.blockDeviceOfVolume(tx, row.id, volumeId))?.attachment_id;
    if (!attachmentId) {
      attachmentId = (await volumeApi.attachmentCreate(deps, tx, caller, volumeId, row.id)).id;
      await bdmRepo.updateBlockDevice(tx, bdm.id, row.id, { attachment_id: attachmentId, updated_at: now });
    }
    const current = (await volumeRepo.listAttachments(tx, { volumeId })).find((a) => a.id === attachmentId);
    if (current?.attach_status === 'attached' && current.connection_info) return devicePathOf(current.connection_info);
    const connector = { host, platform: 'x86_64', os_type: 'linux', multipath: false, mountpoint: deviceName };
    const { connectionInfo } = await volumeApi.attachmentUpdate(deps, tx, caller, attachmentId, connector);
    await volumeApi.attachmentComplete(deps, tx, caller, attachmentId);
    return devicePathOf(connectionInfo);
  });
}

function devicePathOf(info: unknown): string {
  const parsed = (typeof info === 'string' ? JSON.parse(info) : info) as { data?: { device_path?: string } } | null;
  const path = parsed?.data?.device_path;
  if (!path) throw new Error('Volume connection info has no device_path.');
  return path;
}

/** Nova's _cleanup_volumes: the volumes this build made that go with the server are deleted (their mappings too). */
async function cleanupVolumes(
  deps: Deps,
  caller: Caller,
  row: ServerRow,
  made: Array<{ bdmId: string; volumeId: string; deleteOnTermination: boolean }>,
): Promise<void> {
  for (const m of made) {
    if (!m.deleteOnTermination) continue;
    try {
      const work = await deps.transact(async (tx) => {
        const attachmentId = (await bdmRepo.blockDeviceOfVolume(tx, row.id, m.volumeId))?.attachment_id;
        if (attachmentId) await volumeApi.attachmentDelete(deps, tx, caller, attachmentId);
        const w = await volumeApi.remove(deps, tx, caller, m.volumeId);
        await bdmRepo.deleteBlockDevice(tx, m.bdmId, row.id);
        return w;
      });
      await work();
    } catch (err) {
      deps.log.warn({ err, volume: m.volumeId, server: row.id }, 'could not clean up a volume of a failed build');
    }
  }
}

/** The volumes attached to a server as the driver gets them (every later spawn: rebuild, resize, unshelve). */
export async function attachedBlockDevices(ex: Executor, serverId: string): Promise<GuestBlockDevice[]> {
  const out: GuestBlockDevice[] = [];
  for (const b of await bdmRepo.blockDevicesOfServer(ex, serverId)) {
    if (!b.volume_id || !b.attachment_id) continue;
    const att = (await volumeRepo.listAttachments(ex, { volumeId: b.volume_id })).find((a) => a.id === b.attachment_id);
    if (!att?.connection_info) continue;
    out.push({
      volumeId: b.volume_id,
      devicePath: devicePathOf(att.connection_info),
      bootIndex: b.boot_index,
      deviceName: b.device_name ?? att.mountpoint ?? '',
    });
  }
  return out;
}
