import type { Caller, Deps } from '../context.js';
import { authorize, allowed } from '../access.js';
import { findServer } from './access.js';
import * as actions from '../../db/repositories/actions.repository.js';
import { instanceActionNotFound } from '../../domain/errors.js';

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
