/**
 * Quotas, the pure part: Nova's resource names, the plan of how many servers a create may make,
 * and the over-quota errors with Nova's messages (nova/exception.py OverQuota and its
 * subclasses). The controllers of every API that checks a quota turn OverQuota into 403
 * (servers.py create, deferred_delete.py restore, keypairs.py, server_groups.py…), so they are
 * `forbidden` here.
 *
 * Pure module: no I/O.
 */
import { tooManyInstances } from './errors.js';

/** Nova's quota resources (nova/quota.py QUOTAS), sorted as QuotaEngine.resources lists them. */
export const QUOTA_RESOURCES = [
  'cores',
  'fixed_ips',
  'floating_ips',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'injected_files',
  'instances',
  'key_pairs',
  'metadata_items',
  'ram',
  'security_group_rules',
  'security_groups',
  'server_group_members',
  'server_groups',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
export type Limits = Record<QuotaResource, number>;

export const isQuotaResource = (r: string): r is QuotaResource => (QUOTA_RESOURCES as readonly string[]).includes(r);

export interface ServerCounts {
  instances: number;
  cores: number;
  ram: number;
}

/**
 * How many of `minCount`..`maxCount` servers of a flavor fit (Nova's check_num_instances_quota):
 * all of them, or as many as the headroom allows when that is at least `minCount`; otherwise the
 * 403 naming every resource the full request would exceed. A limit below 0 is unlimited.
 *
 * Stratus differs in one corner on purpose: an unlimited resource has unlimited headroom, where
 * Nova computes `-1 - used` for unlimited instances and so never creates fewer than asked.
 */
export function planServerQuota(
  limits: ServerCounts,
  used: ServerCounts,
  flavor: { vcpus: number; ram: number },
  minCount: number,
  maxCount: number,
): number {
  const wanted: ServerCounts = { instances: maxCount, cores: maxCount * flavor.vcpus, ram: maxCount * flavor.ram };
  const resources = ['cores', 'instances', 'ram'] as const; // sorted, as Nova reports them
  const limited = (r: keyof ServerCounts) => limits[r] >= 0;
  const overs = resources.filter((r) => limited(r) && used[r] + wanted[r] > limits[r]);
  if (overs.length === 0) return maxCount;
  const headroom = (r: keyof ServerCounts) => (limited(r) ? limits[r] - used[r] : Number.POSITIVE_INFINITY);
  let allowed = headroom('instances');
  if (flavor.vcpus) allowed = Math.min(allowed, Math.floor(headroom('cores') / flavor.vcpus));
  if (flavor.ram) allowed = Math.min(allowed, Math.floor(headroom('ram') / flavor.ram));
  if (allowed >= minCount && allowed <= maxCount) return allowed;
  const instances = minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`;
  throw tooManyInstances(
    overs.map((r) => ({
      resource: r,
      requested: r === 'instances' ? instances : wanted[r],
      used: used[r],
      limit: limits[r],
    })),
  );
}
