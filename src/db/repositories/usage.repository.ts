import type { Executor } from '../executor.js';

/** What the admin read APIs need of a server: who owns it, where it runs, its flavor copy and its lifetime. */
export interface UsageServerRow {
  id: string;
  name: string;
  project_id: string;
  host: string | null;
  flavor: string;
  vm_state: string;
  task_state: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  deleted: number;
}

const COLUMNS = [
  'id',
  'name',
  'project_id',
  'host',
  'flavor',
  'vm_state',
  'task_state',
  'launched_at',
  'terminated_at',
  'deleted',
] as const;

/** Live servers on the given hosts (a hypervisor's guests and the resources they use), oldest first. */
export async function liveServersOnHosts(ex: Executor, hosts: string[]): Promise<UsageServerRow[]> {
  if (hosts.length === 0) return [];
  return ex
    .selectFrom('servers')
    .select(COLUMNS)
    .where('deleted', '=', 0)
    .where('host', 'in', hosts)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

/**
 * Servers, deleted ones included, whose life overlaps [begin, end): not terminated before
 * `begin` and launched before `end` (Nova's instance_get_active_by_window_joined: a server
 * never launched is not counted). Ordered by (project_id, id), Nova's paging keys; `after`
 * starts after that key, `limit` caps the page.
 */
export async function serversActiveInWindow(
  ex: Executor,
  f: { begin: string; end: string; projectId?: string; after?: { project_id: string; id: string }; limit?: number },
): Promise<UsageServerRow[]> {
  let q = ex
    .selectFrom('servers')
    .select(COLUMNS)
    .where((eb) => eb.or([eb('terminated_at', 'is', null), eb('terminated_at', '>', f.begin)]))
    .where('launched_at', '<', f.end);
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (f.after) {
    const a = f.after;
    q = q.where((eb) =>
      eb.or([eb('project_id', '>', a.project_id), eb.and([eb('project_id', '=', a.project_id), eb('id', '>', a.id)])]),
    );
  }
  q = q.orderBy('project_id', 'asc').orderBy('id', 'asc');
  if (f.limit !== undefined) q = q.limit(f.limit);
  return q.execute();
}

/** The paging key of any server, deleted or not (a usage marker may name a deleted one). */
export async function serverKey(ex: Executor, id: string): Promise<{ project_id: string; id: string } | undefined> {
  return ex.selectFrom('servers').select(['project_id', 'id']).where('id', '=', id).executeTakeFirst();
}
