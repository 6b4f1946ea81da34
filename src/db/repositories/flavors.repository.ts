import type { Executor } from '../executor.js';
import type { FlavorsTable } from '../schema.js';

export type FlavorRow = FlavorsTable;

/**
 * Which flavors a lookup may see, as Nova's _flavor_get_query_from_db plus the is_public filter:
 * `projectId` limits to the public flavors and the private ones shared with that project;
 * `isPublic` true/false keeps only public (plus, with `accessOf`, those shared with that project)
 * or only private ones.
 */
export interface FlavorScope {
  projectId?: string;
  isPublic?: boolean;
  accessOf?: string;
  minRam?: number;
  minDisk?: number;
}

export async function listFlavors(ex: Executor, scope: FlavorScope = {}): Promise<FlavorRow[]> {
  let q = ex.selectFrom('flavors').selectAll();
  const shared = (project: string) =>
    ex.selectFrom('flavor_projects').select('flavor_projects.flavor_id').where('project_id', '=', project);
  if (scope.projectId !== undefined) {
    const p = scope.projectId;
    q = q.where((eb) => eb.or([eb('is_public', '=', 1), eb('id', 'in', shared(p))]));
  }
  if (scope.isPublic === false) q = q.where('is_public', '=', 0);
  if (scope.isPublic === true) {
    const p = scope.accessOf;
    q =
      p === undefined
        ? q.where('is_public', '=', 1)
        : q.where((eb) => eb.or([eb('is_public', '=', 1), eb('id', 'in', shared(p))]));
  }
  if (scope.minRam !== undefined) q = q.where('ram', '>=', scope.minRam);
  if (scope.minDisk !== undefined) q = q.where('disk', '>=', scope.minDisk);
  return q.orderBy('id').execute();
}

/** One flavor; with `projectId`, only when it is public or shared with that project. */
export async function getFlavor(ex: Executor, id: string, projectId?: string): Promise<FlavorRow | undefined> {
  let q = ex.selectFrom('flavors').selectAll().where('id', '=', id);
  if (projectId !== undefined)
    q = q.where((eb) =>
      eb.or([
        eb('is_public', '=', 1),
        eb(
          'id',
          'in',
          ex.selectFrom('flavor_projects').select('flavor_projects.flavor_id').where('project_id', '=', projectId),
        ),
      ]),
    );
  return q.executeTakeFirst();
}

export async function getFlavorByName(ex: Executor, name: string): Promise<FlavorRow | undefined> {
  return ex.selectFrom('flavors').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertFlavor(ex: Executor, row: FlavorRow): Promise<void> {
  await ex.insertInto('flavors').values(row).execute();
}

/** Deletes the flavor with its access list; false when there was none. */
export async function deleteFlavor(ex: Executor, id: string): Promise<boolean> {
  await ex.deleteFrom('flavor_projects').where('flavor_id', '=', id).execute();
  const r = await ex.deleteFrom('flavors').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function updateFlavor(
  ex: Executor,
  id: string,
  patch: Partial<Pick<FlavorRow, 'description' | 'extra_specs'>>,
): Promise<boolean> {
  const r = await ex.updateTable('flavors').set(patch).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The projects a flavor is shared with, in id order. */
export async function listFlavorAccess(ex: Executor, flavorId: string): Promise<string[]> {
  const rows = await ex
    .selectFrom('flavor_projects')
    .select('project_id')
    .where('flavor_id', '=', flavorId)
    .orderBy('project_id')
    .execute();
  return rows.map((r) => r.project_id);
}

/** Inserts a grant; a duplicate is the dialect's unique violation. */
export async function addFlavorAccess(ex: Executor, flavorId: string, projectId: string): Promise<void> {
  await ex.insertInto('flavor_projects').values({ flavor_id: flavorId, project_id: projectId }).execute();
}

export async function removeFlavorAccess(ex: Executor, flavorId: string, projectId: string): Promise<boolean> {
  const r = await ex
    .deleteFrom('flavor_projects')
    .where('flavor_id', '=', flavorId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
