/**
 * Server groups (Nova's instance groups): the policies, and where the servers of one create go
 * in a group, as Nova's ServerGroupAffinityFilter / ServerGroupAntiAffinityFilter (hard) and the
 * ServerGroupSoftAffinityWeigher / ServerGroupSoftAntiAffinityWeigher (soft) decide it.
 *
 * Pure module: no I/O.
 */

export const GROUP_POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const;
export type GroupPolicy = (typeof GROUP_POLICIES)[number];

/** 2.64 rules; only anti-affinity has one. */
export interface GroupRules {
  max_server_per_host?: number;
}

/**
 * The host of each of `count` new servers of a group, or null when one of them cannot be placed
 * (Nova's select_destinations fails the whole request with NoValidHost then).
 *
 * @param memberHosts the hosts of the group's live members (null: a member that has none)
 * @param ranked      the hosts that can take the server, best first (up, enabled, room for the flavor)
 */
export function planGroupPlacement(
  policy: GroupPolicy,
  rules: GroupRules,
  memberHosts: Array<string | null>,
  ranked: string[],
  count: number,
): string[] | null {
  const onHost = new Map<string, number>();
  for (const h of memberHosts) if (h) onHost.set(h, (onHost.get(h) ?? 0) + 1);
  const members = (h: string) => onHost.get(h) ?? 0;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let host: string | undefined;
    switch (policy) {
      case 'affinity':
        // Every member on one host: the members' host once there is one, else the best.
        host = onHost.size === 0 ? ranked[0] : ranked.find((h) => members(h) > 0);
        break;
      case 'anti-affinity': {
        // Nova's filter: a host passes while it holds fewer than max_server_per_host (default 1) members.
        const max = rules.max_server_per_host ?? 1;
        host = ranked.find((h) => members(h) < max);
        break;
      }
      case 'soft-affinity':
        // The weigher favours the hosts with the most members; never fails.
        host = [...ranked].sort((a, b) => members(b) - members(a))[0];
        break;
      case 'soft-anti-affinity':
        host = [...ranked].sort((a, b) => members(a) - members(b))[0];
        break;
    }
    if (host === undefined) return null;
    onHost.set(host, members(host) + 1);
    out.push(host);
  }
  return out;
}
