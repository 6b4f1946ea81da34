import type { TaskRow } from '../tasks/queue.js';
import type { Selectable } from 'kysely';
import type { ComputeDriver } from '../drivers/driver.js';
import type { TasksTable } from '../db/schema.js';
import type { Executor } from '../db/executor.js';
import * as servers from '../db/repositories/servers.repository.js';
import { finishTask, setTaskResult } from '../db/repositories/tasks.repository.js';
import { setServerPortsHost } from '../db/repositories/network.repository.js';
import { removeMember } from '../db/repositories/server-groups.repository.js';
import { bindServerPorts, releaseServerPorts } from '../services/network/ports.js';
import { iso } from '../domain/clock.js';
import { PowerState, type TaskState } from '../domain/states.js';
import { lifecycleOfTask, type TaskKind } from '../domain/lifecycle.js';
import type { AgentDeps } from './agent-deps.js';
import { guestSpec } from './guests.js';
import { runAsInstanceEvent, type Writer } from './instance-event.js';
import { makeMigrationHandlers } from './migration-handlers.js';
import { makeLiveMigrationHandlers } from './live-migration-handlers.js';

type ServerRow = servers.ServerRow;

/** Runs one task for a live server; true when it finished the task itself (in its own transaction). */
export type TaskHandler = (task: TaskRow, row: ServerRow) => Promise<boolean>;

export interface HandlerContext {
  deps: AgentDeps;
  host: string;
  /** The real driver (for questions: no fault injection). */
  driver: ComputeDriver;
  /** The driver decorated with the faults injected for `operation` (a task kind, `spawn` or `destroy`). */
  driverFor(operation: string): ComputeDriver;
}

