import type { Executor } from '../executor.js';
import type { TasksTable } from '../schema.js';
import { prepared } from '../prepared.js';
import { dialectOf } from '../dialects/dialect.js';

export async function insertTask(ex: Executor, row: TasksTable): Promise<void> {
  await insert(ex, row);
}
const insert = prepared((ex: Executor, row: TasksTable) => ex.insertInto('tasks').values(row));

/** Open (queued or leased) tasks of a server, oldest first. */
export async function openTasksForServer(ex: Executor, serverId: string) {
  return ex
    .selectFrom('tasks')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('state', 'in', ['queued', 'leased'])
    .orderBy('created_at', 'asc')
    .execute();
}

/**
 * Leases up to `limit` tasks of `host` in one statement: queued and due ones (and, when asked,
 * ones whose lease expired because their worker died). The candidates are locked skipping the
 * ones other workers hold, so several workers lease side by side without taking the same task.
 */
export async function leaseTasks(
  ex: Executor,
  host: string,
  owner: string,
  nowIso: string,
  expiresIso: string,
  limit: number,
  includeExpired: boolean,
) {
  return (await lease(ex, host, owner, nowIso, expiresIso, limit, includeExpired)).rows;
}
const lease = prepared(
  (
    ex: Executor,
    host: string,
    owner: string,
    nowIso: string,
    expiresIso: string,
    limit: number,
    includeExpired: boolean,
  ) => {
    const candidates = ex
      .selectFrom('tasks')
      .select('id')
      .where('host', '=', host)
      .where((eb) => {
        const due = eb.and([eb('state', '=', 'queued'), eb('run_after', '<=', nowIso)]);
        return includeExpired
          ? eb.or([due, eb.and([eb('state', '=', 'leased'), eb('lease_expires_at', '<', nowIso)])])
          : due;
      })
      .orderBy('run_after', 'asc')
      .limit(limit);
    return ex
      .updateTable('tasks')
      .set((eb) => ({
        state: 'leased',
        lease_owner: owner,
        lease_expires_at: expiresIso,
        updated_at: nowIso,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', dialectOf(ex).lockRowsSkipLocked(candidates))
      .returningAll();
  },
);

/**
 * Done tasks are removed (the instance action and its events are the record of what happened),
 * so the queue stays as small as the work in flight; dead ones stay for inspection. A question
 * task (console) keeps its row until the waiting request has read the answer.
 */
export async function finishTask(
  ex: Executor,
  id: string,
  owner: string,
  state: 'done' | 'dead',
  nowIso: string,
  error: string | null,
  keep = false,
): Promise<void> {
  if (state === 'done' && !keep) {
    await deleteLeased(ex, id, owner);
    return;
  }
  await ex
    .updateTable('tasks')
    .set({ state, updated_at: nowIso, last_error: error, lease_expires_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

const deleteLeased = prepared((ex: Executor, id: string, owner: string) =>
  ex.deleteFrom('tasks').where('id', '=', id).where('lease_owner', '=', owner),
);

export async function deleteTask(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('tasks').where('id', '=', id).execute();
}

export async function retryTask(
  ex: Executor,
  id: string,
  owner: string,
  runAfterIso: string,
  nowIso: string,
  error: string,
): Promise<void> {
  await ex
    .updateTable('tasks')
    .set({
      state: 'queued',
      run_after: runAfterIso,
      updated_at: nowIso,
      last_error: error,
      lease_owner: null,
      lease_expires_at: null,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

/** Re-queues an open task now (used by a repeated DELETE of a stuck delete, docs/delete-server.md §3.4). */
export async function requeueTask(ex: Executor, id: string, nowIso: string): Promise<void> {
  await ex
    .updateTable('tasks')
    .set({
      state: 'queued',
      run_after: nowIso,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: nowIso,
      attempts: 0,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Cancels the queued tasks of a server that a delete supersedes. A leased one is left to its
 * worker, whose handler sees the new task_state and stops (at-least-once, idempotent handlers).
 */
export async function closeTasksForServer(ex: Executor, serverId: string, kinds: string[]): Promise<void> {
  await closeQueued(ex, serverId, kinds);
}
const closeQueued = prepared((ex: Executor, serverId: string, kinds: string[]) =>
  ex.deleteFrom('tasks').where('server_id', '=', serverId).where('kind', 'in', kinds).where('state', '=', 'queued'),
);

export async function queueDepth(ex: Executor): Promise<number> {
  const rows = await ex
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['queued', 'leased'])
    .execute();
  return Number(rows[0]?.n ?? 0);
}

export async function setTaskResult(ex: Executor, id: string, result: string): Promise<void> {
  await ex.updateTable('tasks').set({ result }).where('id', '=', id).execute();
}

/** Rewrites a task's payload (to scrub a secret from it once it is no longer needed). */
export async function setTaskPayload(ex: Executor, id: string, payload: string): Promise<void> {
  await ex.updateTable('tasks').set({ payload }).where('id', '=', id).execute();
}

/** Deletes the task if no worker has taken it yet; whether it did. */
export async function deleteQueuedTask(ex: Executor, id: string): Promise<boolean> {
  const r = await ex.deleteFrom('tasks').where('id', '=', id).where('state', '=', 'queued').executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function getTask(ex: Executor, id: string) {
  return ex.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A restarted node takes back every task its previous incarnation had leased. */
export async function requeueLeasedOnHost(ex: Executor, host: string, nowIso: string): Promise<void> {
  await ex
    .updateTable('tasks')
    .set({ state: 'queued', lease_owner: null, lease_expires_at: null, run_after: nowIso })
    .where('host', '=', host)
    .where('state', '=', 'leased')
    .execute();
}

/** Gives back a task just leased, as if it had not been (the worker is busy with its server). */
export async function unleaseTask(ex: Executor, id: string, attempts: number): Promise<void> {
  await ex
    .updateTable('tasks')
    .set({ state: 'queued', lease_owner: null, lease_expires_at: null, attempts })
    .where('id', '=', id)
    .execute();
}

export async function hasDueTask(ex: Executor, host: string, nowIso: string): Promise<boolean> {
  const r = await ex
    .selectFrom('tasks')
    .select('id')
    .where('host', '=', host)
    .where('state', '=', 'queued')
    .where('run_after', '<=', nowIso)
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

/** Open (queued or leased) tasks per host, for backpressure (hosts with none are absent). */
export async function openTasksByHost(ex: Executor): Promise<Map<string, number>> {
  const rows = await ex
    .selectFrom('tasks')
    .select(['host', (e) => e.fn.countAll().as('n')])
    .where('state', 'in', ['queued', 'leased'])
    .groupBy('host')
    .execute();
  return new Map(rows.flatMap((r) => (r.host === null ? [] : [[r.host, Number(r.n)] as [string, number]])));
}
