import { AsyncLocalStorage } from 'node:async_hooks';
import type { ComputeDriver } from '../drivers/driver.js';
import type { Executor } from '../db/executor.js';
import { insertTaskSteps, type TaskStepRow } from '../db/repositories/task-steps.repository.js';
import { iso, type Ids } from '../domain/clock.js';
import { StepRecorder, stepRows } from '../domain/task-steps.js';
import type { TaskRow } from '../tasks/queue.js';
import type { AgentDeps } from './agent-deps.js';

/**
 * The steps of one task as the agent runs it (the server's timeline): kept in memory and written
 * with the task's completion, so recording costs no round trip of its own.
 */
export class TaskSteps {
  readonly recorder: StepRecorder;
  /** Set once the steps are committed (by the transaction that completed the task). */
  written = false;

  /**
   * @param recorded false for a task that only reads the guest (console output, diagnostics):
   *   it changes nothing and a client may ask often, so it leaves no steps.
   */
  constructor(
    deps: Pick<AgentDeps, 'clock'>,
    readonly task: TaskRow,
    host: string,
    private readonly recorded = true,
  ) {
    this.recorder = new StepRecorder(deps.clock, host);
    const taken = iso(deps.clock.now());
    this.recorder.add('task.queued', task.created_at, taken);
    this.recorder.begin('task.leased'); // closed when the task completes (rows)
  }

  /** The rows to write when the task completes at `finishedAt` (`error`: why it failed). */
  rows(ids: Ids, finishedAt: string, error: string | null): TaskStepRow[] {
    const { task } = this;
    if (!task.server_id || !this.recorded) return [];
    const steps = this.recorder.list();
    const leased = steps[1];
    if (leased && leased.finishedAt === null) {
      leased.finishedAt = finishedAt;
      leased.result = 'ok';
    }
    for (const s of steps) {
      // A step still open when the task completes (a hung call overtaken by a delete) ends with it.
      if (s.finishedAt === null) {
        s.finishedAt = finishedAt;
        s.result = 'error';
        s.message = s.message ?? 'unfinished when the task completed';
      }
    }
    steps.push({
      step: 'task.finished',
      host: this.recorder.host,
      startedAt: finishedAt,
      finishedAt,
      result: error === null ? 'ok' : 'error',
      message: error === null ? null : error.slice(0, 1000),
    });
    return stepRows(steps, ids, {
      taskId: task.id,
      serverId: task.server_id,
      requestId: requestIdOf(task.payload),
      action: task.kind,
    });
  }

  /** Writes the steps in `tx` (the completing transaction); call `markWritten` once it committed. */
  async write(tx: Executor, ids: Ids, finishedAt: string, error: string | null): Promise<void> {
    if (this.written) return;
    await insertTaskSteps(tx, this.rows(ids, finishedAt, error));
  }

  markWritten(): void {
    this.written = true;
  }
}

const current = new AsyncLocalStorage<TaskSteps>();

/** Runs a task's handler with its steps recorder in reach of everything it calls. */
export function runWithSteps<T>(steps: TaskSteps, work: () => Promise<T>): Promise<T> {
  return current.run(steps, work);
}

/** The steps of the task being run (of `task` when given); none outside a task (periodic jobs). */
export function currentSteps(task?: TaskRow): TaskSteps | undefined {
  const s = current.getStore();
  return s && (!task || s.task.id === task.id) ? s : undefined;
}

/**
 * Records `work` as a step of `steps` (none: just runs it). Take `steps` from currentSteps()
 * outside any transaction: on SQLite a transaction's units run from the committing context.
 */
export function step<T>(
  steps: TaskSteps | undefined,
  name: string,
  work: () => Promise<T>,
  message?: (value: T) => string | null,
): Promise<T> {
  return steps ? steps.recorder.span(name, work, message) : work();
}

/** A driver whose calls are steps (`driver.<method>`) of the task that makes them. */
export function recordingDriver(driver: ComputeDriver): ComputeDriver {
  return new Proxy(driver, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const s = current.getStore();
        if (!s) return (value as (...a: unknown[]) => unknown).apply(target, args);
        return s.recorder.span(`driver.${prop}`, async () =>
          (value as (...a: unknown[]) => unknown).apply(target, args),
        );
      };
    },
  });
}

function requestIdOf(payload: string): string | null {
  try {
    return (JSON.parse(payload) as { requestId?: string }).requestId ?? null;
  } catch {
    return null;
  }
}
