import type { Executor } from '../executor.js';
import type { ImagesTable } from '../schema.js';

export async function listFlavors(ex: Executor) {
  return ex.selectFrom('flavors').selectAll().where('is_public', '=', 1).execute();
}
export async function getFlavor(ex: Executor, id: string) {
  return ex.selectFrom('flavors').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listImages(ex: Executor, projectId?: string) {
  let q = ex.selectFrom('images').selectAll();
  if (projectId !== undefined)
    q = q.where((eb) => eb.or([eb('visibility', 'in', ['public', 'community']), eb('owner', '=', projectId)]));
  return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(numericSize);
}
export async function getImage(ex: Executor, id: string) {
  const row = await ex.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  return row && numericSize(row);
}
/** `size` is a bigint column: PostgreSQL's driver reads it as text, SQLite's as a number. */
const numericSize = (r: ImagesTable): ImagesTable => (typeof r.size === 'string' ? { ...r, size: Number(r.size) } : r);
export async function insertImage(ex: Executor, row: ImagesTable): Promise<void> {
  await ex.insertInto('images').values(row).execute();
}
export async function deleteImage(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('images').where('id', '=', id).execute();
}

export async function imageProperties(ex: Executor): Promise<Map<string, string>> {
  const rows = await ex.selectFrom('images').select(['id', 'properties']).execute();
  return new Map(rows.map((r) => [r.id, r.properties]));
}

/** Replaces an image's properties (a JSON object's text); false when no such image. */
export async function setImageProperties(
  ex: Executor,
  id: string,
  properties: string,
  updatedAt: string,
): Promise<boolean> {
  const res = await ex
    .updateTable('images')
    .set({ properties, updated_at: updatedAt })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export type ImageChanges = Partial<
  Pick<ImagesTable, 'status' | 'size' | 'checksum' | 'os_hash_algo' | 'os_hash_value' | 'properties'>
> & { updated_at: string };

/**
 * Compare-and-set on the image's status (queued → saving → active, as Glance moves it): false
 * when the image is gone or no longer in `expectedStatus` (another upload won).
 */
export async function updateImageIfStatus(
  ex: Executor,
  id: string,
  expectedStatus: string,
  changes: ImageChanges,
): Promise<boolean> {
  const res = await ex
    .updateTable('images')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', expectedStatus)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
