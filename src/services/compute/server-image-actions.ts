import { volumeBackedRoot } from './boot-volumes.js';
import { randomBytes } from 'node:crypto';
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { recordAction } from './record-action.js';
import { keypairForServer } from './keypairs.js';
import { checkMetadataQuota } from './server-metadata.js';
import { projectLimits } from './quotas.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import { iso } from '../../domain/clock.js';
import { imageVisibleTo, refuseGuestCommand } from '../../domain/images.js';
import { LIFECYCLE, checkAction } from '../../domain/lifecycle.js';
import { invalid, invalidState, serverLocked } from '../../domain/errors.js';
import { imageMetadataLimitExceeded } from '../../domain/errors.js';
import type { PersonalityFile } from '../../drivers/driver.js';
import * as tasks from '../../db/repositories/tasks.repository.js';
import type { Executor } from '../../db/executor.js';
import { discardImage } from '../image/image-store.js';

/** The lifecycle check's view of a row (as server-actions.ts; not imported: delete-server.ts imports this module). */
const forCheck = (row: servers.ServerRow) => ({
  id: row.id,
  vmState: row.vm_state,
  taskState: row.task_state,
  locked: row.locked_by !== null,
  launchedAt: row.launched_at,
  host: row.host,
});

export interface RebuildInput {
  imageRef: string;
  name?: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  personality?: PersonalityFile[];
  preserveEphemeral?: boolean;
  accessIPv4?: string;
  accessIPv6?: string;
  description?: string | null;
  /** 2.54: a key name, or null to remove the key. */
  keyName?: string | null;
  /** 2.57: base64 user data, or null to remove it. */
  userData?: string | null;
  trustedImageCertificates?: string[] | null;
  hostname?: string;
}

/**
 * POST /servers/{id}/action {"rebuild"} (nova/compute/api.py API.rebuild): scope, the rebuild
 * rule (and :rebuild:trusted_certs when certificates are given), the lifecycle check, the new
 * image (400 as Nova when it cannot be found or is not active), then the server's new fields
 * and task_state `rebuilding` in one compare-and-set, and the agent's rebuild task.
 */
export async function rebuildServer(deps: Deps, caller: Caller, id: string, input: RebuildInput) {
  const spec = LIFECYCLE.rebuild;
  const row = await findServer(deps.db, caller, id);
  const target = { project_id: row.project_id, user_id: row.user_id };
  authorize(deps, caller, spec.rule, target);
  if (input.trustedImageCertificates) authorize(deps, caller, `${spec.rule}:trusted_certs`, target);
  checkAction('rebuild', forCheck(row), caller.isAdmin);
  const imageId = canonicalUuid(input.imageRef.split('/').pop() ?? '');
  const image = imageId ? await catalog.getImage(deps.db, imageId) : undefined;
  // Nova: ImageNotFound → 400 "Cannot find image for rebuild".
  if (!image || !imageVisibleTo(image, caller.isAdmin ? undefined : caller.projectId))
    throw invalid('Cannot find image for rebuild');
  if (image.status !== 'active') throw invalid(`Image ${image.id} is not active.`);
  const flavor = JSON.parse(row.flavor) as { ram?: number };
  if (image.min_ram > (flavor.ram ?? 0)) throw invalid("Flavor's memory is too small for requested image.");
  // Nova's API.rebuild: a volume-backed server rebuilds only with its root volume's image
  // (reimaging the volume, 2.93, is not served); its image_ref stays ''.
  const bfv = await volumeBackedRoot(deps, row.id);
  if (bfv && bfv.imageId !== image.id)
    throw invalid(
      `Image ${image.id} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`,
    );
  const key = typeof input.keyName === 'string' ? await keypairForServer(deps, caller, input.keyName) : undefined;
  if (input.metadata) await checkMetadataQuota(deps, deps.db, row.project_id, input.metadata);
  const adminPass = input.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12);
  const now = iso(deps.clock.now());
  const changes: servers.ServerChanges = {
    task_state: spec.setsTaskState,
    image_id: bfv ? '' : image.id,
    updated_at: now,
  };
  if (input.name !== undefined) changes.name = input.name;
  if (input.metadata !== undefined) changes.metadata = JSON.stringify(input.metadata);
  if (input.personality !== undefined) changes.personality = JSON.stringify(input.personality);
  if (input.accessIPv4 !== undefined) changes.access_ipv4 = input.accessIPv4;
  if (input.accessIPv6 !== undefined) changes.access_ipv6 = input.accessIPv6;
  if (input.description !== undefined) changes.description = input.description;
  if (input.keyName !== undefined) changes.key_name = key ? key.name : null;
  if (input.userData !== undefined) changes.user_data = input.userData;
  if (input.trustedImageCertificates !== undefined)
    changes.trusted_image_certificates =
      input.trustedImageCertificates === null ? null : JSON.stringify(input.trustedImageCertificates);
  if (input.hostname !== undefined) changes.hostname = input.hostname;
  const task = await deps.transact(async (tx) => {
    // The check above is repeated in the write: a task or a lock that landed meanwhile wins.
    if (!(await servers.casUpdateServer(tx, row.id, null, changes, { expectUnlocked: !caller.isAdmin }))) {
      const now2 = await servers.getServer(tx, row.id);
      if (now2 && now2.locked_by !== null && !caller.isAdmin) throw serverLocked(row.id);
      throw invalidState(spec.novaAction, row.id, 'task_state', now2?.task_state ?? null);
    }
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      // Nova's manager stops a server again that was STOPPED before the rebuild.
      payload: { actionId, requestId: caller.requestId, wasStopped: row.vm_state === 'stopped' },
    });
  });
  deps.tasks.dispatch([task]);
  return { row: (await servers.getServer(deps.db, row.id))!, adminPass };
}

