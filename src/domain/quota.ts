/**
 * Quotas, the pure part: Nova's resource names, the plan of how many servers a create may make,
 * and the over-quota errors with Nova's messages (nova/exception.py OverQuota and its
 * subclasses). The controllers of every API that checks a quota turn OverQuota into 403
 * (servers.py create, deferred_delete.py restore, keypairs.py, server_groups.py…), so they are
 * `forbidden` here.
 *
 * Pure module: no I/O.
 */
import { DomainError } from './errors.js';

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

/** One resource over its limit: what was asked for, what is held, the limit. */
export interface Over {
  resource: string;
  requested: number | string;
  used: number;
  limit: number;
}

/**
 * 403 `Quota exceeded for cores, ram: Requested 2, 1024, but already used 9, 512 of 10, 1024
 * cores, ram` (TooManyInstances, as compute/utils.py check_num_instances_quota builds it).
 */
export function tooManyInstances(overs: Over[]): DomainError {
  const list = (f: (o: Over) => unknown) => overs.map((o) => String(f(o))).join(', ');
  const names = list((o) => o.resource);
  return new DomainError(
    'forbidden',
    'TooManyInstances',
    `Quota exceeded for ${names}: Requested ${list((o) => o.requested)}, but already used ${list((o) => o.used)} of ${list((o) => o.limit)} ${names}`,
    { overs },
  );
}

/** Nova's own exception (and message) for one resource over its limit. */
export function overQuota(over: Over): DomainError {
  const fail = (code: string, message: string) => new DomainError('forbidden', code, message, { over });
  switch (over.resource) {
    case 'instances':
    case 'cores':
    case 'ram':
      return tooManyInstances([over]);
    case 'key_pairs':
      return fail('KeypairLimitExceeded', 'Quota exceeded, too many key pairs.');
    case 'server_groups':
      return fail('ServerGroupLimitExceeded', 'Quota exceeded, too many server groups.');
    case 'server_group_members':
      return fail('GroupMemberLimitExceeded', 'Quota exceeded, too many servers in group');
    case 'metadata_items':
      return fail('MetadataLimitExceeded', `Maximum number of metadata items exceeds ${over.limit}`);
    case 'injected_files':
      return fail('OnsetFileLimitExceeded', 'Personality file limit exceeded');
    case 'injected_file_path_bytes':
      return fail('OnsetFilePathLimitExceeded', `Personality file path exceeds maximum ${over.limit}`);
    case 'injected_file_content_bytes':
      return fail('OnsetFileContentLimitExceeded', `Personality file content exceeds maximum ${over.limit}`);
    default:
      return fail('OverQuota', `Quota exceeded for resources: ['${over.resource}']`);
  }
}

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
