/**
 * Flavor use cases: list/show with Nova's filters and paging, flavor-manage (create, delete,
 * 2.55 description), os-flavor-access and os-flavor-extra-specs (nova/api/openstack/compute/
 * flavors.py, flavor_manage.py, flavor_access.py, flavors_extraspecs.py).
 */
import type { Caller, Deps } from '../context.js';
import { allowed, authorize } from '../access.js';
import * as flavors from '../../db/repositories/flavors.repository.js';
import { isUniqueViolation } from '../../db/dialects/index.js';
import {
  extraSpecNotFound,
  flavorAccessExists,
  flavorAccessNotFound,
  flavorIdExists,
  flavorMarkerNotFound,
  flavorNameExists,
  flavorNotFound,
  invalid,
  publicFlavorAccessAdd,
  publicFlavorAccessList,
} from '../../domain/errors.js';
import { projectExists } from '../identity/verify-project.js';
import type { CreateFlavorBody, FlavorListQuery, FlavorSortKey } from './flavors.schemas.js';

export type { FlavorRow } from '../../db/repositories/flavors.repository.js';
type FlavorRow = flavors.FlavorRow;

const MANAGE = (a: 'create' | 'update' | 'delete') => `os_compute_api:os-flavor-manage:${a}`;
const ACCESS = 'os_compute_api:os-flavor-access';
const ACCESS_ACTION = (a: 'add_tenant_access' | 'remove_tenant_access') => `os_compute_api:os-flavor-access:${a}`;
const SPECS = (a: 'index' | 'show' | 'create' | 'update' | 'delete') => `os_compute_api:os-flavor-extra-specs:${a}`;

/** Nova's api.max_limit. */
export const MAX_FLAVOR_LIMIT = 1000;

/**
 * common.get_flavor: the flavor as the caller's context sees it. Nova's query for a non-admin
 * context keeps public flavors and the private ones shared with the caller's project; a
 * private flavor the project has no access to is "not found".
 */
async function visibleFlavor(deps: Deps, caller: Caller, id: string): Promise<FlavorRow> {
  const f = await flavors.getFlavor(deps.db, id, caller.isAdmin ? undefined : caller.projectId);
  if (!f) throw flavorNotFound(id);
  return f;
}

/** The flavor a server create may use, or undefined (servers.py answers 400 itself). */
export async function usableFlavor(deps: Deps, caller: Caller, id: string): Promise<FlavorRow | undefined> {
  return flavors.getFlavor(deps.db, id, caller.isAdmin ? undefined : caller.projectId);
}

export async function showFlavor(deps: Deps, caller: Caller, id: string): Promise<FlavorRow> {
  return visibleFlavor(deps, caller, id);
}

/** Whether 2.61 views carry extra_specs (flavors.py: os-flavor-extra-specs:index, not fatal). */
export function viewsExtraSpecs(deps: Deps, caller: Caller): boolean {
  return allowed(deps, caller, SPECS('index'));
}

/** A Python-style int() of a query value, or undefined. */
const pyInt = (v: string): number | undefined => (/^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : undefined);

/** The value of a row Nova sorts by; columns Stratus does not keep sort as equal (ties break on the flavor id). */
function sortValue(f: FlavorRow, key: FlavorSortKey): string | number | null {
  switch (key) {
    case 'flavorid':
      return f.id;
    case 'name':
      return f.name;
    case 'memory_mb':
      return f.ram;
    case 'root_gb':
      return f.disk;
    case 'ephemeral_gb':
      return f.ephemeral;
    case 'swap':
      return f.swap;
    case 'vcpus':
      return f.vcpus;
    case 'rxtx_factor':
      return f.rxtx_factor;
    case 'is_public':
      return f.is_public;
    case 'description':
      return f.description;
    default:
      return 0;
  }
}

