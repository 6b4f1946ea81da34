import type { Caller, Deps } from '../context.js';
import { authorize, allowed, canonicalUuid } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { showImageIn } from '../image/images.js';
import { imageDataPath } from '../image/image-store.js';
import { iso } from '../../domain/clock.js';
import {
  invalidInput,
  invalidVolume,
  snapshotNotFound,
  volumeBadRequest,
  markerNotFound,
  volumeNotFound,
  volumeTypeNotFound,
  volumeTypeNotFoundByName,
} from '../../domain/volume-errors.js';
import { checkVolumeQuota } from './volume-quotas.js';
import { DEFAULT_TYPE_ID, findType } from './volume-types.js';
import { type AfterCommit, schedule } from './volume-work.js';
import { growFile, removeFile, snapshotPath, volumePath, writeSparseFile, type VolumeSource } from './volume-files.js';

export type { VolumeRow, AttachmentRow, SnapshotRow, VolumeTypeRow } from '../../db/repositories/volumes.repository.js';
export type { AfterCommit } from './volume-work.js';

/** The one availability zone Stratus' volume service has (Cinder's default `nova`). */
export const VOLUME_ZONE = 'nova';

/** A volume with what its views show: the type and the attachments. */
export interface VolumeView {
  row: repo.VolumeRow;
  type: repo.VolumeTypeRow | undefined;
  attachments: repo.AttachmentRow[];
}

