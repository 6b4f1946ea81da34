import type { Caller, Deps } from '../context.js';
import type { Config } from '../../config/config.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/quotas.repository.js';
import * as groupsRepo from '../../db/repositories/server-groups.repository.js';
import { authorize } from '../access.js';
import { projectExists } from '../identity/verify-project.js';
import { iso } from '../../domain/clock.js';
import { invalid, overQuota } from '../../domain/errors.js';
import {
  QUOTA_RESOURCES,
  isQuotaResource,
  planServerQuota,
  type Limits,
  type QuotaResource,
} from '../../domain/quota.js';

/**
 * Quotas: the limits (defaults from the config, overridden by the quota class `default`, then by
 * the project's own), the usage counted from the rows themselves (as Nova counts since Pike: no
 * usage table that could drift), and the atomic check a create runs in its transaction.
 */

export { QUOTA_RESOURCES, isQuotaResource, type Limits, type QuotaResource };

/** The config option of each resource that has one; the others (Nova: fixed by config too) default to -1. */
const CONFIG_KEYS: Partial<Record<QuotaResource, keyof Config>> = {
  instances: 'quotaInstances',
  cores: 'quotaCores',
  ram: 'quotaRam',
  key_pairs: 'quotaKeyPairs',
  metadata_items: 'quotaMetadataItems',
  server_groups: 'quotaServerGroups',
  server_group_members: 'quotaServerGroupMembers',
};

/**
 * Usage of the countable resources other features own, counted per project: the feature adds
 * its counter here (server groups: `server_groups`). key_pairs and server_group_members are per
 * user or per group; Nova reports their usage as 0 in the quota views, and so does Stratus.
 */
export const USAGE_COUNTERS: Partial<Record<QuotaResource, (ex: Executor, projectId: string) => Promise<number>>> = {
  server_groups: (ex, projectId) => groupsRepo.countGroups(ex, projectId),
};

function withOverrides(base: Limits, overrides: Map<string, number>): Limits {
  const out = { ...base };
  for (const [k, v] of overrides) if (isQuotaResource(k)) out[k] = v;
  return out;
}

/** Nova's resource.default: the config option, -1 where there is none. */
function configDefaults(deps: Deps): Limits {
  const out = {} as Limits;
  for (const r of QUOTA_RESOURCES) {
    const key = CONFIG_KEYS[r];
    out[r] = key ? (deps.config[key] as number) : -1;
  }
  return out;
}

/** Nova's get_defaults: the class `default` where it sets a resource, else the config. */
async function defaultLimits(deps: Deps, ex: Executor): Promise<Limits> {
  return withOverrides(configDefaults(deps), await repo.classLimits(ex, 'default'));
}

/** The limits that hold for a project (its own where set, else the defaults). */
export async function projectLimits(deps: Deps, ex: Executor, projectId: string): Promise<Limits> {
  return withOverrides(await defaultLimits(deps, ex), await repo.projectLimits(ex, projectId));
}

/** What a project holds of every resource (0 for those nothing counts). */
export async function projectUsage(deps: Deps, ex: Executor, projectId: string): Promise<Limits> {
  const out = {} as Limits;
  for (const r of QUOTA_RESOURCES) out[r] = 0;
  const servers = await repo.serverUsage(ex, projectId);
  out.instances = servers.instances;
  out.cores = servers.cores;
  out.ram = servers.ram;
  for (const [r, count] of Object.entries(USAGE_COUNTERS)) out[r as QuotaResource] = await count(ex, projectId);
  return out;
}

/**
 * The quota check for the features that own a resource (key pairs, metadata, server groups):
 * inside the caller's transaction, locks the project's quota row (so concurrent creates in one
 * project run one after the other), counts what is held with `used` (0 for a limit on a single
 * request, such as metadata_items) and throws Nova's 403 when `requested` more would exceed the
 * limit. An unlimited resource takes no lock and counts nothing.
 */
export async function checkQuota(
  deps: Deps,
  tx: Executor,
  projectId: string,
  resource: QuotaResource,
  requested: number,
  used?: (tx: Executor) => Promise<number>,
): Promise<void> {
  const limit = (await projectLimits(deps, tx, projectId))[resource];
  if (limit < 0) return;
  await repo.lockProject(tx, projectId);
  let held = used ? await used(tx) : 0;
  if (!used && (resource === 'instances' || resource === 'cores' || resource === 'ram'))
    held = (await repo.serverUsage(tx, projectId))[resource];
  if (held + requested > limit) throw overQuota({ resource, requested, used: held, limit });
}

/**
 * How many servers of `flavor` a create may make, between `minCount` and `maxCount` (Nova's
 * check_num_instances_quota), checked and counted inside the create's transaction under the
 * project's lock: the rows it then inserts are seen by the next create's count, so concurrent
 * creates never take a project over its limit (Nova instead rechecks after the fact).
 */
