import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as servers from '../../db/repositories/servers.repository.js';
import { serverNotFound } from '../../domain/errors.js';
import { canonicalUuid } from '../access.js';

/**
 * Scope before policy: a malformed id or a server outside the caller's project is "not found"
 * (404), exactly as Nova's project-filtered lookup. Admins see every project.
 */
export async function findServer(ex: Executor, caller: Caller, id: string, opts: { readDeleted?: boolean } = {}) {
  const uuid = canonicalUuid(id);
  if (!uuid) throw serverNotFound(id);
  const row = await servers.getServer(ex, uuid, {
    projectId: caller.isAdmin ? undefined : caller.projectId,
    readDeleted: opts.readDeleted,
  });
  if (!row) throw serverNotFound(id);
  return row;
}

/** A compute service counts as up when it is not forced down and has sent a heartbeat within service_down_time. */
export function serviceIsUp(deps: Deps, svc: { forced_down: number; last_seen_at: string } | undefined): boolean {
  if (!svc || svc.forced_down) return false;
  return deps.clock.now().getTime() - Date.parse(svc.last_seen_at) <= deps.config.serviceDownTime * 1000;
}