function compare(a: string | number | null, b: string | number | null): number {
  // NULL sorts first in ascending order, as in MySQL (Nova's reference database).
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * flavors.py _get_flavors: admins filter with is_public (true by default, false, or none for
 * all); everyone else sees the public flavors and the private ones shared with their project.
 * Sorted by sort_key then the id, both in sort_dir; marker and limit page from there.
 */
export async function listFlavors(deps: Deps, caller: Caller, q: FlavorListQuery): Promise<FlavorRow[]> {
  const scope: flavors.FlavorScope = {};
  if (caller.isAdmin) {
    const raw = q.isPublic;
    let isPublic: boolean | undefined = true;
    if (raw !== undefined) {
      const s = raw.toLowerCase();
      if (s === 'none') isPublic = undefined;
      else if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) isPublic = true;
      else if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) isPublic = false;
      else throw invalid(`Invalid is_public filter [${raw}]`);
    }
    scope.isPublic = isPublic;
    if (isPublic) scope.accessOf = caller.projectId;
  } else {
    scope.projectId = caller.projectId;
  }
  if (q.minRam !== undefined) {
    scope.minRam = pyInt(q.minRam);
    if (scope.minRam === undefined) throw invalid(`Invalid minRam filter [${q.minRam}]`);
  }
  if (q.minDisk !== undefined) {
    scope.minDisk = pyInt(q.minDisk);
    if (scope.minDisk === undefined) throw invalid(`Invalid minDisk filter [${q.minDisk}]`);
  }
  const key = q.sortKey ?? 'flavorid';
  const sign = q.sortDir === 'desc' ? -1 : 1;
  const order = (a: FlavorRow, b: FlavorRow) =>
    sign * (compare(sortValue(a, key), sortValue(b, key)) || compare(a.id, b.id));
  let rows = (await flavors.listFlavors(deps.db, scope)).sort(order);
  if (q.marker !== undefined) {
    // The marker is looked up among every flavor the caller may see, not only the filtered ones.
    const m = await flavors.getFlavor(deps.db, q.marker, caller.isAdmin ? undefined : caller.projectId);
    if (!m) throw flavorMarkerNotFound(q.marker);
    rows = rows.filter((f) => order(f, m) > 0);
  }
  return rows.slice(0, Math.min(q.limit ?? MAX_FLAVOR_LIMIT, MAX_FLAVOR_LIMIT));
}

/** flavor_manage.py _create (flavors.create): a generated UUID when no id is given. */
export async function createFlavor(deps: Deps, caller: Caller, b: CreateFlavorBody): Promise<FlavorRow> {
  authorize(deps, caller, MANAGE('create'), { project_id: caller.projectId });
  const row: FlavorRow = {
    id: b.id || deps.ids.uuid(),
    name: b.name,
    vcpus: b.vcpus,
    ram: b.ram,
    disk: b.disk,
    ephemeral: b.ephemeral,
    swap: b.swap,
    rxtx_factor: b.rxtxFactor,
    is_public: b.isPublic ? 1 : 0,
    description: b.description,
    extra_specs: '{}',
  };
  try {
    await deps.transact(async (tx) => {
      if (await flavors.getFlavor(tx, row.id)) throw flavorIdExists(row.id);
      if (await flavors.getFlavorByName(tx, row.name)) throw flavorNameExists(row.name);
      await flavors.insertFlavor(tx, row);
    });
  } catch (err) {
    // Two creates racing: the loser meets a unique key (Nova's DBDuplicateEntry).
    if (isUniqueViolation(err)) {
      if (await flavors.getFlavor(deps.db, row.id)) throw flavorIdExists(row.id);
      throw flavorNameExists(row.name);
    }
    throw err;
  }
  return row;
}

/** flavor_manage.py _delete: servers keep their own copy of the flavor, so they are not touched. */
export async function deleteFlavor(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, MANAGE('delete'), { project_id: caller.projectId });
  const gone = await deps.transact((tx) => flavors.deleteFlavor(tx, id));
  if (!gone) throw flavorNotFound(id);
}

/** flavor_manage.py _update (2.55): the description only. */
export async function updateFlavorDescription(
  deps: Deps,
  caller: Caller,
  id: string,
  description: string | null,
): Promise<FlavorRow> {
  authorize(deps, caller, MANAGE('update'), { project_id: caller.projectId });
  return deps.transact(async (tx) => {
    const f = await flavors.getFlavor(tx, id, caller.isAdmin ? undefined : caller.projectId);
    if (!f) throw flavorNotFound(id);
    await flavors.updateFlavor(tx, id, { description });
    return { ...f, description };
  });
}

export interface FlavorAccess {
  flavorId: string;
  projects: string[];
}

/** flavor_access.py index: only private flavors have an access list. */
export async function listFlavorAccess(deps: Deps, caller: Caller, id: string): Promise<FlavorAccess> {
  authorize(deps, caller, ACCESS, { project_id: caller.projectId });
  const f = await visibleFlavor(deps, caller, id);
  if (f.is_public) throw publicFlavorAccessList();
  return { flavorId: f.id, projects: await flavors.listFlavorAccess(deps.db, f.id) };
}

