import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';
import type { VolumeAttachmentsTable, VolumeSnapshotsTable, VolumesTable, VolumeTypesTable } from '../schema.js';

export type VolumeRow = Selectable<VolumesTable>;
export type VolumeTypeRow = Selectable<VolumeTypesTable>;
export type SnapshotRow = Selectable<VolumeSnapshotsTable>;
export type AttachmentRow = Selectable<VolumeAttachmentsTable>;

// --- volume types -------------------------------------------------------------------------

export async function insertVolumeType(ex: Executor, row: Insertable<VolumeTypesTable>): Promise<VolumeTypeRow> {
  return ex.insertInto('volume_types').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Inserts the type unless one of that name exists (idempotent start-up seeding). */
export async function ensureVolumeType(ex: Executor, row: Insertable<VolumeTypesTable>): Promise<void> {
  await ex
    .insertInto('volume_types')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function getVolumeType(ex: Executor, id: string): Promise<VolumeTypeRow | undefined> {
  return ex.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getVolumeTypeByName(ex: Executor, name: string): Promise<VolumeTypeRow | undefined> {
  return ex.selectFrom('volume_types').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listVolumeTypes(ex: Executor): Promise<VolumeTypeRow[]> {
  return ex.selectFrom('volume_types').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function deleteVolumeType(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('volume_types').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function countVolumesOfType(ex: Executor, typeId: string): Promise<number> {
  const r = await ex
    .selectFrom('volumes')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('volume_type_id', '=', typeId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

// --- volumes ------------------------------------------------------------------------------

export async function insertVolume(ex: Executor, row: Insertable<VolumesTable>): Promise<VolumeRow> {
  return ex.insertInto('volumes').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A volume; `lock` row-locks it on PostgreSQL (the caller's transaction decides on it). */
export async function getVolume(ex: Executor, id: string, opts: { lock?: boolean } = {}) {
  const q = ex.selectFrom('volumes').selectAll().where('id', '=', id);
  return (opts.lock ? dialectOf(ex).lockRows(q, 'volumes') : q).executeTakeFirst();
}

/** Volumes of a project, or of every project when `projectId` is undefined, oldest first. */
export async function listVolumes(ex: Executor, projectId?: string): Promise<VolumeRow[]> {
  let q = ex.selectFrom('volumes').selectAll();
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function listVolumesInStatus(ex: Executor, statuses: string[]): Promise<VolumeRow[]> {
  return ex.selectFrom('volumes').selectAll().where('status', 'in', statuses).execute();
}

export async function updateVolume(ex: Executor, id: string, patch: Updateable<VolumesTable>): Promise<boolean> {
  const r = await ex.updateTable('volumes').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Compare-and-set on the status (Cinder's conditional_update): the row changes only while its
 * status is one of `expected` (and, with `detached`, while no attachment is recorded). False:
 * it was not (a concurrent change won).
 */
export async function updateVolumeIfStatus(
  ex: Executor,
  id: string,
  expected: string[],
  patch: Updateable<VolumesTable>,
  opts: { detached?: boolean; noSnapshots?: boolean } = {},
): Promise<boolean> {
  let q = ex.updateTable('volumes').set(patch).where('id', '=', id).where('status', 'in', expected);
  if (opts.detached) q = q.where('attach_status', '!=', 'attached');
  if (opts.noSnapshots)
    q = q.where(({ not, exists, selectFrom }) =>
      not(
        exists(selectFrom('volume_snapshots').select('id').whereRef('volume_snapshots.volume_id', '=', 'volumes.id')),
      ),
    );
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteVolume(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('volumes').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** What a project's volumes hold for Cinder's quotas: their count and their GiB. */
export async function volumeUsage(ex: Executor, projectId: string): Promise<{ volumes: number; gigabytes: number }> {
  const r = await ex
    .selectFrom('volumes')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum<number>('size').as('gb')])
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return { volumes: Number(r?.n ?? 0), gigabytes: Number(r?.gb ?? 0) };
}

// --- snapshots ----------------------------------------------------------------------------

export async function insertSnapshot(ex: Executor, row: Insertable<VolumeSnapshotsTable>): Promise<SnapshotRow> {
  return ex.insertInto('volume_snapshots').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function getSnapshot(ex: Executor, id: string): Promise<SnapshotRow | undefined> {
  return ex.selectFrom('volume_snapshots').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listSnapshots(
  ex: Executor,
  opts: { projectId?: string; volumeId?: string } = {},
): Promise<SnapshotRow[]> {
  let q = ex.selectFrom('volume_snapshots').selectAll();
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  if (opts.volumeId !== undefined) q = q.where('volume_id', '=', opts.volumeId);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function listSnapshotsInStatus(ex: Executor, statuses: string[]): Promise<SnapshotRow[]> {
  return ex.selectFrom('volume_snapshots').selectAll().where('status', 'in', statuses).execute();
}

export async function updateSnapshot(
  ex: Executor,
  id: string,
  patch: Updateable<VolumeSnapshotsTable>,
  expected?: string[],
): Promise<boolean> {
  let q = ex.updateTable('volume_snapshots').set(patch).where('id', '=', id);
  if (expected) q = q.where('status', 'in', expected);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteSnapshot(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('volume_snapshots').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** A project's snapshots for Cinder's quotas: their count and their GiB. */
export async function snapshotUsage(
  ex: Executor,
  projectId: string,
): Promise<{ snapshots: number; gigabytes: number }> {
  const r = await ex
    .selectFrom('volume_snapshots')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum<number>('size').as('gb')])
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return { snapshots: Number(r?.n ?? 0), gigabytes: Number(r?.gb ?? 0) };
}

// --- attachments --------------------------------------------------------------------------

export async function insertAttachment(ex: Executor, row: Insertable<VolumeAttachmentsTable>): Promise<AttachmentRow> {
  return ex.insertInto('volume_attachments').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function getAttachment(ex: Executor, id: string): Promise<AttachmentRow | undefined> {
  return ex.selectFrom('volume_attachments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAttachments(
  ex: Executor,
  opts: { projectId?: string; volumeId?: string; volumeIds?: string[] } = {},
): Promise<AttachmentRow[]> {
  let q = ex.selectFrom('volume_attachments').selectAll();
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  if (opts.volumeId !== undefined) q = q.where('volume_id', '=', opts.volumeId);
  if (opts.volumeIds !== undefined) {
    if (opts.volumeIds.length === 0) return [];
    q = q.where('volume_id', 'in', opts.volumeIds);
  }
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function updateAttachment(
  ex: Executor,
  id: string,
  patch: Updateable<VolumeAttachmentsTable>,
): Promise<boolean> {
  const r = await ex.updateTable('volume_attachments').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteAttachment(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('volume_attachments').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

// --- quotas -------------------------------------------------------------------------------

export async function getVolumeQuotas(ex: Executor, projectId: string): Promise<Record<string, number>> {
  const rows = await ex.selectFrom('volume_quotas').selectAll().where('project_id', '=', projectId).execute();
  return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

export async function setVolumeQuota(ex: Executor, projectId: string, resource: string, limit: number): Promise<void> {
  await ex
    .insertInto('volume_quotas')
    .values({ project_id: projectId, resource, hard_limit: limit })
    .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit: limit }))
    .execute();
}

export async function deleteVolumeQuotas(ex: Executor, projectId: string): Promise<void> {
  await ex.deleteFrom('volume_quotas').where('project_id', '=', projectId).execute();
}

/**
 * Serialises a project's volume creates (the quota_locks pattern of Nova's quotas): locks the
 * project's row (SELECT … FOR UPDATE on PostgreSQL; SQLite's writer lock already serialises).
 */
export async function lockVolumeQuota(ex: Executor, projectId: string): Promise<void> {
  await ex
    .insertInto('volume_quota_locks')
    .values({ project_id: projectId })
    .onConflict((oc) => oc.column('project_id').doNothing())
    .execute();
  const q = ex.selectFrom('volume_quota_locks').select('project_id').where('project_id', '=', projectId);
  await dialectOf(ex).lockRows(q, 'volume_quota_locks').execute();
}
