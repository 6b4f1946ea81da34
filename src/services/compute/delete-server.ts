import type { Caller, Deps } from '../context.js';
import { canonicalUuid } from '../access.js';
import { serviceIsUp } from './access.js';
import { checkAndPlan, deleteInBatch, type DeleteOutcome } from './delete-batch.js';
import { recordAction } from './record-action.js';
import * as servers from '../../db/repositories/servers.repository.js';
import * as tasks from '../../db/repositories/tasks.repository.js';
import { releaseServerPorts } from '../network/ports.js';
import { releaseServerVolumes, runVolumeWork, type VolumeWork } from './server-volumes.js';
import { leaveServerGroup } from './server-groups.js';
import { settleMigrationOnDelete } from './migration-on-delete.js';
import * as svcRepo from '../../db/repositories/services.repository.js';
import type { TaskRow } from '../../tasks/queue.js';
import { iso } from '../../domain/clock.js';
import { serverLocked, serverNotFound } from '../../domain/errors.js';
import type { Executor } from '../../db/executor.js';
import { LIFECYCLE, tasksSupersededBy } from '../../domain/lifecycle.js';
import type { VmState } from '../../domain/states.js';
import { discardImages, imagesObsoletedByDelete } from './server-image-actions.js';
import { StepRecorder, stepRows } from '../../domain/task-steps.js';
import { insertTaskSteps } from '../../db/repositories/task-steps.repository.js';
import { ROOM_WAIT_MS } from '../../tasks/dispatcher.js';

const TERMINATE = LIFECYCLE.delete.task!;
const SOFT_DELETE = LIFECYCLE.softDelete.task!;

/** Queued work a delete cancels: a spawn or power task still queued must not resurrect the guest. */
const SUPERSEDED_BY_REMOTE_DELETE = tasksSupersededBy('remote');
/** A local delete also cancels a queued terminate: it finishes that delete itself. */
const SUPERSEDED_BY_LOCAL_DELETE = tasksSupersededBy('local');

export type { DeleteOutcome } from './delete-batch.js';

/**
 * DELETE /servers/{id} and the forceDelete action (docs/delete-server.md; the B rows cited below are its §7). One transaction: read
 * the row (locked for the transaction), decide with the pure plan, write with compare-and-set and
 * enqueue the terminate task; the agent does the rest.
 */
export async function deleteServer(
  deps: Deps,
  caller: Caller,
  id: string,
  opts: { force?: boolean } = {},
): Promise<DeleteOutcome> {
  const uuid = canonicalUuid(id);
  // Nova parity: a malformed id is "not found" without touching the database (B17).
  if (!uuid) throw serverNotFound(id);
  // Concurrent DELETEs share a transaction (delete-batch.ts); forceDelete, and whatever the batch leaves, run alone.
  if (!opts.force) return deleteInBatch(deps, caller, id, uuid, (d, c, i, u) => deleteAlone(d, c, i, u, {}));
  return deleteAlone(deps, caller, id, uuid, opts);
}

