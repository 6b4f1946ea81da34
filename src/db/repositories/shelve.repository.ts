import type { Executor } from '../executor.js';
import type { ServerRow } from './servers.repository.js';

/**
 * Nova's _poll_shelved_instances query: the SHELVED servers of `host` with no task whose shelve
 * finished before `shelvedBefore` (shelved_offload_time ago), oldest first, a bounded batch.
 */
export async function shelvedServersToOffload(ex: Executor, host: string, shelvedBefore: string): Promise<ServerRow[]> {
  return ex
    .selectFrom('servers')
    .selectAll()
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .where('vm_state', '=', 'shelved')
    .where('task_state', 'is', null)
    .where('shelved_at', '<', shelvedBefore)
    .orderBy('shelved_at')
    .limit(100)
    .execute() as Promise<ServerRow[]>;
}
