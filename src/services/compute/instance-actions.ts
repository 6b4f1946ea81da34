import type { Caller, Deps } from '../context.js';
import { authorize, allowed } from '../access.js';
import { findServer } from './access.js';
import * as actions from '../../db/repositories/actions.repository.js';
import * as taskSteps from '../../db/repositories/task-steps.repository.js';
import { instanceActionNotFound } from '../../domain/errors.js';

export type TimelineStepRow = taskSteps.TaskStepRow;

/** os-instance-actions: from 2.21 the actions of a deleted server stay readable (docs/delete-server.md B48). */
export async function listInstanceActions(deps: Deps, caller: Caller, serverId: string, readDeleted: boolean) {
  const row = await findServer(deps.db, caller, serverId, { readDeleted });
  authorize(deps, caller, 'os_compute_api:os-instance-actions:list', {
    project_id: row.project_id,
    user_id: row.user_id,
  });
  return { server: row, actions: await actions.listActions(deps.db, row.id) };
}

export async function showInstanceAction(
  deps: Deps,
  caller: Caller,
  serverId: string,
  requestId: string,
  readDeleted: boolean,
) {
  const row = await findServer(deps.db, caller, serverId, { readDeleted });
  const target = { project_id: row.project_id, user_id: row.user_id };
  authorize(deps, caller, 'os_compute_api:os-instance-actions:show', target);
  const action = await actions.getActionByRequestId(deps.db, row.id, requestId);
  if (!action) throw instanceActionNotFound(requestId, row.id);
  const events = await actions.listEvents(deps.db, action.id);
  return {
    server: row,
    action,
    events,
    showEvents: allowed(deps, caller, 'os_compute_api:os-instance-actions:events', target),
    showDetails: allowed(deps, caller, 'os_compute_api:os-instance-actions:events:details', target),
  };
}

/**
 * A server's timeline (GET /stratus/v1/servers/{id}/timeline): its instance actions (the API's
 * `request` steps) and the steps the agent and the API recorded, oldest first. Visible as the
 * instance actions are, deleted servers included; hosts only to whom Nova shows events' hosts.
 */
export async function serverTimeline(deps: Deps, caller: Caller, serverId: string) {
  const row = await findServer(deps.db, caller, serverId, { readDeleted: true });
  const target = { project_id: row.project_id, user_id: row.user_id };
  authorize(deps, caller, 'os_compute_api:os-instance-actions:list', target);
  const [acts, steps] = await Promise.all([
    actions.listActions(deps.db, row.id),
    taskSteps.listServerSteps(deps.db, row.id),
  ]);
  const actionOf = new Map(acts.map((a) => [a.request_id, a.action]));
  // A request began no later than its first step (a local delete records its action last).
  const firstStep = new Map<string, string>();
  for (const s of steps) {
    if (!s.request_id) continue;
    const seen = firstStep.get(s.request_id);
    if (seen === undefined || s.started_at < seen) firstStep.set(s.request_id, s.started_at);
  }
  const startOf = (a: (typeof acts)[number]) => {
    const first = firstStep.get(a.request_id);
    return first !== undefined && first < a.start_time ? first : a.start_time;
  };
  const all: Array<TimelineStepRow & { rank: number }> = [
    ...acts.map((a) => ({
      id: a.id,
      task_id: null,
      server_id: row.id,
      request_id: a.request_id,
      action: a.action,
      step: 'request',
      seq: 0,
      host: null,
      started_at: startOf(a),
      finished_at: a.finish_time,
      result: a.finish_time === null ? null : a.message === 'Error' ? 'error' : 'ok',
      message: a.message,
      rank: 0,
    })),
    // A task's steps are named after the instance action of their request when there is one.
    ...steps.map((s, i) => ({ ...s, action: (s.request_id && actionOf.get(s.request_id)) || s.action, rank: i + 1 })),
  ];
  all.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.rank - b.rank));
  return {
    server: row,
    steps: all,
    showHost: allowed(deps, caller, 'os_compute_api:os-instance-actions:events', target),
  };
}