/** One delete in its own transaction: every plan. */
async function deleteAlone(
  deps: Deps,
  caller: Caller,
  id: string,
  uuid: string,
  opts: { force?: boolean },
): Promise<DeleteOutcome> {
  const rule = LIFECYCLE[opts.force ? 'forceDelete' : 'delete'].rule;
  let task: TaskRow | undefined;
  let moveTasks: TaskRow[] = [];
  let images: string[] = [];
  let volumeWork: VolumeWork[] = [];
  const outcome = await deps.transact(async (tx): Promise<DeleteOutcome> => {
    task = undefined; // PostgreSQL may run this again after a deadlock
    moveTasks = [];
    images = [];
    volumeWork = [];
    const found = await servers.getServerAndNodeForUpdate(tx, uuid);
    if (!found) throw serverNotFound(id);
    const row = found.server;
    const plan = checkAndPlan(deps, caller, id, found, rule, opts.force ?? false);
    const now = iso(deps.clock.now());
    // docs/delete-server.md B11/B12: a resize or move under way is confirmed or abandoned, and the
    // other node drops its guest of the server.
    const settle = () =>
      settleMigrationOnDelete(
        deps,
        tx,
        caller,
        row,
        plan.kind !== 'locked' && plan.kind !== 'noop' && plan.confirmResize,
        async (h) => serviceIsUp(deps, await svcRepo.getComputeService(tx, h)),
      ).then((t) => {
        moveTasks = t;
      });
    switch (plan.kind) {
      case 'locked':
        throw serverLocked(row.id);
      case 'noop': {
        // Stratus differs from Nova (docs/delete-server.md §3.4): a repeated DELETE re-queues a delete whose task died or expired.
        const open = await tasks.openTasksForServer(tx, row.id);
        const del = open.find((t) => t.kind === TERMINATE || t.kind === SOFT_DELETE);
        const stuck = !del || (del.state === 'leased' && del.lease_expires_at !== null && del.lease_expires_at < now);
        if (!stuck) return { plan: 'noop' };
        if (del) {
          await tasks.requeueTask(tx, del.id, now);
          task = { ...del, state: 'queued' };
        } else
          task = await deps.tasks.enqueue(tx, {
            kind: row.task_state === LIFECYCLE.softDelete.setsTaskState ? SOFT_DELETE : TERMINATE,
            serverId: row.id,
            host: row.host!,
            payload: { requestId: caller.requestId },
          });
        return { plan: 'noop', requeued: true };
      }
      case 'while-booting': {
        images = await imagesObsoletedByDelete(tx, row);
        // B3/B4: no host yet: the record goes at once, the queued build is cancelled, no `delete` action.
        const steps = new StepRecorder(deps.clock, null);
        volumeWork = await localDelete(deps, tx, row.id, now, 'deleted', steps);
        await settle();
        steps.point('deleted', 'deleted before a host was chosen');
        await writeApiSteps(deps, tx, caller, row.id, steps);
        return { plan: plan.kind };
      }
      case 'local': {
        images = await imagesObsoletedByDelete(tx, row);
        // B6, B7, B9, B14, B31: the node is down or there is none; the agent reaps the guest when it is back.
        const steps = new StepRecorder(deps.clock, null);
        volumeWork = await localDelete(deps, tx, row.id, now, plan.soft ? 'soft-delete' : 'deleted', steps);
        await settle();
        await recordAction(deps, tx, caller, row.id, 'delete', { finished: true });
        steps.point(
          plan.soft ? 'soft_deleted' : 'deleted',
          row.host ? `local delete: compute node ${row.host} is down` : 'local delete: no compute node',
        );
        await writeApiSteps(deps, tx, caller, row.id, steps);
        return { plan: plan.kind };
      }
      case 'remote':
      case 'soft': {
        const changed = await servers.casUpdateServer(tx, row.id, row.task_state, {
          task_state: plan.taskState,
          updated_at: now,
          ...(plan.kind === 'soft' ? { deleted_at: now } : {}),
        });
        if (!changed) throw serverNotFound(id);
        images = await imagesObsoletedByDelete(tx, row);
        await tasks.closeTasksForServer(tx, row.id, SUPERSEDED_BY_REMOTE_DELETE);
        await settle();
        const actionId = await recordAction(deps, tx, caller, row.id, 'delete');
        task = await deps.tasks.enqueue(tx, {
          kind: plan.kind === 'soft' ? SOFT_DELETE : TERMINATE,
          serverId: row.id,
          host: row.host!,
          payload: { actionId, requestId: caller.requestId },
        });
        return { plan: plan.kind };
      }
    }
  });
  deps.tasks.dispatch([task, ...moveTasks]);
  await discardImages(deps, images);
  await runVolumeWork(deps, volumeWork);
  // Backpressure, as on the batched path (TaskDispatcher.roomOn): committed, the answer waits for the node.
  if (task?.host) await deps.tasks.roomOn(task.host, Date.now() + ROOM_WAIT_MS);
  return outcome;
}

/** Deletes the record and releases ports at once (Nova's _local_delete / _delete_while_booting). */
async function localDelete(
  deps: Deps,
  tx: Executor,
  serverId: string,
  now: string,
  vmState: VmState,
  steps: StepRecorder,
): Promise<VolumeWork[]> {
  // Server row, then ports, then volumes: one lock order everywhere (the agent's terminate does the same).
  await servers.markServerDeleted(tx, serverId, now, vmState);
  await steps.span(
    'ports.released',
    () => releaseServerPorts(deps, tx, serverId),
    (r) => `${r.deleted} deleted, ${r.unbound} unbound`,
  );
  await leaveServerGroup(tx, serverId); // the deleted server leaves its server group
  await tasks.closeTasksForServer(tx, serverId, SUPERSEDED_BY_LOCAL_DELETE);
  // Nova's _local_cleanup_bdm_volumes (B62); a local soft delete keeps them for the reclaim or a restore.
  if (vmState !== 'deleted') return [];
  const start = iso(deps.clock.now());
  const released = { volumes: 0 };
  const work = await releaseServerVolumes(deps, tx, serverId, released);
  if (released.volumes > 0)
    steps.add('volumes.released', start, iso(deps.clock.now()), 'ok', `${released.volumes} volume(s)`);
  return work;
}

/** The timeline steps of a delete the API did itself, in its transaction (one insert). */
function writeApiSteps(deps: Deps, tx: Executor, caller: Caller, serverId: string, steps: StepRecorder) {
  return insertTaskSteps(
    tx,
    stepRows(steps.list(), deps.ids, { taskId: null, serverId, requestId: caller.requestId, action: 'delete' }),
  );
}
