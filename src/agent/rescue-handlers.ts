import type { TaskRow } from '../tasks/queue.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import * as actions from '../db/repositories/actions.repository.js';
import { finishTask, setTaskPayload, setTaskResult } from '../db/repositories/tasks.repository.js';
import { getImage } from '../db/repositories/catalog.repository.js';
import { InjectedFailure } from '../drivers/fault-injection/fault-injection.driver.js';
import type { ComputeDriver, RescueSpec } from '../drivers/driver.js';
import { iso } from '../domain/clock.js';
import { withoutSecrets } from '../domain/task-secrets.js';
import { lifecycleOfTask } from '../domain/lifecycle.js';
import { PowerState } from '../domain/states.js';
import { runAsInstanceEvent } from './instance-event.js';
import type { AgentDeps } from './agent-deps.js';

type ServerRow = servers.ServerRow;
/** task-handlers.ts' TaskHandler and the part of its HandlerContext used here (no import cycle). */
type Handler = (task: TaskRow, row: ServerRow) => Promise<boolean>;
interface Context {
  deps: AgentDeps;
  host: string;
  driverFor(operation: string): ComputeDriver;
}

/** What a set_password or diagnostics question answers (the task's `result`, JSON). */
export type PasswordAnswer = { ok: true } | { error: 'not-supported' } | { error: 'failed'; reason: string };
export type DiagnosticsAnswer =
  | { diagnostics: unknown }
  | { error: 'power_state'; state: string }
  | { error: 'failed'; reason: string };

/** Nova's power_state.STATE_MAP, for InstanceInvalidState on power_state. */
const POWER_STATE_NAMES: Record<number, string> = {
  [PowerState.NOSTATE]: 'pending',
  [PowerState.RUNNING]: 'running',
  [PowerState.PAUSED]: 'paused',
  [PowerState.SHUTDOWN]: 'shutdown',
  [PowerState.CRASHED]: 'crashed',
  [PowerState.SUSPENDED]: 'suspended',
};
export function powerStateName(p: number): string {
  return POWER_STATE_NAMES[p] ?? 'pending';
}

