import type { AgentDeps } from './agent-deps.js';
import type { EventCompletion } from './instance-event.js';
import * as batchRepo from '../db/repositories/terminate-batch.repository.js';
import { releaseServerVolumes, runVolumeWork, type VolumeWork } from '../services/compute/server-volumes.js';
import { BatchWindow } from '../services/compute/batch-window.js';
import { iso } from '../domain/clock.js';
import { insertTaskSteps } from '../db/repositories/task-steps.repository.js';

/** Completions per batch, and batches under way at once (each holds a connection). */
const MAX_BATCH = 128;
const IN_FLIGHT = 2;

let completedInBatches = 0;
/** Terminates completed by a batch (not alone) in this process: for tests. */
export const terminatesCompletedInBatches = (): number => completedInBatches;

interface Pending {
  c: EventCompletion;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Completes the terminates of one event-loop turn together (issue 15): one transaction and one
 * set-based statement per kind of write for all of them (terminate-batch.repository.ts), instead
 * of a transaction of ten statements each. Each still resolves only after its commit, so the
 * agent closes no task before its writes are durable. If the batch's transaction fails, each
 * completion commits alone, as without a batch, and gets its own outcome.
 */
export function makeTerminateBatch(deps: AgentDeps): (c: EventCompletion) => Promise<void> {
  const window = new BatchWindow<Pending>((items) => run(deps, items), MAX_BATCH, IN_FLIGHT);
  return (c) => new Promise<void>((resolve, reject) => window.add({ c, resolve, reject }));
}

async function run(deps: AgentDeps, items: Pending[]): Promise<void> {
  const alone = (p: Pending) => p.c.alone().then(p.resolve, p.reject);
  if (items.length === 1) return alone(items[0]);
  let work: VolumeWork[] = [];
  try {
    await deps.transact(async (tx) => {
      work = []; // PostgreSQL runs this again after a deadlock
      const end = iso(deps.clock.now());
      const { marked, ports } = await batchRepo.completeTerminates(
        tx,
        end,
        'deleted',
        items.map(({ c }) => ({
          serverId: c.serverId,
          taskId: c.task.id,
          owner: c.task.lease_owner ?? '',
          actionId: c.actionId,
          event: c.event,
        })),
      );
      // A volume attached after the agent looked: released as the single path does.
      for (const id of await batchRepo.serversWithBlockDevices(tx, marked))
        work.push(...(await releaseServerVolumes(deps, tx, id)));
      // Each task's timeline steps, in one insert for the batch (rewound first: a rerun records
      // them again): the steps the single path's writer records, then the completion's.
      for (const { c } of items) {
        c.steps?.recorder.rewind(c.stepsMark);
        const p = ports.get(c.serverId);
        if (!c.steps || !p) continue;
        c.steps.recorder.add('ports.released', end, end, 'ok', `${p.deleted} deleted, ${p.unbound} unbound`);
        c.steps.recorder.point('deleted');
      }
      await insertTaskSteps(
        tx,
        items.flatMap(({ c }) => (c.steps && !c.steps.written ? c.steps.rows(deps.ids, end, null) : [])),
      );
    });
  } catch {
    await Promise.all(items.map(alone));
    return;
  }
  for (const { c } of items) c.steps?.markWritten();
  completedInBatches += items.length;
  for (const p of items) p.resolve();
  await runVolumeWork(deps, work);
}
