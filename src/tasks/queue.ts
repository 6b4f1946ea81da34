import type { Deps } from '../compute/context.js';
import type { Executor } from '../db/executor.js';
import type { TasksTable } from '../db/schema.js';
import * as repo from '../db/repositories/tasks.repository.js';
import { iso } from '../domain/clock.js';

import type { TaskKind } from '../domain/lifecycle.js';

export type { TaskKind } from '../domain/lifecycle.js';

export interface TaskPayload { actionId?: string; requestId?: string; [k: string]: unknown }

/** A task row as enqueued. */
export type TaskRow = TasksTable;

/**
 * Enqueues a task in the caller's transaction, so the task exists exactly when the state
 * change that needs it is committed. Delivery is at least once: handlers are idempotent.
 * When the host's agent runs in this process, the task is written already leased to it and
 * handed over in memory after the commit (`dispatch`): no lease round trip, no extra commit.
 * A crash before it runs loses nothing: a restarted agent takes back the tasks leased to its host.
 */
export async function enqueue(deps: Deps, tx: Executor, t: { kind: TaskKind; serverId: string; host: string; payload?: TaskPayload }): Promise<TaskRow> {
  const now = deps.clock.now();
  const owner = deps.localOwner(t.host);
  const row: TaskRow = {
    id: deps.ids.sortable(), kind: t.kind, server_id: t.serverId, host: t.host, payload: JSON.stringify(t.payload ?? {}),
    state: owner ? 'leased' : 'queued', attempts: owner ? 1 : 0, max_attempts: deps.config.taskMaxAttempts,
    lease_owner: owner, lease_expires_at: owner ? iso(new Date(now.getTime() + deps.config.taskLease * 1000)) : null,
    run_after: iso(now), last_error: null, created_at: iso(now), updated_at: iso(now), result: null,
  };
  await repo.insertTask(tx, row);
  return row;
}

/** After the commit: hands leased tasks to their in-process agent, and wakes the hosts of queued ones. */
export function dispatch(deps: Deps, tasks: Array<TaskRow | undefined>): void {
  for (const t of tasks) {
    if (!t) continue;
    if (t.state === 'leased') deps.handOver(t);
    else if (t.host) deps.wake(t.host);
  }
}

/** Retry back-off: 0.5 s, 1 s, 2 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30000, 500 * 2 ** Math.max(0, attempt - 1));
}
