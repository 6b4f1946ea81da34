import type { Executor } from '../db/executor.js';
import type { ServerRow } from '../db/repositories/servers.repository.js';
import * as actions from '../db/repositories/actions.repository.js';
import { finishTask } from '../db/repositories/tasks.repository.js';
import { InjectedFailure } from '../drivers/fault-injection/fault-injection.driver.js';
import { iso } from '../domain/clock.js';
import type { AgentDeps } from './agent-deps.js';
import type { TaskRow } from '../tasks/queue.js';
import { currentSteps } from './task-steps.js';

/** What a finished driver call writes, inside the task's completing transaction. */
export type Writer = (tx: Executor) => Promise<void>;

/**
 * Runs `work` (the driver call) as an instance-action event (Nova's wrap_instance_event), then
 * commits in ONE transaction what it changed in the database, the finished event, the action's
 * finish time and the task's completion: a crash in between leaves the task to be run again.
 * On failure `onError` writes the failure instead (Nova's ERROR + fault), and the event says Error.
 */
export async function runAsInstanceEvent(
  deps: AgentDeps,
  host: string,
  task: TaskRow,
  event: string,
  row: ServerRow,
  work: () => Promise<Writer | void>,
  onError: (tx: Executor, err: Error) => Promise<void>,
): Promise<true> {
  const payload = JSON.parse(task.payload) as { actionId?: string; requestId?: string };
  const start = iso(deps.clock.now());
  let writer: Writer | void;
  let failure: Error | null = null;
  try {
    writer = await work();
  } catch (e) {
    const err = e as Error;
    if (!(err instanceof InjectedFailure) && deps.dialect.isUnavailable(err)) throw err; // the database, not the guest: retry the task
    deps.log.warn(
      { server: row.id, event, err: err.message, request_id: payload.requestId },
      'compute operation failed',
    );
    failure = err;
  }
  const steps = currentSteps(task);
  const mark = steps?.recorder.length ?? 0;
  await deps.transact(async (tx) => {
    steps?.recorder.rewind(mark); // PostgreSQL may run this again: its steps are recorded again
    if (failure) await onError(tx, failure);
    else if (writer) await writer(tx);
    const end = iso(deps.clock.now());
    if (payload.actionId) {
      await actions.insertEvent(tx, {
        id: deps.ids.sortable(),
        action_id: payload.actionId,
        event,
        start_time: start,
        finish_time: end,
        host,
        result: failure ? 'Error' : 'Success',
        traceback: failure ? (failure.stack ?? failure.message) : null,
        details: failure ? failure.message : null,
      });
      await actions.finishAction(tx, payload.actionId, end, failure ? 'Error' : null);
    }
    await steps?.write(tx, deps.ids, end, failure ? failure.message : null);
    await finishTask(tx, task.id, task.lease_owner ?? '', 'done', end, failure ? failure.message : null);
  });
  steps?.markWritten();
  return true;
}
