/**
 * What the handlers of the moves (resize and cold migration, live migration, evacuation) share:
 * the part of task-handlers.ts' HandlerContext they use (declared here: no import cycle), the
 * migration record their task's payload names, whether the task still applies, the instance
 * event a task kind records, and Nova's instance fault for a move that failed.
 */
import type { TaskRow } from '../tasks/queue.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as migrations from '../db/repositories/migrations.repository.js';
import { iso } from '../domain/clock.js';
import { lifecycleOfTask, type TaskKind } from '../domain/lifecycle.js';
import type { TaskState } from '../domain/states.js';
import { runAsInstanceEvent } from './instance-event.js';
import type { ComputeDriver } from '../drivers/driver.js';
import type { AgentDeps } from './agent-deps.js';

type ServerRow = servers.ServerRow;

export interface MoveContext {
  deps: AgentDeps;
  host: string;
  driverFor(operation: string): ComputeDriver;
}
export type MoveTaskHandler = (task: TaskRow, row: ServerRow) => Promise<boolean>;

/** Nova's instance fault of a failed operation (the wire's `fault`: code, message, details, created). */
export function moveFault(err: Error, created: string): string {
  return JSON.stringify({ code: 500, message: err.message.slice(0, 255), details: err.stack ?? err.message, created });
}

/** `P` is the handlers' task payload; it names the migration record by its id. */
export function makeMoveTaskSupport<P extends { migrationId?: number } = { migrationId?: number }>(ctx: MoveContext) {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const payloadOf = (t: TaskRow) => JSON.parse(t.payload) as P;
  return {
    now,
    payloadOf,
    /** The migration record the task's payload names (none: the move was abandoned). */
    migrationOf: async (t: TaskRow) => {
      const id = payloadOf(t).migrationId;
      return id === undefined ? undefined : migrations.getMigration(deps.db, Number(id));
    },
    /** Whether the task still applies: a deleted server, or one in another task_state, was taken over. */
    applies: (kind: TaskKind, row: ServerRow) =>
      row.deleted === 0 && row.task_state !== null && lifecycleOfTask(kind).runsWhile.includes(row.task_state),
    /** Runs the work as the instance-action event the lifecycle table names for `kind`. */
    event: (
      kind: TaskKind,
      task: TaskRow,
      row: ServerRow,
      work: () => Promise<((tx: Executor) => Promise<void>) | void>,
      onError: (tx: Executor, err: Error) => Promise<void>,
    ) => runAsInstanceEvent(deps, host, task, lifecycleOfTask(kind).completion!.event, row, work, onError),
    /** One compare-and-set step of the task state, in its own transaction. */
    step: (id: string, from: TaskState, to: TaskState) =>
      deps.transact((tx) => servers.casUpdateServer(tx, id, from, { task_state: to, updated_at: now() })),
  };
}