/** addTenantAccess: the project must exist (identity.verify_project_id); from 2.7 a public flavor is refused. */
export async function addTenantAccess(
  deps: Deps,
  caller: Caller,
  id: string,
  tenant: string,
  opts: { refusePublic: boolean },
): Promise<FlavorAccess> {
  authorize(deps, caller, ACCESS_ACTION('add_tenant_access'), { project_id: caller.projectId });
  if (!(await projectExists(deps, tenant))) throw invalid(`Project ID ${tenant} is not a valid project.`);
  try {
    return await deps.transact(async (tx) => {
      const f = await flavors.getFlavor(tx, id, caller.isAdmin ? undefined : caller.projectId);
      if (!f) throw flavorNotFound(id);
      if (opts.refusePublic && f.is_public) throw publicFlavorAccessAdd();
      const current = await flavors.listFlavorAccess(tx, f.id);
      if (current.includes(tenant)) throw flavorAccessExists(f.id, tenant);
      await flavors.addFlavorAccess(tx, f.id, tenant);
      return { flavorId: f.id, projects: await flavors.listFlavorAccess(tx, f.id) };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw flavorAccessExists(id, tenant);
    throw err;
  }
}

/** removeTenantAccess: the project need not exist any more (Nova ignores "not a valid project" here). */
export async function removeTenantAccess(
  deps: Deps,
  caller: Caller,
  id: string,
  tenant: string,
): Promise<FlavorAccess> {
  authorize(deps, caller, ACCESS_ACTION('remove_tenant_access'), { project_id: caller.projectId });
  return deps.transact(async (tx) => {
    const f = await flavors.getFlavor(tx, id, caller.isAdmin ? undefined : caller.projectId);
    if (!f) throw flavorNotFound(id);
    if (!(await flavors.removeFlavorAccess(tx, f.id, tenant))) throw flavorAccessNotFound(f.id, tenant);
    return { flavorId: f.id, projects: await flavors.listFlavorAccess(tx, f.id) };
  });
}

const specsOf = (f: FlavorRow) => JSON.parse(f.extra_specs) as Record<string, string>;

export async function listExtraSpecs(deps: Deps, caller: Caller, id: string): Promise<Record<string, string>> {
  authorize(deps, caller, SPECS('index'), { project_id: caller.projectId });
  return specsOf(await visibleFlavor(deps, caller, id));
}

export async function showExtraSpec(deps: Deps, caller: Caller, id: string, key: string): Promise<string> {
  authorize(deps, caller, SPECS('show'), { project_id: caller.projectId });
  const specs = specsOf(await visibleFlavor(deps, caller, id));
  if (!Object.hasOwn(specs, key)) throw extraSpecNotFound(id, key);
  return specs[key];
}

/**
 * POST os-extra_specs (create) and PUT os-extra_specs/{key} (update): merged into the flavor's
 * specs. Nova validates known namespaces (hw:, hw_rng:…) from 2.86; Stratus accepts every key.
 */
export async function setExtraSpecs(
  deps: Deps,
  caller: Caller,
  id: string,
  specs: Record<string, string>,
  opts: { urlKey?: string } = {},
): Promise<void> {
  authorize(deps, caller, SPECS(opts.urlKey === undefined ? 'create' : 'update'), { project_id: caller.projectId });
  if (opts.urlKey !== undefined && !Object.hasOwn(specs, opts.urlKey)) throw invalid('Request body and URI mismatch');
  await deps.transact(async (tx) => {
    const f = await flavors.getFlavor(tx, id, caller.isAdmin ? undefined : caller.projectId);
    if (!f) throw flavorNotFound(id);
    await flavors.updateFlavor(tx, id, { extra_specs: JSON.stringify({ ...specsOf(f), ...specs }) });
  });
}

export async function deleteExtraSpec(deps: Deps, caller: Caller, id: string, key: string): Promise<void> {
  authorize(deps, caller, SPECS('delete'), { project_id: caller.projectId });
  await deps.transact(async (tx) => {
    const f = await flavors.getFlavor(tx, id, caller.isAdmin ? undefined : caller.projectId);
    if (!f) throw flavorNotFound(id);
    const specs = specsOf(f);
    if (!Object.hasOwn(specs, key)) throw extraSpecNotFound(id, key);
    delete specs[key];
    await flavors.updateFlavor(tx, id, { extra_specs: JSON.stringify(specs) });
  });
}
