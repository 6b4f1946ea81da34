import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import { authorize } from '../access.js';
import { canonicalUuid } from '../access.js';
import { checkQuota } from './quotas.js';
import * as repo from '../../db/repositories/server-groups.repository.js';
import { iso } from '../../domain/clock.js';
import { invalid, requestedGroupNotFound, serverGroupNotFound } from '../../domain/errors.js';
import { planGroupPlacement, type GroupPolicy, type GroupRules } from '../../domain/server-groups.js';

/**
 * os-server-groups (nova/api/openstack/compute/server_groups.py) and what server create and
 * delete do with groups: the `group` scheduler hint, placement by the group's policy, the
 * server_group_members quota, and leaving the group when the server is deleted.
 */

const RULE = (action: 'create' | 'delete' | 'index' | 'index:all_projects' | 'show') =>
  `os_compute_api:os-server-groups:${action}`;

/** Nova's api.max_limit, which common.limited caps a page at. */
export const MAX_GROUP_LIMIT = 1000;

export interface ServerGroupView {
  id: string;
  name: string;
  policy: GroupPolicy;
  rules: GroupRules;
  members: string[];
  project_id: string;
  user_id: string;
}

type GroupRow = repo.ServerGroupRow;

async function withMembers(ex: Executor, rows: GroupRow[]): Promise<ServerGroupView[]> {
  const members = await repo.liveMembers(
    ex,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    policy: r.policy as GroupPolicy,
    rules: JSON.parse(r.rules) as GroupRules,
    members: members.filter((m) => m.group_id === r.id).map((m) => m.server_id),
    project_id: r.project_id,
    user_id: r.user_id,
  }));
}

/** A group the caller can see: an admin any, anyone else their project's (Nova filters the query by project). */
async function visibleGroup(ex: Executor, caller: Caller, id: string): Promise<GroupRow | undefined> {
  const uuid = canonicalUuid(id);
  if (!uuid) return undefined;
  return repo.getGroup(ex, uuid, { projectId: caller.isAdmin ? undefined : caller.projectId });
}

export async function createServerGroup(
  deps: Deps,
  caller: Caller,
  input: { name: string; policy: GroupPolicy; rules: GroupRules },
): Promise<ServerGroupView> {
  authorize(deps, caller, RULE('create'), { project_id: caller.projectId });
  const row = await deps.transact(async (tx) => {
    // Nova checks the quota first, then the rules.
    await checkQuota(deps, tx, caller.projectId, 'server_groups', 1, (t) => repo.countGroups(t, caller.projectId));
    if (input.policy !== 'anti-affinity' && Object.keys(input.rules).length > 0)
      throw invalid('Only anti-affinity policy supports rules.');
    return repo.insertGroup(tx, {
      id: deps.ids.uuid(),
      name: input.name,
      project_id: caller.projectId,
      user_id: caller.userId,
      policy: input.policy,
      rules: JSON.stringify(input.rules),
      created_at: iso(deps.clock.now()),
    });
  });
  return (await withMembers(deps.db, [row]))[0];
}

export async function listServerGroups(
  deps: Deps,
  caller: Caller,
  q: { allProjects: boolean; limit?: number; offset?: number },
): Promise<ServerGroupView[]> {
  authorize(deps, caller, RULE('index'), { project_id: caller.projectId });
  let projectId: string | undefined = caller.projectId;
  // Nova parity: all_projects counts for admins only; anyone else silently gets their own.
  if (q.allProjects && caller.isAdmin) {
    authorize(deps, caller, RULE('index:all_projects'), { project_id: caller.projectId });
    projectId = undefined;
  }
  // common.limited: a limit of 0 (or none) is the maximum.
  const limit = Math.min(MAX_GROUP_LIMIT, q.limit || MAX_GROUP_LIMIT);
  const rows = await repo.listGroups(deps.db, { projectId, limit, offset: q.offset });
  return withMembers(deps.db, rows);
}

export async function showServerGroup(deps: Deps, caller: Caller, id: string): Promise<ServerGroupView> {
  const row = await visibleGroup(deps.db, caller, id);
  if (!row) throw serverGroupNotFound(id);
  authorize(deps, caller, RULE('show'), { project_id: row.project_id });
  return (await withMembers(deps.db, [row]))[0];
}

/** Deletes a group; its servers stay, in no group (Nova's InstanceGroup.destroy). */
export async function deleteServerGroup(deps: Deps, caller: Caller, id: string): Promise<void> {
  const row = await visibleGroup(deps.db, caller, id);
  if (!row) throw serverGroupNotFound(id);
  authorize(deps, caller, RULE('delete'), { project_id: row.project_id });
  const gone = await deps.transact((tx) => repo.deleteGroup(tx, row.id));
  if (!gone) throw serverGroupNotFound(id);
}

/** How many groups a project holds (the server_groups quota's usage). */
export function countServerGroups(ex: Executor, projectId: string): Promise<number> {
  return repo.countGroups(ex, projectId);
}

// --- server create and delete -------------------------------------------------------------

/**
 * The group of server create's `group` hint, which the caller must be able to see; else 400
 * "Instance group <id> could not be found." (servers.py maps InstanceGroupNotFound to 400).
 */
export async function groupForServer(deps: Deps, caller: Caller, id: string): Promise<{ id: string }> {
  const row = await visibleGroup(deps.db, caller, id);
  if (!row) throw requestedGroupNotFound(id);
  return { id: row.id };
}

/**
 * Inside server create's transaction: locks the group's row (so concurrent creates into one group
 * place their servers one after the other and see each other's members), checks the
 * server_group_members quota, and plans the host of each of `count` new servers by the group's
 * policy among `ranked` (the usable hosts, best first). Null: they cannot all be placed.
 */
export async function placeInGroup(
  deps: Deps,
  tx: Executor,
  caller: Caller,
  groupId: string,
  ranked: string[],
  count: number,
): Promise<Array<string | null>> {
  const group = await repo.lockGroup(tx, groupId);
  if (!group) throw requestedGroupNotFound(groupId); // deleted since the lookup
  await checkQuota(deps, tx, caller.projectId, 'server_group_members', count, (t) => repo.countMembers(t, groupId));
  const members = await repo.liveMembers(tx, [groupId]);
  const plan = planGroupPlacement(
    group.policy as GroupPolicy,
    JSON.parse(group.rules) as GroupRules,
    members.map((m) => m.host),
    ranked,
    count,
  );
  return plan ?? Array.from({ length: count }, () => null);
}

/** Records a new server as a member of its group, with the host chosen for it. */
export async function joinGroup(
  deps: Deps,
  tx: Executor,
  groupId: string,
  serverId: string,
  host: string | null,
): Promise<void> {
  await repo.addMember(tx, groupId, serverId, host, iso(deps.clock.now()));
}

/** A deleted server leaves its group (in the transaction that marks the row deleted). */
export async function leaveServerGroup(tx: Executor, serverId: string): Promise<void> {
  await repo.removeMember(tx, serverId);
}

/** The group ids of each server (2.71 `server_groups` of the server view: zero or one). */
export async function serverGroupsOf(deps: Deps, serverIds: string[]): Promise<Map<string, string[]>> {
  const byServer = await repo.groupsOfServers(deps.db, serverIds);
  return new Map([...byServer].map(([s, g]) => [s, [g]]));
}