/** A volume in the caller's scope, else 404 (Cinder: another project's volume is not found; admins see all). */
export async function findVolume(
  ex: Executor,
  caller: Caller,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<repo.VolumeRow> {
  const uuid = canonicalUuid(id);
  const row = uuid ? await repo.getVolume(ex, uuid, opts) : undefined;
  if (!row || (row.project_id !== caller.projectId && !caller.isAdmin)) throw volumeNotFound(id);
  return row;
}

const target = (v: { project_id: string; user_id?: string }) => ({ project_id: v.project_id, user_id: v.user_id });

async function viewOf(ex: Executor, row: repo.VolumeRow): Promise<VolumeView> {
  return {
    row,
    type: await repo.getVolumeType(ex, row.volume_type_id),
    attachments: await repo.listAttachments(ex, { volumeId: row.id }),
  };
}

export interface CreateVolumeInput {
  size: number | null;
  name: string | null;
  description: string | null;
  volumeType?: string | null;
  metadata: Record<string, string>;
  availabilityZone?: string | null;
  snapshotId?: string | null;
  sourceVolid?: string | null;
  imageRef?: string | null;
}

/**
 * Cinder's volume create (cinder/volume/api.py create + the create_volume flow), inside the
 * caller's transaction: validates the source, takes the quota, inserts the row `creating`.
 * The returned `afterCommit` writes the sparse file (the image's or snapshot's bytes at its
 * start) and moves the row to `available` (`error` if that fails): the caller runs it after its
 * commit (`schedule`), so the API answers 202 while the file is made, as Cinder does.
 */
export async function createVolumeIn(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  input: CreateVolumeInput,
): Promise<{ volume: VolumeView; afterCommit: AfterCommit }> {
  authorize(deps, caller, 'volume:create', { project_id: caller.projectId, user_id: caller.userId });
  let size = input.size;
  let source: VolumeSource = { kind: 'blank' };
  let typeId: string | undefined;
  let imageMeta: Record<string, string> | null = null;
  let bootable = 0;
  let imageId: string | null = null;
  let snapshotId: string | null = null;
  let sourceVolid: string | null = null;
  if (input.availabilityZone && input.availabilityZone !== VOLUME_ZONE)
    throw invalidInput(`Availability zone '${input.availabilityZone}' is invalid.`);
  if (input.snapshotId) {
    const uuid = canonicalUuid(input.snapshotId);
    const snap = uuid ? await repo.getSnapshot(ex, uuid) : undefined;
    if (!snap || (snap.project_id !== caller.projectId && !caller.isAdmin)) throw snapshotNotFound(input.snapshotId);
    if (snap.status !== 'available')
      throw invalidInput(`Snapshot ${snap.id} status must be available to create a volume from it.`);
    const parent = await repo.getVolume(ex, snap.volume_id);
    size = size ?? snap.size;
    if (size < snap.size)
      throw invalidInput(
        `Volume size '${size}'GB cannot be smaller than the snapshot size ${snap.size}GB. They must be >= original snapshot size.`,
      );
    typeId = parent?.volume_type_id;
    snapshotId = snap.id;
    bootable = parent?.bootable ?? 0;
    imageMeta = parent?.image_metadata ? (JSON.parse(parent.image_metadata) as Record<string, string>) : null;
    source = { kind: 'file', path: snapshotPath(deps.config.data, snap.id) };
  } else if (input.sourceVolid) {
    const src = await findVolume(ex, caller, input.sourceVolid).catch(() => {
      throw volumeNotFound(input.sourceVolid ?? '');
    });
    if (!['available', 'in-use'].includes(src.status))
      throw invalidVolume(`Volume ${src.id} status must be available or in-use to clone it.`);
    size = size ?? src.size;
    if (size < src.size)
      throw invalidInput(
        `Volume size '${size}'GB cannot be smaller than original volume size  ${src.size}GB. They must be >= original volume size.`,
      );
    typeId = src.volume_type_id;
    sourceVolid = src.id;
    bootable = src.bootable;
    imageMeta = src.image_metadata ? (JSON.parse(src.image_metadata) as Record<string, string>) : null;
    source = { kind: 'file', path: volumePath(deps.config.data, src.id) };
  } else if (input.imageRef) {
    authorize(deps, caller, 'volume:create_from_image', { project_id: caller.projectId, user_id: caller.userId });
    // Cinder v3 volumes.create: an image it cannot read is a 400 with this text.
    const image = await showImageIn(ex, caller, input.imageRef).catch(() => {
      throw volumeBadRequest('Invalid image identifier or unable to access requested image.');
    });
    if (image.status !== 'active') throw invalidInput(`Image ${image.id} is not active.`);
    const imageGb = Math.max(1, Math.ceil((image.size ?? 0) / (1024 * 1024 * 1024)));
    const minDisk = Math.max(imageGb, image.min_disk ?? 0);
    size = size ?? minDisk;
    if (size < imageGb)
      throw invalidInput(`Size of specified image ${imageGb}GB is larger than volume size ${size}GB.`);
    if (size < (image.min_disk ?? 0))
      throw invalidInput(`Volume size ${size}GB cannot be smaller than the image minDisk size ${image.min_disk}GB.`);
    imageId = image.id;
    bootable = 1;
    // Cinder's volume_glance_metadata: the image's core properties and its own ones.
    imageMeta = {
      image_id: image.id,
      image_name: image.name,
      checksum: image.checksum ?? '',
      container_format: image.container_format ?? '',
      disk_format: image.disk_format ?? '',
      min_disk: String(image.min_disk ?? 0),
      min_ram: String(image.min_ram ?? 0),
      size: String(image.size ?? 0),
      ...(JSON.parse(image.properties) as Record<string, string>),
    };
    source = { kind: 'file', path: imageDataPath(deps.config.data, image.id), optional: true };
  }
  if (size === null || size === undefined)
    throw invalidInput(
      'Invalid volume size provided for create request: None (size argument must be an integer (or string representation of an integer) and greater than zero).',
    );
  if (input.volumeType) {
    const t = await findType(ex, input.volumeType);
    // Cinder's volume_types.get_by_name_or_id: a uuid is looked up by id, anything else by name (404).
    if (!t || (!t.is_public && !caller.isAdmin))
      throw canonicalUuid(input.volumeType)
        ? volumeTypeNotFound(input.volumeType)
        : volumeTypeNotFoundByName(input.volumeType);
    if (typeId && typeId !== t.id && input.snapshotId)
      throw invalidInput(`Invalid volume_type provided: ${t.name} (requested type must match source snapshot's type).`);
    typeId = t.id;
  }
  typeId = typeId ?? DEFAULT_TYPE_ID;
  const type = await repo.getVolumeType(ex, typeId);
  await checkVolumeQuota(ex, caller.projectId, {
    volumes: 1,
    gigabytes: size,
    size,
    typeName: type?.name ?? '__DEFAULT__',
  });
  const now = iso(deps.clock.now());
  const row = await repo.insertVolume(ex, {
    id: deps.ids.uuid(),
    project_id: caller.projectId,
    user_id: caller.userId,
    name: input.name,
    description: input.description,
    size,
    status: 'creating',
    attach_status: 'detached',
    volume_type_id: typeId,
    availability_zone: VOLUME_ZONE,
    bootable,
    readonly: 0,
    snapshot_id: snapshotId,
    source_volid: sourceVolid,
    image_id: imageId,
    metadata: JSON.stringify(input.metadata),
    image_metadata: imageMeta ? JSON.stringify(imageMeta) : null,
    created_at: now,
    updated_at: null,
  });
  return { volume: { row, type, attachments: [] }, afterCommit: () => finishCreate(deps, row, source) };
}

/** The cinder-volume side of a create: the file, then `creating` → `available` (or `error`). */
export async function finishCreate(deps: Deps, row: repo.VolumeRow, source: VolumeSource): Promise<void> {
  const now = () => iso(deps.clock.now());
  try {
    await writeSparseFile(volumePath(deps.config.data, row.id), row.size, source);
  } catch (err) {
    deps.log.warn({ err, volume: row.id }, 'volume create failed');
    await deps.transact((tx) =>
      repo.updateVolumeIfStatus(tx, row.id, ['creating'], { status: 'error', updated_at: now() }),
    );
    return;
  }
  const done = await deps.transact((tx) =>
    repo.updateVolumeIfStatus(tx, row.id, ['creating'], { status: 'available', updated_at: now() }),
  );
  // Deleted (or reset) meanwhile: a file nobody owns goes.
  if (!done && !(await repo.getVolume(deps.db, row.id))) await removeFile(volumePath(deps.config.data, row.id));
}

/** Source of a volume still `creating` (restart recovery redoes the file work from the row). */
export function sourceOf(deps: Deps, row: repo.VolumeRow): VolumeSource {
  if (row.snapshot_id) return { kind: 'file', path: snapshotPath(deps.config.data, row.snapshot_id) };
  if (row.source_volid) return { kind: 'file', path: volumePath(deps.config.data, row.source_volid) };
  if (row.image_id) return { kind: 'file', path: imageDataPath(deps.config.data, row.image_id), optional: true };
  return { kind: 'blank' };
}

export async function createVolume(deps: Deps, caller: Caller, input: CreateVolumeInput): Promise<VolumeView> {
  const res = await deps.transact((tx) => createVolumeIn(deps, tx, caller, input));
  schedule(deps, res.afterCommit);
  return res.volume;
}

export interface VolumeListQuery {
  allTenants: boolean;
  projectId?: string;
  name?: string;
  status?: string;
  metadata?: Record<string, string>;
  bootable?: boolean;
  availabilityZone?: string;
  limit?: number;
  marker?: string;
  sort: Array<{ key: string; dir: 'asc' | 'desc' }>;
  offset?: number;
}

const SORT_KEYS = new Set([
  'id',
  'name',
  'status',
  'size',
  'created_at',
  'updated_at',
  'availability_zone',
  'bootable',
]);

/** Cinder's volume list: filters, then sort (default created_at desc), marker and limit. */
export async function listVolumes(
  deps: Deps,
  caller: Caller,
  q: VolumeListQuery,
): Promise<{ volumes: VolumeView[]; count: number }> {
  authorize(deps, caller, 'volume:get_all', { project_id: caller.projectId });
  // Cinder: all_tenants only counts for admins; others see their project whatever they send.
  const everyone = q.allTenants && caller.isAdmin;
  let rows = await repo.listVolumes(deps.db, everyone ? q.projectId : caller.projectId);
  if (q.name !== undefined) rows = rows.filter((r) => r.name === q.name);
  if (q.status !== undefined) rows = rows.filter((r) => r.status === q.status);
  if (q.availabilityZone !== undefined) rows = rows.filter((r) => r.availability_zone === q.availabilityZone);
  if (q.bootable !== undefined) rows = rows.filter((r) => (r.bootable === 1) === q.bootable);
  for (const [k, v] of Object.entries(q.metadata ?? {}))
    rows = rows.filter((r) => (JSON.parse(r.metadata) as Record<string, string>)[k] === v);
  for (const s of q.sort) if (!SORT_KEYS.has(s.key)) throw invalidInput(`Invalid sort key: ${s.key}`);
  const sort = q.sort.length > 0 ? q.sort : [{ key: 'created_at', dir: 'desc' as const }];
  const cmp = (a: repo.VolumeRow, b: repo.VolumeRow): number => {
    for (const s of [...sort, { key: 'id', dir: sort[0].dir }]) {
      const av = (a as unknown as Record<string, unknown>)[s.key] ?? '';
      const bv = (b as unknown as Record<string, unknown>)[s.key] ?? '';
      const c =
        typeof av === 'number' && typeof bv === 'number'
          ? av - bv
          : String(av) < String(bv)
            ? -1
            : String(av) > String(bv)
              ? 1
              : 0;
      if (c !== 0) return s.dir === 'asc' ? c : -c;
    }
    return 0;
  };
  rows.sort(cmp);
  const count = rows.length;
  if (q.marker !== undefined) {
    const i = rows.findIndex((r) => r.id === q.marker);
    // Cinder: a marker it cannot find is MarkerNotFound (404).
    if (i < 0) throw markerNotFound(q.marker);
    rows = rows.slice(i + 1);
  }
  if (q.offset !== undefined) rows = rows.slice(q.offset);
  if (q.limit !== undefined) rows = rows.slice(0, q.limit);
  const volumes: VolumeView[] = [];
  for (const r of rows) volumes.push(await viewOf(deps.db, r));
  return { volumes, count };
}

export async function showVolume(deps: Deps, caller: Caller, id: string): Promise<VolumeView> {
  const row = await findVolume(deps.db, caller, id);
  authorize(deps, caller, 'volume:get', target(row));
  return viewOf(deps.db, row);
}

/** Whether the caller's views show the admin-only and reader attributes. */
export function viewFlags(deps: Deps, caller: Caller) {
  return {
    host: allowed(deps, caller, 'volume_extension:volume_host_attribute'),
    tenant: allowed(deps, caller, 'volume_extension:volume_tenant_attribute'),
    migration: allowed(deps, caller, 'volume_extension:volume_mig_status_attribute'),
    imageMetadata: allowed(deps, caller, 'volume_extension:volume_image_metadata:show'),
  };
}

export async function updateVolume(
  deps: Deps,
  caller: Caller,
  id: string,
  patch: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
): Promise<VolumeView> {
  return deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, 'volume:update', target(row));
    const changes: Parameters<typeof repo.updateVolume>[2] = { updated_at: iso(deps.clock.now()) };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.description !== undefined) changes.description = patch.description;
    // Cinder's PUT /volumes replaces the metadata when it is given.
    if (patch.metadata !== undefined) changes.metadata = JSON.stringify(patch.metadata);
    await repo.updateVolume(tx, row.id, changes);
    return viewOf(tx, (await repo.getVolume(tx, row.id)) as repo.VolumeRow);
  });
}

