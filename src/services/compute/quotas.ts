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

/**
 * The limits that hold for a user in a project (Nova's get_user_quotas): the user's own where
 * set, else the project's.
 */
export async function userLimits(deps: Deps, ex: Executor, projectId: string, userId: string): Promise<Limits> {
  return withOverrides(await projectLimits(deps, ex, projectId), await repo.userLimits(ex, projectId, userId));
}

/**
 * What a user holds in a project: the servers counted over the user's own (Nova counts
 * instances, cores and ram per user); the other counters stay the project's, as in the
 * project view (key_pairs and server_group_members are 0, as Nova reports them).
 */
export async function userUsage(deps: Deps, ex: Executor, projectId: string, userId: string): Promise<Limits> {
  const out = await projectUsage(deps, ex, projectId);
  const servers = await repo.serverUsage(ex, projectId, userId);
  out.instances = servers.instances;
  out.cores = servers.cores;
  out.ram = servers.ram;
  return out;
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
  userId?: string,
): Promise<void> {
  const limits = await projectLimits(deps, tx, projectId);
  const limit = limits[resource];
  const isServer = resource === 'instances' || resource === 'cores' || resource === 'ram';
  // A user's own limit on a server resource (Nova's limit_check_project_and_user checks both).
  const mine =
    userId !== undefined && isServer ? (await repo.userLimits(tx, projectId, userId)).get(resource) : undefined;
  if (limit < 0 && (mine === undefined || mine < 0)) return;
  await repo.lockProject(tx, projectId);
  if (limit >= 0) {
    let held = used ? await used(tx) : 0;
    if (!used && isServer) held = (await repo.serverUsage(tx, projectId))[resource];
    if (held + requested > limit) throw overQuota({ resource, requested, used: held, limit });
  }
  if (mine !== undefined && mine >= 0) {
    const held = (await repo.serverUsage(tx, projectId, userId))[resource as keyof repo.ServerUsage];
    if (held + requested > mine) throw overQuota({ resource, requested, used: held, limit: mine });
  }
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
  userId?: string,
): Promise<number> {
  const limits = await projectLimits(deps, tx, projectId);
  // The user's limits matter only where the user has some of its own (else they are the project's).
  const mine = userId === undefined ? new Map<string, number>() : await repo.userLimits(tx, projectId, userId);
  const user = withOverrides(limits, mine);
  const serverLimits = [limits.instances, limits.cores, limits.ram, user.instances, user.cores, user.ram];
  if (serverLimits.every((l) => l < 0)) return maxCount;
  await repo.lockProject(tx, projectId);
  const used = await repo.serverUsage(tx, projectId);
  const allowed = planServerQuota(limits, used, flavor, minCount, maxCount);
  if (!['instances', 'cores', 'ram'].some((r) => mine.has(r))) return allowed;
  // Nova parity (limit_check_project_and_user): the user's servers must fit the user's limits too.
  const usedByUser = await repo.serverUsage(tx, projectId, userId);
  return planServerQuota(user, usedByUser, flavor, minCount, allowed);
}

// --- os-quota-sets ----------------------------------------------------------------------

/** Nova's identity.verify_project_id: Keystone answers 404 only to an admin (others get a 403, which Nova lets pass). */
async function verifyProject(deps: Deps, caller: Caller, projectId: string): Promise<void> {
  if (caller.isAdmin && !(await projectExists(deps, projectId)))
    throw invalid(`Project ID ${projectId} is not a valid project.`);
}

const QS = (action: string) => `os_compute_api:os-quota-sets:${action}`;

