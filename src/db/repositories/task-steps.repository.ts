import type { Executor } from '../executor.js';
import type { TaskStepsTable } from '../schema.js';

export type TaskStepRow = TaskStepsTable;

/** The steps of one task (or one local delete), in one multi-row insert; nothing for none. */
export async function insertTaskSteps(ex: Executor, rows: TaskStepRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ex.insertInto('task_steps').values(rows).execute();
}

/** A server's steps, oldest first (steps of one write keep their order). */
export async function listServerSteps(ex: Executor, serverId: string): Promise<TaskStepRow[]> {
  return ex
    .selectFrom('task_steps')
    .selectAll()
    .where('server_id', '=', serverId)
    .orderBy('started_at')
    .orderBy('seq')
    .orderBy('id')
    .execute();
}
