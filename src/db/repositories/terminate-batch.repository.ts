import type { Executor } from '../executor.js';
import type { InstanceActionEventsTable } from '../schema.js';
import { dialectOf } from '../dialects/dialect.js';
import { notDeletedUnindexed } from './servers.repository.js';

/** One finished terminate of a batch: its server, its task (and lease owner), its event and action. */
export interface TerminateCompletion {
  serverId: string;
  taskId: string;
  owner: string;
  actionId: string | null;
  event: InstanceActionEventsTable | null;
}

/**
 * The completing writes of many terminates, set-based (one statement each for all of them):
 * each server still `deleting` is marked deleted (its vm_state `vmState`), its ports released
 * as `releaseServerPorts` does (Stratus' own deleted with their addresses and floating IP
 * associations, the user's unbound), and it leaves its server group; then every event is
 * inserted, every action finished and every task closed. Returns the servers marked deleted.
 * Server rows first, then ports: the lock order of every delete.
 */
export async function completeTerminates(
  ex: Executor,
  nowIso: string,
  vmState: 'deleted',
  items: TerminateCompletion[],
): Promise<{ marked: string[]; ports: Map<string, { deleted: number; unbound: number }> }> {
  const ports = new Map<string, { deleted: number; unbound: number }>();
  if (!items.length) return { marked: [], ports };
  const marked = (
    await ex
      .updateTable('servers')
      .set({
        deleted: 1,
        deleted_at: nowIso,
        terminated_at: nowIso,
        updated_at: nowIso,
        vm_state: vmState,
        task_state: null,
        power_state: 0,
      })
      .where(
        'id',
        'in',
        items.map((i) => i.serverId),
      )
      .where(notDeletedUnindexed)
      .where('task_state', '=', 'deleting')
      .returning('id')
      .execute()
  ).map((r) => r.id);
  if (marked.length) {
    const created = ex
      .selectFrom('ports')
      .select('id')
      .where('device_id', 'in', marked)
      .where('created_for_server', '=', 1);
    await ex
      .updateTable('floating_ips')
      .set((eb) => ({
        port_id: null,
        fixed_ip_address: null,
        router_id: null,
        status: 'DOWN',
        updated_at: nowIso,
        revision_number: eb('revision_number', '+', 1),
      }))
      .where('port_id', 'in', created)
      .execute();
    await ex.deleteFrom('ip_allocations').where('port_id', 'in', created).execute();
    for (const id of marked) ports.set(id, { deleted: 0, unbound: 0 });
    const deleted = await ex
      .deleteFrom('ports')
      .where('device_id', 'in', marked)
      .where('created_for_server', '=', 1)
      .returning('device_id')
      .execute();
    for (const r of deleted) ports.get(r.device_id)!.deleted++;
    // The user's ports, unbound: read first (locked) to count them per server, as releaseServerPorts reports.
    const users = await dialectOf(ex)
      .lockRows(
        ex
          .selectFrom('ports')
          .select(['id', 'device_id'])
          .where('device_id', 'in', marked)
          .where('created_for_server', '=', 0),
        'ports',
      )
      .execute();
    if (users.length) {
      for (const r of users) ports.get(r.device_id)!.unbound++;
      await ex
        .updateTable('ports')
        .set({ device_id: '', device_owner: '', binding_host_id: '', status: 'DOWN', updated_at: nowIso })
        .where(
          'id',
          'in',
          users.map((r) => r.id),
        )
        .execute();
    }
    await ex.deleteFrom('server_group_members').where('server_id', 'in', marked).execute();
  }
  const events = items.flatMap((i) => (i.event ? [i.event] : []));
  if (events.length) await ex.insertInto('instance_action_events').values(events).execute();
  const actionIds = items.flatMap((i) => (i.actionId ? [i.actionId] : []));
  if (actionIds.length)
    await ex
      .updateTable('instance_actions')
      .set({ updated_at: nowIso, finish_time: nowIso, message: null })
      .where('id', 'in', actionIds)
      .execute();
  const byOwner = new Map<string, string[]>();
  for (const i of items) byOwner.set(i.owner, [...(byOwner.get(i.owner) ?? []), i.taskId]);
  for (const [owner, ids] of byOwner)
    await ex.deleteFrom('tasks').where('id', 'in', ids).where('lease_owner', '=', owner).execute();
  return { marked, ports };
}

/** Which of `serverIds` still have block devices (their volumes are released one by one). */
export async function serversWithBlockDevices(ex: Executor, serverIds: string[]): Promise<string[]> {
  if (!serverIds.length) return [];
  const rows = await ex
    .selectFrom('block_device_mappings')
    .select('server_id')
    .distinct()
    .where('server_id', 'in', serverIds)
    .execute();
  return rows.map((r) => r.server_id);
}
