/**
 * Boot from volume at the API (Nova's compute API: block_device.get_bdm_image_metadata,
 * _check_and_transform_bdm and _validate_bdm): which block devices a create asks for, checked
 * against Cinder before anything is written, then written with the server (the existing
 * volumes reserved with attachment_create in the create transaction). The volumes to make
 * (image, snapshot or blank source) are made by the compute node at spawn
 * (src/agent/boot-volume-handlers.ts), as Nova's DriverImageBlockDevice does.
 */
import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import { canonicalUuid } from '../access.js';
import * as bdmRepo from '../../db/repositories/block-devices.repository.js';
import * as catalog from '../../db/repositories/catalog.repository.js';
import * as volumeRepo from '../../db/repositories/volumes.repository.js';
import { DomainError, invalid } from '../../domain/errors.js';
import { imageVisibleTo } from '../../domain/images.js';
import * as volumeApi from '../volume/volume-api.js';
import { novaTrue, type BlockDeviceMappingV2 } from './server-create.schemas.js';

/** One mapping as the create writes it (Nova's BlockDeviceMapping object before the compute fills it in). */
export interface PlannedBdm {
  sourceType: 'volume' | 'image' | 'snapshot' | 'blank';
  destinationType: 'volume' | 'local';
  bootIndex: number | null;
  volumeId: string | null;
  imageId: string | null;
  snapshotId: string | null;
  volumeSize: number | null;
  volumeType: string | null;
  deleteOnTermination: boolean;
  deviceName: string | null;
  tag: string | null;
}

export interface BootVolumes {
  /** The mappings to a volume (image → local is the server's own disk: not a row). */
  volumes: PlannedBdm[];
  /** True when the root disk is a volume (Nova stores image_ref '' then). */
  volumeBacked: boolean;
  /** The image the root volume comes from, for min_ram/min_disk checks (Nova's boot_meta). */
  rootImage?: { min_ram: number; min_disk: number };
}

const bdmInvalid = (details: string) => invalid(`Block Device Mapping is Invalid: ${details}`);
const bootSequence = () =>
  invalid(
    'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
  );

const toIndex = (b: BlockDeviceMappingV2) =>
  b.boot_index === undefined || b.boot_index === null ? null : Number(b.boot_index);

/**
 * Checks the requested mappings as Nova's API does and returns what to write. `imageId` is the
 * server's imageRef (null: none given, the server must boot from a volume).
 */
export async function planBootVolumes(
  deps: Deps,
  caller: Caller,
  bdms: BlockDeviceMappingV2[],
  imageId: string | null,
  maxCount: number,
): Promise<BootVolumes> {
  const wanted = bdms.filter((b) => !b.no_device);
  if (wanted.length === 0) return { volumes: [], volumeBacked: false };
  const planned: PlannedBdm[] = wanted.map((b) => {
    const src = b.source_type ?? 'volume';
    const id = b.uuid ?? null;
    return {
      sourceType: src,
      destinationType: b.destination_type ?? (src === 'image' ? 'local' : 'volume'),
      bootIndex: toIndex(b),
      volumeId: src === 'volume' ? id : null,
      imageId: src === 'image' ? id : null,
      snapshotId: src === 'snapshot' ? id : null,
      volumeSize: b.volume_size === undefined || b.volume_size === null ? null : Number(b.volume_size),
      volumeType: b.volume_type ?? null,
      // Nova's BlockDeviceMapping default: False (the clients ask for True when they want it).
      deleteOnTermination: b.delete_on_termination === undefined ? false : novaTrue(b.delete_on_termination),
      deviceName: b.device_name ?? null,
      tag: b.tag ?? null,
    };
  });
  // Nova's _check_and_transform_bdm: one volume cannot go to several servers.
  if (maxCount > 1 && planned.some((p) => p.sourceType === 'volume'))
    throw invalid('Cannot attach one or more volumes to multiple instances');
  // The image of imageRef is the root (boot index 0) unless a mapping claims index 0 (the clients'
  // image → local mapping of --image says the same thing).
  const hasRoot = planned.some((p) => p.bootIndex === 0);
  const indexes = planned.map((p) => p.bootIndex).filter((i): i is number => i !== null && i >= 0);
  if (imageId && !hasRoot) indexes.push(0);
  indexes.sort((a, b) => a - b);
  if (indexes.length === 0 || indexes.some((v, i) => v !== i)) throw bootSequence();
  const root = planned.find((p) => p.bootIndex === 0);
  const volumeBacked = !!root && root.destinationType === 'volume';

  let rootImage: BootVolumes['rootImage'];
  for (const p of planned) {
    const isRoot = p === root;
    if (p.sourceType === 'volume') {
      const view = await volumeApi.get(deps, deps.db, caller, p.volumeId!).catch((err) => {
        if (err instanceof DomainError && err.kind === 'not-found')
          throw bdmInvalid(`failed to get volume ${p.volumeId}.`);
        throw err;
      });
      p.volumeId = view.row.id;
      // nova/block_device.py get_bdm_image_metadata: the root volume must be bootable.
      if (isRoot && !view.row.bootable) throw invalid(`Block Device ${view.row.id} is not bootable.`);
      p.volumeSize = view.row.size;
      if (isRoot) {
        const meta = view.row.image_metadata ? (JSON.parse(view.row.image_metadata) as Record<string, string>) : {};
        rootImage = { min_ram: Number(meta.min_ram ?? 0) || 0, min_disk: Number(meta.min_disk ?? 0) || 0 };
      }
    } else if (p.sourceType === 'snapshot') {
      const uuid = canonicalUuid(p.snapshotId!);
      const snap = uuid ? await volumeRepo.getSnapshot(deps.db, uuid) : undefined;
      if (!snap || (snap.project_id !== caller.projectId && !caller.isAdmin))
        throw bdmInvalid(`failed to get snapshot ${p.snapshotId}.`);
      p.snapshotId = snap.id;
      p.volumeSize = p.volumeSize || snap.size;
    } else if (p.sourceType === 'image') {
      const uuid = canonicalUuid(p.imageId!);
      const image = uuid ? await catalog.getImage(deps.db, uuid) : undefined;
      if (!image || !imageVisibleTo(image, caller.isAdmin ? undefined : caller.projectId))
        throw bdmInvalid(`failed to get image ${p.imageId}.`);
      p.imageId = image.id;
      if (p.destinationType === 'volume' && !p.volumeSize)
        throw bdmInvalid("Images with destination_type 'volume' need to have a non-zero size specified");
      if (isRoot) rootImage = { min_ram: image.min_ram, min_disk: image.min_disk };
      // Nova's _validate_flavor_image_nostatus: a volume root is checked against min_disk, not the flavor.
      if (isRoot && p.destinationType === 'volume' && p.volumeSize! < image.min_disk)
        throw invalid(
          `Volume is smaller than the minimum size specified in image metadata. Volume size is ${p.volumeSize! * 1024 ** 3} bytes, minimum size is ${image.min_disk * 1024 ** 3} bytes.`,
        );
    } else if (p.sourceType === 'blank' && !p.volumeSize) {
      throw bdmInvalid("Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size");
    }
  }
  return { volumes: planned.filter((p) => p.destinationType === 'volume'), volumeBacked, rootImage };
}

