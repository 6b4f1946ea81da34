import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as actions from '../../db/repositories/actions.repository.js';
import { iso } from '../../domain/clock.js';

/** Records an instance action (Nova's _record_action_start); returns its id for the events the agent adds. */
export async function recordAction(
  deps: Deps,
  ex: Executor,
  caller: Caller,
  serverId: string,
  action: string,
  opts: { finished?: boolean; event?: string } = {},
): Promise<string> {
  const now = iso(deps.clock.now());
  const id = deps.ids.sortable();
  await actions.insertAction(ex, {
    id,
    server_id: serverId,
    action,
    request_id: caller.requestId,
    user_id: caller.userId,
    project_id: caller.projectId,
    start_time: now,
    finish_time: opts.finished ? now : null,
    message: null,
    updated_at: now,
  });
  if (opts.event) {
    // API-side actions (lock, unlock…) carry one finished event, as Nova's wrap_instance_event(prefix='api').
    await actions.insertEvent(ex, {
      id: deps.ids.sortable(),
      action_id: id,
      event: opts.event,
      start_time: now,
      finish_time: now,
      result: 'Success',
      traceback: null,
      host: null,
      details: null,
    });
  }
  return id;
}
