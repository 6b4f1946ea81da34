import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { serviceIsUp } from './access.js';
import * as batch from '../../db/repositories/delete-batch.repository.js';
import type { ServerRow } from '../../db/repositories/servers.repository.js';
import type { TaskRow } from '../../tasks/queue.js';
import { iso } from '../../domain/clock.js';
import { planDelete, type DeletePlan } from '../../domain/delete-plan.js';
import { serverLocked, serverNotFound } from '../../domain/errors.js';
import { LIFECYCLE, tasksSupersededBy } from '../../domain/lifecycle.js';
import { BatchWindow } from './batch-window.js';
import { ROOM_WAIT_MS } from '../../tasks/dispatcher.js';

const TERMINATE = LIFECYCLE.delete.task!;
const SUPERSEDED_BY_REMOTE_DELETE = tasksSupersededBy('remote');
const IMAGE_TASKS = [LIFECYCLE.createImage.task!, LIFECYCLE.createBackup.task!];
/** Servers per batch: bounds the arrays of one statement and the locks one transaction holds. */
const MAX_BATCH = 128;
/** Batches under way at once (each holds a connection); later arrivals gather into the next one. */
const IN_FLIGHT = 2;

export interface DeleteOutcome {
  plan: DeletePlan['kind'];
  requeued?: boolean;
}

/** Scope before policy, then the pure plan: the same checks on the batched path and the single one. */
export function checkAndPlan(
  deps: Deps,
  caller: Caller,
  id: string,
  found: { server: ServerRow; node: { forced_down: number; last_seen_at: string } | undefined },
  rule: string,
  force: boolean,
): DeletePlan {
  const row = found.server;
  if (!caller.isAdmin && row.project_id !== caller.projectId) {
    // Nova parity (B20/B21): another project's server is 404, except while it is still an
    // unscheduled build request, whose lookup is not project-filtered: the policy then says 403.
    if (!(row.vm_state === 'building' && row.host === null)) throw serverNotFound(id);
  }
  authorize(deps, caller, rule, { project_id: row.project_id, user_id: row.user_id });
  return planDelete({
    vmState: row.vm_state,
    taskState: row.task_state,
    host: row.host,
    hostUp: serviceIsUp(deps, found.node),
    launchedAt: row.launched_at,
    locked: row.locked_by !== null,
    isAdmin: caller.isAdmin,
    reclaimInstanceInterval: deps.config.reclaimInstanceInterval,
    force,
  });
}

type Alone = (deps: Deps, caller: Caller, id: string, uuid: string) => Promise<DeleteOutcome>;

interface Item {
  caller: Caller;
  id: string;
  uuid: string;
  /** Date.now() when the request joined the window (after its authentication). */
  arrived: number;
  resolve: (o: DeleteOutcome) => void;
  reject: (e: unknown) => void;
}

const windows = new WeakMap<Deps, BatchWindow<Item>>();
const batched = new WeakMap<Deps, number>();

/** How many requests the batched path has answered (not those it handed to the single path): for tests. */
export const batchedDeletes = (deps: Deps): number => batched.get(deps) ?? 0;

/**
 * DELETE of one server through the batch of its event-loop turn (issue 15): the concurrent
 * deletes of a turn share one transaction, one locking read and (PostgreSQL) one write
 * statement. Only the simple case is batched: a server on a live node (plan `remote`) with no
 * move to settle, no shelved or queued image and not already deleting. A lone request takes the
 * batch too (four round trips instead of nine on PostgreSQL). Every other request, a second
 * DELETE of the same server in the batch, and every request of a batch whose transaction
 * failed, runs `alone` (the single path, its own transaction) after the batch, so no request's
 * failure costs another its answer. Each answer comes after its commit.
 */
export function deleteInBatch(
  deps: Deps,
  caller: Caller,
  id: string,
  uuid: string,
  alone: Alone,
): Promise<DeleteOutcome> {
  let w = windows.get(deps);
  if (!w) {
    const win = new BatchWindow<Item>((items) => runBatch(deps, items, alone), MAX_BATCH, IN_FLIGHT);
    windows.set(deps, win);
    w = win;
  }
  const window = w;
  return new Promise((resolve, reject) => window.add({ caller, id, uuid, arrived: Date.now(), resolve, reject }));
}

async function runBatch(deps: Deps, items: Item[], alone: Alone): Promise<void> {
  const runAlone = (i: Item) => alone(deps, i.caller, i.id, i.uuid).then(i.resolve, i.reject);
  let later: Item[] = [];
  let answers: Array<() => void> = [];
  let tasks: TaskRow[] = [];
  try {
    await deps.transact(async (tx) => {
      later = []; // PostgreSQL runs this again after a deadlock
      answers = [];
      tasks = [];
      const seen = new Set<string>();
      const first: Item[] = [];
      for (const i of items) {
        if (seen.has(i.uuid)) later.push(i);
        else {
          seen.add(i.uuid);
          first.push(i);
        }
      }
      const found = await batch.lockServersForDelete(tx, [...seen], IMAGE_TASKS);
      const now = iso(deps.clock.now());
      const writes: Array<{ item: Item; write: batch.RemoteDeleteWrite }> = [];
      for (const item of first) {
        const f = found.get(item.uuid);
        try {
          if (!f) throw serverNotFound(item.id);
          const plan = checkAndPlan(deps, item.caller, item.id, f, LIFECYCLE.delete.rule, false);
          if (plan.kind === 'locked') throw serverLocked(f.server.id);
          if (plan.kind !== 'remote' || f.hasMigration || f.hasImageTask || f.server.shelved_image_id) {
            later.push(item);
            continue;
          }
          const row = f.server;
          const actionId = deps.ids.sortable();
          const task = deps.tasks.taskRow({
            kind: TERMINATE,
            serverId: row.id,
            host: row.host!,
            payload: { actionId, requestId: item.caller.requestId },
          });
          writes.push({
            item,
            write: {
              serverId: row.id,
              expectedTaskState: row.task_state,
              taskState: plan.taskState,
              action: {
                id: actionId,
                server_id: row.id,
                action: 'delete',
                request_id: item.caller.requestId,
                user_id: item.caller.userId,
                project_id: item.caller.projectId,
                start_time: now,
                finish_time: null,
                message: null,
                updated_at: now,
              },
              task,
            },
          });
        } catch (e) {
          answers.push(() => item.reject(e));
        }
      }
      const { matched, blocked } = await batch.writeRemoteDeletes(
        tx,
        now,
        writes.map((w) => w.write),
        SUPERSEDED_BY_REMOTE_DELETE,
        IMAGE_TASKS,
      );
      for (const { item, write } of writes) {
        if (blocked.has(write.serverId)) later.push(item);
        else if (matched.has(write.serverId)) {
          tasks.push(write.task);
          const host = write.task.host!;
          // Committed; the 204 waits while the node is behind (backpressure, bounded from the request's arrival).
          answers.push(
            () =>
              void deps.tasks.roomOn(host, item.arrived + ROOM_WAIT_MS).finally(() => item.resolve({ plan: 'remote' })),
          );
        } else answers.push(() => item.reject(serverNotFound(item.id)));
      }
    });
  } catch {
    // The batch's transaction failed as a whole: each request runs alone and gets its own answer.
    await Promise.all(items.map(runAlone));
    return;
  }
  deps.tasks.dispatch(tasks);
  batched.set(deps, batchedDeletes(deps) + answers.length);
  for (const a of answers) a();
  // Not awaited: the batch frees its place while these run in their own transactions.
  void Promise.all(later.map(runAlone));
}