/**
 * Writes a new server's mappings in its create transaction; an existing volume is reserved for
 * it (Cinder's attachment_create: available → reserved), so a second server cannot take it.
 * Nova's message when Cinder refuses (an in-use volume): InvalidVolume over Cinder's 400.
 */
export async function writeBootVolumes(
  deps: Deps,
  tx: Executor,
  caller: Caller,
  serverId: string,
  plan: BootVolumes,
  now: string,
): Promise<void> {
  for (const p of plan.volumes) {
    let attachmentId: string | null = null;
    if (p.volumeId) {
      const att = await volumeApi.attachmentCreate(deps, tx, caller, p.volumeId, serverId).catch((err) => {
        if (err instanceof DomainError && err.kind === 'invalid')
          throw invalid(`Invalid volume: Invalid input received: ${err.message} (HTTP 400)`);
        throw err;
      });
      attachmentId = att.id;
    }
    const inserted = await bdmRepo.insertBlockDevice(tx, {
      id: deps.ids.uuid(),
      server_id: serverId,
      volume_id: p.volumeId,
      attachment_id: attachmentId,
      source_type: p.sourceType,
      destination_type: p.destinationType,
      boot_index: p.bootIndex,
      device_name: p.deviceName,
      delete_on_termination: p.deleteOnTermination ? 1 : 0,
      volume_size: p.volumeSize,
      volume_type: p.volumeType,
      image_id: p.imageId,
      snapshot_id: p.snapshotId,
      disk_bus: null,
      device_type: 'disk',
      guest_format: null,
      tag: p.tag,
      created_at: now,
      updated_at: now,
    });
    if (!inserted) throw invalid(`Invalid volume: volume ${p.volumeId} is already attached.`);
  }
}

/**
 * compute_utils.is_volume_backed_instance: the root (boot index 0) is a volume. Returns the root
 * mapping and the image its volume was made from (Cinder's volume_image_metadata), else undefined.
 */
export async function volumeBackedRoot(
  deps: Pick<Deps, 'db'>,
  serverId: string,
): Promise<{ bdm: bdmRepo.BlockDeviceRow; imageId: string | null } | undefined> {
  const root = (await bdmRepo.blockDevicesOfServer(deps.db, serverId)).find(
    (b) => b.boot_index === 0 && b.destination_type === 'volume',
  );
  if (!root) return undefined;
  const vol = root.volume_id ? await volumeRepo.getVolume(deps.db, root.volume_id) : undefined;
  const meta = vol?.image_metadata ? (JSON.parse(vol.image_metadata) as Record<string, string>) : {};
  return { bdm: root, imageId: meta.image_id ?? root.image_id ?? null };
}