/** The handlers of rescue, unrescue, set_password and diagnostics (issue 12 part 5 and 6). */
export function makeRescueHandlers(
  ctx: Context,
): Record<'rescue' | 'unrescue' | 'set_password' | 'diagnostics', Handler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const applies = (kind: 'rescue' | 'unrescue' | 'set_password', row: ServerRow) =>
    row.task_state !== null && lifecycleOfTask(kind).runsWhile.includes(row.task_state);

  /** Nova: the rescue image is rescue_image_ref, else the server's own image (the API chose). */
  const rescueSpec = async (imageId: string): Promise<RescueSpec> => {
    const image = await getImage(deps.db, imageId);
    const command = image ? (JSON.parse(image.properties) as Record<string, unknown>).stratus_command : undefined;
    return { imageId, command: typeof command === 'string' ? command : undefined };
  };

  const answer = async (task: TaskRow, result: unknown, tx?: Executor) => {
    const write = async (ex: Executor) => {
      await setTaskResult(ex, task.id, JSON.stringify(result));
      await finishTask(ex, task.id, task.lease_owner ?? '', 'done', now(), null, true);
    };
    if (tx) await write(tx);
    else await deps.transact(write);
  };

  return {
    async rescue(task, row) {
      if (!applies('rescue', row)) return false;
      const { completion } = lifecycleOfTask('rescue');
      const payload = JSON.parse(task.payload) as { rescueImageId?: string };
      const spec = await rescueSpec(payload.rescueImageId ?? row.image_id);
      return runAsInstanceEvent(
        deps,
        host,
        task,
        completion!.event,
        row,
        async () => {
          await ctx.driverFor('rescue').rescue(row.id, spec);
          return async (tx) => {
            await servers.casUpdateServer(tx, row.id, 'rescuing', {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              updated_at: now(),
            });
          };
        },
        // Nova parity (manager.rescue_instance): a failed rescue leaves the server in ERROR.
        async (tx, err) => {
          await servers.casUpdateServer(tx, row.id, 'rescuing', {
            vm_state: 'error',
            task_state: null,
            fault: fault(err, now()),
            updated_at: now(),
          });
        },
      );
    },

    async unrescue(task, row) {
      if (!applies('unrescue', row)) return false;
      const { completion } = lifecycleOfTask('unrescue');
      return runAsInstanceEvent(
        deps,
        host,
        task,
        completion!.event,
        row,
        async () => {
          await ctx.driverFor('unrescue').unrescue(row.id);
          return async (tx) => {
            await servers.casUpdateServer(tx, row.id, 'unrescuing', {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              updated_at: now(),
            });
          };
        },
        // @reverts_task_state: the server stays RESCUED.
        async (tx) => {
          await servers.casUpdateServer(tx, row.id, 'unrescuing', { task_state: null, updated_at: now() });
        },
      );
    },

    // An action the API request waits on (Nova: an RPC call): recorded as an instance-action
    // event like the others, and answered in the task row, which the request then removes.
    async set_password(task, row) {
      if (!applies('set_password', row)) return false;
      const { completion } = lifecycleOfTask('set_password');
      const payload = JSON.parse(task.payload) as { actionId?: string; password?: string };
      const driver = ctx.driverFor('set_password');
      const start = now();
      let result: PasswordAnswer;
      let failure: Error | null = null;
      if (!driver.setAdminPassword) {
        result = { error: 'not-supported' };
      } else if (payload.password === undefined) {
        // The API request stopped waiting and scrubbed the password before this (re)run: never set ''.
        result = { error: 'failed', reason: 'the password was withdrawn when the request timed out' };
      } else {
        try {
          await driver.setAdminPassword(row.id, payload.password);
          result = { ok: true };
        } catch (e) {
          failure = e as Error;
          if (!(failure instanceof InjectedFailure) && deps.dialect.isUnavailable(failure)) throw failure;
          result = { error: 'failed', reason: failure.message };
        }
      }
      await deps.transact(async (tx) => {
        // Success or not, the task state goes (manager.set_admin_password), the vm_state stays.
        await servers.casUpdateServer(tx, row.id, 'updating_password', { task_state: null, updated_at: now() });
        if (payload.actionId) {
          const ok = 'ok' in result;
          await actions.insertEvent(tx, {
            id: deps.ids.sortable(),
            action_id: payload.actionId,
            event: completion!.event,
            start_time: start,
            finish_time: now(),
            host,
            result: ok ? 'Success' : 'Error',
            traceback: failure ? (failure.stack ?? failure.message) : null,
            details: ok ? null : failure ? failure.message : 'Set admin password is not supported',
          });
          await actions.finishAction(tx, payload.actionId, now(), ok ? null : 'Error');
        }
        await answer(task, result, tx);
        // The password is used: it does not stay in the tasks table, whoever reads the answer.
        await setTaskPayload(tx, task.id, withoutSecrets(task.payload));
      });
      return true;
    },

    // A question: Nova's manager answers only for a RUNNING guest (InstanceInvalidState on power_state).
    async diagnostics(task, row) {
      let result: DiagnosticsAnswer;
      try {
        const d = await ctx.driverFor('diagnostics').diagnostics(row.id);
        result = d.state === 'running' ? { diagnostics: d } : { error: 'power_state', state: d.state };
      } catch (e) {
        const err = e as Error;
        if (!(err instanceof InjectedFailure) && deps.dialect.isUnavailable(err)) throw err;
        result = { error: 'failed', reason: err.message };
      }
      await answer(task, result);
      return true;
    },
  };
}

function fault(err: Error, created: string): string {
  return JSON.stringify({ code: 500, message: err.message.slice(0, 255), details: err.stack ?? err.message, created });
}