const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];

/**
 * Cinder's volume delete (cinder/volume/api.py delete): compare-and-set to `deleting` when the
 * volume is in a deletable status, not attached and without snapshots (with `cascade`, its
 * snapshots go first; `force` skips the status check). The returned `afterCommit` removes the
 * file (and the snapshots' files) and then the row: the volume is gone (404) once it ran.
 */
export async function deleteVolumeIn(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  id: string,
  opts: { cascade?: boolean; force?: boolean } = {},
): Promise<AfterCommit> {
  const row = await findVolume(ex, caller, id, { lock: true });
  authorize(deps, caller, 'volume:delete', target(row));
  if (opts.force) authorize(deps, caller, 'volume:force_delete', target(row));
  const snaps = await repo.listSnapshots(ex, { volumeId: row.id });
  const now = iso(deps.clock.now());
  const ok = await repo.updateVolumeIfStatus(
    ex,
    row.id,
    opts.force ? [row.status] : DELETABLE,
    { status: 'deleting', updated_at: now },
    { detached: true, noSnapshots: !opts.cascade },
  );
  if (!ok) {
    const status = opts.force ? '' : `status must be ${DELETABLE.join(' or ')} and`;
    throw invalidVolume(
      `Volume ${status} must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`,
    );
  }
  if (opts.cascade) {
    for (const s of snaps) {
      if (
        !(await repo.updateSnapshot(
          ex,
          s.id,
          { status: 'deleting', updated_at: now },
          opts.force ? undefined : ['available', 'error', 'deleting'],
        ))
      )
        throw invalidVolume('Snapshot of volume not in a deletable state.');
    }
  }
  return () => finishDelete(deps, row.id);
}

