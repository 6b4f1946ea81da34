import { sql } from 'kysely';
import type { Executor } from '../executor.js';
import type { InstanceActionsTable, TasksTable } from '../schema.js';

/** One server of a batched remote delete: its compare-and-set and the rows it adds. */
export interface RemoteDeleteWrite {
  serverId: string;
  expectedTaskState: string | null;
  taskState: string;
  action: InstanceActionsTable;
  task: TasksTable;
}

/** What sends a server of the batch to the single path instead: an open move, a queued image task. */
export interface DeleteBlockers {
  migrationStatuses: readonly string[];
  imageTaskKinds: readonly string[];
}

/** The outcome of a batch's writes: the servers written, and those left alone for a blocker. */
export interface RemoteDeleteResult {
  matched: Set<string>;
  blocked: Set<string>;
}

const col = <T, K extends keyof T>(rows: T[], k: K): Array<T[K]> => rows.map((r) => r[k]);

/**
 * PostgreSQL: every write of a batch of remote deletes in one statement (one round trip): the
 * compare-and-set of each server, the removal of its superseded queued tasks, and one multi-row
 * insert each for the `delete` actions and the terminate tasks, those two only for the servers
 * whose compare-and-set matched. A server with a blocker is not written and comes back in
 * `blocked`: the locking read's subqueries kept that statement's snapshot (READ COMMITTED re-reads
 * only the locked row after a lock wait), so a move or snapshot committed while it waited is only
 * seen here, in a later statement, with the lock still held.
 */
export async function writeRemoteDeletesPostgres(
  ex: Executor,
  now: string,
  writes: RemoteDeleteWrite[],
  supersededKinds: string[],
  blockers: DeleteBlockers,
): Promise<RemoteDeleteResult> {
  // The ids again as a condition on servers: joined only through `e`, the planner read every
  // live server when its statistics were stale (a hash join over the whole table per batch).
  const ids = col(writes, 'serverId');
  const a = writes.map((w) => w.action);
  const t = writes.map((w) => w.task);
  const r = await sql<{ id: string; blocked: boolean }>`
with e(id, expected, task_state) as (
  select * from unnest(${ids}::text[], ${col(writes, 'expectedTaskState')}::text[], ${col(writes, 'taskState')}::text[])
), cas as (
  select s.id, exists (
      select 1 from migrations m where m.server_id = s.id and m.status = any(${[...blockers.migrationStatuses]}::text[])
    ) or exists (
      select 1 from tasks b where b.server_id = s.id and b.state = 'queued' and b.kind = any(${[...blockers.imageTaskKinds]}::text[])
    ) as blocked
  from servers s join e on s.id = e.id
  where s.id = any(${ids}::text[]) and s.deleted = 0 and s.task_state is not distinct from e.expected
), upd as (
  update servers s set task_state = e.task_state, updated_at = ${now}
  from e join cas on cas.id = e.id and not cas.blocked
  where s.id = e.id and s.deleted = 0 and s.task_state is not distinct from e.expected
  returning s.id
), closed as (
  delete from tasks q using upd
  where q.server_id = upd.id and q.state = 'queued' and q.kind = any(${supersededKinds}::text[])
), acts as (
  insert into instance_actions (id, server_id, action, request_id, user_id, project_id, start_time, finish_time, message, updated_at)
  select a.* from unnest(${col(a, 'id')}::text[], ${col(a, 'server_id')}::text[], ${col(a, 'action')}::text[],
    ${col(a, 'request_id')}::text[], ${col(a, 'user_id')}::text[], ${col(a, 'project_id')}::text[],
    ${col(a, 'start_time')}::text[], ${col(a, 'finish_time')}::text[], ${col(a, 'message')}::text[],
    ${col(a, 'updated_at')}::text[])
    as a(id, server_id, action, request_id, user_id, project_id, start_time, finish_time, message, updated_at)
  join upd on upd.id = a.server_id
), tsk as (
  insert into tasks (id, kind, server_id, host, payload, state, attempts, max_attempts, lease_owner,
    lease_expires_at, run_after, last_error, created_at, updated_at, result)
  select t.* from unnest(${col(t, 'id')}::text[], ${col(t, 'kind')}::text[], ${col(t, 'server_id')}::text[],
    ${col(t, 'host')}::text[], ${col(t, 'payload')}::text[], ${col(t, 'state')}::text[],
    ${col(t, 'attempts')}::int[], ${col(t, 'max_attempts')}::int[], ${col(t, 'lease_owner')}::text[],
    ${col(t, 'lease_expires_at')}::text[], ${col(t, 'run_after')}::text[], ${col(t, 'last_error')}::text[],
    ${col(t, 'created_at')}::text[], ${col(t, 'updated_at')}::text[], ${col(t, 'result')}::text[])
    as t(id, kind, server_id, host, payload, state, attempts, max_attempts, lease_owner,
      lease_expires_at, run_after, last_error, created_at, updated_at, result)
  join upd on upd.id = t.server_id
)
select id, false as blocked from upd
union all select id, true from cas where blocked`.execute(ex);
  return {
    matched: new Set(r.rows.filter((x) => !x.blocked).map((x) => x.id)),
    blocked: new Set(r.rows.filter((x) => x.blocked).map((x) => x.id)),
  };
}
