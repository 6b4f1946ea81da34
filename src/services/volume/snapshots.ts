import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import * as repo from '../../db/repositories/volumes.repository.js';
import { iso } from '../../domain/clock.js';
import { invalidSnapshot, invalidVolume, markerNotFound, snapshotNotFound } from '../../domain/volume-errors.js';
import type { Executor } from '../../db/executor.js';
import { checkVolumeQuota } from './volume-quotas.js';
import { findVolume } from './volumes.js';
import { schedule } from './volume-work.js';
import { copySparse, removeFile, snapshotPath, volumePath } from './volume-files.js';

async function findSnapshot(ex: Executor, caller: Caller, id: string): Promise<repo.SnapshotRow> {
  const uuid = canonicalUuid(id);
  const row = uuid ? await repo.getSnapshot(ex, uuid) : undefined;
  if (!row || (row.project_id !== caller.projectId && !caller.isAdmin)) throw snapshotNotFound(id);
  return row;
}

/**
 * Cinder's create_snapshot: the volume must be available (or in-use with `force`), the
 * snapshot quota is taken, the row is `creating`; after the commit the volume's file is copied
 * to `<data>/volumes/snapshots/<id>` and the snapshot becomes `available` (`error` on failure).
 */
export async function createSnapshot(
  deps: Deps,
  caller: Caller,
  input: {
    volumeId: string;
    name: string | null;
    description: string | null;
    force: boolean;
    metadata: Record<string, string>;
  },
): Promise<repo.SnapshotRow> {
  const row = await deps.transact(async (tx) => {
    const vol = await findVolume(tx, caller, input.volumeId, { lock: true });
    authorize(deps, caller, 'volume:create_snapshot', { project_id: vol.project_id });
    if (vol.status === 'maintenance')
      throw invalidVolume('The snapshot cannot be created when the volume is in maintenance mode.');
    if (vol.status === 'error')
      throw invalidVolume('The snapshot cannot be created when the volume is in error status.');
    const ok = input.force ? ['available', 'in-use'] : ['available'];
    if (!ok.includes(vol.status))
      throw invalidVolume(`Volume ${vol.id} status must be ${ok.join(' or ')}, but current status is: ${vol.status}.`);
    const type = await repo.getVolumeType(tx, vol.volume_type_id);
    await checkVolumeQuota(tx, vol.project_id, { snapshots: 1, gigabytes: vol.size, typeName: type?.name ?? '' });
    return repo.insertSnapshot(tx, {
      id: deps.ids.uuid(),
      volume_id: vol.id,
      project_id: vol.project_id,
      user_id: caller.userId,
      name: input.name,
      description: input.description,
      size: vol.size,
      status: 'creating',
      metadata: JSON.stringify(input.metadata),
      created_at: iso(deps.clock.now()),
      updated_at: null,
    });
  });
  schedule(deps, () => finishSnapshotCreate(deps, row));
  return row;
}

export async function finishSnapshotCreate(deps: Deps, row: repo.SnapshotRow): Promise<void> {
  try {
    await copySparse(volumePath(deps.config.data, row.volume_id), snapshotPath(deps.config.data, row.id));
  } catch (err) {
    deps.log.warn({ err, snapshot: row.id }, 'snapshot create failed');
    await deps.transact((tx) => repo.updateSnapshot(tx, row.id, { status: 'error' }, ['creating']));
    return;
  }
  await deps.transact((tx) =>
    repo.updateSnapshot(tx, row.id, { status: 'available', updated_at: iso(deps.clock.now()) }, ['creating']),
  );
}

export async function finishSnapshotDelete(deps: Deps, id: string): Promise<void> {
  await removeFile(snapshotPath(deps.config.data, id));
  await deps.transact((tx) => repo.deleteSnapshot(tx, id));
}

export async function listSnapshots(
  deps: Deps,
  caller: Caller,
  q: { allTenants: boolean; volumeId?: string; status?: string; name?: string; limit?: number; marker?: string },
) {
  authorize(deps, caller, 'volume:get_all_snapshots', { project_id: caller.projectId });
  const everyone = q.allTenants && caller.isAdmin;
  let rows = await repo.listSnapshots(deps.db, {
    projectId: everyone ? undefined : caller.projectId,
    volumeId: q.volumeId,
  });
  if (q.status !== undefined) rows = rows.filter((r) => r.status === q.status);
  if (q.name !== undefined) rows = rows.filter((r) => r.name === q.name);
  rows.reverse(); // Cinder's default sort: created_at desc
  if (q.marker !== undefined) {
    const i = rows.findIndex((r) => r.id === q.marker);
    if (i < 0) throw markerNotFound(q.marker);
    rows = rows.slice(i + 1);
  }
  if (q.limit !== undefined) rows = rows.slice(0, q.limit);
  return rows;
}

export async function showSnapshot(deps: Deps, caller: Caller, id: string) {
  const row = await findSnapshot(deps.db, caller, id);
  authorize(deps, caller, 'volume:get_snapshot', { project_id: row.project_id });
  return row;
}

export async function updateSnapshot(
  deps: Deps,
  caller: Caller,
  id: string,
  patch: { name?: string | null; description?: string | null },
) {
  return deps.transact(async (tx) => {
    const row = await findSnapshot(tx, caller, id);
    authorize(deps, caller, 'volume:update_snapshot', { project_id: row.project_id });
    await repo.updateSnapshot(tx, row.id, { ...patch, updated_at: iso(deps.clock.now()) });
    return (await repo.getSnapshot(tx, row.id)) as repo.SnapshotRow;
  });
}

/** Cinder's delete_snapshot: available or error → deleting; after the commit the file and the row go. */
export async function deleteSnapshot(deps: Deps, caller: Caller, id: string): Promise<void> {
  const snapId = await deps.transact(async (tx) => {
    const row = await findSnapshot(tx, caller, id);
    authorize(deps, caller, 'volume:delete_snapshot', { project_id: row.project_id });
    if (
      !(await repo.updateSnapshot(tx, row.id, { status: 'deleting', updated_at: iso(deps.clock.now()) }, [
        'available',
        'error',
        'error_deleting',
      ]))
    )
      throw invalidSnapshot('Volume Snapshot status must be available or error and must not be part of a group.');
    return row.id;
  });
  schedule(deps, () => finishSnapshotDelete(deps, snapId));
}