/** The cinder-volume side of a delete: the snapshots' and the volume's files, then the rows. */
export async function finishDelete(
  deps: Pick<Deps, 'db' | 'transact' | 'log'> & { config: Pick<Deps['config'], 'data'> },
  id: string,
): Promise<void> {
  const snaps = await repo.listSnapshots(deps.db, { volumeId: id });
  try {
    for (const s of snaps) await removeFile(snapshotPath(deps.config.data, s.id));
    await removeFile(volumePath(deps.config.data, id));
  } catch (err) {
    deps.log.warn({ err, volume: id }, 'volume delete failed');
    await deps.transact((tx) => repo.updateVolumeIfStatus(tx, id, ['deleting'], { status: 'error_deleting' }));
    return;
  }
  await deps.transact(async (tx) => {
    for (const s of snaps) await repo.deleteSnapshot(tx, s.id);
    for (const a of await repo.listAttachments(tx, { volumeId: id })) await repo.deleteAttachment(tx, a.id);
    await repo.deleteVolume(tx, id);
  });
}

export async function deleteVolume(
  deps: Deps,
  caller: Caller,
  id: string,
  opts: { cascade?: boolean; force?: boolean } = {},
): Promise<void> {
  const work = await deps.transact((tx) => deleteVolumeIn(deps, tx, caller, id, opts));
  schedule(deps, work);
}