export async function reserveServers(
  deps: Deps,
  tx: Executor,
  projectId: string,
  flavor: { vcpus: number; ram: number },
  minCount: number,
  maxCount: number,
): Promise<number> {
  const limits = await projectLimits(deps, tx, projectId);
  if (limits.instances < 0 && limits.cores < 0 && limits.ram < 0) return maxCount;
  await repo.lockProject(tx, projectId);
  const used = await repo.serverUsage(tx, projectId);
  return planServerQuota(limits, used, flavor, minCount, maxCount);
}

// --- os-quota-sets ----------------------------------------------------------------------

/** Nova's identity.verify_project_id: Keystone answers 404 only to an admin (others get a 403, which Nova lets pass). */
async function verifyProject(deps: Deps, caller: Caller, projectId: string): Promise<void> {
  if (caller.isAdmin && !(await projectExists(deps, projectId)))
    throw invalid(`Project ID ${projectId} is not a valid project.`);
}

const QS = (action: string) => `os_compute_api:os-quota-sets:${action}`;

export async function showQuotaSet(deps: Deps, caller: Caller, projectId: string) {
  authorize(deps, caller, QS('show'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  return projectLimits(deps, deps.db, projectId);
}

export async function showQuotaSetDetail(deps: Deps, caller: Caller, projectId: string) {
  authorize(deps, caller, QS('detail'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  return {
    limits: await projectLimits(deps, deps.db, projectId),
    usage: await projectUsage(deps, deps.db, projectId),
  };
}

export async function showQuotaDefaults(deps: Deps, caller: Caller, projectId: string) {
  authorize(deps, caller, QS('defaults'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  return defaultLimits(deps, deps.db);
}

/**
 * PUT os-quota-sets/{id}: every value is checked before any is written; without `force` a limit
 * below what the project holds is a 400 (Nova's settable minimum is the usage, with no per-user
 * quotas). The check and the writes hold the project's quota lock, so no create slips between.
 */
export async function updateQuotaSet(
  deps: Deps,
  caller: Caller,
  projectId: string,
  changes: Partial<Limits>,
  force: boolean,
): Promise<Limits> {
  authorize(deps, caller, QS('update'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  const now = iso(deps.clock.now());
  return deps.transact(async (tx) => {
    await repo.lockProject(tx, projectId);
    const usage = force ? undefined : await projectUsage(deps, tx, projectId);
    for (const [resource, limit] of Object.entries(changes) as Array<[QuotaResource, number]>) {
      if (usage && limit >= 0 && limit < usage[resource])
        throw invalid(
          `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${usage[resource]}.`,
        );
    }
    for (const [resource, limit] of Object.entries(changes) as Array<[QuotaResource, number]>)
      await repo.setProjectLimit(tx, projectId, resource, limit, now);
    return projectLimits(deps, tx, projectId);
  });
}

/** DELETE os-quota-sets/{id}: the project falls back to the defaults (Nova checks no project here). */
export async function deleteQuotaSet(deps: Deps, caller: Caller, projectId: string): Promise<void> {
  authorize(deps, caller, QS('delete'), { project_id: projectId });
  await deps.transact((tx) => repo.deleteProjectLimits(tx, projectId));
}

// --- os-quota-class-sets ----------------------------------------------------------------

/** Nova's get_class_quotas: the class's own limits, else the config (not the class `default`). */
async function classLimitsOf(deps: Deps, ex: Executor, className: string): Promise<Limits> {
  return withOverrides(configDefaults(deps), await repo.classLimits(ex, className));
}

export async function showQuotaClass(deps: Deps, caller: Caller, className: string): Promise<Limits> {
  authorize(deps, caller, 'os_compute_api:os-quota-class-sets:show', { project_id: caller.projectId });
  return classLimitsOf(deps, deps.db, className);
}

/**
 * PUT os-quota-class-sets/{name}. Only the class `default` has an effect (it overrides the
 * configured defaults of every project), as in Nova, where a request's quota_class is never set.
 */
export async function updateQuotaClass(
  deps: Deps,
  caller: Caller,
  className: string,
  changes: Partial<Limits>,
): Promise<Limits> {
  authorize(deps, caller, 'os_compute_api:os-quota-class-sets:update', { project_id: caller.projectId });
  if (className.length > 255) throw invalid(`quota_class_name has ${className.length} characters, more than 255.`);
  const now = iso(deps.clock.now());
  return deps.transact(async (tx) => {
    for (const [resource, limit] of Object.entries(changes) as Array<[QuotaResource, number]>)
      await repo.setClassLimit(tx, className, resource, limit, now);
    return classLimitsOf(deps, tx, className);
  });
}

// --- limits -----------------------------------------------------------------------------

/** GET /limits: the caller's project, or with `tenant_id` (admins) another one. */
export async function absoluteLimits(deps: Deps, caller: Caller, tenantId: string | undefined) {
  authorize(deps, caller, 'os_compute_api:limits', { project_id: caller.projectId });
  let projectId = caller.projectId;
  if (tenantId !== undefined) {
    authorize(deps, caller, 'os_compute_api:limits:other_project', { project_id: caller.projectId });
    projectId = tenantId;
  }
  return {
    limits: await projectLimits(deps, deps.db, projectId),
    usage: await projectUsage(deps, deps.db, projectId),
  };
}
