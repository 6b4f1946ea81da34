/**
 * What the move use cases (resize, confirm and revert, cold and live migration, evacuate) do
 * last in their transaction: the Migration record of the move, the instance action, and the task
 * that hands the move to a compute node, its payload naming both.
 */
import type { Caller, Deps } from '../context.js';
import { recordAction } from './record-action.js';
import type * as servers from '../../db/repositories/servers.repository.js';
import type { Executor } from '../../db/executor.js';
import type { TaskKind } from '../../domain/lifecycle.js';
import type { TaskRow } from '../../tasks/queue.js';

/** The migration row of a move of `row` to `dest`; the same flavor on both sides unless a resize says otherwise. */
export function moveRecord(deps: Deps, row: servers.ServerRow, dest: string | null, now: string) {
  return {
    uuid: deps.ids.uuid(),
    server_id: row.id,
    project_id: row.project_id,
    user_id: row.user_id,
    source_compute: row.host,
    source_node: row.host,
    dest_compute: dest,
    dest_node: dest,
    dest_host: null,
    old_flavor_id: row.flavor_id,
    new_flavor_id: row.flavor_id,
    old_flavor: row.flavor,
    new_flavor: row.flavor,
    old_vm_state: row.vm_state,
    created_at: now,
    updated_at: null,
  };
}

/**
 * Records Nova's instance action `action` (_record_action_start) and enqueues the move's task
 * for `host`, in the caller's transaction; the caller dispatches the task after the commit.
 */
export async function enqueueMoveTask(
  deps: Deps,
  tx: Executor,
  caller: Caller,
  serverId: string,
  move: { action: string; kind: TaskKind; host: string; migrationId: number; payload?: Record<string, unknown> },
): Promise<TaskRow> {
  const actionId = await recordAction(deps, tx, caller, serverId, move.action);
  return deps.tasks.enqueue(tx, {
    kind: move.kind,
    serverId,
    host: move.host,
    payload: { actionId, requestId: caller.requestId, migrationId: move.migrationId, ...move.payload },
  });
}