/** os-extend: `available` (3.42+: or `in-use`) → `extending`, the file grows, back to where it was. */
export async function extendVolume(deps: Deps, caller: Caller, id: string, newSize: number, mv: number): Promise<void> {
  const work = await deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    const attached = mv >= 42 && row.status === 'in-use';
    authorize(deps, caller, attached ? 'volume:extend_attached_volume' : 'volume:extend', target(row));
    if (newSize - row.size <= 0)
      throw invalidInput(
        `New size for extend must be greater than current size. (current: ${row.size}, extended: ${newSize}).`,
      );
    const expected = attached ? 'in-use' : 'available';
    const type = await repo.getVolumeType(tx, row.volume_type_id);
    await checkVolumeQuota(tx, row.project_id, {
      gigabytes: newSize - row.size,
      size: newSize,
      typeName: type?.name ?? '',
    });
    if (
      !(await repo.updateVolumeIfStatus(tx, row.id, [expected], {
        status: 'extending',
        updated_at: iso(deps.clock.now()),
      }))
    )
      throw invalidVolume(
        `Volume ${row.id} status must be '{'status': '${expected}'}' to extend, currently ${row.status}.`,
      );
    return async () => {
      try {
        await growFile(volumePath(deps.config.data, row.id), newSize);
      } catch (err) {
        deps.log.warn({ err, volume: row.id }, 'volume extend failed');
        await deps.transact((t) => repo.updateVolumeIfStatus(t, row.id, ['extending'], { status: 'error_extending' }));
        return;
      }
      await deps.transact((t) =>
        repo.updateVolumeIfStatus(t, row.id, ['extending'], {
          status: expected,
          size: newSize,
          updated_at: iso(deps.clock.now()),
        }),
      );
    };
  });
  schedule(deps, work);
}

