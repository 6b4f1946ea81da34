import type { Executor } from '../executor.js';
import type { InstanceActionsTable, InstanceActionEventsTable } from '../schema.js';
import { prepared } from '../prepared.js';

export async function insertAction(ex: Executor, row: InstanceActionsTable): Promise<void> {
  await insertActionRow(ex, row);
}
const insertActionRow = prepared((ex: Executor, row: InstanceActionsTable) =>
  ex.insertInto('instance_actions').values(row),
);

export async function listActions(ex: Executor, serverId: string) {
  return ex
    .selectFrom('instance_actions')
    .selectAll()
    .where('server_id', '=', serverId)
    .orderBy('start_time', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export async function getActionByRequestId(ex: Executor, serverId: string, requestId: string) {
  return ex
    .selectFrom('instance_actions')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('request_id', '=', requestId)
    .executeTakeFirst();
}

export async function listEvents(ex: Executor, actionId: string) {
  return ex
    .selectFrom('instance_action_events')
    .selectAll()
    .where('action_id', '=', actionId)
    .orderBy('start_time', 'asc')
    .execute();
}

export async function insertEvent(ex: Executor, row: InstanceActionEventsTable): Promise<void> {
  await insertEventRow(ex, row);
}
const insertEventRow = prepared((ex: Executor, row: InstanceActionEventsTable) =>
  ex.insertInto('instance_action_events').values(row),
);

/** Marks an action finished; `message` is Nova's 'Error' when an event failed. */
export async function finishAction(ex: Executor, id: string, nowIso: string, message: string | null): Promise<void> {
  await finish(ex, id, nowIso, message);
}
const finish = prepared((ex: Executor, id: string, nowIso: string, message: string | null) =>
  ex.updateTable('instance_actions').set({ updated_at: nowIso, finish_time: nowIso, message }).where('id', '=', id),
);
