/** Wire views of quotas and limits (nova/api/openstack/compute/quota_sets.py, quota_classes.py, views/limits.py). */
import { atLeast, type Microversion } from '../../http/microversion.js';
import { QUOTA_RESOURCES, type Limits, type QuotaResource } from '../../domain/quota.js';

function pick<T>(hidden: QuotaResource[], value: (r: QuotaResource) => T, id?: string) {
  const out: Record<string, unknown> = id === undefined ? {} : { id };
  for (const r of QUOTA_RESOURCES) if (!hidden.includes(r)) out[r] = value(r);
  return out;
}

/** `{"quota_set": {...}}`; show and defaults carry the project id, update does not (Nova parity). */
export const renderQuotaSet = (limits: Limits, hidden: QuotaResource[], id?: string) => ({
  quota_set: pick(hidden, (r) => limits[r], id),
});

/** The detail view: every resource as {in_use, limit, reserved}; reserved is always 0, as in Nova since Pike. */
export const renderQuotaSetDetail = (limits: Limits, usage: Limits, hidden: QuotaResource[], id: string) => ({
  quota_set: pick(hidden, (r) => ({ in_use: usage[r], limit: limits[r], reserved: 0 }), id),
});

export const renderQuotaClassSet = (limits: Limits, hidden: QuotaResource[], id?: string) => ({
  quota_class_set: pick(hidden, (r) => limits[r], id),
});

const LIMIT_NAMES: Array<[QuotaResource, string[]]> = [
  ['ram', ['maxTotalRAMSize']],
  ['instances', ['maxTotalInstances']],
  ['cores', ['maxTotalCores']],
  ['key_pairs', ['maxTotalKeypairs']],
  ['floating_ips', ['maxTotalFloatingIps']],
  ['metadata_items', ['maxServerMeta', 'maxImageMeta']],
  ['injected_files', ['maxPersonality']],
  ['injected_file_content_bytes', ['maxPersonalitySize']],
  ['security_groups', ['maxSecurityGroups']],
  ['security_group_rules', ['maxSecurityGroupRules']],
  ['server_groups', ['maxServerGroups']],
  ['server_group_members', ['maxServerGroupMembers']],
];
const USED_NAMES: Array<[string, QuotaResource]> = [
  ['totalRAMUsed', 'ram'],
  ['totalCoresUsed', 'cores'],
  ['totalInstancesUsed', 'instances'],
  ['totalFloatingIpsUsed', 'floating_ips'],
  ['totalSecurityGroupsUsed', 'security_groups'],
  ['totalServerGroupsUsed', 'server_groups'],
];

/** GET /limits: 2.36 drops the nova-network limits, 2.39 maxImageMeta, 2.57 the personality ones. */
export function renderLimits(limits: Limits, usage: Limits, mv: Microversion) {
  const filtered: QuotaResource[] = atLeast(mv, 57)
    ? ['floating_ips', 'security_groups', 'security_group_rules', 'injected_files', 'injected_file_content_bytes']
    : atLeast(mv, 36)
      ? ['floating_ips', 'security_groups', 'security_group_rules']
      : [];
  const absolute: Record<string, number> = {};
  for (const [r, names] of LIMIT_NAMES) {
    if (filtered.includes(r)) continue;
    for (const n of names) if (n !== 'maxImageMeta' || !atLeast(mv, 39)) absolute[n] = limits[r];
  }
  for (const [n, r] of USED_NAMES) if (!filtered.includes(r)) absolute[n] = usage[r];
  return { limits: { rate: [], absolute } };
}