const VALID_STATUSES = new Set([
  'available',
  'error',
  'creating',
  'deleting',
  'in-use',
  'attaching',
  'detaching',
  'error_deleting',
  'maintenance',
  'reserved',
  'extending',
  'error_extending',
  'error_restoring',
  'error_managing',
  'downloading',
  'uploading',
  'retyping',
  'backing-up',
  'restoring-backup',
  'awaiting-transfer',
]);

/** os-reset_status (admin_actions.py): sets status / attach_status as told, no state check. */
export async function resetVolumeStatus(
  deps: Deps,
  caller: Caller,
  id: string,
  body: { status?: string; attach_status?: string; migration_status?: string },
): Promise<void> {
  await deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, 'volume_extension:volume_admin_actions:reset_status', target(row));
    if (body.status !== undefined && !VALID_STATUSES.has(body.status.toLowerCase()))
      throw volumeBadRequest(`Must specify a valid status`);
    if (body.attach_status !== undefined && !['attached', 'detached'].includes(body.attach_status.toLowerCase()))
      throw volumeBadRequest(`Must specify a valid attach status`);
    if (body.status === undefined && body.attach_status === undefined && body.migration_status === undefined)
      throw volumeBadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.");
    const patch: Parameters<typeof repo.updateVolume>[2] = { updated_at: iso(deps.clock.now()) };
    if (body.status !== undefined) patch.status = body.status.toLowerCase();
    if (body.attach_status !== undefined) patch.attach_status = body.attach_status.toLowerCase();
    await repo.updateVolume(tx, row.id, patch);
  });
}

/** os-force_delete (admin_actions.py): a delete that skips the status check. */
export async function forceDeleteVolume(deps: Deps, caller: Caller, id: string): Promise<void> {
  const work = await deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, 'volume_extension:volume_admin_actions:force_delete', target(row));
    // Cinder's force delete detaches nothing: an attached volume still cannot go.
    const now = iso(deps.clock.now());
    if (
      !(await repo.updateVolumeIfStatus(
        tx,
        row.id,
        [row.status],
        { status: 'deleting', updated_at: now },
        { detached: true, noSnapshots: true },
      ))
    )
      throw invalidVolume(
        'Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      );
    return () => finishDelete(deps, row.id);
  });
  schedule(deps, work);
}

export async function setBootable(deps: Deps, caller: Caller, id: string, bootable: boolean): Promise<void> {
  await deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, 'volume:update', target(row));
    await repo.updateVolume(tx, row.id, { bootable: bootable ? 1 : 0, updated_at: iso(deps.clock.now()) });
  });
}

export async function setReadonly(deps: Deps, caller: Caller, id: string, readonly: boolean): Promise<void> {
  await deps.transact(async (tx) => {
    const row = await findVolume(tx, caller, id, { lock: true });
    authorize(deps, caller, 'volume:update_readonly_flag', target(row));
    await repo.updateVolume(tx, row.id, { readonly: readonly ? 1 : 0, updated_at: iso(deps.clock.now()) });
  });
}
