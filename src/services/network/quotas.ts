// Neutron's quotas (neutron/quota, neutron/db/quota/driver.py, neutron/extensions/quotasv2.py and
// quotasv2_detail.py): Neutron's defaults (neutron/conf/quota.py), per-project overrides, and
// the count-and-refuse check every create of a counted resource runs in its transaction.
import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/network-quotas.repository.js';
import * as net from '../../db/repositories/network.repository.js';
import * as sg from '../../db/repositories/security-groups.repository.js';
import * as fips from '../../db/repositories/floating-ips.repository.js';
import { lockProject } from '../../db/repositories/quotas.repository.js';
import { iso } from '../../domain/clock.js';
import { neutronInvalidAttr, neutronOverQuota } from '../../domain/security-group-errors.js';
import { authorize } from '../access.js';
import { intAttr, resourceOf } from './attributes.js';

/** Neutron's quota resources (core, l3, securitygroup and rbac extensions). */
export const NETWORK_QUOTA_RESOURCES = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'rbac_policy',
] as const;
export type NetworkQuotaResource = (typeof NETWORK_QUOTA_RESOURCES)[number];
export type NetworkLimits = Record<NetworkQuotaResource, number>;

/** neutron/conf/quota.py: quota_network, quota_subnet, quota_port, quota_router, quota_floatingip… */
export const NETWORK_QUOTA_DEFAULTS: NetworkLimits = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
};

/**
 * What a project holds of each resource, counted inside the checking transaction (Neutron's
 * CountableResource). Stratus has no RBAC policies (always 0).
 */
const USAGE: Record<NetworkQuotaResource, (ex: Executor, projectId: string) => Promise<number>> = {
  network: (ex, p) => net.countOwned(ex, 'networks', p),
  subnet: (ex, p) => net.countOwned(ex, 'subnets', p),
  port: (ex, p) => net.countOwned(ex, 'ports', p),
  router: (ex, p) => net.countOwned(ex, 'routers', p),
  floatingip: (ex, p) => fips.countFloatingIps(ex, p),
  security_group: (ex, p) => sg.countGroups(ex, p),
  security_group_rule: (ex, p) => sg.countRules(ex, p),
  rbac_policy: async () => 0,
};

/** The project's limits: Neutron's defaults with its overrides. */
export async function networkLimits(ex: Executor, projectId: string): Promise<NetworkLimits> {
  const own = await repo.projectLimits(ex, projectId);
  return Object.fromEntries(
    NETWORK_QUOTA_RESOURCES.map((r) => [r, own.get(r) ?? NETWORK_QUOTA_DEFAULTS[r]]),
  ) as NetworkLimits;
}

/**
 * Refuses a create that would take the project over its limit (409 OverQuota). Runs in the
 * create's transaction under the project's quota lock (the one Nova's quotas take), so that of
 * concurrent creates at the limit exactly the limit's worth succeed: each counts after the one
 * before it committed its row. An unlimited resource (-1) takes no lock.
 */
export async function checkNetworkQuota(
  deps: Deps,
  tx: Executor,
  projectId: string,
  resource: NetworkQuotaResource,
  requested = 1,
): Promise<void> {
  const limit = (await networkLimits(tx, projectId))[resource];
  if (limit < 0) return;
  await lockProject(tx, projectId);
  if ((await USAGE[resource](tx, projectId)) + requested > limit) throw neutronOverQuota(resource);
}

/** Neutron's quotasv2 show: one's own project needs no rule, another project needs `get_quota` (admin). */
function authorizeProject(deps: Deps, caller: Caller, projectId: string): void {
  if (projectId !== caller.projectId) authorize(deps, caller, 'get_quota', { project_id: caller.projectId });
}

export async function showNetworkQuota(deps: Deps, caller: Caller, projectId: string): Promise<NetworkLimits> {
  authorizeProject(deps, caller, projectId);
  return networkLimits(deps.db, projectId);
}

export async function showNetworkQuotaDefault(deps: Deps, caller: Caller, projectId: string): Promise<NetworkLimits> {
  authorizeProject(deps, caller, projectId);
  return { ...NETWORK_QUOTA_DEFAULTS };
}

/** quota_details: {used, limit, reserved} per resource (Stratus reserves nothing: creates count in their transaction). */
export async function showNetworkQuotaDetails(deps: Deps, caller: Caller, projectId: string) {
  authorizeProject(deps, caller, projectId);
  const limits = await networkLimits(deps.db, projectId);
  const out: Record<string, { used: number; limit: number; reserved: number }> = {};
  for (const r of NETWORK_QUOTA_RESOURCES)
    out[r] = { used: await USAGE[r](deps.db, projectId), limit: limits[r], reserved: 0 };
  return out as Record<NetworkQuotaResource, { used: number; limit: number; reserved: number }>;
}

/** GET /quotas (admins): the projects with an override, each with all its limits (Neutron's get_all_quotas). */
export async function listNetworkQuotas(deps: Deps, caller: Caller) {
  authorize(deps, caller, 'get_quota', { project_id: caller.projectId });
  const projects = [...new Set((await repo.allLimits(deps.db)).map((r) => r.project_id))];
  const out: Array<Record<string, unknown>> = [];
  for (const p of projects) out.push({ ...(await networkLimits(deps.db, p)), project_id: p, tenant_id: p });
  return out;
}

/** The largest limit Neutron stores (DB_INTEGER_MAX_VALUE). */
const MAX_LIMIT = 2 ** 31 - 1;

/**
 * PUT /quotas/{project_id} (admin: `update_quota`): each named resource's limit, an integer
 * from -1 (unlimited) up. `force` and `check_limit` are accepted; Stratus does not refuse a
 * limit below the usage (Neutron's default, check_limit false).
 */
export async function updateNetworkQuota(
  deps: Deps,
  caller: Caller,
  projectId: string,
  body: unknown,
): Promise<NetworkLimits> {
  authorize(deps, caller, 'update_quota', { project_id: projectId });
  const q = resourceOf(body, 'quota', [...NETWORK_QUOTA_RESOURCES, 'force', 'check_limit']);
  const set: Array<[string, number]> = [];
  for (const r of NETWORK_QUOTA_RESOURCES) {
    const v = intAttr(r, q[r]);
    if (v === undefined) continue;
    if (v < -1) throw neutronInvalidAttr(r, `'${v}' is too small - must be at least '-1'`);
    if (v > MAX_LIMIT) throw neutronInvalidAttr(r, `'${v}' is too large - must be no larger than '${MAX_LIMIT}'`);
    set.push([r, v]);
  }
  const now = iso(deps.clock.now());
  await deps.transact(async (tx) => {
    for (const [r, v] of set) await repo.setLimit(tx, projectId, r, v, now);
  });
  return networkLimits(deps.db, projectId);
}

/** DELETE /quotas/{project_id} (admin: `delete_quota`): back to the defaults. */
export async function deleteNetworkQuota(deps: Deps, caller: Caller, projectId: string): Promise<void> {
  authorize(deps, caller, 'delete_quota', { project_id: projectId });
  await repo.deleteLimits(deps.db, projectId);
}
