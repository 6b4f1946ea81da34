import type { Deps } from '../compute/context.js';
import type { Executor } from '../db/executor.js';
import * as repo from '../db/repositories/tasks.repository.js';
import { iso } from '../domain/clock.js';

/** Work a compute node does for a server. One handler per kind in src/agent. */
export type TaskKind =
  | 'spawn' | 'terminate' | 'soft_delete' | 'restore' | 'power_off' | 'power_on' | 'reboot'
  | 'pause' | 'unpause' | 'suspend' | 'resume' | 'shelve' | 'shelve_offload' | 'unshelve' | 'console';

export interface TaskPayload { actionId?: string; requestId?: string; [k: string]: unknown }

/**
 * Enqueues a task in the caller's transaction, so the task exists exactly when the state
 * change that needs it is committed. Delivery is at least once: handlers are idempotent.
 * The caller wakes the host's agent after the commit (`deps.wake`).
 */
export async function enqueue(deps: Deps, tx: Executor, t: { kind: TaskKind; serverId: string; host: string; payload?: TaskPayload }): Promise<string> {
  const now = iso(deps.clock.now());
  const id = deps.ids.sortable();
  await repo.insertTask(tx, {
    id, kind: t.kind, server_id: t.serverId, host: t.host, payload: JSON.stringify(t.payload ?? {}), state: 'queued',
    attempts: 0, max_attempts: deps.config.taskMaxAttempts, lease_owner: null, lease_expires_at: null,
    run_after: now, last_error: null, created_at: now, updated_at: now, result: null,
  });
  return id;
}

/** Retry back-off: 0.5 s, 1 s, 2 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30000, 500 * 2 ** Math.max(0, attempt - 1));
}