/** One handler per task kind; the states each expects and leaves come from the lifecycle table. */
export function makeTaskHandlers(ctx: HandlerContext): Record<TaskKind, TaskHandler> {
  const { deps, host } = ctx;
  const now = () => iso(deps.clock.now());
  const event = (
    task: TaskRow,
    row: ServerRow,
    work: () => Promise<Writer | void>,
    onError: (tx: Executor, err: Error) => Promise<void>,
  ) =>
    runAsInstanceEvent(deps, host, task, lifecycleOfTask(task.kind as TaskKind).completion!.event, row, work, onError);
  /** Whether the task still applies: a server in another task_state was taken over (by a delete, say). */
  const applies = (kind: TaskKind, row: ServerRow) =>
    row.task_state !== null && lifecycleOfTask(kind).runsWhile.includes(row.task_state);

  const finishState = (tx: Executor, id: string, expected: TaskState | null, set: servers.ServerChanges) =>
    servers.casUpdateServer(tx, id, expected, { ...set, updated_at: now() }).then(() => undefined);
  const recordFault = async (
    tx: Executor,
    id: string,
    expected: TaskState | null,
    err: Error,
    set: servers.ServerChanges,
  ) => {
    const fault = JSON.stringify({
      code: 500,
      message: err.message.slice(0, 255),
      details: err.stack ?? err.message,
      created: now(),
    });
    await servers.casUpdateServer(tx, id, expected, { ...set, fault, updated_at: now() });
  };
  /** Nova's reverts_task_state: the operation failed, the server keeps its vm_state. */
  const revertTask = (row: ServerRow) => async (tx: Executor) => {
    await servers.casUpdateServer(tx, row.id, row.task_state, { task_state: null, updated_at: now() });
  };

  /** A task that only changes the guest's power: the driver call, then the table's completion state. */
  const power =
    (kind: TaskKind, op: (d: ComputeDriver, id: string, t: TaskRow) => Promise<void>): TaskHandler =>
    async (task, row) => {
      if (!applies(kind, row)) return false;
      const { completion } = lifecycleOfTask(kind);
      return event(
        task,
        row,
        async () => {
          await op(ctx.driverFor(kind), row.id, task);
          return (tx) =>
            finishState(tx, row.id, row.task_state, {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
            });
        },
        revertTask(row),
      );
    };

  return {
    ...makeMigrationHandlers(ctx),
    ...makeLiveMigrationHandlers(ctx),
    async spawn(task, row) {
      const spawning: TaskState = 'spawning';
      // Claim the server for this host; a delete that won the race leaves nothing to build.
      if (row.task_state === 'scheduling') {
        const claimed = await deps.transact(async (tx) => {
          if (
            !(await servers.casUpdateServer(tx, row.id, 'scheduling', {
              host,
              task_state: spawning,
              updated_at: now(),
            }))
          )
            return false;
          await bindServerPorts(deps, tx, row.id, host);
          return true;
        });
        if (!claimed) return false;
      } else if (row.task_state !== spawning || row.host !== host) {
        return false;
      }
      const spec = await guestSpec(deps.db, row);
      const { completion } = lifecycleOfTask('spawn');
      const driver = ctx.driverFor('spawn');
      let superseded = false;
      const finished = await event(
        task,
        row,
        async () => {
          await driver.spawn(spec);
          return async (tx) => {
            superseded = !(await servers.casUpdateServer(tx, row.id, spawning, {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              launched_at: now(),
              updated_at: now(),
            }));
          };
        },
        (tx, err) =>
          recordFault(tx, row.id, spawning, err, {
            vm_state: 'error',
            task_state: null,
            power_state: PowerState.NOSTATE,
          }),
      );
      // Deleted while spawning (docs/delete-server.md B5): Nova's UnexpectedDeletingTaskStateError; the terminate task finishes the job.
      if (superseded) await driver.destroy(row.id);
      return finished;
    },

    async terminate(task, row) {
      if (!applies('terminate', row)) return false; // not (or no longer) being deleted
      const { completion } = lifecycleOfTask('terminate');
      return event(
        task,
        row,
        async () => {
          await ctx.driverFor('destroy').destroy(row.id);
          // Server row first, then ports: the same lock order as the API's delete (no deadlock), and
          // only if the delete is still ours (a local delete may have finished it meanwhile).
          return async (tx) => {
            if (await servers.markServerDeleted(tx, row.id, now(), completion!.vmState, 'deleting')) {
              await releaseServerPorts(deps, tx, row.id);
              await removeMember(tx, row.id); // the deleted server leaves its server group
            }
          };
        },
        (tx, err) => recordFault(tx, row.id, 'deleting', err, { vm_state: 'error', task_state: null }),
      );
      // docs/delete-server.md B42 on failure: ERROR with a fault; the row stays and a later DELETE starts again.
    },

    async shelve_offload(task, row) {
      if (!applies('shelve_offload', row)) return false;
      const { completion } = lifecycleOfTask('shelve_offload');
      return event(
        task,
        row,
        async () => {
          await ctx.driverFor('destroy').destroy(row.id);
          return async (tx) => {
            await finishState(tx, row.id, 'shelving_offloading', {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              host: null,
            });
            await setServerPortsHost(tx, row.id, '', now());
          };
        },
        revertTask(row),
      );
    },

    async unshelve(task, row) {
      if (!applies('unshelve', row)) return false;
      const spec = await guestSpec(deps.db, row);
      const { completion } = lifecycleOfTask('unshelve');
      return event(
        task,
        row,
        async () => {
          const driver = ctx.driverFor('spawn');
          if ((await driver.power(row.id)) === 'missing') await driver.spawn(spec);
          else await driver.powerOn(row.id);
          return async (tx) => {
            await finishState(tx, row.id, 'unshelving', {
              vm_state: completion!.vmState,
              task_state: null,
              power_state: completion!.powerState,
              host,
            });
            await bindServerPorts(deps, tx, row.id, host);
          };
        },
        revertTask(row),
      );
    },

    // A question, not a state change: the API request is waiting for the answer, which stays
    // in the task row until it has been read.
    async console(task, row) {
      const lines = Number((JSON.parse(task.payload) as { lines?: number }).lines ?? 0) || undefined;
      const output = await ctx.driver.consoleOutput(row.id, lines);
      await deps.transact(async (tx) => {
        await setTaskResult(tx, task.id, output);
        await finishTask(tx, task.id, task.lease_owner ?? '', 'done', now(), null, true);
      });
      return true;
    },

    power_off: power('power_off', (d, id) => d.powerOff(id)),
    power_on: power('power_on', (d, id) => d.powerOn(id)),
    reboot: power('reboot', (d, id, t) => d.reboot(id, JSON.parse(t.payload).rebootType === 'HARD')),
    pause: power('pause', (d, id) => d.pause(id)),
    unpause: power('unpause', (d, id) => d.unpause(id)),
    suspend: power('suspend', (d, id) => d.suspend(id)),
    resume: power('resume', (d, id) => d.resume(id)),
    shelve: power('shelve', (d, id) => d.powerOff(id)),
    restore: power('restore', (d, id) => d.powerOn(id)),
    soft_delete: power('soft_delete', async (d, id) => {
      if ((await d.power(id)) !== 'missing') await d.powerOff(id);
    }),
  };
}