/**
 * POST /servers/{id}/action {"createImage"} (API.snapshot): a snapshot image record in the
 * image service, queued and owned by the server's project, with the base image's properties
 * (Nova's image_meta from the instance's system metadata) plus image_type, instance_uuid,
 * base_image_ref, user_id and the request's metadata; task_state image_snapshot and the
 * agent's snapshot task, which uploads the guest's disk.
 */
export async function createServerImage(
  deps: Deps,
  caller: Caller,
  id: string,
  name: string,
  metadata: Record<string, string>,
): Promise<string> {
  const spec = LIFECYCLE.createImage;
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, spec.rule, { project_id: row.project_id, user_id: row.user_id });
  checkAction('createImage', forCheck(row), caller.isAdmin);
  refuseGuestCommand(metadata, caller.isAdmin);
  // Nova's snapshot_volume_backed snapshots the volumes through Cinder into an image of
  // block_device_mapping properties; Stratus does not make such images (yet): refused, said so.
  if (await volumeBackedRoot(deps, row.id))
    throw invalid('Stratus does not snapshot volume-backed servers: snapshot their volumes through the volume API.');
  // common.check_img_metadata_properties_quota: the request's metadata against metadata_items.
  const limit = (await projectLimits(deps, deps.db, row.project_id)).metadata_items;
  if (limit >= 0 && Object.keys(metadata).length > limit) throw imageMetadataLimitExceeded();
  const imageId = deps.ids.uuid();
  const task = await deps.transact(async (tx) => {
    if (
      !(await servers.casUpdateServer(tx, row.id, null, {
        task_state: spec.setsTaskState,
        updated_at: iso(deps.clock.now()),
      }))
    )
      throw invalidState(
        spec.novaAction,
        row.id,
        'task_state',
        (await servers.getServer(tx, row.id))?.task_state ?? null,
      );
    // Nova: the request's metadata is applied over the snapshot's own properties.
    await insertSnapshotImage(deps, tx, row, imageId, name, { image_type: 'snapshot', ...metadata });
    const actionId = await recordAction(deps, tx, caller, row.id, spec.novaAction);
    return deps.tasks.enqueue(tx, {
      kind: spec.task!,
      serverId: row.id,
      host: row.host!,
      payload: { actionId, requestId: caller.requestId, imageId },
    });
  });
  deps.tasks.dispatch([task]);
  return imageId;
}

/** The queued snapshot image of `row` (createImage, and shelve's `<name>-shelved`). */
export async function insertSnapshotImage(
  deps: Pick<Deps, 'clock'>,
  tx: Parameters<typeof catalog.insertImage>[0],
  row: servers.ServerRow,
  imageId: string,
  name: string,
  extra: Record<string, string>,
): Promise<void> {
  const base = await catalog.getImage(tx, row.image_id);
  const inherited = base ? (JSON.parse(base.properties) as Record<string, string>) : {};
  const now = iso(deps.clock.now());
  await catalog.insertImage(tx, {
    id: imageId,
    name,
    status: 'queued',
    // Nova snapshots are private to the server's project.
    visibility: 'private',
    owner: row.project_id,
    disk_format: base?.disk_format ?? 'raw',
    container_format: base?.container_format ?? 'bare',
    size: null,
    min_disk: base?.min_disk ?? 0,
    min_ram: base?.min_ram ?? 0,
    protected: 0,
    properties: JSON.stringify({
      ...inherited,
      instance_uuid: row.id,
      base_image_ref: row.image_id,
      user_id: row.user_id,
      ...extra,
    }),
    created_at: now,
    updated_at: now,
  });
}

/**
 * The images a delete of `row` leaves without purpose (read inside the delete's transaction):
 * the shelve snapshot of a SHELVED or SHELVED_OFFLOADED server (Nova's API._delete deletes
 * shelved_image_id), and the image of a snapshot still queued, which the delete cancels (a
 * running one is discarded by the agent when it sees the delete, as Nova's manager does).
 */
export async function imagesObsoletedByDelete(ex: Executor, row: servers.ServerRow): Promise<string[]> {
  const ids: string[] = [];
  if (row.shelved_image_id) ids.push(row.shelved_image_id);
  for (const t of await tasks.openTasksForServer(ex, row.id)) {
    const imageTask = t.kind === LIFECYCLE.createImage.task || t.kind === LIFECYCLE.createBackup.task;
    if (!imageTask || t.state !== 'queued') continue;
    const imageId = (JSON.parse(t.payload) as { imageId?: string }).imageId;
    if (imageId) ids.push(imageId);
  }
  return ids;
}

/** After the delete committed: the image service deletes those images (record and data). */
export async function discardImages(deps: Deps, ids: string[]): Promise<void> {
  for (const id of ids) await discardImage({ db: deps.db, dataDir: deps.config.data }, id);
}