/** GET os-quota-sets/{id}: the project's limits, or with `userId` the user's in it (Nova does not check the user). */
export async function showQuotaSet(deps: Deps, caller: Caller, projectId: string, userId?: string) {
  authorize(deps, caller, QS('show'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  return userId ? userLimits(deps, deps.db, projectId, userId) : projectLimits(deps, deps.db, projectId);
}

export async function showQuotaSetDetail(deps: Deps, caller: Caller, projectId: string, userId?: string) {
  authorize(deps, caller, QS('detail'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  if (userId)
    return {
      limits: await userLimits(deps, deps.db, projectId, userId),
      usage: await userUsage(deps, deps.db, projectId, userId),
    };
  return {
    limits: await projectLimits(deps, deps.db, projectId),
    usage: await projectUsage(deps, deps.db, projectId),
  };
}

const UNLIMITED = (v: number) => v <= -1;

/**
 * Nova's get_settable_quotas: the range a limit may be set to without `force`. For the project:
 * at least what it holds and what its users' own limits add up to. For a user: at least what the
 * user holds, at most what the project has not given to its users plus the user's own limit
 * (-1, unlimited, where either is unlimited). Nova parity: what is left is taken as unlimited
 * once it reaches -1 or below, as when forced user limits add up to more than the project's.
 */
async function settableRange(
  deps: Deps,
  tx: Executor,
  projectId: string,
  userId: string | undefined,
): Promise<Record<QuotaResource, { minimum: number; maximum: number }>> {
  const project = await projectLimits(deps, tx, projectId);
  const sums = await repo.userLimitSums(tx, projectId);
  const remains = (r: QuotaResource) => project[r] - (sums.get(r) ?? 0);
  const out = {} as Record<QuotaResource, { minimum: number; maximum: number }>;
  if (userId) {
    const own = await repo.userLimits(tx, projectId, userId);
    const usage = await userUsage(deps, tx, projectId, userId);
    for (const r of QUOTA_RESOURCES) {
      const rem = remains(r);
      const set = own.get(r) ?? 0;
      out[r] = { minimum: usage[r], maximum: UNLIMITED(rem) || UNLIMITED(set) ? -1 : rem + set };
    }
    return out;
  }
  const usage = await projectUsage(deps, tx, projectId);
  for (const r of QUOTA_RESOURCES) {
    const rem = remains(r);
    const given = UNLIMITED(project[r]) || UNLIMITED(rem) ? -1 : project[r] - rem;
    out[r] = { minimum: Math.max(given, usage[r]), maximum: -1 };
  }
  return out;
}

/** Nova's _validate_quota_limit: -1 counts as infinity on both sides. */
function validateLimit(resource: QuotaResource, limit: number, range: { minimum: number; maximum: number }): void {
  const inf = (v: number) => (v === -1 ? Number.POSITIVE_INFINITY : v);
  if (inf(limit) < inf(range.minimum))
    throw invalid(
      `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${range.minimum}.`,
    );
  if (inf(limit) > inf(range.maximum))
    throw invalid(`Quota limit ${limit} for ${resource} must be less than or equal to ${range.maximum}.`);
}

export async function showQuotaDefaults(deps: Deps, caller: Caller, projectId: string) {
  authorize(deps, caller, QS('defaults'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  return defaultLimits(deps, deps.db);
}

/**
 * PUT os-quota-sets/{id}[?user_id=]: every value is checked against Nova's settable range before
 * any is written (unless `force`); with `userId` the limits are the user's own in the project.
 * The check and the writes hold the project's quota lock, so no create slips between.
 */
export async function updateQuotaSet(
  deps: Deps,
  caller: Caller,
  projectId: string,
  changes: Partial<Limits>,
  force: boolean,
  userId?: string,
): Promise<Limits> {
  authorize(deps, caller, QS('update'), { project_id: projectId });
  await verifyProject(deps, caller, projectId);
  const now = iso(deps.clock.now());
  return deps.transact(async (tx) => {
    await repo.lockProject(tx, projectId);
    const entries = Object.entries(changes) as Array<[QuotaResource, number]>;
    if (!force) {
      const range = await settableRange(deps, tx, projectId, userId);
      for (const [resource, limit] of entries) validateLimit(resource, limit, range[resource]);
    }
    for (const [resource, limit] of entries)
      if (userId) await repo.setUserLimit(tx, projectId, userId, resource, limit, now);
      else await repo.setProjectLimit(tx, projectId, resource, limit, now);
    return userId ? userLimits(deps, tx, projectId, userId) : projectLimits(deps, tx, projectId);
  });
}

/**
 * DELETE os-quota-sets/{id}: the project (and its users) fall back to the defaults; with
 * `userId` only that user's own limits go (Nova checks neither the project nor the user here).
 */
export async function deleteQuotaSet(deps: Deps, caller: Caller, projectId: string, userId?: string): Promise<void> {
  authorize(deps, caller, QS('delete'), { project_id: projectId });
  await deps.transact((tx) =>
    userId ? repo.deleteUserLimits(tx, projectId, userId) : repo.deleteProjectLimits(tx, projectId),
  );
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
