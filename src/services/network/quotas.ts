import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import * as repo from '../../db/repositories/quotas.repository.js';
import { SECURITY_GROUP_QUOTA, SECURITY_GROUP_RULE_QUOTA, securityGroupUsage } from './security-groups.js';

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

/**
 * Only the security group quotas are enforced (Neutron's defaults, 10 groups and 100 rules);
 * the others are -1 (unlimited): showing Neutron's defaults (100 networks, 500 ports…) would
 * promise refusals that never come.
 */
const limitOf = (r: NetworkQuotaResource) =>
  r === 'security_group' ? SECURITY_GROUP_QUOTA : r === 'security_group_rule' ? SECURITY_GROUP_RULE_QUOTA : -1;

/** Neutron's quotasv2 show: one's own project needs no rule, another project needs `get_quota` (admin). */
function authorizeProject(deps: Deps, caller: Caller, projectId: string): void {
  if (projectId !== caller.projectId) authorize(deps, caller, 'get_quota', { project_id: caller.projectId });
}

export async function showNetworkQuota(deps: Deps, caller: Caller, projectId: string) {
  authorizeProject(deps, caller, projectId);
  return Object.fromEntries(NETWORK_QUOTA_RESOURCES.map((r) => [r, limitOf(r)])) as Record<
    NetworkQuotaResource,
    number
  >;
}

export const showNetworkQuotaDefault = showNetworkQuota;

/** quota_details: {used, limit, reserved} per resource; Stratus has only networks, subnets and ports to count. */
export async function showNetworkQuotaDetails(deps: Deps, caller: Caller, projectId: string) {
  authorizeProject(deps, caller, projectId);
  const used: Record<string, number> = {
    ...(await repo.networkUsage(deps.db, projectId)),
    ...(await securityGroupUsage(deps, projectId)),
  };
  return Object.fromEntries(
    NETWORK_QUOTA_RESOURCES.map((r) => [r, { used: used[r] ?? 0, limit: limitOf(r), reserved: 0 }]),
  ) as Record<NetworkQuotaResource, { used: number; limit: number; reserved: number }>;
}

/** GET /quotas (admins): the projects whose quotas differ from the defaults; none can, yet. */
export async function listNetworkQuotas(deps: Deps, caller: Caller) {
  authorize(deps, caller, 'get_quota', { project_id: caller.projectId });
  return [] as Array<Record<string, unknown>>;
}
